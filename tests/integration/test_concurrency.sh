#!/usr/bin/env bash
# Concurrency and atomicity of ADVANCE (and MEMBER).
#
# Races: 20 clients fire the same event on the same household at once,
# through two daemons on the same database (each daemon sends one
# statement at a time, so two of them make the statements really race in
# PostgreSQL): exactly one is ok, the others answer "state", and the audit
# trail and the state counters hold one step.
#
# Atomicity: a trigger makes the audit row fail for some households; the
# transition (and a member change) is then refused whole: no instance
# created or moved, counters and register unchanged.
. "$(dirname "$0")/lib.sh"

t_setup concurrency

CLIENTS=20

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
SELECT id, 'V01', '户主', 3, 'poor', 2014, 4200, true, true, true, true, true
FROM unnest(ARRAY['C01', 'C02', 'HX', 'HY', 'HZ']) AS id;
SQL

t_start
wait_ready
# a second daemon on the same database, its own socket
sed "s|socket = \"$T/fupind.sock\"|socket = \"$T/fupind2.sock\"|" "$T/fupind.conf" >"$T/fupind2.conf"
"$FUPIND" -f -c "$T/fupind2.conf" >>"$T/fupind2.log" 2>&1 &
T_PID2=$!
trap '[ -n "${T_PID2:-}" ] && kill -TERM "$T_PID2" 2>/dev/null; wait "$T_PID2" 2>/dev/null; t_cleanup' EXIT
req2() { "$FUPINCTL" -s "$T/fupind2.sock" --json "$@" 2>&1 || true; }
for i in $(seq 1 200); do
	[ "$(code "$(req2 calendar)")" = ok ] && break
	kill -0 "$T_PID2" 2>/dev/null || break
	sleep 0.05
done
expect_eq "the second daemon is ready" "$(code "$(req2 calendar)")" ok

# race NAME ARGS: CLIENTS requests at once, half through each daemon;
# prints how many answered each code ("ok=1 state=19").
race() {
	local name=$1 i pids=()
	shift
	for i in $(seq 1 $CLIENTS); do
		if [ $((i % 2)) = 0 ]; then
			req "$@" >"$T/$name.$i" &
		else
			req2 "$@" >"$T/$name.$i" &
		fi
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 1 $CLIENTS); do code "$(cat "$T/$name.$i")"; done |
		sort | uniq -c | awk '{ print $2 "=" $1 }' | paste -sd' '
}
count() { t_psql -c "$1"; }
sc() {
	count "SELECT coalesce((SELECT n FROM fupin.state_count WHERE village_id = 'V01' AND workflow = '$1' AND state = '$2'), 0)"
}

# -- the creating event
expect_eq "propose x$CLIENTS: one ok, the rest state" "$(race propose advance C01 exit propose)" "ok=1 state=$((CLIENTS - 1))"
expect_eq "propose race: one instance" "$(count "SELECT count(*) FROM fupin.workflow_instance WHERE household_id = 'C01'")" 1
expect_eq "propose race: one audit row" "$(count "SELECT count(*) FROM fupin.transition WHERE household_id = 'C01'")" 1
expect_eq "propose race: counted once" "$(sc exit draft)" 1

# -- a move
expect_eq "publish x$CLIENTS: one ok, the rest state" "$(race publish advance C01 exit publish)" "ok=1 state=$((CLIENTS - 1))"
expect_eq "publish race: state and version" \
	"$(count "SELECT state || ' ' || version FROM fupin.workflow_instance WHERE household_id = 'C01'")" "village_notice 1"
expect_eq "publish race: two audit rows" "$(count "SELECT count(*) FROM fupin.transition WHERE household_id = 'C01'")" 2
expect_eq "publish race: counters" "$(sc exit draft) $(sc exit village_notice)" "0 1"
expect_eq "publish race: every loser names the state it found" \
	"$(cat "$T"/publish.* | grep -v '"ok":true' | grep -vc '"error":"state","state":"village_notice"')" 0

# -- a village task
# (open from the start: an old script's `open` is a no-op, ok for all)
expect_eq "village_team open x$CLIENTS" "$(race team advance V01 village_team open)" "ok=$CLIENTS"
expect_eq "village_team set_up x$CLIENTS" "$(race setup advance V01 village_team set_up)" "ok=1 state=$((CLIENTS - 1))"
expect_eq "village task counters" "$(sc village_team pending) $(sc village_team set_up)" "0 1"

# -- competing events from one state: publish and withdraw on C02
A=$(req advance C02 exit propose)
pids=()
for i in $(seq 1 $CLIENTS); do
	if [ $((i % 2)) = 0 ]; then req advance C02 exit publish >"$T/mixed.$i" &
	else req2 advance C02 exit withdraw 撤回 >"$T/mixed.$i" & fi
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
expect_eq "mixed race: ok answers = instance version" \
	"$(for i in $(seq 1 $CLIENTS); do code "$(cat "$T/mixed.$i")"; done | grep -c '^ok$')" \
	"$(count "SELECT version FROM fupin.workflow_instance WHERE household_id = 'C02'")"
expect_eq "mixed race: ok answers = audit rows" \
	"$(for i in $(seq 1 $CLIENTS); do code "$(cat "$T/mixed.$i")"; done | grep -c '^ok$')" \
	"$(count "SELECT count(*) - 1 FROM fupin.transition WHERE household_id = 'C02'")"
expect_eq "mixed race: withdrawn in the end" "$(count "SELECT state FROM fupin.workflow_instance WHERE household_id = 'C02'")" withdrawn
expect_eq "mixed race: the audit trail is a chain" \
	"$(count "SELECT bool_and(from_state IS NOT DISTINCT FROM prev) FROM (SELECT from_state, lag(to_state) OVER (ORDER BY transition_id) AS prev FROM fupin.transition WHERE household_id = 'C02') t")" t

expect_eq "state_count agrees with a recount after the races" "$(count "
	SELECT count(*) FROM (SELECT campaign_id, village_id, workflow, state, count(*) AS n
	    FROM fupin.workflow_instance GROUP BY 1, 2, 3, 4) r
	FULL JOIN fupin.state_count s USING (campaign_id, village_id, workflow, state)
	WHERE r.n IS DISTINCT FROM s.n")" 0

# ---------------------------------------------------------------------
# atomicity: the audit row fails, so nothing happens
# ---------------------------------------------------------------------
PZ=$(person_id 53310320190305001)
A=$(req advance HY exit propose)
expect_eq "HY proposed before the trigger" "$(code "$A")" ok
t_psql <<'SQL'
CREATE FUNCTION public.refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'test trigger: no audit row for %', NEW.household_id;
END
$$;
CREATE TRIGGER refuse_audit BEFORE INSERT ON fupin.transition
    FOR EACH ROW WHEN (NEW.household_id IN ('HX', 'HY', 'HZ'))
    EXECUTE FUNCTION public.refuse_audit();
SQL
snapshot() {
	count "SELECT (SELECT string_agg(concat_ws(':', village_id, workflow, state, n), ',' ORDER BY workflow, state) FROM fupin.state_count)
	    || ' | ' || (SELECT count(*) FROM fupin.transition)
	    || ' | ' || (SELECT string_agg(concat_ws(':', household_id, workflow, state, version, entered_at), ',' ORDER BY household_id, workflow) FROM fupin.workflow_instance WHERE household_id IN ('HX', 'HY', 'HZ'))
	    || ' | ' || (SELECT string_agg(household_id || ':' || size, ',' ORDER BY household_id) FROM fupin.household WHERE household_id IN ('HX', 'HY', 'HZ'))
	    || ' | ' || (SELECT count(*) FROM fupin.member)"
}
before=$(snapshot)
A=$(req advance HX exit propose)
expect_eq "create with a failing audit row: an error" "$(code "$A")" internal
# The database's words go to the log, under the id the client is given.
expect_match "the error gives an id" "$(jv "$A" 'j["message"]')" 'error E[0-9]+-[0-9]+'
err_id=$(jv "$A" 'j["message"]' | grep -o 'E[0-9]*-[0-9]*')
grep "\[$err_id\]" "$T/fupind.log" | grep -q 'test trigger: no audit row for HX' &&
	t_ok "the log says why, under that id" || t_fail "no 'test trigger' line for $err_id in the log"
expect_eq "create with a failing audit row: no instance" "$(count "SELECT count(*) FROM fupin.workflow_instance WHERE household_id = 'HX'")" 0
A=$(req2 advance HY exit publish)
expect_eq "move with a failing audit row: an error" "$(code "$A")" internal
expect_eq "move with a failing audit row: still draft" "$(count "SELECT state || ' ' || version FROM fupin.workflow_instance WHERE household_id = 'HY'")" "draft 0"
A=$(req member HZ add "$PZ" 岩小 son 2019-03-05 出生)
expect_eq "member change with a failing audit row: an error" "$(code "$A")" internal
expect_eq "member change with a failing audit row: no member, same size" \
	"$(count "SELECT count(*) FROM fupin.member WHERE person_id = '$PZ'") $(count "SELECT size FROM fupin.household WHERE household_id = 'HZ'")" "0 3"
expect_eq "counters, audit trail, instances and register unchanged" "$(snapshot)" "$before"

t_psql -c "DROP TRIGGER refuse_audit ON fupin.transition"
A=$(req advance HX exit propose)
expect_eq "without the trigger: propose HX" "$(code "$A")" ok
A=$(req advance HY exit publish)
expect_eq "without the trigger: publish HY" "$(code "$A")" ok
A=$(req member HZ add "$PZ" 岩小 son 2019-03-05 出生)
expect_eq "without the trigger: the member change" "$(code "$A") $(count "SELECT size FROM fupin.household WHERE household_id = 'HZ'")" "ok 4"

t_done
