#!/usr/bin/env bash
# The village simulator (tools/sim) over the whole 2019 calendar through
# the real daemon on a manual clock, on a small generated township: every
# state of the exit procedure is reached by some household, the other
# procedures finish, reminders, overdue notices and escalations are sent,
# one village gets an extension; and a second run prints the same.
. "$(dirname "$0")/lib.sh"

SIM=$FUPIN_BUILD/bin/fupin-sim
t_setup demo
python3 "$FUPIN_SRC/tools/gen/gen-township" --seed 11 --households 900 \
	--villages 6 "$T/township" >/dev/null

# load: the township imported into a fresh database, through a fresh daemon.
load() {
	t_start
	wait_ready
	for f in villages households members; do
		"$FUPINCTL" -c "$T/fupind.conf" import "$f" "$T/township/$f.csv" >/dev/null ||
			{ t_fail "import $f"; exit 1; }
	done
}
load
"$SIM" -s "$T/fupind.sock" -d "$T/township" --seed 11 >"$T/sim1.out" 2>&1 ||
	{ tail -20 "$T/sim1.out"; t_fail "fupin-sim exited $?"; }
expect_match "simulator finished" "$(tail -1 "$T/sim1.out")" "其他错误 0 次"

for s in draft village_notice township_review township_notice city_request exited withdrawn; do
	expect_eq "exit state $s reached" "$(t_psql -c "SELECT count(*) > 0 FROM fupin.transition WHERE workflow = 'exit' AND to_state = '$s'")" t
done
for ws in inclusion:included marginal:prefecture_analysed monitoring:prefecture_analysed \
	member:entered rectify:rechecked rectify:dismissed village_team:set_up village_summary:sent; do
	expect_eq "${ws%%:*} reaches ${ws#*:}" "$(t_psql -c "SELECT count(*) > 0 FROM fupin.workflow_instance WHERE workflow = '${ws%%:*}' AND state = '${ws#*:}'")" t
done
expect_eq "no exit left open" "$(t_psql -c "SELECT count(*) FROM fupin.workflow_instance WHERE workflow = 'exit' AND NOT closed")" 0
# The register follows the procedures: the 2019 exits are lifted in 2019,
# the confirmed inclusions poor or relapsed in 2019.
expect_eq "exited households are lifted in 2019" \
	"$(t_psql -c "SELECT count(*) > 0 AND bool_and(h.category = 'lifted' AND h.lifted_year = 2019) FROM fupin.workflow_instance wi JOIN fupin.household h USING (household_id) WHERE wi.workflow = 'exit' AND wi.state = 'exited'")" t
expect_eq "included households are poor or relapsed in 2019" \
	"$(t_psql -c "SELECT count(*) > 0 AND bool_and((h.category = 'poor' AND h.identified_year = 2019) OR (h.category = 'relapsed' AND h.relapse_year = 2019)) FROM fupin.workflow_instance wi JOIN fupin.household h USING (household_id) WHERE wi.workflow = 'inclusion' AND wi.state = 'included'")" t
for k in reminder overdue escalation; do
	expect_eq "$k alerts sent" "$(t_psql -c "SELECT count(*) > 0 FROM fupin.alert WHERE kind = '$k'")" t
done
expect_eq "one extension granted" "$(t_psql -c "SELECT count(*) FROM fupin.extension")" 1
expect_eq "guard refusals shown" "$(grep -c '未通过' "$T/sim1.out" | awk '{print ($1 > 0)}')" 1
expect_eq "a progress line per day" "$(grep -c '^20[0-9-]* 周' "$T/sim1.out")" 89

# The same again from scratch: the same output.
t_stop
psql -qAt -d postgres -c "DROP DATABASE $T_DB WITH (FORCE)" -c "CREATE DATABASE $T_DB" >/dev/null
"$FUPIND" -c "$T/fupind.conf" --migrate >/dev/null 2>&1 || t_fail "migrate again"
load
"$SIM" -s "$T/fupind.sock" -d "$T/township" --seed 11 >"$T/sim2.out" 2>&1 || t_fail "second run"
if cmp -s "$T/sim1.out" "$T/sim2.out"; then t_ok "second run prints the same"
else diff "$T/sim1.out" "$T/sim2.out" | head -10; t_fail "second run differs"; fi
t_done
