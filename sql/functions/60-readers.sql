-- 60-readers.sql: The readers: HOUSEHOLD, STATUS, OVERDUE, CALENDAR, ALERTS.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

-- ---------------------------------------------------------------------
-- Reading: HOUSEHOLD, STATUS, OVERDUE, CALENDAR
--
-- The readers are plpgsql returning one query, not SQL functions: plpgsql
-- keeps the plan for the session, where an SQL function is planned again
-- at every call (HOUSEHOLD: 1.2 ms -> 0.15 ms).
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION fupin.household_info(c text, id text,
    now_at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT jsonb_build_object('ok', true,
    'household', to_jsonb(h) - 'updated_at' - 'imported_in',
    'village_name', vl.name,
    'members', coalesce((SELECT jsonb_agg(jsonb_build_object('person_id',
	m.person_id, 'name', m.name, 'relation', m.relation, 'birth_date',
	m.birth_date, 'removed', m.removed, 'change', m.change,
	'change_reason', m.change_reason, 'change_date', m.change_date) ORDER BY
	m.person_id) FROM fupin.member m WHERE m.household_id = h.household_id),
	'[]'),
    'workflows', coalesce((SELECT jsonb_agg(jsonb_build_object(
	'workflow', wi.workflow, 'subject', nullif(wi.subject, ''),
	'state', wi.state, 'since', wi.entered_at,
	'deadline', sr.leave_by,
	'due', fupin.village_due(c, wi.village_id, sr.leave_by),
	'overdue', NOT wi.closed AND sr.leave_by IS NOT NULL AND
	    fupin.village_due(c, wi.village_id, sr.leave_by) <= now_at,
	'late_for', CASE WHEN wi.closed THEN '[]'::jsonb ELSE
	    coalesce((SELECT jsonb_agg(o.d ORDER BY o.pos) FROM
	    unnest(sr.owes) WITH ORDINALITY o(d, pos)
	    WHERE fupin.village_due(c, wi.village_id, o.d) <= now_at), '[]')
	    END,
	'party', sr.party)
	ORDER BY wi.workflow, wi.subject)
	FROM fupin.workflow_instance wi
	LEFT JOIN fupin.state_rule sr USING (campaign_id, workflow, state)
	WHERE wi.campaign_id = c AND wi.household_id = h.household_id), '[]'),
    'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
	'at', t.at, 'workflow', t.workflow, 'event', t.event,
	'from', t.from_state, 'to', t.to_state, 'actor', t.actor,
	'role', t.role, 'note', t.note, 'detail', t.detail)
	ORDER BY t.transition_id)
	FROM fupin.household_history(h.household_id) t), '[]'))
FROM fupin.household h
JOIN fupin.village vl USING (village_id)
WHERE h.household_id = id
	);
END
$$;

-- Per village: households per workflow and state from the counters (no
-- scan of households). An instance is late for every deadline its state
-- owes (state_rule.owes), so the figures per deadline come from the
-- counters of the states that owe it: `overdue` counts late instances
-- once, `overdue_by_deadline` under each deadline missed; after the lock,
-- `unfinished_at_lock` counts what only data entry could have moved (the
-- township's exception list).
CREATE OR REPLACE FUNCTION fupin.status(c text, vfilter text,
    now_at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
WITH v AS (
	SELECT village_id, name FROM fupin.village
	WHERE vfilter IS NULL OR village_id = vfilter
), counts AS (
	SELECT sc.village_id, sc.workflow, sc.state, sc.n, sr.owes,
	    coalesce(sr.stops_at_lock, false) AS stops
	FROM fupin.state_count sc
	JOIN v USING (village_id)
	LEFT JOIN fupin.state_rule sr ON sr.campaign_id = sc.campaign_id AND
	    sr.workflow = sc.workflow AND sr.state = sc.state
	WHERE sc.campaign_id = c AND sc.n > 0
), owed AS (
	SELECT k.village_id, k.workflow, k.state, k.n, o.deadline_id,
	    fupin.village_due(c, k.village_id, o.deadline_id) AS due
	FROM counts k, unnest(k.owes) AS o(deadline_id)
), late AS (
	SELECT village_id, workflow, state, max(n) AS n
	FROM owed WHERE due <= now_at
	GROUP BY village_id, workflow, state
), lock AS (
	SELECT lock_at FROM fupin.campaign WHERE campaign_id = c
)
SELECT jsonb_build_object('ok', true, 'villages', coalesce(jsonb_agg(
    jsonb_build_object('village', v.village_id, 'name', v.name,
	'workflows', coalesce((SELECT jsonb_object_agg(w.workflow, w.states)
	    FROM (SELECT workflow, jsonb_object_agg(state, n) AS states
		  FROM counts WHERE counts.village_id = v.village_id
		  GROUP BY workflow) w), '{}'),
	'overdue', coalesce((SELECT sum(n) FROM late
	    WHERE late.village_id = v.village_id), 0),
	'overdue_by_deadline', coalesce((SELECT jsonb_object_agg(x.deadline_id,
	    x.n) FROM (SELECT deadline_id, sum(n) AS n FROM owed
	    WHERE owed.village_id = v.village_id AND due <= now_at
	    GROUP BY deadline_id) x), '{}'),
	'next_deadline', (SELECT jsonb_build_object('id', owed.deadline_id,
	    'due', owed.due, 'due_text', fupin.day_text(owed.due, true, fupin.campaign_year(c)),
	    'households', sum(n))
	    FROM owed WHERE owed.village_id = v.village_id
	    AND due > now_at GROUP BY owed.deadline_id, owed.due
	    ORDER BY owed.due LIMIT 1),
	'unfinished_at_lock', CASE WHEN now_at >= (SELECT lock_at FROM lock)
	    THEN coalesce((SELECT sum(n) FROM counts WHERE
	    counts.village_id = v.village_id AND counts.stops), 0) END,
	'extensions', coalesce((SELECT jsonb_agg(jsonb_build_object(
	    'deadline', e.deadline_id, 'until', e.until,
	    'until_text', fupin.day_text(e.until, true, fupin.campaign_year(c)), 'reason', e.reason,
	    'granted_by', e.granted_by) ORDER BY e.extension_id)
	    FROM fupin.extension e WHERE e.campaign_id = c AND
	    e.village_id = v.village_id AND e.until > now_at), '[]'))
    ORDER BY v.village_id), '[]'))
FROM v
	);
END
$$;

-- STATUS with, per village, what fires next (see fupin.next_alert); for
-- one village named, also how many of its households probably should
-- have a procedure and have none (fupin.candidates, 65-candidates.sql: a
-- look at its households, so not for the all-villages answer, which
-- reads only the counters).
-- Every village's problem figures (found, verified, corrected, rechecked,
-- dismissed, left: fupin.problem_figures, one pass over the problems)
-- ride along, and the township's beside the villages.
CREATE OR REPLACE FUNCTION fupin.status(c text, vfilter text,
    now_at timestamptz, p jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT coalesce(fupin.unknown_village(vfilter), jsonb_set(s, '{villages}',
    coalesce((SELECT jsonb_agg(e || jsonb_build_object('next_alert',
	fupin.next_alert(c, e->>'village', now_at, p)) ||
	CASE WHEN vfilter IS NOT NULL THEN jsonb_build_object('candidates',
	    (SELECT jsonb_build_object('count', k->'count') || (k->'counts')
	    FROM fupin.candidates(c, vfilter, 0) k)) ELSE '{}' END ||
	jsonb_build_object('problems', pf->'villages'->(e->>'village'))
	ORDER BY ord)
	FROM jsonb_array_elements(s->'villages') WITH ORDINALITY AS x(e, ord)),
	'[]')) || jsonb_build_object('problems', pf->'total'))
FROM fupin.status(c, vfilter, now_at) AS s,
    fupin.problem_figures_json(c, vfilter) AS pf
	);
END
$$;

-- One item per instance and deadline missed: a household still in draft
-- after stage 4 is listed under stages 2, 3 and 4 (late_since: the first
-- of them, on the later items). count: the items; instances: how many
-- instances are late at all.
CREATE OR REPLACE FUNCTION fupin.overdue(c text, vfilter text,
    now_at timestamptz, max_rows int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT coalesce(fupin.unknown_village(vfilter), jsonb_build_object('ok', true,
    'count', (SELECT count(*) FROM fupin.instance_due d
	WHERE d.campaign_id = c AND d.due <= now_at AND
	(vfilter IS NULL OR d.village_id = vfilter)),
    'instances', (SELECT count(DISTINCT d.instance_id) FROM fupin.instance_due d
	WHERE d.campaign_id = c AND d.due <= now_at AND
	(vfilter IS NULL OR d.village_id = vfilter)),
    'items', (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.due, x.village,
	x.household, x.workflow), '[]')
FROM (SELECT d.household_id AS household, d.village_id AS village,
	d.workflow, nullif(d.subject, '') AS subject, d.state,
	d.deadline_id AS deadline, d.due, d.extended_until,
	fupin.day_text(d.due, true, fupin.campaign_year(c)) AS due_text, d.late_since, d.party,
	d.stops_at_lock AND now_at >= cp.lock_at AS locked
      FROM fupin.instance_due d
      JOIN fupin.campaign cp USING (campaign_id)
      WHERE d.campaign_id = c AND d.due <= now_at AND
	(vfilter IS NULL OR d.village_id = vfilter)
      ORDER BY d.due, d.village_id, d.household_id, d.workflow
      LIMIT max_rows) x)))
	);
END
$$;

-- Calendar items with their status at now_at. A stage or task past due is
-- "overdue" while any instance that had to leave a state by it has not,
-- else "closed".
CREATE OR REPLACE FUNCTION fupin.calendar(c text, now_at timestamptz,
    due_soon interval)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT jsonb_build_object('ok', true, 'now', now_at, 'items',
    coalesce(jsonb_agg(jsonb_build_object('id', ci.item_id, 'kind', ci.kind,
	'title', ci.title_zh, 'title_en', ci.title_en, 'opens', ci.opens,
	'due', ci.due, 'due_text', fupin.day_text(ci.due, true, fupin.campaign_year(c)),
	'status',
	CASE WHEN ci.opens IS NOT NULL AND now_at < ci.opens THEN 'upcoming'
	     WHEN now_at < ci.due - due_soon THEN 'open'
	     WHEN now_at < ci.due THEN 'due_soon'
	     WHEN ci.kind IN ('stage', 'task') AND EXISTS (SELECT 1
		FROM fupin.instance_due d WHERE d.campaign_id = c AND
		d.deadline_id = ci.item_id AND d.due <= now_at) THEN 'overdue'
	     ELSE 'closed' END) ORDER BY ci.due, ci.item_id), '[]'))
FROM fupin.calendar_item ci
WHERE ci.campaign_id = c
	);
END
$$;

-- What fires next for a village, when, and to whom: the earliest reminder,
-- overdue notice or escalation still ahead among the deadlines it has
-- open work on, for the party that must act. p: the sweep's alert
-- settings (reminders, parties).
CREATE OR REPLACE FUNCTION fupin.next_alert(c text, v text,
    now_at timestamptz, p jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
WITH pend AS (
	SELECT DISTINCT o.deadline_id, sr.party,
	    fupin.village_due(c, v, o.deadline_id) AS due
	FROM fupin.state_count sc
	JOIN fupin.state_rule sr ON sr.campaign_id = sc.campaign_id AND
	    sr.workflow = sc.workflow AND sr.state = sc.state
	CROSS JOIN LATERAL unnest(sr.owes) AS o(deadline_id)
	WHERE sc.campaign_id = c AND sc.village_id = v AND sc.n > 0
), cand AS (
	SELECT deadline_id, party, 'reminder' AS kind, 0 AS level,
	    fupin.reminder_at(c, due, r) AS at,
	    p->'parties'->party->'reminder' AS recipients
	FROM pend, jsonb_array_elements(p->'reminders') r
	UNION ALL
	SELECT deadline_id, party, 'overdue', 0, due,
	    p->'parties'->party->'overdue'
	FROM pend
	UNION ALL
	SELECT deadline_id, party, 'escalation', (l->>'level')::int,
	    due + make_interval(secs => (l->>'delay')::double precision),
	    l->'recipients'
	FROM pend, jsonb_array_elements(p->'parties'->party->'ladder') l
)
SELECT jsonb_build_object('kind', kind, 'level', level, 'deadline',
    deadline_id, 'party', party, 'at', at, 'recipients', recipients)
FROM cand WHERE at > now_at
ORDER BY at, level
LIMIT 1
	);
END
$$;

-- The alert as the notify command and ALERTS show it.
CREATE OR REPLACE FUNCTION fupin.alert_json(a fupin.alert, lang text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
SELECT jsonb_build_object('id', a.alert_id, 'kind', a.kind, 'level', a.level,
    'deadline', a.deadline_id, 'title', a.title, 'due', a.due,
    'fire_at', a.fire_at, 'village', a.village_id,
    'village_name', (SELECT name FROM fupin.village v
	WHERE v.village_id = a.village_id),
    'households', to_jsonb(a.households), 'count', a.count,
    'recipients', to_jsonb(a.recipients),
    'party', CASE WHEN a.kind = 'exception' THEN 'township'
	ELSE fupin.alert_party(a.alert_key) END,
    'due_text', fupin.day_text(a.due, lang <> 'en',
	fupin.campaign_year(a.campaign_id)), 'late', a.late,
    'late_seconds', a.late_seconds,
    'text', CASE WHEN lang = 'en' THEN a.text_en ELSE a.text_zh END,
    'delivered_at', a.delivered_at, 'attempts', a.attempts)
$$;

CREATE OR REPLACE FUNCTION fupin.alerts(vfilter text, n int, lang text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT jsonb_build_object('ok', true, 'items',
    coalesce(jsonb_agg(fupin.alert_json(x, lang) ORDER BY x.alert_id DESC),
    '[]'))
FROM (SELECT * FROM fupin.alert a
      WHERE vfilter IS NULL OR a.village_id = vfilter
      ORDER BY a.alert_id DESC LIMIT n) x
	);
END
$$;
