#!/usr/bin/env bash
# Hostile clients of the status socket, each while another client keeps
# asking PING (and must be answered promptly every time): a request over
# 4096 bytes, invalid UTF-8, a NUL byte, too many words, a flood of
# connections past control.max_clients (refused with "busy"), a client that
# sends and never reads (cut off at control.max_output), an idle client
# (control.idle_timeout), clients that vanish mid-request, a client that
# shuts its writing side after its request (still answered). The daemon
# survives all of it and answers normally afterwards.
. "$(dirname "$0")/lib.sh"

t_setup control_hostile
t_write_conf
python3 - "$T/fupind.conf" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace('control:  { socket = "', 'control:  { max_clients = 8; max_output = 4096; idle_timeout = "2s"; socket = "')
open(p, "w").write(s)
PY
t_start
SOCK=$T/fupind.sock
PINGER=
trap 'rc=$?; [ -n "$PINGER" ] && kill "$PINGER" 2>/dev/null; t_cleanup "$rc"' EXIT

# A PING every 50 ms in the background; each line: seconds or FAIL.
pinger_start() {
	python3 - "$SOCK" "$T/pings" <<'PY' &
import socket, sys, time, os
out = open(sys.argv[2], "w")
stop = sys.argv[2] + ".stop"
while not os.path.exists(stop):
    t = time.time()
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(sys.argv[1])
        s.sendall(b"PING\n")
        a = s.makefile("rb").readline()
        s.close()
        ok = a.startswith(b'{"ok":true')
        # busy is a fair answer while the flood holds every slot
        ok = ok or b'"busy"' in a
        out.write(("%.3f\n" % (time.time() - t)) if ok else "FAIL %r\n" % a)
    except Exception as e:
        out.write("FAIL %s\n" % e)
    out.flush()
    time.sleep(0.05)
PY
	PINGER=$!
}
pinger_check() {
	touch "$T/pings.stop"
	wait "$PINGER"
	PINGER=
	rm -f "$T/pings.stop"
	local n slow
	n=$(wc -l <"$T/pings")
	if grep -q FAIL "$T/pings"; then
		t_fail "$1: a concurrent PING failed: $(grep FAIL "$T/pings" | head -1)"
	elif [ "$n" -lt 2 ]; then
		t_fail "$1: the concurrent PING ran only $n times"
	else
		slow=$(sort -n "$T/pings" | tail -1)
		python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "$slow" &&
			t_ok "$1: $n concurrent PINGs answered (slowest ${slow}s)" ||
			t_fail "$1: a concurrent PING took ${slow}s"
	fi
}

# raw PYTHON-BYTES: send them on a fresh connection; print every answer
# line, then "closed" when the daemon closed the connection.
raw() {
	python3 - "$SOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(eval(sys.argv[2]))
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            print(data.decode("utf-8", "replace").strip())
            print("closed")
            break
        data += b
except socket.timeout:
    print(data.decode("utf-8", "replace").strip())
    print("open")
PY
}
error_of() { head -1 <<<"$1" | python3 -c 'import json,sys; j=json.loads(sys.stdin.readline()); print(j.get("error","ok"))'; }

pinger_start
out=$(raw 'b"PING " + b"x" * 5000 + b"\n"')
expect_eq "a 5000-byte request: too_long" "$(error_of "$out")" too_long
expect_eq "a 5000-byte request: disconnected" "$(tail -1 <<<"$out")" closed
out=$(raw 'b"x" * 5000')
expect_eq "5000 bytes without a newline: too_long" "$(error_of "$out")" too_long
out=$(raw 'b"PING " + b"x" * 4090 + b"\n"')
expect_eq "a request of 4096 bytes is still read (unknown words, not too_long)" "$(error_of "$out")" usage
out=$(raw 'b"STATUS \xff\xfe\n"')
expect_eq "invalid UTF-8: encoding" "$(error_of "$out")" encoding
expect_eq "invalid UTF-8: disconnected" "$(tail -1 <<<"$out")" closed
out=$(raw 'b"STATUS \xe5\x8b\n"')
expect_eq "a truncated UTF-8 sequence: encoding" "$(error_of "$out")" encoding
out=$(raw 'b"PI\x00NG\n"')
expect_eq "a NUL byte: encoding" "$(error_of "$out")" encoding
out=$(raw 'b"STATUS " + b"a " * 40 + b"\n"')
expect_eq "too many words: usage" "$(error_of "$out")" usage
out=$(raw 'b"\n"')
expect_eq "an empty line: usage" "$(error_of "$out")" usage
out=$(raw 'b"PING\r\nNOW\r\n"')
expect_eq "CRLF lines are fine" "$(head -1 <<<"$out")" '{"ok":true,"role":"admin","database":"up","schema":true,"campaign":"stored","healthy":true,"background":"leader"}'
pinger_check "malformed requests"

# ---- a flood of connections ----------------------------------------------------
# A client connected before the flood keeps being served during it.
flood=$(python3 - "$SOCK" <<'PY'
import socket, sys, time
held, refused, other = [], 0, 0
first = socket.socket(socket.AF_UNIX)
first.settimeout(5)
first.connect(sys.argv[1])
ff = first.makefile("rb")
for i in range(40):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(0.5)
for s in held:
    s.setblocking(False)
    try:
        d = s.recv(4096)
    except BlockingIOError:
        d = None
    if d and b'"error":"busy"' in d:
        refused += 1
    elif d is None:
        other += 1
served = 0
for i in range(5):
    first.sendall(b"PING\n")
    if ff.readline().startswith(b'{"ok":true'):
        served += 1
print(refused, other, served)
PY
)
read -r refused kept served <<<"$flood"
expect_eq "a client connected before the flood is served during it" "$served" 5
[ "$refused" -ge 30 ] && t_ok "the excess connections are refused with busy ($refused)" ||
	t_fail "only $refused of 40 refused with busy"
[ "$kept" -le 7 ] && t_ok "at most max_clients connections kept ($kept)" || t_fail "$kept kept"
expect_eq "after the flood, PING" "$(ctl ping | json '["ok"]')" true

# ---- a client that asks and never reads ------------------------------------------------
pinger_start
slow=$(python3 - "$SOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(sys.argv[1])
s.settimeout(10)
sent = 0
try:
    for i in range(20000):
        s.sendall(b"HELP\n")
        sent += 1
except OSError:
    pass
time.sleep(1)
# Drain what reached us: the daemon must have closed the connection.
got = 0
try:
    while True:
        b = s.recv(1 << 20)
        if not b:
            print("closed", sent, got)
            break
        got += len(b)
except OSError as e:
    print("closed", sent, got)
PY
)
pinger_check "a client that never reads"
expect_match "a client that never reads is cut off" "$slow" '^closed '
got=$(cut -d' ' -f3 <<<"$slow")
[ "$got" -lt 4000000 ] && t_ok "it got only a bounded part of its answers ($got bytes)" ||
	t_fail "it got $got bytes"
grep -q "does not read its answers" "$T/fupind.log" && t_ok "the cut-off is logged" || t_fail "no log line"

# ---- an idle client -----------------------------------------------------------------------
pinger_start
idle=$(python3 - "$SOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(8)
t = time.time()
try:
    b = s.recv(100)
except socket.timeout:
    b = None
print("closed" if b == b"" else "open", "%.1f" % (time.time() - t))
PY
)
pinger_check "an idle client"
expect_match "an idle client is disconnected after idle_timeout" "$idle" '^closed (1\.[5-9]|2\.[0-9]|3\.[0-9])'
grep -q "idle too long" "$T/fupind.log" && t_ok "the idle cut-off is logged" || t_fail "no idle log line"

# ---- clients that vanish mid-request --------------------------------------------------------
pinger_start
python3 - "$SOCK" <<'PY'
import socket, sys
for i in range(60):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(sys.argv[1])
        s.sendall([b"STATUS\n", b"CALENDAR\nOVERDUE\n", b"HOUSEHOLD H1\n", b"METRICS\n", b"PI"][i % 5])
    except OSError:
        pass  # refused as busy while earlier ones are still being torn down
    s.close()
PY
sleep 0.5
pinger_check "clients that vanish mid-request"

# ---- a client that has sent all it will send --------------------------------------------------
# Its input ends while the database works on its request: it is still
# answered, and then let go.
half=$(python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(5)
s.sendall(b"CALENDAR\n")
s.shutdown(socket.SHUT_WR)
f = s.makefile("rb")
print(f.readline()[:10].decode(), "then", "closed" if f.read() == b"" else "open")
PY
)
expect_eq "a client that shuts its writing side is answered, then closed" "$half" '{"ok":true then closed'

m=$(ctl metrics)
for r in too_long encoding busy slow_reader idle; do
	expect_match "METRICS counts requests_rejected{$r}" \
		"$(json "[\"counters\"][\"requests_rejected\"].get(\"$r\", 0)" <<<"$m")" '^[1-9]'
done
kill -0 "$T_PID" && t_ok "fupind still runs" || t_fail "fupind died"
expect_eq "and answers" "$(ctl ping | json '["ok"]')" true
expect_eq "all clients gone" "$(json '["gauges"]["clients"]' <<<"$m")" 1.0
t_done
