-- 005_quality.sql: data-quality rules as data, and the problem list.
--
-- From the analysis window on (Nov 27 - Dec 8), the township runs the
-- rules (ANALYZE): each is a SQL condition over a household `h` (and, for
-- member rules, a member `m`) with the campaign `c` in scope; every row it
-- matches is a problem. Each new problem starts a `rectify` procedure for
-- its household (subject = the problem id) that carries it through the
-- verification, correction and re-check windows. Rules are rows, so a
-- county adds its own with an INSERT; a rule whose SQL does not compile is
-- refused when it is written, not when ANALYZE runs.

CREATE TABLE fupin.quality_rule (
	rule_id		text PRIMARY KEY CHECK (rule_id ~ '^[a-z][a-z0-9_]{0,63}$'),
	scope		text NOT NULL CHECK (scope IN ('household', 'member')),
	title_zh	text NOT NULL CHECK (btrim(title_zh) <> ''),
	title_en	text NOT NULL DEFAULT '',
	-- A boolean SQL expression: true means "this is a problem".
	condition	text NOT NULL CHECK (btrim(condition) <> ''),
	-- A text SQL expression shown with each problem (the figures).
	detail		text NOT NULL DEFAULT '''''',
	enabled		boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE fupin.quality_rule IS
    'Data-quality rules: SQL conditions over h (household), m (member), c (campaign); run by ANALYZE';

-- The query a rule runs, for validation and for ANALYZE alike.
CREATE OR REPLACE FUNCTION fupin.quality_rule_sql(r fupin.quality_rule)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE r.scope
WHEN 'household' THEN format(
    'SELECT h.household_id, h.village_id, NULL::text AS person_id, '
    '(%s)::text AS detail FROM fupin.household h '
    'JOIN fupin.campaign c ON c.campaign_id = $1 WHERE (%s)',
    r.detail, r.condition)
ELSE format(
    'SELECT h.household_id, h.village_id, m.person_id::text, '
    '(%s)::text AS detail FROM fupin.member m '
    'JOIN fupin.household h USING (household_id) '
    'JOIN fupin.campaign c ON c.campaign_id = $1 '
    'WHERE NOT m.removed AND (%s)', r.detail, r.condition)
END
$$;

-- A rule must compile (plan) before it is stored.
CREATE OR REPLACE FUNCTION fupin.quality_rule_check()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	EXECUTE 'EXPLAIN ' || fupin.quality_rule_sql(NEW) USING ''::text;
	RETURN NEW;
EXCEPTION WHEN OTHERS THEN
	RAISE EXCEPTION 'quality rule %: % (condition: %)', NEW.rule_id,
	    SQLERRM, NEW.condition USING ERRCODE = 'invalid_parameter_value';
END
$$;
CREATE TRIGGER quality_rule_compiles BEFORE INSERT OR UPDATE
    ON fupin.quality_rule FOR EACH ROW EXECUTE FUNCTION fupin.quality_rule_check();

CREATE TABLE fupin.problem (
	problem_id	bigserial PRIMARY KEY,
	campaign_id	text NOT NULL REFERENCES fupin.campaign,
	rule_id		text NOT NULL REFERENCES fupin.quality_rule,
	household_id	text NOT NULL REFERENCES fupin.household,
	village_id	text NOT NULL REFERENCES fupin.village,
	person_id	text NOT NULL DEFAULT '',
	detail		text NOT NULL DEFAULT '',
	found_at	timestamptz NOT NULL,	-- daemon clock
	cleared_at	timestamptz,		-- a later ANALYZE no longer finds it
	UNIQUE (campaign_id, rule_id, household_id, person_id)
);
CREATE INDEX problem_village_idx ON fupin.problem (campaign_id, village_id);
COMMENT ON TABLE fupin.problem IS
    'The per-household, per-person problem list found by ANALYZE; each carried by a rectify procedure';

-- The shipped rules: what the national system's own checks look for in
-- the 2019 campaign (attachment: 数据质量问题清单), in data, not code.
INSERT INTO fupin.quality_rule (rule_id, scope, title_zh, title_en,
    condition, detail) VALUES
('income_missing', 'household', '建档立卡户缺少人均纯收入',
 'registered household without a per-capita income',
 $q$h.category IN ('poor', 'lifted', 'relapsed', 'monitoring') AND h.income_per_capita IS NULL$q$,
 $q$'category ' || h.category$q$),
('lifted_below_threshold', 'household', '已脱贫户人均纯收入低于退出标准',
 'lifted household below the exit threshold',
 $q$h.category IN ('lifted', 'monitoring') AND h.income_per_capita < c.exit_threshold$q$,
 $q$format('income %s < %s', h.income_per_capita, c.exit_threshold)$q$),
('lifted_guarantee_unresolved', 'household', '已脱贫户"两不愁三保障"未全部解决',
 'lifted household with an unresolved guarantee',
 $q$h.category IN ('lifted', 'monitoring') AND NOT (h.food AND h.clothing AND h.education AND h.medical AND h.housing)$q$,
 $q$concat_ws(', ', CASE WHEN NOT h.food THEN 'food' END, CASE WHEN NOT h.clothing THEN 'clothing' END, CASE WHEN NOT h.education THEN 'education' END, CASE WHEN NOT h.medical THEN 'medical' END, CASE WHEN NOT h.housing THEN 'housing' END)$q$),
('lifted_before_identified', 'household', '脱贫年度早于识别年度',
 'lifted before it was identified',
 $q$h.lifted_year < h.identified_year$q$,
 $q$format('identified %s, lifted %s', h.identified_year, h.lifted_year)$q$),
('lifted_without_year', 'household', '已脱贫户缺少脱贫年度',
 'lifted household without a lifted year',
 $q$h.category IN ('lifted', 'monitoring') AND h.lifted_year IS NULL$q$,
 $q$'category ' || h.category$q$),
('size_mismatch', 'household', '家庭人口数与成员信息不一致',
 'household size differs from its members',
 $q$EXISTS (SELECT 1 FROM fupin.member x WHERE x.household_id = h.household_id) AND h.size <> (SELECT count(*) FROM fupin.member x WHERE x.household_id = h.household_id AND NOT x.removed)$q$,
 $q$format('size %s, members %s', h.size, (SELECT count(*) FROM fupin.member x WHERE x.household_id = h.household_id AND NOT x.removed))$q$),
('member_birth_mismatch', 'member', '出生日期与身份证号不一致',
 'birth date differs from the identity number',
 $q$m.birth_date IS NOT NULL AND to_char(m.birth_date, 'YYYYMMDD') <> substr(m.person_id, 7, 8)$q$,
 $q$format('birth %s, id %s', m.birth_date, substr(m.person_id, 7, 8))$q$),
('member_no_head', 'household', '家庭成员中没有户主',
 'no member is the head of household',
 $q$EXISTS (SELECT 1 FROM fupin.member x WHERE x.household_id = h.household_id) AND NOT EXISTS (SELECT 1 FROM fupin.member x WHERE x.household_id = h.household_id AND NOT x.removed AND x.relation IN ('户主', 'head'))$q$,
 $q$h.head_name$q$);

-- ANALYZE: run every enabled rule; record new problems, clear those no
-- longer found, and start a rectify procedure (state `found`, audited) for
-- each new one. One transaction; set-based per rule.
-- p: {campaign, now, actor, role}
CREATE OR REPLACE FUNCTION fupin.analyze(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql
AS $$
DECLARE
	c text := p->>'campaign';
	now_at timestamptz := (p->>'now')::timestamptz;
	r fupin.quality_rule;
	per_rule jsonb := '{}';
	n_new int;
	n_total int := 0;
	n_cleared int;
BEGIN
	CREATE TEMP TABLE IF NOT EXISTS quality_found (household_id text,
	    village_id text, person_id text, detail text) ON COMMIT DROP;
	CREATE TEMP TABLE IF NOT EXISTS quality_new (problem_id bigint)
	    ON COMMIT DROP;
	TRUNCATE quality_new;
	FOR r IN SELECT * FROM fupin.quality_rule WHERE enabled ORDER BY rule_id
	LOOP
		TRUNCATE quality_found;
		EXECUTE 'INSERT INTO quality_found ' || fupin.quality_rule_sql(r)
		    USING c;
		WITH ins AS (
			INSERT INTO fupin.problem (campaign_id, rule_id,
			    household_id, village_id, person_id, detail, found_at)
			SELECT c, r.rule_id, f.household_id, f.village_id,
			    coalesce(f.person_id, ''), coalesce(f.detail, ''), now_at
			FROM quality_found f
			ON CONFLICT (campaign_id, rule_id, household_id, person_id)
			DO UPDATE SET detail = excluded.detail, cleared_at = NULL
			RETURNING problem_id, (xmax = 0) AS inserted
		)
		INSERT INTO quality_new SELECT problem_id FROM ins WHERE inserted;
		GET DIAGNOSTICS n_new = ROW_COUNT;
		UPDATE fupin.problem pr SET cleared_at = now_at
		WHERE pr.campaign_id = c AND pr.rule_id = r.rule_id AND
		    pr.cleared_at IS NULL AND NOT EXISTS (SELECT 1 FROM
		    quality_found f WHERE f.household_id = pr.household_id AND
		    coalesce(f.person_id, '') = pr.person_id);
		GET DIAGNOSTICS n_cleared = ROW_COUNT;
		per_rule := per_rule || jsonb_build_object(r.rule_id,
		    jsonb_build_object('found', (SELECT count(*) FROM
		    quality_found), 'new', n_new, 'cleared', n_cleared));
		n_total := n_total + n_new;
	END LOOP;

	-- A rectify procedure per new problem, with its audit row.
	WITH wi AS (
		INSERT INTO fupin.workflow_instance (campaign_id, workflow,
		    household_id, village_id, subject, state, entered_at)
		SELECT c, 'rectify', pr.household_id, pr.village_id,
		    pr.problem_id::text, 'found', now_at
		FROM fupin.problem pr JOIN quality_new q USING (problem_id)
		ON CONFLICT DO NOTHING
		RETURNING instance_id, household_id, village_id, subject
	)
	INSERT INTO fupin.transition (instance_id, campaign_id, household_id,
	    village_id, workflow, event, from_state, to_state, actor, role, at,
	    note, detail)
	SELECT wi.instance_id, c, wi.household_id, wi.village_id, 'rectify',
	    'find', NULL, 'found', p->>'actor', p->>'role', now_at,
	    pr.rule_id, jsonb_build_object('subject', wi.subject, 'problem',
	    pr.problem_id, 'rule', pr.rule_id, 'detail', pr.detail)
	FROM wi JOIN fupin.problem pr ON pr.problem_id = wi.subject::bigint;

	RETURN jsonb_build_object('ok', true, 'new', n_total,
	    'open', (SELECT count(*) FROM fupin.problem WHERE campaign_id = c
		AND cleared_at IS NULL),
	    'rules', per_rule);
END
$$;

-- PROBLEMS [VILLAGE]: the list, with where each one's rectify stands.
CREATE OR REPLACE FUNCTION fupin.problems(c text, vfilter text, max_rows int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT coalesce(fupin.unknown_village(vfilter), jsonb_build_object('ok', true,
    'count', (SELECT count(*) FROM fupin.problem pr WHERE pr.campaign_id = c
	AND (vfilter IS NULL OR pr.village_id = vfilter)),
    'items', coalesce(jsonb_agg(x ORDER BY x.village, x.household, x.id),
    '[]')))
FROM (SELECT pr.problem_id AS id, pr.village_id AS village,
	pr.household_id AS household, nullif(pr.person_id, '') AS person,
	pr.rule_id AS rule, qr.title_zh AS title, pr.detail,
	wi.state AS rectify, pr.cleared_at IS NOT NULL AS cleared
      FROM fupin.problem pr
      JOIN fupin.quality_rule qr USING (rule_id)
      LEFT JOIN fupin.workflow_instance wi ON wi.campaign_id = pr.campaign_id
	AND wi.workflow = 'rectify' AND wi.household_id = pr.household_id
	AND wi.subject = pr.problem_id::text
      WHERE pr.campaign_id = c AND (vfilter IS NULL OR pr.village_id = vfilter)
      ORDER BY pr.village_id, pr.household_id, pr.problem_id
      LIMIT max_rows) x
	);
END
$$;

GRANT SELECT ON fupin.quality_rule TO fupin_daemon;
GRANT SELECT, INSERT, UPDATE ON fupin.problem TO fupin_daemon;
GRANT USAGE ON SEQUENCE fupin.problem_problem_id_seq TO fupin_daemon;
