-- 30-sync.sql: The campaign files as rows: campaign figures, calendar, state
-- rules, working days; and when a village is due.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

-- p: {id, year, exit_threshold, marginal_threshold, income_from, income_to,
--     notice_min_days, lock_at, now, actor,
--     calendar: [{item_id, kind, title_zh, title_en, opens, due}],
--     states: [{workflow, state, title, leave_by, min_days, final}]}
-- A changed figure is written to the audit trail: the national standard is
-- neither raised nor lowered without a trace.
CREATE OR REPLACE FUNCTION fupin.sync_campaign(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	c text := p->>'id';
	old fupin.campaign;
	changed jsonb := '{}';
	k text;
BEGIN
	SELECT * INTO old FROM fupin.campaign WHERE campaign_id = c FOR UPDATE;
	INSERT INTO fupin.campaign AS t (campaign_id, year, exit_threshold,
	    marginal_threshold, income_from, income_to, notice_min_days,
	    lock_at, updated_at)
	VALUES (c, (p->>'year')::int, (p->>'exit_threshold')::numeric,
	    (p->>'marginal_threshold')::numeric, (p->>'income_from')::date,
	    (p->>'income_to')::date, (p->>'notice_min_days')::int,
	    (p->>'lock_at')::timestamptz, now())
	ON CONFLICT (campaign_id) DO UPDATE SET
	    year = excluded.year, exit_threshold = excluded.exit_threshold,
	    marginal_threshold = excluded.marginal_threshold,
	    income_from = excluded.income_from, income_to = excluded.income_to,
	    notice_min_days = excluded.notice_min_days,
	    lock_at = excluded.lock_at, updated_at = now()
	WHERE (t.year, t.exit_threshold, t.marginal_threshold, t.income_from,
	    t.income_to, t.notice_min_days, t.lock_at) IS DISTINCT FROM
	    (excluded.year, excluded.exit_threshold, excluded.marginal_threshold,
	    excluded.income_from, excluded.income_to, excluded.notice_min_days,
	    excluded.lock_at);

	IF old.campaign_id IS NOT NULL THEN
		FOREACH k IN ARRAY ARRAY['year', 'exit_threshold',
		    'marginal_threshold', 'income_from', 'income_to',
		    'notice_min_days', 'lock_at'] LOOP
			IF (to_jsonb(old)->>k) IS DISTINCT FROM
			    (SELECT to_jsonb(t)->>k FROM fupin.campaign t
			     WHERE t.campaign_id = c) THEN
				changed := changed || jsonb_build_object(k,
				    jsonb_build_object('old', to_jsonb(old)->k,
				    'new', (SELECT to_jsonb(t)->k FROM
				    fupin.campaign t WHERE t.campaign_id = c)));
			END IF;
		END LOOP;
		IF changed <> '{}' THEN
			INSERT INTO fupin.transition (campaign_id, event, actor,
			    role, at, note, detail)
			VALUES (c, 'campaign_change', p->>'actor', 'system',
			    (p->>'now')::timestamptz,
			    'campaign figures changed in the campaign files',
			    changed);
		END IF;
	END IF;

	INSERT INTO fupin.calendar_item AS t (campaign_id, item_id, kind,
	    title_zh, title_en, opens, due)
	SELECT c, x.item_id, x.kind, x.title_zh, x.title_en, x.opens, x.due
	FROM jsonb_to_recordset(p->'calendar') AS x(item_id text, kind text,
	    title_zh text, title_en text, opens timestamptz, due timestamptz)
	ON CONFLICT (campaign_id, item_id) DO UPDATE SET kind = excluded.kind,
	    title_zh = excluded.title_zh, title_en = excluded.title_en,
	    opens = excluded.opens, due = excluded.due
	WHERE (t.kind, t.title_zh, t.title_en, t.opens, t.due) IS DISTINCT FROM
	    (excluded.kind, excluded.title_zh, excluded.title_en,
	    excluded.opens, excluded.due);

	DELETE FROM fupin.state_rule WHERE campaign_id = c;
	INSERT INTO fupin.state_rule (campaign_id, workflow, state, title,
	    leave_by, min_days, final, owes, party, stops_at_lock)
	SELECT c, x.workflow, x.state, coalesce(x.title, ''), x.leave_by,
	    x.min_days, coalesce(x.final, false),
	    coalesce(ARRAY(SELECT jsonb_array_elements_text(x.owes)),
		CASE WHEN x.leave_by IS NOT NULL THEN ARRAY[x.leave_by]
		ELSE '{}' END),
	    coalesce(x.party, 'village'), coalesce(x.stops_at_lock, false)
	FROM jsonb_to_recordset(p->'states') AS x(workflow text, state text,
	    title text, leave_by text, min_days int, final boolean,
	    owes jsonb, party text, stops_at_lock boolean);

	-- Village tasks are open for every village from the campaign's start:
	-- nobody has to open them, so a village that did nothing is late.
	PERFORM fupin.open_village_tasks(jsonb_build_object('campaign', c,
	    'tasks', coalesce(p->'tasks', '[]'), 'now', p->'now',
	    'note', 'opened with the campaign'));

	RETURN jsonb_build_object('ok', true, 'changed', changed);
END
$$;

-- p: {campaign, tasks: [{workflow, initial}], now, note}: every village
-- gets each village-scope task (workflows with scope = "village") it does
-- not have yet, in the task's initial state, audited as opened by
-- "fupind". Idempotent: run by every sync_campaign and by fupinctl import
-- villages. Returns how many it opened.
CREATE OR REPLACE FUNCTION fupin.open_village_tasks(p jsonb)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	c text := p->>'campaign';
	now_at timestamptz := coalesce((p->>'now')::timestamptz,
	    fupin.clock_now());
	n bigint;
BEGIN
	WITH opened AS (
		INSERT INTO fupin.workflow_instance (campaign_id, workflow,
		    household_id, village_id, subject, state, entered_at)
		SELECT c, t.workflow, NULL, v.village_id, '', t.initial, now_at
		FROM jsonb_to_recordset(coalesce(p->'tasks', '[]'))
		    AS t(workflow text, initial text)
		CROSS JOIN fupin.village v
		-- before fupind first stored the campaign, it opens them then
		WHERE EXISTS (SELECT 1 FROM fupin.campaign cp
		    WHERE cp.campaign_id = c) AND NOT EXISTS (SELECT 1 FROM fupin.workflow_instance x
		    WHERE x.campaign_id = c AND x.workflow = t.workflow AND
		    x.household_id IS NULL AND x.village_id = v.village_id AND
		    x.subject = '')
		ORDER BY v.village_id, t.workflow
		-- a second daemon or an import at the same moment
		ON CONFLICT DO NOTHING
		RETURNING instance_id, workflow, village_id, state
	), audited AS (
		INSERT INTO fupin.transition (instance_id, campaign_id,
		    village_id, workflow, event, from_state, to_state, actor,
		    role, at, note)
		SELECT o.instance_id, c, o.village_id, o.workflow, 'open', NULL,
		    o.state, 'fupind', 'system', now_at,
		    coalesce(p->>'note', 'opened for every village')
		FROM opened o ORDER BY o.village_id, o.workflow
		RETURNING 1
	)
	SELECT count(*) INTO n FROM audited;
	RETURN n;
END
$$;

-- The campaign clock's moment for what a statement writes on the daemon's
-- behalf outside fupin.advance (an import): fupin.import_commit sets it
-- for its transaction from the daemon's clock; else now().
CREATE OR REPLACE FUNCTION fupin.clock_now()
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
SELECT coalesce(nullif(current_setting('fupin.clock_now', true),
    '')::timestamptz, now())
$$;

-- fupinctl set the clock itself when it wrote to the database directly;
-- fupind passes its own moment now (fupin.import_commit).
DROP FUNCTION IF EXISTS fupin.import_begin(jsonb);

-- p: {campaign, days: [{day, working}]}: the calendar's exceptions.
CREATE OR REPLACE FUNCTION fupin.sync_calendar_days(p jsonb)
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
	n int;
BEGIN
	DELETE FROM fupin.calendar_day WHERE campaign_id = p->>'campaign';
	INSERT INTO fupin.calendar_day (campaign_id, day, working)
	SELECT p->>'campaign', x.day, x.working
	FROM jsonb_to_recordset(p->'days') AS x(day date, working boolean);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION fupin.is_working_day(c text, d date)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
SELECT coalesce((SELECT working FROM fupin.calendar_day
    WHERE campaign_id = c AND day = d), extract(isodow FROM d) < 6)
$$;

-- The same local time of day on the n-th working day before t's own day
-- (which is not counted): 3 working days before Mon 00:00 is the Wednesday
-- before. The daemon's calendar.c computes the same (cal_add_working_days).
CREATE OR REPLACE FUNCTION fupin.minus_working_days(c text, t timestamptz,
    n int)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	local timestamp := t AT TIME ZONE 'Asia/Shanghai';
	d date := local::date;
	left_ int := n;
BEGIN
	WHILE left_ > 0 LOOP
		d := d - 1;
		IF fupin.is_working_day(c, d) THEN
			left_ := left_ - 1;
		END IF;
	END LOOP;
	RETURN (d + local::time) AT TIME ZONE 'Asia/Shanghai';
END
$$;

-- When reminder r ({secs: N} or {wd: N}) fires before a due moment.
CREATE OR REPLACE FUNCTION fupin.reminder_at(c text, due timestamptz, r jsonb)
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
SELECT CASE WHEN r ? 'wd' THEN fupin.minus_working_days(c, due, (r->>'wd')::int)
    ELSE due - make_interval(secs => (r->>'secs')::double precision) END
$$;

-- The moment a village must meet a deadline: the calendar's due, or the
-- latest extension the township granted it.
CREATE OR REPLACE FUNCTION fupin.village_due(c text, v text, d text)
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
SELECT greatest(ci.due, (SELECT max(e.until) FROM fupin.extension e
	WHERE e.campaign_id = c AND e.village_id = v AND e.deadline_id = d))
FROM fupin.calendar_item ci
WHERE ci.campaign_id = c AND ci.item_id = d
$$;

-- Every open instance with each deadline it owes (state_rule.owes: its
-- state's own leave_by and that of every state ahead of it on the main
-- path), with the moment it is due for its village. Overdue is
-- "due <= now": a household still in draft on Oct 29 is a row for stage 2,
-- stage 3 and stage 4. late_since names the first deadline its state owes
-- when this row is a later one (it was already late for that one); party
-- is who must act to leave the state; stops_at_lock whether the
-- data-entry lock stops that work.
CREATE OR REPLACE VIEW fupin.instance_due AS
SELECT wi.instance_id, wi.campaign_id, wi.workflow, wi.household_id,
    wi.village_id, wi.subject, wi.state, wi.entered_at, o.deadline_id,
    ci.due AS calendar_due,
    greatest(ci.due, ext.until) AS due,
    ext.until AS extended_until,
    sr.party,
    CASE WHEN o.pos > 1 THEN sr.owes[1] END AS late_since,
    sr.stops_at_lock,
    sr.title AS state_title
FROM fupin.workflow_instance wi
JOIN fupin.state_rule sr USING (campaign_id, workflow, state)
CROSS JOIN LATERAL unnest(sr.owes) WITH ORDINALITY AS o(deadline_id, pos)
JOIN fupin.calendar_item ci
    ON ci.campaign_id = wi.campaign_id AND ci.item_id = o.deadline_id
-- One row per (village, deadline) with extensions, joined by hash: not a
-- lookup per instance.
LEFT JOIN (SELECT e.campaign_id, e.village_id, e.deadline_id,
	max(e.until) AS until
    FROM fupin.extension e GROUP BY 1, 2, 3) ext
    ON ext.campaign_id = wi.campaign_id AND ext.village_id = wi.village_id
    AND ext.deadline_id = o.deadline_id
WHERE NOT wi.closed;

GRANT SELECT ON fupin.instance_due TO fupin_daemon;
