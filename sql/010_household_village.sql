-- 010_household_village.sql: households by village.
--
-- Every reader of one village (STATUS's candidates, LIST, TABLES, the
-- village page) selects the register's households of that village; without
-- this index each of them read the whole register (133 ms per village at
-- 600,000 households, where the index reads its 600).
CREATE INDEX household_village_idx ON fupin.household (village_id,
    household_id);
