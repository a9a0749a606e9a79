-- 70-sweep.sql: Deadlines: the sweep that writes reminders, overdue notices,
-- escalations and digests into the outbox; EXTEND; the delivery lease.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

-- p: {campaign, now, caught_up_at (alerts that fell due before it fired
--     late: the daemon or its database was down), reminders: [{secs} or
--     {wd}: before the due moment, in seconds or in working days],
--     digest_at ("08:00"), parties: {village|township|city: {reminder:
--     [recipients], overdue: [recipients], ladder: [{level, delay
--     (seconds), recipients: [..]}]}}, exception: [recipients of the
--     exception list at the lock]}
-- Returns {created, ids: [...], next_at}.
--
-- What is late and for whom (see the README, "Lateness, responsibility and
-- the lock"):
--  * an open instance is late for every deadline its state owes
--    (instance_due: a row per deadline), so a household stuck in draft is
--    named in the overdue notices of stages 2, 3, 4 and 5;
--  * alerts are grouped per deadline, village and party (who must act to
--    leave the state: village team, township office, city) and go to that
--    party, the village team in copy; each party climbs its own ladder;
--  * ladders fold: an escalation names only the households that missed
--    this deadline first (late_since is null); one already late since an
--    earlier deadline is named in the overdue notice ("其中2户自第二阶段起已
--    逾期") but climbs only the ladder of the first deadline it missed; and
--    the daily digest is one per village and party, listing every deadline
--    still missed, not one per deadline;
--  * at the data-entry lock, work that only data entry could move
--    (state_rule.stops_at_lock) leaves every alert after the lock and is
--    reported once, on the township's exception list.
--
-- Its statements join a few aggregates whose sizes the planner cannot
-- guess (which alerts are due is known only once computed): estimated at
-- a row each, they were joined by nested loops that ran an aggregate again
-- for each row of another, and JIT compiled plans costed for millions of
-- rows that meet a few thousand. Hence hash joins only, no JIT, and room
-- for the hash aggregate that lists a village's households.
CREATE OR REPLACE FUNCTION fupin.sweep(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET enable_nestloop = off
SET jit = off
SET work_mem = '64MB'
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
	lock_at timestamptz;
	lock_id text;
	cyear int;
	ids bigint[];
	more bigint[];
	next_at timestamptz;
BEGIN
	INSERT INTO fupin.daemon_state AS s (campaign_id, last_now)
	VALUES (c, now_at)
	ON CONFLICT (campaign_id) DO UPDATE SET
	    last_now = greatest(s.last_now, excluded.last_now),
	    updated_at = now();

	SELECT cp.lock_at, cp.year INTO lock_at, cyear
	FROM fupin.campaign cp WHERE cp.campaign_id = c;
	lock_at := coalesce(lock_at, 'infinity');
	SELECT ci.item_id INTO lock_id FROM fupin.calendar_item ci
	WHERE ci.campaign_id = c AND ci.due = lock_at
	ORDER BY ci.kind = 'lock' DESC, ci.item_id LIMIT 1;

	-- 1. Reminders, overdue notices and escalations, per deadline, village
	-- and party, and 2. the daily digests, in one statement that reads the
	-- instances twice at most:
	--  * st: open work per village, workflow and state (one hash aggregate
	--    over the instances), owed: each with each deadline its state
	--    owes; a few thousand rows at a million households, where a row
	--    per instance and deadline (fupin.instance_due) would be millions.
	--    Which alerts are due by now and not yet in the outbox is decided
	--    from these alone; in most sweeps none is, and nothing else runs.
	--  * cell: for the (village, workflow, state) that a due alert lists,
	--    its households, once, however many alerts list them (the overdue
	--    notice, each escalation and the digest of one village name the
	--    same households). A cell is cut at a moment (a reminder lists
	--    what was open at its moment, a digest what was open at the digest
	--    moment) only when something entered the state after it.
	WITH st AS MATERIALIZED (
		SELECT wi.village_id, wi.workflow, wi.state,
		    min(wi.entered_at) AS first_at, max(wi.entered_at) AS last_at
		FROM fupin.workflow_instance wi
		WHERE wi.campaign_id = c AND NOT wi.closed
		GROUP BY wi.village_id, wi.workflow, wi.state
	), owed AS MATERIALIZED (
		-- as fupin.instance_due, a row per state and deadline instead of
		-- per instance and deadline
		SELECT s.village_id, s.workflow, s.state, s.first_at, s.last_at,
		    o.deadline_id, greatest(ci.due, ext.until) AS due, sr.party,
		    sr.stops_at_lock AS stops,
		    CASE WHEN o.pos > 1 THEN sr.owes[1] END AS late_since,
		    fupin.title_part(sr.title, true) AS step_zh,
		    fupin.title_part(sr.title, false) AS step_en
		FROM st s
		JOIN fupin.state_rule sr ON sr.campaign_id = c AND
		    sr.workflow = s.workflow AND sr.state = s.state
		CROSS JOIN LATERAL unnest(sr.owes) WITH ORDINALITY
		    AS o(deadline_id, pos)
		JOIN fupin.calendar_item ci
		    ON ci.campaign_id = c AND ci.item_id = o.deadline_id
		LEFT JOIN (SELECT e.village_id, e.deadline_id,
			max(e.until) AS until
		    FROM fupin.extension e WHERE e.campaign_id = c
		    GROUP BY e.village_id, e.deadline_id) ext
		    ON ext.village_id = s.village_id AND
		    ext.deadline_id = o.deadline_id
	), grp AS (
		SELECT o.deadline_id, o.village_id, o.due, o.party,
		    min(o.first_at) AS first_at,
		    min(o.first_at) FILTER (WHERE NOT o.stops) AS first_free,
		    min(o.first_at) FILTER (WHERE o.late_since IS NULL)
			AS first_new,
		    min(o.first_at) FILTER (WHERE o.late_since IS NULL AND
			NOT o.stops) AS first_new_free
		FROM owed o
		GROUP BY o.deadline_id, o.village_id, o.due, o.party
	), cand AS (
		-- Reminders only before their deadline (one after it would
		-- announce a due moment already past: overdue says it then);
		-- they cover the work open at their moment.
		SELECT g.*, 'reminder'::text AS kind, 0 AS level,
		    CASE WHEN r ? 'wd' THEN 'w' || (r->>'wd')
			ELSE 'r' || (r->>'secs') END AS step,
		    fupin.reminder_at(c, g.due, r) AS fire_at,
		    ARRAY(SELECT jsonb_array_elements_text(
			p->'parties'->g.party->'reminder')) AS recipients,
		    true AS scoped, false AS fresh
		FROM grp g, jsonb_array_elements(p->'reminders') AS r
		WHERE now_at < g.due
		UNION ALL
		SELECT g.*, 'overdue', 0, 'o', g.due,
		    ARRAY(SELECT jsonb_array_elements_text(
			p->'parties'->g.party->'overdue')), false, false
		FROM grp g
		UNION ALL
		SELECT g.*, 'escalation', (l->>'level')::int, 'e' || (l->>'level'),
		    g.due + make_interval(secs =>
			(l->>'delay')::double precision),
		    ARRAY(SELECT jsonb_array_elements_text(l->'recipients')),
		    false, true
		FROM grp g, jsonb_array_elements(p->'parties'->g.party->'ladder') AS l
	), todo AS MATERIALIZED (
		SELECT cand.*, k.alert_key, cand.fire_at >= lock_at AS after_lock,
		    CASE WHEN cand.scoped THEN cand.fire_at
			ELSE 'infinity'::timestamptz END AS cutoff
		FROM cand
		CROSS JOIN LATERAL (SELECT format('%s:%s:%s:%s:%s:%s', c,
		    cand.deadline_id, cand.village_id, cand.kind, cand.step,
		    extract(epoch FROM cand.due)::bigint) ||
		    CASE WHEN cand.party <> 'village' THEN ':' || cand.party
		    ELSE '' END AS alert_key) k
		CROSS JOIN LATERAL (SELECT CASE
		    WHEN cand.fresh AND cand.fire_at >= lock_at THEN cand.first_new_free
		    WHEN cand.fresh THEN cand.first_new
		    WHEN cand.fire_at >= lock_at THEN cand.first_free
		    ELSE cand.first_at END AS first_at) e
		WHERE cand.fire_at <= now_at
		AND e.first_at IS NOT NULL
		AND (NOT cand.scoped OR e.first_at <= cand.fire_at)
		-- Most are there already: skip them here rather than in ON
		-- CONFLICT, which would burn a sequence value for each.
		AND NOT EXISTS (SELECT 1 FROM fupin.alert a
		    WHERE a.alert_key = k.alert_key)
	), need AS (
		-- One list per distinct cut-off, shared by the alerts that
		-- need it: overdue notices and escalations list all open
		-- work, reminders what was open at their moment; escalations
		-- only what missed this deadline first; after the lock,
		-- nothing that only data entry could move.
		SELECT DISTINCT t.deadline_id, t.village_id, t.due, t.party,
		    t.cutoff, t.fresh, t.after_lock
		FROM todo t
	), need_cell AS MATERIALIZED (
		SELECT n.*, o.workflow, o.state, o.step_zh, o.step_en,
		    o.late_since,
		    CASE WHEN o.last_at <= n.cutoff THEN 'infinity'::timestamptz
			ELSE n.cutoff END AS upto
		FROM need n
		JOIN owed o ON o.deadline_id = n.deadline_id AND
		    o.village_id = n.village_id AND o.due = n.due AND
		    o.party = n.party
		WHERE o.first_at <= n.cutoff AND
		    (NOT n.fresh OR o.late_since IS NULL) AND
		    (NOT n.after_lock OR NOT o.stops)
	), dg_cell AS MATERIALIZED (
		-- The digest's: every deadline missed an hour before the digest
		-- moment, by what was open then.
		SELECT o.village_id, o.party, o.deadline_id, o.due, o.workflow,
		    o.state, o.step_zh, o.step_en,
		    CASE WHEN o.last_at <= digest_last THEN 'infinity'::timestamptz
			ELSE digest_last END AS upto
		FROM owed o
		WHERE digest_last <= now_at AND
		    o.due + interval '1 hour' < digest_last AND
		    o.first_at <= digest_last AND
		    (digest_last < lock_at OR NOT o.stops)
	), dg_todo AS MATERIALIZED (
		SELECT g.*, format('%s:%s:%s:%s:%s:%s', c, g.deadline_id,
		    g.village_id, 'digest', 'd' || to_char(digest_last AT TIME
		    ZONE 'Asia/Shanghai', 'YYYYMMDD'),
		    extract(epoch FROM g.due)::bigint) ||
		    CASE WHEN g.party <> 'village' THEN ':' || g.party
		    ELSE '' END AS alert_key
		FROM (SELECT d.village_id, d.party,
			(array_agg(d.deadline_id ORDER BY d.due,
			    d.deadline_id))[1] AS deadline_id,
			min(d.due) AS due
		    FROM dg_cell d
		    GROUP BY d.village_id, d.party) g
		WHERE NOT EXISTS (SELECT 1 FROM fupin.alert a
		    WHERE a.village_id = g.village_id AND a.kind = 'digest' AND
		    a.fire_at = digest_last AND
		    fupin.alert_party(a.alert_key) = g.party)
	), dg_need AS MATERIALIZED (
		SELECT d.* FROM dg_cell d
		JOIN dg_todo t ON t.village_id = d.village_id AND
		    t.party = d.party
	), cell_key AS MATERIALIZED (
		-- numbered, so that the instances are grouped by an integer
		SELECT row_number() OVER () AS cell_no, u.*
		FROM (SELECT n.village_id, n.workflow, n.state, n.upto
		    FROM need_cell n
		    UNION
		    SELECT d.village_id, d.workflow, d.state, d.upto
		    FROM dg_need d) u
	), cell AS MATERIALIZED (
		-- households sorted, without repeats (a household may have
		-- several instances in one state: a member change per person)
		SELECT k.cell_no, k.village_id, k.workflow, k.state, k.upto,
		    x.households, x.n, x.tasks
		FROM (SELECT k.cell_no,
			array_agg(DISTINCT wi.household_id) FILTER (WHERE
			    wi.household_id IS NOT NULL) AS households,
			count(*) AS n,
			count(*) FILTER (WHERE wi.household_id IS NULL) AS tasks
		    FROM cell_key k
		    JOIN fupin.workflow_instance wi ON wi.campaign_id = c AND
			NOT wi.closed AND wi.village_id = k.village_id AND
			wi.workflow = k.workflow AND wi.state = k.state AND
			wi.entered_at <= k.upto
		    GROUP BY k.cell_no) x
		JOIN cell_key k ON k.cell_no = x.cell_no
	), per_step AS (
		SELECT n.deadline_id, n.village_id, n.due, n.party, n.cutoff,
		    n.fresh, n.after_lock, n.step_zh, n.step_en,
		    -- the union of sorted lists; most steps have one
		    CASE WHEN count(k.households) <= 1 THEN
			coalesce(max(k.households), '{}')
		    ELSE (SELECT array_agg(DISTINCT h ORDER BY h) FROM cell kk
			CROSS JOIN LATERAL unnest(kk.households) h
			WHERE kk.cell_no = ANY (array_agg(k.cell_no))) END
			AS households,
		    array_agg(k.cell_no) FILTER (WHERE k.households IS NOT NULL)
			AS cells,
		    sum(k.tasks)::bigint AS tasks,
		    coalesce(sum(k.n) FILTER (WHERE n.late_since IS NOT NULL),
			0)::bigint AS carried,
		    min(n.late_since) AS since
		FROM need_cell n
		JOIN cell k ON k.village_id = n.village_id AND
		    k.workflow = n.workflow AND k.state = n.state AND
		    k.upto = n.upto
		GROUP BY n.deadline_id, n.village_id, n.due, n.party, n.cutoff,
		    n.fresh, n.after_lock, n.step_zh, n.step_en
	), agg AS (
		SELECT s.deadline_id, s.village_id, s.due, s.party, s.cutoff,
		    s.fresh, s.after_lock,
		    CASE WHEN count(*) FILTER (WHERE
			cardinality(s.households) > 0) <= 1 THEN
			coalesce(max(s.households) FILTER (WHERE
			cardinality(s.households) > 0), '{}')
		    ELSE (SELECT array_agg(DISTINCT h ORDER BY h) FROM cell kk
			CROSS JOIN LATERAL unnest(kk.households) h
			WHERE kk.cell_no = ANY (string_to_array(string_agg(
			    array_to_string(s.cells, ','), ','), ',')::bigint[]))
			END AS households,
		    sum(s.tasks)::int AS tasks, sum(s.carried)::int AS carried,
		    min(s.since) AS since,
		    string_agg(s.step_zh || (cardinality(s.households) +
			s.tasks) || CASE WHEN s.tasks > 0 THEN '项' ELSE '户' END
			|| CASE WHEN cardinality(s.households) > 0 THEN '（' ||
			fupin.household_list(s.households, true) || '）' ELSE ''
			END, '，' ORDER BY s.step_zh, s.step_en) AS steps_zh,
		    string_agg(s.step_en || ' ' || (cardinality(s.households) +
			s.tasks) || CASE WHEN cardinality(s.households) > 0 THEN
			' (' || fupin.household_list(s.households, false) || ')'
			ELSE '' END, '; ' ORDER BY s.step_en, s.step_zh) AS steps_en
		FROM per_step s
		GROUP BY s.deadline_id, s.village_id, s.due, s.party, s.cutoff,
		    s.fresh, s.after_lock
	), days AS MATERIALIZED (
		-- how people say each due moment, once per moment
		SELECT u.due, fupin.day_text(u.due, true, cyear) AS zh,
		    fupin.day_text(u.due, false, cyear) AS en
		FROM (SELECT t.due FROM todo t UNION
		    SELECT d.due FROM dg_need d) u
	), due_now AS (
		SELECT t.deadline_id, t.village_id, t.due, t.party, t.kind,
		    dy.zh AS day_zh, dy.en AS day_en,
		    t.level, t.fire_at, t.recipients, t.alert_key, a.households,
		    a.tasks, a.carried, a.steps_zh, a.steps_en,
		    cardinality(a.households) + a.tasks AS n,
		    ci.title_zh, ci.title_en, vl.name AS village_name,
		    (SELECT fupin.short_title(s.title_zh) FROM
			fupin.calendar_item s WHERE s.campaign_id = c AND
			s.item_id = a.since) AS since_zh,
		    (SELECT fupin.short_title(s.title_en) FROM
			fupin.calendar_item s WHERE s.campaign_id = c AND
			s.item_id = a.since) AS since_en,
		    fupin.party_name(t.party, true) AS who_zh,
		    fupin.party_name(t.party, false) AS who_en
		FROM todo t
		JOIN agg a ON a.deadline_id = t.deadline_id AND
		    a.village_id = t.village_id AND a.due = t.due AND
		    a.party = t.party AND a.cutoff = t.cutoff AND
		    a.fresh = t.fresh AND a.after_lock = t.after_lock
		JOIN fupin.calendar_item ci
		    ON ci.campaign_id = c AND ci.item_id = t.deadline_id
		JOIN fupin.village vl ON vl.village_id = t.village_id
		JOIN days dy ON dy.due = t.due
	), dg_step AS (
		-- The daily digest: one per village and party while anything
		-- is overdue (an hour past due), at the highest level of the
		-- party's ladder reached by then, listing every deadline still
		-- missed. Only the latest one is due (missed repeats are not
		-- sent late). Its key names the earliest deadline missed, as
		-- digests had one per deadline before; a digest already sent
		-- today for the village and party is not sent again when that
		-- deadline changes during the day.
		SELECT d.village_id, d.party, d.deadline_id, d.due, d.step_zh,
		    d.step_en,
		    CASE WHEN count(k.households) <= 1 THEN
			coalesce(max(k.households), '{}')
		    ELSE (SELECT array_agg(DISTINCT h ORDER BY h) FROM cell kk
			CROSS JOIN LATERAL unnest(kk.households) h
			WHERE kk.cell_no = ANY (array_agg(k.cell_no))) END
			AS households,
		    sum(k.tasks)::bigint AS tasks
		FROM dg_need d
		JOIN cell k ON k.village_id = d.village_id AND
		    k.workflow = d.workflow AND k.state = d.state AND
		    k.upto = d.upto
		GROUP BY d.village_id, d.party, d.deadline_id, d.due, d.step_zh,
		    d.step_en
	), dg_deadline AS (
		SELECT s.village_id, s.party, s.deadline_id, s.due,
		    (SELECT coalesce(max((l->>'level')::int), 0) FROM
			jsonb_array_elements(p->'parties'->s.party->'ladder') l
			WHERE s.due + make_interval(secs =>
			(l->>'delay')::double precision) <= digest_last)
			AS level,
		    format('“%s”（%s截止）%s', fupin.short_title(ci.title_zh),
			dy.zh,
			string_agg(s.step_zh || (cardinality(s.households) +
			s.tasks) || CASE WHEN s.tasks > 0 THEN '项' ELSE '户' END
			|| CASE WHEN cardinality(s.households) > 0 THEN '（' ||
			fupin.household_list(s.households, true) || '）' ELSE ''
			END, '，' ORDER BY s.step_zh, s.step_en)) AS line_zh,
		    format('"%s" (due %s): %s', fupin.short_title(ci.title_en),
			dy.en,
			string_agg(s.step_en || ' ' || (cardinality(s.households)
			+ s.tasks) || CASE WHEN cardinality(s.households) > 0
			THEN ' (' || fupin.household_list(s.households, false) ||
			')' ELSE '' END, ', ' ORDER BY s.step_en, s.step_zh)) AS line_en
		FROM dg_step s
		JOIN fupin.calendar_item ci
		    ON ci.campaign_id = c AND ci.item_id = s.deadline_id
		JOIN days dy ON dy.due = s.due
		GROUP BY s.village_id, s.party, s.deadline_id, s.due,
		    ci.title_zh, ci.title_en, dy.zh, dy.en
	), dg_group AS (
		SELECT d.village_id, d.party, max(d.level) AS level,
		    string_agg(d.line_zh, '；' ORDER BY d.due, d.deadline_id)
			AS text_zh,
		    string_agg(d.line_en, '; ' ORDER BY d.due, d.deadline_id)
			AS text_en
		FROM dg_deadline d
		GROUP BY d.village_id, d.party
	), dg_list AS (
		-- the households of every deadline, each cell once; a village
		-- task counts once, whatever it owes
		SELECT x.village_id, x.party,
		    CASE WHEN count(k.households) <= 1 THEN
			coalesce(max(k.households), '{}')
		    ELSE (SELECT array_agg(DISTINCT h ORDER BY h) FROM cell kk
			CROSS JOIN LATERAL unnest(kk.households) h
			WHERE kk.cell_no = ANY (array_agg(k.cell_no))) END
			AS households,
		    sum(k.tasks)::int AS tasks
		FROM (SELECT DISTINCT d.village_id, d.party, d.workflow,
			d.state, d.upto FROM dg_need d) x
		JOIN cell k ON k.village_id = x.village_id AND
		    k.workflow = x.workflow AND k.state = x.state AND
		    k.upto = x.upto
		GROUP BY x.village_id, x.party
	), ins AS (
		INSERT INTO fupin.alert (alert_key, kind, level, campaign_id,
		    deadline_id, village_id, due, fire_at, households, count,
		    recipients, late, late_seconds, title, text_zh, text_en)
		SELECT r.alert_key, r.kind, r.level, c, r.deadline_id,
		    r.village_id, r.due, r.fire_at, r.households, r.n,
		    r.recipients, r.fire_at < caught,
		    CASE WHEN r.fire_at < caught THEN
			extract(epoch FROM now_at - r.fire_at)::bigint
		    ELSE 0 END,
		    r.title_zh, r.text_zh, r.text_en
		FROM (
		SELECT 1 AS part, d.alert_key, d.kind, d.level, d.deadline_id,
		    d.village_id, d.party, d.due, d.fire_at, d.households, d.n,
		    d.recipients, d.title_zh,
		    CASE d.kind
		    WHEN 'reminder' THEN format('【提醒】%s：“%s”将于%s截止，%s尚未完成：%s。',
			d.village_name, d.title_zh, d.day_zh,
			d.who_zh, d.steps_zh)
		    WHEN 'overdue' THEN format('【逾期】%s：“%s”已于%s截止，%s仍未完成：%s%s。请%s抓紧办理。',
			d.village_name, d.title_zh, d.day_zh,
			d.who_zh, d.steps_zh,
			CASE WHEN d.carried > 0 THEN format('；其中%s%s自%s起已逾期',
			    d.carried, CASE WHEN cardinality(d.households) > 0
			    THEN '户' ELSE '项' END, d.since_zh) ELSE '' END,
			d.who_zh)
		    ELSE format('【%s】%s：“%s”截止%s，已逾期%s，%s仍未完成：%s。',
			CASE WHEN d.party = 'village' AND 'city' = ANY (d.recipients)
			    THEN '通报' ELSE '督办' END,
			d.village_name, d.title_zh, d.day_zh,
			CASE WHEN d.fire_at - d.due >= interval '1 day' THEN
			    extract(day FROM d.fire_at - d.due) || '天'
			ELSE '' END, d.who_zh, d.steps_zh)
		    END AS text_zh,
		    CASE d.kind
		    WHEN 'reminder' THEN format('[Reminder] %s: "%s" is due %s; still open for %s: %s.',
			d.village_name, d.title_en, d.day_en,
			d.who_en, d.steps_en)
		    WHEN 'overdue' THEN format('[Overdue] %s: "%s" was due %s; still open for %s: %s%s.',
			d.village_name, d.title_en, d.day_en,
			d.who_en, d.steps_en,
			CASE WHEN d.carried > 0 THEN format(' (%s of them late since %s)',
			    d.carried, d.since_en) ELSE '' END)
		    ELSE format('[Escalation %s to %s] %s: "%s" was due %s; still open for %s: %s.',
			d.level, array_to_string(d.recipients, ', '),
			d.village_name, d.title_en, d.day_en,
			d.who_en, d.steps_en)
		    END AS text_en
		FROM due_now d
		UNION ALL
		SELECT 2, t.alert_key, 'digest', g.level, t.deadline_id,
		    t.village_id, t.party, t.due, digest_last, l.households,
		    cardinality(l.households) + l.tasks,
		    CASE WHEN g.level > 0 THEN ARRAY(SELECT
			jsonb_array_elements_text(x->'recipients') FROM
			jsonb_array_elements(p->'parties'->t.party->'ladder') x
			WHERE (x->>'level')::int = g.level)
		    ELSE ARRAY(SELECT jsonb_array_elements_text(
			p->'parties'->t.party->'overdue')) END,
		    ci.title_zh,
		    format('【每日汇总】%s：%s仍有逾期未完成：%s。', vl.name,
			fupin.party_name(t.party, true), g.text_zh),
		    format('[Daily digest] %s: still overdue for %s: %s.',
			vl.name, fupin.party_name(t.party, false), g.text_en)
		FROM dg_todo t
		JOIN dg_group g ON g.village_id = t.village_id AND
		    g.party = t.party
		JOIN dg_list l ON l.village_id = t.village_id AND
		    l.party = t.party
		JOIN fupin.calendar_item ci
		    ON ci.campaign_id = c AND ci.item_id = t.deadline_id
		JOIN fupin.village vl ON vl.village_id = t.village_id
		) r
		-- the digests after the rest, as when they were two statements
		ORDER BY r.part, r.fire_at, r.village_id, r.party, r.level
		ON CONFLICT (alert_key) DO NOTHING
		RETURNING alert_id
	)
	SELECT coalesce(array_agg(alert_id ORDER BY alert_id), '{}') INTO ids
	FROM ins;

	-- 3. At the lock: what only data entry could have moved and is still
	-- open, once, as the township's exception list (not daily digests
	-- that nobody can act on).
	IF now_at >= lock_at AND lock_id IS NOT NULL THEN
		WITH open AS (
			SELECT wi.village_id, wi.household_id,
			    fupin.title_part(sr.title, true) AS step_zh,
			    fupin.title_part(sr.title, false) AS step_en
			FROM fupin.workflow_instance wi
			JOIN fupin.state_rule sr USING (campaign_id, workflow,
			    state)
			WHERE wi.campaign_id = c AND NOT wi.closed AND
			    sr.stops_at_lock AND wi.entered_at <= lock_at
		), per_step AS (
			SELECT o.village_id, o.step_zh, o.step_en,
			    coalesce(array_agg(DISTINCT o.household_id) FILTER
				(WHERE o.household_id IS NOT NULL), '{}') AS hh,
			    count(*) FILTER (WHERE o.household_id IS NULL)
				AS tasks
			FROM open o
			GROUP BY o.village_id, o.step_zh, o.step_en
		), per_village AS (
			SELECT s.village_id, vl.name,
			    string_agg(s.step_zh || (cardinality(s.hh) +
				s.tasks) || CASE WHEN s.tasks > 0 THEN '项'
				ELSE '户' END || CASE WHEN cardinality(s.hh) > 0
				THEN '（' || fupin.household_list(s.hh, true) ||
				'）' ELSE '' END, '，' ORDER BY s.step_zh)
				AS text_zh,
			    string_agg(s.step_en || ' ' || (cardinality(s.hh)
				+ s.tasks) || CASE WHEN cardinality(s.hh) > 0
				THEN ' (' || fupin.household_list(s.hh, false) ||
				')' ELSE '' END, ', ' ORDER BY s.step_en)
				AS text_en,
			    sum(cardinality(s.hh) + s.tasks)::int AS n
			FROM per_step s
			JOIN fupin.village vl USING (village_id)
			GROUP BY s.village_id, vl.name
		), ins AS (
			INSERT INTO fupin.alert (alert_key, kind, level,
			    campaign_id, deadline_id, village_id, due, fire_at,
			    households, count, recipients, late, late_seconds,
			    title, text_zh, text_en)
			SELECT format('%s:%s::exception:x:%s', c, lock_id,
			    extract(epoch FROM lock_at)::bigint), 'exception', 0,
			    c, lock_id, NULL, lock_at, lock_at,
			    (SELECT coalesce(array_agg(DISTINCT o.household_id
				ORDER BY o.household_id) FILTER (WHERE
				o.household_id IS NOT NULL), '{}') FROM open o),
			    (SELECT sum(n) FROM per_village),
			    ARRAY(SELECT jsonb_array_elements_text(
				p->'exception')),
			    lock_at < caught,
			    CASE WHEN lock_at < caught THEN
				extract(epoch FROM now_at - lock_at)::bigint
			    ELSE 0 END,
			    ci.title_zh,
			    format('【例外清单】%s数据录入已截止，以下%s未完成，无法再录入，请镇扶贫办核实说明：%s。',
				fupin.day_text(lock_at, true, cyear),
				(SELECT concat_ws('、', nullif(count(DISTINCT
				    o.household_id), 0) || '户', nullif(count(*)
				    FILTER (WHERE o.household_id IS NULL), 0) ||
				    '项') FROM open o),
				(SELECT string_agg(v.name || '：' || v.text_zh,
				    '；' ORDER BY v.village_id) FROM per_village v)),
			    format('[Exception list] Data entry closed %s; %s item(s) were left unfinished and can no longer be entered: %s.',
				fupin.day_text(lock_at, false, cyear),
				(SELECT sum(n) FROM per_village),
				(SELECT string_agg(v.name || ': ' || v.text_en,
				    '; ' ORDER BY v.village_id) FROM per_village v))
			FROM fupin.calendar_item ci
			WHERE ci.campaign_id = c AND ci.item_id = lock_id
			AND EXISTS (SELECT 1 FROM open)
			AND NOT EXISTS (SELECT 1 FROM fupin.alert a WHERE
			    a.alert_key = format('%s:%s::exception:x:%s', c,
			    lock_id, extract(epoch FROM lock_at)::bigint))
			ON CONFLICT (alert_key) DO NOTHING
			RETURNING alert_id
		)
		SELECT coalesce(array_agg(alert_id), '{}') INTO more FROM ins;
		ids := ids || more;
	END IF;

	PERFORM pg_notify('fupin_alert', x::text) FROM unnest(ids) AS x;

	-- The next moment anything can fall due, for every village whether
	-- or not it has open work now (work may be proposed later): calendar
	-- dues and extensions, minus reminders, plus every party's ladder;
	-- the lock; and the next digest while anything is overdue.
	WITH dues AS (
		SELECT ci.due FROM fupin.calendar_item ci
		WHERE ci.campaign_id = c AND EXISTS (SELECT 1 FROM
		    fupin.state_rule sr WHERE sr.campaign_id = c AND
		    ci.item_id = ANY (sr.owes))
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
		FROM dues, jsonb_each(p->'parties') pt,
		    jsonb_array_elements(pt.value->'ladder') l
		UNION ALL
		SELECT lock_at
		UNION ALL
		SELECT (((now_at AT TIME ZONE 'Asia/Shanghai')::date +
		    CASE WHEN (now_at AT TIME ZONE 'Asia/Shanghai')::time <
		    digest_time THEN 0 ELSE 1 END) + digest_time)
		    AT TIME ZONE 'Asia/Shanghai'
		WHERE EXISTS (SELECT 1 FROM fupin.instance_due d
		    WHERE d.campaign_id = c)
	)
	SELECT min(at) INTO next_at FROM cand WHERE at > now_at AND
	    at < 'infinity';

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
		RETURN fupin.refuse('usage', format('%s is due %s (%s); an '
		    'extension must end after that, not %s (%s)', ci.item_id,
		    fupin.day_text(ci.due, true, fupin.campaign_year(c)),
		    fupin.local_text(ci.due),
		    fupin.day_text(until_at, true, fupin.campaign_year(c)),
		    fupin.local_text(until_at)));
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

-- Delivery (daemon/notify.c): claim a group of alerts in one statement,
-- run their commands, record the results of a group in one statement.
-- The daemon's role may not update fupin.alert itself (011_delivery.sql):
-- these two functions are its only way to change the delivery columns.

DROP FUNCTION IF EXISTS fupin.alert_claim(text, int, int, text);

-- Claim up to n undelivered alerts that may be attempted now, oldest
-- first, for daemon `who`. The daemon runs at most `per` commands at once,
-- each at most `step` seconds, in the order of the claim, behind `ahead`
-- commands it already runs or holds: the k-th alert claimed (from 0)
-- starts within floor((ahead + k) / per) * step seconds, so its lease is
-- that plus `lease` (one command's length and a margin). A lease that
-- runs out means the daemon died; another may then claim the alert.
-- attempts + 1 identifies the claim (alert_record checks it). The JSON
-- carries the alert's lease in seconds ("lease").
CREATE OR REPLACE FUNCTION fupin.alert_claim(who text, n int, lease int,
    step int, per int, ahead int, lang text)
RETURNS SETOF jsonb
LANGUAGE sql
AS $$
WITH picked AS (
	SELECT x.alert_id, (row_number() OVER (ORDER BY x.fire_at, x.alert_id)
	    - 1 + greatest(ahead, 0)) / greatest(per, 1) * step + lease AS secs
	FROM (SELECT y.alert_id, y.fire_at FROM fupin.alert y
	    WHERE y.delivered_at IS NULL
	    AND (y.claimed_until IS NULL OR y.claimed_until < now())
	    AND (y.next_attempt_at IS NULL OR y.next_attempt_at <= now())
	    ORDER BY y.fire_at, y.alert_id
	    LIMIT n FOR UPDATE SKIP LOCKED) x)
UPDATE fupin.alert a SET attempts = a.attempts + 1, claimed_by = who,
    claimed_until = now() + make_interval(secs => p.secs)
FROM picked p
WHERE a.alert_id = p.alert_id
RETURNING fupin.alert_json(a, lang) || jsonb_build_object('lease', p.secs)
$$;

-- Record what became of claimed alerts, in one statement: ids[i] with
-- outcomes[i]
--   ok       delivered (whoever holds its lease now: it was delivered)
--   fail     not delivered: retry after delays[i] seconds, errors[i]
--   release  not attempted (the daemon stops, or lost the lead): offered
--            again at once, the attempt not counted
-- fail and release apply only to the claim tokens[i] (its attempts) of
-- `who`: a lease
-- that ran out and was claimed again is left to its new holder.
-- Returns the number of alerts changed.
CREATE OR REPLACE FUNCTION fupin.alert_record(who text, ids bigint[],
    tokens int[], outcomes text[], errors text[], delays float8[])
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
	n_ok int;
	n_other int;
BEGIN
	UPDATE fupin.alert a SET delivered_at = now(), claimed_until = NULL,
	    last_error = NULL
	FROM unnest(ids, outcomes) r(id, outcome)
	WHERE r.outcome = 'ok' AND a.alert_id = r.id
	AND a.delivered_at IS NULL;
	GET DIAGNOSTICS n_ok = ROW_COUNT;
	UPDATE fupin.alert a SET claimed_until = NULL,
	    last_error = CASE WHEN r.outcome = 'fail' THEN r.error
		ELSE a.last_error END,
	    next_attempt_at = CASE WHEN r.outcome = 'fail' THEN now() +
		make_interval(secs => coalesce(r.delay, 0))
		ELSE a.next_attempt_at END,
	    attempts = CASE WHEN r.outcome = 'release'
		THEN greatest(a.attempts - 1, 0) ELSE a.attempts END
	FROM unnest(ids, tokens, outcomes, errors, delays)
	    r(id, token, outcome, error, delay)
	WHERE r.outcome IN ('fail', 'release') AND a.alert_id = r.id
	AND a.delivered_at IS NULL AND a.claimed_by = who
	AND a.attempts = r.token;
	GET DIAGNOSTICS n_other = ROW_COUNT;
	RETURN n_ok + n_other;
END
$$;
