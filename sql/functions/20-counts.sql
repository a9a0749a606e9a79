-- 20-counts.sql: The per-(village, workflow, state) counters behind STATUS,
-- kept by triggers on fupin.workflow_instance.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

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

REVOKE EXECUTE ON FUNCTION fupin.state_count_add(text, text, text, text, bigint),
    fupin.state_count_rebuild() FROM PUBLIC;

-- SECURITY DEFINER: fupin_daemon may read the counters but not write them.
-- Every ADVANCE that moves an instance runs this, so it writes the two
-- counter rows itself (one statement each, as a rule) rather than through
-- fupin.state_count_add, whose SET search_path each call would save and
-- restore again.
CREATE OR REPLACE FUNCTION fupin.state_count_trigger()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	up boolean;
	left_n bigint;
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM fupin.state_count_add(NEW.campaign_id, NEW.village_id,
		    NEW.workflow, NEW.state, 1);
		RETURN NULL;
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM fupin.state_count_add(OLD.campaign_id, OLD.village_id,
		    OLD.workflow, OLD.state, -1);
		RETURN NULL;
	ELSIF (OLD.campaign_id, OLD.village_id, OLD.workflow, OLD.state) IS
	    NOT DISTINCT FROM
	    (NEW.campaign_id, NEW.village_id, NEW.workflow, NEW.state) THEN
		RETURN NULL;
	END IF;
	-- Touch the two counter rows in key order, so that two
	-- transactions moving instances in opposite directions cannot
	-- deadlock on them.
	up := (OLD.campaign_id, OLD.village_id, OLD.workflow, OLD.state) <
	    (NEW.campaign_id, NEW.village_id, NEW.workflow, NEW.state);
	FOR pass IN 1 .. 2 LOOP
		IF up = (pass = 1) THEN
			UPDATE fupin.state_count SET n = n - 1
			WHERE campaign_id = OLD.campaign_id AND
			    village_id = OLD.village_id AND
			    workflow = OLD.workflow AND state = OLD.state
			RETURNING n INTO left_n;
			IF left_n = 0 THEN
				DELETE FROM fupin.state_count
				WHERE campaign_id = OLD.campaign_id AND
				    village_id = OLD.village_id AND
				    workflow = OLD.workflow AND state = OLD.state AND
				    n = 0;
			END IF;
		ELSE
			INSERT INTO fupin.state_count AS sc
			    (campaign_id, village_id, workflow, state, n)
			VALUES (NEW.campaign_id, NEW.village_id, NEW.workflow,
			    NEW.state, 1)
			ON CONFLICT (campaign_id, village_id, workflow, state)
			DO UPDATE SET n = sc.n + excluded.n;
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;

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

-- Inserts and deletes are counted per statement, one counter row per
-- (village, workflow, state) they touch, so that creating a million
-- procedures in one statement costs one aggregate, not a million counter
-- updates; groups in key order, so that two bulk statements cannot
-- deadlock on the counters.  Updates (every ADVANCE) stay per row: one
-- row moves, and a transition table would cost it more than it saves.
CREATE OR REPLACE FUNCTION fupin.state_count_statement()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		-- One statement, not one call per counter row: this runs
		-- for every ADVANCE that creates a procedure.
		INSERT INTO fupin.state_count AS sc
		    (campaign_id, village_id, workflow, state, n)
		SELECT campaign_id, village_id, workflow, state, count(*)
		FROM new_rows
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
		ON CONFLICT (campaign_id, village_id, workflow, state)
		DO UPDATE SET n = sc.n + excluded.n;
	ELSE
		PERFORM fupin.state_count_add(campaign_id, village_id,
		    workflow, state, -n)
		FROM (SELECT campaign_id, village_id, workflow, state,
			count(*) AS n FROM old_rows
		    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) g;
	END IF;
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS workflow_instance_count ON fupin.workflow_instance;
CREATE OR REPLACE TRIGGER workflow_instance_count_update
    AFTER UPDATE OF campaign_id, village_id, workflow, state
    ON fupin.workflow_instance
    FOR EACH ROW EXECUTE FUNCTION fupin.state_count_trigger();
CREATE OR REPLACE TRIGGER workflow_instance_count_insert
    AFTER INSERT ON fupin.workflow_instance
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.state_count_statement();
CREATE OR REPLACE TRIGGER workflow_instance_count_delete
    AFTER DELETE ON fupin.workflow_instance
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.state_count_statement();

CREATE OR REPLACE TRIGGER workflow_instance_count_truncate
    AFTER TRUNCATE ON fupin.workflow_instance
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.state_count_truncate();
