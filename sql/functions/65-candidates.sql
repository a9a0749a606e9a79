-- 65-candidates.sql: CANDIDATES: what probably should have a procedure and
-- has none.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.
--
-- Three kinds, read from the register against the campaign's figures
-- (fupin.campaign: exit and marginal thresholds, the campaign year; never
-- from code), each the same test as the guard the procedure would meet:
--   exit      a poor household, or one relapsed in an earlier year, that
--             meets every exit criterion (income_exit, guarantees,
--             not_new_this_year) and has no exit procedure
--   relapse   a lifted (or monitoring) household below the exit threshold
--             or with a guarantee unresolved: a possible relapse, with
--             neither an inclusion nor a monitoring procedure
--   marginal  a household outside the register (ordinary, marginal) below
--             the marginal line without a survey (marginal or inclusion
--             procedure); flag risk_not_recorded when it has no named risk
--             (the survey would need one)
-- A procedure in any state counts, withdrawn and dropped too: someone
-- decided. Income NULL (not surveyed) is below no line and above none.

CREATE OR REPLACE FUNCTION fupin.candidate_rows(c text, vfilter text)
RETURNS TABLE (household_id text, village_id text, head_name text,
    category text, kind text, workflow text, income numeric,
    threshold numeric, unresolved text[], risk text, flag text)
LANGUAGE sql STABLE
AS $$
WITH cp AS (
	SELECT * FROM fupin.campaign WHERE campaign_id = c
), h AS (
	SELECT x.*, array_remove(ARRAY[
	    CASE WHEN NOT x.food THEN 'food' END,
	    CASE WHEN NOT x.clothing THEN 'clothing' END,
	    CASE WHEN NOT x.education THEN 'education' END,
	    CASE WHEN NOT x.medical THEN 'medical' END,
	    CASE WHEN NOT x.housing THEN 'housing' END], NULL) AS unresolved,
	    ARRAY(SELECT DISTINCT wi.workflow FROM fupin.workflow_instance wi
		WHERE wi.campaign_id = c AND wi.household_id = x.household_id)
		AS procedures
	FROM fupin.household x
	WHERE vfilter IS NULL OR x.village_id = vfilter
)
SELECT h.household_id, h.village_id, h.head_name, h.category, 'exit',
    'exit', h.income_per_capita, cp.exit_threshold, h.unresolved, h.risk,
    NULL
FROM h, cp
WHERE h.category IN ('poor', 'relapsed')
    AND h.income_per_capita >= cp.exit_threshold
    AND cardinality(h.unresolved) = 0
    AND h.identified_year IS DISTINCT FROM cp.year
    AND (h.category = 'poor' AND h.relapse_year IS DISTINCT FROM cp.year OR
	h.category = 'relapsed' AND h.relapse_year < cp.year)
    AND NOT h.procedures && ARRAY['exit', 'inclusion']
UNION ALL
SELECT h.household_id, h.village_id, h.head_name, h.category, 'relapse',
    'inclusion', h.income_per_capita, cp.exit_threshold, h.unresolved,
    h.risk, NULL
FROM h, cp
WHERE h.category IN ('lifted', 'monitoring')
    AND (h.income_per_capita < cp.exit_threshold OR
	cardinality(h.unresolved) > 0)
    AND NOT h.procedures && ARRAY['inclusion', 'monitoring']
UNION ALL
SELECT h.household_id, h.village_id, h.head_name, h.category, 'marginal',
    'marginal', h.income_per_capita, cp.marginal_threshold, h.unresolved,
    h.risk,
    CASE WHEN coalesce(btrim(h.risk), '') = '' THEN 'risk_not_recorded' END
FROM h, cp
WHERE h.category IN ('ordinary', 'marginal')
    AND h.income_per_capita < cp.marginal_threshold
    AND NOT h.procedures && ARRAY['marginal', 'inclusion']
$$;

-- For people: why this household is listed.
CREATE OR REPLACE FUNCTION fupin.candidate_reason(kind text, income numeric,
    threshold numeric, unresolved text[], risk text, flag text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE kind
    WHEN 'exit' THEN format('meets every exit criterion (income %s >= %s, '
	'两不愁三保障 resolved, not new this year) and has no exit proposal',
	fupin.yuan(income), fupin.yuan(threshold))
    WHEN 'relapse' THEN format('possible relapse: %s; no inclusion or '
	'monitoring procedure', concat_ws('; ',
	CASE WHEN income < threshold THEN format('income %s < %s',
	    fupin.yuan(income), fupin.yuan(threshold)) END,
	CASE WHEN cardinality(unresolved) > 0 THEN 'unresolved: ' ||
	    array_to_string(unresolved, ', ') END))
    ELSE format('income %s < %s (marginal line), %s; no survey',
	fupin.yuan(income), fupin.yuan(threshold),
	CASE WHEN flag = 'risk_not_recorded' THEN 'risk not recorded'
	ELSE 'risk ' || risk END)
    END
$$;

-- CANDIDATES [VILLAGE]: {ok, count, counts: {exit, relapse, marginal},
-- items: [{household, village, head_name, category, kind, workflow,
-- income, threshold, unresolved, risk, flag, reason}]}, by village and
-- household, at most max_rows items (count is without that limit).
CREATE OR REPLACE FUNCTION fupin.candidates(c text, vfilter text,
    max_rows int)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
	RETURN (
WITH r AS MATERIALIZED (
	SELECT * FROM fupin.candidate_rows(c, vfilter)
)
SELECT coalesce(fupin.unknown_village(vfilter), jsonb_build_object('ok', true,
    'count', (SELECT count(*) FROM r),
    'counts', (SELECT jsonb_build_object(
	'exit', count(*) FILTER (WHERE r.kind = 'exit'),
	'relapse', count(*) FILTER (WHERE r.kind = 'relapse'),
	'marginal', count(*) FILTER (WHERE r.kind = 'marginal')) FROM r),
    'items', (SELECT coalesce(jsonb_agg(jsonb_build_object(
	'household', x.household_id, 'village', x.village_id,
	'head_name', x.head_name, 'category', x.category, 'kind', x.kind,
	'workflow', x.workflow, 'income', x.income,
	'threshold', x.threshold, 'unresolved', to_jsonb(x.unresolved),
	'risk', x.risk, 'flag', x.flag,
	'reason', fupin.candidate_reason(x.kind, x.income, x.threshold,
	    x.unresolved, x.risk, x.flag))
	ORDER BY x.village_id, x.household_id, x.kind), '[]')
	FROM (SELECT * FROM r ORDER BY r.village_id, r.household_id, r.kind
	    LIMIT max_rows) x)))
	);
END
$$;
