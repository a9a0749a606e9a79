#!/usr/bin/env bash
# Health that tells the truth (issue 13, point 3):
#  - a read-only database (ALTER DATABASE ... SET
#    default_transaction_read_only = on, sessions reconnected): PING says
#    database read-only and not healthy, /healthz 503 naming it, METRICS
#    too; CLOCK ADVANCE and STATUS answer at once instead of hanging;
#  - once it is writable again the daemon recovers by itself (no SIGHUP,
#    no restart): healthy, the campaign stored, CLOCK sweeps;
#  - a request stuck on a lock (held by a psql session fed from a FIFO
#    until the test releases it, never a sleep) is answered "timeout" at
#    control.request_timeout; fupinctl -T gives up on a daemon that never
#    answers (a socket silent until the test kills it).
. "$(dirname "$0")/lib.sh"

t_setup daemon_readonly

HTTP=$(free_port)
t_write_conf "
control: { socket = \"$T/fupind.sock\"; http = \"127.0.0.1:$HTTP\"; request_timeout = \"2s\"; };"
python3 - "$T/fupind.conf" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
first = next(i for i, l in enumerate(lines) if l.startswith("control:"))
del lines[first]
# Reconnect quickly: the test waits (bounded) for recovery.
lines = [l.replace('sql_dir =', 'reconnect_max = "1s"; sql_dir =') for l in lines]
open(p, "w").write("\n".join(lines))
PY
t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
VALUES ('H001', 'V01', '岩温', 4, 'poor', 2014, 4200, true, true, true, true, true);
SQL

t_start
wait_ready
expect_eq "PING: healthy at first" "$(jv "$(req ping)" 'j["healthy"]')" true

# ---- read-only ------------------------------------------------------------------
psql -qAtX -d postgres -c "ALTER DATABASE $T_DB SET default_transaction_read_only = on" >/dev/null
psql -qAtX -d postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$T_DB' AND pid <> pg_backend_pid()" >/dev/null
ping_is() { [ "$(jv "$(req ping)" "$1")" = "$2" ]; }
wait_for ping_is 'j["database"]' read-only && t_ok "PING: database read-only" ||
	t_fail "PING after read-only: $(req ping)"
a=$(req ping)
expect_eq "PING: not healthy" "$(jv "$a" 'j["healthy"]')" false
expect_match "PING: says why" "$(jv "$a" 'j["problem"]')" "read-only"
expect_eq "/healthz: 503" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/healthz")" 503
expect_match "/healthz: says read-only" "$(curl -s "http://127.0.0.1:$HTTP/healthz")" "read-only"
expect_eq "METRICS: database read-only" "$(jv "$(req metrics)" 'j["database"]')" read-only
s=$(date +%s)
a=$("$FUPINCTL" -T 20 -s "$T/fupind.sock" --json clock advance 1d 2>&1 || true)
expect_eq "CLOCK ADVANCE answered at once, not swept" "$(jv "$a" 'j.get("swept")')" false
[ $(($(date +%s) - s)) -le 3 ] && t_ok "CLOCK ADVANCE within 3 s" || t_fail "CLOCK ADVANCE took $(($(date +%s) - s)) s"
expect_code "STATUS: unavailable" unavailable status
grep -q "is read-only" "$T/fupind.log" && t_ok "the log says read-only" || t_fail "no read-only warning logged"

# ---- writable again: recovers by itself ------------------------------------------
psql -qAtX -d postgres -c "ALTER DATABASE $T_DB RESET default_transaction_read_only" >/dev/null
WAIT_FOR_S=15 wait_for ping_is 'j["healthy"]' true && t_ok "healthy again without SIGHUP" ||
	t_fail "not healthy after the database became writable: $(req ping)"
expect_eq "PING: campaign stored" "$(jv "$(req ping)" 'j["campaign"]')" stored
expect_eq "/healthz: 200 again" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/healthz")" 200
expect_eq "CLOCK ADVANCE sweeps again" "$(jv "$(req clock advance 1h)" 'j.get("swept")')" true
expect_code "STATUS served again" ok status

# ---- request deadline -----------------------------------------------------------
# Hold the household's row until the test lets go (a psql session fed
# from a FIFO, not a sleep): ADVANCE waits on the lock past
# request_timeout however slow the machine.
rm -f "$T/lock.fifo"; mkfifo "$T/lock.fifo"
psql -qAtX -v ON_ERROR_STOP=1 -d "$T_DB" <"$T/lock.fifo" >"$T/lock.out" 2>&1 &
locker=$!
exec 3>"$T/lock.fifo"
echo "BEGIN; SELECT 'locked' FROM fupin.household WHERE household_id = 'H001' FOR UPDATE;" >&3
wait_for grep -q locked "$T/lock.out" || t_fail "the lock holder did not lock H001: $(cat "$T/lock.out")"
s=$(date +%s.%N)
a=$(req advance H001 exit propose)
e=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$s" "$(date +%s.%N)")
expect_eq "a request stuck on a lock: timeout" "$(code "$a")" timeout
python3 -c "import sys; sys.exit(not (1.5 <= float(sys.argv[1]) <= 4.5))" "$e" &&
	t_ok "answered at request_timeout (${e} s)" || t_fail "timeout answer after $e s"
expect_eq "the lock was held throughout" "$(psql -qAtX -d postgres -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.datname = '$T_DB' AND l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND a.state = 'idle in transaction'")" 1
echo "COMMIT;" >&3
exec 3>&-
wait $locker || t_fail "the lock holder failed: $(cat "$T/lock.out")"
expect_code "served normally afterwards" ok ping

# ---- fupinctl -T -------------------------------------------------------------------
# The interpreter itself (not lib.sh's python3 function), so that $! is
# the process to kill.
"$T_PYTHON" - "$T/silent.sock" <<'PY' &
import signal, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(5)
c, _ = s.accept()
signal.pause()  # silent until the test kills it
PY
silent=$!
wait_for test -S "$T/silent.sock" || t_fail "no silent socket"
s=$(date +%s)
rc=0; out=$("$FUPINCTL" -T 1 -s "$T/silent.sock" ping 2>&1) || rc=$?
expect_eq "fupinctl -T 1 against a silent daemon: exit 2" "$rc" 2
expect_match "fupinctl -T says so" "$out" "no answer"
[ $(($(date +%s) - s)) -le 3 ] && t_ok "fupinctl -T 1 gave up in time" || t_fail "fupinctl -T 1 took $(($(date +%s) - s)) s"
kill $silent 2>/dev/null || true
wait $silent 2>/dev/null || true

t_done
