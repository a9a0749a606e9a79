#!/usr/bin/env bash
# PostgreSQL stopped and started under load. On a private cluster (the
# shared one serves the other tests): 8 clients (advload.py) each walk their
# own households through exit propose / publish / object ... while the
# server is stopped (fast: sessions cut) and started again.
#  - every ADVANCE answered ok is in fupin.transition, none refused is
#    (answers of a lost connection may be either), and workflow_instance
#    agrees with the last transition of each household;
#  - fupind recovers by itself (PING: schema true) and answers ok again;
#  - a sweep after the recovery writes each alert once: the overdue notice
#    of stage2 names exactly the households still in draft, and the notify
#    command sees every alert once.
. "$(dirname "$0")/lib.sh"
. "$FUPIN_SRC/scripts/lib.sh"

T=$FUPIN_BUILD/t/fault_pg
rm -rf "$T"; mkdir -p "$T"
PGD=$T/pg
T_DB=fupin_fault_pg
LOAD_PID=
trap 'rc=$?; touch "$T/stop"; [ -n "$LOAD_PID" ] && wait "$LOAD_PID" 2>/dev/null; t_stop; pg_stop "$PGD"; t_cleanup "$rc"' EXIT
WAIT_FOR_S=30

PG_EXTRA_OPTS= pg_start "$PGD"
psql -qAt -d postgres -c "CREATE DATABASE $T_DB" >/dev/null
cat >"$T/notify.sh" <<EOF
#!/bin/sh
grep -o '"id":[0-9]*' | head -1 | cut -d: -f2 >>"$T/delivered.log"
EOF
chmod +x "$T/notify.sh"
t_write_conf "notify: { command = \"$T/notify.sh\"; };"
sed -i "s|conninfo = \"dbname=$T_DB\"|conninfo = \"host=$PGD/sock dbname=$T_DB\"; reconnect_max = \"1s\"|" "$T/fupind.conf"
"$FUPIND" -c "$T/fupind.conf" --migrate >"$T/migrate.log" 2>&1 ||
	{ cat "$T/migrate.log"; t_fail "migration failed"; exit 1; }
fault_register 4 32
HOUSEHOLDS=$(seq -s, -f 'H%g' 1 32)

t_start
wait_ready

ok_count() { grep -c '"kind": "ok"' "$T/load.jsonl" 2>/dev/null || true; }
ok_at_least() { [ "$(ok_count)" -ge "$1" ]; }
python3 "$FUPIN_SRC/tests/integration/advload.py" run "$T/fupind.sock" --clients 8 \
	--households "$HOUSEHOLDS" --out "$T/load.jsonl" --stop "$T/stop" --max-seconds 120 &
LOAD_PID=$!
wait_for ok_at_least 200 || t_fail "the load did not start: $(tail -2 "$T/load.jsonl")"

# -- the server goes away under the load, and comes back
pg_stop "$PGD"
t_ok "PostgreSQL stopped with $(ok_count) ADVANCE answered ok"
not_ok() { [ "$(grep -c '"kind": "\(refused\|ambiguous\)"' "$T/load.jsonl")" -gt 0 ]; }
wait_for not_ok && t_ok "requests are refused while it is down" || t_fail "no request was refused"
ping_down() { [[ $(req ping) == *'"schema":false'* ]]; }
wait_for ping_down && t_ok "PING says the database is down" || t_fail "PING while down: $(req ping)"
PG_EXTRA_OPTS= pg_start "$PGD"
before=$(ok_count)
up() { [ "$(jv "$(req ping)" 'j["schema"]')" = true ]; }
wait_for up && t_ok "fupind recovers by itself" || t_fail "no recovery: $(req ping)"
wait_for ok_at_least $((before + 200)) && t_ok "ADVANCE answered ok again after the recovery" ||
	t_fail "no ok answer after the recovery: $(tail -2 "$T/load.jsonl")"
touch "$T/stop"
wait "$LOAD_PID"; LOAD_PID=

# -- answered ok => stored; refused => not stored
load_agrees

# -- a sweep after the recovery: each alert once, none missing
A=$(req clock set 2019-10-21T09:00:00+08:00)
expect_eq "CLOCK SET after the recovery sweeps" "$(jv "$A" 'j["swept"]')" true
expect_eq "stage2 overdue notices name exactly the households in draft" \
	"$(t_psql -c "SELECT coalesce(string_agg(v || ':' || h, ' ' ORDER BY v), '') FROM (SELECT village_id v, string_agg(x, ',' ORDER BY x) h FROM fupin.alert, unnest(households) x WHERE deadline_id = 'stage2' AND kind = 'overdue' GROUP BY village_id) a")" \
	"$(t_psql -c "SELECT coalesce(string_agg(v || ':' || h, ' ' ORDER BY v), '') FROM (SELECT village_id v, string_agg(household_id, ',' ORDER BY household_id) h FROM fupin.workflow_instance WHERE workflow = 'exit' AND state = 'draft' GROUP BY village_id) a")"
delivered() { [ "$(t_psql -c 'SELECT count(*) FROM fupin.alert WHERE delivered_at IS NULL')" = 0 ]; }
wait_for delivered && t_ok "every alert delivered" || t_fail "undelivered alerts"
expect_eq "the notify command saw each alert once" \
	"$(sort "$T/delivered.log" | uniq -c | awk '$1 > 1' | wc -l) $(sort -u "$T/delivered.log" | wc -l)" \
	"0 $(t_psql -c 'SELECT count(*) FROM fupin.alert')"
t_done
