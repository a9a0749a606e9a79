-- 99-access.sql: who may call what (the access model of 009_roles.sql).
--
-- fupin_daemon reads every table and writes none: each change it makes,
-- down to an alert's delivery marks (alert_claim, alert_record), is a call
-- of one of the functions below, which run as their owner (SECURITY DEFINER), the role
-- that ran fupind --migrate. fupin_import likewise may only call the
-- import functions. The audit trail is therefore append-only for both by
-- privilege: only these functions write it, and only the owner may alter
-- its triggers.
--
-- Applied last, after every topic file: CREATE OR REPLACE FUNCTION resets
-- a function to SECURITY INVOKER, so the marks are set again here on each
-- run. A function that writes and is called by the daemon or by fupinctl
-- import must be named here (test_roles fails on a volatile function that
-- is not). Each one runs with search_path = pg_catalog, pg_temp and names
-- every object of the schema in full.
--
-- Re-applied by fupind --migrate (see sql/README.md): idempotent.

DO $$
DECLARE
	callers CONSTANT jsonb := '{
	    "fupin_daemon": ["sync_campaign", "sync_calendar_days", "advance",
		"advance_group", "member_change", "sweep", "extend",
		"alert_claim", "alert_record", "analyze"],
	    "fupin_import": ["import_begin", "open_village_tasks",
		"import_stage", "import_villages_check",
		"import_villages", "import_households_check",
		"import_households", "import_members_check", "import_members"]
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
