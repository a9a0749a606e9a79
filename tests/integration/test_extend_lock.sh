#!/usr/bin/env bash
# EXTEND and the data-entry lock, on the manual clock:
#  - EXTEND is the township's: granted to root mapped to the township role,
#    refused (forbidden) to a village credential; bad requests refused;
#  - an extension moves the village's due: no reminder, overdue notice or
#    escalation at the old due for that village, all of them relative to
#    the new one; visible in STATUS (extensions, next_deadline) and
#    OVERDUE; written to the audit trail (event 'extend', who, why);
#  - it lapses by itself: after `until` the village is overdue again and
#    its alerts fire; another village keeps the calendar's due;
#  - after 2019-11-28T00:00+08:00 data-entry events answer "locked", other
#    events still work.
. "$(dirname "$0")/lib.sh"

t_setup extend_lock

# Roles by configuration (SIGHUP): CLOCK is the admin's (no access list:
# root is admin), EXTEND the township's.
as_admin() { t_write_conf; reload; }
as_township() { t_write_conf 'access = ( { role = "township"; users = ["root"]; } );'; reload; }
as_village() { t_write_conf 'access = ( { role = "village"; village = "V1"; users = ["root"]; } );'; reload; }
alerts_of() { # VILLAGE: kind level due fire_at of its stage 2 alerts, by fire_at
	t_psql -c "SELECT string_agg(kind || level || ' ' || to_char(due AT TIME ZONE 'Asia/Shanghai', 'MM-DD') || ' ' || to_char(fire_at AT TIME ZONE 'Asia/Shanghai', 'MM-DD HH24:MI'), ', ' ORDER BY fire_at, level, kind) FROM fupin.alert WHERE village_id = '$1' AND deadline_id = 'stage2' AND fire_at < '2019-10-28T00:00+08'"
}

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V1', '勐戛村', '勐戛镇'), ('V2', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT id, v, '户主' || id, 3, 'poor', 2014, 4200, true, true, true, true, true
FROM (VALUES ('H1', 'V1'), ('H2', 'V2'), ('H3', 'V2'), ('H4', 'V2')) x(id, v);
SQL

# -- a village credential may not extend
t_write_conf 'access = ( { role = "village"; village = "V1"; users = ["root"]; } );'
t_start
wait_ready
expect_code "village role: EXTEND is forbidden" forbidden extend V1 stage2 2019-10-24T00:00+08:00 要延期
expect_eq "nothing was recorded" "$(t_psql -c 'SELECT count(*) FROM fupin.extension')" 0

as_township
expect_eq "root is now township" "$(jv "$(req ping)" 'j["role"]')" township
for h in H1 H2; do expect_code "propose $h" ok advance $h exit propose; done

# -- refusals
as_admin
clock_set 2019-10-15T10:00:00+08:00
as_township
expect_code "EXTEND an unknown village" unknown extend V9 stage2 2019-10-24T00:00+08:00 原因
expect_code "EXTEND an unknown deadline" unknown extend V1 stage9 2019-10-24T00:00+08:00 原因
expect_code "EXTEND to before the due" usage extend V1 stage2 2019-10-20T00:00+08:00 原因
expect_code "EXTEND without a reason" usage extend V1 stage2 2019-10-24T00:00+08:00
expect_code "EXTEND to a non-moment" usage extend V1 stage2 soon 原因
expect_eq "nothing was recorded" "$(t_psql -c 'SELECT count(*) FROM fupin.extension')" 0

# -- the extension
expect_code "township: EXTEND V1 stage2 to 10-24" ok extend V1 stage2 2019-10-24T00:00+08:00 村里遭遇洪灾，道路中断
expect_eq "EXTEND answers the deadline, the old due and the new" \
	"$(jv "$A" '[j["village"], j["deadline"], j["due"], j["until"], j["reason"]]')" \
	'["V1", "stage2", "2019-10-21T00:00:00+08:00", "2019-10-24T00:00:00+08:00", "村里遭遇洪灾，道路中断"]'
A=$(req status)
expect_eq "STATUS: V1 shows its extension" \
	"$(jv "$A" '[[e["deadline"], e["until"], e["reason"]] for e in j["villages"][0]["extensions"]]')" \
	'[["stage2", "2019-10-24T00:00:00+08:00", "村里遭遇洪灾，道路中断"]]'
expect_match "STATUS: the extension says who granted it" "$(jv "$A" 'j["villages"][0]["extensions"][0]["granted_by"]')" 'uid 0'
expect_eq "STATUS: next deadline moved for V1 only" \
	"$(jv "$A" '[[v["village"], v["next_deadline"]["id"], v["next_deadline"]["due"], v["extensions"] != []] for v in j["villages"]]')" \
	'[["V1", "stage2", "2019-10-24T00:00:00+08:00", true], ["V2", "stage2", "2019-10-21T00:00:00+08:00", false]]'
expect_eq "audit trail: event extend with who, role and why" \
	"$(t_psql -c "SELECT village_id, event, role, actor LIKE '%uid 0%', note, detail->>'deadline', (detail->>'until')::timestamptz = '2019-10-24T00:00+08' FROM fupin.transition WHERE event = 'extend'")" \
	"V1|extend|township|t|村里遭遇洪灾，道路中断|stage2|t"

# -- walk 10-16 .. 10-27: 00:00 and 08:00 each day
as_admin
DAY=2019-10-16
while [[ $DAY < 2019-10-28 ]]; do
	clock_set "${DAY}T00:00:00+08:00"
	clock_set "${DAY}T08:00:00+08:00"
	if [ "$DAY" = 2019-10-22 ]; then
		A=$(req status)
		expect_eq "10-22 (extended): V1 not overdue, V2 is" \
			"$(jv "$A" '[[v["village"], v["overdue"]] for v in j["villages"]]')" '[["V1", 0], ["V2", 1]]'
		expect_eq "10-22 OVERDUE V1 is empty" "$(jv "$(req overdue V1)" '[j["count"], j["items"]]')" '[0, []]'
		expect_eq "10-22 OVERDUE V2 lists H2" "$(jv "$(req overdue V2)" '[i["household"] for i in j["items"]]')" '["H2"]'
		expect_eq "10-22: nothing for V1 at the old due" \
			"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE village_id = 'V1' AND (kind <> 'reminder' OR due = '2019-10-21T00:00+08')")" 0
	fi
	if [ "$DAY" = 2019-10-24 ]; then
		A=$(req status V1)
		# still in draft, H1 owes stage 3 next (due 10-26)
		expect_eq "10-24 (lapsed): V1 overdue again, the extension no longer listed" \
			"$(jv "$A" '[j["villages"][0]["overdue"], j["villages"][0]["extensions"], j["villages"][0]["next_deadline"]["id"]]')" \
			'[1, [], "stage3"]'
		expect_eq "10-24 OVERDUE V1: H1, due the extended moment" \
			"$(jv "$(req overdue V1)" '[[i["household"], i["deadline"], i["due"], i["extended_until"]] for i in j["items"]]')" \
			'[["H1", "stage2", "2019-10-24T00:00:00+08:00", "2019-10-24T00:00:00+08:00"]]'
	fi
	DAY=$(date -d "$DAY + 1 day" +%F)
done

# The ladder relative to each village's own due: V1 10-24, V2 10-21.
expect_eq "V1's alerts follow the extended due (10-24)" "$(alerts_of V1)" \
	"reminder0 10-24 10-21 00:00, reminder0 10-24 10-23 00:00, overdue0 10-24 10-24 00:00, escalation1 10-24 10-24 00:00, digest1 10-24 10-24 08:00, escalation2 10-24 10-25 00:00, digest2 10-24 10-25 08:00, digest2 10-24 10-26 08:00, escalation3 10-24 10-27 00:00, digest3 10-24 10-27 08:00"
expect_eq "V2's alerts follow the calendar's due (10-21)" "$(alerts_of V2)" \
	"reminder0 10-21 10-18 00:00, reminder0 10-21 10-20 00:00, overdue0 10-21 10-21 00:00, escalation1 10-21 10-21 00:00, digest1 10-21 10-21 08:00, escalation2 10-21 10-22 00:00, digest2 10-21 10-22 08:00, digest2 10-21 10-23 08:00, escalation3 10-21 10-24 00:00, digest3 10-21 10-24 08:00, digest3 10-21 10-25 08:00, digest3 10-21 10-26 08:00, digest3 10-21 10-27 08:00"

# -- the lock: 2019-11-27 24:00
clock_set 2019-11-27T23:59:00+08:00
as_township
expect_code "open V1's summary task" ok advance V1 village_summary open
expect_code "11-27 23:59: data entry still open (propose H3)" ok advance H3 exit propose
as_admin
clock_set 2019-11-28T00:00:00+08:00
as_township
expect_code "11-28 00:00: propose is locked" locked advance H4 exit propose
expect_match "locked: says when data entry closed" "$(jv "$A" 'j["message"]')" '2019-11-2[78]'
expect_code "11-28: propose is data entry: locked" locked advance H4 exit propose
expect_eq "locked events changed nothing" \
	"$(t_psql -c "SELECT string_agg(household_id || ':' || state, ',' ORDER BY household_id) FROM fupin.workflow_instance WHERE workflow = 'exit'")" \
	"H1:draft,H2:draft,H3:draft"
# The lock stops data entry only: a withdrawal with its reason is not.
expect_code "11-28: withdraw (with a reason) is not data entry" ok advance H2 exit withdraw 情况有变
expect_eq "the withdrawal is recorded" \
	"$(t_psql -c "SELECT state FROM fupin.workflow_instance WHERE workflow = 'exit' AND household_id = 'H2'")" withdrawn
# A bare date is the end of that day, as "by" in calendar.conf.
expect_code "11-28: EXTEND still works for the township (a bare date)" ok extend V2 stage2 2019-12-01 补录材料
expect_eq "EXTEND 2019-12-01 runs until Dec 1 24:00" "$(jv "$A" 'j["until"]')" "2019-12-02T00:00:00+08:00"

as_village
expect_code "village after the lock: publish is locked" locked advance H1 exit publish
expect_code "village after the lock: the summary is not data entry" ok advance V1 village_summary send
expect_code "village after the lock: EXTEND still forbidden" forbidden extend V1 stage2 2019-12-01T00:00+08:00 要延期
expect_eq "one extension per grant" "$(t_psql -c "SELECT string_agg(village_id, ',' ORDER BY extension_id) FROM fupin.extension")" "V1,V2"

t_stop
t_done
