-- 25-audit.sql: The audit trail (fupin.transition) is append-only: its
-- triggers refuse UPDATE, DELETE and TRUNCATE, even for the owner.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

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
CREATE OR REPLACE TRIGGER transition_no_update
    BEFORE UPDATE ON fupin.transition
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.transition_append_only();
CREATE OR REPLACE TRIGGER transition_no_delete
    BEFORE DELETE ON fupin.transition
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.transition_append_only();
CREATE OR REPLACE TRIGGER transition_no_truncate
    BEFORE TRUNCATE ON fupin.transition
    FOR EACH STATEMENT EXECUTE FUNCTION fupin.transition_append_only();
ALTER TABLE fupin.transition ENABLE ALWAYS TRIGGER transition_no_update;
ALTER TABLE fupin.transition ENABLE ALWAYS TRIGGER transition_no_delete;
ALTER TABLE fupin.transition ENABLE ALWAYS TRIGGER transition_no_truncate;

-- A household's audit trail, as rows of fupin.transition: its own rows,
-- and, for a household an import brought, the row of that import's batch
-- (household.imported_in, 013_import_batch_audit.sql) with detail the
-- household's image as imported, as if the batch had written it a row of
-- its own. Who changed a field and when: the last of these rows whose
-- detail names the field.
CREATE OR REPLACE FUNCTION fupin.household_history(id text)
RETURNS SETOF fupin.transition
LANGUAGE sql STABLE
AS $$
SELECT t.* FROM fupin.transition t WHERE t.household_id = id
UNION ALL
SELECT b.transition_id, b.instance_id, b.campaign_id, h.household_id,
    i.image->>'village_id', b.workflow, b.event, b.from_state, b.to_state,
    b.actor, b.role, b.at, b.recorded_at, b.note, i.image
FROM fupin.household h
JOIN fupin.transition b ON b.transition_id = h.imported_in
-- {"columns": [names], "households": {id: [values]}}: the household's
-- values under their names, nulls left out
CROSS JOIN LATERAL (SELECT jsonb_object_agg(c.name, v.value) AS image
	FROM jsonb_array_elements_text(b.detail->'columns')
	    WITH ORDINALITY AS c(name, n)
	JOIN jsonb_array_elements(b.detail->'households'->h.household_id)
	    WITH ORDINALITY AS v(value, n) USING (n)
	WHERE v.value <> 'null') AS i
WHERE h.household_id = id
$$;
