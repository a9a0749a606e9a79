-- 95-pages.sql: what the web pages read (daemon/web.c), one statement a
-- page, as jsonb: the village page from the readers of STATUS, OVERDUE,
-- CALENDAR, ALERTS and PROBLEMS plus its households per procedure and
-- step; the township board from the report's functions (90-report.sql).
--
-- Re-applied by fupind --migrate (see sql/README.md): only CREATE OR
-- REPLACE and GRANT here.

-- A village's page: p is STATUS's alert settings (fupin.next_alert), lang
-- the alerts' language; at most max_rows households and overdue rows.
CREATE OR REPLACE FUNCTION fupin.page_village(c text, v text,
    now_at timestamptz, p jsonb, lang text, max_rows int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT coalesce(fupin.unknown_village(v), jsonb_build_object('ok', true,
    'now', now_at,
    'village', (SELECT jsonb_build_object('id', vl.village_id, 'name',
	vl.name, 'township', vl.township) FROM fupin.village vl
	WHERE vl.village_id = v),
    'status', fupin.status(c, v, now_at, p)->'villages'->0,
    'calendar', fupin.calendar(c, now_at, '3 days')->'items',
    'steps', (SELECT coalesce(jsonb_agg(jsonb_build_object(
	'workflow', s.workflow, 'state', s.state, 'title', s.title,
	'final', s.final, 'deadline', s.leave_by, 'due', s.due,
	'count', s.n, 'households', s.households)
	ORDER BY s.workflow, s.final, s.due NULLS LAST, s.state), '[]')
	FROM (SELECT wi.workflow, wi.state, coalesce(sr.title, wi.state)
		AS title, coalesce(sr.final, false) AS final, sr.leave_by,
		fupin.village_due(c, v, sr.leave_by) AS due, count(*) AS n,
		jsonb_agg(jsonb_build_object('id', coalesce(wi.household_id,
		    ''), 'subject', nullif(wi.subject, ''), 'name',
		    h.head_name, 'since', wi.entered_at)
		    ORDER BY wi.household_id, wi.subject)
		    FILTER (WHERE wi.rn <= max_rows) AS households
	      FROM (SELECT x.*, row_number() OVER (ORDER BY x.household_id,
			x.workflow, x.subject) AS rn
		    FROM fupin.workflow_instance x
		    WHERE x.campaign_id = c AND x.village_id = v) wi
	      LEFT JOIN fupin.household h USING (household_id)
	      LEFT JOIN fupin.state_rule sr ON sr.campaign_id = c AND
		  sr.workflow = wi.workflow AND sr.state = wi.state
	      GROUP BY wi.workflow, wi.state, sr.title, sr.final,
		  sr.leave_by) s),
    'overdue', (SELECT coalesce(jsonb_agg(jsonb_build_object(
	'household', d.household_id, 'name', h.head_name, 'workflow',
	d.workflow, 'subject', nullif(d.subject, ''), 'state', d.state,
	'state_title', coalesce(sr.title, d.state), 'deadline',
	d.deadline_id, 'deadline_title', ci.title_zh, 'due', d.due,
	'days', floor(extract(epoch FROM now_at - d.due) / 86400)::int,
	'extended_until', d.extended_until)
	ORDER BY d.due, d.household_id, d.workflow), '[]')
	FROM (SELECT * FROM fupin.instance_due x WHERE x.campaign_id = c
	      AND x.village_id = v AND x.due <= now_at
	      ORDER BY x.due, x.household_id, x.workflow LIMIT max_rows) d
	LEFT JOIN fupin.household h USING (household_id)
	JOIN fupin.calendar_item ci ON ci.campaign_id = c
	    AND ci.item_id = d.deadline_id
	LEFT JOIN fupin.state_rule sr ON sr.campaign_id = c
	    AND sr.workflow = d.workflow AND sr.state = d.state),
    'overdue_count', (SELECT count(*) FROM fupin.instance_due x
	WHERE x.campaign_id = c AND x.village_id = v AND x.due <= now_at),
    'alerts', fupin.alerts(v, 50, lang)->'items',
    'problems', fupin.problems(c, v, max_rows)))
	);
END
$$;

-- The township board: fupinctl report's figures (90-report.sql) at now_at,
-- villages ranked as ctl/report.c ranks them (overdue weighs most, then
-- the share of late steps, then escalations), most behind first.
CREATE OR REPLACE FUNCTION fupin.page_township(c text, now_at timestamptz,
    max_rows int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
WITH ob AS (
	SELECT * FROM fupin.report_obligations(c, now_at)
), vsum AS (
	SELECT rv.*, coalesce(sum(ob.on_time), 0) AS on_time,
	    coalesce(sum(ob.late), 0) AS late,
	    coalesce(sum(ob.overdue), 0) AS overdue,
	    coalesce(sum(ob.pending), 0) AS pending,
	    coalesce(sum(ob.instances), 0) AS instances
	FROM fupin.report_villages(c) rv
	LEFT JOIN ob USING (village_id)
	GROUP BY rv.village_id, rv.name, rv.households, rv.exited,
	    rv.escalations, rv.notices, rv.extensions
), ranked AS (
	SELECT vsum.*, overdue * 1000.0 + CASE WHEN on_time + late > 0 THEN
	    100.0 * late / (on_time + late) ELSE 0 END * 10.0 + escalations
	    AS score,
	    CASE WHEN overdue > 0 OR notices > 0 OR late * 10 > on_time + late
		THEN 'red' WHEN late > 0 OR escalations > 0 THEN 'amber'
		ELSE 'green' END AS level
	FROM vsum
)
SELECT jsonb_build_object('ok', true, 'now', now_at,
    'township', (SELECT township FROM fupin.report_basics(c)),
    'calendar', fupin.calendar(c, now_at, '3 days')->'items',
    'deadlines', (SELECT coalesce(jsonb_agg(jsonb_build_object('id',
	rc.item_id, 'title', rc.title, 'due', to_timestamp(rc.due))
	ORDER BY rc.due, rc.item_id), '[]')
	FROM fupin.report_calendar(c, now_at) rc WHERE rc.is_deadline),
    'villages', (SELECT coalesce(jsonb_agg(jsonb_build_object(
	'id', r.village_id, 'name', r.name, 'households', r.households,
	'exited', r.exited, 'escalations', r.escalations, 'notices',
	r.notices, 'extensions', r.extensions, 'on_time', r.on_time,
	'late', r.late, 'overdue', r.overdue, 'pending', r.pending,
	'instances', r.instances, 'level', r.level,
	'deadlines', (SELECT coalesce(jsonb_object_agg(ob.deadline_id,
	    jsonb_build_object('instances', ob.instances, 'on_time',
	    ob.on_time, 'late', ob.late, 'overdue', ob.overdue, 'pending',
	    ob.pending)), '{}') FROM ob WHERE ob.village_id = r.village_id))
	ORDER BY r.score DESC, r.village_id), '[]') FROM ranked r),
    'overdue', (SELECT coalesce(jsonb_agg(to_jsonb(o)), '[]')
	FROM fupin.report_overdue(c, now_at, max_rows) o),
    'overdue_count', (SELECT count(*) FROM fupin.instance_due d
	WHERE d.campaign_id = c AND d.due <= now_at),
    'escalations', (SELECT coalesce(jsonb_agg(jsonb_build_object(
	'fire_at', a.fire_at, 'level', a.level, 'village', a.village_id,
	'village_name', vl.name, 'deadline', a.deadline_id, 'count',
	a.count, 'text', a.text_zh, 'recipients', to_jsonb(a.recipients))
	ORDER BY a.fire_at DESC, a.alert_id DESC), '[]')
	FROM (SELECT * FROM fupin.alert x WHERE x.campaign_id = c
	      AND x.kind = 'escalation'
	      ORDER BY x.fire_at DESC, x.alert_id DESC LIMIT max_rows) a
	LEFT JOIN fupin.village vl USING (village_id)),
    'alerts', (SELECT to_jsonb(ac) FROM fupin.report_alert_counts(c) ac),
    'problems', (SELECT coalesce(jsonb_agg(jsonb_build_object('village',
	pv.village_id, 'name', vl.name, 'found', pv.found, 'open', pv.open,
	'cleared', pv.cleared) ORDER BY pv.village_id), '[]')
	FROM (SELECT pr.village_id, count(*) AS found,
		count(*) FILTER (WHERE pr.cleared_at IS NULL AND
		    coalesce(wi.state, '') NOT IN ('rechecked',
		    'dismissed')) AS open,
		count(*) FILTER (WHERE pr.cleared_at IS NOT NULL OR
		    wi.state IN ('rechecked', 'dismissed')) AS cleared
	      FROM fupin.problem pr
	      LEFT JOIN fupin.workflow_instance wi
		  ON wi.campaign_id = pr.campaign_id
		  AND wi.workflow = 'rectify'
		  AND wi.household_id = pr.household_id
		  AND wi.subject = pr.problem_id::text
	      WHERE pr.campaign_id = c GROUP BY pr.village_id) pv
	JOIN fupin.village vl USING (village_id)))
	);
END
$$;

GRANT EXECUTE ON FUNCTION fupin.page_village(text, text, timestamptz, jsonb,
    text, int), fupin.page_township(text, timestamptz, int) TO fupin_daemon;
