-- 99-access.sql: who may call what (the access model of 009_roles.sql).
--
-- fupin_daemon reads every table and writes none: each change it makes,
-- down to an alert's delivery marks (alert_claim, alert_record), is a call
-- of one of the functions below, which run as their owner (SECURITY
-- DEFINER), the role that ran fupind --migrate. Imports go through fupind
-- too (IMPORT on the status socket, sql/functions/80-import.sql), so
-- fupin_import, the group of the direct-connection importer of old, is
-- granted nothing: it is kept (009_roles.sql made it, and a database may
-- have logins in it) but no longer needed. The audit trail is therefore
-- append-only by privilege: only these functions write it, and only the
-- owner may alter its triggers.
--
-- Applied last, after every topic file: CREATE OR REPLACE FUNCTION resets
-- a function to SECURITY INVOKER, so the marks are set again here on each
-- run. A function that writes and is called by the daemon must be named
-- here (test_roles fails on a volatile function that is not). Each one runs with search_path = pg_catalog, pg_temp and names
-- every object of the schema in full.
--
-- Re-applied by fupind --migrate (see sql/README.md): idempotent.

-- fupin_import calls nothing now; a database upgraded from the direct
-- importer loses what it was granted.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fupin FROM fupin_import;

DO $$
DECLARE
	callers CONSTANT jsonb := '{
	    "fupin_daemon": ["sync_campaign", "sync_calendar_days", "advance",
		"advance_group", "member_change", "sweep", "extend",
		"alert_claim", "alert_record", "analyze", "import_open",
		"import_rows", "import_commit", "import_discard",
		"import_expire"]
	}';
	grantee text;
	fname text;
	f regprocedure;
	found_one boolean;
BEGIN
	FOR grantee IN SELECT jsonb_object_keys(callers) LOOP
		FOR fname IN SELECT jsonb_array_elements_text(callers -> grantee)
		LOOP
			found_one := false;
			FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
			    WHERE p.pronamespace = 'fupin'::regnamespace
			    AND p.proname = fname
			LOOP
				EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER '
				    'SET search_path = pg_catalog, pg_temp', f);
				EXECUTE format('REVOKE EXECUTE ON FUNCTION %s '
				    'FROM PUBLIC', f);
				EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I',
				    f, grantee);
				found_one := true;
			END LOOP;
			IF NOT found_one THEN
				RAISE EXCEPTION '99-access.sql: no function fupin.%', fname;
			END IF;
		END LOOP;
	END LOOP;
END
$$;
