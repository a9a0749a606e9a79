#!/usr/bin/env bash
# The first ten minutes of a new user (issue 12): every refusal names what
# was wrong and suggests ("did you mean"); workflow and event names in any
# case; HELP ADVANCE lists the workflows and their events, and for a
# household the steps it may take now with their Chinese titles; HOUSEHOLD
# of an unknown id says malformed or absent; tables fit 80 columns with
# Chinese counted two wide; ANALYZE, PROBLEMS and MEMBER print tables;
# every verb has an example in HELP VERB and in fupinctl(1).
. "$(dirname "$0")/lib.sh"

t_setup people
t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, lifted_year, income_per_capita, food, clothing,
    education, medical, housing)
VALUES ('V01-0080', 'V01', '岩温', 4, 'poor', 2014, NULL, 4200, true, true, true, true, true),
    ('V01-0081', 'V01', '玉香', 3, 'poor', 2014, NULL, 4200, true, true, true, false, true),
    ('V02-0001', 'V02', '李明', 5, 'lifted', 2014, 2017, 2000, true, true, true, true, true);
SQL
t_start
wait_ready
fc() { "$FUPINCTL" -s "$T/fupind.sock" "$@"; }
run() { RC=0; OUT=$("$@" 2>"$T/stderr") || RC=$?; ERR=$(cat "$T/stderr"); }

# fits WHAT TEXT: no line wider than 80 display columns (wide characters two).
fits() {
	python3 - "$2" <<'PY' && t_ok "$1: fits 80 columns" || t_fail "$1: wider than 80 columns:
$2"
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
bad = [l for l in sys.argv[1].split("\n") if w(l) > 80]
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# ---- unknown verb, workflow, event, village: did you mean ---------------------------
expect_code "a misspelt verb" unknown statsu
expect_eq "verb: did_you_mean" "$(jv "$A" 'j["did_you_mean"]')" '["STATUS"]'
expect_match "verb: choices hold every verb" "$(jv "$A" '" ".join(j["choices"])')" 'STATUS .*ADVANCE'
run fc statsu
expect_match "verb: fupinctl says it" "$ERR" 'unknown verb "statsu"; did you mean STATUS\?'

expect_code "advance with a misspelt workflow" unknown advance V01-0080 exti submit
expect_eq "workflow: did_you_mean" "$(jv "$A" 'j["did_you_mean"]')" '["exit"]'
expect_match "workflow: the valid ones listed" "$(jv "$A" 'j["message"]')" 'did you mean exit\? \(one of: exit, inclusion, marginal, member, monitoring, rectify'
expect_code "advance with a misspelt event" unknown advance V01-0080 exit sumbit
expect_eq "event: did_you_mean" "$(jv "$A" 'j["did_you_mean"]')" '["submit"]'
expect_match "event: the workflow's events listed" "$(jv "$A" 'j["message"]')" 'one of: propose, publish, submit, approve, reject, request, confirm, object, withdraw'
expect_code "a village that does not exist" unknown status v01
expect_eq "village: did_you_mean" "$(jv "$A" 'j["did_you_mean"]')" '["V01"]'
expect_eq "village: choices" "$(jv "$A" 'j["choices"]')" '["V01", "V02"]'
expect_code "overdue of a village that does not exist" unknown overdue V99
expect_match "overdue: names the village and the choices" "$(jv "$A" 'j["message"]')" 'unknown village "V99" \(one of: V01, V02\)'
expect_code "problems of a village that does not exist" unknown problems V9

# ---- case-insensitive workflow and event names ------------------------------------------
step "EXIT PROPOSE in capitals" None draft V01-0080 EXIT PROPOSE
expect_eq "the workflow as the files name it" "$(jv "$A" 'j["workflow"] + " " + j["event"]')" "exit propose"
step "Exit Publish in mixed case" draft village_notice V01-0080 Exit Publish

# ---- a state refusal lists what is allowed now ----------------------------------------
expect_code "submit too early names the allowed events" state advance V01-0080 exit approve
expect_match "state: allowed now, with titles" "$(jv "$A" 'j["message"]')" 'allowed now: submit \(报镇审核 / submit to the township\), object \(.*\), withdraw'

# ---- HELP ADVANCE ------------------------------------------------------------------------
A=$(req help advance)
expect_eq "HELP ADVANCE: every workflow" "$(jv "$A" '" ".join(w["workflow"] for w in j["workflows"])')" \
	"exit inclusion marginal member monitoring rectify village_summary village_team"
expect_match "HELP ADVANCE: exit's events with titles" "$(jv "$A" '[e["event"] + "=" + e["title"] for e in j["workflows"][0]["events"]][:3]')" \
	'propose=拟退出.*publish=村级公示.*submit=报镇审核'
run fc help advance
expect_match "fupinctl help advance: example" "$OUT" $'\nexample: fupinctl advance V01-0080 exit submit\n'
expect_match "fupinctl help advance: exit's table" "$OUT" $'\nexit  脱贫退出 / Exit\n  EVENT +FROM +TO +TITLE\n  propose +\\(new\\) +draft '
fits "help advance" "$OUT"
A=$(req help advance V01-0081)
expect_eq "HELP ADVANCE HOUSEHOLD (poor, nothing yet): what starts" \
	"$(jv "$A" '" ".join(e["workflow"] + ":" + e["event"] for e in j["allowed"])')" "exit:propose"
A=$(req help advance V01-0080)
expect_eq "HELP ADVANCE HOUSEHOLD (in village_notice): what it may do" \
	"$(jv "$A" '" ".join(e["event"] for e in j["allowed"])')" "submit object withdraw"
run fc help advance V01-0080
expect_match "fupinctl help advance HOUSEHOLD: a table with Chinese titles" "$OUT" \
	$'V01-0080 \\(poor\\): the steps your role \\(admin\\) may record now\n  WORKFLOW +STATE +EVENT +TO +TITLE\n  exit +village_notice +submit +township_review +报镇审核'
expect_match "fupinctl help advance HOUSEHOLD: an example" "$OUT" $'\ne\\.g\\. fupinctl advance V01-0080 exit submit$'
expect_code "HELP ADVANCE of a malformed id" unknown help advance H1
expect_code "HELP of an unknown verb" unknown help advnace
expect_eq "HELP advnace: did you mean" "$(jv "$A" 'j["did_you_mean"]')" '["ADVANCE"]'
expect_code "HELP STATUS X is a usage error" usage help status V01

# ---- HOUSEHOLD of an unknown id -----------------------------------------------------------
expect_code "household V01-9999" unknown household V01-9999
expect_eq "V01-9999: absent" "$(jv "$A" 'j["reason"]')" absent
expect_match "V01-9999: the range of V01's ids" "$(jv "$A" 'j["message"]')" 'no household V01-9999 .*V01-0080 to V01-0081'
expect_code "household V01-0082" unknown household V01-0082
expect_eq "V01-0082: did you mean the neighbours" "$(jv "$A" 'j["did_you_mean"]')" '["V01-0080", "V01-0081"]'
expect_code "household H1" unknown household H1
expect_eq "H1: malformed" "$(jv "$A" 'j["reason"]')" malformed
expect_match "H1: what ids look like" "$(jv "$A" 'j["message"]')" '"H1" is not a household id: ids in the register look like V01-0080'
run fc household H1
expect_eq "fupinctl household H1: exit 1" "$RC" 1
[[ $ERR == *reason:* || $ERR == *example:* ]] && t_fail "household H1: a key dump: $ERR" ||
	t_ok "fupinctl household H1: the message, no key dump"

# ---- usage errors name what was wrong --------------------------------------------------------
expect_code "advance with too few words" usage advance V01-0080
expect_match "usage: counts the words and gives an example" "$(jv "$A" 'j["message"]')" \
	'^ADVANCE takes at least 3 words after the verb, not 1; usage: ADVANCE ID WORKFLOW EVENT \[NOTE\]; e.g. ADVANCE V01-0080 exit submit$'

# ---- every verb has an example: HELP VERB and fupinctl(1) -------------------------------------
while IFS=$'\t' read -r verb _ _; do
	A=$(req help "$verb")
	ex=$(jv "$A" 'j["example"]')
	[[ $ex == "$verb"* ]] && t_ok "HELP $verb: example $ex" || t_fail "HELP $verb: no example ($A)"
	# as fupinctl(1) writes it: words of capitals only in lower case
	ctl_ex="fupinctl $(python3 -c 'import sys, re
print(" ".join(w.lower() if re.fullmatch("[A-Z]+", w) else w for w in sys.argv[1].split(" ")))' "$ex")"
	if grep -qF -- ".Dl $ctl_ex" "$FUPIN_SRC/doc/fupinctl.1" ||
		grep -qF -- "$ex" "$FUPIN_SRC/doc/fupinctl.1"; then
		t_ok "fupinctl.1 has $ctl_ex"
	else
		t_fail "fupinctl.1 lacks the example: $ctl_ex"
	fi
done < <("$FUPIND" --list-verbs)
run fc help household
expect_match "fupinctl help VERB: the example as fupinctl takes it" "$OUT" $'\nexample: fupinctl household V01-0080$'

# ---- tables fit 80 columns --------------------------------------------------------------------
t_psql -c "UPDATE fupin.household SET head_name = '岩温岩温岩温岩温岩温岩温' WHERE household_id = 'V01-0080'"
req advance V01-0080 exit object "村民代表大会上有三位村民对该户的收入核算提出异议，认为外出务工收入计算有误，需要重新核实" >/dev/null
req clock set 2019-11-05T00:00:00+08:00 >/dev/null
for v in help status overdue "household V01-0080" alerts calendar "help advance V01-0080"; do
	run fc $v
	fits "$v" "$OUT"
done
run fc household V01-0080
expect_match "a long note wraps under its column" "$OUT" '需要重新核实'

# ---- ANALYZE, PROBLEMS, MEMBER print tables ----------------------------------------------------
req clock set 2019-11-28T09:00:00+08:00 >/dev/null
run fc analyze
expect_eq "analyze: exit 0" "$RC" 0
expect_match "analyze: a table of rules" "$(head -1 <<<"$OUT")" '^RULE +FOUND +NEW +CLEARED$'
expect_match "analyze: the summary line" "$(tail -1 <<<"$OUT")" '^[0-9]+ new problems?, [0-9]+ open; '
[[ $OUT == *'{'* ]] && t_fail "analyze: a raw key dump: $OUT" || t_ok "analyze: no raw JSON"
run fc problems V02
expect_match "problems: a table" "$(head -1 <<<"$OUT")" '^ *ID +HOUSEHOLD +(VILLAGE +)?(RULE +)?RECTIFY +PROBLEM$'
expect_match "problems: V02-0001 (lifted below the threshold) is found" "$OUT" $'\n +[0-9]+ +V02-0001 '
expect_match "problems: the count" "$(tail -1 <<<"$OUT")" '^[0-9]+ problems?$'
fits "problems" "$OUT"
req clock set 2019-10-15T10:00:00+08:00 >/dev/null 2>&1 || true
t_stop
t_psql -c "UPDATE fupin.daemon_state SET clock = '2019-11-20T10:00:00+08:00'" >/dev/null 2>&1 || true
t_done
