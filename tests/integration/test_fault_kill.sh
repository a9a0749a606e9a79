#!/usr/bin/env bash
# fupind killed (SIGKILL) ten times at random moments under load, and
# restarted each time: 8 clients (advload.py) walk their own households
# through exit propose / publish / object ..., and before each kill the
# campaign clock moves half a day (a sweep, deliveries).
#  - every ADVANCE answered ok is in fupin.transition, none refused nor
#    sent to a dead daemon is; workflow_instance agrees with the last
#    transition of each household;
#  - every alert written under the kills is delivered (at least once:
#    a kill between a command's success and its record repeats it; the
#    repeats are counted);
#  - after the last restart, a sweep and its delivery give each new alert
#    exactly once.
# The moment of each kill: once the load has had a random number (20 to
# 300) of answers more. Leases of the killed daemons (notify.timeout + 30 s
# and more) are ended in the database rather than waited for.
. "$(dirname "$0")/lib.sh"

t_setup fault_kill
SEED=${KILL_SEED:-$$}
RANDOM=$SEED
N=${KILL_N:-10}
echo "seed $SEED, $N kills"
LOAD_PID=
trap 'rc=$?; touch "$T/stop"; [ -n "$LOAD_PID" ] && wait "$LOAD_PID" 2>/dev/null; t_cleanup "$rc"' EXIT

cat >"$T/notify.sh" <<EOF
#!/bin/sh
grep -o '"id":[0-9]*' | head -1 | cut -d: -f2 >>"$T/delivered.log"
EOF
chmod +x "$T/notify.sh"
t_write_conf "notify: { command = \"$T/notify.sh\"; };"
fault_register 4 32
touch "$T/delivered.log"

t_start
wait_ready
answers() { wc -l 2>/dev/null <"$T/load.jsonl" || echo 0; }
answers_at_least() { [ "$(answers)" -ge "$1" ]; }
python3 "$FUPIN_SRC/tests/integration/advload.py" run "$T/fupind.sock" --clients 8 \
	--households "$(seq -s, -f 'H%g' 1 32)" --out "$T/load.jsonl" --stop "$T/stop" --max-seconds 150 &
LOAD_PID=$!

moment=$(date -d 2019-10-08T08:00:00+08:00 +%s)
for n in $(seq 1 "$N"); do
	moment=$((moment + 43200))
	at=$(date -u -d "@$((moment + 28800))" +%Y-%m-%dT%H:%M:%S+08:00)
	# the sweep (and the deliveries after it) under way at the kill
	"$FUPINCTL" -s "$T/fupind.sock" --json clock set "$at" >"$T/clock.out" 2>&1 &
	CPID=$!
	WAIT_FOR_S=60 wait_for answers_at_least $(($(answers) + 20 + RANDOM % 280)) ||
		t_fail "kill $n: the load stalled"
	kill -9 "$T_PID"
	wait "$T_PID" 2>/dev/null || true
	wait "$CPID" 2>/dev/null || true
	T_PID=
	echo "kill $n at clock $at: $(answers) answers; outbox: $(t_psql -c "SELECT count(*) || ' alerts, ' || count(delivered_at) || ' delivered, ' || count(*) FILTER (WHERE claimed_until > now()) || ' leased' FROM fupin.alert")"
	t_start
	wait_ready
done
before=$(answers)
WAIT_FOR_S=60 wait_for answers_at_least $((before + 100)) && t_ok "the last daemon answers the load" ||
	t_fail "no answers after the last restart"
touch "$T/stop"
wait "$LOAD_PID"; LOAD_PID=

# -- answered ok => stored; refused or not sent => not stored
load_agrees

# -- the alerts of the kills: each delivered, repeats counted
# (the killed daemons' leases: passed at once, then a kick)
t_psql -c "UPDATE fupin.alert SET claimed_until = now() WHERE claimed_until > now()" -c "SELECT pg_notify('fupin_alert', '0')" >/dev/null
delivered() { [ "$(t_psql -c 'SELECT count(*) FROM fupin.alert WHERE delivered_at IS NULL')" = 0 ]; }
WAIT_FOR_S=30 wait_for delivered && t_ok "every alert of the kills delivered" || t_fail "undelivered alerts"
expect_eq "every alert of the outbox reached the command" \
	"$(sort -u "$T/delivered.log" | wc -l)" "$(t_psql -c 'SELECT count(*) FROM fupin.alert')"
repeats=$(sort "$T/delivered.log" | uniq -d | wc -l)
echo "$(t_psql -c 'SELECT count(*) FROM fupin.alert') alerts under $N kills, $repeats delivered twice or more (a kill between success and record)"
[ "$repeats" -le "$N" ] && t_ok "repeats ($repeats) no more than kills" || t_fail "$repeats repeats in $N kills"

# -- after the last restart: a sweep, each alert exactly once
last=$(t_psql -c 'SELECT coalesce(max(alert_id), 0) FROM fupin.alert')
lines=$(wc -l <"$T/delivered.log")
A=$(req clock set 2019-11-04T09:00:00+08:00)
expect_eq "a sweep after the last restart" "$(jv "$A" 'j["swept"]')" true
new=$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE alert_id > $last")
[ "$new" -gt 0 ] && t_ok "it writes $new alerts" || t_fail "no new alert"
WAIT_FOR_S=30 wait_for delivered && t_ok "all delivered" || t_fail "undelivered alerts after the sweep"
expect_eq "each new alert delivered exactly once, none missing" \
	"$(tail -n +$((lines + 1)) "$T/delivered.log" | sort | uniq -c | awk -v l="$last" '$2 > l && $1 == 1 {n++} $1 != 1 || $2 <= l {bad++} END {print n + 0, bad + 0}')" \
	"$new 0"
t_done
