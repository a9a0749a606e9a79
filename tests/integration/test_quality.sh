#!/usr/bin/env bash
# Data quality: the rules are rows (fupin.quality_rule) run by ANALYZE from
# the analysis window on; each finding becomes a problem with a rectify
# procedure; a rule that does not compile is refused; a fixed household's
# problem is cleared by the next ANALYZE; PROBLEMS is scoped by village.
. "$(dirname "$0")/lib.sh"
t_setup quality
t_psql >/dev/null <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒海村', '勐戛镇');
INSERT INTO fupin.villager_group VALUES ('V01', '一组'), ('V02', '一组');
INSERT INTO fupin.household (household_id, village_id, group_name, head_name,
    size, category, identified_year, lifted_year, income_per_capita, food,
    clothing, education, medical, housing)
VALUES ('H001', 'V01', '一组', '张三', 4, 'lifted', 2016, 2018, 3700, true, true, true, true, true),
       ('H002', 'V01', '一组', '李四', 3, 'lifted', 2016, 2018, 4200, true, true, true, false, true),
       ('H003', 'V02', '一组', '王五', 2, 'poor', 2016, NULL, NULL, true, true, true, true, true),
       ('H004', 'V02', '一组', '赵六', 2, 'lifted', 2016, 2018, 5200, true, true, true, true, true);
SQL
t_start
out=$(ctl analyze) || true
expect_eq "ANALYZE before the analysis window" "$(echo "$out" | json '["error"]')" state
ctl clock set 2019-11-27T09:00+08:00 >/dev/null
out=$(ctl analyze)
expect_eq "ANALYZE finds three problems" "$(echo "$out" | json '["new"]')" 3
expect_eq "lifted below the threshold: H001" \
	"$(t_psql -c "SELECT household_id FROM fupin.problem WHERE rule_id = 'lifted_below_threshold'")" H001
expect_eq "unresolved guarantee: H002" \
	"$(t_psql -c "SELECT household_id || ' ' || detail FROM fupin.problem WHERE rule_id = 'lifted_guarantee_unresolved'")" "H002 medical"
expect_eq "income missing: H003" \
	"$(t_psql -c "SELECT household_id FROM fupin.problem WHERE rule_id = 'income_missing'")" H003
expect_eq "no problem for H004" "$(t_psql -c "SELECT count(*) FROM fupin.problem WHERE household_id = 'H004'")" 0
expect_eq "a rectify procedure per problem, in state found" \
	"$(t_psql -c "SELECT count(*) FROM fupin.workflow_instance WHERE workflow = 'rectify' AND state = 'found'")" 3
expect_eq "each audited as find" \
	"$(t_psql -c "SELECT count(*) FROM fupin.transition WHERE workflow = 'rectify' AND event = 'find'")" 3
out=$(ctl analyze)
expect_eq "a second ANALYZE adds nothing" "$(echo "$out" | json '["new"]')" 0
expect_eq "PROBLEMS V02 lists one" "$(ctl problems V02 | json '["count"]')" 1
expect_eq "PROBLEMS of no village" "$(ctl problems V99 | json '["error"]')" unknown

# Rectify the guarantee problem of H002 through its windows.
pid=$(t_psql -c "SELECT problem_id FROM fupin.problem WHERE household_id = 'H002'")
ctl clock set 2019-12-09T09:00+08:00 >/dev/null
expect_eq "verify (with its note)" "$(ctl advance "H002/$pid" rectify verify 入户核实属实 | json '["to"]')" verified
ctl clock set 2019-12-19T09:00+08:00 >/dev/null
t_psql -c "UPDATE fupin.household SET medical = true WHERE household_id = 'H002'" >/dev/null
expect_eq "correct" "$(ctl advance "H002/$pid" rectify correct | json '["to"]')" corrected
ctl analyze >/dev/null
expect_eq "the fixed problem is cleared" \
	"$(t_psql -c "SELECT cleared_at IS NOT NULL FROM fupin.problem WHERE problem_id = $pid")" t

# A rule is data: a new one takes effect at the next ANALYZE, a broken one
# is refused when written.
t_psql -c "INSERT INTO fupin.quality_rule (rule_id, scope, title_zh, condition, detail)
    VALUES ('rich_lifted', 'household', '收入异常偏高', 'h.income_per_capita > 5000', 'h.income_per_capita::text')" >/dev/null
expect_eq "a new rule finds H004" "$(ctl analyze | json '["rules"]["rich_lifted"]["new"]')" 1
err=$(t_psql -c "INSERT INTO fupin.quality_rule (rule_id, scope, title_zh, condition) VALUES ('broken', 'household', 'x', 'h.no_such_column > 1')" 2>&1 || true)
expect_match "a rule that does not compile is refused" "$err" "quality rule broken: column h.no_such_column does not exist"

# Village scope.
t_stop
t_write_conf 'access = ( { role = "village"; village = "V01"; users = ["root"]; } );'
t_start
expect_eq "a village may not ANALYZE" "$(ctl analyze | json '["error"]')" forbidden
expect_eq "a village sees its own problems" "$(ctl problems | json '["count"]')" 2
expect_eq "and not another village's" "$(ctl problems V02 | json '["error"]')" forbidden
t_done
