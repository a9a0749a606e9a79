-- 40-guards.sql: The guards of the workflow files, evaluated against the
-- database's current truth.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

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
	pr fupin.problem;
	qr fupin.quality_rule;
	finding text;
	hits int;
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
		IF h.relapse_year = cp.year THEN
			RETURN jsonb_build_object('rule', g, 'relapse_year',
			    h.relapse_year, 'message', format('relapsed in %s: a '
			    'household relapsed this year cannot exit this year',
			    h.relapse_year));
		END IF;
		-- A relapse of an earlier year exits like any poor household;
		-- one whose year was never recorded cannot be told apart.
		IF h.category = 'relapsed' AND h.relapse_year IS NULL THEN
			RETURN jsonb_build_object('rule', g, 'relapse_year', NULL,
			    'message', 'relapsed in an unknown year: record the '
			    'relapse year (relapse_year, 返贫年度) before an exit');
		END IF;
		IF EXISTS (SELECT 1 FROM
		    fupin.workflow_instance x WHERE x.campaign_id = cp.campaign_id
		    AND x.workflow = 'inclusion' AND x.household_id = h.household_id
		    AND x.state = 'included') THEN
			RETURN jsonb_build_object('rule', g, 'category', h.category,
			    'message', format('included in %s: it cannot exit in '
			    'the same year', cp.year));
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
			    coalesce(nullif(h.relapse_reason, '') || coalesce(' (' ||
			    (p->'reason_titles'->>h.relapse_reason) || ')', ''),
			    'none')));
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
			    'allowed', p->(CASE g WHEN 'risk_named'
			    THEN 'marginal_risks' ELSE 'monitoring_risks' END),
			    'message', format('no named risk: one of %s (the '
			    'household has %s)', (SELECT string_agg(x, ', ') FROM
			    jsonb_array_elements_text(p->(CASE g WHEN 'risk_named'
			    THEN 'marginal_risks' ELSE 'monitoring_risks' END)) x),
			    coalesce(nullif(h.risk, '') || coalesce(' (' ||
			    (p->'reason_titles'->>h.risk) || ')', ''), 'none')));
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
	WHEN 'member_list_agrees' THEN
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
		IF p->>'event' = 'report_decrease' AND NOT m.removed THEN
			RETURN jsonb_build_object('rule', g, 'person_id',
			    m.person_id, 'removed', false, 'message',
			    format('member %s (%s) is still listed in household %s: '
			    'record the decrease (MEMBER %s REMOVE ...) rather than '
			    'report one', m.person_id, m.name, h.household_id,
			    h.household_id));
		END IF;
		IF p->>'event' = 'report_increase' AND m.removed THEN
			RETURN jsonb_build_object('rule', g, 'person_id',
			    m.person_id, 'removed', true, 'message',
			    format('member %s (%s) is recorded as gone from '
			    'household %s (%s %s): an increase needs the person '
			    'listed', m.person_id, m.name, h.household_id,
			    coalesce(m.change_reason, '?'),
			    coalesce(m.change_date::text, '?')));
		END IF;
	WHEN 'problem_cleared' THEN
		-- The rule that found the problem runs again, for this household
		-- (and person) only: a re-check passes on corrected data only.
		-- A rectify opened by hand (find) carries no problem: nothing
		-- to run again.
		IF coalesce(wi.subject, p->>'subject', '') = '' THEN
			RETURN NULL;
		END IF;
		SELECT * INTO pr FROM fupin.problem x
		WHERE x.problem_id::text = coalesce(wi.subject, p->>'subject')
		    AND x.household_id = h.household_id;
		IF pr.problem_id IS NULL THEN
			RETURN jsonb_build_object('rule', g, 'message',
			    format('no problem %s of household %s',
			    coalesce(nullif(coalesce(wi.subject, p->>'subject'), ''),
			    '(none)'), h.household_id));
		END IF;
		SELECT * INTO qr FROM fupin.quality_rule WHERE rule_id = pr.rule_id;
		EXECUTE format('SELECT q.detail FROM (%s) q WHERE '
		    'q.household_id = $2 AND coalesce(q.person_id, '''') = $3 '
		    'LIMIT 1', fupin.quality_rule_sql(qr))
		INTO finding USING cp.campaign_id, pr.household_id, pr.person_id;
		-- EXECUTE leaves FOUND alone; its row count says.
		GET DIAGNOSTICS hits = ROW_COUNT;
		IF hits > 0 THEN
			RETURN jsonb_build_object('rule', g, 'problem',
			    pr.problem_id, 'quality_rule', qr.rule_id,
			    'finding', finding, 'message', format('problem %s still '
			    'holds: %s (%s)%s%s', pr.problem_id, qr.title_zh,
			    qr.rule_id, CASE WHEN pr.person_id <> '' THEN ', person '
			    || pr.person_id ELSE '' END, coalesce(nullif(': ' ||
			    finding, ': '), '')));
		END IF;
	ELSE
		RAISE EXCEPTION 'unknown guard %', g;
	END CASE;
	RETURN NULL;
END
$$;
