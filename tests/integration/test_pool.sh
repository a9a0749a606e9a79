#!/usr/bin/env bash
# database.pool: requests run on several connections, so one that waits in
# the database (here an ADVANCE whose instance another session holds
# locked) does not hold up another client's HOUSEHOLD.  With a pool of one
# the same HOUSEHOLD waits behind it: the property comes from the pool.
# The waiting ADVANCE completes once the lock is released, and its answer
# and audit row are there.
. "$(dirname "$0")/lib.sh"

t_setup pool

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V1', '勐戛村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT id, 'V1', '户主' || id, 3, 'poor', 2014, 4200, true, true, true, true, true
FROM (VALUES ('H1'), ('H2')) x(id);
SQL

# with_pool N: this test's configuration with database.pool = N
with_pool() {
	t_write_conf
	sed -i "s|sql_dir = |pool = $1; sql_dir = |" "$T/fupind.conf"
	grep -q "pool = $1;" "$T/fupind.conf" || { t_fail "pool = $1 not set"; exit 1; }
}

# The daemon's ADVANCE is waiting for the lock.
advance_waits() {
	[ "$(t_psql -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$T_DB' AND wait_event_type = 'Lock' AND query LIKE '%fupin.advance%'")" = 1 ]
}

# -- a pool of four: HOUSEHOLD H2 is answered while ADVANCE H1 waits
with_pool 4
t_start
wait_ready
adv H1 exit propose
lock_instance H1
req advance H1 exit publish >"$T/advance.out" &
ADV_PID=$!
wait_for advance_waits && t_ok "ADVANCE H1 waits for the lock" || t_fail "ADVANCE H1 never waited"
A=$(timeout 10 "$FUPINCTL" -s "$T/fupind.sock" --json household H2 2>&1 || true)
expect_eq "HOUSEHOLD H2 is answered while ADVANCE H1 waits" "$(code "$A")" ok
expect_eq "STATUS too" "$(code "$(timeout 10 "$FUPINCTL" -s "$T/fupind.sock" --json status V1 2>&1 || true)")" ok
unlock_instance
wait "$ADV_PID"
A=$(cat "$T/advance.out")
expect_eq "the waiting ADVANCE completes once the lock is gone" \
	"$(jv "$A" 'j["from"] + " -> " + j["to"]')" "draft -> village_notice"
expect_eq "its audit row is there" \
	"$(t_psql -c "SELECT count(*) FROM fupin.transition WHERE household_id = 'H1' AND event = 'publish'")" 1
t_stop

# -- a pool of one: the same HOUSEHOLD waits behind the ADVANCE
with_pool 1
t_start
wait_ready
lock_instance H1
req advance H1 exit submit >"$T/advance.out" &
ADV_PID=$!
wait_for advance_waits && t_ok "pool of one: ADVANCE H1 waits for the lock" || t_fail "pool of one: ADVANCE never waited"
if timeout 2 "$FUPINCTL" -s "$T/fupind.sock" --json household H2 >/dev/null 2>&1; then
	t_fail "pool of one: HOUSEHOLD H2 was answered past a waiting statement"
else
	t_ok "pool of one: HOUSEHOLD H2 waits behind the ADVANCE"
fi
unlock_instance
wait "$ADV_PID"
expect_eq "pool of one: the ADVANCE is answered after the lock" \
	"$(code "$(cat "$T/advance.out")")" guard
t_stop

t_done
