#!/usr/bin/env bash
# The whole 2019 calendar walked on the manual clock, from 2019-10-08 08:00
# to 2020-01-04 08:00, three moments a day (00:00, when deadlines and the
# ladder fall due; 08:00, the digest; 10:00, when the villages work), with
# three villages:
#   V1 on time: both exits through every stage in time (notices last their
#      five days); one household proposed late enough to be reminded;
#   V2 late for stage 2, then catching up stage by stage (the township's
#      own steps late too: stage 4 review, stage 5 request);
#   V3 very late: never moves, so it is late for every deadline its exits
#      owe (stages 2 to 5 and the city's answer) until the lock.
# Each village also has a work team task (stage 1) and a summary task (by
# 2020-01-03). At the end the outbox must hold exactly the alerts computed
# below from the calendar dates and the rules:
#  * an instance is late for every deadline its state owes (draft owes
#    stages 2, 3, 4, 5 and city_confirm), each named in that deadline's
#    reminders and overdue notice;
#  * alerts go to the party that must act (village team; township office
#    for township_review and township_notice, the village in copy), one per
#    deadline, village and party, never one per household;
#  * ladders: the village's (escalation 1 at due to the township office, 2
#    at due+1d to the township leadership, 3 at due+3d to the city), the
#    township's (1 at due+1d to the township leadership); a household
#    already late since an earlier deadline climbs no second ladder;
#  * reminders 3d and 1d before; one digest a day at 08:00 per village and
#    party while anything is overdue, at the highest level reached;
#  * at the lock, what only data entry could move is reported once on the
#    township's exception list and leaves the digests.
# STATUS, OVERDUE and CALENDAR are checked on the way.
. "$(dirname "$0")/lib.sh"

t_setup calendar_walk

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V1', '勐戛村', '勐戛镇'),
    ('V2', '芒蚌村', '勐戛镇'), ('V3', '帮外村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT id, v, '户主' || id, 3, 'poor', 2014, 4200, true, true, true, true, true
FROM (VALUES ('H11', 'V1'), ('H12', 'V1'), ('H21', 'V2'), ('H22', 'V2'),
    ('H31', 'V3'), ('H32', 'V3')) x(id, v);
SQL

t_start
wait_ready
expect_match "the walk starts at 2019-10-08 08:00" "$(jv "$(req now)" 'j["now"]')" '^2019-10-08T08:00:00'

# 10-08 08:00: the township opens every village's tasks; every exit proposed
for v in V1 V2 V3; do
	adv "$v" village_team open
	adv "$v" village_summary open
done
for h in H11 H12 H21 H22 H31 H32; do adv "$h" exit propose; done

# What each village does, at 10:00 of a day (after that day's 00:00 and
# 08:00 sweeps).
events() {
	case $1 in
	2019-10-09)
		adv V1 village_team set_up
		adv H11 exit publish ;;
	2019-10-10) adv V2 village_team set_up ;;
	2019-10-13)
		A=$(req advance H11 exit submit)
		expect_eq "notice lasts 5 days: submit after 4 is refused" "$(code "$A")" guard ;;
	2019-10-14) adv H11 exit submit ;;
	2019-10-15) adv H11 exit approve ;;
	2019-10-18) adv H12 exit publish ;;
	2019-10-20)
		adv H11 exit request
		adv H11 exit confirm ;;
	2019-10-23)
		adv H12 exit submit
		adv H12 exit approve
		adv H21 exit publish ;;
	2019-10-24) adv H22 exit publish ;;
	2019-10-28)
		adv H12 exit request
		adv H12 exit confirm
		adv H21 exit submit ;;
	2019-10-29) adv H22 exit submit ;;
	2019-10-30)
		adv H21 exit approve
		adv H22 exit approve ;;
	2019-11-04)
		for h in H21 H22; do
			adv $h exit request
			adv $h exit confirm
		done ;;
	2019-12-20) adv V1 village_summary send ;;
	2020-01-02) adv V2 village_summary send ;;
	esac
}

# Checks at some moments of the walk (after that day's events).
checks() {
	case $1 in
	2019-10-22)
		A=$(req status)
		expect_eq "10-22 STATUS overdue per village" \
			"$(jv "$A" '[(v["village"], v["overdue"]) for v in j["villages"]]')" \
			'[["V1", 0], ["V2", 2], ["V3", 3]]'
		expect_eq "10-22 STATUS next_deadline per village" \
			"$(jv "$A" '[(v["village"], v["next_deadline"] and [v["next_deadline"][k] for k in ("id", "due", "households")]) for v in j["villages"]]')" \
			'[["V1", ["stage3", "2019-10-26T00:00:00+08:00", 1]], ["V2", ["stage3", "2019-10-26T00:00:00+08:00", 2]], ["V3", ["stage3", "2019-10-26T00:00:00+08:00", 2]]]'
		A=$(req overdue)
		expect_eq "10-22 OVERDUE lists each late household and task" \
			"$(jv "$A" '[j["count"]] + sorted(([i["village"], i["household"], i["workflow"], i["state"], i["deadline"], i["due"]] for i in j["items"]), key=str)')" \
			'[5, ["V2", "H21", "exit", "draft", "stage2", "2019-10-21T00:00:00+08:00"], ["V2", "H22", "exit", "draft", "stage2", "2019-10-21T00:00:00+08:00"], ["V3", "H31", "exit", "draft", "stage2", "2019-10-21T00:00:00+08:00"], ["V3", "H32", "exit", "draft", "stage2", "2019-10-21T00:00:00+08:00"], ["V3", null, "village_team", "pending", "stage1", "2019-10-11T00:00:00+08:00"]]'
		A=$(req overdue V1)
		expect_eq "10-22 OVERDUE V1 is empty" "$(jv "$A" '[j["count"], j["items"]]')" '[0, []]'
		A=$(req calendar)
		expect_eq "10-22 CALENDAR statuses" \
			"$(jv "$A" '[(i["id"], i["status"]) for i in j["items"] if i["id"] in ("stage1", "stage2", "stage3", "summary")]')" \
			'[["stage1", "overdue"], ["stage2", "overdue"], ["stage3", "open"], ["summary", "open"]]' ;;
	2019-10-25)
		A=$(req status V2)
		expect_eq "10-25 STATUS V2: caught up with stage 2, stage 3 next" \
			"$(jv "$A" '[j["villages"][0]["overdue"], j["villages"][0]["next_deadline"]["id"], j["villages"][0]["next_deadline"]["households"], j["villages"][0]["workflows"]["exit"]]')" \
			'[0, "stage3", 2, {"village_notice": 2}]' ;;
	2019-10-31)
		A=$(req status V2)
		expect_eq "10-31 STATUS V2: next, the township is reminded of its notice" \
			"$(jv "$A" '[j["villages"][0]["next_alert"][k] for k in ("kind", "deadline", "party", "at", "recipients")]')" \
			'["reminder", "stage5", "township", "2019-11-02T00:00:00+08:00", ["township_office", "village_team"]]' ;;
	2019-11-04)
		# V3's exits, in draft since 10-08, are late for every stage
		A=$(req overdue V3)
		expect_eq "11-04 OVERDUE V3: H31 under stages 2, 3, 4 and 5" \
			"$(jv "$A" '[[i["deadline"], i["late_since"], i["due_text"]] for i in j["items"] if i["household"] == "H31"]')" \
			'[["stage2", null, "10月20日24时"], ["stage3", "stage2", "10月25日24时"], ["stage4", "stage2", "10月28日24时"], ["stage5", "stage2", "11月2日24时"]]'
		expect_eq "11-04 OVERDUE V3: items and instances" "$(jv "$A" '[j["count"], j["instances"]]')" '[9, 3]'
		A=$(req status V3)
		expect_eq "11-04 STATUS V3: late once, listed under each deadline" \
			"$(jv "$A" '[j["villages"][0]["overdue"], j["villages"][0]["overdue_by_deadline"], j["villages"][0]["next_deadline"]["id"], j["villages"][0]["next_deadline"]["due_text"]]')" \
			'[3, {"stage1": 1, "stage2": 2, "stage3": 2, "stage4": 2, "stage5": 2}, "city_confirm", "11月22日24时"]'
		A=$(req calendar)
		expect_eq "11-04 CALENDAR: stages 3-5 overdue (V3), shown as people say them" \
			"$(jv "$A" '[(i["id"], i["status"], i["due_text"]) for i in j["items"] if i["id"] in ("stage3", "stage4", "stage5")]')" \
			'[["stage3", "overdue", "10月25日24时"], ["stage4", "overdue", "10月28日24时"], ["stage5", "overdue", "11月2日24时"]]' ;;
	2019-11-28)
		A=$(req status V3)
		expect_eq "11-28 STATUS V3: the exits unfinished at the lock" \
			"$(jv "$A" '[j["villages"][0]["unfinished_at_lock"]]')" '[2]'
		A=$(req overdue V3)
		expect_eq "11-28 OVERDUE V3: the locked exits are marked" \
			"$(jv "$A" 'sorted(set((i["household"], i["locked"]) for i in j["items"] if i["household"]))')" \
			'[["H31", true], ["H32", true]]' ;;
	esac
}

# The walk. 10-21 00:00: the overdue notices are in the outbox as soon as
# CLOCK answers (the sweep at the new moment finished first).
clock_set 2019-10-08T10:00:00+08:00
DAY=2019-10-09
while :; do
	clock_set "${DAY}T00:00:00+08:00"
	if [ "$DAY" = 2019-10-21 ]; then
		expect_eq "CLOCK answers after the sweep: stage 2 overdue notices are there" \
			"$(t_psql -c "SELECT string_agg(village_id, ',' ORDER BY village_id) FROM fupin.alert WHERE deadline_id = 'stage2' AND kind = 'overdue'")" \
			"V2,V3"
	fi
	clock_set "${DAY}T08:00:00+08:00"
	[ "$DAY" = 2020-01-04 ] && break
	clock_set "${DAY}T10:00:00+08:00"
	events "$DAY"
	checks "$DAY"
	DAY=$(date -d "$DAY + 1 day" +%F)
done
expect_match "the walk ends at 2020-01-04 08:00" "$(jv "$(req now)" 'j["now"]')" '^2020-01-04T08:00:00'

# -- the outbox, exactly
python3 - >"$T/expected" <<'PY'
from datetime import date, timedelta
VL = {0: "village_team", 1: "township_office", 2: "township_leadership", 3: "city"}
TL = {0: "township_office,village_team", 1: "township_leadership"}
out = []
def a(kind, level, dl, v, fire, hh, count=None, rcpt=None, party="village"):
    if count is None:
        count = len(hh)
    if rcpt is None:
        L = VL if party == "village" else TL
        rcpt = L[level] if kind in ("escalation", "digest") else L[0]
    out.append("|".join([kind, str(level), dl, v, fire, ",".join(hh), str(count), rcpt, party, "f"]))
def ladder(dl, v, due, hh_by_step, party="village"):
    """Overdue at due and the party's escalations (village: 1-3 at due,
    due+1d, due+3d; township: 1 at due+1d); hh_by_step gives the
    households at each of those offsets (None: a task)."""
    d = date.fromisoformat(due)
    steps = ((("overdue", 0, 0), ("escalation", 1, 0), ("escalation", 2, 1),
              ("escalation", 3, 3)) if party == "village" else
             (("overdue", 0, 0), ("escalation", 1, 1)))
    for kind, level, off in steps:
        hh = hh_by_step.get((kind, off), hh_by_step.get(off, "absent"))
        if hh == "absent":
            continue
        fire = "%s 00:00" % (d + timedelta(off))
        if hh is None:
            a(kind, level, dl, v, fire, [], 1, party=party)
        else:
            a(kind, level, dl, v, fire, hh, party=party)
def digest(v, day, level, hh, dl, count=None, party="village"):
    a("digest", level, dl, v, "%s 08:00" % day, hh, count, party=party)
def days(first, last):
    d = date.fromisoformat(first)
    while d <= date.fromisoformat(last):
        yield d
        d += timedelta(1)
rem = lambda dl, v, fire, hh, count=None, party="village": a("reminder", 0, dl, v, fire + " 00:00", hh, count, party=party)

# V1, on time: reminded only where a household was still open at the
# reminder's moment; nothing once it finished (10-28).
rem("stage2", "V1", "2019-10-18", ["H12"])
rem("stage3", "V1", "2019-10-23", ["H12"])

# V2, late for stage 2 and catching up. In draft until 10-23/10-24 it owes
# stage 3 too, so stage 3 reminds it from 10-23.
rem("stage1", "V2", "2019-10-10", [], 1)
both = ["H21", "H22"]
rem("stage2", "V2", "2019-10-18", both)
rem("stage2", "V2", "2019-10-20", both)
ladder("stage2", "V2", "2019-10-21", {0: both, 1: both, 3: ["H22"]})
rem("stage3", "V2", "2019-10-23", both)
rem("stage3", "V2", "2019-10-25", both)
ladder("stage3", "V2", "2019-10-26", {0: both, 1: both, 3: ["H22"]})
rem("stage4", "V2", "2019-10-26", both)      # in the village notice, which owes stage 4
rem("stage4", "V2", "2019-10-28", both)
# 10-29: H21 waits for the township's review (the township is late), H22
# is still in its village notice (late since stage 3: named, no new ladder)
ladder("stage4", "V2", "2019-10-29", {0: ["H21"], 1: both}, party="township")
ladder("stage4", "V2", "2019-10-29", {("overdue", 0): ["H22"]})
rem("stage5", "V2", "2019-10-31", both, party="township")
rem("stage5", "V2", "2019-11-02", both, party="township")
ladder("stage5", "V2", "2019-11-03", {0: both, 1: both}, party="township")
digest("V2", "2019-10-21", 1, both, "stage2")
for d in days("2019-10-22", "2019-10-23"):
    digest("V2", d, 2, both, "stage2")
digest("V2", "2019-10-24", 3, ["H22"], "stage2")
digest("V2", "2019-10-26", 1, both, "stage3")
for d in days("2019-10-27", "2019-10-28"):
    digest("V2", d, 2, both, "stage3")
digest("V2", "2019-10-29", 3, ["H22"], "stage3")   # one digest for stages 3 and 4
digest("V2", "2019-10-29", 0, ["H21"], "stage4", party="township")
digest("V2", "2019-10-30", 1, both, "stage4", party="township")
digest("V2", "2019-11-03", 0, both, "stage5", party="township")
digest("V2", "2019-11-04", 1, both, "stage5", party="township")
rem("summary", "V2", "2020-01-01", [], 1)

# V3, never moves: its exits are late for stages 2, 3, 4, 5 and the city's
# answer, one ladder (stage 2's), one digest a day until the lock, then the
# exception list; its tasks keep their own alerts.
rem("stage1", "V3", "2019-10-10", [], 1)
ladder("stage1", "V3", "2019-10-11", {0: None, 1: None, 3: None})
three = ["H31", "H32"]
rem("stage2", "V3", "2019-10-18", three)
rem("stage2", "V3", "2019-10-20", three)
ladder("stage2", "V3", "2019-10-21", {0: three, 1: three, 3: three})
for dl, due, r1, r2 in (("stage3", "2019-10-26", "2019-10-23", "2019-10-25"),
                        ("stage4", "2019-10-29", "2019-10-26", "2019-10-28"),
                        ("stage5", "2019-11-03", "2019-10-31", "2019-11-02"),
                        ("city_confirm", "2019-11-23", "2019-11-20", "2019-11-22")):
    rem(dl, "V3", r1, three)
    rem(dl, "V3", r2, three)
    ladder(dl, "V3", due, {("overdue", 0): three})
a("exception", 0, "lock", "", "2019-11-28 00:00", three, rcpt="township_office")
rem("summary", "V3", "2020-01-01", [], 1)
rem("summary", "V3", "2020-01-03", [], 1)
ladder("summary", "V3", "2020-01-04", {0: None})
for d in days("2019-10-11", "2020-01-04"):
    lv = 3 if d >= date(2019, 10, 14) else 2 if d >= date(2019, 10, 12) else 1
    hh = three if date(2019, 10, 21) <= d <= date(2019, 11, 27) else []
    tasks = 2 if d == date(2020, 1, 4) else 1
    digest("V3", d, lv, hh, "stage1", len(hh) + tasks)
print("\n".join(sorted(out)))
PY
t_psql -c "SELECT concat_ws('|', kind, level, deadline_id, coalesce(village_id, ''),
	fupin.local_text(fire_at), array_to_string(households, ','), count,
	array_to_string(recipients, ','), fupin.alert_party(alert_key),
	CASE WHEN late THEN 't' ELSE 'f' END)
	FROM fupin.alert ORDER BY 1" | LC_ALL=C sort >"$T/got"
LC_ALL=C sort -o "$T/expected" "$T/expected"
if diff -u "$T/expected" "$T/got" >"$T/alerts.diff"; then
	t_ok "the outbox holds exactly the $(wc -l <"$T/expected") expected alerts"
else
	t_fail "the outbox differs from the expected alerts (- expected, + got):"
	head -60 "$T/alerts.diff" >&2
fi
expect_eq "one alert per deadline, village, party, kind, level and moment" \
	"$(t_psql -c "SELECT count(*) FROM (SELECT 1 FROM fupin.alert GROUP BY deadline_id, village_id, fupin.alert_party(alert_key), kind, level, due, fire_at HAVING count(*) > 1) x")" 0
expect_eq "one digest a day per village and party, whatever it missed" \
	"$(t_psql -c "SELECT count(*) FROM (SELECT 1 FROM fupin.alert WHERE kind = 'digest' GROUP BY village_id, fupin.alert_party(alert_key), fire_at HAVING count(*) > 1) x")" 0
expect_eq "grouped per village: an alert names several households" \
	"$(t_psql -c "SELECT max(cardinality(households)) FROM fupin.alert")" 2
expect_eq "nothing for V1 after it finished (10-28)" \
	"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE village_id = 'V1' AND fire_at >= '2019-10-28T10:00+08'")" 0
expect_eq "digests carry the level reached: V3 by level" \
	"$(t_psql -c "SELECT string_agg(level || ':' || n, ' ' ORDER BY level) FROM (SELECT level, count(*) n FROM fupin.alert WHERE village_id = 'V3' AND kind = 'digest' GROUP BY level) x")" \
	"1:1 2:2 3:83"
expect_match "an escalation's text says how late, who must act and which step" \
	"$(t_psql -c "SELECT text_zh FROM fupin.alert WHERE village_id = 'V3' AND deadline_id = 'stage2' AND kind = 'escalation' AND level = 3")" \
	'^【通报】帮外村：“第二阶段.*”截止10月20日24时，已逾期3天，村工作队仍未完成：村民主评议2户（H31、H32）。$'
expect_match "stage 3's overdue notice names the households late since stage 2" \
	"$(t_psql -c "SELECT text_zh FROM fupin.alert WHERE village_id = 'V3' AND deadline_id = 'stage3' AND kind = 'overdue'")" \
	'^【逾期】帮外村：“第三阶段.*”已于10月25日24时截止，村工作队仍未完成：村民主评议2户（H31、H32）；其中2户自第二阶段起已逾期。请村工作队抓紧办理。$'
expect_match "a township step's overdue notice asks the township, not the village" \
	"$(t_psql -c "SELECT text_zh FROM fupin.alert WHERE village_id = 'V2' AND deadline_id = 'stage4' AND kind = 'overdue' AND fupin.alert_party(alert_key) = 'township'")" \
	'^【逾期】芒蚌村：“第四阶段：完成贫困退出镇级复审验收”已于10月28日24时截止，镇扶贫办仍未完成：镇级复审验收1户（H21）。请镇扶贫办抓紧办理。$'
expect_eq "no 通报 of a village for the township's own delay" \
	"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE fupin.alert_party(alert_key) <> 'village' AND text_zh LIKE '【通报】%'")" 0
expect_match "the exception list at the lock, once" \
	"$(t_psql -c "SELECT count(*) || ' ' || string_agg(text_zh, '') FROM fupin.alert WHERE kind = 'exception'")" \
	'^1 【例外清单】11月27日24时数据录入已截止，以下2户未完成，无法再录入，请镇扶贫办核实说明：帮外村：村民主评议2户（H31、H32）。$'
expect_eq "after the lock no alert names the exits nobody can move" \
	"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE fire_at >= '2019-11-28T00:00+08' AND kind <> 'exception' AND households && ARRAY['H31', 'H32']")" 0

# -- the end of the campaign
A=$(req status)
expect_eq "end: STATUS overdue per village" \
	"$(jv "$A" '[(v["village"], v["overdue"]) for v in j["villages"]]')" \
	'[["V1", 0], ["V2", 0], ["V3", 4]]'
expect_eq "end: every exit of V1 and V2 exited, V3 still in draft" \
	"$(jv "$A" '[v["workflows"]["exit"] for v in j["villages"]]')" \
	'[{"exited": 2}, {"exited": 2}, {"draft": 2}]'
expect_eq "end: nothing ahead for anyone" \
	"$(jv "$A" '[v["next_deadline"] for v in j["villages"]]')" '[null, null, null]'
A=$(req alerts 5)
expect_eq "ALERTS 5: the latest five" "$(jv "$A" 'len(j["items"])')" 5
expect_eq "ALERTS: newest first" "$(jv "$A" '[i["id"] for i in j["items"]] == sorted([i["id"] for i in j["items"]], reverse=True)')" true
# without notify.command the log is the delivery: all marked delivered
for _ in $(seq 1 150); do
	[ "$(t_psql -c 'SELECT count(*) FROM fupin.alert WHERE delivered_at IS NULL')" = 0 ] && break
	sleep 0.1
done
expect_eq "every alert delivered (to the log)" "$(t_psql -c 'SELECT count(*) FROM fupin.alert WHERE delivered_at IS NULL')" 0

t_stop
t_done
