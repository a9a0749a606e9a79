#!/usr/bin/env bash
# fupind as an operator meets it: -t, -V, -h; the verbs that need only the
# daemon (PING, NOW, HELP, QUIT, CLOCK, CONFIG) and fupinctl's exit
# statuses; SIGHUP with a good, a broken and a restart-only change; SIGTERM;
# and PostgreSQL stopped and started under a running daemon (a private
# cluster, so that no other test loses its database).
. "$(dirname "$0")/lib.sh"

# run CMD...: its stdout in $OUT, stderr in $ERR, exit status in $RC.
run() {
	RC=0
	OUT=$("$@" 2>"$T/stderr") || RC=$?
	ERR=$(cat "$T/stderr")
}

# setting NAME: the running daemon's value of one setting (CONFIG).
setting() {
	ctl config | python3 -c '
import json, sys
for s in json.load(sys.stdin)["settings"]:
    if s["name"] == sys.argv[1]:
        print(s["value"])' "$1"
}

db_state() { ctl ping 2>/dev/null | json '["database"]'; }
db_is() { [ "$(db_state)" = "$1" ]; }
log_has() { grep -qaF -- "$1" "$T/fupind.log"; }
setting_is() { [ "$(setting "$1")" = "$2" ]; }

# write_conf LEVEL MAX_CLIENTS SOCKET: this test's configuration, one
# setting per line so that a broken copy names a line we know.
write_conf() {
	cat >"$T/fupind.conf" <<CONF
database: { conninfo = "dbname=$T_DB"; sql_dir = "$FUPIN_SRC/sql";
            reconnect_max = "1s"; };
control:  { socket = "$3";
            max_clients = $2; };
clock:    { mode = "manual"; start = "2019-10-08T08:00:00+08:00"; };
workflows: { dir = "$FUPIN_SRC/workflows"; campaign = "2019"; };
log:      { level = "$1"; };
CONF
}

t_setup daemon
SOCK=$T/fupind.sock

# ---- fupind -t, -V, -h ---------------------------------------------------

# The shipped example, pointed at this source tree.
sed -e "s|dir = \"/etc/fupin/workflows\"|dir = \"$FUPIN_SRC/workflows\"|" \
	-e "s|sql_dir = \"/usr/share/fupin/sql\"|sql_dir = \"$FUPIN_SRC/sql\"|" \
	"$FUPIN_SRC/etc/fupind.conf" >"$T/example.conf"
grep -qF "dir = \"$FUPIN_SRC/workflows\"" "$T/example.conf" ||
	t_fail "cannot point the example at $FUPIN_SRC/workflows"
run "$FUPIND" -t -c "$T/example.conf"
expect_eq "-t on etc/fupind.conf exits 0" "$RC" 0
expect_eq "-t says configuration OK" "$OUT" "configuration OK"
expect_eq "-t prints nothing on stderr" "$ERR" ""

# A value out of range, on a line we look up.
sed 's/^\([[:space:]]*\)max_clients = 1024;/\1max_clients = 0;/' "$T/example.conf" >"$T/broken.conf"
line=$(grep -n '^[[:space:]]*max_clients = 0;' "$T/broken.conf" | cut -d: -f1)
run "$FUPIND" -t -c "$T/broken.conf"
expect_eq "-t on a broken file exits 1" "$RC" 1
expect_match "-t names file:line and key" "$ERR" \
	"^$T/broken.conf:$line: control.max_clients: 0 is out of range"
expect_eq "-t on a broken file does not say OK" "$OUT" ""

# A syntax error: libconfig's line.
{ cat "$T/example.conf"; echo "extra: { x = ; };"; } >"$T/syntax.conf"
line=$(wc -l <"$T/syntax.conf")
run "$FUPIND" -t -c "$T/syntax.conf"
expect_eq "-t on a syntax error exits 1" "$RC" 1
expect_match "-t names the line of the syntax error" "$ERR" "^$T/syntax.conf:$line: "

# A campaign that does not exist is an error of -t too.
sed 's/campaign = "2019";/campaign = "1999";/' "$T/example.conf" >"$T/nocamp.conf"
run "$FUPIND" -t -c "$T/nocamp.conf"
expect_eq "-t with a missing campaign exits 1" "$RC" 1

run "$FUPIND" -t -c "$T/no-such-file.conf"
expect_eq "-t on a missing file exits 1" "$RC" 1
expect_match "-t on a missing file names it" "$ERR" "no-such-file.conf"

run "$FUPIND" -V
expect_eq "-V exits 0" "$RC" 0
expect_match "-V prints the version" "$OUT" '^fupind [0-9]+\.[0-9]+\.[0-9]+$'
run "$FUPIND" -h
expect_eq "-h exits 0" "$RC" 0
for opt in '-c FILE' '-f' '-t' '-T' '--migrate' '-V' '-h'; do
	[[ $OUT == *"$opt"* ]] && t_ok "-h mentions $opt" || t_fail "-h lacks $opt: $OUT"
done
run "$FUPIND" --no-such-option
expect_eq "an unknown option exits 2" "$RC" 2
expect_match "an unknown option prints usage" "$ERR" "usage: fupind"

# ---- the built-in verbs ---------------------------------------------------

write_conf debug 64 "$SOCK"
t_start
wait_for db_is up || t_fail "database never up: $(ctl ping)"

run ctl ping
expect_eq "PING exits 0" "$RC" 0
expect_eq "PING ok" "$(json '["ok"]' <<<"$OUT")" true
expect_eq "PING database up" "$(json '["database"]' <<<"$OUT")" up
run ctl now
expect_eq "NOW is the manual clock's start" "$(json '["now"]' <<<"$OUT")" \
	"2019-10-08T08:00:00+08:00"
expect_eq "NOW names the clock" "$(json '["clock"]' <<<"$OUT")" manual
run ctl NoW
expect_eq "verbs are case-insensitive" "$RC" 0

run ctl help
verbs=$(python3 -c 'import json,sys; print(" ".join(v["verb"] for v in json.load(sys.stdin)["verbs"]))' <<<"$OUT")
for v in PING NOW HELP QUIT CLOCK CONFIG METRICS; do
	expect_match "HELP lists $v" " $verbs " " $v "
done
run ctl help clock
expect_match "HELP CLOCK gives its usage" "$(json '["usage"]' <<<"$OUT")" "CLOCK ADVANCE"

# QUIT answers and closes: what follows it on the line is never read.
quit=$(python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"QUIT\nPING\n")
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
print(data.decode().count("\n"), data.decode().strip())
PY
)
expect_eq "QUIT answers once and closes" "$quit" '1 {"ok":true}'

run ctl frobnicate
expect_eq "an unknown verb exits 1" "$RC" 1
expect_eq "an unknown verb is error unknown" "$(json '["error"]' <<<"$OUT")" unknown
expect_eq "an unknown verb is not ok" "$(json '["ok"]' <<<"$OUT")" false

run "$FUPINCTL" -s "$T/nobody-here.sock" ping
expect_eq "fupinctl with no daemon exits 2" "$RC" 2
expect_match "fupinctl with no daemon says why" "$ERR" "cannot reach fupind"
run "$FUPINCTL"
expect_eq "fupinctl with no verb exits 2" "$RC" 2
run env FUPIN_SOCKET="$SOCK" "$FUPINCTL" --json ping
expect_eq "FUPIN_SOCKET names the socket" "$RC" 0

# ---- the manual clock -------------------------------------------------------

seconds() { python3 -c 'import datetime,sys; print(int(datetime.datetime.fromisoformat(sys.argv[1]).timestamp()))' "$1"; }
before=$(ctl now | json '["now"]')
run ctl clock advance 2d
expect_eq "CLOCK ADVANCE 2d exits 0" "$RC" 0
after=$(ctl now | json '["now"]')
expect_eq "CLOCK ADVANCE 2d moves NOW by exactly two days" \
	"$(( $(seconds "$after") - $(seconds "$before") ))" 172800
expect_eq "CLOCK ADVANCE answers the new time" "$(json '["now"]' <<<"$OUT")" "$after"
expect_eq "two days after the start" "$after" "2019-10-10T08:00:00+08:00"
run ctl clock set 2019-10-09T08:00:00+08:00
expect_eq "CLOCK SET backwards exits 1" "$RC" 1
expect_eq "CLOCK SET backwards is error clock" "$(json '["error"]' <<<"$OUT")" clock
expect_eq "the clock did not move back" "$(ctl now | json '["now"]')" "$after"
run ctl clock set 2019-10-21T00:00:00+08:00
expect_eq "CLOCK SET forwards" "$(json '["now"]' <<<"$OUT")" "2019-10-21T00:00:00+08:00"
run ctl clock advance soon
expect_eq "CLOCK ADVANCE with no duration is a usage error" \
	"$(json '["error"]' <<<"$OUT")" usage

# ---- CONFIG -------------------------------------------------------------------

run ctl config
expect_eq "CONFIG exits 0" "$RC" 0
expect_eq "CONFIG names the file" "$(json '["file"]' <<<"$OUT")" "$T/fupind.conf"
ntable=$("$FUPIND" -T | grep -c $'^\t[a-z_]* = ')
expect_eq "CONFIG lists every setting of the table" \
	"$(json '["settings"]' <<<"$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" \
	"$ntable"
expect_eq "CONFIG shows control.max_clients" "$(setting control.max_clients)" 64
expect_eq "CONFIG shows log.level" "$(setting log.level)" debug
expect_eq "CONFIG shows a default" "$(setting notify.concurrency)" 4

# ---- SIGHUP -----------------------------------------------------------------

# A good change: reloadable settings take effect.
write_conf info 7 "$SOCK"
kill -HUP "$T_PID"
wait_for setting_is control.max_clients 7 ||
	t_fail "max_clients after reload: $(setting control.max_clients)"
expect_eq "reload: log.level changed" "$(setting log.level)" info
wait_for log_has "configuration reloaded from $T/fupind.conf" &&
	t_ok "reload is logged" || t_fail "no reload line in the log"
# The old configuration is freed by the reload: nothing may still point
# into it (log.ident once did, and every later line lost its name).
log_has " fupind: configuration reloaded from $T/fupind.conf" &&
	t_ok "log lines keep the ident after a reload" ||
	t_fail "log line after reload: $(grep -a 'configuration reloaded' "$T/fupind.log" | cat -v)"

# A broken file: the log names file:line; everything stays as it was.
write_conf info 9 "$SOCK"
sed -i 's/max_clients = 9; };/max_clients = 9; broken = ; };/' "$T/fupind.conf"
line=$(grep -n 'max_clients = 9' "$T/fupind.conf" | cut -d: -f1)
kill -HUP "$T_PID"
wait_for log_has "reload failed, keeping the running configuration: $T/fupind.conf:$line:" &&
	t_ok "a broken reload names file:line" ||
	t_fail "no file:line for the broken reload: $(grep -a 'reload failed' "$T/fupind.log")"
expect_eq "after a broken reload, the old max_clients" "$(setting control.max_clients)" 7
expect_eq "after a broken reload, the old log.level" "$(setting log.level)" info
run ctl ping
expect_eq "after a broken reload, the daemon answers" "$RC" 0

# A value out of range is refused the same way, with its key.
write_conf info 0 "$SOCK"
kill -HUP "$T_PID"
wait_for log_has "control.max_clients: 0 is out of range" &&
	t_ok "a bad value on reload is logged with its key" || t_fail "no error for max_clients 0"
expect_eq "after a bad value, the old max_clients" "$(setting control.max_clients)" 7

# A restart-only change: a warning, and the old value stays in force.
write_conf info 8 "$T/other.sock"
kill -HUP "$T_PID"
wait_for setting_is control.max_clients 8 || t_fail "good part of the reload not applied"
wait_for log_has "control.socket: changed, but takes effect only after a restart" &&
	t_ok "a restart-only change is warned about" || t_fail "no warning for control.socket"
expect_eq "control.socket keeps its old value" "$(setting control.socket)" "$SOCK"
[ ! -e "$T/other.sock" ] && t_ok "no socket at the new path" || t_fail "$T/other.sock exists"
run ctl ping
expect_eq "still answering on the old socket" "$RC" 0

# ---- SIGTERM ------------------------------------------------------------------

kill -TERM "$T_PID"
rc=0; wait "$T_PID" || rc=$?
T_PID=
expect_eq "SIGTERM: exits 0" "$rc" 0
[ ! -e "$SOCK" ] && t_ok "SIGTERM removes the socket" || t_fail "$SOCK left behind"
log_has "stopped" && t_ok "the stop is logged" || t_fail "no 'stopped' in the log"

# ---- PostgreSQL goes away and comes back -------------------------------------

# A private cluster: stopping the shared one would fail every other test.
OUTER_PG=$(declare -p PGHOST PGPORT PGUSER PGDATABASE FUPIN_PGDIR 2>/dev/null || true)
. "$FUPIN_SRC/scripts/lib.sh"
PRIV_PG=$FUPIN_BUILD/t/daemon-pg
pg_stop "$PRIV_PG"; rm -rf "$PRIV_PG"
# shellcheck disable=SC2064
trap 'rc=$?; pg_stop "$PRIV_PG"; t_cleanup "$rc"' EXIT
PG_EXTRA_OPTS= pg_start "$PRIV_PG"
t_setup daemon_pg
trap 'rc=$?; pg_stop "$PRIV_PG"; t_cleanup "$rc"' EXIT
SOCK=$T/fupind.sock
write_conf debug 64 "$SOCK"
t_start
wait_for db_is up || t_fail "private database never up: $(ctl ping)"
# Two connections: one for requests, one for sweeps and deliveries.
connections() { [ "$(grep -ac 'database: connected to' "$T/fupind.log")" = "$1" ]; }
wait_for connections 2 && t_ok "both connections made once" ||
	t_fail "connections: $(grep -ac 'database: connected to' "$T/fupind.log")"


pg_stop "$PRIV_PG"
wait_for db_is down && t_ok "PING says database down while PostgreSQL is stopped" ||
	t_fail "database state while stopped: $(db_state)"
run timeout 10 "$FUPINCTL" -s "$SOCK" --json ping
expect_eq "PING answers while the database is down" "$RC" 0
run timeout 10 "$FUPINCTL" -s "$SOCK" --json now
expect_eq "NOW answers while the database is down" "$RC" 0
log_has "database unavailable" && t_ok "the loss is logged" ||
	t_fail "no 'database unavailable' in the log"

PG_EXTRA_OPTS= pg_start "$PRIV_PG"
wait_for db_is up && t_ok "PING says database up after the restart" ||
	t_fail "database state after restart: $(db_state)"
wait_for connections 4 && t_ok "the reconnection of both is logged" ||
	t_fail "connections after restart: $(grep -ac 'database: connected to' "$T/fupind.log")"
schema_ok() { [ "$(ctl ping | json '["schema"]')" = true ]; }
wait_for schema_ok && t_ok "schema checked again after the reconnection" ||
	t_fail "schema not ok after the reconnection: $(ctl ping)"
run ctl now
expect_eq "the clock survived the outage" "$(json '["now"]' <<<"$OUT")" \
	"2019-10-08T08:00:00+08:00"

t_stop
pg_stop "$PRIV_PG"
eval "$OUTER_PG"
trap t_cleanup EXIT
t_done
