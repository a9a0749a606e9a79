-- 008_quality_rules.sql: the analysis rules of the plan, complete.
--
-- The plan's analysis (Nov 27 - Dec 8) looks for three kinds of problem:
-- exits of poor quality (退出质量不高), inaccurate identification and
-- inclusion (识别纳入不精准), and data quality (数据质量). Each rule now
-- says which (area) and how serious a finding is (severity: error = the
-- policy is broken, warning = likely wrong, to be checked on site), and
-- may carry figures of its own in params, changed with an UPDATE like any
-- row (the "well above the line" factor, the accepted relapse reasons).
--
-- Two checks of the plan need no rule, because the schema makes them
-- impossible and the import refuses them with their line: a person in two
-- households (person_id is member's primary key) and an identity number
-- with a bad check character (constraint member_person_id_valid). The
-- rule member_id_invalid still looks, for rows kept from before that
-- constraint or entered around it.
--
-- Conditions read their params through a subquery on their own row, so
-- that they compile with any version of fupin.quality_rule_sql (a
-- migration calls no topic function, and the trigger that checks a rule
-- uses the one in place).

ALTER TABLE fupin.quality_rule
    ADD COLUMN area text NOT NULL DEFAULT 'data'
	CONSTRAINT quality_rule_area
	CHECK (area IN ('exit', 'identification', 'data')),
    ADD COLUMN severity text NOT NULL DEFAULT 'warning'
	CONSTRAINT quality_rule_severity
	CHECK (severity IN ('error', 'warning')),
    ADD COLUMN params jsonb NOT NULL DEFAULT '{}'
	CONSTRAINT quality_rule_params CHECK (jsonb_typeof(params) = 'object');
COMMENT ON COLUMN fupin.quality_rule.area IS
    'exit (退出质量), identification (识别精准) or data (数据质量)';
COMMENT ON COLUMN fupin.quality_rule.severity IS
    'error: the policy is broken; warning: likely wrong, check on site';
COMMENT ON COLUMN fupin.quality_rule.params IS
    'Figures the rule reads (e.g. {"factor": 2}); change them with UPDATE';

-- The rules of 005 in their areas.
UPDATE fupin.quality_rule SET area = 'exit', severity = 'error'
WHERE rule_id IN ('lifted_below_threshold', 'lifted_guarantee_unresolved');
UPDATE fupin.quality_rule SET severity = 'error'
WHERE rule_id IN ('income_missing', 'lifted_before_identified');
-- A monitoring household without a lifted year has its own rule now
-- (monitoring_never_lifted); one finding per fault.
UPDATE fupin.quality_rule
SET condition = $q$h.category = 'lifted' AND h.lifted_year IS NULL$q$
WHERE rule_id = 'lifted_without_year';

INSERT INTO fupin.quality_rule (rule_id, scope, area, severity, title_zh,
    title_en, condition, detail, params) VALUES
-- 退出质量不高 -------------------------------------------------------------
('exit_below_threshold', 'household', 'exit', 'error',
 '拟退出户人均纯收入低于退出标准',
 'household in the exit procedure below the exit threshold',
 $q$EXISTS (SELECT 1 FROM fupin.workflow_instance w WHERE w.campaign_id = c.campaign_id AND w.workflow = 'exit' AND w.household_id = h.household_id AND w.state NOT IN ('withdrawn', 'exited')) AND (h.income_per_capita IS NULL OR h.income_per_capita < c.exit_threshold)$q$,
 $q$format('income %s < %s', coalesce(h.income_per_capita::text, 'none'), c.exit_threshold)$q$,
 '{}'),
('exit_guarantee_unresolved', 'household', 'exit', 'error',
 '拟退出户"两不愁三保障"未全部解决',
 'household in the exit procedure with an unresolved guarantee',
 $q$EXISTS (SELECT 1 FROM fupin.workflow_instance w WHERE w.campaign_id = c.campaign_id AND w.workflow = 'exit' AND w.household_id = h.household_id AND w.state NOT IN ('withdrawn', 'exited')) AND NOT (h.food AND h.clothing AND h.education AND h.medical AND h.housing)$q$,
 $q$concat_ws(', ', CASE WHEN NOT h.food THEN 'food' END, CASE WHEN NOT h.clothing THEN 'clothing' END, CASE WHEN NOT h.education THEN 'education' END, CASE WHEN NOT h.medical THEN 'medical' END, CASE WHEN NOT h.housing THEN 'housing' END)$q$,
 '{}'),
('exit_same_year', 'household', 'exit', 'error',
 '当年新识别或返贫的户当年退出',
 'exits in the year it was identified or relapsed',
 $q$(h.lifted_year = c.year OR EXISTS (SELECT 1 FROM fupin.workflow_instance w WHERE w.campaign_id = c.campaign_id AND w.workflow = 'exit' AND w.household_id = h.household_id AND w.state <> 'withdrawn')) AND (h.identified_year = c.year OR h.relapse_year = c.year)$q$,
 $q$concat_ws(', ', CASE WHEN h.identified_year = c.year THEN 'identified ' || h.identified_year END, CASE WHEN h.relapse_year = c.year THEN 'relapsed ' || h.relapse_year END)$q$,
 '{}'),
-- 识别纳入不精准 -----------------------------------------------------------
('relapsed_without_reason', 'household', 'identification', 'error',
 '返贫户无因病、因灾或突发事件等返贫原因',
 'relapsed without a reason of illness, disaster or a sudden event',
 $q$h.category = 'relapsed' AND (coalesce(btrim(h.relapse_reason), '') = '' OR NOT coalesce((SELECT q.params->'reasons' ? h.relapse_reason FROM fupin.quality_rule q WHERE q.rule_id = 'relapsed_without_reason'), true))$q$,
 $q$'reason ' || coalesce(nullif(btrim(h.relapse_reason), ''), 'none')$q$,
 '{"reasons": ["illness", "disaster", "accident"]}'),
('poor_well_above_line', 'household', 'identification', 'warning',
 '建档立卡户收入远高于标准且无致贫风险',
 'registered household well above the line with no risk',
 $q$h.category IN ('poor', 'relapsed') AND coalesce(btrim(h.risk), '') = '' AND h.income_per_capita >= c.exit_threshold * (SELECT (q.params->>'factor')::numeric FROM fupin.quality_rule q WHERE q.rule_id = 'poor_well_above_line')$q$,
 $q$format('income %s >= %s x %s', h.income_per_capita, (SELECT q.params->>'factor' FROM fupin.quality_rule q WHERE q.rule_id = 'poor_well_above_line'), c.exit_threshold)$q$,
 '{"factor": 2}'),
('marginal_above_line', 'household', 'identification', 'error',
 '边缘户人均纯收入不低于边缘户标准',
 'marginal household at or above the marginal line',
 $q$h.category = 'marginal' AND h.income_per_capita >= c.marginal_threshold$q$,
 $q$format('income %s >= %s', h.income_per_capita, c.marginal_threshold)$q$,
 '{}'),
('marginal_no_risk', 'household', 'identification', 'error',
 '边缘户未注明致贫风险',
 'marginal household without a named risk',
 $q$h.category = 'marginal' AND coalesce(btrim(h.risk), '') = ''$q$,
 $q$'risk none'$q$,
 '{}'),
('marginal_registered', 'household', 'identification', 'error',
 '边缘户为建档立卡户',
 'marginal household that is registered',
 $q$h.category = 'marginal' AND (h.identified_year IS NOT NULL OR h.lifted_year IS NOT NULL)$q$,
 $q$concat_ws(', ', 'identified ' || h.identified_year, 'lifted ' || h.lifted_year)$q$,
 '{}'),
('monitoring_never_lifted', 'household', 'identification', 'error',
 '脱贫监测户未曾脱贫',
 'monitoring household that was never lifted',
 $q$h.category = 'monitoring' AND h.lifted_year IS NULL$q$,
 $q$'identified ' || coalesce(h.identified_year::text, 'never')$q$,
 '{}'),
-- 数据质量 ---------------------------------------------------------------
('member_id_invalid', 'member', 'data', 'error',
 '身份证号码校验位或出生日期无效',
 'identity number with a bad check character or birth date',
 $q$NOT coalesce(fupin.person_id_valid(m.person_id), false)$q$,
 $q$m.person_id::text$q$,
 '{}'),
('member_deceased_counted', 'member', 'data', 'error',
 '已死亡成员仍计入家庭人口',
 'member reported deceased still counted',
 $q$m.change_reason = 'death'$q$,
 $q$format('%s, %s', m.name, coalesce(m.change_date::text, 'no date'))$q$,
 '{}'),
('household_no_group', 'household', 'data', 'warning',
 '户缺少所属行政村或村民小组',
 'household with no village or villager group',
 $q$coalesce(btrim(h.group_name), '') = '' OR NOT EXISTS (SELECT 1 FROM fupin.village v WHERE v.village_id = h.village_id)$q$,
 $q$'village ' || h.village_id || ', no group'$q$,
 '{}');

UPDATE fupin.quality_rule SET area = 'data', severity = 'warning'
WHERE rule_id IN ('size_mismatch', 'member_birth_mismatch', 'member_no_head',
    'lifted_without_year');
UPDATE fupin.quality_rule SET area = 'data'
WHERE rule_id IN ('income_missing', 'lifted_before_identified');
