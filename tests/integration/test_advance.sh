#!/usr/bin/env bash
# ADVANCE and the reading verbs through fupind and fupinctl --json, on the
# manual clock: every event of every shipped workflow fired once from a
# state where it is allowed, refusals (state, unknown, forbidden, locked),
# the audit trail behind HOUSEHOLD, STATUS counts following transitions,
# OVERDUE at stage 2's due, the data-entry lock, and a village credential
# confined to its own village.
. "$(dirname "$0")/lib.sh"

t_setup advance

# status_n VILLAGE WORKFLOW STATE: households counted by STATUS VILLAGE.
status_n() {
	jv "$(req status "$1")" "j['villages'][0]['workflows'].get('$2', {}).get('$3', 0)"
}

P1=$(person_id 53310320190301001)
P2=$(person_id 53310319500101002)

# -- fixtures: two villages; households for every procedure
t_psql <<SQL
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'),
    ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing, risk, relapse_reason)
VALUES
    -- exit: the full ladder, object/withdraw, reject, object at the
    -- township notice, overdue at stage 2, the data-entry lock
    ('H001', 'V01', '岩温', 4, 'poor', 2014, 4200, true, true, true, true, true, NULL, NULL),
    ('H002', 'V01', '玉香', 3, 'poor', 2014, 4200, true, true, true, true, true, NULL, NULL),
    ('H003', 'V01', '岩罕', 3, 'poor', 2015, 4200, true, true, true, true, true, NULL, NULL),
    ('H004', 'V01', '玉南', 3, 'poor', 2015, 4200, true, true, true, true, true, NULL, NULL),
    ('H050', 'V01', '岩叫', 2, 'poor', 2014, 4200, true, true, true, true, true, NULL, NULL),
    ('H051', 'V01', '岩保', 2, 'poor', 2014, 4200, true, true, true, true, true, NULL, NULL),
    ('H052', 'V01', '玉喃', 2, 'poor', 2014, 4200, true, true, true, true, true, NULL, NULL),
    ('H060', 'V02', '李明', 5, 'poor', 2014, 4200, true, true, true, true, true, NULL, NULL),
    -- inclusion: new identification, and a relapse with its reason
    ('H010', 'V01', '张三', 4, 'ordinary', NULL, 3000, true, true, true, false, true, NULL, NULL),
    ('H011', 'V01', '王五', 4, 'lifted', 2014, 3000, true, true, true, true, true, NULL, 'illness'),
    -- marginal and monitoring surveys
    ('H020', 'V01', '赵六', 3, 'ordinary', NULL, 4500, true, true, true, true, true, 'illness', NULL),
    ('H021', 'V01', '钱七', 3, 'ordinary', NULL, 4500, true, true, true, true, true, 'disaster', NULL),
    ('H030', 'V01', '孙八', 3, 'lifted', 2014, 6000, true, true, true, true, true, 'weak_industry', NULL),
    ('H031', 'V01', '周九', 3, 'lifted', 2014, 6000, true, true, true, true, true, 'unstable_job', NULL),
    -- member changes
    ('H040', 'V01', '吴十', 4, 'poor', 2014, 3000, true, true, true, true, true, NULL, NULL);
INSERT INTO fupin.member (person_id, household_id, name, relation,
    birth_date, removed, change, change_reason, change_date)
VALUES ('$P1', 'H040', '吴小', 'son', '2019-03-01', false, 'increase',
	'birth', '2019-03-01'),
    ('$P2', 'H040', '吴老', 'father', '1950-01-01', true, 'decrease',
	'death', '2019-09-01');
SQL

t_start
wait_ready

# ---------------------------------------------------------------------
# 2019-10-08 08:00, as admin (no access list: root is admin)
# ---------------------------------------------------------------------
A=$(req overdue)
expect_eq "OVERDUE empty at the start" "$(jv "$A" 'str(j["count"]) + " " + str(len(j["items"]))')" "0 0"

# unknown things
expect_code "unknown workflow" unknown advance H001 nosuch propose
expect_code "unknown event" unknown advance H001 exit nosuch
expect_code "unknown household" unknown advance H999 exit propose
expect_match "unknown household: says which" "$(jv "$A" 'j["message"]')" 'H999'
expect_code "unknown village for a village task" unknown advance V99 village_team open
expect_code "HOUSEHOLD of an unknown household" unknown household H999
expect_code "a later event cannot create the procedure" state advance H001 exit publish

# rectify find before the analysis window opens
expect_code "rectify find before analysis opens" state advance H001 rectify find
expect_match "rectify find before analysis: names the moment" "$(jv "$A" 'j["message"]')" '2019-11-27 00:00'

# village tasks: the village id is the ID; they are open for every village
# from the campaign's start, audited as opened by fupind; `open` (old
# scripts) changes nothing and says so
expect_eq "village tasks open without anyone opening them" \
	"$(t_psql -c "SELECT string_agg(village_id || ':' || workflow || ':' || state, ' ' ORDER BY village_id, workflow) FROM fupin.workflow_instance WHERE household_id IS NULL")" \
	"V01:village_summary:pending V01:village_team:pending V02:village_summary:pending V02:village_team:pending"
expect_eq "village tasks: audited as opened by fupind" \
	"$(t_psql -c "SELECT count(*), min(actor), max(actor), min(event) FROM fupin.transition WHERE household_id IS NULL AND workflow LIKE 'village_%'")" \
	"4|fupind|fupind|open"
step "village_team open V01 (already open)" pending pending V01 village_team open
expect_match "open of an open task says so" "$(jv "$A" 'j["message"]')" 'already open'
expect_eq "open changed nothing" "$(t_psql -c "SELECT count(*) FROM fupin.transition WHERE workflow = 'village_team'")" 2

# STATUS follows transitions: before/after propose, after publish
n_draft0=$(status_n V01 exit draft)
expect_eq "STATUS V01 exit draft at the start" "$n_draft0" 0
step "exit propose H001" None draft H001 exit propose
expect_eq "STATUS: propose counts a draft" "$(status_n V01 exit draft)" 1
step "exit publish H001" draft village_notice H001 exit publish
expect_eq "STATUS: publish leaves draft" "$(status_n V01 exit draft)" 0
expect_eq "STATUS: publish enters village_notice" "$(status_n V01 exit village_notice)" 1
expect_code "approve from village_notice is refused" state advance H001 exit approve
expect_eq "refused approve: the state is named" "$(jv "$A" 'j["state"]')" village_notice
expect_code "confirm from village_notice is refused" state advance H001 exit confirm
expect_code "propose twice is refused" state advance H001 exit propose

# object/withdraw on H002
step "exit propose H002" None draft H002 exit propose
step "exit publish H002" draft village_notice H002 exit publish
step "exit object H002 (village notice)" village_notice draft H002 exit object 村民提出异议：收入核算有误
step "exit publish H002 again" draft village_notice H002 exit publish
step "exit withdraw H002" village_notice withdrawn H002 exit withdraw 户主要求撤回
expect_code "nothing leaves withdrawn" state advance H002 exit publish
expect_code "withdraw twice is refused" state advance H002 exit withdraw again

for h in H003 H004; do
	step "exit propose $h" None draft $h exit propose
	step "exit publish $h" draft village_notice $h exit publish
done
step "exit propose H050 (left in draft)" None draft H050 exit propose
step "exit propose H051" None draft H051 exit propose
step "exit propose H052" None draft H052 exit propose
step "exit propose H060 (V02)" None draft H060 exit propose
expect_eq "STATUS per village: V02 has its own draft" "$(status_n V02 exit draft)" 1
expect_eq "STATUS per village: V01 drafts" "$(status_n V01 exit draft)" 3

# inclusion
step "inclusion propose H010" None draft H010 inclusion propose
step "inclusion publish H010" draft village_notice H010 inclusion publish
step "inclusion object H010" village_notice draft H010 inclusion object 公示期间有异议
step "inclusion publish H010 again" draft village_notice H010 inclusion publish
step "inclusion propose H011 (relapse, illness)" None draft H011 inclusion propose
step "inclusion publish H011" draft village_notice H011 inclusion publish
expect_code "inclusion approve from village_notice is refused" state advance H011 inclusion approve

# marginal survey
step "marginal survey H020" None surveyed H020 marginal survey
expect_code "marginal collect before list is refused" state advance H020 marginal collect
step "marginal list H020" surveyed village_list H020 marginal list
step "marginal collect H020" village_list township_collected H020 marginal collect
step "marginal review H020" township_collected city_reviewed H020 marginal review
step "marginal analyse H020" city_reviewed prefecture_analysed H020 marginal analyse
expect_code "nothing leaves prefecture_analysed" state advance H020 marginal drop 无
step "marginal survey H021" None surveyed H021 marginal survey
step "marginal drop H021" surveyed dropped H021 marginal drop 复核收入高于标准

# monitoring survey
step "monitoring assess H030" None assessed H030 monitoring assess
expect_code "monitoring list before mark is refused" state advance H030 monitoring list
step "monitoring mark H030" assessed marked H030 monitoring mark
step "monitoring list H030" marked village_list H030 monitoring list
step "monitoring collect H030" village_list township_collected H030 monitoring collect
step "monitoring review H030" township_collected city_reviewed H030 monitoring review
step "monitoring analyse H030" city_reviewed prefecture_analysed H030 monitoring analyse
step "monitoring assess H031" None assessed H031 monitoring assess
step "monitoring drop H031" assessed dropped H031 monitoring drop 收入稳定

# member changes, recorded in the register beforehand
step "member report_increase H040/P1" None reported H040/$P1 member report_increase
expect_code "member report_increase twice is refused" state advance H040/$P1 member report_increase
step "member enter H040/P1" reported entered H040/$P1 member enter
step "member report_decrease H040/P2" None reported H040/$P2 member report_decrease
step "member reject H040/P2" reported rejected H040/$P2 member reject 死亡证明未提供
step "member report_decrease H040/P2 after reject" rejected reported H040/$P2 member report_decrease
step "member enter H040/P2" reported entered H040/$P2 member enter
expect_code "member enter from entered is refused" state advance H040/$P2 member enter
expect_eq "member: one instance per person" \
	"$(t_psql -c "SELECT string_agg(subject || ':' || state, ',' ORDER BY subject) FROM fupin.workflow_instance WHERE workflow = 'member'")" \
	"$(printf '%s\n' "$P2:entered" "$P1:entered" | sort | paste -sd,)"

# ---------------------------------------------------------------------
# 2019-10-13 08:00: five days of notice have passed
# ---------------------------------------------------------------------
clock_set 2019-10-13T08:00:00+08:00
step "exit submit H001" village_notice township_review H001 exit submit
step "exit approve H001" township_review township_notice H001 exit approve
step "exit submit H003" village_notice township_review H003 exit submit
step "exit reject H003" township_review draft H003 exit reject 收入佐证材料不全
step "exit submit H004" village_notice township_review H004 exit submit
step "exit approve H004" township_review township_notice H004 exit approve
step "exit object H004 (township notice)" township_notice township_review H004 exit object 镇级公示有异议
step "inclusion submit H010" village_notice township_review H010 inclusion submit
step "inclusion approve H010" township_review township_notice H010 inclusion approve
step "inclusion object H010 (township notice)" township_notice township_review H010 inclusion object 镇级公示有异议
step "inclusion approve H010 again" township_review township_notice H010 inclusion approve
step "inclusion submit H011" village_notice township_review H011 inclusion submit
step "inclusion reject H011" township_review draft H011 inclusion reject 返贫原因需核实
step "inclusion withdraw H011" draft withdrawn H011 inclusion withdraw 核实后不属返贫

# ---------------------------------------------------------------------
# 2019-10-18 08:00: the township notices have lasted five days
# ---------------------------------------------------------------------
clock_set 2019-10-18T08:00:00+08:00
step "exit request H001" township_notice city_request H001 exit request
step "exit confirm H001" city_request exited H001 exit confirm
step "inclusion request H010" township_notice city_request H010 inclusion request
step "inclusion confirm H010" city_request included H010 inclusion confirm

A=$(req status V01)
expect_eq "STATUS V01 exit by state" "$(jv "$A" 'j["villages"][0]["workflows"]["exit"]')" \
	'{"draft": 4, "exited": 1, "township_review": 1, "withdrawn": 1}'
expect_eq "STATUS V01 inclusion by state" "$(jv "$A" 'j["villages"][0]["workflows"]["inclusion"]')" \
	'{"included": 1, "withdrawn": 1}'
expect_eq "STATUS V01 marginal by state" "$(jv "$A" 'j["villages"][0]["workflows"]["marginal"]')" \
	'{"dropped": 1, "prefecture_analysed": 1}'
expect_eq "STATUS V01 member by state" "$(jv "$A" 'j["villages"][0]["workflows"]["member"]')" \
	'{"entered": 2}'
expect_eq "STATUS V01 village tasks" "$(jv "$A" '[j["villages"][0]["workflows"]["village_team"], j["villages"][0]["workflows"]["village_summary"]]')" \
	'[{"pending": 1}, {"pending": 1}]'
A=$(req status)
expect_eq "STATUS: every village" "$(jv "$A" '[v["village"] for v in j["villages"]]')" '["V01", "V02"]'
expect_eq "STATUS V02 from the full answer" "$(jv "$A" 'j["villages"][1]["workflows"]')" \
	'{"exit": {"draft": 1}, "village_summary": {"pending": 1}, "village_team": {"pending": 1}}'
expect_eq "STATUS V02: the team task is overdue" "$(jv "$A" 'j["villages"][1]["overdue"]')" 1

# ---------------------------------------------------------------------
# stage 2 is due at 2019-10-21 00:00: H050 (and H003, rejected) still in
# draft
# ---------------------------------------------------------------------
clock_set 2019-10-20T23:59:59+08:00
A=$(req overdue V01)
expect_eq "OVERDUE before stage 2's due: no exit draft" \
	"$(jv "$A" '[i["household"] for i in j["items"] if i["workflow"] == "exit"]')" '[]'
clock_set 2019-10-21T00:00:01+08:00
A=$(req overdue V01)
expect_eq "OVERDUE after stage 2's due: the drafts" \
	"$(jv "$A" 'sorted(i["household"] for i in j["items"] if i["workflow"] == "exit")')" \
	'["H003", "H050", "H051", "H052"]'
expect_eq "OVERDUE: H050's item" \
	"$(jv "$A" '[(i["workflow"], i["state"], i["deadline"], i["village"]) for i in j["items"] if i["household"] == "H050"]')" \
	'[["exit", "draft", "stage2", "V01"]]'
expect_eq "OVERDUE: due at stage 2" \
	"$(jv "$A" '[__import__("datetime").datetime.fromisoformat(i["due"]) == __import__("datetime").datetime.fromisoformat("2019-10-20T16:00:00+00:00") or i["due"] for i in j["items"] if i["household"] == "H050"]')" \
	'[true]'
expect_eq "OVERDUE V01 does not list V02" "$(jv "$A" '[i for i in j["items"] if i["village"] != "V01"]')" '[]'
A=$(req overdue)
expect_eq "OVERDUE (all) lists V02's draft too" "$(jv "$A" '[i["household"] for i in j["items"] if i["village"] == "V02" and i["workflow"] == "exit"]')" '["H060"]'
A=$(req household H050)
expect_eq "HOUSEHOLD H050: exit overdue" "$(jv "$A" '[(w["state"], w["deadline"], w["overdue"]) for w in j["workflows"] if w["workflow"] == "exit"]')" \
	'[["draft", "stage2", true]]'

# ---------------------------------------------------------------------
# the analysis window opens on 11-27; data entry closes at 11-28 00:00
# ---------------------------------------------------------------------
clock_set 2019-11-27T12:00:00+08:00
step "rectify find H001 (analysis open)" None found H001 rectify find
step "rectify verify H001" found verified H001 rectify verify 实地核查属实
expect_code "rectify correct before the correction window" state advance H001 rectify correct
step "rectify find H003" None found H003 rectify find
step "rectify dismiss H003" found dismissed H003 rectify dismiss 核查无问题
clock_set 2019-11-27T23:59:59+08:00
step "data entry just before the lock" draft village_notice H052 exit publish
clock_set 2019-11-28T00:00:00+08:00
expect_code "data entry at the lock: locked" locked advance H051 exit publish
expect_match "locked: says when" "$(jv "$A" 'j["message"]')" '2019-11-28 00:00'
expect_code "member entry at the lock: locked" locked advance H040/$P1 member report_decrease
step "rectify find after the lock is not data entry" None found H004 rectify find
clock_set 2019-12-19T08:00:00+08:00
step "rectify correct H001" verified corrected H001 rectify correct
step "rectify reopen H001" corrected verified H001 rectify reopen 复核发现仍有错误
step "rectify correct H001 again" verified corrected H001 rectify correct
step "rectify recheck H001" corrected rechecked H001 rectify recheck

# ---------------------------------------------------------------------
# HOUSEHOLD: every step in order, with actor, role and note
# ---------------------------------------------------------------------
A=$(req household H001)
expect_eq "HOUSEHOLD H001 history" \
	"$(jv "$A" '[" ".join([h["workflow"], h["event"], str(h["from"]), h["to"], h["actor"], h["role"], str(h["note"])]) for h in j["history"]]')" \
	"$(python3 -c 'import json; print(json.dumps([
 "exit propose None draft uid 0 admin None",
 "exit publish draft village_notice uid 0 admin None",
 "exit submit village_notice township_review uid 0 admin None",
 "exit approve township_review township_notice uid 0 admin None",
 "exit request township_notice city_request uid 0 admin None",
 "exit confirm city_request exited uid 0 admin None",
 "rectify find None found uid 0 admin None",
 "rectify verify found verified uid 0 admin 实地核查属实",
 "rectify correct verified corrected uid 0 admin None",
 "rectify reopen corrected verified uid 0 admin 复核发现仍有错误",
 "rectify correct verified corrected uid 0 admin None",
 "rectify recheck corrected rechecked uid 0 admin None"], ensure_ascii=False, sort_keys=True))')"
expect_eq "HOUSEHOLD H001 history times follow the clock" \
	"$(jv "$A" '[h["at"][:10] for h in j["history"]] == sorted(h["at"][:10] for h in j["history"])')" true
expect_eq "HOUSEHOLD H001 workflows" "$(jv "$A" '[(w["workflow"], w["state"]) for w in j["workflows"]]')" \
	'[["exit", "exited"], ["rectify", "rechecked"]]'
A=$(req household H002)
expect_eq "HOUSEHOLD H002 history with notes" \
	"$(jv "$A" '[h["event"] + ":" + str(h["note"]) for h in j["history"]]')" \
	'["propose:None", "publish:None", "object:村民提出异议：收入核算有误", "publish:None", "withdraw:户主要求撤回"]'
A=$(req household H040)
expect_eq "HOUSEHOLD H040 member history names the person" \
	"$(jv "$A" '[h["event"] + ":" + h["detail"]["subject"] for h in j["history"]]')" \
	"[\"report_increase:$P1\", \"enter:$P1\", \"report_decrease:$P2\", \"reject:$P2\", \"report_decrease:$P2\", \"enter:$P2\"]"

# ---------------------------------------------------------------------
# a village credential (root mapped to village V01), later in the campaign
# ---------------------------------------------------------------------
t_stop
t_write_conf 'access = ( { role = "village"; village = "V01"; users = ["root"]; } );'
sed -i 's/start = "2019-10-08T08:00:00+08:00"/start = "2019-12-30T08:00:00+08:00"/' "$T/fupind.conf"
t_start
wait_ready
A=$(req ping)
expect_eq "root is now village" "$(jv "$A" 'j["role"]')" village
expect_code "village: CLOCK is refused" forbidden clock set 2019-12-31T00:00:00+08:00

expect_code "village: another village's household" forbidden advance H060 exit withdraw 不属本村
expect_code "village: another village's task" forbidden advance V02 village_team set_up
expect_code "village: approve is the township's" forbidden advance H004 exit approve
expect_match "village approve: says whose" "$(jv "$A" 'j["message"]')" 'township'
expect_code "village: rectify find is the township's" forbidden advance H051 rectify find
step "village: village_team set_up V01" pending set_up V01 village_team set_up
step "village: village_summary send V01" pending sent V01 village_summary send
step "village: rectify verify H004" found verified H004 rectify verify 村工作队现场核实
A=$(req household H004)
expect_eq "history records the village's actor, role and note" \
	"$(jv "$A" '[j["history"][-1][k] for k in ("event", "actor", "role", "note")]')" \
	'["verify", "V01(uid 0)", "village", "村工作队现场核实"]'

expect_code "village: STATUS V02" forbidden status V02
expect_code "village: OVERDUE V02" forbidden overdue V02
expect_code "village: HOUSEHOLD of V02" forbidden household H060
expect_code "village: HOUSEHOLD of V01" ok household H001
A=$(req status)
expect_eq "village: STATUS shows its own village only" "$(jv "$A" '[v["village"] for v in j["villages"]]')" '["V01"]'
expect_eq "village: STATUS counts the tasks it finished" \
	"$(jv "$A" '[j["villages"][0]["workflows"]["village_team"], j["villages"][0]["workflows"]["village_summary"]]')" \
	'[{"set_up": 1}, {"sent": 1}]'
A=$(req overdue)
expect_eq "village: OVERDUE shows its own village only" "$(jv "$A" 'sorted(set(i["village"] for i in j["items"]))')" '["V01"]'

# the audit trail and the counters agree with the instances
expect_eq "state_count agrees with a recount" "$(t_psql -c "
	SELECT count(*) FROM (SELECT campaign_id, village_id, workflow, state, count(*) AS n
	    FROM fupin.workflow_instance GROUP BY 1, 2, 3, 4) r
	FULL JOIN fupin.state_count s USING (campaign_id, village_id, workflow, state)
	WHERE r.n IS DISTINCT FROM s.n")" 0

t_done
