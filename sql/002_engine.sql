-- 002_engine.sql: the workflow engine in SQL.
--
-- fupind loads the workflow and calendar files and sends each request as
-- ONE statement: a call of a function below with a jsonb argument holding
-- what the files say (the event's moves, guards, roles already checked,
-- the campaign figures). The function reads the database's current truth,
-- enforces the rules, and writes the transition and its audit row in the
-- statement's own transaction, so they commit together or not at all.
--
-- Guards are evaluated here, not in C, so that a change made directly in
-- SQL (a nightly sync of incomes) is honoured at once, and so that a
-- county-sized register is never copied into the daemon.

-- What each workflow state requires, from the workflow files; replaced
-- whole by fupin.sync_campaign at every start and reload.
CREATE TABLE fupin.state_rule (
	campaign_id	text NOT NULL REFERENCES fupin.campaign,
	workflow	text NOT NULL,
	state		text NOT NULL,
	title		text NOT NULL DEFAULT '',
	leave_by	text,
	min_days	int CHECK (min_days >= 0),
	final		boolean NOT NULL DEFAULT false,
	PRIMARY KEY (campaign_id, workflow, state),
	FOREIGN KEY (campaign_id, leave_by)
	    REFERENCES fupin.calendar_item (campaign_id, item_id)
);
CREATE INDEX state_rule_deadline_idx ON fupin.state_rule (campaign_id, leave_by);
COMMENT ON TABLE fupin.state_rule IS
    'Per workflow state: the calendar item it must be left by, its minimum days, whether final (from the workflow files)';

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

-- Every open instance with a deadline, with the moment it is due for its
-- village. Overdue is "due <= now"; the query planner works from the
-- (campaign, workflow, state) index, one row per instance in a late state.
CREATE OR REPLACE VIEW fupin.instance_due AS
SELECT wi.instance_id, wi.campaign_id, wi.workflow, wi.household_id,
    wi.village_id, wi.subject, wi.state, wi.entered_at, sr.leave_by AS deadline_id,
    ci.due AS calendar_due,
    greatest(ci.due, ext.until) AS due,
    ext.until AS extended_until
FROM fupin.workflow_instance wi
JOIN fupin.state_rule sr USING (campaign_id, workflow, state)
JOIN fupin.calendar_item ci
    ON ci.campaign_id = wi.campaign_id AND ci.item_id = sr.leave_by
-- One row per (village, deadline) with extensions, joined by hash: not a
-- lookup per instance.
LEFT JOIN (SELECT e.campaign_id, e.village_id, e.deadline_id,
	max(e.until) AS until
    FROM fupin.extension e GROUP BY 1, 2, 3) ext
    ON ext.campaign_id = wi.campaign_id AND ext.village_id = wi.village_id
    AND ext.deadline_id = sr.leave_by
WHERE NOT wi.closed;

-- ---------------------------------------------------------------------
-- Campaign synchronisation
-- ---------------------------------------------------------------------

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
	    leave_by, min_days, final)
	SELECT c, x.workflow, x.state, coalesce(x.title, ''), x.leave_by,
	    x.min_days, coalesce(x.final, false)
	FROM jsonb_to_recordset(p->'states') AS x(workflow text, state text,
	    title text, leave_by text, min_days int, final boolean);

	RETURN jsonb_build_object('ok', true, 'changed', changed);
END
$$;

-- ---------------------------------------------------------------------
-- Guards
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION fupin.yuan(n numeric)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN n IS NULL THEN 'unknown'
	WHEN n = trunc(n) THEN trunc(n)::text ELSE n::text END $$;

-- NULL when guard g holds; else {rule, message, ...figures}.
-- h: the household (NULL for village tasks), wi: the instance (NULL when
-- the event creates it), cp: the campaign, p: the request.
CREATE OR REPLACE FUNCTION fupin.guard_check(g text, h fupin.household,
    wi fupin.workflow_instance, cp fupin.campaign, p jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	unresolved text[];
	days int;
	since timestamptz;
	now_at timestamptz := (p->>'now')::timestamptz;
	m fupin.member;
BEGIN
	IF h.household_id IS NULL AND g NOT IN ('notice_min_days') THEN
		RETURN jsonb_build_object('rule', g, 'message',
		    g || ' applies to households only');
	END IF;
	unresolved := array_remove(ARRAY[
	    CASE WHEN NOT h.food THEN 'food' END,
	    CASE WHEN NOT h.clothing THEN 'clothing' END,
	    CASE WHEN NOT h.education THEN 'education' END,
	    CASE WHEN NOT h.medical THEN 'medical' END,
	    CASE WHEN NOT h.housing THEN 'housing' END], NULL);

	CASE g
	WHEN 'income_exit' THEN
		IF h.income_per_capita IS NULL OR
		    h.income_per_capita < cp.exit_threshold THEN
			RETURN jsonb_build_object('rule', g,
			    'income', h.income_per_capita,
			    'threshold', cp.exit_threshold,
			    'message', format('income %s < %s: per-capita net income '
			    '%s..%s is below the exit threshold',
			    fupin.yuan(h.income_per_capita),
			    fupin.yuan(cp.exit_threshold), cp.income_from,
			    cp.income_to));
		END IF;
	WHEN 'guarantees' THEN
		IF cardinality(unresolved) > 0 THEN
			RETURN jsonb_build_object('rule', g,
			    'unresolved', to_jsonb(unresolved),
			    'message', format('unresolved: %s (两不愁三保障 must all '
			    'be resolved)', array_to_string(unresolved, ', ')));
		END IF;
	WHEN 'not_new_this_year' THEN
		IF h.identified_year = cp.year THEN
			RETURN jsonb_build_object('rule', g, 'identified_year',
			    h.identified_year, 'message', format('identified in %s: '
			    'a household identified this year cannot exit this year',
			    h.identified_year));
		END IF;
		IF h.category = 'relapsed' OR EXISTS (SELECT 1 FROM
		    fupin.workflow_instance x WHERE x.campaign_id = cp.campaign_id
		    AND x.workflow = 'inclusion' AND x.household_id = h.household_id
		    AND x.state = 'included') THEN
			RETURN jsonb_build_object('rule', g, 'category', h.category,
			    'message', format('relapsed or included in %s: it cannot '
			    'exit in the same year', cp.year));
		END IF;
	WHEN 'below_standard' THEN
		IF h.income_per_capita IS NOT NULL AND
		    h.income_per_capita >= cp.exit_threshold AND
		    cardinality(unresolved) = 0 THEN
			RETURN jsonb_build_object('rule', g,
			    'income', h.income_per_capita,
			    'threshold', cp.exit_threshold,
			    'message', format('income %s >= %s and every guarantee '
			    'resolved: not below the standard',
			    fupin.yuan(h.income_per_capita),
			    fupin.yuan(cp.exit_threshold)));
		END IF;
	WHEN 'relapse_reason' THEN
		IF h.category IN ('lifted', 'monitoring', 'relapsed') AND
		    (h.relapse_reason IS NULL OR NOT (h.relapse_reason = ANY (
		    ARRAY(SELECT jsonb_array_elements_text(p->'relapse_reasons')))))
		THEN
			RETURN jsonb_build_object('rule', g,
			    'relapse_reason', h.relapse_reason,
			    'allowed', p->'relapse_reasons',
			    'message', format('a relapse needs its reason (one of %s); '
			    'the household has %s',
			    (SELECT string_agg(x, ', ') FROM
			     jsonb_array_elements_text(p->'relapse_reasons') x),
			    coalesce(nullif(h.relapse_reason, ''), 'none')));
		END IF;
	WHEN 'notice_min_days' THEN
		days := (p->'min_days'->>wi.state)::int;
		since := wi.entered_at;
		IF days IS NOT NULL AND now_at < since + make_interval(days => days)
		THEN
			RETURN jsonb_build_object('rule', g, 'min_days', days,
			    'since', since, 'until', since + make_interval(days => days),
			    'message', format('%s opened %s and lasts at least %s '
			    'days: not before %s', wi.state,
			    to_char(since, 'YYYY-MM-DD HH24:MI'), days,
			    to_char(since + make_interval(days => days),
			    'YYYY-MM-DD HH24:MI')));
		END IF;
	WHEN 'income_below_marginal' THEN
		IF h.income_per_capita IS NULL OR
		    h.income_per_capita >= cp.marginal_threshold THEN
			RETURN jsonb_build_object('rule', g,
			    'income', h.income_per_capita,
			    'threshold', cp.marginal_threshold,
			    'message', format('income %s >= %s: not below the '
			    'marginal threshold', fupin.yuan(h.income_per_capita),
			    fupin.yuan(cp.marginal_threshold)));
		END IF;
	WHEN 'risk_named', 'monitoring_risk_named' THEN
		IF h.risk IS NULL OR NOT (h.risk = ANY (ARRAY(SELECT
		    jsonb_array_elements_text(p->(CASE g WHEN 'risk_named'
		    THEN 'marginal_risks' ELSE 'monitoring_risks' END))))) THEN
			RETURN jsonb_build_object('rule', g, 'risk', h.risk,
			    'message', format('no named risk (the household has %s)',
			    coalesce(nullif(h.risk, ''), 'none')));
		END IF;
	WHEN 'not_registered' THEN
		IF h.category NOT IN ('ordinary', 'marginal') THEN
			RETURN jsonb_build_object('rule', g, 'category', h.category,
			    'message', format('the household is registered (%s); a '
			    'marginal household must not be', h.category));
		END IF;
	WHEN 'is_lifted' THEN
		IF h.category NOT IN ('lifted', 'monitoring') THEN
			RETURN jsonb_build_object('rule', g, 'category', h.category,
			    'message', format('the household is %s; only a lifted '
			    'household can be monitored', h.category));
		END IF;
	WHEN 'household_registered' THEN
		IF h.category NOT IN ('poor', 'lifted', 'relapsed', 'monitoring')
		THEN
			RETURN jsonb_build_object('rule', g, 'category', h.category,
			    'message', format('the household is %s, not registered',
			    h.category));
		END IF;
	WHEN 'person_id_valid', 'member_change_recorded' THEN
		SELECT * INTO m FROM fupin.member x
		WHERE x.person_id = coalesce(wi.subject, p->>'subject');
		IF m.person_id IS NULL OR m.household_id <> h.household_id THEN
			RETURN jsonb_build_object('rule', g, 'person_id',
			    coalesce(wi.subject, p->>'subject'),
			    'message', format('no member %s in household %s',
			    coalesce(nullif(coalesce(wi.subject, p->>'subject'), ''),
			    '(none given: use HOUSEHOLD/PERSON_ID)'),
			    h.household_id));
		END IF;
		-- The campaign's calendar day, not the server's: now is
		-- written with the +08:00 offset, so its first ten characters
		-- are the date in Asia/Shanghai whatever the session TimeZone.
		IF g = 'member_change_recorded' AND (m.change = '' OR
		    (m.change = 'decrease' AND (m.change_reason IS NULL OR
		    m.change_date IS NULL)) OR
		    m.change_date > left(p->>'now', 10)::date) THEN
			RETURN jsonb_build_object('rule', g, 'person_id',
			    m.person_id, 'message', format('member %s: the change, '
			    'its reason and a date not in the future must be '
			    'recorded', m.person_id));
		END IF;
	ELSE
		RAISE EXCEPTION 'unknown guard %', g;
	END CASE;
	RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------
-- ADVANCE
-- ---------------------------------------------------------------------

CREATE OR REPLACE FUNCTION fupin.refuse(code text, msg text,
    extra jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$ SELECT jsonb_build_object('ok', false, 'error', code, 'message', msg)
	|| extra $$;

-- p: {campaign, workflow, scope ("household" | "village"), target (a
--     household or village id), subject (member/problem id, or ""), event,
--     entries: {from_state: {to, guards: [..], note: bool, data_entry: bool,
--               allowed: bool, roles: "who may", opens_at}}
--       (one entry per state the event may be sent in; "" for the entry
--        that creates the instance),
--     lock_at, applies_to: [categories] or null, actor, role, village (the
--     caller's own village for the village role, else null), note, now,
--     min_days: {state: days}, final: [states], relapse_reasons,
--     marginal_risks, monitoring_risks,
--     detail: optional object merged into the audit row's detail}
CREATE OR REPLACE FUNCTION fupin.advance(p jsonb)
RETURNS jsonb
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
	cp fupin.campaign;
	h fupin.household;
	wi fupin.workflow_instance;
	e jsonb;
	v text;
	from_state text;
	to_state text;
	g text;
	failed jsonb;
BEGIN
	SELECT * INTO cp FROM fupin.campaign WHERE campaign_id = c;
	IF cp.campaign_id IS NULL THEN
		RETURN fupin.refuse('unavailable', format('campaign %s is not '
		    'loaded in the database yet', c));
	END IF;
	IF p->>'scope' = 'village' THEN
		SELECT village_id INTO v FROM fupin.village WHERE village_id = target;
		IF v IS NULL THEN
			RETURN fupin.refuse('unknown', format('no village %s', target));
		END IF;
	ELSE
		SELECT * INTO h FROM fupin.household WHERE household_id = target;
		IF h.household_id IS NULL THEN
			RETURN fupin.refuse('unknown', format('no household %s',
			    target));
		END IF;
		v := h.village_id;
	END IF;
	IF p->>'village' IS NOT NULL AND p->>'village' <> v THEN
		RETURN fupin.refuse('forbidden', format('%s belongs to village %s; '
		    'you may change village %s only', target, v, p->>'village'));
	END IF;

	-- The instance, locked: of two clients firing at once, the second
	-- waits here and then sees the state the first left.
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
	END IF;

	from_state := wi.state;
	e := p->'entries'->coalesce(from_state, '');
	IF e IS NULL THEN
		IF wi.instance_id IS NULL THEN
			RETURN fupin.refuse('state', format('%s has no %s procedure '
			    'yet; %s cannot be its first event', target, wf, ev),
			    jsonb_build_object('state', null));
		END IF;
		RETURN fupin.refuse('state', format('%s is not allowed in state '
		    '%s (%s of %s)', ev, from_state, wf, target),
		    jsonb_build_object('state', from_state));
	END IF;
	to_state := e->>'to';
	IF NOT coalesce((e->>'allowed')::boolean, false) THEN
		RETURN fupin.refuse('forbidden', format('%s in state %s is for %s; '
		    'you are %s', ev, coalesce(from_state, '(new)'), e->>'roles',
		    p->>'role'));
	END IF;
	IF coalesce((e->>'data_entry')::boolean, false) AND
	    p->>'lock_at' IS NOT NULL AND
	    now_at >= (p->>'lock_at')::timestamptz THEN
		RETURN fupin.refuse('locked', format('data entry closed at %s; '
		    '%s %s is data entry',
		    to_char((p->>'lock_at')::timestamptz, 'YYYY-MM-DD HH24:MI'),
		    wf, ev), jsonb_build_object('lock_at', p->'lock_at'));
	END IF;
	IF e->>'opens_at' IS NOT NULL AND
	    now_at < (e->>'opens_at')::timestamptz THEN
		RETURN fupin.refuse('state', format('%s %s is not allowed before %s',
		    wf, ev, to_char((e->>'opens_at')::timestamptz,
		    'YYYY-MM-DD HH24:MI')));
	END IF;
	IF wi.instance_id IS NULL AND h.household_id IS NOT NULL AND
	    jsonb_typeof(p->'applies_to') = 'array' AND
	    NOT (p->'applies_to' ? h.category) THEN
		RETURN fupin.refuse('guard', format('%s applies to %s households; '
		    '%s is %s', wf, (SELECT string_agg(x, ', ')
		    FROM jsonb_array_elements_text(p->'applies_to') x),
		    target, h.category), jsonb_build_object('rule',
		    'applies_to', 'category', h.category));
	END IF;
	IF coalesce((e->>'note')::boolean, false) AND note IS NULL THEN
		RETURN fupin.refuse('guard', format('%s needs a note saying why',
		    ev), jsonb_build_object('rule', 'note'));
	END IF;
	FOR g IN SELECT jsonb_array_elements_text(coalesce(e->'guards', '[]'))
	LOOP
		failed := fupin.guard_check(g, h, wi, cp, p);
		IF failed IS NOT NULL THEN
			RETURN fupin.refuse('guard', failed->>'message', failed);
		END IF;
	END LOOP;

	IF wi.instance_id IS NULL THEN
		INSERT INTO fupin.workflow_instance (campaign_id, workflow,
		    household_id, village_id, subject, state, entered_at, closed)
		VALUES (c, wf, h.household_id, v, subj, to_state, now_at,
		    p->'final' ? to_state)
		ON CONFLICT DO NOTHING
		RETURNING * INTO wi;
		IF wi.instance_id IS NULL THEN
			-- Created by a concurrent request since we looked.
			RETURN fupin.refuse('state', format('%s already has a %s '
			    'procedure', target, wf));
		END IF;
	ELSE
		UPDATE fupin.workflow_instance SET state = to_state,
		    entered_at = now_at, version = version + 1,
		    closed = p->'final' ? to_state
		WHERE instance_id = wi.instance_id;
	END IF;

	INSERT INTO fupin.transition (instance_id, campaign_id, household_id,
	    village_id, workflow, event, from_state, to_state, actor, role, at,
	    note, detail)
	VALUES (wi.instance_id, c, h.household_id, v, wf, ev, from_state,
	    to_state, p->>'actor', p->>'role', now_at, note,
	    nullif(CASE WHEN subj <> '' THEN jsonb_build_object('subject', subj)
	    ELSE '{}' END || CASE jsonb_typeof(p->'detail') WHEN 'object'
	    THEN p->'detail' ELSE '{}' END, '{}'));

	-- Listeners (other daemons, dashboards) learn of the change.
	PERFORM pg_notify('fupin_change', v);

	RETURN jsonb_build_object('ok', true, 'target', target, 'village', v,
	    'workflow', wf, 'event', ev, 'from', from_state, 'to', to_state,
	    'at', now_at);
END
$$;

-- ---------------------------------------------------------------------
-- MEMBER: natural member changes (births, marriages in and out, deaths)
-- ---------------------------------------------------------------------

-- The GB 11643-1999 check character owed by the first 17 digits of id.
CREATE OR REPLACE FUNCTION fupin.person_id_check_char(id text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT CASE WHEN id ~ '^[0-9]{17}' THEN substr('10X98765432',
    (SELECT sum(substr(id, x.i::int, 1)::int * x.w)::int % 11 + 1
     FROM unnest(ARRAY[7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
	WITH ORDINALITY AS x(w, i)), 1) END
$$;

-- A YYYY-MM-DD text as a date, or NULL when it is none: user input never
-- turns into an SQL error.
CREATE OR REPLACE FUNCTION fupin.date_or_null(t text)
RETURNS date
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
	IF t IS NULL OR t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
		RETURN NULL;
	END IF;
	RETURN make_date(substr(t, 1, 4)::int, substr(t, 6, 2)::int,
	    substr(t, 9, 2)::int);
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
	RETURN NULL;
END
$$;

-- p: {change: "increase" | "decrease", household, person_id, name,
--     relation, birth_date (increase), date (decrease), reason,
--     and the keys fupin.advance needs for the member workflow's
--     report_increase / report_decrease: campaign, entries, actor, role,
--     village, now, lock_at, applies_to, min_days, final}
-- Checks the person, writes the member row and the household's size, and
-- moves the household's member procedure for that person to reported
-- with its audit row. All or nothing: when the procedure refuses (state,
-- forbidden, a guard), the member and size writes are undone with it.
CREATE OR REPLACE FUNCTION fupin.member_change(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	c text := p->>'campaign';
	chg text := p->>'change';
	hid text := p->>'household';
	pid text := coalesce(p->>'person_id', '');
	pname text := nullif(btrim(coalesce(p->>'name', '')), '');
	reason text := nullif(btrim(coalesce(p->>'reason', '')), '');
	now_at timestamptz := (p->>'now')::timestamptz;
	-- now is written with the campaign's +08:00 offset: its calendar day
	today date := left(p->>'now', 10)::date;
	cp fupin.campaign;
	h fupin.household;
	m fupin.member;
	embedded date;
	d date;
	new_size int;
	r jsonb;
	refusal text;
BEGIN
	IF chg IS NULL OR chg NOT IN ('increase', 'decrease') THEN
		RAISE EXCEPTION 'member_change: change must be increase or '
		    'decrease, not %', chg;
	END IF;
	SELECT * INTO cp FROM fupin.campaign WHERE campaign_id = c;
	IF cp.campaign_id IS NULL THEN
		RETURN fupin.refuse('unavailable', format('campaign %s is not '
		    'loaded in the database yet', c));
	END IF;
	-- Locked: two changes of one household count its size in turn.
	SELECT * INTO h FROM fupin.household WHERE household_id = hid
	FOR UPDATE;
	IF h.household_id IS NULL THEN
		RETURN fupin.refuse('unknown', format('no household %s', hid));
	END IF;
	IF p->>'village' IS NOT NULL AND p->>'village' <> h.village_id THEN
		RETURN fupin.refuse('forbidden', format('%s belongs to village %s; '
		    'you may change village %s only', hid, h.village_id,
		    p->>'village'));
	END IF;
	IF p->>'lock_at' IS NOT NULL AND
	    now_at >= (p->>'lock_at')::timestamptz THEN
		RETURN fupin.refuse('locked', format('data entry closed at %s; '
		    'member changes are data entry',
		    to_char((p->>'lock_at')::timestamptz, 'YYYY-MM-DD HH24:MI')),
		    jsonb_build_object('lock_at', p->'lock_at'));
	END IF;

	-- The identity number: format, embedded birth date, check character.
	IF pid !~ '^[0-9]{17}[0-9X]$' THEN
		RETURN fupin.refuse('guard', format('person id %s must be 18 '
		    'characters: 17 digits and a check character (0-9 or X)',
		    pid), jsonb_build_object('rule', 'person_id_valid',
		    'person_id', pid));
	END IF;
	embedded := fupin.date_or_null(substr(pid, 7, 4) || '-' ||
	    substr(pid, 11, 2) || '-' || substr(pid, 13, 2));
	IF embedded IS NULL OR NOT fupin.person_id_valid(pid) AND
	    fupin.person_id_check_char(pid) = substr(pid, 18, 1) THEN
		RETURN fupin.refuse('guard', format('person id %s: the birth date '
		    '%s inside it is not a valid date', pid, substr(pid, 7, 8)),
		    jsonb_build_object('rule', 'person_id_valid', 'person_id',
		    pid, 'embedded', substr(pid, 7, 8)));
	END IF;
	IF fupin.person_id_check_char(pid) <> substr(pid, 18, 1) THEN
		RETURN fupin.refuse('guard', format('person id %s: check '
		    'character %s is wrong, GB 11643 gives %s', pid,
		    substr(pid, 18, 1), fupin.person_id_check_char(pid)),
		    jsonb_build_object('rule', 'person_id_valid', 'person_id',
		    pid, 'check', fupin.person_id_check_char(pid)));
	END IF;

	SELECT * INTO m FROM fupin.member WHERE person_id = pid FOR UPDATE;
	IF chg = 'increase' THEN
		IF pname IS NULL THEN
			RETURN fupin.refuse('guard', 'a new member needs a name',
			    jsonb_build_object('rule', 'member_name'));
		END IF;
		d := fupin.date_or_null(p->>'birth_date');
		IF d IS NULL THEN
			RETURN fupin.refuse('guard', format('birth date %s is not a '
			    'date (YYYY-MM-DD)', coalesce(p->>'birth_date', '')),
			    jsonb_build_object('rule', 'birth_date'));
		END IF;
		IF d <> embedded THEN
			RETURN fupin.refuse('guard', format('birth date %s does not '
			    'match %s inside person id %s', d, embedded, pid),
			    jsonb_build_object('rule', 'birth_date', 'birth_date', d,
			    'embedded', embedded));
		END IF;
		IF d > today THEN
			RETURN fupin.refuse('guard', format('birth date %s is after '
			    'today (%s)', d, today), jsonb_build_object('rule',
			    'birth_date', 'birth_date', d));
		END IF;
		-- Marrying in from another household: the person must have
		-- left it first (a decrease there); the member record moves.
		IF m.person_id IS NOT NULL AND m.household_id <> hid AND
		    NOT m.removed THEN
			RETURN fupin.refuse('guard', format('person %s is still a '
			    'member of household %s; record the decrease there '
			    'first (a person belongs to one household)', pid,
			    m.household_id), jsonb_build_object('rule',
			    'person_id_unique', 'person_id', pid, 'household',
			    m.household_id));
		END IF;
		IF m.person_id IS NOT NULL AND NOT m.removed THEN
			RETURN fupin.refuse('guard', format('person %s is already a '
			    'member of household %s', pid, hid),
			    jsonb_build_object('rule', 'person_id_unique',
			    'person_id', pid, 'household', hid));
		END IF;
		IF h.size >= 50 THEN
			RETURN fupin.refuse('guard', format('household %s already '
			    'has %s members', hid, h.size), jsonb_build_object(
			    'rule', 'size', 'size', h.size));
		END IF;
	ELSE
		IF m.person_id IS NULL OR m.household_id <> hid THEN
			RETURN fupin.refuse('guard', format('no member %s in '
			    'household %s', pid, hid), jsonb_build_object('rule',
			    'member_exists', 'person_id', pid));
		END IF;
		IF m.removed THEN
			RETURN fupin.refuse('guard', format('member %s of %s was '
			    'already removed on %s (%s)', pid, hid,
			    coalesce(m.change_date::text, '?'),
			    coalesce(m.change_reason, '?')), jsonb_build_object(
			    'rule', 'member_exists', 'person_id', pid));
		END IF;
		d := fupin.date_or_null(p->>'date');
		IF d IS NULL OR d > today THEN
			RETURN fupin.refuse('guard', format('date %s is not a date '
			    '(YYYY-MM-DD) up to today (%s)',
			    coalesce(p->>'date', ''), today), jsonb_build_object(
			    'rule', 'change_date'));
		END IF;
		IF reason IS NULL THEN
			RETURN fupin.refuse('guard', 'a decrease needs its reason '
			    '(death, marriage out, ...)', jsonb_build_object('rule',
			    'change_reason'));
		END IF;
	END IF;

	-- A subtransaction: a refusal by the procedure undoes the writes.
	BEGIN
		IF chg = 'increase' THEN
			-- The conflict arm is a removed member coming back, to this
			-- household or (a marriage) from another one; a member not
			-- removed lost a race and is refused.
			INSERT INTO fupin.member AS x (person_id, household_id,
			    name, relation, birth_date, removed, change,
			    change_reason, change_date)
			VALUES (pid, hid, pname, coalesce(p->>'relation', ''), d,
			    false, 'increase', reason, today)
			ON CONFLICT (person_id) DO UPDATE SET
			    household_id = excluded.household_id,
			    name = excluded.name, relation = excluded.relation,
			    birth_date = excluded.birth_date, removed = false,
			    change = 'increase', change_reason = excluded.change_reason,
			    change_date = excluded.change_date
			WHERE x.removed
			RETURNING * INTO m;
			IF m.person_id IS NULL THEN
				RAISE EXCEPTION USING ERRCODE = 'FP001',
				    MESSAGE = 'member change refused',
				    DETAIL = fupin.refuse('guard', format('person %s '
				    'was just added elsewhere', pid),
				    jsonb_build_object('rule', 'person_id_unique'))::text;
			END IF;
			new_size := h.size + 1;
		ELSE
			UPDATE fupin.member SET removed = true, change = 'decrease',
			    change_reason = reason, change_date = d
			WHERE person_id = pid
			RETURNING * INTO m;
			new_size := greatest(h.size - 1, 1);
		END IF;
		UPDATE fupin.household SET size = new_size, updated_at = now()
		WHERE household_id = hid;

		r := fupin.advance(p || jsonb_build_object('workflow', 'member',
		    'scope', 'household', 'target', hid, 'subject', pid,
		    'event', CASE chg WHEN 'increase' THEN 'report_increase'
		    ELSE 'report_decrease' END, 'note', reason,
		    'detail', jsonb_build_object('person_id', pid, 'name', m.name,
		    'relation', m.relation, 'change', chg, 'reason', reason,
		    'date', m.change_date, 'size', jsonb_build_object('old',
		    h.size, 'new', new_size))));
		IF NOT coalesce((r->>'ok')::boolean, false) THEN
			RAISE EXCEPTION USING ERRCODE = 'FP001',
			    MESSAGE = 'member change refused', DETAIL = r::text;
		END IF;
	EXCEPTION WHEN SQLSTATE 'FP001' THEN
		GET STACKED DIAGNOSTICS refusal = PG_EXCEPTION_DETAIL;
		RETURN refusal::jsonb;
	END;

	RETURN r || jsonb_build_object('size', new_size, 'member',
	    jsonb_build_object('person_id', m.person_id, 'name', m.name,
	    'relation', m.relation, 'birth_date', m.birth_date,
	    'removed', m.removed, 'change', m.change,
	    'reason', m.change_reason, 'date', m.change_date));
END
$$;

-- The refusal for a village filter that names no village; NULL otherwise
-- (no filter, or a known village). Readers answer coalesce(this, ...).
CREATE OR REPLACE FUNCTION fupin.unknown_village(v text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
SELECT fupin.refuse('unknown', format('no village %s', v))
WHERE v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM fupin.village
    WHERE village_id = v)
$$;

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

GRANT SELECT, INSERT, DELETE ON fupin.state_rule TO fupin_daemon;
GRANT SELECT ON fupin.instance_due TO fupin_daemon;

-- The counters are rewritten by every transition: leave room on each page
-- for HOT updates, and vacuum them by the number of dead rows, not by a
-- share of a table that is always tiny (seen: 100 live rows, 72,000 dead
-- after a bulk load).
ALTER TABLE fupin.state_count SET (fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000);
