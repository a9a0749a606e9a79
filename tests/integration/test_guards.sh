#!/usr/bin/env bash
# Every guard on both sides of its threshold, through ADVANCE, with the
# figures in the refusal: exit income 3749.99 / 3750, each of the five
# guarantees, identified this year, relapsed or included this year, the
# relapse reason of a lifted household's inclusion, inclusion below the
# standard, marginal income 4999 / 5000 and its named risk, a registered
# household kept off the marginal list, monitoring of lifted households
# only and its named risk, a notice of at least 5 days (and the
# rules.notice_min_days override), notes for object / reject / withdraw.
# Guards read the database's current truth: a change made directly in SQL
# is honoured by the next ADVANCE.
. "$(dirname "$0")/lib.sh"

t_setup guards

# refused WHAT RULE REGEX ARGS: ADVANCE ARGS is refused by guard RULE with
# a message matching REGEX.
refused() {
	local what=$1 rule=$2 re=$3
	shift 3
	expect_code "$what" guard advance "$@"
	expect_eq "$what: rule" "$(jv "$A" 'j.get("rule")')" "$rule"
	expect_match "$what: message" "$(jv "$A" 'j["message"]')" "$re"
}
accepted() {
	local what=$1 to=$2
	shift 2
	expect_code "$what" ok advance "$@"
	expect_eq "$what: to" "$(jv "$A" 'j.get("to")')" "$to"
}
sql() { t_psql -c "$1"; }

hh="INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing, risk, relapse_reason) VALUES"
t_psql <<SQL
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇');
$hh
    -- exit income on both sides of 3750
    ('E01', 'V01', '甲', 3, 'poor', 2014, 3749.99, true, true, true, true, true, NULL, NULL),
    ('E02', 'V01', '乙', 3, 'poor', 2014, 3750, true, true, true, true, true, NULL, NULL),
    ('E03', 'V01', '丙', 3, 'poor', 2014, NULL, true, true, true, true, true, NULL, NULL),
    -- one unresolved guarantee each
    ('G_food', 'V01', '丁', 3, 'poor', 2014, 5000, false, true, true, true, true, NULL, NULL),
    ('G_clothing', 'V01', '丁', 3, 'poor', 2014, 5000, true, false, true, true, true, NULL, NULL),
    ('G_education', 'V01', '丁', 3, 'poor', 2014, 5000, true, true, false, true, true, NULL, NULL),
    ('G_medical', 'V01', '丁', 3, 'poor', 2014, 5000, true, true, true, false, true, NULL, NULL),
    ('G_housing', 'V01', '丁', 3, 'poor', 2014, 5000, true, true, true, true, false, NULL, NULL),
    ('G_two', 'V01', '丁', 3, 'poor', 2014, 5000, true, false, true, false, true, NULL, NULL),
    -- new this year / last year; relapsed; included this year
    ('N2019', 'V01', '戊', 3, 'poor', 2019, 5000, true, true, true, true, true, NULL, NULL),
    ('N2018', 'V01', '戊', 3, 'poor', 2018, 5000, true, true, true, true, true, NULL, NULL),
    ('R01', 'V01', '己', 3, 'poor', 2014, 5000, true, true, true, true, true, NULL, NULL),
    ('I01', 'V01', '庚', 3, 'ordinary', NULL, 3000, true, true, true, true, true, NULL, NULL),
    -- inclusion of lifted households: the relapse reason
    ('L01', 'V01', '辛', 3, 'lifted', 2014, 3000, true, true, true, true, true, NULL, NULL),
    ('L02', 'V01', '辛', 3, 'lifted', 2014, 3000, true, true, true, true, true, NULL, 'laziness'),
    ('L03', 'V01', '辛', 3, 'lifted', 2014, 3000, true, true, true, true, true, NULL, 'disaster'),
    -- inclusion below the standard
    ('B01', 'V01', '壬', 3, 'ordinary', NULL, 3750, true, true, true, true, true, NULL, NULL),
    ('B02', 'V01', '壬', 3, 'ordinary', NULL, 3749.99, true, true, true, true, true, NULL, NULL),
    -- marginal
    ('M4999', 'V01', '癸', 3, 'ordinary', NULL, 4999, true, true, true, true, true, 'illness', NULL),
    ('M5000', 'V01', '癸', 3, 'ordinary', NULL, 5000, true, true, true, true, true, 'illness', NULL),
    ('Mnorisk', 'V01', '癸', 3, 'ordinary', NULL, 4000, true, true, true, true, true, NULL, NULL),
    ('Mbadrisk', 'V01', '癸', 3, 'marginal', NULL, 4000, true, true, true, true, true, 'bad_luck', NULL),
    ('Mpoor', 'V01', '癸', 3, 'poor', 2014, 4000, true, true, true, true, true, 'illness', NULL),
    ('Mlater', 'V01', '癸', 3, 'ordinary', NULL, 4000, true, true, true, true, true, 'illness', NULL),
    -- monitoring
    ('W01', 'V01', '子', 3, 'lifted', 2014, 6000, true, true, true, true, true, 'weak_industry', NULL),
    ('W02', 'V01', '子', 3, 'poor', 2014, 6000, true, true, true, true, true, 'weak_industry', NULL),
    ('W03', 'V01', '子', 3, 'lifted', 2014, 6000, true, true, true, true, true, NULL, NULL),
    ('W04', 'V01', '子', 3, 'monitoring', 2014, 6000, true, true, true, true, true, 'illness', NULL),
    -- notice length and notes
    ('T01', 'V01', '丑', 3, 'poor', 2014, 5000, true, true, true, true, true, NULL, NULL),
    ('T02', 'V01', '丑', 3, 'poor', 2014, 5000, true, true, true, true, true, NULL, NULL),
    ('T03', 'V01', '丑', 3, 'poor', 2014, 5000, true, true, true, true, true, NULL, NULL);
SQL

t_start
wait_ready
# 2019-10-08 08:00

# -- exit income
accepted "propose E01" draft E01 exit propose
refused "income 3749.99" income_exit '^income 3749\.99 < 3750: per-capita net income 2018-10-01\.\.2019-09-30' E01 exit publish
expect_eq "income 3749.99: the figures" "$(jv "$A" '[float(j["income"]), float(j["threshold"])]')" '[3749.99, 3750.0]'
accepted "propose E02" draft E02 exit propose
accepted "income 3750 is enough" village_notice E02 exit publish
accepted "propose E03" draft E03 exit propose
refused "income not surveyed" income_exit '^income unknown < 3750' E03 exit publish
# a change made in SQL is honoured at once
sql "UPDATE fupin.household SET income_per_capita = 3750 WHERE household_id = 'E01'"
accepted "income raised in SQL: publish" village_notice E01 exit publish

# -- the five guarantees, one at a time
for g in food clothing education medical housing; do
	accepted "propose G_$g" draft G_$g exit propose
	refused "unresolved $g" guarantees "^unresolved: $g \(两不愁三保障" G_$g exit publish
	expect_eq "unresolved $g: the figure" "$(jv "$A" 'j["unresolved"]')" "[\"$g\"]"
	sql "UPDATE fupin.household SET $g = true WHERE household_id = 'G_$g'"
	accepted "$g resolved in SQL: publish" village_notice G_$g exit publish
done
accepted "propose G_two" draft G_two exit propose
refused "two unresolved" guarantees '^unresolved: clothing, medical ' G_two exit publish

# -- identified this year
accepted "propose N2019" draft N2019 exit propose
refused "identified this year" not_new_this_year '^identified in 2019: ' N2019 exit publish
expect_eq "identified this year: the figure" "$(jv "$A" 'j["identified_year"]')" 2019
accepted "propose N2018" draft N2018 exit propose
accepted "identified last year: publish" village_notice N2018 exit publish

# -- relapsed: the household fell back after its exit was proposed
accepted "propose R01" draft R01 exit propose
sql "UPDATE fupin.household SET category = 'relapsed', relapse_reason = 'illness', relapse_year = 2019 WHERE household_id = 'R01'"
refused "relapsed" not_new_this_year '^relapsed in 2019: a household relapsed this year cannot exit this year' R01 exit publish
expect_eq "relapsed: the figure" "$(jv "$A" 'j["relapse_year"]')" 2019
sql "UPDATE fupin.household SET relapse_year = NULL WHERE household_id = 'R01'"
refused "relapsed in an unknown year" not_new_this_year '^relapsed in an unknown year: record the relapse year' R01 exit publish
sql "UPDATE fupin.household SET relapse_year = 2018 WHERE household_id = 'R01'"
accepted "relapsed in 2018: publish" village_notice R01 exit publish

# -- relapse reason for the inclusion of a lifted household
refused "lifted, no relapse reason" relapse_reason 'a relapse needs its reason \(one of illness, disaster, accident\); the household has none' L01 inclusion propose
refused "lifted, reason not a relapse reason" relapse_reason 'the household has laziness' L02 inclusion propose
accepted "lifted, reason disaster" draft L03 inclusion propose
sql "UPDATE fupin.household SET relapse_reason = 'illness' WHERE household_id = 'L01'"
accepted "reason recorded in SQL: propose" draft L01 inclusion propose
accepted "an ordinary household needs no reason" draft I01 inclusion propose
accepted "publish I01" village_notice I01 inclusion publish

# -- inclusion below the standard
accepted "propose B01" draft B01 inclusion propose
refused "income 3750 and all resolved: not below" below_standard '^income 3750 >= 3750 and every guarantee resolved' B01 inclusion publish
accepted "propose B02" draft B02 inclusion propose
accepted "income 3749.99: below the standard" village_notice B02 inclusion publish
sql "UPDATE fupin.household SET housing = false WHERE household_id = 'B01'"
accepted "a guarantee unresolved in SQL: below the standard" village_notice B01 inclusion publish

# -- marginal: income below 5000 and a named risk, not registered
accepted "marginal income 4999" surveyed M4999 marginal survey
refused "marginal income 5000" income_below_marginal '^income 5000 >= 5000: not below the marginal threshold' M5000 marginal survey
expect_eq "marginal income 5000: the figures" "$(jv "$A" '[float(j["income"]), float(j["threshold"])]')" '[5000.0, 5000.0]'
refused "marginal: no risk" risk_named 'no named risk: one of illness, .*\(the household has none\)' Mnorisk marginal survey
refused "marginal: a risk not on the list" risk_named 'the household has bad_luck' Mbadrisk marginal survey
sql "UPDATE fupin.household SET risk = 'lack_labour' WHERE household_id = 'Mnorisk'"
accepted "risk named in SQL: survey" surveyed Mnorisk marginal survey
refused "marginal: a registered household" applies_to 'marginal applies to ordinary, marginal households; Mpoor is poor' Mpoor marginal survey
accepted "survey Mlater" surveyed Mlater marginal survey
sql "UPDATE fupin.household SET category = 'poor', identified_year = 2019 WHERE household_id = 'Mlater'"
refused "marginal: registered since the survey" not_registered 'the household is registered \(poor\)' Mlater marginal list
sql "UPDATE fupin.household SET income_per_capita = 5000 WHERE household_id = 'M4999'"
refused "marginal: income raised since the survey" income_below_marginal '^income 5000 >= 5000' M4999 marginal list

# -- monitoring: lifted households, a named risk
accepted "monitoring: lifted" assessed W01 monitoring assess
refused "monitoring: poor is not lifted" applies_to 'monitoring applies to lifted, monitoring households; W02 is poor' W02 monitoring assess
accepted "monitoring: already monitoring" assessed W04 monitoring assess
refused "monitoring: a marginal risk is not a monitoring risk" monitoring_risk_named 'the household has illness' W04 monitoring mark
accepted "monitoring: no risk yet" assessed W03 monitoring assess
refused "monitoring mark: no risk" monitoring_risk_named 'no named risk' W03 monitoring mark
sql "UPDATE fupin.household SET risk = 'medical_burden' WHERE household_id = 'W03'"
accepted "monitoring mark: risk named in SQL" marked W03 monitoring mark
sql "UPDATE fupin.household SET category = 'poor' WHERE household_id = 'W01'"
refused "monitoring mark: no longer lifted" is_lifted 'the household is poor; only a lifted household can be monitored' W01 monitoring mark

# -- notes for object, reject, withdraw
accepted "propose T01" draft T01 exit propose
accepted "publish T01" village_notice T01 exit publish
refused "object without a note" note '^object needs a note saying why' T01 exit object
accepted "object with a note" draft T01 exit object 群众反映收入不实
refused "withdraw without a note" note '^withdraw needs a note' T01 exit withdraw
accepted "withdraw with a note" withdrawn T01 exit withdraw 户主申请撤回
expect_eq "the notes are in the audit trail" \
	"$(jv "$(req household T01)" '[h["note"] for h in j["history"]]')" \
	'[null, null, "群众反映收入不实", "户主申请撤回"]'

# -- notice minimum 5 days: T02 published at 10-08 08:00
accepted "propose T02" draft T02 exit propose
accepted "publish T02" village_notice T02 exit publish
clock_set 2019-10-13T07:59:59+08:00
refused "submit after 4 days 23:59:59" notice_min_days '^village_notice opened 2019-10-08 08:00 and lasts at least 5 days: not before 2019-10-13 08:00' T02 exit submit
expect_eq "notice: the figure" "$(jv "$A" 'j["min_days"]')" 5
clock_set 2019-10-13T08:00:00+08:00
accepted "submit after 5 days" township_review T02 exit submit
refused "reject without a note" note '^reject needs a note' T02 exit reject
accepted "reject with a note" draft T02 exit reject 公示材料不全
# the township notice counts too: E02 submitted and approved now
accepted "submit I01" township_review I01 inclusion submit
accepted "approve I01" township_notice I01 inclusion approve
accepted "submit E02" township_review E02 exit submit
accepted "approve E02" township_notice E02 exit approve
clock_set 2019-10-18T07:00:00+08:00
refused "request after 4 days 23h" notice_min_days 'township_notice opened 2019-10-13 08:00 and lasts at least 5 days' E02 exit request
refused "township object without a note" note '^object needs a note' E02 exit object
clock_set 2019-10-18T08:00:00+08:00
accepted "request after 5 days" city_request E02 exit request
# guards hold until the end: income lowered in SQL stops the confirm
sql "UPDATE fupin.household SET income_per_capita = 3700 WHERE household_id = 'E02'"
refused "confirm after income lowered in SQL" income_exit '^income 3700 < 3750' E02 exit confirm
sql "UPDATE fupin.household SET income_per_capita = 3800 WHERE household_id = 'E02'"
accepted "confirm" exited E02 exit confirm
# included this year: a household cannot exit in the year it came in
accepted "request I01" city_request I01 inclusion request
accepted "confirm I01" included I01 inclusion confirm
sql "UPDATE fupin.household SET income_per_capita = 5000 WHERE household_id = 'I01'"
expect_code "included this year: exit is a conflict" conflict advance I01 exit propose
expect_match "included this year: names the inclusion" "$(jv "$A" 'j["message"]')" \
	'^I01 is in the inclusion procedure \(included since 2019-10-18\): exit and inclusion contradict'
sql "UPDATE fupin.workflow_instance SET state = 'withdrawn' WHERE household_id = 'I01' AND workflow = 'inclusion'"
accepted "propose I01 once the inclusion is withdrawn" draft I01 exit propose
refused "identified this year by the inclusion" not_new_this_year '^identified in 2019' I01 exit publish

# -- rules.notice_min_days = 3 in fupind.conf overrides the campaign's 5
t_stop
t_write_conf 'rules: { notice_min_days = 3; };'
sed -i 's/start = "2019-10-08T08:00:00+08:00"/start = "2019-10-19T08:00:00+08:00"/' "$T/fupind.conf"
t_start
wait_ready
expect_eq "the changed notice length is in the audit trail" \
	"$(t_psql -c "SELECT detail->'notice_min_days' FROM fupin.transition WHERE event = 'campaign_change' ORDER BY transition_id DESC LIMIT 1")" \
	'{"new": 3, "old": 5}'
accepted "propose T03" draft T03 exit propose
accepted "publish T03" village_notice T03 exit publish
clock_set 2019-10-22T07:59:59+08:00
refused "override: submit before 3 days" notice_min_days 'lasts at least 3 days: not before 2019-10-22 08:00' T03 exit submit
clock_set 2019-10-22T08:00:00+08:00
accepted "override: submit after 3 days" township_review T03 exit submit

t_done
