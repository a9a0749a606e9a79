#!/usr/bin/env bash
# Failover with a multi-host conninfo: two private clusters, A read-only
# (a standby, as far as libpq's target_session_attrs=read-write can tell)
# and B read-write. fupind must pick B; when B dies and A is "promoted"
# (made read-write), it must reconnect to A by itself and serve requests.
. "$(dirname "$0")/lib.sh"
. "$FUPIN_SRC/scripts/lib.sh"

T=$FUPIN_BUILD/t/failover
rm -rf "$T"; mkdir -p "$T"
A=$T/pg-a B=$T/pg-b
T_DB=fupin_failover
trap 'rc=$?; t_stop; pg_stop "$A"; pg_stop "$B"; t_cleanup "$rc"' EXIT

WAIT_FOR_S=15 # wait_for (lib.sh) gives up after 15 s here

prepare() { # prepare DIR: a cluster with the schema and one household
	PG_EXTRA_OPTS= pg_start "$1"
	psql -qAt -d postgres -c "CREATE DATABASE $T_DB" >/dev/null
	t_write_conf
	"$FUPIND" -c "$T/fupind.conf" --migrate >"$T/migrate.log" 2>&1 ||
		{ cat "$T/migrate.log"; t_fail "migrate on $1"; exit 1; }
	psql -qX -d "$T_DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing,
    education, medical, housing)
VALUES ('H001', 'V01', '张三', 4, 'poor', 2016, 4200, true, true, true,
    true, true);
SQL
}
prepare "$A"
prepare "$B"
PGHOST=$A/sock psql -qAt -d postgres -c \
	"ALTER SYSTEM SET default_transaction_read_only = on" -c "SELECT pg_reload_conf()" >/dev/null

t_write_conf
sed -i "s|conninfo = \"dbname=$T_DB\"|conninfo = \"host=$A/sock,$B/sock dbname=$T_DB target_session_attrs=read-write\"; reconnect_max = \"1s\"|" "$T/fupind.conf"
grep -q target_session_attrs "$T/fupind.conf" || t_fail "config not rewritten"
t_start

up() { [ "$(ctl ping | json '["schema"]')" = true ]; }
wait_for up && t_ok "up through the multi-host conninfo" || t_fail "never up: $(ctl ping)"
grep -q "connected to $B/sock" "$T/fupind.log" && t_ok "picked the read-write server B" ||
	t_fail "did not connect to B: $(grep connected "$T/fupind.log")"
grep -q "connected to $A/sock" "$T/fupind.log" && t_fail "connected to read-only A" ||
	t_ok "skipped the read-only server A"

# B fails; A is promoted.
pg_stop "$B"
PGHOST=$A/sock psql -qAt -d postgres -c \
	"ALTER SYSTEM RESET default_transaction_read_only" -c "SELECT pg_reload_conf()" >/dev/null
on_a() { grep -q "connected to $A/sock" "$T/fupind.log" && up; }
wait_for on_a && t_ok "reconnected to A after the failover" ||
	t_fail "no reconnection to A: $(tail -5 "$T/fupind.log")"
out=$(ctl advance H001 exit propose)
expect_eq "a request after the failover is served by A" "$(echo "$out" | json '["to"]')" draft
n=$(PGHOST=$A/sock psql -qAt -d "$T_DB" -c "SELECT count(*) FROM fupin.transition WHERE household_id = 'H001'")
expect_eq "the transition is in A" "$n" 1
t_done
