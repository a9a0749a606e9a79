#!/usr/bin/env bash
# ADVANCE in groups: requests that arrive while every group slot is taken
# wait and go to the database together, one statement and one commit.
# With database.pool = 2 there is one slot; an ADVANCE held by a lock keeps
# it, so the next ten wait (the advance_waiting gauge says so) and then go
# as ONE group: advance_groups grows by exactly 2. Two requests for one
# household keep their order inside a group. A group the database refuses
# as a whole (here a trigger that fails one household's insert) is rolled
# back and its requests go again one by one: only the bad one fails, every
# other is stored with its audit row.
. "$(dirname "$0")/lib.sh"

t_setup advance_group

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V1', '勐戛村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT 'H' || i, 'V1', '户主' || i, 3, 'poor', 2014, 4200, true, true, true,
    true, true
FROM generate_series(1, 30) i;
SQL
t_write_conf
sed -i "s|sql_dir = |pool = 2; sql_dir = |" "$T/fupind.conf"
t_start
wait_ready

metric() { # metric NAME: an unlabelled counter or gauge of METRICS, 0 if absent
	req metrics | python3 -c 'import json, sys
j = json.load(sys.stdin); n = sys.argv[1]
print(int(j["counters"].get(n) or j["gauges"].get(n) or 0))' "$1"
}
waiting_is() { [ "$(metric advance_waiting)" = "$1" ]; }

advance_waits() {
	[ "$(t_psql -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$T_DB' AND wait_event_type = 'Lock' AND query LIKE '%advance_group%'")" = 1 ]
}

# run_group FIRST LAST: with the one slot held, ADVANCE H<FIRST>..H<LAST>
# exit propose (each its own client) wait; then H30 propose and publish
# (publish sent once propose waits); then the slot is freed.
run_group() {
	local i n=$(($2 - $1 + 1))
	lock_instance H1
	req advance H1 exit publish >"$T/h1.out" &
	PIDS=($!)
	wait_for advance_waits || t_fail "the first group never waited for the lock"
	for i in $(seq "$1" "$2"); do
		req advance "H$i" exit propose >"$T/h$i.out" &
		PIDS+=($!)
	done
	wait_for waiting_is "$n" || t_fail "$n requests never waited (advance_waiting $(metric advance_waiting))"
	req advance H30 exit propose >"$T/h30a.out" &
	PIDS+=($!)
	wait_for waiting_is $((n + 1)) || t_fail "propose H30 never waited"
	req advance H30 exit publish >"$T/h30b.out" &
	PIDS+=($!)
	wait_for waiting_is $((n + 2)) || t_fail "publish H30 never waited"
	unlock_instance
	for i in "${PIDS[@]}"; do wait "$i"; done
}

# -- twelve requests waiting go as one group
adv H1 exit propose
before=$(metric advance_groups)
run_group 2 11
after=$(metric advance_groups)
expect_eq "the twelve waiting requests went as one group (2 statements for 13)" \
	$((after - before)) 2
expect_eq "nothing waits afterwards" "$(metric advance_waiting)" 0
ok=0
for i in $(seq 2 11); do [ "$(code "$(cat "$T/h$i.out")")" = ok ] && ok=$((ok + 1)); done
expect_eq "each of the ten was answered ok" "$ok" 10
expect_eq "H1's publish went through after the lock" "$(code "$(cat "$T/h1.out")")" ok
expect_eq "propose then publish of H30, in the order they came" \
	"$(code "$(cat "$T/h30a.out")") $(code "$(cat "$T/h30b.out")")" "ok ok"
expect_eq "H30 is in village_notice" \
	"$(t_psql -c "SELECT state FROM fupin.workflow_instance WHERE household_id = 'H30'")" village_notice
expect_eq "one audit row per answered step" \
	"$(t_psql -c "SELECT count(*) FROM fupin.transition WHERE household_id IN ('H2','H3','H4','H5','H6','H7','H8','H9','H10','H11') AND event = 'propose'")" 10

# -- a group refused as a whole: its requests go again one by one
t_psql <<'SQL'
CREATE FUNCTION public.test_fail_h17() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'test: H17 may not be stored';
END $$;
CREATE TRIGGER test_fail_h17 BEFORE INSERT ON fupin.workflow_instance
    FOR EACH ROW WHEN (NEW.household_id = 'H17')
    EXECUTE FUNCTION public.test_fail_h17();
SQL
retried=$(metric advance_groups_retried)
# refused_group: H1's submit holds the slot; H12..H21 propose wait (H17's
# insert fails in the database), then go as one group.
refused_group() {
	local i
	lock_instance H1
	req advance H1 exit submit >"$T/h1.out" &
	PIDS=($!)
	wait_for advance_waits || t_fail "the first group never waited for the lock"
	for i in $(seq 12 21); do
		req advance "H$i" exit propose >"$T/h$i.out" &
		PIDS+=($!)
	done
	wait_for waiting_is 10 || t_fail "ten requests never waited"
	unlock_instance
	for i in "${PIDS[@]}"; do wait "$i"; done
}
refused_group
expect_eq "the group was refused once and its requests sent again" \
	$(($(metric advance_groups_retried) - retried)) 1
expect_eq "H17 alone failed" "$(code "$(cat "$T/h17.out")")" internal
ok=0
for i in 12 13 14 15 16 18 19 20 21; do [ "$(code "$(cat "$T/h$i.out")")" = ok ] && ok=$((ok + 1)); done
expect_eq "the nine others were answered ok" "$ok" 9
expect_eq "the nine are stored, H17 is not" \
	"$(t_psql -c "SELECT string_agg(household_id, ' ' ORDER BY substr(household_id, 2)::int) FROM fupin.workflow_instance WHERE household_id IN ('H12','H13','H14','H15','H16','H17','H18','H19','H20','H21')")" \
	"H12 H13 H14 H15 H16 H18 H19 H20 H21"
expect_eq "with their audit rows, none for H17" \
	"$(t_psql -c "SELECT count(*), count(*) FILTER (WHERE household_id = 'H17') FROM fupin.transition WHERE event = 'propose' AND household_id IN ('H12','H13','H14','H15','H16','H17','H18','H19','H20','H21')")" "9|0"
grep -q "SQLSTATE P0001: test: H17 may not be stored" "$T/fupind.log" &&
	t_ok "the database's words are in the log" || t_fail "no log line for H17's failure"

t_done
