#!/usr/bin/env bash
# The plan's analysis rules (sql/008_quality_rules.sql), each with a
# household that breaks it and one that just passes; then the final
# figures of the rectification (fupin.problem_figures) in PROBLEMS, STATUS and the
# metrics, per village and for the township.
. "$(dirname "$0")/lib.sh"
t_setup quality_rules
t_psql >/dev/null <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒海村', '勐戛镇');
INSERT INTO fupin.villager_group VALUES ('V01', '一组'), ('V02', '一组');
-- B* breaks the rule named beside it, P* just passes it.
INSERT INTO fupin.household (household_id, village_id, group_name, head_name,
    size, category, identified_year, lifted_year, relapse_year,
    income_per_capita, food, clothing, education, medical, housing, risk,
    relapse_reason)
VALUES
-- exit_below_threshold (in the exit procedure)
('BEXIT', 'V01', '一组', '甲', 1, 'poor', 2014, NULL, NULL, 3749.99, true, true, true, true, true, NULL, NULL),
('PEXIT', 'V01', '一组', '乙', 1, 'poor', 2014, NULL, NULL, 3750, true, true, true, true, true, NULL, NULL),
-- exit_guarantee_unresolved (PGUAR2 withdrew its exit)
('BGUAR', 'V01', '一组', '丙', 1, 'poor', 2014, NULL, NULL, 4000, true, true, true, true, false, NULL, NULL),
('PGUAR', 'V01', '一组', '丁', 1, 'poor', 2014, NULL, NULL, 4000, true, true, true, true, true, NULL, NULL),
('PGUAR2', 'V01', '一组', '戊', 1, 'poor', 2014, NULL, NULL, 4000, true, true, true, true, false, NULL, NULL),
-- exit_same_year: identified this year and exiting; relapsed and lifted this year
('BSAME', 'V01', '一组', '己', 1, 'poor', 2019, NULL, NULL, 4000, true, true, true, true, true, NULL, NULL),
('BSAME2', 'V01', '一组', '庚', 1, 'lifted', 2014, 2019, 2019, 4000, true, true, true, true, true, NULL, NULL),
('PSAME', 'V01', '一组', '辛', 1, 'poor', 2018, NULL, NULL, 4000, true, true, true, true, true, NULL, NULL),
-- relapsed_without_reason: weak assistance is no reason to relapse
('BRELAPSE', 'V01', '一组', '壬', 1, 'relapsed', 2014, 2016, 2019, 2000, true, true, true, true, true, NULL, 'lack_of_skills'),
('PRELAPSE', 'V01', '一组', '癸', 1, 'relapsed', 2014, 2016, 2019, 2000, true, true, true, true, true, NULL, 'illness'),
-- poor_well_above_line: 2 x 3750 with no risk
('BWELL', 'V02', '一组', '岩甲', 1, 'poor', 2014, NULL, NULL, 7500, true, true, true, true, true, NULL, NULL),
('PWELL', 'V01', '一组', '岩乙', 1, 'poor', 2014, NULL, NULL, 7499.99, true, true, true, true, true, NULL, NULL),
('PWELL2', 'V01', '一组', '岩丙', 1, 'poor', 2014, NULL, NULL, 9000, true, true, true, true, true, 'illness', NULL),
-- marginal_above_line, marginal_no_risk, marginal_registered
('BMARGIN', 'V01', '一组', '玉甲', 1, 'marginal', NULL, NULL, NULL, 5000, true, true, true, true, true, 'illness', NULL),
('BMRISK', 'V02', '一组', '玉乙', 1, 'marginal', NULL, NULL, NULL, 4000, true, true, true, true, true, NULL, NULL),
('BMREG', 'V01', '一组', '玉丙', 1, 'marginal', 2015, NULL, NULL, 4000, true, true, true, true, true, 'illness', NULL),
('PMARGIN', 'V01', '一组', '玉丁', 1, 'marginal', NULL, NULL, NULL, 4999.99, true, true, true, true, true, 'illness', NULL),
-- monitoring_never_lifted (and not lifted_without_year as well)
('BMON', 'V01', '一组', '金甲', 1, 'monitoring', 2014, NULL, NULL, 5000, true, true, true, true, true, NULL, NULL),
('PMON', 'V01', '一组', '金乙', 1, 'monitoring', 2014, 2018, NULL, 5000, true, true, true, true, true, NULL, NULL),
('BLIFTED', 'V01', '一组', '金丙', 1, 'lifted', 2014, NULL, NULL, 5000, true, true, true, true, true, NULL, NULL),
-- household_no_group
('BGROUP', 'V02', NULL, '排甲', 1, 'ordinary', NULL, NULL, NULL, 9000, true, true, true, true, true, NULL, NULL),
('PGROUP', 'V01', '一组', '排乙', 1, 'ordinary', NULL, NULL, NULL, 9000, true, true, true, true, true, NULL, NULL),
-- member rules
('MEM', 'V01', '一组', '岩温', 2, 'ordinary', NULL, NULL, NULL, 9000, true, true, true, true, true, NULL, NULL);

-- The campaign row comes from fupind; procedures need it.
SQL
t_start
t_psql >/dev/null <<'SQL'
INSERT INTO fupin.workflow_instance (campaign_id, workflow, household_id,
    village_id, state, entered_at)
VALUES ('2019', 'exit', 'BEXIT', 'V01', 'draft', now()),
       ('2019', 'exit', 'PEXIT', 'V01', 'draft', now()),
       ('2019', 'exit', 'BGUAR', 'V01', 'village_notice', now()),
       ('2019', 'exit', 'PGUAR', 'V01', 'township_review', now()),
       ('2019', 'exit', 'PGUAR2', 'V01', 'withdrawn', now()),
       ('2019', 'exit', 'BSAME', 'V01', 'draft', now()),
       ('2019', 'exit', 'PSAME', 'V01', 'draft', now());
-- A check character that is wrong can only come from before the
-- constraint: put one in around it, as an old database may hold.
ALTER TABLE fupin.member DROP CONSTRAINT member_person_id_valid;
INSERT INTO fupin.member (person_id, household_id, name, relation, birth_date,
    change, change_reason, change_date)
VALUES ('533103197805120118', 'MEM', '岩温', '户主', '1978-05-12', '', NULL, NULL),
       ('533103197805120119', 'MEM', '玉南', '配偶', '1978-05-12', '', NULL, NULL),
       ('53310320050101031X', 'MEM', '岩保', '之子', '2005-01-01', '', 'death', '2019-06-01'),
       ('533103196511200417', 'PGROUP', '岩新', '户主', '1965-11-20', 'increase', 'birth', '2019-06-01');
ALTER TABLE fupin.member ADD CONSTRAINT member_person_id_valid
    CHECK (fupin.person_id_valid(person_id)) NOT VALID;
SQL

ctl clock set 2019-11-27T09:00+08:00 >/dev/null
ctl analyze >/dev/null
found() {
	t_psql -c "SELECT coalesce(string_agg(household_id || coalesce(nullif('/' || person_id, '/'), ''), ' ' ORDER BY household_id, person_id), '-') FROM fupin.problem WHERE rule_id = '$1'"
}
expect_eq "exit_below_threshold" "$(found exit_below_threshold)" BEXIT
expect_eq "exit_guarantee_unresolved" "$(found exit_guarantee_unresolved)" BGUAR
expect_eq "exit_same_year" "$(found exit_same_year)" "BSAME BSAME2"
expect_eq "relapsed_without_reason" "$(found relapsed_without_reason)" BRELAPSE
expect_eq "poor_well_above_line" "$(found poor_well_above_line)" BWELL
expect_eq "marginal_above_line" "$(found marginal_above_line)" BMARGIN
expect_eq "marginal_no_risk" "$(found marginal_no_risk)" BMRISK
expect_eq "marginal_registered" "$(found marginal_registered)" BMREG
expect_eq "monitoring_never_lifted" "$(found monitoring_never_lifted)" BMON
expect_eq "lifted_without_year: lifted only now" "$(found lifted_without_year)" BLIFTED
expect_eq "household_no_group" "$(found household_no_group)" BGROUP
expect_eq "member_id_invalid" "$(found member_id_invalid)" MEM/533103197805120119
expect_eq "member_deceased_counted" "$(found member_deceased_counted)" MEM/53310320050101031X
expect_eq "size_mismatch: the deceased still counted" "$(found size_mismatch)" MEM
expect_eq "every rule has its area, severity and both titles" \
	"$(t_psql -c "SELECT count(*) FROM fupin.quality_rule WHERE title_en = '' OR title_zh = ''")" 0
expect_eq "the areas of the plan" \
	"$(t_psql -c "SELECT string_agg(area || ':' || n, ' ' ORDER BY area) FROM (SELECT area, count(*) n FROM fupin.quality_rule GROUP BY area) x")" \
	"data:9 exit:5 identification:6"
expect_eq "a finding carries its severity" \
	"$(ctl problems V02 | json '["items"][0]["severity"]')" warning

# The factor is a figure of the rule's row, not of the code.
t_psql -c "UPDATE fupin.quality_rule SET params = '{\"factor\": 2.5}' WHERE rule_id = 'poor_well_above_line'" >/dev/null
ctl analyze >/dev/null
expect_eq "a higher factor clears BWELL" \
	"$(t_psql -c "SELECT cleared_at IS NOT NULL FROM fupin.problem WHERE rule_id = 'poor_well_above_line'")" t
t_psql -c "UPDATE fupin.quality_rule SET params = '{\"factor\": 2}' WHERE rule_id = 'poor_well_above_line'" >/dev/null
ctl analyze >/dev/null

# --- the final figures ------------------------------------------------------
# V02 has three problems: BGROUP is verified, corrected and re-checked;
# BMRISK is dismissed on site; BWELL is left.
pid() { t_psql -c "SELECT problem_id FROM fupin.problem WHERE household_id = '$1'"; }
g=$(pid BGROUP) m=$(pid BMRISK)
ctl clock set 2019-12-09T09:00+08:00 >/dev/null
ctl advance "BGROUP/$g" rectify verify 入户核实属实 >/dev/null
ctl advance "BMRISK/$m" rectify dismiss 入户核实有致贫风险已补录 >/dev/null
ctl clock set 2019-12-19T09:00+08:00 >/dev/null
t_psql -c "UPDATE fupin.household SET group_name = '一组' WHERE household_id = 'BGROUP'" >/dev/null
expect_eq "correct" "$(ctl advance "BGROUP/$g" rectify correct | json '["to"]')" corrected
ctl clock set 2019-12-28T09:00+08:00 >/dev/null
expect_eq "re-check" "$(ctl advance "BGROUP/$g" rectify recheck | json '["to"]')" rechecked

expect_eq "figures of V02" \
	"$(t_psql -c "SELECT concat_ws(' ', found, verified, corrected, rechecked, dismissed, remaining) FROM fupin.problem_figures('2019', 'V02')")" \
	"3 1 1 1 1 1"
total=$(t_psql -c "SELECT count(*) FROM fupin.problem")
expect_eq "the township row adds up the villages" \
	"$(t_psql -c "SELECT concat_ws(' ', found, rechecked, dismissed, remaining) FROM fupin.problem_figures('2019') WHERE village_id IS NULL")" \
	"$total 1 1 $((total - 2))"
expect_eq "a row per village, problems or not" \
	"$(t_psql -c "SELECT count(*) FROM fupin.problem_figures('2019') WHERE village_id IS NOT NULL")" 2
out=$(ctl problems V02)
expect_eq "PROBLEMS V02: figures" \
	"$(json '["figures"]["total"]' <<<"$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join("%s=%s" % (k, d[k]) for k in ("found", "verified", "corrected", "rechecked", "dismissed", "left")))')" \
	"found=3 verified=1 corrected=1 rechecked=1 dismissed=1 left=1"
expect_eq "PROBLEMS: the township's figures" \
	"$(ctl problems | json '["figures"]["total"]["found"]')" "$total"
expect_eq "PROBLEMS: per village" \
	"$(ctl problems | json '["figures"]["villages"]["V02"]["left"]')" 1
expect_eq "STATUS V02: the problem figures" \
	"$(ctl status V02 | json '["villages"][0]["problems"]["left"]')" 1
expect_eq "STATUS: the township's problem figures" \
	"$(ctl status | json '["problems"]["found"]')" "$total"
expect_match "fupinctl status V02: the figures under the table" \
	"$("$FUPINCTL" -s "$T/fupind.sock" status V02)" \
	'V02 problems: found 3, verified 1, corrected 1, rechecked 1, dismissed 1, left 1'
expect_eq "metrics: problems left in V02" \
	"$(ctl metrics | json '["gauges"]["problems"]["V02/left"]')" 1.0
expect_eq "metrics: re-checked in V02" \
	"$(ctl metrics | json '["gauges"]["problems"]["V02/rechecked"]')" 1.0
t_done
