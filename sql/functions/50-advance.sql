-- 50-advance.sql: ADVANCE: one transition, its guards and its audit row in
-- one statement.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

-- p: {campaign, workflow, scope ("household" | "village"), target (a
--     household or village id), subject (member/problem id, or ""), event,
--     entries: {from_state: {to, guards: [..], note: bool, data_entry: bool,
--               allowed: bool, roles: "who may", opens_at}}
--       (one entry per state the event may be sent in; "" for the entry
--        that creates the instance),
--     lock_at, applies_to: [categories] or null, actor, role, village (the
--     caller's own village for the village role, else null), note, now,
--     min_days: {state: days}, final: [states], relapse_reasons,
--     marginal_risks, monitoring_risks, reason_titles: {code: title},
--     conflicts: [{workflow, except: [states]}] (procedures this one
--       contradicts: refused when the household is in one of them),
--     detail: optional object merged into the audit row's detail}
-- An entry may carry effects: [{when: [categories], category, year,
-- clears_problem}]: the first whose `when` holds (empty: any) sets the
-- household's category and dates `year` with the campaign year; every
-- one with clears_problem closes the problem the instance carries. Both
-- in this transaction, recorded in the audit row's detail (register,
-- problem_cleared).
--
-- What a request costs is mostly its statements (each one an executor
-- start-up, its triggers and foreign-key checks), so the usual ADVANCE
-- runs few of its own: the household (or village), its instance (locked)
-- and, when the event creates the instance, the first procedure it
-- contradicts, one query each. Its writes (the new or moved instance and
-- the audit row) wait in fupin.advance_group and go with the rest of the
-- group's in one statement (fupin.advance_write); a request alone, the
-- group's last with nothing waiting, a village task and an entry with
-- effects on the register write at once (one statement for the instance
-- and its audit row). Loops over the request's arrays count through them
-- instead of querying them, and the campaign row is read once per group.
CREATE OR REPLACE FUNCTION fupin.advance(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	cp fupin.campaign;
BEGIN
	SELECT * INTO cp FROM fupin.campaign WHERE campaign_id = p->>'campaign';
	RETURN (fupin.advance_one(p, cp, false)).answer;
END
$$;

-- fupin.advance with the campaign row already read (a row of NULLs when
-- there is none); called by fupin.advance and fupin.advance_group only.
-- With defer, a request whose entry has no effects writes nothing: write
-- says what fupin.advance_write is to write for it (answer assumes it
-- will be written).
DROP FUNCTION IF EXISTS fupin.advance_one(jsonb, fupin.campaign);
CREATE OR REPLACE FUNCTION fupin.advance_one(p jsonb, cp fupin.campaign,
    defer boolean, OUT answer jsonb, OUT write jsonb)
LANGUAGE plpgsql
AS $$
DECLARE
	c text := p->>'campaign';
	wf text := p->>'workflow';
	ev text := p->>'event';
	target text := p->>'target';
	subj text := coalesce(p->>'subject', '');
	now_at timestamptz := (p->>'now')::timestamptz;
	note text := nullif(btrim(coalesce(p->>'note', '')), '');
	h fupin.household;
	wi fupin.workflow_instance;
	e jsonb;
	v text;
	from_state text;
	to_state text;
	g text;
	failed jsonb;
	list jsonb;
	i int;
	ef jsonb;
	other fupin.workflow_instance;
	h2 fupin.household;
	register jsonb;
	cleared bigint;
	detail jsonb;
	created bigint;
BEGIN
	IF cp.campaign_id IS NULL THEN
		answer := fupin.refuse('unavailable', format('campaign %s is not '
		    'loaded in the database yet', c));
		RETURN;
	END IF;
	IF p->>'scope' = 'village' THEN
		SELECT village_id INTO v FROM fupin.village WHERE village_id = target;
		IF v IS NULL AND p->>'village' IS NULL THEN
			answer := fupin.refuse('unknown', format('no village %s', target));
			RETURN;
		END IF;
	ELSE
		SELECT * INTO h FROM fupin.household WHERE household_id = target;
		IF h.household_id IS NULL AND p->>'village' IS NULL THEN
			answer := fupin.refuse('unknown', format('no household %s',
			    target));
			RETURN;
		END IF;
		v := h.village_id;
	END IF;
	-- A village learns nothing of the others: another village's
	-- household and a missing one get the same answer.
	IF p->>'village' IS NOT NULL AND v IS DISTINCT FROM p->>'village' THEN
		answer := fupin.refuse('forbidden', format('no %s %s in your village '
		    '%s', p->>'scope', target, p->>'village'));
		RETURN;
	END IF;
	-- The instance, locked: of two clients firing at once, the second
	-- waits here and then sees the state the first left. When there is
	-- none yet, the first procedure of the household that this one
	-- contradicts (campaign.conf conflicts: a household is not proposed
	-- for exit while it is being included).
	IF p->>'scope' = 'village' THEN
		SELECT * INTO wi FROM fupin.workflow_instance x
		WHERE x.campaign_id = c AND x.workflow = wf AND
		    x.household_id IS NULL AND x.village_id = v AND x.subject = subj
		FOR UPDATE;
	ELSE
		SELECT * INTO wi FROM fupin.workflow_instance x
		WHERE x.campaign_id = c AND x.workflow = wf AND
		    x.household_id = target AND x.subject = subj
		FOR UPDATE;
		IF wi.instance_id IS NULL AND
		    jsonb_array_length(coalesce(p->'conflicts', '[]')) > 0 THEN
			SELECT o.* INTO other FROM jsonb_array_elements(
			    p->'conflicts') WITH ORDINALITY k(cf, n)
			JOIN fupin.workflow_instance o ON o.campaign_id = c AND
			    o.workflow = k.cf->>'workflow' AND
			    o.household_id = h.household_id AND
			    NOT (coalesce(k.cf->'except', '[]') ? o.state)
			ORDER BY k.n, o.instance_id LIMIT 1;
		END IF;
	END IF;

	from_state := wi.state;
	e := p->'entries'->coalesce(from_state, '');
	IF e IS NULL THEN
		IF wi.instance_id IS NULL THEN
			answer := fupin.refuse('state', format('%s has no %s procedure '
			    'yet; %s cannot be its first event', target, wf, ev),
			    jsonb_build_object('state', null));
			RETURN;
		END IF;
		-- Village tasks open by themselves (fupin.open_village_tasks):
		-- an old script's `open` changes nothing and says so.
		IF p->>'scope' = 'village' AND p->'entries' ? '' THEN
			answer := jsonb_build_object('ok', true, 'target', target,
			    'village', v, 'workflow', wf, 'event', ev, 'from',
			    from_state, 'to', from_state, 'at', wi.entered_at,
			    'already', true, 'message', format('%s of %s is '
			    'already open (%s since %s)', wf, target, from_state,
			    to_char(wi.entered_at AT TIME ZONE 'Asia/Shanghai',
			    'YYYY-MM-DD HH24:MI')));
			RETURN;
		END IF;
		answer := fupin.refuse('state', format('%s is not allowed in state '
		    '%s (%s of %s)', ev, from_state, wf, target),
		    jsonb_build_object('state', from_state));
		RETURN;
	END IF;
	to_state := e->>'to';
	IF NOT coalesce((e->>'allowed')::boolean, false) THEN
		answer := fupin.refuse('forbidden', format('%s in state %s is for %s; '
		    'you are %s', ev, coalesce(from_state, '(new)'), e->>'roles',
		    p->>'role'));
		RETURN;
	END IF;
	IF coalesce((e->>'data_entry')::boolean, false) AND
	    p->>'lock_at' IS NOT NULL AND
	    now_at >= (p->>'lock_at')::timestamptz THEN
		answer := fupin.refuse('locked', format('data entry closed at %s; '
		    '%s %s is data entry',
		    to_char((p->>'lock_at')::timestamptz, 'YYYY-MM-DD HH24:MI'),
		    wf, ev), jsonb_build_object('lock_at', p->'lock_at'));
		RETURN;
	END IF;
	IF e->>'opens_at' IS NOT NULL AND
	    now_at < (e->>'opens_at')::timestamptz THEN
		answer := fupin.refuse('state', format('%s %s is not allowed before %s',
		    wf, ev, to_char((e->>'opens_at')::timestamptz,
		    'YYYY-MM-DD HH24:MI')));
		RETURN;
	END IF;
	IF wi.instance_id IS NULL AND h.household_id IS NOT NULL AND
	    jsonb_typeof(p->'applies_to') = 'array' AND
	    NOT (p->'applies_to' ? h.category) THEN
		answer := fupin.refuse('guard', format('%s applies to %s households; '
		    '%s is %s', wf, (SELECT string_agg(x, ', ')
		    FROM jsonb_array_elements_text(p->'applies_to') x),
		    target, h.category), jsonb_build_object('rule',
		    'applies_to', 'category', h.category));
		RETURN;
	END IF;
	IF other.instance_id IS NOT NULL THEN
		answer := fupin.refuse('conflict', format('%s is in the %s '
		    'procedure (%s since %s): %s and %s contradict each '
		    'other', target, other.workflow, other.state,
		    to_char(other.entered_at AT TIME ZONE 'Asia/Shanghai',
		    'YYYY-MM-DD'), wf, other.workflow),
		    jsonb_build_object('rule', 'conflict', 'workflow',
		    other.workflow, 'state', other.state));
		RETURN;
	END IF;
	IF coalesce((e->>'note')::boolean, false) AND note IS NULL THEN
		answer := fupin.refuse('guard', format('%s needs a note saying why',
		    ev), jsonb_build_object('rule', 'note'));
		RETURN;
	END IF;
	list := coalesce(e->'guards', '[]');
	FOR i IN 0 .. jsonb_array_length(list) - 1 LOOP
		g := list->>i;
		failed := fupin.guard_check(g, h, wi, cp, p);
		IF failed IS NOT NULL THEN
			answer := fupin.refuse('guard', failed->>'message', failed);
			RETURN;
		END IF;
	END LOOP;

	-- The effects need the new instance first: a request that finds
	-- it created by a concurrent one since it looked changes nothing.
	IF h.household_id IS NOT NULL THEN
		list := coalesce(e->'effects', '[]');
	ELSE
		list := '[]';
	END IF;
	IF wi.instance_id IS NULL AND jsonb_array_length(list) > 0 THEN
		INSERT INTO fupin.workflow_instance (campaign_id, workflow,
		    household_id, village_id, subject, state, entered_at, closed)
		VALUES (c, wf, h.household_id, v, subj, to_state, now_at,
		    p->'final' ? to_state)
		ON CONFLICT DO NOTHING
		RETURNING * INTO wi;
		IF wi.instance_id IS NULL THEN
			-- Created by a concurrent request since we looked.
			answer := fupin.refuse('state', format('%s already has a %s '
			    'procedure', target, wf));
			RETURN;
		END IF;
	END IF;

	-- The register follows the procedure (effects of the workflow file).
	FOR i IN 0 .. jsonb_array_length(list) - 1 LOOP
		ef := list->i;
		CONTINUE WHEN jsonb_array_length(coalesce(ef->'when', '[]')) > 0
		    AND NOT (ef->'when' ? h.category);
		IF coalesce((ef->>'clears_problem')::boolean, false) AND
		    subj ~ '^[0-9]+$' THEN
			UPDATE fupin.problem SET cleared_at = now_at
			WHERE problem_id = subj::bigint AND
			    household_id = h.household_id AND cleared_at IS NULL
			RETURNING problem_id INTO cleared;
		END IF;
		CONTINUE WHEN register IS NOT NULL OR
		    NOT (ef ? 'category' OR ef ? 'year');
		UPDATE fupin.household x SET
		    category = coalesce(ef->>'category', x.category),
		    identified_year = CASE ef->>'year'
			WHEN 'identified_year' THEN cp.year
			ELSE x.identified_year END,
		    lifted_year = CASE ef->>'year'
			WHEN 'lifted_year' THEN cp.year ELSE x.lifted_year END,
		    relapse_year = CASE ef->>'year'
			WHEN 'relapse_year' THEN cp.year ELSE x.relapse_year END,
		    updated_at = now()
		WHERE x.household_id = h.household_id
		RETURNING * INTO h2;
		register := fupin.import_diff(to_jsonb(h) - 'updated_at',
		    to_jsonb(h2) - 'updated_at');
	END LOOP;

	detail := nullif(CASE WHEN subj <> '' THEN jsonb_build_object('subject',
	    subj) ELSE '{}' END || CASE jsonb_typeof(p->'detail') WHEN 'object'
	    THEN p->'detail' ELSE '{}' END || CASE WHEN register IS NOT NULL AND
	    register <> '{}' THEN jsonb_build_object('register', register)
	    ELSE '{}' END || CASE WHEN cleared IS NOT NULL THEN
	    jsonb_build_object('problem_cleared', cleared) ELSE '{}' END,
	    '{}');
	IF defer AND jsonb_array_length(list) = 0 THEN
		-- For fupin.advance_write, with the rest of the group's.
		write := jsonb_build_object('op', CASE WHEN wi.instance_id IS NULL
		    THEN 'create' ELSE 'move' END, 'instance_id',
		    wi.instance_id, 'campaign_id', c, 'workflow', wf,
		    'household_id', h.household_id, 'village_id', v, 'subject',
		    subj, 'state', to_state, 'entered_at', now_at, 'closed',
		    p->'final' ? to_state, 'event', ev, 'from_state', from_state,
		    'actor', p->>'actor', 'role', p->>'role', 'note', note,
		    'detail', detail);
	ELSIF wi.instance_id IS NULL THEN
		-- The instance and its audit row, in one statement.
		WITH n AS (
			INSERT INTO fupin.workflow_instance (campaign_id, workflow,
			    household_id, village_id, subject, state, entered_at,
			    closed)
			VALUES (c, wf, h.household_id, v, subj, to_state, now_at,
			    p->'final' ? to_state)
			ON CONFLICT DO NOTHING
			RETURNING instance_id)
		INSERT INTO fupin.transition (instance_id, campaign_id,
		    household_id, village_id, workflow, event, from_state,
		    to_state, actor, role, at, note, detail)
		SELECT n.instance_id, c, h.household_id, v, wf, ev, from_state,
		    to_state, p->>'actor', p->>'role', now_at, note, detail
		FROM n
		RETURNING instance_id INTO created;
		IF created IS NULL THEN
			-- Created by a concurrent request since we looked.
			answer := fupin.refuse('state', format('%s already has a %s '
			    'procedure', target, wf));
			RETURN;
		END IF;
	ELSIF from_state IS NULL THEN
		-- Created above, before its effects.
		INSERT INTO fupin.transition (instance_id, campaign_id,
		    household_id, village_id, workflow, event, from_state,
		    to_state, actor, role, at, note, detail)
		VALUES (wi.instance_id, c, h.household_id, v, wf, ev, from_state,
		    to_state, p->>'actor', p->>'role', now_at, note, detail);
	ELSE
		WITH n AS (
			UPDATE fupin.workflow_instance SET state = to_state,
			    entered_at = now_at, version = version + 1,
			    closed = p->'final' ? to_state
			WHERE instance_id = wi.instance_id
			RETURNING instance_id)
		INSERT INTO fupin.transition (instance_id, campaign_id,
		    household_id, village_id, workflow, event, from_state,
		    to_state, actor, role, at, note, detail)
		SELECT n.instance_id, c, h.household_id, v, wf, ev, from_state,
		    to_state, p->>'actor', p->>'role', now_at, note, detail
		FROM n;
	END IF;

	-- No NOTIFY here: it takes a database-wide lock at commit, so every
	-- ADVANCE would flush its commit alone (measured: 1,241 commits/s
	-- with it, 2,818/s without, 8 clients).  Whoever follows changes
	-- reads fupin.transition past the last transition_id it saw.

	answer := jsonb_build_object('ok', true, 'target', target, 'village',
	    v, 'workflow', wf, 'event', ev, 'from', from_state, 'to', to_state,
	    'at', now_at) || CASE WHEN register IS NOT NULL AND register <> '{}'
	    THEN jsonb_build_object('register', register) ELSE '{}' END;
END
$$;

-- Writes what fupin.advance_one deferred (write: its write objects, each
-- with k, the request's place in the group), in one
-- statement: the new instances in the requests' order, the moved ones,
-- then the audit rows in the requests' order. Returns the k of each new
-- instance that a concurrent request created first (its audit row is not
-- written), or NULL.
CREATE OR REPLACE FUNCTION fupin.advance_write(write jsonb[])
RETURNS int[]
LANGUAGE plpgsql
AS $$
DECLARE
	lost int[];
BEGIN
	WITH x AS MATERIALIZED (
		SELECT x.* FROM unnest(write) w, jsonb_to_record(w) AS x(k int,
		    op text, instance_id bigint, campaign_id text, workflow text,
		    household_id text, village_id text, subject text, state text,
		    entered_at timestamptz, closed boolean, event text,
		    from_state text, actor text, role text, note text,
		    detail jsonb)),
	created AS (
		INSERT INTO fupin.workflow_instance (campaign_id, workflow,
		    household_id, village_id, subject, state, entered_at, closed)
		SELECT x.campaign_id, x.workflow, x.household_id, x.village_id,
		    x.subject, x.state, x.entered_at, x.closed
		FROM x WHERE x.op = 'create' ORDER BY x.k
		ON CONFLICT DO NOTHING
		RETURNING instance_id, campaign_id, workflow, household_id,
		    village_id, subject),
	y AS (
		SELECT x.*, coalesce(x.instance_id, n.instance_id) AS id
		FROM x LEFT JOIN created n ON x.op = 'create' AND
		    n.campaign_id = x.campaign_id AND n.workflow = x.workflow AND
		    n.household_id IS NOT DISTINCT FROM x.household_id AND
		    n.village_id = x.village_id AND n.subject = x.subject),
	moved AS (
		UPDATE fupin.workflow_instance wi SET state = x.state,
		    entered_at = x.entered_at, version = wi.version + 1,
		    closed = x.closed
		FROM x WHERE x.op = 'move' AND wi.instance_id = x.instance_id
		RETURNING wi.instance_id),
	audited AS (
		INSERT INTO fupin.transition (instance_id, campaign_id,
		    household_id, village_id, workflow, event, from_state,
		    to_state, actor, role, at, note, detail)
		SELECT y.id, y.campaign_id, y.household_id, y.village_id,
		    y.workflow, y.event, y.from_state, y.state, y.actor, y.role,
		    y.entered_at, y.note, y.detail
		FROM y WHERE y.id IS NOT NULL ORDER BY y.k
		RETURNING transition_id)
	SELECT array_agg(y.k ORDER BY y.k) INTO lost FROM y WHERE y.id IS NULL;
	RETURN lost;
END
$$;

REVOKE EXECUTE ON FUNCTION fupin.advance_one(jsonb, fupin.campaign, boolean),
    fupin.advance_write(jsonb[]) FROM PUBLIC;

-- ADVANCE requests grouped by fupind into one statement and one commit
-- (engine.c, "ADVANCE in groups"): common holds what every request of the
-- campaign shares (campaign, lock_at, the reason and risk lists, their
-- titles), items one object per request with the rest of fupin.advance's
-- parameter. One answer per item, in the items' order, each with its
-- workflow for the daemon's refusal texts. The requests are applied in
-- that order, so two for one household keep the order they came in. Any
-- error rolls the whole group back; fupind then sends its requests one by
-- one.
CREATE OR REPLACE FUNCTION fupin.advance_group(common jsonb, items jsonb)
RETURNS TABLE (n int, answer text)
LANGUAGE plpgsql
AS $$
DECLARE
	p jsonb;
	cp fupin.campaign;
	k int;
	r record;
	answers jsonb[];
	pending jsonb[] := '{}';
	targets text[] := '{}';
	alone boolean;
	lost int[];
	len int := jsonb_array_length(items);
BEGIN
	-- The campaign row, once for the group (an item may name another).
	SELECT * INTO cp FROM fupin.campaign
	WHERE campaign_id = common->>'campaign';
	FOR k IN 0 .. len LOOP
		IF k < len THEN
			p := common || (items->k);
			IF p->>'campaign' IS DISTINCT FROM cp.campaign_id THEN
				SELECT * INTO cp FROM fupin.campaign
				WHERE campaign_id = p->>'campaign';
			END IF;
			alone := p->>'scope' IS NOT DISTINCT FROM 'village' OR
			    coalesce(jsonb_path_exists(p->'entries',
			    '$.*.effects[*]'), false);
		END IF;
		-- A request sees the writes of those before it: the pending
		-- ones go first when it is for a household one of them
		-- changes, and before a request that writes at once (a village
		-- task, an entry with effects on the register), so that the
		-- audit rows keep the requests' order; and at the end.
		IF cardinality(pending) > 0 AND (k = len OR alone OR
		    p->>'target' = ANY (targets)) THEN
			lost := fupin.advance_write(pending);
			FOR i IN 1 .. coalesce(array_length(lost, 1), 0) LOOP
				-- Created by a concurrent request since it looked.
				answers[lost[i] + 1] := fupin.refuse('state',
				    format('%s already has a %s procedure',
				    (common || (items->lost[i]))->>'target',
				    (common || (items->lost[i]))->>'workflow'));
			END LOOP;
			pending := '{}';
			targets := '{}';
		END IF;
		EXIT WHEN k = len;
		-- The last request writes at once when nothing waits: one
		-- request alone costs less through the direct statements.
		r := fupin.advance_one(p, cp, NOT alone AND
		    (k < len - 1 OR cardinality(pending) > 0));
		answers[k + 1] := r.answer;
		IF r.write IS NOT NULL THEN
			pending := pending || (r.write || jsonb_build_object('k', k));
			targets := targets || (p->>'target');
		END IF;
	END LOOP;
	FOR k IN 0 .. len - 1 LOOP
		n := k + 1;
		answer := (answers[k + 1] || jsonb_build_object('workflow',
		    items->k->>'workflow'))::text;
		RETURN NEXT;
	END LOOP;
END
$$;
