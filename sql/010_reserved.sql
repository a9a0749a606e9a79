-- 010_reserved.sql: a placeholder. Migration 010 is reserved for another
-- branch; 011_delivery.sql needs the numbers to run without a gap until
-- that branch's 010 lands. Replace this file by it at the merge (do not
-- keep both: two 010 are refused).
SELECT 1;
