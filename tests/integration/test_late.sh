#!/usr/bin/env bash
# Issue 10, the campaign as the plan runs it, walked on the manual clock
# from 10-08 to 11-30 (00:00 and 08:00 each day, the villages at 10:00):
#   H3 (V2) stays in draft: late for stages 2, 3, 4, 5 and the city's
#      answer; listed under each in OVERDUE and STATUS, named in each
#      stage's overdue notice with one ladder (stage 2's); at the lock on
#      the township's exception list, once, and in no alert after it.
#   H4 (V2) is submitted in time but the township reviews it late: the
#      stage 4 notice goes to the township office (village in copy), the
#      escalation to the township leadership, never a 通报 of the village.
#   H1 (V1) waits for the city, which never answers: city_confirm (Nov 22)
#      reminds and escalates to the city; after the lock the city may still
#      confirm (not data entry), a village may not publish (data entry).
#   H2 (V1) goes through every step in time: named in no overdue notice.
# Dates are shown as the plan says them (10月20日24时); EXTEND with a bare
# date is the end of that day, and its refusal gives both moments.
. "$(dirname "$0")/lib.sh"

t_setup late

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V1', '勐戛村', '勐戛镇'), ('V2', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT id, v, '户主' || id, 3, 'poor', 2014, 4200, true, true, true, true, true
FROM (VALUES ('H1', 'V1'), ('H2', 'V1'), ('H3', 'V2'), ('H4', 'V2')) x(id, v);
SQL

t_start
wait_ready
for h in H1 H2 H3 H4; do adv $h exit propose; done
for h in H1 H2 H4; do adv $h exit publish; done

events() {
	case $1 in
	2019-10-14) for h in H1 H2 H4; do adv $h exit submit; done ;;
	2019-10-15) for h in H1 H2; do adv $h exit approve; done ;;
	2019-10-21)
		adv H1 exit request
		adv H2 exit request
		adv H2 exit confirm ;;
	2019-10-30) adv H4 exit approve ;;   # the township, a day late
	2019-11-05)
		adv H4 exit request
		adv H4 exit confirm ;;
	esac
}
checks() {
	case $1 in
	2019-11-04)
		A=$(req overdue V2)
		expect_eq "11-04 OVERDUE: H3 under stages 2, 3, 4 and 5, late since stage 2" \
			"$(jv "$A" '[[i["deadline"], i["late_since"], i["party"]] for i in j["items"] if i["household"] == "H3"]')" \
			'[["stage2", null, "village"], ["stage3", "stage2", "village"], ["stage4", "stage2", "village"], ["stage5", "stage2", "village"]]'
		expect_eq "11-04 OVERDUE: H4 late for stage 5 in the township's notice" \
			"$(jv "$A" '[[i["deadline"], i["state"], i["party"]] for i in j["items"] if i["household"] == "H4"]')" \
			'[["stage5", "township_notice", "township"]]'
		expect_eq "11-04 OVERDUE V1: H1 not late yet (the city has until Nov 22), H2 done" \
			"$(jv "$(req overdue V1)" 'j["count"]')" 0
		A=$(req status V2)
		expect_eq "11-04 STATUS V2: two late households, H3 under every stage" \
			"$(jv "$A" '[j["villages"][0]["overdue"], j["villages"][0]["overdue_by_deadline"]]')" \
			'[2, {"stage2": 1, "stage3": 1, "stage4": 1, "stage5": 2}]'
		A=$(req calendar)
		expect_eq "11-04 CALENDAR: dates as the plan says them, instants kept" \
			"$(jv "$A" '[(i["id"], i["due_text"], i["due"]) for i in j["items"] if i["id"] in ("stage2", "city_confirm", "lock")]')" \
			'[["stage2", "10月20日24时", "2019-10-21T00:00:00+08:00"], ["city_confirm", "11月22日24时", "2019-11-23T00:00:00+08:00"], ["lock", "11月27日24时", "2019-11-28T00:00:00+08:00"]]' ;;
	2019-11-23)
		A=$(req status V1)
		expect_eq "11-23 STATUS V1: the unconfirmed exit is late, for the city" \
			"$(jv "$A" '[j["villages"][0]["overdue_by_deadline"], j["villages"][0]["next_alert"]["party"], j["villages"][0]["next_alert"]["recipients"]]')" \
			'[{"city_confirm": 1}, "city", ["city"]]' ;;
	esac
}

clock_set 2019-10-08T10:00:00+08:00
DAY=2019-10-09
while [[ $DAY < 2019-11-30 ]]; do
	clock_set "${DAY}T00:00:00+08:00"
	clock_set "${DAY}T08:00:00+08:00"
	clock_set "${DAY}T10:00:00+08:00"
	events "$DAY"
	checks "$DAY"
	DAY=$(date -d "$DAY + 1 day" +%F)
done

al() { # SQL condition: kind|party|recipients|households of the alerts, by fire_at
	t_psql -c "SELECT string_agg(concat_ws('|', kind || level, deadline_id, fupin.alert_party(alert_key), to_char(fire_at AT TIME ZONE 'Asia/Shanghai', 'MM-DD'), array_to_string(recipients, ','), array_to_string(households, ',')), ' ; ' ORDER BY fire_at, deadline_id, kind, level) FROM fupin.alert WHERE $1"
}

# -- 1. late for every deadline missed
expect_eq "H3 is named in the overdue notice of stages 2, 3, 4, 5 and city_confirm" \
	"$(t_psql -c "SELECT string_agg(deadline_id, ',' ORDER BY due) FROM fupin.alert WHERE kind = 'overdue' AND 'H3' = ANY (households)")" \
	"stage2,stage3,stage4,stage5,city_confirm"
expect_match "stage 4's notice says since when" \
	"$(t_psql -c "SELECT text_zh FROM fupin.alert WHERE kind = 'overdue' AND deadline_id = 'stage4' AND village_id = 'V2' AND fupin.alert_party(alert_key) = 'village'")" \
	'^【逾期】芒蚌村：“第四阶段：完成贫困退出镇级复审验收”已于10月28日24时截止，村工作队仍未完成：村民主评议1户（H3）；其中1户自第二阶段起已逾期。请村工作队抓紧办理。$'
expect_eq "H3 climbs one ladder: stage 2's" \
	"$(t_psql -c "SELECT string_agg(deadline_id || ':' || level, ',' ORDER BY level) FROM fupin.alert WHERE kind = 'escalation' AND 'H3' = ANY (households)")" \
	"stage2:1,stage2:2,stage2:3"
expect_eq "one digest a day for V2's village team, however many stages H3 missed" \
	"$(t_psql -c "SELECT max(n) FROM (SELECT count(*) n FROM fupin.alert WHERE kind = 'digest' AND village_id = 'V2' AND fupin.alert_party(alert_key) = 'village' GROUP BY fire_at) x")" 1
expect_eq "H2, on time, is in no overdue notice, escalation or digest" \
	"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE kind IN ('overdue', 'escalation', 'digest', 'exception') AND 'H2' = ANY (households)")" 0

# -- 2. alerts follow responsibility
expect_eq "stage 4, township step: to the township office, the village in copy; then its leadership" \
	"$(al "deadline_id = 'stage4' AND 'H4' = ANY (households) AND kind IN ('overdue', 'escalation')")" \
	"overdue0|stage4|township|10-29|township_office,village_team|H4 ; escalation1|stage4|township|10-30|township_leadership|H4"
expect_match "the township's notice names the step and asks the township" \
	"$(t_psql -c "SELECT text_zh FROM fupin.alert WHERE kind = 'overdue' AND deadline_id = 'stage4' AND 'H4' = ANY (households)")" \
	'^【逾期】芒蚌村：“第四阶段：完成贫困退出镇级复审验收”已于10月28日24时截止，镇扶贫办仍未完成：镇级复审验收1户（H4）。请镇扶贫办抓紧办理。$'
expect_eq "no 请抓紧办理 to the village team and no 通报 for a township step" \
	"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE 'H4' = ANY (households) AND deadline_id IN ('stage4', 'stage5') AND kind <> 'reminder' AND (text_zh LIKE '%请村工作队%' OR text_zh LIKE '【通报】%')")" 0

# -- 7. the lock: the city's deadline before it, the exception list at it
expect_eq "city_confirm: reminders, overdue notice and escalation to the city" \
	"$(al "deadline_id = 'city_confirm' AND village_id = 'V1' AND kind <> 'digest'")" \
	"reminder0|city_confirm|city|11-20|city,township_office,village_team|H1 ; reminder0|city_confirm|city|11-22|city,township_office,village_team|H1 ; overdue0|city_confirm|city|11-23|city,township_office,village_team|H1 ; escalation1|city_confirm|city|11-26|city|H1"
expect_eq "one exception list, at the lock, for the township office: H3 (H1 can still be confirmed)" \
	"$(al "kind = 'exception'")" "exception0|lock|village|11-28|township_office|H3"
expect_match "the exception list names the village, the step and the households" \
	"$(t_psql -c "SELECT text_zh FROM fupin.alert WHERE kind = 'exception'")" \
	'^【例外清单】11月27日24时数据录入已截止，以下1户未完成，无法再录入，请镇扶贫办核实说明：芒蚌村：村民主评议1户（H3）。$'
expect_eq "no alert names H3 after the lock but the exception list" \
	"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE fire_at >= '2019-11-28T00:00+08' AND kind <> 'exception' AND 'H3' = ANY (households)")" 0
expect_eq "the city's unfinished answer still has its digests after the lock" \
	"$(t_psql -c "SELECT count(*) > 0 FROM fupin.alert WHERE fire_at >= '2019-11-28T00:00+08' AND kind = 'digest' AND 'H1' = ANY (households)")" t
A=$(req status)
expect_eq "STATUS after the lock: unfinished at the lock per village" \
	"$(jv "$A" '[[v["village"], v["unfinished_at_lock"]] for v in j["villages"]]')" '[["V1", 0], ["V2", 1]]'
expect_code "after the lock: publish is data entry" locked advance H3 exit publish
step "after the lock: the city's confirmation is not data entry" city_request exited H1 exit confirm
clock_set 2019-11-30T08:00:00+08:00
expect_eq "sweeps after the lock make no second exception list" \
	"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE kind = 'exception'")" 1

# -- 8. dates and EXTEND
expect_code "EXTEND to the calendar's own due (a bare date: its end) is refused" usage \
	extend V2 stage2 2019-10-20 原因
expect_eq "the refusal gives both moments" "$(jv "$A" 'j["message"]')" \
	"stage2 is due 10月20日24时 (2019-10-21 00:00); an extension must end after that, not 10月20日24时 (2019-10-21 00:00)"
expect_code "EXTEND with a bare date" ok extend V2 summary 2020-01-05 村里遭遇洪灾
expect_eq "a bare date means the end of that day, as in calendar.conf" "$(jv "$A" 'j["until"]')" "2020-01-06T00:00:00+08:00"
expect_eq "STATUS shows it as people say it" \
	"$(jv "$(req status V2)" '[e["until_text"] for e in j["villages"][0]["extensions"]]')" '["2020年1月5日24时"]'
expect_eq "nothing half-written: one extension, one audit row" \
	"$(t_psql -c "SELECT (SELECT count(*) FROM fupin.extension) || ',' || (SELECT count(*) FROM fupin.transition WHERE event = 'extend')")" "1,1"

t_stop
t_done
