-- 70-sweep.sql: Deadlines: the sweep that writes reminders, overdue notices,
-- escalations and digests into the outbox; EXTEND; the delivery lease.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

-- p: {campaign, now, caught_up_at (alerts that fell due before it fired
--     late: the daemon or its database was down), reminders: [{secs} or
--     {wd}: before the due moment, in seconds or in working days],
--     ladder: [{level, delay (seconds), recipients: [..]}], digest_at
--     ("08:00"), recipients_reminder: [..], recipients_overdue: [..]}
-- Returns {created, ids: [...], next_at}.
CREATE OR REPLACE FUNCTION fupin.sweep(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	c text := p->>'campaign';
	now_at timestamptz := (p->>'now')::timestamptz;
	caught timestamptz := coalesce((p->>'caught_up_at')::timestamptz,
	    '-infinity');
	digest_time time := coalesce(p->>'digest_at', '08:00')::time;
	-- the latest digest moment at or before now
	digest_last timestamptz := (CASE WHEN
	    (now_at AT TIME ZONE 'Asia/Shanghai')::time >= digest_time
	    THEN (now_at AT TIME ZONE 'Asia/Shanghai')::date
	    ELSE (now_at AT TIME ZONE 'Asia/Shanghai')::date - 1 END +
	    digest_time) AT TIME ZONE 'Asia/Shanghai';
	ids bigint[];
	next_at timestamptz;
BEGIN
	INSERT INTO fupin.daemon_state AS s (campaign_id, last_now)
	VALUES (c, now_at)
	ON CONFLICT (campaign_id) DO UPDATE SET
	    last_now = greatest(s.last_now, excluded.last_now),
	    updated_at = now();

	-- Cheap first: which alerts are due by now and not yet in the outbox,
	-- from one hash aggregate per (deadline, village). Only for those
	-- (none, in most sweeps) are the households listed, so a sweep of a
	-- large register costs one pass over its open instances.
	WITH inst AS MATERIALIZED (
		SELECT d.deadline_id, d.village_id, d.due, d.household_id,
		    d.entered_at
		FROM fupin.instance_due d
		WHERE d.campaign_id = c
	), grp AS (
		SELECT i.deadline_id, i.village_id, i.due,
		    min(i.entered_at) AS first_at
		FROM inst i
		GROUP BY i.deadline_id, i.village_id, i.due
	), cand AS (
		-- Reminders only before their deadline (one after it would
		-- announce a due moment already past: overdue says it then);
		-- like digests they cover the work open at their moment.
		SELECT g.deadline_id, g.village_id, g.due, g.first_at,
		    'reminder'::text AS kind, 0 AS level,
		    CASE WHEN r ? 'wd' THEN 'w' || (r->>'wd')
			ELSE 'r' || (r->>'secs') END AS step,
		    fupin.reminder_at(c, g.due, r) AS fire_at,
		    ARRAY(SELECT jsonb_array_elements_text(
			p->'recipients_reminder')) AS recipients,
		    true AS scoped
		FROM grp g, jsonb_array_elements(p->'reminders') AS r
		WHERE now_at < g.due
		UNION ALL
		SELECT g.deadline_id, g.village_id, g.due, g.first_at,
		    'overdue', 0, 'o', g.due,
		    ARRAY(SELECT jsonb_array_elements_text(
			p->'recipients_overdue')), false
		FROM grp g
		UNION ALL
		SELECT g.deadline_id, g.village_id, g.due, g.first_at,
		    'escalation', (l->>'level')::int, 'e' || (l->>'level'),
		    g.due + make_interval(secs =>
			(l->>'delay')::double precision),
		    ARRAY(SELECT jsonb_array_elements_text(l->'recipients')),
		    false
		FROM grp g, jsonb_array_elements(p->'ladder') AS l
		UNION ALL
		-- The digest repeats daily while the work stays overdue; only
		-- the latest one is due (missed repeats are not sent late). It
		-- goes to the highest level of the ladder reached by then.
		SELECT g.deadline_id, g.village_id, g.due, g.first_at,
		    'digest', lvl.level,
		    'd' || to_char(digest_last AT TIME ZONE 'Asia/Shanghai',
			'YYYYMMDD'), digest_last, lvl.recipients, true
		FROM grp g
		CROSS JOIN LATERAL (SELECT coalesce(max((l->>'level')::int), 0)
			AS level,
		    coalesce((SELECT ARRAY(SELECT jsonb_array_elements_text(
			l2->'recipients')) FROM jsonb_array_elements(p->'ladder')
			l2 WHERE g.due + make_interval(secs =>
			(l2->>'delay')::double precision) <= digest_last
			ORDER BY (l2->>'level')::int DESC LIMIT 1),
			ARRAY(SELECT jsonb_array_elements_text(
			p->'recipients_overdue'))) AS recipients
		    FROM jsonb_array_elements(p->'ladder') l
		    WHERE g.due + make_interval(secs =>
			(l->>'delay')::double precision) <= digest_last) lvl
		WHERE digest_last > g.due + interval '1 hour'
	), todo AS (
		SELECT cand.*, k.alert_key
		FROM cand
		CROSS JOIN LATERAL (SELECT format('%s:%s:%s:%s:%s:%s', c,
		    cand.deadline_id, cand.village_id, cand.kind, cand.step,
		    extract(epoch FROM cand.due)::bigint) AS alert_key) k
		WHERE cand.fire_at <= now_at
		AND (NOT cand.scoped OR cand.first_at <= cand.fire_at)
		-- Most are there already: skip them here rather than in ON
		-- CONFLICT, which would burn a sequence value for each.
		AND NOT EXISTS (SELECT 1 FROM fupin.alert a
		    WHERE a.alert_key = k.alert_key)
	), need AS (
		-- Overdue notices and escalations list all open work; reminders
		-- and digests what was open at their moment: one aggregate per
		-- distinct cut-off, shared by the alerts that need it.
		SELECT DISTINCT t.deadline_id, t.village_id, t.due,
		    CASE WHEN t.scoped THEN t.fire_at
			ELSE 'infinity'::timestamptz END AS cutoff
		FROM todo t
	), agg AS (
		SELECT n.deadline_id, n.village_id, n.due, n.cutoff,
		    coalesce(array_agg(DISTINCT i.household_id) FILTER (WHERE
			i.household_id IS NOT NULL), '{}') AS households,
		    count(*) FILTER (WHERE i.household_id IS NULL) AS tasks
		FROM need n
		JOIN inst i ON i.deadline_id = n.deadline_id AND
		    i.village_id = n.village_id AND i.due = n.due AND
		    i.entered_at <= n.cutoff
		GROUP BY n.deadline_id, n.village_id, n.due, n.cutoff
	), moments AS (
		SELECT t.deadline_id, t.village_id, t.due, t.kind, t.level,
		    t.step, t.fire_at, t.recipients, t.alert_key, a.households,
		    a.tasks
		FROM todo t
		JOIN agg a ON a.deadline_id = t.deadline_id AND
		    a.village_id = t.village_id AND a.due = t.due AND
		    a.cutoff = CASE WHEN t.scoped THEN t.fire_at
			ELSE 'infinity'::timestamptz END
	), due_now AS (
		SELECT m.*, ci.title_zh, ci.title_en, vl.name AS village_name,
		    cardinality(m.households) + m.tasks AS n
		FROM moments m
		JOIN fupin.calendar_item ci
		    ON ci.campaign_id = c AND ci.item_id = m.deadline_id
		JOIN fupin.village vl ON vl.village_id = m.village_id
		ORDER BY m.fire_at, m.village_id, m.level
	), ins AS (
		INSERT INTO fupin.alert (alert_key, kind, level, campaign_id,
		    deadline_id, village_id, due, fire_at, households, count,
		    recipients, late, late_seconds, title, text_zh, text_en)
		SELECT d.alert_key, d.kind, d.level, c, d.deadline_id, d.village_id, d.due,
		    d.fire_at, d.households, d.n, d.recipients,
		    d.fire_at < caught,
		    CASE WHEN d.fire_at < caught THEN
			extract(epoch FROM now_at - d.fire_at)::bigint
		    ELSE 0 END,
		    d.title_zh,
		    CASE d.kind
		    WHEN 'reminder' THEN format('【提醒】%s：“%s”将于%s截止，尚有%s项未完成%s。',
			d.village_name, d.title_zh, fupin.local_text(d.due), d.n,
			CASE WHEN cardinality(d.households) > 0 THEN '（' ||
			fupin.household_list(d.households, true) || '）' ELSE '' END)
		    WHEN 'overdue' THEN format('【逾期】%s：“%s”已于%s截止，仍有%s项未完成%s，请抓紧办理。',
			d.village_name, d.title_zh, fupin.local_text(d.due), d.n,
			CASE WHEN cardinality(d.households) > 0 THEN '（' ||
			fupin.household_list(d.households, true) || '）' ELSE '' END)
		    WHEN 'escalation' THEN format('【%s】%s：“%s”截止%s，已逾期%s，仍有%s项未完成%s。',
			CASE WHEN 'city' = ANY (d.recipients) THEN '通报' ELSE '督办' END,
			d.village_name, d.title_zh, fupin.local_text(d.due),
			CASE WHEN d.fire_at - d.due >= interval '1 day' THEN
			    extract(day FROM d.fire_at - d.due) || '天'
			ELSE '' END, d.n,
			CASE WHEN cardinality(d.households) > 0 THEN '（' ||
			fupin.household_list(d.households, true) || '）' ELSE '' END)
		    ELSE format('【每日汇总】%s：“%s”截止%s，仍有%s项逾期未完成%s。',
			d.village_name, d.title_zh, fupin.local_text(d.due), d.n,
			CASE WHEN cardinality(d.households) > 0 THEN '（' ||
			fupin.household_list(d.households, true) || '）' ELSE '' END)
		    END,
		    CASE d.kind
		    WHEN 'reminder' THEN format('[Reminder] %s: "%s" is due %s; %s item(s) still open%s.',
			d.village_name, d.title_en, fupin.local_text(d.due), d.n,
			CASE WHEN cardinality(d.households) > 0 THEN ': ' ||
			fupin.household_list(d.households, false) ELSE '' END)
		    WHEN 'overdue' THEN format('[Overdue] %s: "%s" was due %s; %s item(s) still open%s.',
			d.village_name, d.title_en, fupin.local_text(d.due), d.n,
			CASE WHEN cardinality(d.households) > 0 THEN ': ' ||
			fupin.household_list(d.households, false) ELSE '' END)
		    WHEN 'escalation' THEN format('[Escalation %s to %s] %s: "%s" was due %s; %s item(s) still open%s.',
			d.level, array_to_string(d.recipients, ', '),
			d.village_name, d.title_en, fupin.local_text(d.due), d.n,
			CASE WHEN cardinality(d.households) > 0 THEN ': ' ||
			fupin.household_list(d.households, false) ELSE '' END)
		    ELSE format('[Daily digest] %s: "%s" was due %s; %s item(s) still overdue%s.',
			d.village_name, d.title_en, fupin.local_text(d.due), d.n,
			CASE WHEN cardinality(d.households) > 0 THEN ': ' ||
			fupin.household_list(d.households, false) ELSE '' END)
		    END
		FROM due_now d
		ORDER BY d.fire_at, d.village_id, d.level
		ON CONFLICT (alert_key) DO NOTHING
		RETURNING alert_id
	)
	SELECT coalesce(array_agg(alert_id ORDER BY alert_id), '{}') INTO ids
	FROM ins;

	PERFORM pg_notify('fupin_alert', x::text) FROM unnest(ids) AS x;

	-- The next moment anything can fall due, for every village whether
	-- or not it has open work now (work may be proposed later): calendar
	-- dues and extensions, minus reminders, plus the ladder; and the next
	-- digest while anything is overdue.
	WITH dues AS (
		SELECT ci.due FROM fupin.calendar_item ci
		WHERE ci.campaign_id = c AND EXISTS (SELECT 1 FROM
		    fupin.state_rule sr WHERE sr.campaign_id = c AND
		    sr.leave_by = ci.item_id)
		UNION
		SELECT e.until FROM fupin.extension e WHERE e.campaign_id = c
	), cand AS (
		SELECT fupin.reminder_at(c, dues.due, r) AS at
		FROM dues, jsonb_array_elements(p->'reminders') r
		UNION ALL
		SELECT dues.due FROM dues
		UNION ALL
		SELECT dues.due + make_interval(secs =>
		    (l->>'delay')::double precision)
		FROM dues, jsonb_array_elements(p->'ladder') l
		UNION ALL
		SELECT (((now_at AT TIME ZONE 'Asia/Shanghai')::date +
		    CASE WHEN (now_at AT TIME ZONE 'Asia/Shanghai')::time <
		    digest_time THEN 0 ELSE 1 END) + digest_time)
		    AT TIME ZONE 'Asia/Shanghai'
		WHERE EXISTS (SELECT 1 FROM fupin.instance_due d
		    WHERE d.campaign_id = c)
	)
	SELECT min(at) INTO next_at FROM cand WHERE at > now_at;

	RETURN jsonb_build_object('created', cardinality(ids), 'ids', to_jsonb(ids),
	    'next_at', next_at);
END
$$;

-- EXTEND VILLAGE DEADLINE UNTIL REASON, township role. Recorded in the
-- audit trail; honoured by fupin.village_due, hence by OVERDUE, STATUS and
-- every alert; it lapses by itself when `until` passes.
-- p: {campaign, village, deadline, until, reason, actor, role, now}
CREATE OR REPLACE FUNCTION fupin.extend(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	c text := p->>'campaign';
	ci fupin.calendar_item;
	until_at timestamptz := (p->>'until')::timestamptz;
	vname text;
BEGIN
	SELECT name INTO vname FROM fupin.village WHERE village_id = p->>'village';
	IF vname IS NULL THEN
		RETURN fupin.refuse('unknown', format('no village %s', p->>'village'));
	END IF;
	SELECT * INTO ci FROM fupin.calendar_item
	WHERE campaign_id = c AND item_id = p->>'deadline';
	IF ci.item_id IS NULL THEN
		RETURN fupin.refuse('unknown', format('no calendar item %s',
		    p->>'deadline'));
	END IF;
	IF until_at <= ci.due THEN
		RETURN fupin.refuse('usage', format('%s is due %s; an extension '
		    'must end after that', ci.item_id, fupin.local_text(ci.due)));
	END IF;
	IF nullif(btrim(coalesce(p->>'reason', '')), '') IS NULL THEN
		RETURN fupin.refuse('usage', 'an extension needs a reason');
	END IF;
	INSERT INTO fupin.extension (campaign_id, village_id, deadline_id, until,
	    reason, granted_by, granted_at)
	VALUES (c, p->>'village', ci.item_id, until_at, p->>'reason',
	    p->>'actor', (p->>'now')::timestamptz);
	INSERT INTO fupin.transition (campaign_id, village_id, event, actor, role,
	    at, note, detail)
	VALUES (c, p->>'village', 'extend', p->>'actor', p->>'role',
	    (p->>'now')::timestamptz, p->>'reason',
	    jsonb_build_object('deadline', ci.item_id, 'due', ci.due,
	    'until', until_at));
	PERFORM pg_notify('fupin_change', p->>'village');
	RETURN jsonb_build_object('ok', true, 'village', p->>'village',
	    'name', vname, 'deadline', ci.item_id, 'due', ci.due,
	    'until', until_at, 'reason', p->>'reason');
END
$$;

-- Claim up to n undelivered alerts that may be attempted now, oldest
-- first, for one notify command's length (lease seconds).
CREATE OR REPLACE FUNCTION fupin.alert_claim(who text, n int, lease int,
    lang text)
RETURNS SETOF jsonb
LANGUAGE sql
AS $$
UPDATE fupin.alert a SET attempts = a.attempts + 1, claimed_by = who,
    claimed_until = now() + make_interval(secs => lease)
WHERE a.alert_id IN (SELECT x.alert_id FROM fupin.alert x
    WHERE x.delivered_at IS NULL
    AND (x.claimed_until IS NULL OR x.claimed_until < now())
    AND (x.next_attempt_at IS NULL OR x.next_attempt_at <= now())
    ORDER BY x.fire_at, x.alert_id
    LIMIT n FOR UPDATE SKIP LOCKED)
RETURNING fupin.alert_json(a, lang)
$$;
