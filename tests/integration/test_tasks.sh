#!/usr/bin/env bash
# Issue 10, the rest: work that should exist, exists.
#   - Village tasks (work team, summary) are open for every village from
#     the campaign's start, and for a village from its import, without
#     anyone opening them: V1, which does nothing, is overdue at stage 1
#     and named in the stage's notice; V2, which set up its team, is not.
#     An old script's `open` is a no-op that says so.
#   - CANDIDATES lists a poor household that meets every exit criterion
#     and has no proposal (not one that fails a criterion, nor one that is
#     proposed), a lifted household below the line, a marginal one not
#     surveyed ("risk not recorded" when it names none).
#   - An import's history rows carry the campaign clock's moment.
#   - The report counts a household stuck in draft under stages 2 to 5.
#   - MEMBER stores relation and reason as the campaign's codes.
. "$(dirname "$0")/lib.sh"

t_setup tasks
t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V1', '勐戛村', '勐戛镇'), ('V2', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, lifted_year, income_per_capita, food,
    clothing, education, medical, housing, risk)
VALUES
    -- should be proposed for exit
    ('P1', 'V1', '岩温', 3, 'poor', 2014, NULL, 4200, true, true, true, true, true, NULL),
    -- fails a criterion (medical unresolved): not a candidate
    ('P2', 'V1', '玉香', 3, 'poor', 2014, NULL, 4200, true, true, true, false, true, NULL),
    -- identified this year: cannot exit this year
    ('P3', 'V1', '李明', 3, 'poor', 2019, NULL, 4200, true, true, true, true, true, NULL),
    -- proposed: has its procedure (stuck in draft, for the report)
    ('P4', 'V1', '张三', 3, 'poor', 2014, NULL, 4200, true, true, true, true, true, NULL),
    -- lifted, below the exit threshold: a possible relapse
    ('L1', 'V1', '岩三', 4, 'lifted', 2014, 2017, 3100, true, true, true, true, true, NULL),
    -- lifted and well: nothing
    ('L2', 'V1', '岩四', 4, 'lifted', 2014, 2017, 8000, true, true, true, true, true, NULL),
    -- ordinary below the marginal line with a risk, and one without
    ('O1', 'V1', '王五', 2, 'ordinary', NULL, NULL, 4500, true, true, true, true, true, 'illness'),
    ('O2', 'V1', '赵六', 2, 'ordinary', NULL, NULL, 4600, true, true, true, true, true, NULL),
    -- ordinary above the line: nothing
    ('O3', 'V1', '钱七', 2, 'ordinary', NULL, NULL, 9000, true, true, true, true, true, 'illness'),
    ('Q1', 'V2', '孙八', 3, 'poor', 2014, NULL, 4200, true, true, true, true, true, NULL);
SQL
t_start
wait_ready

# -- village tasks open by themselves ----------------------------------------
expect_eq "every village has its tasks, pending, without anyone opening them" \
	"$(t_psql -c "SELECT string_agg(village_id || ':' || workflow || ':' || state, ' ' ORDER BY village_id, workflow) FROM fupin.workflow_instance WHERE household_id IS NULL")" \
	"V1:village_summary:pending V1:village_team:pending V2:village_summary:pending V2:village_team:pending"
expect_eq "opened by fupind, in the audit trail, at the campaign clock" \
	"$(t_psql -c "SELECT count(*), min(actor), min(role), min(event), min(at) = '2019-10-08T08:00+08' FROM fupin.transition WHERE workflow IN ('village_team', 'village_summary')")" \
	"4|fupind|system|open|t"
expect_code "an old script's open is a no-op" ok advance V1 village_team open
expect_eq "open: says it is already open, nothing recorded" \
	"$(jv "$A" '[j["already"], j["from"], j["to"]]')|$(t_psql -c "SELECT count(*) FROM fupin.transition WHERE workflow = 'village_team'")" \
	'[true, "pending", "pending"]|2'
# a restart opens nothing twice
t_stop
t_start
wait_ready
expect_eq "a restart opens nothing twice" \
	"$(t_psql -c "SELECT count(*) FROM fupin.workflow_instance WHERE household_id IS NULL")|$(t_psql -c "SELECT count(*) FROM fupin.transition WHERE event = 'open'")" "4|4"

# -- import: a village comes with its tasks; history at the campaign clock --
clock_set 2019-10-09T09:30:00+08:00
printf 'village_id,name,township\nV3,芒海村,勐戛镇\n' >"$T/villages.csv"
"$FUPINCTL" -c "$T/fupind.conf" import villages "$T/villages.csv" >"$T/import.out" 2>&1 ||
	t_fail "import villages: $(cat "$T/import.out")"
expect_eq "an imported village has its tasks open, at the campaign clock" \
	"$(t_psql -c "SELECT string_agg(workflow || ':' || state || ':' || (entered_at = '2019-10-09T09:30+08'), ' ' ORDER BY workflow) FROM fupin.workflow_instance WHERE village_id = 'V3'")" \
	"village_summary:pending:true village_team:pending:true"
expect_eq "import history carries the campaign clock's moment, not the wall clock" \
	"$(t_psql -c "SELECT event, actor = 'fupind', at = '2019-10-09T09:30+08' FROM fupin.transition WHERE village_id = 'V3' ORDER BY transition_id" | tr '\n' ' ')" \
	"import|f|t open|t|t open|t|t "
printf 'household_id,village_id,group,head_name,size,category,identified_year,lifted_year,income_per_capita,food,clothing,education,medical,housing,risk,relapse_reason\nR1,V3,,岩九,2,ordinary,,,9000,1,1,1,1,1,,\n' >"$T/households.csv"
clock_set 2019-10-09T10:00:00+08:00
"$FUPINCTL" -c "$T/fupind.conf" import households "$T/households.csv" >"$T/import.out" 2>&1 ||
	t_fail "import households: $(cat "$T/import.out")"
expect_eq "household import history: the campaign clock" \
	"$(t_psql -c "SELECT at = '2019-10-09T10:00+08' FROM fupin.household_history('R1')")" t

# -- CANDIDATES ----------------------------------------------------------------
adv P4 exit propose
A=$(req candidates V1)
expect_eq "CANDIDATES V1: exit P1, relapse L1, marginal O1 and O2 (no risk)" \
	"$(jv "$A" '[[i["household"], i["kind"], i["workflow"], i["flag"]] for i in j["items"]]')" \
	'[["L1", "relapse", "inclusion", null], ["O1", "marginal", "marginal", null], ["O2", "marginal", "marginal", "risk_not_recorded"], ["P1", "exit", "exit", null]]'
expect_eq "CANDIDATES V1: counts" "$(jv "$A" '[j["count"], j["counts"]]')" \
	'[4, {"exit": 1, "marginal": 2, "relapse": 1}]'
expect_match "CANDIDATES: the figures, from the campaign" "$(jv "$A" '[i["reason"] for i in j["items"] if i["household"] == "L1"][0]')" \
	'income 3100 < 3750'
expect_code "CANDIDATES of an unknown village" unknown candidates V9
A=$(req candidates)
expect_eq "CANDIDATES: every village" "$(jv "$A" 'sorted(set(i["village"] for i in j["items"]))')" '["V1", "V2"]'
expect_eq "STATUS V1 counts the candidates" "$(jv "$(req status V1)" 'j["villages"][0]["candidates"]')" \
	'{"count": 4, "exit": 1, "marginal": 2, "relapse": 1}'
OUT=$("$FUPINCTL" -s "$T/fupind.sock" candidates V1)
expect_match "fupinctl candidates: a table" "$(head -1 <<<"$OUT")" '^HOUSEHOLD +VILLAGE +HEAD +CATEGORY +SHOULD HAVE +WHY$'
expect_match "fupinctl candidates: P1 row" "$OUT" $'\nP1 +V1 +岩温 +poor +exit +meets every exit criterion'
adv P1 exit propose
expect_eq "once proposed, P1 is no longer a candidate" \
	"$(jv "$(req candidates V1)" '[i["household"] for i in j["items"]]')" '["L1", "O1", "O2"]'
# a threshold from the campaign, not from code
t_psql -c "UPDATE fupin.campaign SET exit_threshold = 3000 WHERE campaign_id = '2019'" >/dev/null
expect_eq "the threshold is the campaign's: at 3000 L1 is no relapse" \
	"$(jv "$(req candidates V1)" '[i["household"] for i in j["items"]]')" '["O1", "O2"]'
t_psql -c "UPDATE fupin.campaign SET exit_threshold = 3750 WHERE campaign_id = '2019'" >/dev/null

# -- MEMBER: codes ---------------------------------------------------------------
PID=$(person_id 53310319800101001)
expect_code "MEMBER ADD with 户主 and 出生" ok member P2 ADD "$PID" 玉香 户主 1980-01-01 出生
expect_eq "stored as codes" "$(t_psql -c "SELECT relation || '/' || change_reason FROM fupin.member WHERE person_id = '$PID'")" "head/birth"
PID2=$(person_id 53310320190301002)
expect_code "MEMBER ADD: an unknown relation is refused" guard member P2 ADD "$PID2" 小玉 干女儿 2019-03-01 出生
expect_match "the refusal names the accepted codes" "$(jv "$A" 'j["message"]')" 'relations.*daughter.*head'
PID3=$(person_id 53310319500101003)
t_psql -c "INSERT INTO fupin.member (person_id, household_id, name, relation) VALUES ('$PID3', 'P3', '李老', 'father')" >/dev/null
expect_code "MEMBER REMOVE: a reason and a note" ok member P3 REMOVE "$PID3" 2019-10-09 病故 在家中去世
expect_eq "the reason's code, the whole text as the note" \
	"$(t_psql -c "SELECT m.change_reason || '|' || t.note FROM fupin.member m, fupin.transition t WHERE m.person_id = '$PID3' AND t.detail->>'person_id' = '$PID3' AND t.event = 'report_decrease'")" \
	"death|病故 在家中去世"

# -- at stage 1: V1 did nothing, V2 set up its team -----------------------------
adv V2 village_team set_up
clock_set 2019-10-11T00:00:00+08:00
A=$(req overdue)
expect_eq "OVERDUE at stage 1: V1's and V3's team, not V2's" \
	"$(jv "$A" '[[i["village"], i["workflow"], i["deadline"]] for i in j["items"] if i["deadline"] == "stage1"]')" \
	'[["V1", "village_team", "stage1"], ["V3", "village_team", "stage1"]]'
expect_eq "STATUS: V1 overdue at stage 1, V2 not" \
	"$(jv "$(req status)" '[[v["village"], v["overdue_by_deadline"].get("stage1", 0)] for v in j["villages"]]')" \
	'[["V1", 1], ["V2", 0], ["V3", 1]]'
expect_eq "the stage 1 notice names V1's work team, to the village team" \
	"$(t_psql -c "SELECT village_id || '|' || array_to_string(recipients, ',') || '|' || (text_zh LIKE '%工作队%') FROM fupin.alert WHERE kind = 'overdue' AND deadline_id = 'stage1' ORDER BY village_id" | tr '\n' ' ')" \
	"V1|village_team|true V3|village_team|true "
adv V1 village_team set_up
expect_eq "after set_up V1 is not overdue at stage 1" \
	"$(jv "$(req overdue V1)" '[i["deadline"] for i in j["items"] if i["deadline"] == "stage1"]')" '[]'

# -- the report: P4 stuck in draft through stage 5 --------------------------------
clock_set 2019-11-03T08:00:00+08:00
expect_eq "report: P4 in draft counts under stages 2, 3, 4 and 5" \
	"$(t_psql -c "SELECT string_agg(deadline_id || ':' || instances || '/' || overdue, ' ' ORDER BY deadline_id) FROM fupin.report_obligations('2019', '2019-11-03T08:00+08') WHERE village_id = 'V1' AND deadline_id LIKE 'stage%'")" \
	"stage1:1/0 stage2:2/2 stage3:2/2 stage4:2/2 stage5:2/2"
"$FUPINCTL" -c "$T/fupind.conf" report --csv "$T/report.csv" >/dev/null 2>"$T/report.err" ||
	t_fail "report: $(cat "$T/report.err")"
expect_eq "report csv: V1 stage 5 overdue" \
	"$(awk -F, '$1 == "V1" && $3 == "stage5" { print $6 "/" $10 }' "$T/report.csv")" "2/2"

t_done
