#!/usr/bin/env bash
# The campaign as the plan runs it (issue 10, the register's half), each
# point with a household that triggers it and one that just passes:
#  - values as the national export writes them: a households file with
#    Chinese headers (返贫年度 too) and Chinese reasons and risks (因病,
#    因灾, 因意外, 务工就业不稳定) is stored as codes and passes the guards;
#    an unknown value is refused at import with its line and column;
#  - a relapse of an earlier year exits; one of this year is refused;
#  - the register follows a confirmed exit (lifted, lifted_year) and
#    inclusion (poor + identified_year, relapsed + relapse_year), and the
#    marginal and monitoring marks, each audited in the transition;
#  - procedures that contradict each other are refused with `conflict`
#    naming the other one; a withdrawn one no longer counts;
#  - a member decrease for a person not in the household, or reported
#    while the member list shows the person present, is refused;
#  - a re-check re-runs the rule and is refused while the finding holds,
#    then passes (and closes the problem) after a corrective import;
#  - events by their Chinese titles (村级公示 is publish).
. "$(dirname "$0")/lib.sh"

t_setup register
D=$FUPIN_SRC/tests/integration/data
t_start	# imports go through it
wait_ready
imp() {
	RC=0
	"$FUPINCTL" -c "$T/fupind.conf" "$@" >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
}
hh() { t_psql -c "SELECT $2 FROM fupin.household WHERE household_id = '$1'"; }

imp import villages "$D/villages.csv"
expect_eq "villages" "$RC" 0

# --- values as the national export writes them ----------------------------
cat >"$T/bad.csv" <<'CSV'
户编号,户主姓名,行政村,家庭人口,户类别,人均纯收入,不愁吃,不愁穿,义务教育保障,基本医疗保障,住房安全保障,识别年度,脱贫年度,返贫年度,致贫风险,返贫原因
B01,岩一,MG01,3,边缘户,4500,是,是,是,是,是,,,,因病,
B02,岩二,MG01,3,边缘户,4500,是,是,是,是,是,,,,因懒,
B03,岩三,MG01,3,返贫户,3000,是,是,是,是,是,2014,2016,2019,,因病返贫
B04,岩四,MG01,3,返贫户,3000,是,是,是,是,是,2014,2016,2019,,运气不好
CSV
imp import households "$T/bad.csv"
expect_eq "unknown value: refused" "$RC" 1
expect_match "unknown risk: its line, column and header" "$ERR" \
	"bad.csv:3: column risk \(致贫风险\): unknown value '因懒': not in the campaign's list \(.*illness.*\)"
expect_match "unknown relapse reason: its line and column" "$ERR" \
	"bad.csv:5: column relapse_reason \(返贫原因\): unknown value '运气不好'"
expect_match "unknown value: two bad lines, nothing imported" "$ERR" "2 bad lines; nothing imported"
expect_eq "unknown value: nothing written" "$(t_psql -c 'SELECT count(*) FROM fupin.household')" 0

cat >"$T/households.csv" <<'CSV'
户编号,户主姓名,行政村,家庭人口,户类别,人均纯收入,不愁吃,不愁穿,义务教育保障,基本医疗保障,住房安全保障,识别年度,脱贫年度,返贫年度,致贫风险,返贫原因
P01,岩温,MG01,3,建档立卡贫困户,4000,是,是,是,是,是,2014,,,,
R17,玉香,MG01,3,返贫户,4100,是,是,是,是,是,2014,2016,2017,,因病
R19,岩帕,MG01,3,返贫户,4100,是,是,是,是,是,2014,2016,2019,,因灾
R18,岩罕,MG01,3,返贫户,4100,是,是,是,是,是,2014,2016,2018,,突发事件
L01,玉罕,MG02,3,脱贫户,3000,是,是,是,是,是,2014,2017,,,因意外
L02,岩保,MG02,3,脱贫户,3000,是,是,是,是,是,2014,2017,,,缺资金
O01,玉喃,MG02,2,一般农户,3000,是,是,是,是,是,,,,,
M01,岩宰,MG02,2,一般农户,4500,是,是,是,是,是,,,,因灾,
W01,玉波,MG03,2,脱贫户,6000,是,是,是,是,是,2014,2016,,务工就业不稳定,
Q01,玉应,MG03,2,脱贫户,3600,是,是,是,是,是,2014,2016,,,
K01,岩香,MG03,2,建档立卡贫困户,4000,是,是,是,是,是,2014,,,,
CSV
imp import households "$T/households.csv"
expect_eq "Chinese values: imported" "$RC $OUT" "0 households: 11 read, 11 inserted, 0 updated, 0 unchanged"
expect_eq "Chinese values: stored as codes" \
	"$(t_psql -c "SELECT string_agg(household_id || ':' || coalesce(risk, '-') || ':' || coalesce(relapse_reason, '-') || ':' || coalesce(relapse_year::text, '-'), ' ' ORDER BY household_id) FROM fupin.household WHERE household_id IN ('R17', 'R18', 'L01', 'M01', 'W01')")" \
	"L01:-:accident:- M01:disaster:-:- R17:-:illness:2017 R18:-:accident:2018 W01:unstable_job:-:-"
cat >"$T/members.csv" <<'CSV'
户编号,身份证号,姓名,与户主关系,出生日期,变更类型,变更原因,变更日期
K01,533103197805120118,岩香,户主,1978-05-12,,,
K01,53310320050101031X,岩小,之子,2005-01-01,自然增加,出生,2005-01-01
CSV
imp import members "$T/members.csv"
expect_eq "members: Chinese relations and reasons" "$RC" 0
expect_eq "members: stored as codes" \
	"$(t_psql -c "SELECT string_agg(relation || '/' || coalesce(change_reason, '-'), ' ' ORDER BY person_id) FROM fupin.member")" \
	"head/- son/birth"


# --- exits: the ladder for P01 (events by Chinese title), R17, R18 ---------
expect_code "P01 propose" ok advance P01 exit propose
expect_code "P01 村级公示 is publish" ok advance P01 exit 村级公示
expect_eq "村级公示: the event recorded" "$(jv "$A" 'j["event"] + " " + j["to"]')" "publish village_notice"
expect_code "R17 (relapsed 2017) propose" ok advance R17 exit propose
expect_code "R17 (relapsed 2017) publish" ok advance R17 exit publish
expect_code "R19 (relapsed 2019) propose" ok advance R19 exit propose
expect_code "R19 (relapsed 2019) publish refused" guard advance R19 exit publish
expect_match "R19: rule and figure" "$(jv "$A" 'j["rule"] + " " + str(j["relapse_year"]) + " " + j["message"]')" \
	"^not_new_this_year 2019 relapsed in 2019: a household relapsed this year cannot exit this year"
expect_code "a title that is no event" unknown advance P01 exit 村级
# conflicts: exit and inclusion of one household (R18 is relapsed: both apply)
expect_code "R18 exit propose" ok advance R18 exit propose
expect_code "R18 inclusion while in exit" conflict advance R18 inclusion propose
expect_match "conflict names the other procedure" "$(jv "$A" 'j["message"]')" \
	"^R18 is in the exit procedure \(draft since 2019-10-08\): inclusion and exit contradict each other"
expect_eq "conflict: nothing created" \
	"$(t_psql -c "SELECT count(*) FROM fupin.workflow_instance WHERE household_id = 'R18' AND workflow = 'inclusion'")" 0
expect_code "R18 exit withdrawn" ok advance R18 exit withdraw 户主申请撤回
expect_code "R18 inclusion once the exit is withdrawn" ok advance R18 inclusion propose

# --- inclusions and surveys -------------------------------------------------
expect_code "L01 (因意外) inclusion propose" ok advance L01 inclusion propose
expect_code "L02 (缺资金) inclusion propose refused" guard advance L02 inclusion propose
expect_match "L02: the reason as people know it" "$(jv "$A" 'j["message"]')" \
	"one of illness, disaster, accident\); the household has lack_funds \(缺资金 / lack of funds\)"
expect_code "O01 inclusion propose" ok advance O01 inclusion propose
expect_code "O01 marginal survey while in inclusion" conflict advance O01 marginal survey
expect_match "conflict names inclusion" "$(jv "$A" 'j["message"]')" "is in the inclusion procedure"
expect_code "M01 (因灾) marginal survey" ok advance M01 marginal survey
expect_code "M01 marginal list" ok advance M01 marginal list
expect_eq "M01 marked marginal" "$(hh M01 category)" marginal
expect_code "M01 inclusion while on the marginal list" conflict advance M01 inclusion propose
expect_code "W01 (务工就业不稳定) monitoring assess" ok advance W01 monitoring assess
expect_code "W01 monitoring mark" ok advance W01 monitoring mark
expect_eq "W01 marked monitoring" "$(hh W01 category)" monitoring
for h in L01 O01; do adv $h inclusion publish; done

clock_set 2019-10-13T08:00:00+08:00
for h in P01 R17 L01 O01; do
	w=exit; [[ $h == [LO]* ]] && w=inclusion
	adv $h $w submit; adv $h $w approve
done
clock_set 2019-10-18T08:00:00+08:00
for h in P01 R17 L01 O01; do
	w=exit; [[ $h == [LO]* ]] && w=inclusion
	adv $h $w request
done
before=$(hh P01 "category || ' ' || coalesce(lifted_year::text, '-')")
expect_eq "P01 before the confirm" "$before" "poor -"
expect_code "P01 confirm" ok advance P01 exit confirm
expect_eq "P01 register: lifted in 2019" "$(hh P01 "category || ' ' || lifted_year")" "lifted 2019"
expect_eq "P01 register change in the answer" "$(jv "$A" 'j["register"]')" \
	'{"category": {"new": "lifted", "old": "poor"}, "lifted_year": {"new": 2019, "old": null}}'
expect_eq "P01 register change audited with the confirm" \
	"$(t_psql -c "SELECT actor <> '' AND role = 'admin' AND detail->'register'->'category'->>'new' = 'lifted' FROM fupin.transition WHERE household_id = 'P01' AND event = 'confirm'")" t
expect_code "R17 confirm" ok advance R17 exit confirm
expect_eq "R17 register: relapse of 2017 lifted in 2019" "$(hh R17 "category || ' ' || lifted_year || ' ' || relapse_year")" "lifted 2019 2017"
expect_code "L01 confirm" ok advance L01 inclusion confirm
expect_eq "L01 register: relapsed in 2019" "$(hh L01 "category || ' ' || relapse_year")" "relapsed 2019"
expect_code "O01 confirm" ok advance O01 inclusion confirm
expect_eq "O01 register: poor, identified 2019" "$(hh O01 "category || ' ' || identified_year")" "poor 2019"
expect_code "L01 exit in the year it relapsed" conflict advance L01 exit propose
expect_eq "effects audited: one register change per effect" \
	"$(t_psql -c "SELECT string_agg(household_id || ':' || event, ' ' ORDER BY transition_id) FROM fupin.transition WHERE detail ? 'register'")" \
	"M01:list W01:mark P01:confirm R17:confirm L01:confirm O01:confirm"

# --- member changes --------------------------------------------------------
STRANGER=533103196511200417
expect_code "MEMBER REMOVE of a person not in the household" guard member K01 remove "$STRANGER" 2019-10-10 死亡
expect_match "names the person and household" "$(jv "$A" 'j["message"]')" "no member $STRANGER in household K01"
expect_code "report_decrease while the member list shows the person" guard advance K01/53310320050101031X member report_decrease
expect_match "member_list_agrees: says so" "$(jv "$A" 'j["rule"] + " " + j["message"]')" \
	"^member_list_agrees member 53310320050101031X \(岩小\) is still listed in household K01"
expect_code "MEMBER REMOVE of a member" ok member K01 remove 53310320050101031X 2019-10-10 婚出
expect_eq "member removed, size follows" "$(hh K01 size)" 1

# --- re-check re-runs the rule -----------------------------------------------
clock_set 2019-11-27T09:00:00+08:00
A=$(req analyze)
pid=$(t_psql -c "SELECT problem_id FROM fupin.problem WHERE household_id = 'Q01' AND rule_id = 'lifted_below_threshold'")
[ -n "$pid" ] && t_ok "Q01 below the threshold is a problem" || t_fail "no problem for Q01: $A"
clock_set 2019-12-09T09:00:00+08:00
adv "Q01/$pid" rectify verify 入户核实属实
clock_set 2019-12-19T09:00:00+08:00
adv "Q01/$pid" rectify correct
expect_code "recheck while the finding holds" guard advance "Q01/$pid" rectify recheck
expect_match "recheck: quotes the finding" "$(jv "$A" 'j["rule"] + " " + j["message"]')" \
	"^problem_cleared problem $pid still holds: 已脱贫户人均纯收入低于退出标准 \(lifted_below_threshold\): income 3600.00 < 3750"
printf '户编号,户主姓名,行政村,家庭人口,户类别,人均纯收入,不愁吃,不愁穿,义务教育保障,基本医疗保障,住房安全保障\nQ01,玉应,MG03,2,脱贫户,3900,是,是,是,是,是\n' >"$T/fix.csv"
imp import households "$T/fix.csv"
expect_eq "corrective import" "$RC" 0
expect_code "recheck after the correction" ok advance "Q01/$pid" rectify recheck
expect_eq "the problem closes with the re-check" \
	"$(t_psql -c "SELECT cleared_at IS NOT NULL FROM fupin.problem WHERE problem_id = $pid")" t
expect_eq "the re-check's audit names the problem" \
	"$(t_psql -c "SELECT detail->>'problem_cleared' FROM fupin.transition WHERE event = 'recheck'")" "$pid"

t_done
