-- 009_roles.sql: one access model.
--
-- Three parties, three roles:
--   the owner      the login that runs fupind --migrate. It owns the schema,
--                  the tables and the functions; only it may alter a table,
--                  disable a trigger or replace a function.
--   fupin_daemon   NOLOGIN group of the daemon's login (CREATE ROLE fupin
--                  LOGIN IN ROLE fupin_daemon). It reads every table and
--                  writes nothing directly: every change goes through a
--                  function the owner defined (SECURITY DEFINER, granted in
--                  sql/functions/99-access.sql). So the audit trail is
--                  append-only for the daemon by privilege, not only by
--                  trigger.
--   fupin_import   NOLOGIN group of whoever loads the register with
--                  fupinctl import. It may call the import functions and
--                  nothing else; it reads no table.
--
-- The one direct write left to the daemon: the delivery columns of the
-- outbox (notify.c marks an alert delivered or failed).
--
-- Later migrations grant fupin_daemon SELECT on their own new tables; the
-- writes belong to functions.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fupin_import') THEN
		CREATE ROLE fupin_import NOLOGIN;
	END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
	NULL;
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA fupin FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA fupin FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA fupin FROM fupin_daemon;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA fupin FROM fupin_daemon;
GRANT SELECT ON ALL TABLES IN SCHEMA fupin TO fupin_daemon;
GRANT UPDATE (delivered_at, claimed_until, last_error, next_attempt_at)
    ON fupin.alert TO fupin_daemon;

-- The schema: the daemon and the importer may look up its objects; neither
-- may create one (PostgreSQL 15 gives PUBLIC no CREATE on a new schema).
REVOKE ALL ON SCHEMA fupin FROM PUBLIC;
GRANT USAGE ON SCHEMA fupin TO fupin_daemon, fupin_import;
