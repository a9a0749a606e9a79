#!/usr/bin/env bash
# The campaign files are reloaded with SIGHUP like the configuration: a
# changed threshold takes effect at once and is written to the audit trail;
# a broken workflow file is refused with file:line and the running
# workflows stay.
. "$(dirname "$0")/lib.sh"
t_setup reload_wf
cp -r "$FUPIN_SRC/workflows" "$T/wf"
t_write_conf
sed -i "s|dir = \"$FUPIN_SRC/workflows\"|dir = \"$T/wf\"|" "$T/fupind.conf"
grep -q "$T/wf" "$T/fupind.conf" || t_fail "config not pointed at the copy"
t_psql >/dev/null <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing,
    education, medical, housing)
VALUES ('H001', 'V01', '张三', 4, 'poor', 2016, 3800, true, true, true, true, true),
       ('H002', 'V01', '李四', 4, 'poor', 2016, 3800, true, true, true, true, true);
SQL
t_start
wait_ready
expect_code "propose H001" ok advance H001 exit propose
expect_code "propose H002" ok advance H002 exit propose

# A stricter threshold, reloaded: refused with the new figure, audited.
sed -i 's/exit_threshold = 3750;/exit_threshold = 4000;/' "$T/wf/2019/campaign.conf"
grep -q 'exit_threshold = 4000;' "$T/wf/2019/campaign.conf" || t_fail "threshold not edited"
reload
wait_for sh -c "psql -qAtX -d $T_DB -c \"SELECT count(*) FROM fupin.transition WHERE event = 'campaign_change'\" | grep -qx 1" ||
	t_fail "no campaign_change in the audit trail"
expect_eq "the change is audited with old and new" \
	"$(t_psql -c "SELECT detail->'exit_threshold'->>'old' || ' -> ' || (detail->'exit_threshold'->>'new') FROM fupin.transition WHERE event = 'campaign_change'")" \
	"3750.00 -> 4000.00"
expect_code "publish refused under the new threshold" guard advance H001 exit publish
expect_match "with the figures" "$(jv "$A" 'j["message"]')" "income 3800 < 4000"

# A broken workflow file: the reload is refused and named with file:line.
sed -i 's/to = "village_notice";/to = "village_notise";/' "$T/wf/2019/exit.wf"
grep -q village_notise "$T/wf/2019/exit.wf" || t_fail "exit.wf not broken"
line=$(grep -n village_notise "$T/wf/2019/exit.wf" | head -1 | cut -d: -f1)
before=$(grep -c 'reload failed' "$T/fupind.log" || true)
kill -HUP "$T_PID"
failed() { [ "$(grep -c 'reload failed' "$T/fupind.log" || true)" -gt "$before" ]; }
wait_for failed && t_ok "the reload is refused" || t_fail "no 'reload failed' in the log"
expect_match "the log names exit.wf:$line" "$(grep 'reload failed' "$T/fupind.log" | tail -3)" "exit.wf:$line"
out=$("$FUPIND" -t -c "$T/fupind.conf" 2>&1) || true
expect_match "fupind -t names exit.wf:$line" "$out" "exit.wf:$line: .*village_notise"
expect_code "the running workflows stay: publish still knows village_notice" guard advance H002 exit publish
expect_match "and the running threshold stays 4000" "$(jv "$A" 'j["message"]')" "< 4000"
expect_eq "PING still answers" "$(ctl ping | json '["ok"]')" true
t_done
