-- 92-lists.sql: the documents each stage ends in (LIST and TABLES).
--
-- The notice lists (公示名单), the exit request to the city (退出请示名单),
-- the lists of newly identified and relapsed, marginal and monitoring
-- households, the problem list, and the door-to-door verification tables
-- (对照表). Each answer is one page of a document: its title, township,
-- village(s), the daemon's date, its columns (key, title, type), rows (one
-- array of cells per row, in column order), per-village subtotals and the
-- row the next page starts at ("next", NULL on the last page). A page holds
-- rows up to `budget` bytes of JSON (at least one), so that no answer
-- outgrows what the status socket will queue for a client.
--
-- Re-applied by fupind --migrate after the numbered migrations whenever a
-- file of sql/functions/ changed (see sql/README.md): only CREATE OR
-- REPLACE and other statements that may run again.

-- "村级公示" from a state title "村级公示 / village notice".
CREATE OR REPLACE FUNCTION fupin.doc_zh(title text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT nullif(split_part(title, ' / ', 1), '') $$;

CREATE OR REPLACE FUNCTION fupin.doc_date(t timestamptz)
RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT to_char(t AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') $$;

CREATE OR REPLACE FUNCTION fupin.doc_category(cat text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE cat WHEN 'poor' THEN '建档立卡贫困户' WHEN 'lifted' THEN '脱贫户'
	WHEN 'relapsed' THEN '返贫户' WHEN 'marginal' THEN '边缘户'
	WHEN 'monitoring' THEN '脱贫监测户' WHEN 'ordinary' THEN '一般农户'
	ELSE cat END
$$;

-- The last stay of an instance in a state: when it entered and when it
-- left (NULL while it is still there).
CREATE OR REPLACE FUNCTION fupin.doc_stay(inst bigint, st text)
RETURNS TABLE (entered timestamptz, left_at timestamptz)
LANGUAGE sql STABLE
AS $$
SELECT t.at, (SELECT min(t2.at) FROM fupin.transition t2
	WHERE t2.instance_id = inst AND t2.transition_id > t.transition_id
	AND t2.from_state = st)
FROM fupin.transition t
WHERE t.instance_id = inst AND t.to_state = st
ORDER BY t.transition_id DESC LIMIT 1
$$;

-- The columns of each kind: key, title (Chinese, as the forms say), type
-- (text, int, money, yesno, date).
CREATE OR REPLACE FUNCTION fupin.doc_columns(kind text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
SELECT (SELECT jsonb_agg(jsonb_build_object('key', c[1], 'title', c[2],
	'type', c[3]) ORDER BY o)
    FROM unnest(base || extra) WITH ORDINALITY AS x(cs, o),
	LATERAL (SELECT string_to_array(x.cs, '|') AS c) y)
FROM (SELECT CASE WHEN kind = 'problems' THEN ARRAY[
	'village|行政村|text', 'household_id|户编号|text', 'group|村民小组|text',
	'head|户主姓名|text', 'person_id|身份证号|text',
	'rule|问题类型|text', 'finding|问题情况|text', 'found|发现日期|date',
	'rectify|整改环节|text', 'cleared|已清零|yesno']
    ELSE ARRAY[
	'village|行政村|text', 'household_id|户编号|text', 'group|村民小组|text',
	'head|户主姓名|text', 'size|家庭人口|int', 'category|户类别|text',
	'income|人均纯收入（元）|money', 'food|不愁吃|yesno',
	'clothing|不愁穿|yesno', 'education|义务教育有保障|yesno',
	'medical|基本医疗有保障|yesno', 'housing|住房安全有保障|yesno'] END AS base,
    CASE kind
    WHEN 'village-notice' THEN ARRAY['procedure|公示事项|text',
	'reason|返贫原因|text', 'from|公示开始|date', 'to|公示结束|date',
	'state|当前环节|text']
    WHEN 'township-notice' THEN ARRAY['procedure|公示事项|text',
	'reason|返贫原因|text', 'from|公示开始|date', 'to|公示结束|date',
	'state|当前环节|text']
    WHEN 'exit-request' THEN ARRAY['from|镇级公示开始|date',
	'to|镇级公示结束|date', 'requested|请示日期|date',
	'state|当前环节|text']
    WHEN 'inclusion' THEN ARRAY['procedure|纳入类型|text',
	'reason|返贫原因|text', 'from|村级公示开始|date', 'to|村级公示结束|date',
	'state|当前环节|text']
    WHEN 'marginal' THEN ARRAY['reason|致贫风险|text',
	'listed|列入村名单日期|date', 'state|当前环节|text']
    WHEN 'monitoring' THEN ARRAY['reason|返贫风险|text',
	'listed|列入村名单日期|date', 'state|当前环节|text']
    ELSE ARRAY[]::text[] END AS extra) k
$$;

CREATE OR REPLACE FUNCTION fupin.doc_title(kind text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
SELECT CASE kind
	WHEN 'village-notice' THEN '扶贫对象动态管理村级公示名单'
	WHEN 'township-notice' THEN '扶贫对象动态管理镇级公示名单'
	WHEN 'exit-request' THEN '贫困户退出请示名单'
	WHEN 'inclusion' THEN '新识别和返贫纳入贫困户名单'
	WHEN 'marginal' THEN '边缘户名单'
	WHEN 'monitoring' THEN '脱贫监测户名单'
	WHEN 'problems' THEN '数据质量问题清单'
	WHEN 'tables' THEN '扶贫对象信息入户核对表' END
$$;

-- Every row of a list, with the village and household it counts for in
-- the subtotals and the order it is printed in. labels: {code: title} of
-- the campaign's relapse reasons and risks.
CREATE OR REPLACE FUNCTION fupin.doc_rows(c text, kind text, vfilter text,
    labels jsonb, now_at timestamptz)
RETURNS TABLE (village_id text, household_id text, size int, sort_key text,
    cells jsonb)
LANGUAGE sql STABLE
AS $$
WITH hh AS (
	SELECT h.*, v.name AS village_name,
	    jsonb_build_array(v.name, h.household_id, h.group_name, h.head_name,
		h.size, fupin.doc_category(h.category), h.income_per_capita,
		h.food, h.clothing, h.education, h.medical, h.housing) AS base
	FROM fupin.household h JOIN fupin.village v USING (village_id)
	WHERE vfilter IS NULL OR h.village_id = vfilter
),
inst AS (
	SELECT wi.*, fupin.doc_zh(sr.title) AS state_title, sr.min_days
	FROM fupin.workflow_instance wi
	LEFT JOIN fupin.state_rule sr USING (campaign_id, workflow, state)
	WHERE wi.campaign_id = c AND wi.household_id IS NOT NULL
	    AND (vfilter IS NULL OR wi.village_id = vfilter)
),
notice AS (
	-- village-notice, township-notice, inclusion: the stay in the notice
	SELECT i.*, s.entered, s.left_at,
	    coalesce(s.left_at, s.entered + make_interval(days =>
		coalesce(nr.min_days, 0))) AS ends
	FROM inst i
	JOIN LATERAL fupin.doc_stay(i.instance_id, CASE kind
	    WHEN 'township-notice' THEN 'township_notice'
	    ELSE 'village_notice' END) s ON true
	LEFT JOIN fupin.state_rule nr ON nr.campaign_id = c
	    AND nr.workflow = i.workflow AND nr.state = CASE kind
	    WHEN 'township-notice' THEN 'township_notice'
	    ELSE 'village_notice' END
	WHERE kind IN ('village-notice', 'township-notice', 'inclusion')
	    AND i.workflow IN ('exit', 'inclusion') AND i.state <> 'withdrawn'
	    AND (kind <> 'inclusion' OR i.workflow = 'inclusion')
)
SELECT h.village_id, h.household_id, h.size,
    coalesce(h.group_name, '') || '|' || h.household_id || '|' || n.workflow,
    h.base || jsonb_build_array(
	CASE WHEN kind = 'inclusion' THEN
	    CASE WHEN h.relapse_reason IS NOT NULL OR h.category IN ('lifted',
		'monitoring', 'relapsed') THEN '返贫纳入' ELSE '新识别' END
	WHEN n.workflow = 'exit' THEN '脱贫退出'
	WHEN h.relapse_reason IS NOT NULL OR h.category IN ('lifted',
	    'monitoring', 'relapsed') THEN '返贫纳入' ELSE '新识别纳入' END,
	CASE WHEN n.workflow = 'inclusion' THEN
	    coalesce(fupin.doc_zh(labels->>h.relapse_reason), h.relapse_reason)
	END,
	fupin.doc_date(n.entered), fupin.doc_date(n.ends), n.state_title)
FROM notice n JOIN hh h USING (household_id)
UNION ALL
SELECT h.village_id, h.household_id, h.size,
    coalesce(h.group_name, '') || '|' || h.household_id,
    h.base || jsonb_build_array(fupin.doc_date(tn.entered),
	fupin.doc_date(tn.left_at), fupin.doc_date(cr.entered), i.state_title)
FROM inst i JOIN hh h USING (household_id)
LEFT JOIN LATERAL fupin.doc_stay(i.instance_id, 'township_notice') tn ON true
JOIN LATERAL fupin.doc_stay(i.instance_id, 'city_request') cr ON true
WHERE kind = 'exit-request' AND i.workflow = 'exit'
    AND i.state IN ('city_request', 'exited')
UNION ALL
SELECT h.village_id, h.household_id, h.size,
    coalesce(h.group_name, '') || '|' || h.household_id,
    h.base || jsonb_build_array(
	coalesce(fupin.doc_zh(labels->>h.risk), h.risk),
	fupin.doc_date(vl.entered), i.state_title)
FROM inst i JOIN hh h USING (household_id)
LEFT JOIN LATERAL fupin.doc_stay(i.instance_id, 'village_list') vl ON true
WHERE kind IN ('marginal', 'monitoring') AND i.workflow = kind
    AND i.state <> 'dropped'
UNION ALL
SELECT h.village_id, h.household_id, h.size,
    coalesce(h.group_name, '') || '|' || h.household_id || '|' ||
	lpad(pr.problem_id::text, 12, '0'),
    jsonb_build_array(h.village_name, h.household_id, h.group_name,
	h.head_name, nullif(pr.person_id, ''), qr.title_zh, pr.detail,
	fupin.doc_date(pr.found_at),
	coalesce(fupin.doc_zh(sr.title), wi.state),
	pr.cleared_at IS NOT NULL OR wi.state IN ('rechecked', 'dismissed'))
FROM fupin.problem pr
JOIN hh h USING (household_id)
JOIN fupin.quality_rule qr USING (rule_id)
LEFT JOIN fupin.workflow_instance wi ON wi.campaign_id = pr.campaign_id
    AND wi.workflow = 'rectify' AND wi.household_id = pr.household_id
    AND wi.subject = pr.problem_id::text
LEFT JOIN fupin.state_rule sr ON sr.campaign_id = wi.campaign_id
    AND sr.workflow = 'rectify' AND sr.state = wi.state
WHERE kind = 'problems' AND pr.campaign_id = c
$$;

-- One page of a document: rows from from_row on, up to budget bytes.
-- rows: (village_id, household_id, size, sort_key, cells) in any order.
CREATE OR REPLACE FUNCTION fupin.doc_page(c text, kind text, vfilter text,
    now_at timestamptz, from_row int, budget int, columns jsonb,
    rows_json jsonb)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
WITH r AS (
	SELECT x.village_id, x.household_id, x.size, x.cells,
	    row_number() OVER (ORDER BY x.village_id, x.sort_key) - 1 AS n
	FROM jsonb_to_recordset(rows_json) AS x(village_id text,
	    household_id text, size int, sort_key text, cells jsonb)
),
page AS (
	SELECT n, cells, sum(octet_length(cells::text) + 1)
	    OVER (ORDER BY n) AS cum
	FROM r WHERE n >= from_row
),
sub AS (
	SELECT r.village_id, count(*) AS nrows,
	    count(DISTINCT r.household_id) AS households,
	    (SELECT sum(d.size) FROM (SELECT DISTINCT ON (r2.household_id)
		r2.size FROM r r2 WHERE r2.village_id = r.village_id
		ORDER BY r2.household_id) d) AS persons
	FROM r GROUP BY r.village_id
)
SELECT jsonb_build_object('ok', true, 'kind', kind,
    'title', fupin.doc_title(kind), 'campaign', c,
    'township', (SELECT string_agg(DISTINCT v.township, '、')
	FROM fupin.village v WHERE vfilter IS NULL OR v.village_id = vfilter),
    'village', (SELECT jsonb_build_object('village_id', v.village_id,
	'name', v.name) FROM fupin.village v WHERE v.village_id = vfilter),
    'generated', fupin.doc_date(now_at),
    'now', now_at,
    'columns', columns,
    'count', (SELECT count(*) FROM r),
    'from', from_row,
    'rows', coalesce((SELECT jsonb_agg(p.cells ORDER BY p.n) FROM page p
	WHERE p.cum <= budget OR p.n = from_row), '[]'),
    'next', (SELECT min(p.n) FROM page p
	WHERE NOT (p.cum <= budget OR p.n = from_row)),
    'subtotals', coalesce((SELECT jsonb_agg(jsonb_build_object(
	'village_id', s.village_id, 'name', v.name, 'rows', s.nrows,
	'households', s.households, 'persons', coalesce(s.persons, 0))
	ORDER BY s.village_id)
	FROM sub s JOIN fupin.village v USING (village_id)), '[]'),
    'total', jsonb_build_object('rows', (SELECT count(*) FROM r),
	'households', (SELECT count(DISTINCT household_id) FROM r),
	'persons', (SELECT coalesce(sum(d.size), 0) FROM (SELECT DISTINCT ON
	    (household_id) size FROM r ORDER BY household_id) d)))
$$;

-- LIST KIND [VILLAGE]: p {campaign, kind, village, now, from, budget,
-- labels}. The daemon has checked the kind and the caller's village.
CREATE OR REPLACE FUNCTION fupin.list_document(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	c text := p->>'campaign';
	kind text := p->>'kind';
	v text := p->>'village';
	now_at timestamptz := (p->>'now')::timestamptz;
BEGIN
	IF fupin.unknown_village(v) IS NOT NULL THEN
		RETURN fupin.unknown_village(v);
	END IF;
	IF fupin.doc_title(kind) IS NULL OR kind = 'tables' THEN
		RETURN fupin.refuse('usage', format('no list %s', kind));
	END IF;
	RETURN fupin.doc_page(c, kind, v, now_at,
	    coalesce((p->>'from')::int, 0), coalesce((p->>'budget')::int,
	    262144), fupin.doc_columns(kind),
	    (SELECT coalesce(jsonb_agg(to_jsonb(d)), '[]') FROM
	    fupin.doc_rows(c, kind, v, coalesce(p->'labels', '{}'), now_at) d));
END
$$;

-- TABLES [VILLAGE]: the verification table (对照表) of every household the
-- campaign works with (registered, marginal, or in a procedure): its
-- record, members, procedures and open findings; one row per household,
-- one cell holding the whole table as an object. p as list_document.
CREATE OR REPLACE FUNCTION fupin.tables_document(p jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	c text := p->>'campaign';
	v text := p->>'village';
	now_at timestamptz := (p->>'now')::timestamptz;
	labels jsonb := coalesce(p->'labels', '{}');
BEGIN
	IF fupin.unknown_village(v) IS NOT NULL THEN
		RETURN fupin.unknown_village(v);
	END IF;
	RETURN fupin.doc_page(c, 'tables', v, now_at,
	    coalesce((p->>'from')::int, 0), coalesce((p->>'budget')::int,
	    262144), '[{"key":"table","title":"对照表","type":"table"}]',
	    (SELECT coalesce(jsonb_agg(jsonb_build_object('village_id',
		h.village_id, 'household_id', h.household_id, 'size', h.size,
		'sort_key', coalesce(h.group_name, '') || '|' || h.household_id,
		'cells', jsonb_build_array(jsonb_build_object(
		    'village', vl.name, 'village_id', h.village_id,
		    'household_id', h.household_id, 'group', h.group_name,
		    'head', h.head_name, 'size', h.size,
		    'category', fupin.doc_category(h.category),
		    'identified_year', h.identified_year,
		    'lifted_year', h.lifted_year,
		    'income', h.income_per_capita,
		    'food', h.food, 'clothing', h.clothing,
		    'education', h.education, 'medical', h.medical,
		    'housing', h.housing,
		    'risk', coalesce(fupin.doc_zh(labels->>h.risk), h.risk),
		    'relapse_reason', coalesce(fupin.doc_zh(
			labels->>h.relapse_reason), h.relapse_reason),
		    -- the register holds no assistance measures (帮扶措施)
		    'measures', NULL,
		    'members', coalesce((SELECT jsonb_agg(jsonb_build_array(
			m.name, m.person_id, m.relation, m.birth_date,
			CASE m.change WHEN 'increase' THEN '新增'
			    WHEN 'decrease' THEN '减少' ELSE '' END ||
			coalesce(' ' || m.change_reason, ''))
			ORDER BY m.removed, m.relation <> '户主', m.person_id)
			FROM fupin.member m
			WHERE m.household_id = h.household_id), '[]'),
		    'procedures', coalesce((SELECT jsonb_agg(jsonb_build_array(
			CASE wi.workflow WHEN 'exit' THEN '脱贫退出'
			    WHEN 'inclusion' THEN '新识别和返贫纳入'
			    WHEN 'marginal' THEN '边缘户摸底'
			    WHEN 'monitoring' THEN '脱贫监测户摸底'
			    WHEN 'member' THEN '家庭成员变动'
			    ELSE wi.workflow END, fupin.doc_zh(sr.title),
			fupin.doc_date(wi.entered_at))
			ORDER BY wi.workflow, wi.subject)
			FROM fupin.workflow_instance wi
			LEFT JOIN fupin.state_rule sr
			    USING (campaign_id, workflow, state)
			WHERE wi.campaign_id = c AND wi.household_id =
			    h.household_id AND wi.workflow <> 'rectify'), '[]'),
		    'findings', coalesce((SELECT jsonb_agg(jsonb_build_array(
			qr.title_zh, pr.detail, nullif(pr.person_id, ''),
			coalesce(fupin.doc_zh(sr.title), wi.state))
			ORDER BY pr.problem_id)
			FROM fupin.problem pr
			JOIN fupin.quality_rule qr USING (rule_id)
			LEFT JOIN fupin.workflow_instance wi
			    ON wi.campaign_id = pr.campaign_id
			    AND wi.workflow = 'rectify'
			    AND wi.household_id = pr.household_id
			    AND wi.subject = pr.problem_id::text
			LEFT JOIN fupin.state_rule sr ON sr.campaign_id = c
			    AND sr.workflow = 'rectify' AND sr.state = wi.state
			WHERE pr.campaign_id = c
			    AND pr.household_id = h.household_id
			    AND pr.cleared_at IS NULL
			    AND coalesce(wi.state, '') NOT IN ('rechecked',
				'dismissed')), '[]')))))
	    , '[]')
	    FROM fupin.household h JOIN fupin.village vl USING (village_id)
	    WHERE (v IS NULL OR h.village_id = v)
		AND (h.category <> 'ordinary' OR EXISTS (SELECT 1
		    FROM fupin.workflow_instance wi WHERE wi.campaign_id = c
		    AND wi.household_id = h.household_id))));
END
$$;
