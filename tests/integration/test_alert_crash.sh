#!/usr/bin/env bash
# Alerts survive kill -9 and downtime.
#  1. A reference run in a second database: the same villages and steps
#     (CLOCK SET to 00:00 and 08:00 of each day, 10-09 .. 10-19), no crash.
#  2. The crash run: N times start fupind, CLOCK SET the next moment, kill -9
#     it after a random small delay (during the sweep, or while the notify
#     command, which sleeps a little after it logged the alert, runs), and
#     restart; then a clean run to the end. Every alert_key of the
#     reference exists exactly once, nothing more, nothing less; every alert
#     is in the delivery log at least once. A kill between the command's
#     success and the delivered mark makes a repeat (at-least-once
#     delivery): their number is printed, and must stay at most one per
#     kill on average (a kill repeats at most the notify.concurrency
#     commands running at it and the results not yet recorded; since
#     deliveries are claimed in groups the commands run back to back, so
#     a kill during deliveries finds more of them running than before).
#  3. Downtime: stopped at 10-19 08:00, started with clock.start 10-25
#     12:00: what fell due in between fires once, late=true, late_seconds =
#     how late, in fire_at order; only the latest digest; no reminder of a
#     deadline already past; a second restart adds nothing.
. "$(dirname "$0")/lib.sh"

t_setup alert_crash

SEED=${CRASH_SEED:-$$}
RANDOM=$SEED
N=${CRASH_N:-10}
echo "seed $SEED, $N kills"

# conf LOG [CLOCK_START]: the notify command logs the alert, then sometimes
# sleeps a little before it exits 0.
conf() {
	cat >"$T/notify.sh" <<EOF
#!/bin/bash
line=\$(cat)
printf '%s\n' "\$line" >>"$1"
sleep 0.\$((RANDOM % 3))
EOF
	chmod +x "$T/notify.sh"
	t_write_conf "notify: { command = \"$T/notify.sh\"; timeout = \"2s\"; };"
	if [ -n "${2:-}" ]; then
		sed -i "s/start = \"2019-10-08T08:00:00+08:00\"/start = \"$2\"/" "$T/fupind.conf"
	fi
}
fixture() {
	t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V1', '勐戛村', '勐戛镇'), ('V2', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT id, v, '户主' || id, 3, 'poor', 2014, 4200, true, true, true, true, true
FROM (VALUES ('H1', 'V1'), ('H2', 'V1'), ('H3', 'V2')) x(id, v);
SQL
}
fixture_events() {
	adv V1 village_team open
	adv V1 village_team set_up
	adv V2 village_team open
	for h in H1 H2 H3; do adv $h exit propose; done
}
MOMENTS=()
for d in $(seq -w 9 19); do
	MOMENTS+=("2019-10-${d}T00:00:00+08:00" "2019-10-${d}T08:00:00+08:00")
done
# (alert_key, kind, level, fire_at, households, count, late) of every alert
outbox() {
	t_psql -c "SELECT concat_ws('|', alert_key, kind, level, fupin.local_text(fire_at), households::text, count, late) FROM fupin.alert ORDER BY alert_key"
}
# wait_delivered LOG: every alert delivered (bounded), and in LOG
wait_delivered() {
	for _ in $(seq 1 150); do
		[ "$(t_psql -c 'SELECT count(*) FROM fupin.alert WHERE delivered_at IS NULL')" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
ids_in() { python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip())
print(len(c), sum(c.values()), " ".join("%s:%s" % kv for kv in sorted(c.items()) if kv[1] > 1))' "$1"; }

MAIN_T=$T
MAIN_DB=$T_DB

# -- 1. the reference
T=$MAIN_T/ref
T_DB=${MAIN_DB}_ref
mkdir -p "$T"
psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null
psql -qAt -d postgres -c "CREATE DATABASE $T_DB" >/dev/null
conf "$T/delivered.log"
"$FUPIND" -c "$T/fupind.conf" --migrate >"$T/migrate.log" 2>&1 || { cat "$T/migrate.log"; t_fail "reference migration"; exit 1; }
fixture
t_start
wait_ready
fixture_events
for m in "${MOMENTS[@]}"; do clock_set "$m"; done
wait_delivered || t_fail "reference: not everything delivered"
t_stop
outbox >"$MAIN_T/ref.outbox"
read -r REF_IDS REF_LINES REF_DUPS <<<"$(ids_in "$T/delivered.log")"
expect_eq "reference: each alert delivered exactly once" "$REF_IDS $REF_LINES" \
	"$(t_psql -c 'SELECT count(*) FROM fupin.alert') $(t_psql -c 'SELECT count(*) FROM fupin.alert')"
T=$MAIN_T
T_DB=$MAIN_DB

# -- 2. the crash run
conf "$T/delivered.log"
fixture
t_start
wait_ready
fixture_events
i=0
KILLED_IN_SWEEP=0
for n in $(seq 1 "$N"); do
	# redo the moment the last kill may have cut short (never backwards)
	a=$(req clock set "${MOMENTS[$i]}")
	[[ $a == *'"ok":true'* || $a == *'"error":"clock"'* ]] || t_fail "kill $n: CLOCK SET ${MOMENTS[$i]}: $a"
	i=$((i + 1))
	"$FUPINCTL" -s "$T/fupind.sock" --json clock set "${MOMENTS[$i]}" >"$T/clock.out" 2>&1 &
	CPID=$!
	# every other kill within 30 ms (in the sweep), else within 400 ms
	# (a delivery)
	if [ $((n % 2)) = 1 ]; then
		sleep "0.0$((RANDOM % 3))$((RANDOM % 10))"
	else
		sleep "0.$(printf '%02d' $((RANDOM % 40)))"
	fi
	kill -9 "$T_PID"
	wait "$T_PID" 2>/dev/null || true
	wait "$CPID" 2>/dev/null || KILLED_IN_SWEEP=$((KILLED_IN_SWEEP + 1))
	T_PID=
	echo "kill $n at ${MOMENTS[$i]}: $(t_psql -c "SELECT count(*) || ' alerts, ' || count(delivered_at) || ' delivered, ' || count(*) FILTER (WHERE claimed_until > now()) || ' leased' FROM fupin.alert")"
	t_start
	wait_ready
done
echo "$KILLED_IN_SWEEP of $N kills came before CLOCK answered"
# the clean run to the end
for m in "${MOMENTS[@]:$i}"; do
	a=$(req clock set "$m")
	[[ $a == *'"ok":true'* || $a == *'"error":"clock"'* ]] || t_fail "CLOCK SET $m: $a"
done
expect_match "the crash run ends at 10-19 08:00" "$(req now)" '"now":"2019-10-19T08:00:00\+08:00"'
# Leases of the killed daemons last notify.timeout + 30s; pass that time at
# once (the daemon wakes up by itself when a lease expires; the test will
# not wait half a minute), then let it deliver.
t_psql -c "UPDATE fupin.alert SET claimed_until = now() WHERE claimed_until > now()"
clock_set "2019-10-19T08:00:00+08:00"
wait_delivered && t_ok "crash run: every alert delivered" || t_fail "crash run: undelivered alerts remain"

outbox >"$T/crash.outbox"
if diff -u "$T/ref.outbox" "$T/crash.outbox" >"$T/outbox.diff"; then
	t_ok "crash run: the same $(wc -l <"$T/ref.outbox") alerts as the reference, each once"
else
	t_fail "crash run differs from the reference (- reference, + crash):"
	head -30 "$T/outbox.diff" >&2
fi
expect_eq "alert_key unique" "$(t_psql -c 'SELECT count(*) - count(DISTINCT alert_key) FROM fupin.alert')" 0
read -r IDS LINES DUPS <<<"$(ids_in "$T/delivered.log")"
expect_eq "every alert is in the delivery log" "$IDS" "$(t_psql -c 'SELECT count(*) FROM fupin.alert')"
echo "deliveries: $LINES for $IDS alerts; repeated (kill between success and mark): ${DUPS:-none}"
if [ $((LINES - IDS)) -le "$N" ]; then
	t_ok "repeats are rare: $((LINES - IDS)) in $N kills"
else
	t_fail "too many repeats: $((LINES - IDS)) in $N kills"
fi

# -- 3. downtime: 10-19 08:00 .. 10-25 12:00
t_stop
BEFORE=$(t_psql -c 'SELECT max(alert_id) FROM fupin.alert')
conf "$T/delivered.log" 2019-10-25T12:00:00+08:00
t_start
wait_ready
expect_match "after the downtime the clock starts at clock.start" "$(req now)" '"now":"2019-10-25T12:00:00\+08:00"'
for _ in $(seq 1 100); do
	[ "$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE alert_id > $BEFORE")" -gt 0 ] && break
	sleep 0.05
done
# what fell due in the gap, one per deadline, village and level; the
# exits still in draft owe stage 3 too, so its reminders (10-23, 10-25)
# fire late; the digests of 10-20 .. 10-24 are not sent late, the latest
# (10-25) is, one per village (V2's names its stage 1 task and its exits)
expect_eq "downtime: what fell due fires once, late, by fire_at" \
	"$(t_psql -c "SELECT string_agg(concat_ws(' ', deadline_id, village_id, kind || level, fupin.local_text(fire_at), late, late_seconds), E'\n' ORDER BY fire_at, village_id, level, deadline_id) FROM fupin.alert WHERE alert_id > $BEFORE")" \
	"stage2 V1 overdue0 2019-10-21 00:00 t 388800
stage2 V1 escalation1 2019-10-21 00:00 t 388800
stage2 V2 overdue0 2019-10-21 00:00 t 388800
stage2 V2 escalation1 2019-10-21 00:00 t 388800
stage2 V1 escalation2 2019-10-22 00:00 t 302400
stage2 V2 escalation2 2019-10-22 00:00 t 302400
stage3 V1 reminder0 2019-10-23 00:00 t 216000
stage3 V2 reminder0 2019-10-23 00:00 t 216000
stage2 V1 escalation3 2019-10-24 00:00 t 129600
stage2 V2 escalation3 2019-10-24 00:00 t 129600
stage3 V1 reminder0 2019-10-25 00:00 t 43200
stage3 V2 reminder0 2019-10-25 00:00 t 43200
stage2 V1 digest3 2019-10-25 08:00 t 14400
stage1 V2 digest3 2019-10-25 08:00 t 14400"
expect_eq "downtime: alert_id increases with fire_at" \
	"$(t_psql -c "SELECT bool_and(ok) FROM (SELECT fire_at >= lag(fire_at) OVER (ORDER BY alert_id) OR lag(fire_at) OVER (ORDER BY alert_id) IS NULL AS ok FROM fupin.alert WHERE alert_id > $BEFORE) x")" t
expect_eq "no reminder for a deadline that passed while down" \
	"$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE kind = 'reminder' AND due < '2019-10-25T12:00+08'AND fire_at > '2019-10-19T08:00+08'")" 0
wait_delivered && t_ok "late alerts delivered" || t_fail "late alerts not delivered"
LATE_ORDER=$(python3 -c '
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip()]
late = [json.loads(l) for l in open(sys.argv[1]) if l.strip() and json.loads(l)["late"]]
print(all(l["late_seconds"] > 0 for l in late), len(late) > 0)' "$T/delivered.log")
expect_eq "the command saw late=true with late_seconds" "$LATE_ORDER" "True True"
N_AFTER=$(t_psql -c 'SELECT count(*) FROM fupin.alert')
t_stop
t_start
wait_ready
clock_set 2019-10-25T12:00:00+08:00
expect_eq "a second restart at the same moment adds nothing" "$(t_psql -c 'SELECT count(*) FROM fupin.alert')" "$N_AFTER"

t_stop
psql -qAt -d postgres -c "DROP DATABASE IF EXISTS ${MAIN_DB}_ref WITH (FORCE)" >/dev/null
t_done
