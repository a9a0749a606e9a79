-- The township's progress report: what the daemon's REPORT verb answers
-- (report_page, at the end; fupinctl report renders it) and the township
-- board of the pages (95-pages.sql) read, as functions: they know these
-- result columns, not the table layout behind them.
-- Re-applied by fupind --migrate after the numbered migrations, so only
-- CREATE OR REPLACE and GRANT here.
--
-- Moments are returned as epoch seconds (bigint); "today" is the daemon's
-- clock, which the caller passes in (report_basics gives it). Each
-- function takes a village last: NULL for the whole township, else only
-- that village's figures (what a village's principal may see); the forms
-- without it are the township's.

-- The daemon's last "now" (NULL before its first sweep), the township
-- name(s), and whether the campaign is in the database at all.
CREATE OR REPLACE FUNCTION fupin.report_basics(campaign text, village text)
RETURNS TABLE (today bigint, township text, campaign_known boolean)
LANGUAGE sql STABLE AS $$
	SELECT (SELECT extract(epoch FROM last_now)::bigint
		FROM fupin.daemon_state WHERE campaign_id = $1),
	    (SELECT string_agg(DISTINCT township, '、') FROM fupin.village v
		WHERE $2 IS NULL OR v.village_id = $2),
	    EXISTS (SELECT 1 FROM fupin.campaign WHERE campaign_id = $1)
$$;

CREATE OR REPLACE FUNCTION fupin.report_basics(campaign text)
RETURNS TABLE (today bigint, township text, campaign_known boolean)
LANGUAGE sql STABLE AS $$ SELECT * FROM fupin.report_basics($1, NULL) $$;

-- The calendar in due order, with each item's status at today:
-- upcoming, open, overdue (some instance is past it) or closed; is_deadline
-- when some state must be left by it.
CREATE OR REPLACE FUNCTION fupin.report_calendar(campaign text,
    today timestamptz, village text)
RETURNS TABLE (item_id text, kind text, title text, opens bigint,
    due bigint, status text, is_deadline boolean)
LANGUAGE sql STABLE AS $$
	SELECT ci.item_id, ci.kind, ci.title_zh,
	    extract(epoch FROM ci.opens)::bigint,
	    extract(epoch FROM ci.due)::bigint,
	    CASE WHEN ci.opens IS NOT NULL AND $2 < ci.opens THEN 'upcoming'
		WHEN $2 < ci.due THEN 'open'
		WHEN EXISTS (SELECT 1 FROM fupin.instance_due d
		    WHERE d.campaign_id = $1 AND d.deadline_id = ci.item_id
		    AND d.due <= $2
		    AND ($3 IS NULL OR d.village_id = $3)) THEN 'overdue'
		ELSE 'closed' END,
	    EXISTS (SELECT 1 FROM fupin.state_rule sr
		WHERE sr.campaign_id = $1 AND sr.leave_by = ci.item_id)
	FROM fupin.calendar_item ci WHERE ci.campaign_id = $1
	ORDER BY ci.due, ci.item_id
$$;

CREATE OR REPLACE FUNCTION fupin.report_calendar(campaign text,
    today timestamptz)
RETURNS TABLE (item_id text, kind text, title text, opens bigint,
    due bigint, status text, is_deadline boolean)
LANGUAGE sql STABLE AS $$
	SELECT * FROM fupin.report_calendar($1, $2, NULL)
$$;

-- Per village: households, exited households, escalations, notices to the
-- city (escalations of level 3 and up) and extensions granted.
CREATE OR REPLACE FUNCTION fupin.report_villages(campaign text,
    village text)
RETURNS TABLE (village_id text, name text, households bigint,
    exited bigint, escalations bigint, notices bigint, extensions bigint)
LANGUAGE sql STABLE AS $$
	SELECT v.village_id, v.name,
	    (SELECT count(*) FROM fupin.household h
		WHERE h.village_id = v.village_id),
	    (SELECT count(*) FROM fupin.workflow_instance wi
		WHERE wi.campaign_id = $1 AND wi.village_id = v.village_id
		AND wi.workflow = 'exit' AND wi.state = 'exited'),
	    (SELECT count(*) FROM fupin.alert a WHERE a.campaign_id = $1
		AND a.village_id = v.village_id AND a.kind = 'escalation'),
	    (SELECT count(*) FROM fupin.alert a WHERE a.campaign_id = $1
		AND a.village_id = v.village_id AND a.kind = 'escalation'
		AND a.level >= 3),
	    (SELECT count(*) FROM fupin.extension e WHERE e.campaign_id = $1
		AND e.village_id = v.village_id)
	FROM fupin.village v WHERE $2 IS NULL OR v.village_id = $2
	ORDER BY v.village_id
$$;

CREATE OR REPLACE FUNCTION fupin.report_villages(campaign text)
RETURNS TABLE (village_id text, name text, households bigint,
    exited bigint, escalations bigint, notices bigint, extensions bigint)
LANGUAGE sql STABLE AS $$ SELECT * FROM fupin.report_villages($1, NULL) $$;

-- Per village and deadline: how the instances bound by it (they entered a
-- state that owes the deadline: state_rule.owes, its own leave_by and
-- that of every state ahead of it, so a household stuck in draft counts
-- under stages 2 to 5, as OVERDUE and STATUS count it) left it, measured
-- from the audit trail: the last time each left such a state for one
-- that is not, against the village's due moment (extensions count).
-- on_time includes on_time_extended (after the calendar's due, within
-- the extension).
CREATE OR REPLACE FUNCTION fupin.report_obligations(campaign text,
    today timestamptz, village text)
RETURNS TABLE (village_id text, deadline_id text, instances bigint,
    on_time bigint, on_time_extended bigint, late bigint, overdue bigint,
    pending bigint)
LANGUAGE sql STABLE AS $$
	WITH bound AS (
		SELECT DISTINCT t.instance_id, o.deadline_id
		FROM fupin.transition t
		JOIN fupin.state_rule sr ON sr.campaign_id = t.campaign_id
		    AND sr.workflow = t.workflow AND sr.state = t.to_state
		CROSS JOIN LATERAL unnest(sr.owes) AS o(deadline_id)
		WHERE t.campaign_id = $1 AND t.instance_id IS NOT NULL
		-- an instance's steps are recorded with its village
		AND ($3 IS NULL OR t.village_id = $3)
	), ob AS (
		SELECT wi.village_id, b.deadline_id, ci.due AS calendar_due,
		    fupin.village_due($1, wi.village_id, b.deadline_id) AS due,
		    EXISTS (SELECT 1 FROM fupin.state_rule s
			WHERE s.campaign_id = $1 AND s.workflow = wi.workflow
			AND s.state = wi.state
			AND b.deadline_id = ANY (s.owes)) AS still_in,
		    (SELECT max(t.at) FROM fupin.transition t
			JOIN fupin.state_rule sf
			    ON sf.campaign_id = t.campaign_id
			    AND sf.workflow = t.workflow
			    AND sf.state = t.from_state
			    AND b.deadline_id = ANY (sf.owes)
			WHERE t.instance_id = b.instance_id
			AND NOT EXISTS (SELECT 1 FROM fupin.state_rule st
			    WHERE st.campaign_id = t.campaign_id
			    AND st.workflow = t.workflow
			    AND st.state = t.to_state
			    AND b.deadline_id = ANY (st.owes))) AS left_at
		FROM bound b
		JOIN fupin.workflow_instance wi USING (instance_id)
		JOIN fupin.calendar_item ci ON ci.campaign_id = $1
		    AND ci.item_id = b.deadline_id
		WHERE $3 IS NULL OR wi.village_id = $3
	)
	SELECT ob.village_id, ob.deadline_id, count(*),
	    count(*) FILTER (WHERE NOT still_in AND left_at <= due),
	    count(*) FILTER (WHERE NOT still_in AND left_at <= due
		AND left_at > calendar_due),
	    count(*) FILTER (WHERE NOT still_in AND left_at > due),
	    count(*) FILTER (WHERE still_in AND due <= $2),
	    count(*) FILTER (WHERE still_in AND due > $2)
	FROM ob GROUP BY 1, 2
$$;

CREATE OR REPLACE FUNCTION fupin.report_obligations(campaign text,
    today timestamptz)
RETURNS TABLE (village_id text, deadline_id text, instances bigint,
    on_time bigint, on_time_extended bigint, late bigint, overdue bigint,
    pending bigint)
LANGUAGE sql STABLE AS $$
	SELECT * FROM fupin.report_obligations($1, $2, NULL)
$$;

-- Alerts of the campaign, and how many of them are daily digests (a
-- village's: those about it).
CREATE OR REPLACE FUNCTION fupin.report_alert_counts(campaign text,
    village text)
RETURNS TABLE (alerts bigint, digests bigint)
LANGUAGE sql STABLE AS $$
	SELECT count(*), count(*) FILTER (WHERE kind = 'digest')
	FROM fupin.alert WHERE campaign_id = $1
	AND ($2 IS NULL OR village_id = $2)
$$;

CREATE OR REPLACE FUNCTION fupin.report_alert_counts(campaign text)
RETURNS TABLE (alerts bigint, digests bigint)
LANGUAGE sql STABLE AS $$
	SELECT * FROM fupin.report_alert_counts($1, NULL)
$$;

-- What is overdue at today, oldest first, at most max_rows of them;
-- total is the count without that limit. household is NULL for a
-- village task.
CREATE OR REPLACE FUNCTION fupin.report_overdue(campaign text,
    today timestamptz, max_rows int, village text)
RETURNS TABLE (village_name text, household_id text, workflow text,
    state_title text, deadline_title text, due bigint, days_overdue int,
    extended boolean, total bigint)
LANGUAGE sql STABLE AS $$
	SELECT v.name, d.household_id, d.workflow,
	    coalesce(sr.title, d.state), ci.title_zh,
	    extract(epoch FROM d.due)::bigint,
	    floor(extract(epoch FROM $2 - d.due) / 86400)::int,
	    d.extended_until IS NOT NULL,
	    count(*) OVER ()
	FROM fupin.instance_due d
	JOIN fupin.village v USING (village_id)
	JOIN fupin.calendar_item ci ON ci.campaign_id = d.campaign_id
	    AND ci.item_id = d.deadline_id
	LEFT JOIN fupin.state_rule sr ON sr.campaign_id = d.campaign_id
	    AND sr.workflow = d.workflow AND sr.state = d.state
	WHERE d.campaign_id = $1 AND d.due <= $2
	AND ($4 IS NULL OR d.village_id = $4)
	ORDER BY d.due, d.village_id, d.household_id, d.workflow
	LIMIT $3
$$;

CREATE OR REPLACE FUNCTION fupin.report_overdue(campaign text,
    today timestamptz, max_rows int)
RETURNS TABLE (village_name text, household_id text, workflow text,
    state_title text, deadline_title text, due bigint, days_overdue int,
    extended boolean, total bigint)
LANGUAGE sql STABLE AS $$
	SELECT * FROM fupin.report_overdue($1, $2, $3, NULL)
$$;

-- The alert history without digests, newest first, at most max_rows.
CREATE OR REPLACE FUNCTION fupin.report_alerts(campaign text, max_rows int,
    village text)
RETURNS TABLE (fire_at bigint, kind text, village_name text, text text,
    recipients text)
LANGUAGE sql STABLE AS $$
	SELECT extract(epoch FROM a.fire_at)::bigint, a.kind,
	    coalesce(v.name, ''), a.text_zh,
	    array_to_string(a.recipients, ',')
	FROM fupin.alert a LEFT JOIN fupin.village v USING (village_id)
	WHERE a.campaign_id = $1 AND a.kind <> 'digest'
	AND ($3 IS NULL OR a.village_id = $3)
	ORDER BY a.fire_at DESC, a.alert_id DESC
	LIMIT $2
$$;

CREATE OR REPLACE FUNCTION fupin.report_alerts(campaign text, max_rows int)
RETURNS TABLE (fire_at bigint, kind text, village_name text, text text,
    recipients text)
LANGUAGE sql STABLE AS $$
	SELECT * FROM fupin.report_alerts($1, $2, NULL)
$$;

-- REPORT [VILLAGE] [FROM N]: one page of the progress report, for
-- fupinctl report. p: {campaign, village (NULL: the township; the daemon
-- has checked that the caller may see it), now (the daemon's clock),
-- from, budget, max_overdue, max_alerts}.
--
-- Today is the daemon's last sweep (daemon_state.last_now), as of which
-- the alerts and the overdue work were written; before the first sweep,
-- the daemon's clock (now_known false). Every page holds the header:
-- campaign, township, village, now, now_known, the calendar with each
-- item's status, the alert and digest counts and overdue_total. Its rows
-- run through three sections, in order: a row per village with its
-- figures per deadline, the oldest max_overdue overdue items, the newest
-- max_alerts alerts but digests; count is the number of rows in all,
-- next the row the next page starts at (NULL on the last). A page holds
-- rows up to budget bytes of JSON (at least one), so that no answer
-- outgrows what the status socket will queue for a client; a section
-- that the page does not reach is not computed.
CREATE OR REPLACE FUNCTION fupin.report_page(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	c text := p->>'campaign';
	v text := p->>'village';
	from_row bigint := greatest(coalesce((p->>'from')::bigint, 0), 0);
	budget bigint := coalesce((p->>'budget')::bigint, 262144);
	max_overdue int := coalesce((p->>'max_overdue')::int, 300);
	max_alerts int := coalesce((p->>'max_alerts')::int, 400);
	b record;
	ac record;
	today timestamptz;
	nvillages bigint;
	overdue_total bigint;
	noverdue bigint;
	nalerts bigint;
	page jsonb[] := '{}';
	used bigint := 0;
	len bigint;
	pos bigint := from_row;
	nxt bigint;
	r record;
BEGIN
	IF fupin.unknown_village(v) IS NOT NULL THEN
		RETURN fupin.unknown_village(v);
	END IF;
	SELECT * INTO b FROM fupin.report_basics(c, v);
	IF NOT b.campaign_known THEN
		RETURN fupin.refuse('unknown',
		    format('campaign %s is not in the database', c));
	END IF;
	today := coalesce(to_timestamp(b.today), (p->>'now')::timestamptz);
	SELECT * INTO ac FROM fupin.report_alert_counts(c, v);
	SELECT count(*) INTO nvillages FROM fupin.village x
	WHERE v IS NULL OR x.village_id = v;
	SELECT coalesce(max(o.total), 0) INTO overdue_total
	FROM fupin.report_overdue(c, today, 1, v) o;
	noverdue := least(overdue_total, max_overdue);
	nalerts := least(ac.alerts - ac.digests, max_alerts);

	IF pos < nvillages THEN
		FOR r IN WITH ob AS MATERIALIZED (
			SELECT * FROM fupin.report_obligations(c, today, v))
		    SELECT jsonb_build_object('row', 'village',
			'id', rv.village_id, 'name', rv.name,
			'households', rv.households, 'exited', rv.exited,
			'escalations', rv.escalations, 'notices', rv.notices,
			'extensions', rv.extensions,
			'deadlines', (SELECT coalesce(jsonb_object_agg(
			    ob.deadline_id, jsonb_build_object(
			    'instances', ob.instances, 'on_time', ob.on_time,
			    'on_time_extended', ob.on_time_extended,
			    'late', ob.late, 'overdue', ob.overdue,
			    'pending', ob.pending)), '{}')
			    FROM ob WHERE ob.village_id = rv.village_id)) AS j
		    FROM fupin.report_villages(c, v) rv
		    ORDER BY rv.village_id OFFSET pos
		LOOP
			len := octet_length(r.j::text) + 1;
			IF used > 0 AND used + len > budget THEN
				nxt := pos;
				EXIT;
			END IF;
			page := page || r.j;
			used := used + len;
			pos := pos + 1;
		END LOOP;
	END IF;

	IF nxt IS NULL AND pos < nvillages + noverdue THEN
		FOR r IN SELECT jsonb_build_object('row', 'overdue',
			'village', o.village_name, 'household', o.household_id,
			'workflow', o.workflow, 'state', o.state_title,
			'deadline', o.deadline_title, 'due', to_timestamp(o.due),
			'days', o.days_overdue, 'extended', o.extended) AS j
		    FROM fupin.report_overdue(c, today, noverdue::int, v)
			WITH ORDINALITY AS o
		    ORDER BY o.ordinality OFFSET pos - nvillages
		LOOP
			len := octet_length(r.j::text) + 1;
			IF used > 0 AND used + len > budget THEN
				nxt := pos;
				EXIT;
			END IF;
			page := page || r.j;
			used := used + len;
			pos := pos + 1;
		END LOOP;
	END IF;

	IF nxt IS NULL AND pos < nvillages + noverdue + nalerts THEN
		FOR r IN SELECT jsonb_build_object('row', 'alert',
			'at', to_timestamp(a.fire_at), 'kind', a.kind,
			'village', a.village_name, 'text', a.text,
			'recipients', to_jsonb(string_to_array(
			    nullif(a.recipients, ''), ','))) AS j
		    FROM fupin.report_alerts(c, nalerts::int, v)
			WITH ORDINALITY AS a
		    ORDER BY a.ordinality OFFSET pos - nvillages - noverdue
		LOOP
			len := octet_length(r.j::text) + 1;
			IF used > 0 AND used + len > budget THEN
				nxt := pos;
				EXIT;
			END IF;
			page := page || r.j;
			used := used + len;
			pos := pos + 1;
		END LOOP;
	END IF;

	RETURN jsonb_build_object('ok', true, 'campaign', c,
	    'township', b.township,
	    'village', (SELECT jsonb_build_object('id', x.village_id,
		'name', x.name) FROM fupin.village x WHERE x.village_id = v),
	    'now', today, 'now_known', b.today IS NOT NULL,
	    'calendar', (SELECT coalesce(jsonb_agg(jsonb_build_object(
		'id', rc.item_id, 'kind', rc.kind, 'title', rc.title,
		'opens', to_timestamp(rc.opens), 'due', to_timestamp(rc.due),
		'status', rc.status, 'deadline', rc.is_deadline)
		ORDER BY rc.ordinality), '[]')
		FROM fupin.report_calendar(c, today, v) WITH ORDINALITY rc),
	    'alerts', ac.alerts, 'digests', ac.digests,
	    'overdue_total', overdue_total,
	    'count', nvillages + noverdue + nalerts, 'from', from_row,
	    'rows', to_jsonb(page), 'next', nxt);
END
$$;

GRANT EXECUTE ON FUNCTION fupin.report_basics(text),
    fupin.report_basics(text, text),
    fupin.report_calendar(text, timestamptz),
    fupin.report_calendar(text, timestamptz, text),
    fupin.report_villages(text),
    fupin.report_villages(text, text),
    fupin.report_obligations(text, timestamptz),
    fupin.report_obligations(text, timestamptz, text),
    fupin.report_alert_counts(text),
    fupin.report_alert_counts(text, text),
    fupin.report_overdue(text, timestamptz, int),
    fupin.report_overdue(text, timestamptz, int, text),
    fupin.report_alerts(text, int),
    fupin.report_alerts(text, int, text),
    fupin.report_page(jsonb)
    TO fupin_daemon;
