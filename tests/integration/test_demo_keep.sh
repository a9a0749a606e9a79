#!/usr/bin/env bash
# scripts/demo --keep on a small township, stopped with --at: fupind and
# PostgreSQL stay up on the demo's data with the clock where the run
# stopped; the printed commands work (fupinctl with the demo's
# configuration, a village token on the TCP listener, the pages' port
# listening); scripts/demo --stop ends both. Its own var/ (FUPIN_DEMO_VAR)
# and the binaries of this build (FUPIN_DEMO_BIN).
. "$(dirname "$0")/lib.sh"

T=$FUPIN_BUILD/t/demo_keep
rm -rf "$T"; mkdir -p "$T"
export FUPIN_DEMO_VAR=$T FUPIN_DEMO_BIN=$FUPIN_BUILD/bin
# Ports of its own (the pages on N, the TCP listener on N+1), picked by
# the kernel: builds of scripts/test and other tests run side by side.
port=$(free_port_pair)
demo() { (cd "$FUPIN_SRC" && scripts/demo "$@"); }
stop_all() { demo --stop >/dev/null 2>&1 || true; }
trap 'rc=$?; stop_all; [ $T_FAILS -eq 0 ] && exit $rc; tail -20 "$T/demo/fupind.log" 2>/dev/null; exit 1' EXIT

RC=0
demo --keep --households 200 --villages 3 --at 2019-10-22 --port "$port" >"$T/out" 2>"$T/err" || RC=$?
expect_eq "demo --keep: exit 0" "$RC" 0
[ "$RC" = 0 ] || { cat "$T/err"; exit 1; }
OUT=$(cat "$T/out")
expect_match "prints how to stop" "$OUT" 'Stop: scripts/demo --stop'
expect_match "prints fupinctl with the demo's configuration" "$OUT" "fupinctl -c .*/demo/fupind.conf status"
expect_match "prints the pages" "$OUT" "http://127.0.0.1:$port/village/V01"

conf=$T/demo/fupind.conf
ctlc() { "$FUPINCTL" -c "$conf" "$@"; }
expect_match "fupind still runs, its clock where --at stopped" "$(ctlc --json now)" '"now":"2019-10-22T'
RC=0; ctlc status >"$T/status" || RC=$?
expect_eq "fupinctl -c CONF status: exit 0" "$RC" 0
expect_match "status shows the demo's villages" "$(cat "$T/status")" 'V01'
h=$(sed -n 's/.*household \(V01-[0-9]*\)$/\1/p' <<<"$OUT" | head -1)
RC=0; ctlc help advance "$h" >"$T/help" || RC=$?
expect_eq "the printed help advance HOUSEHOLD works" "$RC" 0

tok() { awk -v w="$1" '$1 == w { print $2 }' "$T/demo/tokens"; }
expect_match "the printed tokens are those of the tokens file" "$OUT" "V01: +$(tok V01) "
grep -q "$(tok V01)" "$conf" && t_fail "a token itself is in the configuration" ||
	t_ok "only hashes in the configuration"
A=$(FUPIN_TOKEN=$(tok V01) "$FUPINCTL" -a "127.0.0.1:$((port + 1))" --json status 2>&1 || true)
expect_match "V01's token on the TCP listener: its village" "$A" '"ok":true'
A=$(FUPIN_TOKEN=$(tok V01) "$FUPINCTL" -a "127.0.0.1:$((port + 1))" --json status V02 2>&1 || true)
expect_match "V01's token: not V02" "$A" '"error":"forbidden"'
A=$(FUPIN_TOKEN=$(tok township) "$FUPINCTL" -a "127.0.0.1:$((port + 1))" --json status V02 2>&1 || true)
expect_match "the township's token: any village" "$A" '"ok":true'
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && t_ok "the pages' port listens" ||
	t_fail "nothing listens on 127.0.0.1:$port"

pid=$(cat "$T/demo/fupind.pid")
RC=0; demo --stop >"$T/stop" 2>&1 || RC=$?
expect_eq "demo --stop: exit 0" "$RC" 0
kill -0 "$pid" 2>/dev/null && t_fail "fupind still runs after --stop" || t_ok "fupind stopped"
[ -f "$T/demo-pg/data/postmaster.pid" ] && t_fail "PostgreSQL still runs after --stop" ||
	t_ok "PostgreSQL stopped"
RC=0; ctlc now >/dev/null 2>&1 || RC=$?
expect_eq "fupinctl after --stop: cannot ask" "$RC" 2
t_done
