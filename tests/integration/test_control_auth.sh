#!/usr/bin/env bash
# Access to the status protocol: the TCP listener with good, bad and
# brute-forced tokens (delays grow, the fifth failure cuts the client off,
# the event loop keeps serving others meanwhile); what an unauthenticated
# TCP client may do; each role's scope (village sees and changes its own
# village only; township extends; admin moves the clock), by token and by
# Unix user (SO_PEERCRED); the audit trail's actor and role; a
# non-loopback listener refused unless control.listen_remote says so.
. "$(dirname "$0")/lib.sh"

t_setup control_auth

# new_token VAR: a fresh token in $VAR and its hash in ${VAR}_HASH.
new_token() {
	local out
	out=$("$FUPINCTL" new-token)
	printf -v "$1" '%s' "$(sed -n 's/^token: //p' <<<"$out")"
	printf -v "${1}_HASH" '%s' "$(sed -n 's/^hash:  //p' <<<"$out")"
}
new_token TA; new_token TT; new_token TC; new_token TV1; new_token TV2
[[ $TV1_HASH == '$y$'* ]] && t_ok "fupinctl new-token makes a yescrypt hash" ||
	t_fail "new-token hash: $TV1_HASH"

PORT=$(free_port)
t_write_conf "
control: { socket = \"$T/fupind.sock\"; socket_mode = \"0666\"; listen = \"127.0.0.1:$PORT\";
           auth_timeout = \"60s\"; }; # the penalties below add up to more than 10 s
access = (
  { role = \"admin\"; users = [\"root\"]; token = \"$TA_HASH\"; name = \"ops\"; },
  { role = \"township\"; token = \"$TT_HASH\"; name = \"office\"; },
  { role = \"city\"; token = \"$TC_HASH\"; name = \"city\"; },
  { role = \"village\"; village = \"V01\"; token = \"$TV1_HASH\"; },
  { role = \"village\"; village = \"V02\"; users = [\"nobody\"]; token = \"$TV2_HASH\"; }
);"
# The file above sets control twice; keep the second (ours).
python3 - "$T/fupind.conf" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
first = next(i for i, l in enumerate(lines) if l.startswith("control:"))
del lines[first]
open(p, "w").write("\n".join(lines))
PY

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
VALUES ('H001', 'V01', '岩温', 4, 'poor', 2014, 4200, true, true, true, true, true),
    ('H002', 'V01', '玉香', 3, 'poor', 2014, 4200, true, true, true, true, true),
    ('H060', 'V02', '李明', 5, 'poor', 2014, 4200, true, true, true, true, true);
SQL

t_start
wait_ready

# tcp LINE...: one TCP connection, each line sent after the previous
# answer; prints "<seconds> <answer>" per line, then "closed" if the daemon
# closed the connection.
tcp() {
	python3 - "$PORT" "$@" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
for line in sys.argv[2:]:
    t = time.time()
    try:
        s.sendall(line.encode() + b"\n")
        a = f.readline()
    except OSError:
        a = b""
    if not a:
        print("closed")
        break
    print("%.2f %s" % (time.time() - t, a.decode().strip()))
PY
}
# answer N OUTPUT: the JSON of the Nth answer.
answer() { sed -n "${1}p" <<<"$2" | cut -d' ' -f2-; }
secs() { sed -n "${1}p" <<<"$2" | cut -d' ' -f1; }
code_of() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j.get("error","ok") if not j["ok"] else "ok")' "$1"; }
nth_code() { code_of "$(answer "$1" "$2")"; }

# ---- before AUTH --------------------------------------------------------------
out=$(tcp PING HELP NOW STATUS CALENDAR "AUTH")
expect_eq "TCP: PING before AUTH" "$(nth_code 1 "$out")" ok
expect_eq "TCP: HELP before AUTH" "$(nth_code 2 "$out")" ok
expect_eq "TCP: HELP before AUTH lists PING HELP QUIT AUTH only" \
	"$(answer 2 "$out" | python3 -c 'import json,sys; print(" ".join(v["verb"] for v in json.load(sys.stdin)["verbs"]))')" \
	"PING HELP QUIT AUTH"
expect_eq "TCP: NOW before AUTH is forbidden" "$(nth_code 3 "$out")" forbidden
expect_eq "TCP: STATUS before AUTH is forbidden" "$(nth_code 4 "$out")" forbidden
expect_match "TCP: forbidden says to AUTH" "$(answer 4 "$out")" "AUTH TOKEN first"
expect_eq "TCP: CALENDAR before AUTH is forbidden" "$(nth_code 5 "$out")" forbidden
expect_eq "TCP: AUTH without a token is a usage error" "$(nth_code 6 "$out")" usage

# ---- a village token ------------------------------------------------------------
out=$(tcp "AUTH $TV1" "STATUS" "STATUS V02" "OVERDUE V02" "HOUSEHOLD H060" \
	"HOUSEHOLD H001" "ADVANCE H060 exit propose" "ADVANCE H001 exit propose" \
	"ALERTS" "EXTEND V01 stage2 2019-10-25 rain" "CLOCK ADVANCE 1d" "CONFIG" \
	"METRICS" "OVERDUE" "PING")
a=$(answer 1 "$out")
expect_eq "AUTH with the V01 token" "$(code_of "$a")" ok
expect_eq "AUTH answers the role" "$(json '["role"]' <<<"$a")" village
expect_eq "AUTH answers the village" "$(json '["village"]' <<<"$a")" V01
expect_eq "village STATUS: only its own village" \
	"$(answer 2 "$out" | python3 -c 'import json,sys; print(",".join(v["village"] for v in json.load(sys.stdin)["villages"]))')" V01
expect_eq "village STATUS of another village: forbidden" "$(nth_code 3 "$out")" forbidden
expect_eq "village OVERDUE of another village: forbidden" "$(nth_code 4 "$out")" forbidden
expect_eq "village HOUSEHOLD of another village: forbidden" "$(nth_code 5 "$out")" forbidden
expect_eq "village HOUSEHOLD of its own: ok" "$(nth_code 6 "$out")" ok
expect_eq "village ADVANCE in another village: forbidden" "$(nth_code 7 "$out")" forbidden
expect_eq "village ADVANCE in its own village: ok" "$(nth_code 8 "$out")" ok
expect_eq "village ALERTS: ok" "$(nth_code 9 "$out")" ok
expect_eq "village EXTEND: forbidden" "$(nth_code 10 "$out")" forbidden
expect_eq "village CLOCK: forbidden" "$(nth_code 11 "$out")" forbidden
expect_eq "village CONFIG: forbidden" "$(nth_code 12 "$out")" forbidden
expect_eq "village METRICS: ok" "$(nth_code 13 "$out")" ok
expect_eq "village OVERDUE of its own: ok" "$(nth_code 14 "$out")" ok

# The audit trail names the token's principal and role.
hist=$(ctl household H001 | python3 -c 'import json,sys; h=json.load(sys.stdin)["history"][-1]; print(h["role"], h["actor"])')
expect_match "the change records role and principal" "$hist" '^village V01\(token from 127\.0\.0\.1:[0-9]+\)$'

# ---- township, city, admin tokens -------------------------------------------------
out=$(tcp "AUTH $TT" STATUS "EXTEND V02 stage2 2019-10-25T00:00:00+08:00 暴雨" "CLOCK ADVANCE 1d" "ADVANCE H060 exit propose")
expect_eq "AUTH township" "$(answer 1 "$out" | json '["role"]')" township
expect_eq "township STATUS sees both villages" \
	"$(answer 2 "$out" | python3 -c 'import json,sys; print(",".join(v["village"] for v in json.load(sys.stdin)["villages"]))')" V01,V02
expect_eq "township EXTEND: ok" "$(nth_code 3 "$out")" ok
expect_eq "township CLOCK: forbidden" "$(nth_code 4 "$out")" forbidden
expect_eq "township ADVANCE: ok" "$(nth_code 5 "$out")" ok
out=$(tcp "AUTH $TC" "STATUS" "EXTEND V02 stage2 2019-10-26 x")
expect_eq "AUTH city" "$(answer 1 "$out" | json '["role"]')" city
expect_eq "city STATUS: ok" "$(nth_code 2 "$out")" ok
expect_eq "city EXTEND: forbidden" "$(nth_code 3 "$out")" forbidden
out=$(tcp "AUTH $TA" "CLOCK ADVANCE 1h" "CONFIG")
expect_eq "AUTH admin" "$(answer 1 "$out" | json '["role"]')" admin
expect_eq "admin CLOCK: ok" "$(nth_code 2 "$out")" ok
expect_eq "admin CONFIG: ok" "$(nth_code 3 "$out")" ok
out=$(tcp "AUTH $TV1" "AUTH $TV2" "STATUS")
expect_eq "a second AUTH changes the role's village" \
	"$(answer 3 "$out" | python3 -c 'import json,sys; print(",".join(v["village"] for v in json.load(sys.stdin)["villages"]))')" V02

# fupinctl over TCP, with the token from the environment.
run_rc() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
run_rc env FUPIN_TOKEN="$TV1" "$FUPINCTL" -a "127.0.0.1:$PORT" --json status
expect_eq "fupinctl -a with FUPIN_TOKEN: exit 0" "$RC" 0
expect_eq "fupinctl -a: the token's village" "$(json '["villages"][0]["village"]' <<<"$OUT")" V01
echo "$TV2" >"$T/token"
run_rc "$FUPINCTL" -a "127.0.0.1:$PORT" --token-file "$T/token" --json status
expect_eq "fupinctl --token-file: V02" "$(json '["villages"][0]["village"]' <<<"$OUT")" V02
run_rc env FUPIN_TOKEN=wrong "$FUPINCTL" -a "127.0.0.1:$PORT" status
expect_eq "fupinctl -a with a bad token: exit 2" "$RC" 2
expect_match "fupinctl -a with a bad token says so" "$OUT" "token was refused"
run_rc env -u FUPIN_TOKEN "$FUPINCTL" -a "127.0.0.1:$PORT" status
expect_eq "fupinctl -a without a token: exit 2" "$RC" 2

# ---- bad and brute-forced tokens ------------------------------------------------------
# One connection guesses five times while a Unix client keeps asking.
(
	for i in $(seq 1 40); do
		s=$(date +%s.%N)
		"$FUPINCTL" -s "$T/fupind.sock" --json ping >/dev/null || echo FAIL
		python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$s" "$(date +%s.%N)"
		sleep 0.1
	done
) >"$T/pings" &
pinger=$!
out=$(tcp "AUTH guess1" "AUTH guess2" "AUTH guess3" "AUTH guess4" "AUTH guess5" "PING")
wait $pinger
for n in 1 2 3 4 5; do
	expect_eq "bad token $n: forbidden" "$(nth_code $n "$out")" forbidden
done
expect_match "the fifth failure says it disconnects" "$(answer 5 "$out")" "disconnecting"
expect_eq "after five failures the connection is closed" "$(sed -n 6p <<<"$out")" closed
# The penalties the daemon set (its log) grow with each failure, and each
# answer came no sooner than its penalty; the time measured also holds the
# token's hashing, which varies with the machine's load, so the measured
# delays themselves are not compared with each other.
python3 - "$out" "$T/fupind.log" <<'PY' && t_ok "each failure waits longer than the one before" || t_fail "delays do not grow: $out"
import re, sys
d = [float(l.split()[0]) for l in sys.argv[1].split("\n")[:5]]
log = open(sys.argv[2], encoding="utf-8").read()
last = re.findall(r"client (\d+) \([^)]*\): bad token \(5\); answering in \d+ ms", log)[-1]
ms = [int(m) for m in re.findall(r"client %s \([^)]*\): bad token \(\d\); answering in (\d+) ms" % last, log)]
assert len(ms) == 5 and all(b > a for a, b in zip(ms, ms[1:])), ms
assert all(t >= m / 1000 - 0.01 for t, m in zip(d, ms)), (d, ms)
assert d[0] >= 0.2 and d[4] >= 3.2, d
PY
grep -q FAIL "$T/pings" && t_fail "a PING failed during the brute force" || t_ok "PING served throughout the brute force"
slowest=$(sort -n "$T/pings" | tail -1)
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$slowest" &&
	t_ok "PINGs stayed fast during the brute force (slowest $slowest s)" ||
	t_fail "a PING took $slowest s during the brute force"

# Globally: a fresh connection's first failure now waits longer than 0.2 s.
out=$(tcp "AUTH fresh-guess")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.6 else 1)" "$(secs 1 "$out")" &&
	t_ok "recent failures of others slow a new client's failure ($(secs 1 "$out") s)" ||
	t_fail "a new client's failure took only $(secs 1 "$out") s"
# Parallel guessers are all refused; none gets through, the daemon lives.
pids=()
for i in 1 2 3 4 5 6; do tcp "AUTH par$i" >"$T/par$i" & pids+=($!); done
wait "${pids[@]}"
n=0; for i in 1 2 3 4 5 6; do [ "$(nth_code 1 "$(cat "$T/par$i")")" = forbidden ] && n=$((n + 1)); done
expect_eq "six parallel guessers all refused" "$n" 6
out=$(tcp "AUTH $TV1" PING)
expect_eq "the right token still works after the brute force" "$(nth_code 1 "$out")" ok
grep -q "bad token" "$T/fupind.log" && t_ok "failures are logged" || t_fail "no 'bad token' in the log"
grep -qF "$TV1" "$T/fupind.log" && t_fail "the token appears in the log" || t_ok "the token never appears in the log"
m=$(ctl metrics)
expect_match "METRICS counts failed AUTH" "$(json '["counters"]["auth"]["failed"]' <<<"$m")" '^[0-9]+'
expect_match "METRICS counts cut-off clients" "$(json '["counters"]["auth"]["cut_off"]' <<<"$m")" '^1'

# ---- the Unix socket: roles by user -----------------------------------------------------
a=$(ctl auth "$TV1" || true)
expect_eq "AUTH on the Unix socket: usage" "$(code_of "$a")" usage
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$FUPINCTL" -s "$T/fupind.sock" --json "$@"; }
as_daemon_user() { setpriv --reuid=1 --regid=1 --clear-groups "$FUPINCTL" -s "$T/fupind.sock" --json "$@"; }
a=$(as_nobody status || true)
expect_eq "Unix user nobody (village V02) sees V02 only" \
	"$(python3 -c 'import json,sys; print(",".join(v["village"] for v in json.loads(sys.argv[1])["villages"]))' "$a")" V02
a=$(as_nobody status V01 || true)
expect_eq "Unix user nobody: STATUS V01 forbidden" "$(code_of "$a")" forbidden
a=$(as_nobody ping || true)
expect_eq "Unix user nobody: PING says role village" "$(json '["role"]' <<<"$a")" village
a=$(as_daemon_user status || true)
expect_eq "a Unix user not in the access list: STATUS forbidden" "$(code_of "$a")" forbidden
a=$(as_daemon_user ping || true)
expect_eq "a Unix user not in the access list has role none" "$(json '["role"]' <<<"$a")" none
t_stop

# ---- non-loopback listeners ------------------------------------------------------------------
P2=$(free_port)
sed -i "s/listen = \"127.0.0.1:$PORT\"/listen = \"0.0.0.0:$P2\"/" "$T/fupind.conf"
RC=0; timeout 20 "$FUPIND" -f -c "$T/fupind.conf" >"$T/remote.log" 2>&1 || RC=$?
[ "$RC" != 0 ] && t_ok "a non-loopback control.listen stops the start" || t_fail "fupind started on 0.0.0.0"
grep -q "not a loopback address" "$T/remote.log" && t_ok "and says why" || t_fail "no reason: $(tail -3 "$T/remote.log")"
sed -i "s/listen = \"0.0.0.0:$P2\"/listen = \"127.0.0.1:$P2\"; http = \"0.0.0.0:$P2\"/" "$T/fupind.conf"
RC=0; timeout 20 "$FUPIND" -f -c "$T/fupind.conf" >"$T/remote.log" 2>&1 || RC=$?
grep -q "control.http: 0.0.0.0:$P2 is not a loopback address" "$T/remote.log" &&
	t_ok "a non-loopback control.http is refused too" || t_fail "http: $(tail -3 "$T/remote.log")"
sed -i "s/http = \"0.0.0.0:$P2\"/listen_remote = \"yes\"/; s/listen = \"127.0.0.1:$P2\"/listen = \"0.0.0.0:$P2\"/" "$T/fupind.conf"
t_start
PORT=$P2
out=$(tcp PING)
expect_eq "with listen_remote = yes, 0.0.0.0 listens" "$(nth_code 1 "$out")" ok
t_stop
t_done
