-- 85-quality.sql: Data quality: rules stored as rows, ANALYZE and PROBLEMS.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

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

CREATE OR REPLACE TRIGGER quality_rule_compiles BEFORE INSERT OR UPDATE
    ON fupin.quality_rule FOR EACH ROW EXECUTE FUNCTION fupin.quality_rule_check();

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

-- The final figures of the rectification (问题核查整改): per village, the
-- problems found by ANALYZE in campaign c, and how far their rectify
-- procedures went: verified on site (verified or later), corrected in
-- the system (corrected or later), re-checked (closed by the re-check),
-- dismissed (not a problem after all), and remaining: what is left, every
-- problem whose procedure is not closed yet (a problem a later ANALYZE no
-- longer finds is still left until its procedure closes). A row per
-- village (every village, problems or not), and a row with village_id
-- NULL for the township; v names one village (its row only).
-- Used by PROBLEMS (figures), the metrics and, later, STATUS and the
-- report.
CREATE OR REPLACE FUNCTION fupin.problem_figures(c text, v text DEFAULT NULL)
RETURNS TABLE (village_id text, found bigint, verified bigint,
    corrected bigint, rechecked bigint, dismissed bigint, remaining bigint)
LANGUAGE sql STABLE
AS $$
WITH p AS (
	SELECT pr.village_id, wi.state
	FROM fupin.problem pr
	LEFT JOIN fupin.workflow_instance wi ON wi.campaign_id = pr.campaign_id
	    AND wi.workflow = 'rectify' AND wi.household_id = pr.household_id
	    AND wi.subject = pr.problem_id::text
	WHERE pr.campaign_id = c AND (v IS NULL OR pr.village_id = v)
), per AS (
	SELECT vl.village_id,
	    count(p.village_id) AS found,
	    count(*) FILTER (WHERE p.state IN ('verified', 'corrected',
		'rechecked')) AS verified,
	    count(*) FILTER (WHERE p.state IN ('corrected', 'rechecked'))
		AS corrected,
	    count(*) FILTER (WHERE p.state = 'rechecked') AS rechecked,
	    count(*) FILTER (WHERE p.state = 'dismissed') AS dismissed,
	    count(p.village_id) FILTER (WHERE p.state IS NULL OR
		p.state NOT IN ('rechecked', 'dismissed')) AS remaining
	FROM fupin.village vl
	LEFT JOIN p ON p.village_id = vl.village_id
	WHERE v IS NULL OR vl.village_id = v
	GROUP BY vl.village_id
)
SELECT * FROM per
UNION ALL
SELECT NULL, sum(found)::bigint, sum(verified)::bigint,
    sum(corrected)::bigint, sum(rechecked)::bigint, sum(dismissed)::bigint,
    sum(remaining)::bigint
FROM per HAVING v IS NULL
ORDER BY 1 NULLS LAST
$$;

-- The figures as JSON: {"villages": {"V01": {found, verified, corrected,
-- rechecked, dismissed, left}, ...}, "total": {...}}; total is the
-- township's, or the one village's when v is given.
CREATE OR REPLACE FUNCTION fupin.problem_figures_json(c text, v text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
WITH f AS (
	SELECT f.village_id, jsonb_build_object('found', f.found,
	    'verified', f.verified, 'corrected', f.corrected,
	    'rechecked', f.rechecked, 'dismissed', f.dismissed,
	    'left', f.remaining) AS o
	FROM fupin.problem_figures(c, v) f
)
SELECT jsonb_build_object(
    'villages', coalesce((SELECT jsonb_object_agg(f.village_id, f.o)
	FROM f WHERE f.village_id IS NOT NULL), '{}'),
    'total', coalesce((SELECT f.o FROM f WHERE f.village_id IS NULL),
	(SELECT f.o FROM f WHERE f.village_id = v),
	jsonb_build_object('found', 0, 'verified', 0, 'corrected', 0,
	    'rechecked', 0, 'dismissed', 0, 'left', 0)))
$$;

-- PROBLEMS [VILLAGE]: the list, with where each one's rectify stands, and
-- the figures.
CREATE OR REPLACE FUNCTION fupin.problems(c text, vfilter text, max_rows int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
SELECT coalesce(fupin.unknown_village(vfilter), jsonb_build_object('ok', true,
    'count', (SELECT count(*) FROM fupin.problem pr WHERE pr.campaign_id = c
	AND (vfilter IS NULL OR pr.village_id = vfilter)),
    'figures', fupin.problem_figures_json(c, vfilter),
    'items', coalesce(jsonb_agg(x ORDER BY x.village, x.household, x.id),
    '[]')))
FROM (SELECT pr.problem_id AS id, pr.village_id AS village,
	pr.household_id AS household, nullif(pr.person_id, '') AS person,
	pr.rule_id AS rule, qr.title_zh AS title, qr.severity, pr.detail,
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
