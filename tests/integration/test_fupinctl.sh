#!/usr/bin/env bash
# fupinctl for people: per-verb tables for STATUS, OVERDUE, HOUSEHOLD,
# ALERTS, CALENDAR, HELP with Chinese village and household names aligned
# by display width; no colour into a pipe, colour on a terminal unless
# NO_COLOR; --json unchanged; exit codes 0/1/2; the usage text; bash
# completion.
. "$(dirname "$0")/lib.sh"

t_setup fupinctl
t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒蚌村', '勐戛镇'),
    ('V03', 'Mangga', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
VALUES ('H001', 'V01', '岩温', 4, 'poor', 2014, 4200, true, true, true, true, true),
    ('H002', 'V01', '玉香', 3, 'poor', 2014, 4200, true, true, true, false, true),
    ('H060', 'V02', '李明', 5, 'poor', 2014, 4200, true, true, true, true, true),
    ('H070', 'V03', 'Li Ming', 5, 'poor', 2014, 4200, true, true, true, true, true);
SQL
t_start
wait_ready
tasks_done V01 V02 V03
ctl advance H001 exit propose >/dev/null
ctl advance H002 exit propose >/dev/null
ctl advance H060 exit propose >/dev/null
ctl advance H001 exit publish "村民代表大会通过" >/dev/null
ctl clock set 2019-10-22T00:00:00+08:00 >/dev/null

fc() { "$FUPINCTL" -s "$T/fupind.sock" "$@"; }
run() { RC=0; OUT=$("$@" 2>"$T/stderr") || RC=$?; ERR=$(cat "$T/stderr"); }

# aligned WHAT TEXT: every row's cells start at the display column where
# the header's do (East Asian wide characters count two), for the header
# line matching ^\s*[A-Z] and the rows after it up to a blank line.
aligned() {
	python3 - "$2" <<'PY' && t_ok "$1: aligned by display width" || t_fail "$1: not aligned:
$2"
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = sys.argv[1].split("\n")
checked = 0
i = 0
while i < len(lines):
    line = lines[i]
    if not re.match(r"^\s*[A-Z][A-Z ]*[A-Z]  ", line):
        i += 1
        continue
    # header columns: starts of words separated by 2+ spaces
    starts = [m.start() for m in re.finditer(r"(?:(?<=  )|^\s*)\S", line)]
    cols = [m.start() for m in re.finditer(r"\S+(?: \S+)*", line)]
    i += 1
    while i < len(lines) and lines[i].strip():
        row = lines[i]
        # display column of each cell start (cells separated by 2+ spaces)
        cells = [m.start() for m in re.finditer(r"\S+(?: \S+)*", row)]
        dcols = [width(row[:c]) for c in cells]
        for c in cols:
            # a left-aligned header starts a cell at the same column,
            # unless the cell is empty; right-aligned ones end together
            pass
        # every cell start must be a header column start, or the cell
        # must end where a header ends (numbers are right-aligned)
        hdr_ends = [m.end() for m in re.finditer(r"\S+(?: \S+)*", line)]
        for m in re.finditer(r"\S+(?: \S+)*", row):
            s, e = width(row[:m.start()]), width(row[:m.end()])
            if s not in cols and e not in hdr_ends:
                print("row %r: cell %r at display column %d" % (row, m.group(), s))
                sys.exit(1)
        checked += 1
        i += 1
sys.exit(0 if checked else 1)
PY
}

# ---- STATUS -----------------------------------------------------------------------
# (wide enough that no cell wraps: fitting 80 columns is checked below)
COLUMNS=120 run fc status
expect_eq "status: exit 0" "$RC" 0
expect_match "status: header in order" "$(head -1 <<<"$OUT")" '^VILLAGE +NAME +exit +village_summary +village_team +OVERDUE +NEXT DEADLINE$'
expect_match "status: V01 row" "$(grep '^V01' <<<"$OUT")" '^V01 +勐戛村 +draft 1, village_notice 1 +sent 1 +set_up 1 +1 +stage3 by 10月25日24时'
expect_match "status: V03 row (Latin name)" "$(grep '^V03' <<<"$OUT")" '^V03 +Mangga +- +sent 1 +set_up 1 +0 +-$'
aligned "status" "$OUT"
[[ $OUT == *$'\033'* ]] && t_fail "status: colour into a pipe" || t_ok "status: no colour into a pipe"

# ---- OVERDUE -------------------------------------------------------------------------
run fc overdue
expect_match "overdue: header" "$(head -1 <<<"$OUT")" '^HOUSEHOLD +VILLAGE +WORKFLOW +STATE +DEADLINE +DUE$'
expect_match "overdue: H002" "$OUT" $'\nH002 +V01 +exit +draft +stage2 +10月20日24时\n'
expect_match "overdue: count line" "$(tail -1 <<<"$OUT")" '^2 overdue$'
aligned "overdue" "$OUT"
run fc overdue V03
expect_eq "overdue of a village with none" "$OUT" "nothing is overdue"

# ---- HOUSEHOLD ------------------------------------------------------------------------
run fc household H002
expect_match "household: header block" "$OUT" '^household: +H002 玉香'
expect_match "household: village with its name" "$OUT" $'\nvillage: +V01 勐戛村\n'
expect_match "household: unresolved guarantee" "$OUT" 'guarantees: +not resolved: medical'
expect_match "household: procedures table" "$OUT" $'procedures:\n  WORKFLOW +STATE +SINCE +DEADLINE +DUE +OVERDUE\n  exit +draft +2019-10-08 08:00 +stage2 +2019-10-21 00:00 +OVERDUE'
run fc household H001
# 80 columns: FROM and ROLE are dropped (fupinctl(1)); a wider terminal has them.
expect_match "household: history with the note" "$OUT" 'exit +publish +village_notice +uid 0 +村民代表大会通过'
OUT=$(COLUMNS=200 "$FUPINCTL" -s "$T/fupind.sock" household H001)
expect_match "household, 200 columns: FROM and ROLE" "$OUT" 'exit +publish +draft +village_notice +uid 0 +admin +村民代表大会通过'
aligned "household" "$OUT"

# ---- ALERTS, CALENDAR, HELP, ADVANCE ---------------------------------------------------------
run fc alerts 5
expect_match "alerts: header (80 columns)" "$(head -1 <<<"$OUT")" '^ID +FIRED +KIND +VILLAGE +DEADLINE +TEXT$'
expect_match "alerts: header (200 columns)" "$(COLUMNS=200 "$FUPINCTL" -s "$T/fupind.sock" alerts 5 | head -1)" '^ID +FIRED +KIND +LEVEL +VILLAGE +DEADLINE +COUNT +DELIVERED +TEXT$'
expect_match "alerts: a village with its Chinese name" "$OUT" 'V0[12] (勐戛村|芒蚌村)'
aligned "alerts" "$OUT"
run fc calendar
expect_match "calendar: now" "$(head -1 <<<"$OUT")" '^now: 2019-10-22 00:00$'
expect_match "calendar: stage2 overdue" "$OUT" $'\nstage2 +overdue +2019-10-11 00:00 +10月20日24时 +第二阶段'
aligned "calendar" "$OUT"
run fc help
expect_match "help: the role" "$(head -1 <<<"$OUT")" '^your role: admin'
expect_match "help: OVERDUE's usage" "$OUT" 'OVERDUE \[VILLAGE\] +households that missed a deadline'
run fc help advance
expect_match "help advance: usage" "$OUT" '^usage: ADVANCE ID WORKFLOW EVENT \[NOTE\]'
run fc advance H060 exit publish
expect_eq "advance: one line for people" "$OUT" "H060 exit publish: draft -> village_notice (at 2019-10-22 00:00)"
run fc advance H060 exit publish
expect_eq "advance refused: exit 1" "$RC" 1
expect_match "advance refused: the error on stderr" "$ERR" '^error \(state\): '
expect_eq "advance refused: nothing on stdout" "$OUT" ""
run fc metrics
expect_match "metrics: counter lines" "$OUT" 'counter +requests\{ADVANCE\} [0-9]+'

# ---- --json, exit codes, usage -------------------------------------------------------------
run fc --json status V01
expect_eq "--json: one line of JSON" "$(json '["villages"][0]["name"]' <<<"$OUT")" 勐戛村
expect_eq "--json: a single line" "$(wc -l <<<"$OUT")" 1
run fc --json household H999
expect_eq "--json error answer: exit 1" "$RC" 1
run fc nosuchverb
expect_eq "unknown verb: exit 1" "$RC" 1
expect_match "unknown verb: says so" "$ERR" 'error \(unknown\): unknown verb'
run "$FUPINCTL" -s "$T/none.sock" status
expect_eq "no daemon: exit 2" "$RC" 2
run "$FUPINCTL"
expect_eq "no verb: exit 2" "$RC" 2
expect_match "no verb: usage on stderr" "$ERR" '^usage: fupinctl'
run "$FUPINCTL" --bogus
expect_eq "bad option: exit 2" "$RC" 2
run "$FUPINCTL" -h
expect_eq "-h: exit 0" "$RC" 0
for w in overdue household advance status 'Exit status' NO_COLOR FUPIN_TOKEN; do
	[[ $OUT == *"$w"* ]] && t_ok "-h mentions $w" || t_fail "-h lacks $w"
done
run fc status "$(head -c 5000 /dev/zero | tr '\0' x)"
expect_eq "an over-long request is refused locally: exit 2" "$RC" 2

# ---- colour on a terminal ---------------------------------------------------------------------
if command -v script >/dev/null; then
	out=$(TERM=xterm script -qec "$FUPINCTL -s $T/fupind.sock overdue" /dev/null)
	[[ $out == *$'\033[31m'* ]] && t_ok "colour on a terminal" || t_fail "no colour on a terminal: $out"
	out=$(TERM=xterm NO_COLOR=1 script -qec "$FUPINCTL -s $T/fupind.sock overdue" /dev/null)
	[[ $out == *$'\033'* ]] && t_fail "colour despite NO_COLOR" || t_ok "NO_COLOR respected"
fi

# ---- bash completion -------------------------------------------------------------------------
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));
		COMP_LINE="$*"; _fupinctl; printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$FUPIN_SRC/contrib/fupinctl.bash-completion" "$@"
}
expect_match "completion: verbs" "$(comp fupinctl ov | tr '\n' ' ')" '^overdue $'
expect_match "completion: workflows after advance ID" "$(comp fupinctl advance H001 ex | tr '\n' ' ')" 'exit'
expect_match "completion: events of exit" "$(comp fupinctl advance H001 exit pu | tr '\n' ' ')" 'publish'
expect_match "completion: import kinds" "$(comp fupinctl import h | tr '\n' ' ')" 'households'
expect_match "completion: newer verbs" "$(comp fupinctl '' | tr '\n' ' ')" 'member .*analyze .*problems'
expect_match "completion: report" "$(comp fupinctl rep | tr '\n' ' ')" '^report $'
expect_match "completion: report options" "$(comp fupinctl report --h | tr '\n' ' ')" '^--html $'
expect_match "completion: member changes" "$(comp fupinctl member H001 re | tr '\n' ' ')" '^remove $'
t_done
