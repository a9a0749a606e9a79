-- 008_reserved.sql: a placeholder, not a migration of its own.
--
-- Number 008 belongs to a branch developed in parallel (issue 11); w-excel
-- was given 009 (009_quality_rules.sql), and migrations run without gaps.
-- This empty file only lets 009 apply on w-excel alone. When the branch
-- with the real 008 is merged, DELETE THIS FILE (two 008s are refused).
SELECT 1;
