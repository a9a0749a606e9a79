-- 013_import_batch_audit.sql: the audit of an import's new households by
-- batch.
--
-- An import used to write one fupin.transition row per new household (its
-- image), each checked against four foreign keys and entered in three
-- indexes: at 100,000 households that was half of IMPORT COMMIT. It now
-- writes one row per batch of at most 100 lines of the file (household_id
-- and village_id NULL, event and role 'import', note 'insert'), whose
-- detail holds the image of each new household of those lines, its values
-- in the order of "columns": {"columns": ["village_id", "group_name", ...],
-- "households": {"H001": ["V01", null, ...], ...}}, and each of those
-- households names its batch's row here.
-- fupin.household_history (sql/functions/25-audit.sql) hands the image out
-- as the household's own audit row.
--
-- No foreign key: checking one per row is the cost the batch saves; the
-- import writes both in one transaction, and the audit trail is
-- append-only.
-- NULL for a household imported before this migration (its insert has a
-- row of its own) or not imported.
ALTER TABLE fupin.household ADD COLUMN imported_in bigint;
COMMENT ON COLUMN fupin.household.imported_in IS
    'The fupin.transition row of the import batch that brought the household (its image as imported); NULL if its audit row is its own';
