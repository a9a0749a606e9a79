#!/usr/bin/env bash
# Two fupind on one database: both answer requests, one leads (sweeps and
# delivers).  When the leader is killed (-9), the standby takes the lead
# within 10 seconds, resumes the campaign clock where the leader left it,
# and goes on sweeping and delivering: no alert of the outbox is written
# twice, none is left undelivered, and what the leader wrote is not
# written again.
. "$(dirname "$0")/lib.sh"

t_setup leader

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V1', '勐戛村', '勐戛镇'), ('V2', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT id, v, '户主' || id, 3, 'poor', 2014, 4200, true, true, true, true, true
FROM (VALUES ('H1', 'V1'), ('H2', 'V1'), ('H3', 'V2')) x(id, v);
SQL

cat >"$T/notify.sh" <<EOF
#!/bin/sh
cat >>"$T/delivered.log"; echo >>"$T/delivered.log"
EOF
chmod +x "$T/notify.sh"
t_write_conf "notify: { command = \"$T/notify.sh\"; };"
sed "s|$T/fupind.sock|$T/b.sock|" "$T/fupind.conf" >"$T/b.conf"

reqb() { "$FUPINCTL" -s "$T/b.sock" --json "$@" 2>&1 || true; }
background_of() { jv "$("$FUPINCTL" -s "$1" --json ping 2>&1 || true)" 'j["background"]'; }
is_background() { [ "$(background_of "$1")" = "$2" ]; }
undelivered() { t_psql -c 'SELECT count(*) FROM fupin.alert WHERE delivered_at IS NULL'; }

# -- A leads, B stands by; both answer
t_start
wait_ready
wait_for is_background "$T/fupind.sock" leader && t_ok "the first daemon leads" ||
	t_fail "the first daemon does not lead: $(req ping)"
"$FUPIND" -f -c "$T/b.conf" >>"$T/b.log" 2>&1 &
B_PID=$!
trap 'kill -9 $B_PID 2>/dev/null || true; t_cleanup' EXIT
wait_for is_background "$T/b.sock" standby && t_ok "the second daemon stands by" ||
	t_fail "the second daemon does not stand by: $(reqb ping)"
adv V1 village_team open
A=$(reqb advance H1 exit propose)
expect_eq "the standby answers requests (ADVANCE)" "$(code "$A")" ok
expect_eq "the standby answers readers (STATUS)" "$(code "$(reqb status V1)")" ok

clock_set 2019-10-11T08:00:00+08:00
first=$(t_psql -c 'SELECT count(*) FROM fupin.alert')
[ "$first" -gt 0 ] && t_ok "the leader sweeps ($first alerts)" || t_fail "the leader wrote no alert"
WAIT_FOR_S=20 wait_for test "$(undelivered)" = 0 && t_ok "the leader delivers" ||
	t_fail "the leader did not deliver"
# (the same moment as the leader's: what a takeover sweeps is then only
# what the leader already wrote)
A=$(reqb clock set 2019-10-11T08:00:00+08:00)
expect_eq "CLOCK on the standby answers at once, without a sweep" "$(jv "$A" 'j["swept"]')" false
expect_eq "the standby wrote no alert" "$(t_psql -c 'SELECT count(*) FROM fupin.alert')" "$first"
if grep -q 'leader: leading' "$T/b.log"; then t_fail "the standby led"; else t_ok "the standby never led"; fi

# -- the leader dies: B takes over within 10 s
kill -9 "$T_PID"; wait "$T_PID" 2>/dev/null || true; T_PID=
t0=$(date +%s%N)
WAIT_FOR_S=10 wait_for is_background "$T/b.sock" leader && t_ok "the standby takes the lead within 10 s" ||
	t_fail "no takeover within 10 s: $(reqb ping)"
echo "takeover after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect_eq "the new leader's clock is the campaign's" \
	"$(jv "$(reqb now)" 'j["now"]')" "2019-10-11T08:00:00+08:00"
expect_eq "the takeover wrote nothing again" "$(t_psql -c 'SELECT count(*) FROM fupin.alert')" "$first"
A=$(reqb clock set 2019-10-21T08:00:00+08:00)
expect_eq "the new leader sweeps when the clock moves" "$(jv "$A" 'j["swept"]')" true
after=$(t_psql -c 'SELECT count(*) FROM fupin.alert')
[ "$after" -gt "$first" ] && t_ok "the new leader writes the next alerts ($after)" ||
	t_fail "no alert after the takeover"
WAIT_FOR_S=20 wait_for test "$(undelivered)" = 0 && t_ok "the new leader delivers" ||
	t_fail "alerts left undelivered after the takeover"
expect_eq "every alert of the outbox delivered, none twice" \
	"$(python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["id"] for l in open(sys.argv[1]) if l.strip())
print(len(c), max(c.values()))' "$T/delivered.log")" "$after 1"

# -- the old leader comes back as a standby
t_start
wait_for is_background "$T/fupind.sock" standby && t_ok "the restarted daemon stands by" ||
	t_fail "the restarted daemon does not stand by: $(req ping)"
kill -TERM "$B_PID"; wait "$B_PID" 2>/dev/null || true
WAIT_FOR_S=10 wait_for is_background "$T/fupind.sock" leader && t_ok "after a clean stop the other takes over" ||
	t_fail "no takeover after a clean stop"

t_done
