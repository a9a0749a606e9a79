-- What fupinctl report reads (ctl/report.c), as functions: the report
-- knows these result columns, not the table layout behind them.
-- Re-applied by fupind --migrate after the numbered migrations, so only
-- CREATE OR REPLACE and GRANT here.
--
-- Moments are returned as epoch seconds (bigint); "today" is the daemon's
-- clock, which the caller passes in (report_basics gives it).

-- The daemon's last "now" (NULL before its first sweep), the township
-- name(s), and whether the campaign is in the database at all.
CREATE OR REPLACE FUNCTION fupin.report_basics(campaign text)
RETURNS TABLE (today bigint, township text, campaign_known boolean)
LANGUAGE sql STABLE AS $$
	SELECT (SELECT extract(epoch FROM last_now)::bigint
		FROM fupin.daemon_state WHERE campaign_id = $1),
	    (SELECT string_agg(DISTINCT township, '、') FROM fupin.village),
	    EXISTS (SELECT 1 FROM fupin.campaign WHERE campaign_id = $1)
$$;

-- The calendar in due order, with each item's status at today:
-- upcoming, open, overdue (some instance is past it) or closed; is_deadline
-- when some state must be left by it.
CREATE OR REPLACE FUNCTION fupin.report_calendar(campaign text,
    today timestamptz)
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
		    AND d.due <= $2) THEN 'overdue'
		ELSE 'closed' END,
	    EXISTS (SELECT 1 FROM fupin.state_rule sr
		WHERE sr.campaign_id = $1 AND sr.leave_by = ci.item_id)
	FROM fupin.calendar_item ci WHERE ci.campaign_id = $1
	ORDER BY ci.due, ci.item_id
$$;

-- Per village: households, exited households, escalations, notices to the
-- city (escalations of level 3 and up) and extensions granted.
CREATE OR REPLACE FUNCTION fupin.report_villages(campaign text)
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
	FROM fupin.village v ORDER BY v.village_id
$$;

-- Per village and deadline: how the instances bound by it (they entered a
-- state that owes the deadline: state_rule.owes, its own leave_by and
-- that of every state ahead of it, so a household stuck in draft counts
-- under stages 2 to 5, as OVERDUE and STATUS count it) left it, measured
-- from the audit trail: the last time each left such a state for one
-- that is not, against the village's due moment (extensions count).
-- on_time includes on_time_extended (after the calendar's due, within
-- the extension).
CREATE OR REPLACE FUNCTION fupin.report_obligations(campaign text,
    today timestamptz)
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

-- Alerts of the campaign, and how many of them are daily digests.
CREATE OR REPLACE FUNCTION fupin.report_alert_counts(campaign text)
RETURNS TABLE (alerts bigint, digests bigint)
LANGUAGE sql STABLE AS $$
	SELECT count(*), count(*) FILTER (WHERE kind = 'digest')
	FROM fupin.alert WHERE campaign_id = $1
$$;

-- What is overdue at today, oldest first, at most max_rows of them;
-- total is the count without that limit. household is NULL for a
-- village task.
CREATE OR REPLACE FUNCTION fupin.report_overdue(campaign text,
    today timestamptz, max_rows int)
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
	ORDER BY d.due, d.village_id, d.household_id, d.workflow
	LIMIT $3
$$;

-- The alert history without digests, newest first, at most max_rows.
CREATE OR REPLACE FUNCTION fupin.report_alerts(campaign text, max_rows int)
RETURNS TABLE (fire_at bigint, kind text, village_name text, text text,
    recipients text)
LANGUAGE sql STABLE AS $$
	SELECT extract(epoch FROM a.fire_at)::bigint, a.kind,
	    coalesce(v.name, ''), a.text_zh,
	    array_to_string(a.recipients, ',')
	FROM fupin.alert a LEFT JOIN fupin.village v USING (village_id)
	WHERE a.campaign_id = $1 AND a.kind <> 'digest'
	ORDER BY a.fire_at DESC, a.alert_id DESC
	LIMIT $2
$$;

GRANT EXECUTE ON FUNCTION fupin.report_basics(text),
    fupin.report_calendar(text, timestamptz),
    fupin.report_villages(text),
    fupin.report_obligations(text, timestamptz),
    fupin.report_alert_counts(text),
    fupin.report_overdue(text, timestamptz, int),
    fupin.report_alerts(text, int)
    TO fupin_daemon;
