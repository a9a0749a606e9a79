#!/usr/bin/env bash
# Connection limits (issue 13, points 1 and 2), as an attacker on the same
# machine would probe them:
#  - 500 idle connections from a Unix user with no role (nobody) leave a
#    village team (user daemon) served; the flood gets one-line busy
#    answers past control.max_anonymous_per_peer, and what it holds is
#    closed at control.auth_timeout whatever it sends;
#  - 70 idle TCP connections (from 127.0.0.2) leave a village's token
#    client (from 127.0.0.1) served;
#  - 300 clients at once: every one gets a line (ok or busy), none is
#    closed without a word;
#  - 300 slow HTTP clients (a header line now and then) against a daemon
#    with 256 descriptors: the HTTP cap holds, PING is answered, the log
#    stays small; with a cap above the descriptors, accept backs off on
#    EMFILE (a few log lines, not millions) and recovers.
. "$(dirname "$0")/lib.sh"

t_setup control_limits

TOKEN=$("$FUPINCTL" new-token)
TV1=$(sed -n 's/^token: //p' <<<"$TOKEN")
TV1_HASH=$(sed -n 's/^hash:  //p' <<<"$TOKEN")
PORT=$(free_port)
HTTP=$(free_port)

conf() {
	t_write_conf "$1
access = (
  { role = \"admin\"; users = [\"root\"]; },
  { role = \"village\"; village = \"V01\"; users = [\"daemon\"]; token = \"$TV1_HASH\"; }
);"
	python3 - "$T/fupind.conf" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
first = next(i for i, l in enumerate(lines) if l.startswith("control:"))
del lines[first]
open(p, "w").write("\n".join(lines))
PY
}
conf "control: { socket = \"$T/fupind.sock\"; socket_mode = \"0666\";
           listen = \"127.0.0.1:$PORT\"; http = \"127.0.0.1:$HTTP\";
           auth_timeout = \"5s\"; http_max_clients = 32; };"

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
VALUES ('H001', 'V01', '岩温', 4, 'poor', 2014, 4200, true, true, true, true, true);
SQL

t_start
wait_ready

# flood USER N ADDR: N connections held open (Unix socket, or TCP from
# ADDR); prints how many got a busy line at once, then waits for "go" on
# stdin and prints how many of the rest were closed by the daemon within
# 15 s.
flood_py='
import os, select, socket, sys, time
n, addr = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(n):
    if addr == "unix":
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[3])
    else:
        s = socket.socket(); s.bind((addr, 0)); s.connect(("127.0.0.1", int(sys.argv[3])))
    socks.append(s)
busy, held, deadline = 0, [], time.time() + 10
for s in socks:
    s.settimeout(max(0.01, min(0.2, deadline - time.time())))
    try:
        a = s.recv(4096)
    except socket.timeout:
        held.append(s); continue
    if b"\"busy\"" in a: busy += 1
    s.close()
print(busy, len(held), flush=True)
sys.stdin.readline()
closed, end = 0, time.time() + 15
while held and time.time() < end:
    r, _, _ = select.select(held, [], [], 0.5)
    for s in r:
        if s.recv(4096) == b"":
            closed += 1; held.remove(s); s.close()
print(closed, len(held), flush=True)
'

# ---- 500 idle connections from a user with no role ----------------------------
chmod 0755 "$T"
coproc FLOOD { ulimit -n 2048; runuser -u nobody -- python3 -c "$flood_py" 500 unix "$T/fupind.sock"; }
read -r busy held <&"${FLOOD[0]}"
expect_eq "no-role flood: 8 held, the rest answered busy" "$busy $held" "492 8"
a=$(runuser -u daemon -- "$FUPINCTL" -s "$T/fupind.sock" --json status 2>&1 || true)
expect_eq "a village team is served during the flood" "$(code "$a")" ok
a=$(runuser -u nobody -- "$FUPINCTL" -s "$T/fupind.sock" --json ping 2>&1 || true)
expect_eq "one more no-role client: busy" "$(code "$a")" busy
echo go >&"${FLOOD[1]}"
read -r closed left <&"${FLOOD[0]}"
wait "$FLOOD_PID" 2>/dev/null || true
expect_eq "held no-role connections closed at auth_timeout" "$closed $left" "8 0"

# ---- 70 idle TCP connections before AUTH ---------------------------------------
coproc TFLOOD { python3 -c "$flood_py" 70 127.0.0.2 "$PORT"; }
read -r busy held <&"${TFLOOD[0]}"
expect_eq "TCP flood from one address: 8 held, 62 busy" "$busy $held" "62 8"
out=$(python3 - "$PORT" "$TV1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
f = s.makefile("rb")
for line in ("AUTH " + sys.argv[2], "STATUS"):
    s.sendall(line.encode() + b"\n")
    print(f.readline().decode().strip())
PY
)
expect_eq "a village token client is served during the TCP flood" "$(code "$(sed -n 2p <<<"$out")")" ok
echo go >&"${TFLOOD[1]}"
read -r closed left <&"${TFLOOD[0]}"
wait "$TFLOOD_PID" 2>/dev/null || true
expect_eq "idle TCP connections closed at auth_timeout" "$closed $left" "8 0"

# ---- one token holds at most max_per_user (32) connections ------------------------
out=$(python3 - "$PORT" "$TV1" <<'PY'
import socket, sys
held, answers = [], []
for i in range(34):
    s = socket.socket(); s.bind(("127.0.0.%d" % (20 + i // 7), 0))
    s.settimeout(20); s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(("AUTH %s\n" % sys.argv[2]).encode())
    answers.append(s.makefile("rb").readline())
    held.append(s)
ok = sum(b"\"ok\":true" in a for a in answers)
busy = sum(b"\"busy\"" in a for a in answers)
print(ok, busy)
PY
)
expect_eq "one token: 32 connections, then busy" "$out" "32 2"

# ---- 300 clients at once: each gets one line ------------------------------------
out=$(python3 - "$T/fupind.sock" <<'PY'
import socket, sys
socks = []
for i in range(300):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
for s in socks:
    try: s.sendall(b"PING\n")
    except OSError: pass
ok = busy = silent = 0
for s in socks:
    s.settimeout(10)
    try: a = s.makefile("rb").readline()
    except OSError: a = b""
    if b"\"ok\":true" in a: ok += 1
    elif b"\"busy\"" in a: busy += 1
    else: silent += 1
print(ok, busy, silent)
PY
)
read -r ok busy silent <<<"$out"
expect_eq "300 at once: none closed without a word" "$silent" 0
expect_eq "300 at once: root's 32 served, the rest busy" "$ok $busy" "32 268"

# ---- slow HTTP clients against few descriptors -------------------------------------
t_stop
slow_py='
import socket, sys, time
conns = []
for i in range(int(sys.argv[2])):
    s = socket.socket(); s.setblocking(False)
    try: s.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError: pass
    conns.append(s)
time.sleep(0.5)
for s in conns:
    try: s.send(b"GET /metrics HTTP/1.1\r\nX-a: 1\r\n")
    except OSError: pass
print("holding", flush=True)
sys.stdin.readline()
'
start_limited() {
	prlimit --nofile=256:256 -- "$FUPIND" -f -c "$T/fupind.conf" >>"$T/fupind.log" 2>&1 &
	T_PID=$!
	t_wait_ping || { t_fail "fupind did not answer PING"; exit 1; }
	wait_ready
}
: >"$T/fupind.log"
start_limited
coproc SLOW { python3 -c "$slow_py" "$HTTP" 300; }
read -r _ <&"${SLOW[0]}"
a=$(req ping)
expect_eq "PING answered while 300 slow HTTP clients wait" "$(code "$a")" ok
n=$(jv "$(req metrics)" 'j["gauges"]["http_clients"]')
expect_eq "the HTTP cap holds (32 connections)" "${n%.*}" 32
echo go >&"${SLOW[1]}"
wait "$SLOW_PID" 2>/dev/null || true
WAIT_FOR_S=10 wait_for bash -c "[ \"\$(curl -s -m 2 http://127.0.0.1:$HTTP/healthz)\" = ok ]" &&
	t_ok "HTTP serves again once the slow clients left" || t_fail "HTTP does not serve again"

# A cap above the descriptors: accept fails with EMFILE and backs off.
t_stop
conf "control: { socket = \"$T/fupind.sock\"; socket_mode = \"0666\";
           listen = \"127.0.0.1:$PORT\"; http = \"127.0.0.1:$HTTP\";
           http_max_clients = 10000; };"
: >"$T/fupind.log"
start_limited
coproc SLOW { python3 -c "$slow_py" "$HTTP" 400; }
read -r _ <&"${SLOW[0]}"
# Let accept fail for two seconds: a busy loop would log millions of lines.
python3 -c 'import time; time.sleep(2)'
lines=$(wc -l <"$T/fupind.log")
bytes=$(wc -c <"$T/fupind.log")
[ "$lines" -lt 200 ] && t_ok "EMFILE: the log stays small ($lines lines, $bytes bytes)" ||
	t_fail "EMFILE: $lines log lines"
expect_match "EMFILE: logged as a pause" "$(cat "$T/fupind.log")" "not accepting for 500 ms"
echo go >&"${SLOW[1]}"
wait "$SLOW_PID" 2>/dev/null || true
WAIT_FOR_S=10 wait_for bash -c "\"$FUPINCTL\" -s \"$T/fupind.sock\" ping >/dev/null 2>&1" &&
	t_ok "PING answered again once descriptors are free" || t_fail "no PING after EMFILE"

t_done
