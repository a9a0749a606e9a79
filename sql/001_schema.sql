-- 001_schema.sql: the fupin schema, version 1.
--
-- Owns every table of the campaign: the campaign and its calendar, the
-- register (villages, groups, households, members), one workflow instance
-- per household and procedure, the append-only audit trail, the alert
-- outbox, deadline extensions and the per-village state counters.
--
-- The database guards itself: whatever C or psql does, a row that breaks
-- the rules of DOMAIN.md is refused here.  fupind --migrate runs this file
-- in one transaction (no BEGIN/COMMIT in here) and records it in
-- fupin.schema_migration.

CREATE SCHEMA IF NOT EXISTS fupin;
COMMENT ON SCHEMA fupin IS 'fupin: poverty-alleviation dynamic management campaign';

-- ---------------------------------------------------------------------
-- Identity numbers (GB 11643-1999)
-- ---------------------------------------------------------------------

-- 17 digits and a check character; digits 7-14 are a real birth date.
-- Pure arithmetic, no casts that can throw, so a CHECK never errors out of
-- a bad value: it answers false.  CASE keeps the casts behind the format
-- test.
CREATE OR REPLACE FUNCTION fupin.person_id_valid(id text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT CASE
	WHEN id !~ '^[0-9]{17}[0-9X]$' THEN false
	ELSE
		-- check character
		substr('10X98765432',
		    ((substr(id, 1, 1)::int * 7 + substr(id, 2, 1)::int * 9 +
		      substr(id, 3, 1)::int * 10 + substr(id, 4, 1)::int * 5 +
		      substr(id, 5, 1)::int * 8 + substr(id, 6, 1)::int * 4 +
		      substr(id, 7, 1)::int * 2 + substr(id, 8, 1)::int * 1 +
		      substr(id, 9, 1)::int * 6 + substr(id, 10, 1)::int * 3 +
		      substr(id, 11, 1)::int * 7 + substr(id, 12, 1)::int * 9 +
		      substr(id, 13, 1)::int * 10 + substr(id, 14, 1)::int * 5 +
		      substr(id, 15, 1)::int * 8 + substr(id, 16, 1)::int * 4 +
		      substr(id, 17, 1)::int * 2) % 11) + 1, 1) = substr(id, 18, 1)
		-- birth date YYYYMMDD, year 1900..2100
		AND substr(id, 7, 4)::int BETWEEN 1900 AND 2100
		AND substr(id, 11, 2)::int BETWEEN 1 AND 12
		AND substr(id, 13, 2)::int BETWEEN 1 AND
		    CASE substr(id, 11, 2)::int
		    WHEN 2 THEN
			CASE WHEN (substr(id, 7, 4)::int % 4 = 0 AND
			    substr(id, 7, 4)::int % 100 <> 0) OR
			    substr(id, 7, 4)::int % 400 = 0
			THEN 29 ELSE 28 END
		    WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30
		    ELSE 31 END
	END
$$;
COMMENT ON FUNCTION fupin.person_id_valid(text) IS
    'GB 11643-1999 citizen identity number: format, check character, embedded birth date';

-- ---------------------------------------------------------------------
-- Campaign and calendar (upserted by fupind from its files at start-up)
-- ---------------------------------------------------------------------

CREATE TABLE fupin.campaign (
	campaign_id		text PRIMARY KEY
	    CHECK (campaign_id ~ '^[A-Za-z0-9_.-]{1,32}$'),
	year			int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
	exit_threshold		numeric(12,2) NOT NULL CHECK (exit_threshold > 0),
	marginal_threshold	numeric(12,2) NOT NULL
	    CHECK (marginal_threshold > 0),
	income_from		date NOT NULL,
	income_to		date NOT NULL,
	notice_min_days		int NOT NULL DEFAULT 5
	    CHECK (notice_min_days >= 0),
	lock_at			timestamptz NOT NULL,
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CHECK (income_from <= income_to)
);
COMMENT ON TABLE fupin.campaign IS
    'One yearly campaign: thresholds and dates from the campaign file (never from code)';

CREATE TABLE fupin.calendar_item (
	campaign_id	text NOT NULL REFERENCES fupin.campaign,
	item_id		text NOT NULL CHECK (item_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
	kind		text NOT NULL
	    CHECK (kind IN ('stage', 'window', 'lock', 'task')),
	title_zh	text NOT NULL,
	title_en	text NOT NULL DEFAULT '',
	opens		timestamptz,
	due		timestamptz NOT NULL,
	PRIMARY KEY (campaign_id, item_id),
	CHECK (opens IS NULL OR opens <= due)
);
COMMENT ON TABLE fupin.calendar_item IS
    'Stages, windows, the lock and village tasks of a campaign, from the calendar file';

-- ---------------------------------------------------------------------
-- The register: village -> villager group -> household -> member
-- ---------------------------------------------------------------------

-- Ids travel as words of the status protocol, hence no white space.
CREATE TABLE fupin.village (
	village_id	text PRIMARY KEY
	    CHECK (village_id ~ '^[^[:space:]]{1,64}$'),
	name		text NOT NULL CHECK (btrim(name) <> ''),
	township	text NOT NULL CHECK (btrim(township) <> '')
);
COMMENT ON TABLE fupin.village IS 'Administrative villages (行政村) of the township';

CREATE TABLE fupin.villager_group (
	village_id	text NOT NULL REFERENCES fupin.village,
	name		text NOT NULL CHECK (btrim(name) <> ''),
	PRIMARY KEY (village_id, name)
);
COMMENT ON TABLE fupin.villager_group IS
    'Villager groups / natural villages (村民小组/自然村) of a village';

CREATE TABLE fupin.household (
	household_id		text PRIMARY KEY
	    CHECK (household_id ~ '^[^[:space:]]{1,64}$'),
	village_id		text NOT NULL REFERENCES fupin.village,
	group_name		text,
	head_name		text NOT NULL CHECK (btrim(head_name) <> ''),
	size			int NOT NULL CHECK (size BETWEEN 1 AND 50),
	category		text NOT NULL CHECK (category IN ('poor', 'lifted',
	    'relapsed', 'marginal', 'monitoring', 'ordinary')),
	identified_year		int CHECK (identified_year BETWEEN 1980 AND 2100),
	lifted_year		int CHECK (lifted_year BETWEEN 1980 AND 2100),
	-- yuan per person over the campaign's income period; NULL = not surveyed
	income_per_capita	numeric(12,2) CHECK (income_per_capita >= 0),
	-- two no-worries, three guarantees: true = resolved
	food			boolean NOT NULL,
	clothing		boolean NOT NULL,
	education		boolean NOT NULL,
	medical			boolean NOT NULL,
	housing			boolean NOT NULL,
	risk			text,
	relapse_reason		text,
	updated_at		timestamptz NOT NULL DEFAULT now(),
	-- MATCH SIMPLE: a household without a group is not checked
	FOREIGN KEY (village_id, group_name) REFERENCES fupin.villager_group,
	CONSTRAINT household_relapse_reason CHECK (category <> 'relapsed' OR
	    coalesce(btrim(relapse_reason), '') <> ''),
	-- target of workflow_instance's (household, village) key
	UNIQUE (household_id, village_id)
);
COMMENT ON TABLE fupin.household IS
    'Households (户) with category, income and the five guarantees';

CREATE TABLE fupin.member (
	person_id	char(18) PRIMARY KEY
	    CONSTRAINT member_person_id_valid
	    CHECK (fupin.person_id_valid(person_id)),
	household_id	text NOT NULL REFERENCES fupin.household,
	name		text NOT NULL CHECK (btrim(name) <> ''),
	relation	text NOT NULL DEFAULT '',
	birth_date	date,
	removed		boolean NOT NULL DEFAULT false,
	change		text NOT NULL DEFAULT ''
	    CHECK (change IN ('', 'increase', 'decrease')),
	change_reason	text,
	change_date	date,
	-- a natural decrease (death, marriage out) is recorded with why and when
	CONSTRAINT member_decrease_reason CHECK (change <> 'decrease' OR
	    (coalesce(btrim(change_reason), '') <> '' AND change_date IS NOT NULL))
);
CREATE INDEX member_household_idx ON fupin.member (household_id);
COMMENT ON TABLE fupin.member IS
    'Household members (家庭成员), keyed by identity number; a person belongs to one household';

-- ---------------------------------------------------------------------
-- Workflows
-- ---------------------------------------------------------------------

CREATE TABLE fupin.workflow_instance (
	instance_id	bigserial PRIMARY KEY,
	campaign_id	text NOT NULL REFERENCES fupin.campaign,
	workflow	text NOT NULL CHECK (workflow ~ '^[a-z][a-z0-9_]{0,31}$'),
	household_id	text,
	village_id	text NOT NULL REFERENCES fupin.village,
	-- distinguishes several instances of one workflow in one household
	-- (a member change per person, a rectification per problem)
	subject		text NOT NULL DEFAULT '',
	state		text NOT NULL CHECK (state ~ '^[a-z][a-z0-9_]{0,31}$'),
	entered_at	timestamptz NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	closed		boolean NOT NULL DEFAULT false,
	version		int NOT NULL DEFAULT 0 CHECK (version >= 0),
	-- the village of a household instance is the household's village, so
	-- counts per village can never disagree with the register
	FOREIGN KEY (household_id, village_id)
	    REFERENCES fupin.household (household_id, village_id)
	    ON UPDATE CASCADE
);
CREATE UNIQUE INDEX workflow_instance_household_key
    ON fupin.workflow_instance (campaign_id, workflow, household_id, subject)
    WHERE household_id IS NOT NULL;
CREATE UNIQUE INDEX workflow_instance_village_key
    ON fupin.workflow_instance (campaign_id, workflow, village_id, subject)
    WHERE household_id IS NULL;
CREATE INDEX workflow_instance_count_idx
    ON fupin.workflow_instance (village_id, workflow, state);
CREATE INDEX workflow_instance_household_idx
    ON fupin.workflow_instance (household_id) WHERE household_id IS NOT NULL;
COMMENT ON TABLE fupin.workflow_instance IS
    'One state machine per campaign, workflow and household (or village, for village tasks)';

-- Households per village, workflow and state, kept by a trigger so that
-- STATUS reads a few rows instead of scanning every instance.
CREATE TABLE fupin.state_count (
	campaign_id	text NOT NULL,
	village_id	text NOT NULL,
	workflow	text NOT NULL,
	state		text NOT NULL,
	n		bigint NOT NULL CHECK (n >= 0),
	PRIMARY KEY (campaign_id, village_id, workflow, state)
);
COMMENT ON TABLE fupin.state_count IS
    'Instances per campaign, village, workflow and state; maintained by a trigger on workflow_instance';

CREATE OR REPLACE FUNCTION fupin.state_count_add(c text, v text, w text,
    s text, delta bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF delta > 0 THEN
		INSERT INTO fupin.state_count AS sc
		    (campaign_id, village_id, workflow, state, n)
		VALUES (c, v, w, s, delta)
		ON CONFLICT (campaign_id, village_id, workflow, state)
		DO UPDATE SET n = sc.n + excluded.n;
	ELSE
		UPDATE fupin.state_count SET n = n + delta
		WHERE campaign_id = c AND village_id = v AND workflow = w AND
		    state = s;
		DELETE FROM fupin.state_count
		WHERE campaign_id = c AND village_id = v AND workflow = w AND
		    state = s AND n = 0;
	END IF;
END
$$;

-- SECURITY DEFINER: fupin_daemon may read the counters but not write them.
CREATE OR REPLACE FUNCTION fupin.state_count_trigger()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM fupin.state_count_add(NEW.campaign_id, NEW.village_id,
		    NEW.workflow, NEW.state, 1);
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM fupin.state_count_add(OLD.campaign_id, OLD.village_id,
		    OLD.workflow, OLD.state, -1);
	ELSIF (OLD.campaign_id, OLD.village_id, OLD.workflow, OLD.state) IS
	    DISTINCT FROM
	    (NEW.campaign_id, NEW.village_id, NEW.workflow, NEW.state) THEN
		-- Touch the two counter rows in key order, so that two
		-- transactions moving instances in opposite directions
		-- cannot deadlock on them.
		IF (OLD.campaign_id, OLD.village_id, OLD.workflow, OLD.state) <
		    (NEW.campaign_id, NEW.village_id, NEW.workflow, NEW.state)
		THEN
			PERFORM fupin.state_count_add(OLD.campaign_id,
			    OLD.village_id, OLD.workflow, OLD.state, -1);
			PERFORM fupin.state_count_add(NEW.campaign_id,
			    NEW.village_id, NEW.workflow, NEW.state, 1);
		ELSE
			PERFORM fupin.state_count_add(NEW.campaign_id,
			    NEW.village_id, NEW.workflow, NEW.state, 1);
			PERFORM fupin.state_count_add(OLD.campaign_id,
			    OLD.village_id, OLD.workflow, OLD.state, -1);
		END IF;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER workflow_instance_count
    AFTER INSERT OR DELETE OR UPDATE OF campaign_id, village_id, workflow, state
    ON fupin.workflow_instance
    FOR EACH ROW EXECUTE FUNCTION fupin.state_count_trigger();

CREATE OR REPLACE FUNCTION fupin.state_count_truncate()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM fupin.state_count;
	RETURN NULL;
END
$$;

CREATE TRIGGER workflow_instance_count_truncate
    AFTER TRUNCATE ON fupin.workflow_instance
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.state_count_truncate();

-- Recount from scratch (after a restore, or to check the trigger).
CREATE OR REPLACE FUNCTION fupin.state_count_rebuild()
RETURNS void
LANGUAGE sql
AS $$
DELETE FROM fupin.state_count;
INSERT INTO fupin.state_count (campaign_id, village_id, workflow, state, n)
SELECT campaign_id, village_id, workflow, state, count(*)
FROM fupin.workflow_instance
GROUP BY 1, 2, 3, 4;
$$;

-- ---------------------------------------------------------------------
-- The audit trail
-- ---------------------------------------------------------------------

-- Who, when, what, why (会审, 不实不准).  Besides workflow transitions it
-- holds imports and changed thresholds (workflow NULL, what changed in
-- detail).
CREATE TABLE fupin.transition (
	transition_id	bigserial PRIMARY KEY,
	instance_id	bigint REFERENCES fupin.workflow_instance,
	campaign_id	text REFERENCES fupin.campaign,
	household_id	text REFERENCES fupin.household,
	village_id	text REFERENCES fupin.village,
	workflow	text,
	event		text NOT NULL CHECK (btrim(event) <> ''),
	from_state	text,
	to_state	text,
	actor		text NOT NULL CHECK (btrim(actor) <> ''),
	role		text NOT NULL CHECK (btrim(role) <> ''),
	at		timestamptz NOT NULL,		-- daemon clock
	recorded_at	timestamptz NOT NULL DEFAULT now(),	-- wall clock
	note		text,
	detail		jsonb,
	CHECK (workflow IS NULL OR to_state IS NOT NULL)
);
CREATE INDEX transition_household_idx
    ON fupin.transition (household_id, transition_id);
CREATE INDEX transition_instance_idx
    ON fupin.transition (instance_id, transition_id);
COMMENT ON TABLE fupin.transition IS
    'Append-only audit trail: every transition, import and changed threshold; UPDATE, DELETE and TRUNCATE are refused';

CREATE OR REPLACE FUNCTION fupin.transition_append_only()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'fupin.transition is append-only'
	    USING ERRCODE = 'insufficient_privilege',
	    DETAIL = format('%s refused', TG_OP),
	    HINT = 'Record a correction as a new row.';
END
$$;

-- Statement triggers, so that even an UPDATE matching no row is refused;
-- ENABLE ALWAYS, so that session_replication_role = replica does not
-- switch them off.  Triggers bind the owner and superusers too; only
-- ALTER TABLE ... DISABLE TRIGGER (itself a recorded DDL change) can.
CREATE TRIGGER transition_no_update
    BEFORE UPDATE ON fupin.transition
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.transition_append_only();
CREATE TRIGGER transition_no_delete
    BEFORE DELETE ON fupin.transition
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.transition_append_only();
CREATE TRIGGER transition_no_truncate
    BEFORE TRUNCATE ON fupin.transition
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.transition_append_only();
ALTER TABLE fupin.transition ENABLE ALWAYS TRIGGER transition_no_update;
ALTER TABLE fupin.transition ENABLE ALWAYS TRIGGER transition_no_delete;
ALTER TABLE fupin.transition ENABLE ALWAYS TRIGGER transition_no_truncate;

-- ---------------------------------------------------------------------
-- Alerts (the outbox) and extensions
-- ---------------------------------------------------------------------

CREATE TABLE fupin.alert (
	alert_id	bigserial PRIMARY KEY,
	-- deadline/village/level: a replay or a second daemon collides here
	alert_key	text NOT NULL UNIQUE CHECK (alert_key <> ''),
	kind		text NOT NULL CHECK (kind IN ('reminder', 'overdue',
	    'escalation', 'digest')),
	level		int NOT NULL DEFAULT 0 CHECK (level >= 0),
	campaign_id	text NOT NULL REFERENCES fupin.campaign,
	deadline_id	text,
	village_id	text REFERENCES fupin.village,
	due		timestamptz,
	fire_at		timestamptz NOT NULL,
	households	text[] NOT NULL DEFAULT '{}',
	count		int NOT NULL DEFAULT 0 CHECK (count >= 0),
	recipients	text[] NOT NULL DEFAULT '{}',
	late		boolean NOT NULL DEFAULT false,
	late_seconds	bigint NOT NULL DEFAULT 0 CHECK (late_seconds >= 0),
	text_zh		text NOT NULL,
	text_en		text NOT NULL DEFAULT '',
	created_at	timestamptz NOT NULL DEFAULT now(),
	delivered_at	timestamptz,
	attempts	int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at	timestamptz,
	last_error	text
);
CREATE INDEX alert_undelivered_idx ON fupin.alert (next_attempt_at, alert_id)
    WHERE delivered_at IS NULL;
COMMENT ON TABLE fupin.alert IS
    'Outbox of reminders, overdue notices and escalations; one row per alert_key, delivered by notify';

CREATE TABLE fupin.extension (
	extension_id	bigserial PRIMARY KEY,
	campaign_id	text NOT NULL,
	village_id	text NOT NULL REFERENCES fupin.village,
	deadline_id	text NOT NULL,
	until		timestamptz NOT NULL,
	reason		text NOT NULL CHECK (btrim(reason) <> ''),
	granted_by	text NOT NULL CHECK (btrim(granted_by) <> ''),
	granted_at	timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (campaign_id, deadline_id)
	    REFERENCES fupin.calendar_item (campaign_id, item_id)
);
CREATE INDEX extension_lookup_idx
    ON fupin.extension (campaign_id, village_id, deadline_id, until);
COMMENT ON TABLE fupin.extension IS
    'Deadline extensions granted by the township to a village, with the reason; the latest until wins';

-- ---------------------------------------------------------------------
-- The daemon's role
-- ---------------------------------------------------------------------

-- Roles are cluster-wide and several databases may migrate at once, so a
-- concurrent CREATE ROLE is not an error.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fupin_daemon') THEN
		CREATE ROLE fupin_daemon NOLOGIN;
	END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
	NULL;
END
$$;

-- The daemon's login role is made a member of fupin_daemon.  It reads and
-- writes data, may not delete, and may only append to the audit trail.
-- The GRANTs are a second line: the triggers above are the real guarantee,
-- since they also bind the owner and superusers.  Later migrations grant
-- on their own new tables explicitly.
GRANT USAGE ON SCHEMA fupin TO fupin_daemon;
GRANT SELECT, INSERT, UPDATE ON
    fupin.campaign, fupin.calendar_item, fupin.village, fupin.villager_group,
    fupin.household, fupin.member, fupin.workflow_instance, fupin.alert,
    fupin.extension
    TO fupin_daemon;
GRANT SELECT, INSERT ON fupin.transition TO fupin_daemon;
GRANT SELECT ON fupin.state_count TO fupin_daemon;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA fupin TO fupin_daemon;
REVOKE UPDATE, DELETE, TRUNCATE ON fupin.transition FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION fupin.state_count_add(text, text, text, text, bigint),
    fupin.state_count_rebuild() FROM PUBLIC;

-- schema_migration belongs to fupind --migrate, which creates it before
-- this file runs; psql -f on a bare database has none.
DO $$
BEGIN
	IF to_regclass('fupin.schema_migration') IS NOT NULL THEN
		GRANT SELECT ON fupin.schema_migration TO fupin_daemon;
	END IF;
END
$$;
