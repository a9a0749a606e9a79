-- 006_register.sql: the register follows the procedures.
--
-- A relapse is dated like an identification and an exit: relapse_year is
-- the year a lifted household fell back (返贫年度). Without it a household
-- that relapsed in an earlier year could not be told from one that
-- relapsed this year, and the rule "not identified or relapsed this year"
-- could only refuse every relapsed household. Rows of earlier releases
-- keep NULL: the year is unknown until an import gives it.
ALTER TABLE fupin.household
    ADD COLUMN relapse_year int
	CONSTRAINT household_relapse_year
	CHECK (relapse_year BETWEEN 1980 AND 2100);
COMMENT ON COLUMN fupin.household.relapse_year IS
    'Year the household relapsed (返贫年度); NULL if never or unknown';
