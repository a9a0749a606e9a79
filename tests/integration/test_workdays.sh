#!/usr/bin/env bash
# Reminders given in working days ("3wd") skip weekends and holidays and
# count make-up working days, as the calendar file says.
. "$(dirname "$0")/lib.sh"
t_setup workdays
t_write_conf 'alerts: { reminders = "3wd"; };'
t_psql >/dev/null <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing,
    education, medical, housing)
VALUES ('H001', 'V01', '张三', 4, 'poor', 2016, 4200, true, true, true,
    true, true);
SQL
t_start
synced() { [ "$(t_psql -c "SELECT count(*) FROM fupin.calendar_day WHERE campaign_id = '2019'")" -gt 0 ]; }
for _ in $(seq 1 200); do synced && break; sleep 0.05; done
synced && t_ok "holidays stored" || t_fail "no calendar_day rows"

wd() { t_psql -c "SET TIME ZONE 'Asia/Shanghai'; SELECT to_char(fupin.minus_working_days('2019', '$1', $2), 'YYYY-MM-DD HH24:MI')" | tail -1; }
# Mon Oct 21: Fri 18, Thu 17, Wed 16.
expect_eq "3 working days before Mon 2019-10-21" "$(wd 2019-10-21T00:00+08:00 3)" "2019-10-16 00:00"
# Wed Oct 9: Tue 8; Oct 1-7 National Day; Mon Sep 30; Sun Sep 29 is a make-up day.
expect_eq "across National Day to the make-up Sunday" "$(wd 2019-10-09T00:00+08:00 3)" "2019-09-29 00:00"
# Mon Oct 14: Sat Oct 12 is a make-up working day, Fri Oct 11 next.
expect_eq "the make-up Saturday counts" "$(wd 2019-10-14T09:30+08:00 2)" "2019-10-11 09:30"
# Thu 2020-01-02: Wed Jan 1 is New Year's Day.
expect_eq "New Year's Day is skipped" "$(wd 2020-01-02T00:00+08:00 1)" "2019-12-31 00:00"

ctl advance H001 exit propose >/dev/null
tasks_done V01
next() { ctl status V01 | json '["villages"][0]["next_alert"]' | python3 -c 'import json,sys; a=json.load(sys.stdin); print(a["kind"], a["deadline"], a["at"], ",".join(a["recipients"]))'; }
expect_eq "STATUS: what fires next, when, to whom" "$(next)" \
	"reminder stage2 2019-10-16T00:00:00+08:00 village_team"
reminders() { t_psql -c "SELECT count(*) FROM fupin.alert WHERE kind = 'reminder' AND deadline_id = 'stage2'"; }
ctl clock set 2019-10-15T23:59+08:00 >/dev/null
expect_eq "no stage2 reminder before 3 working days" "$(reminders)" 0
ctl clock set 2019-10-16T00:00+08:00 >/dev/null
expect_eq "the stage2 reminder at 3 working days" "$(reminders)" 1
expect_eq "then the overdue notice at the deadline" "$(next)" \
	"overdue stage2 2019-10-21T00:00:00+08:00 village_team"
expect_eq "it fired at Wed 00:00" "$(t_psql -c "SET TIME ZONE 'Asia/Shanghai'; SELECT to_char(fire_at, 'YYYY-MM-DD HH24:MI') FROM fupin.alert WHERE kind = 'reminder' AND deadline_id = 'stage2'" | tail -1)" "2019-10-16 00:00"
t_done
