# Sourced by every integration test. scripts/test has started PostgreSQL and
# exported PGHOST/PGPORT/PGUSER; ctest sets FUPIN_SRC and FUPIN_BUILD.
# Each test gets its own database, directory, socket and fupind.
set -euo pipefail

: "${FUPIN_SRC:?run through ctest (scripts/test)}"
: "${FUPIN_BUILD:?run through ctest (scripts/test)}"
FUPIND=$FUPIN_BUILD/bin/fupind
FUPINCTL=$FUPIN_BUILD/bin/fupinctl
T_FAILS=0

# t_setup NAME: fresh database fupin_NAME and directory $T with a config
# ($T/fupind.conf) on the manual clock; the schema is migrated.
t_setup() {
	T_NAME=$1
	T=$FUPIN_BUILD/t/$T_NAME
	rm -rf "$T"; mkdir -p "$T"
	T_DB=fupin_$T_NAME
	psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null
	psql -qAt -d postgres -c "CREATE DATABASE $T_DB" >/dev/null
	t_write_conf
	"$FUPIND" -c "$T/fupind.conf" --migrate >"$T/migrate.log" 2>&1 ||
		{ cat "$T/migrate.log"; t_fail "migration failed"; exit 1; }
	trap t_cleanup EXIT
}

# t_write_conf [EXTRA]: (re)write $T/fupind.conf; EXTRA is appended.
t_write_conf() {
	cat >"$T/fupind.conf" <<CONF
database: { conninfo = "dbname=$T_DB"; sql_dir = "$FUPIN_SRC/sql"; };
control:  { socket = "$T/fupind.sock"; };
clock:    { mode = "manual"; start = "2019-10-08T08:00:00+08:00"; };
workflows: { dir = "$FUPIN_SRC/workflows"; campaign = "2019"; };
log:      { level = "debug"; };
${1:-}
CONF
}

# free_port: a loopback TCP port nobody listens on now (the kernel's pick).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# free_port_pair: a port N with N+1 free too, for a daemon that takes both.
free_port_pair() {
	python3 -c '
import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); n = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", n + 1))
    except OSError:
        continue
    print(n); break'
}

t_psql() { psql -qAtX -v ON_ERROR_STOP=1 -d "$T_DB" "$@"; }

# t_start [ARGS]: start fupind in the foreground (log in $T/fupind.log) and
# wait until it answers PING.
t_start() {
	"$FUPIND" -f -c "$T/fupind.conf" "$@" >>"$T/fupind.log" 2>&1 &
	T_PID=$!
	t_wait_ping || { cat "$T/fupind.log"; t_fail "fupind did not answer PING"; exit 1; }
}

t_wait_ping() {
	local i
	for i in $(seq 1 200); do
		if [ -S "$T/fupind.sock" ] && "$FUPINCTL" -s "$T/fupind.sock" --json ping >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$T_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

t_stop() {
	[ -n "${T_PID:-}" ] || return 0
	kill -TERM "$T_PID" 2>/dev/null || true
	wait "$T_PID" 2>/dev/null || true
	T_PID=
}

# t_cleanup [STATUS]: the EXIT trap; a test's own trap passes the status
# it saved (under set -e, "(exit $rc)" in a trap would end the trap there,
# before the daemon is stopped).
t_cleanup() {
	local rc=${1:-$?}
	t_stop
	if [ $T_FAILS -gt 0 ] || [ $rc -ne 0 ]; then
		echo "--- $T/fupind.log (tail)"; tail -40 "$T/fupind.log" 2>/dev/null || true
		exit 1
	fi
}

# ctl ARGS: fupinctl --json against this test's daemon.
ctl() { "$FUPINCTL" -s "$T/fupind.sock" --json "$@"; }

t_fail() { echo "FAIL: $*" >&2; T_FAILS=$((T_FAILS + 1)); }
t_ok() { echo "ok: $*"; }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1: got '$2', want '$3'"; fi
}
# expect_match WHAT GOT REGEX
expect_match() {
	if [[ $2 =~ $3 ]]; then t_ok "$1"; else t_fail "$1: '$2' does not match /$3/"; fi
}
# json FIELD-EXPR < JSON: print a field with python3 (e.g. json '["ok"]').
json() { python3 -c 'import json,sys; v=eval("json.load(sys.stdin)"+sys.argv[1]); print(json.dumps(v) if isinstance(v,(dict,list)) else ("true" if v is True else "false" if v is False else v))' "$1"; }

# python3, resolved once: a version manager's shim (pyenv) costs ~0.1 s a call.
T_PYTHON=$(command python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || T_PYTHON=
[ -x "$T_PYTHON" ] || T_PYTHON=$(command -v python3)
python3() { "$T_PYTHON" "$@"; }

# req ARGS: the daemon's one-line answer (fupinctl --json), ok or not.
req() { "$FUPINCTL" -s "$T/fupind.sock" --json "$@" 2>&1 || true; }
# jv JSON EXPR: Python EXPR over the answer j, printed (lists and objects as JSON); <Error> when it does not apply.
jv() {
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    j = json.loads(sys.argv[1])
    v = eval(sys.argv[2], {"j": j})
except Exception as e:
    print("<%s>" % type(e).__name__)
    sys.exit(0)
if isinstance(v, (dict, list)):
    print(json.dumps(v, ensure_ascii=False, sort_keys=True))
elif v is None:
    print("null")
elif isinstance(v, bool):
    print("true" if v else "false")
else:
    print(v)
PY
}
# code JSON: "ok", or the answer's error code.
code() { jv "$1" '"ok" if j["ok"] else j["error"]'; }
# expect_code WHAT CODE ARGS: the answer to ARGS (kept in $A) is ok or has CODE.
expect_code() {
	local what=$1 want=$2 got
	shift 2
	A=$(req "$@")
	got=$(code "$A")
	expect_eq "$what" "$got" "$want"
	[ "$got" = "$want" ] || echo "    answer: $A" >&2
}
# step WHAT FROM TO ARGS: an ADVANCE ARGS that succeeds from FROM to TO.
step() {
	local what=$1 from=$2 to=$3
	shift 3
	expect_code "$what" ok advance "$@"
	expect_eq "$what: from -> to" "$(jv "$A" 'str(j.get("from")) + " -> " + str(j.get("to"))')" "$from -> $to"
}
# adv ARGS: an ADVANCE that must succeed (no python: cheap in loops).
adv() {
	local a
	a=$(req advance "$@")
	[[ $a == *'"ok":true'* ]] || t_fail "$(req now): ADVANCE $*: $a"
}
# clock_set TIME: CLOCK SET that must succeed, else the test stops (no python: cheap in loops).
clock_set() {
	local a
	a=$(req clock set "$1")
	[[ $a == *'"ok":true'* ]] || { t_fail "CLOCK SET $1: $a"; exit 1; }
}
# wait_ready: fupind answers PING before it has stored the campaign; wait (bounded) until a database verb is served.
wait_ready() {
	local i
	for i in $(seq 1 200); do
		[[ $(req calendar) == *'"ok":true'* ]] && return 0
		sleep 0.05
	done
	t_fail "fupind never became ready"
	exit 1
}
# tasks_done VILLAGE...: the village tasks, open from the start, done
# (team set up, summary sent), for a test about households only.
tasks_done() {
	local v
	for v in "$@"; do
		adv "$v" village_team set_up
		adv "$v" village_summary send
	done
}
# wait_for CMD...: true as soon as CMD succeeds, false after $WAIT_FOR_S (10) seconds.
# fault_register VILLAGES HOUSEHOLDS: villages V1..V<n> and poor households
# H1..H<m> spread over them (the fault tests' register).
fault_register() {
	t_psql -v v="$1" -v h="$2" <<'SQL'
INSERT INTO fupin.village SELECT 'V' || g, '村' || g, '勐戛镇'
FROM generate_series(1, :v) g;
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT 'H' || g, 'V' || (g % :v + 1), '户主' || g, 3, 'poor', 2014, 4200,
    true, true, true, true, true
FROM generate_series(1, :h) g;
SQL
}
# load_agrees: the answers advload.py recorded in $T/load.jsonl against the
# audit trail (answered ok => stored; refused or never sent => not), and,
# unless given "answers-only", every exit procedure in the state of its
# last transition.
load_agrees() {
	local out
	t_psql -c "SELECT note || '|' || household_id || '|' || event || '|' || to_state FROM fupin.transition WHERE note LIKE 'load %'" >"$T/stored.txt"
	if out=$(python3 "$FUPIN_SRC/tests/integration/advload.py" check "$T/load.jsonl" <"$T/stored.txt"); then
		t_ok "every answer agrees with the database: $out"
	else
		t_fail "answers and database disagree:"; echo "$out" >&2
	fi
	[ "${1:-}" = answers-only ] && return 0
	expect_eq "workflow_instance is the last transition of each household" \
		"$(t_psql -c "SELECT count(*) FROM fupin.workflow_instance w WHERE w.workflow = 'exit' AND w.state IS DISTINCT FROM (SELECT t.to_state FROM fupin.transition t WHERE t.instance_id = w.instance_id ORDER BY t.transition_id DESC LIMIT 1)")" 0
}
# lock_instance HOUSEHOLD: a psql session that holds the household's exit
# procedure locked (FOR UPDATE) until unlock_instance, fed through fd 3, so
# that a test decides when a statement waiting for it may go on.
lock_instance() {
	rm -f "$T/lock.fifo"; mkfifo "$T/lock.fifo"
	psql -qAtX -v ON_ERROR_STOP=1 -d "$T_DB" <"$T/lock.fifo" >"$T/lock.out" 2>&1 &
	LOCK_PID=$!
	exec 3>"$T/lock.fifo"
	echo "BEGIN; SELECT 'locked' FROM fupin.workflow_instance WHERE household_id = '$1' FOR UPDATE;" >&3
	wait_for grep -q locked "$T/lock.out" || { t_fail "could not lock $1"; exit 1; }
}
unlock_instance() {
	echo "COMMIT;" >&3
	exec 3>&-
	wait "$LOCK_PID" || true
}
wait_for() {
	local i
	for i in $(seq 1 $((${WAIT_FOR_S:-10} * 20))); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
# reload: SIGHUP fupind and wait (bounded) until it logs the reload.
reload() {
	local before
	before=$(grep -c 'configuration reloaded' "$T/fupind.log" || true)
	kill -HUP "$T_PID"
	for _ in $(seq 1 100); do
		[ "$(grep -c 'configuration reloaded' "$T/fupind.log" || true)" -gt "$before" ] && return 0
		sleep 0.05
	done
	t_fail "SIGHUP: configuration not reloaded"
}
# person_id BASE17: append the GB 11643-1999 check character.
person_id() {
	python3 -c '
import sys
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
b = sys.argv[1]
print(b + "10X98765432"[sum(int(c) * k for c, k in zip(b, w)) % 11])' "$1"
}

t_done() {
	if [ $T_FAILS -gt 0 ]; then echo "$T_FAILS failure(s)"; exit 1; fi
	echo "all passed"
}
