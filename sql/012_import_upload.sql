-- 012_import_upload.sql: imports go through fupind (IMPORT BEGIN / ROWS /
-- COMMIT on the status socket) instead of a direct database connection.
--
-- An upload spans many requests, and the daemon's statements may run on
-- any connection of its pool, in any order: no TEMP table and no
-- transaction can span them. So each upload is a row of import_upload and
-- its rows wait in a staging table of its kind, keyed by upload_id, until
-- IMPORT COMMIT checks and applies them in one statement (all or nothing)
-- and deletes them. UNLOGGED: staging is scratch, not worth a WAL record;
-- a crash empties it, and the upload is then simply gone.
--
-- The staging columns are typed like their targets, so that a value the
-- client sends that is not an int, a date or numeric(12,2) is refused by
-- the database whatever fupinctl checked.

CREATE UNLOGGED TABLE fupin.import_upload (
	upload_id	bigserial PRIMARY KEY,
	kind		text NOT NULL
	    CHECK (kind IN ('villages', 'households', 'members')),
	principal	text NOT NULL,
	-- the daemon serving it (host and socket): at its next start, what
	-- it left is dead
	owner		text NOT NULL,
	file		text,
	started_at	timestamptz NOT NULL DEFAULT now(),
	-- the last chunk: an upload left untouched too long is discarded
	touched_at	timestamptz NOT NULL DEFAULT now(),
	rows		bigint NOT NULL DEFAULT 0,
	bytes		bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE fupin.import_upload IS
    'Imports in progress through fupind (IMPORT BEGIN ... COMMIT); scratch';

CREATE UNLOGGED TABLE fupin.import_village_stage (
	upload_id	bigint NOT NULL,
	line		int NOT NULL,
	village_id	text NOT NULL,
	name		text NOT NULL,
	township	text NOT NULL
);

CREATE UNLOGGED TABLE fupin.import_household_stage (
	upload_id		bigint NOT NULL,
	line			int NOT NULL,
	household_id		text NOT NULL,
	village_id		text NOT NULL,
	group_name		text,
	head_name		text NOT NULL,
	size			int NOT NULL,
	category		text NOT NULL,
	identified_year		int,
	lifted_year		int,
	income_per_capita	numeric(12,2),
	food			boolean NOT NULL,
	clothing		boolean NOT NULL,
	education		boolean NOT NULL,
	medical			boolean NOT NULL,
	housing			boolean NOT NULL,
	risk			text,
	relapse_reason		text,
	relapse_year		int
);

CREATE UNLOGGED TABLE fupin.import_member_stage (
	upload_id	bigint NOT NULL,
	line		int NOT NULL,
	person_id	text NOT NULL,
	household_id	text NOT NULL,
	name		text NOT NULL,
	relation	text NOT NULL DEFAULT '',
	birth_date	date,
	change		text NOT NULL DEFAULT '',
	change_reason	text,
	change_date	date,
	-- a natural decrease takes the person off the household
	removed		boolean GENERATED ALWAYS AS (change = 'decrease') STORED
);

GRANT SELECT ON fupin.import_upload, fupin.import_village_stage,
    fupin.import_household_stage, fupin.import_member_stage TO fupin_daemon;
