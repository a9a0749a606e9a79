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
    'household', to_jsonb(h) - 'updated_at',
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
	    fupin.village_due(c, wi.village_id, sr.leave_by) <= now_at)
	ORDER BY wi.workflow, wi.subject)
	FROM fupin.workflow_instance wi
	LEFT JOIN fupin.state_rule sr USING (campaign_id, workflow, state)
	WHERE wi.campaign_id = c AND wi.household_id = h.household_id), '[]'),
    'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
	'at', t.at, 'workflow', t.workflow, 'event', t.event,
	'from', t.from_state, 'to', t.to_state, 'actor', t.actor,
	'role', t.role, 'note', t.note, 'detail', t.detail)
	ORDER BY t.transition_id)
	FROM fupin.transition t WHERE t.household_id = h.household_id), '[]'))
FROM fupin.household h
JOIN fupin.village vl USING (village_id)
WHERE h.household_id = id
	);
END
$$;

-- Per village: households per workflow and state from the counters (no
-- scan of households), overdue instances from the counters of late
-- states, the next deadline still ahead for the village.
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
	SELECT sc.village_id, sc.workflow, sc.state, sc.n, sr.leave_by,
	    CASE WHEN sr.leave_by IS NOT NULL THEN
		fupin.village_due(c, sc.village_id, sr.leave_by) END AS due
	FROM fupin.state_count sc
	JOIN v USING (village_id)
	LEFT JOIN fupin.state_rule sr ON sr.campaign_id = sc.campaign_id AND
	    sr.workflow = sc.workflow AND sr.state = sc.state
	WHERE sc.campaign_id = c AND sc.n > 0
)
SELECT jsonb_build_object('ok', true, 'villages', coalesce(jsonb_agg(
    jsonb_build_object('village', v.village_id, 'name', v.name,
	'workflows', coalesce((SELECT jsonb_object_agg(w.workflow, w.states)
	    FROM (SELECT workflow, jsonb_object_agg(state, n) AS states
		  FROM counts WHERE counts.village_id = v.village_id
		  GROUP BY workflow) w), '{}'),
	'overdue', coalesce((SELECT sum(n) FROM counts
	    WHERE counts.village_id = v.village_id AND due <= now_at), 0),
	'next_deadline', (SELECT jsonb_build_object('id', counts.leave_by,
	    'due', counts.due, 'households', sum(n))
	    FROM counts WHERE counts.village_id = v.village_id
	    AND due > now_at GROUP BY counts.leave_by, counts.due
	    ORDER BY counts.due LIMIT 1),
	'extensions', coalesce((SELECT jsonb_agg(jsonb_build_object(
	    'deadline', e.deadline_id, 'until', e.until, 'reason', e.reason,
	    'granted_by', e.granted_by) ORDER BY e.extension_id)
	    FROM fupin.extension e WHERE e.campaign_id = c AND
	    e.village_id = v.village_id AND e.until > now_at), '[]'))
    ORDER BY v.village_id), '[]'))
FROM v
	);
END
$$;

-- STATUS with, per village, what fires next (see fupin.next_alert).
CREATE OR REPLACE FUNCTION fupin.status(c text, vfilter text,
    now_at timestamptz, p jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT coalesce(fupin.unknown_village(vfilter), jsonb_set(s, '{villages}',
    coalesce((SELECT jsonb_agg(e || jsonb_build_object('next_alert',
	fupin.next_alert(c, e->>'village', now_at, p)) ORDER BY ord)
	FROM jsonb_array_elements(s->'villages') WITH ORDINALITY AS x(e, ord)),
	'[]')))
FROM fupin.status(c, vfilter, now_at) AS s
	);
END
$$;

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
    'items', (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.due, x.village,
	x.household, x.workflow), '[]')
FROM (SELECT d.household_id AS household, d.village_id AS village,
	d.workflow, nullif(d.subject, '') AS subject, d.state,
	d.deadline_id AS deadline, d.due, d.extended_until
      FROM fupin.instance_due d
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
	'due', ci.due, 'status',
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
-- open work on. p: the sweep's alert settings (reminders, ladder,
-- recipients_reminder, recipients_overdue).
CREATE OR REPLACE FUNCTION fupin.next_alert(c text, v text,
    now_at timestamptz, p jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
WITH pend AS (
	SELECT DISTINCT sr.leave_by AS deadline_id,
	    fupin.village_due(c, v, sr.leave_by) AS due
	FROM fupin.state_count sc
	JOIN fupin.state_rule sr ON sr.campaign_id = sc.campaign_id AND
	    sr.workflow = sc.workflow AND sr.state = sc.state
	WHERE sc.campaign_id = c AND sc.village_id = v AND sc.n > 0 AND
	    sr.leave_by IS NOT NULL
), cand AS (
	SELECT deadline_id, 'reminder' AS kind, 0 AS level,
	    fupin.reminder_at(c, due, r) AS at,
	    p->'recipients_reminder' AS recipients
	FROM pend, jsonb_array_elements(p->'reminders') r
	UNION ALL
	SELECT deadline_id, 'overdue', 0, due, p->'recipients_overdue'
	FROM pend
	UNION ALL
	SELECT deadline_id, 'escalation', (l->>'level')::int,
	    due + make_interval(secs => (l->>'delay')::double precision),
	    l->'recipients'
	FROM pend, jsonb_array_elements(p->'ladder') l
)
SELECT jsonb_build_object('kind', kind, 'level', level, 'deadline',
    deadline_id, 'at', at, 'recipients', recipients)
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
    'recipients', to_jsonb(a.recipients), 'late', a.late,
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
