#!/usr/bin/env bash
# fupinctl import: good files load with the right counts, bad files are
# refused with every bad line numbered (as an editor shows it) and nothing
# written, re-imports change nothing, changes are audited with old/new
# values, and GB18030, BOM, CRLF and Chinese headers all come in. Imports
# go through the daemon (IMPORT on its socket).
. "$(dirname "$0")/lib.sh"

t_setup import
D=$FUPIN_SRC/tests/integration/data
t_start
wait_ready

# imp ARGS: run fupinctl import; sets OUT, ERR and RC.
imp() {
	RC=0
	"$FUPINCTL" -c "$T/fupind.conf" "$@" >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
}
count() { t_psql -c "SELECT count(*) FROM fupin.$1"; }

# --- villages ------------------------------------------------------------
imp import villages "$D/villages.csv"
expect_eq "villages: exit" "$RC" 0
expect_eq "villages: summary" "$OUT" \
	"villages: 3 read, 3 inserted, 0 updated, 0 unchanged"
expect_eq "villages: rows" "$(count village)" 3
expect_eq "villages: audited" \
	"$(t_psql -c "SELECT count(*) FROM fupin.transition WHERE event = 'import' AND role = 'import' AND village_id IS NOT NULL AND household_id IS NULL AND workflow IS NULL")" 3

# --- a file with bad lines of every kind: nothing is written --------------
imp import households "$D/households_bad.csv"
expect_eq "bad households: exit" "$RC" 1
F=$D/households_bad.csv
expect_eq "bad households: every line, column and reason" "$ERR" \
"$F:3: column size: must be between 1 and 50
$F:4: column category: unknown category 'rich' (poor, lifted, relapsed, marginal, monitoring, ordinary)
$F:5: column income_per_capita: must not be negative
$F:6: column relapse_reason: a relapsed household needs the reason it fell back
$F:8: column identified_year: '14' is not a year (1980-2100)
$F:9: column clothing: 'maybe' is not 1 or 0
$F:10: column household_id: H101 also on line 2
$F:11: 7 fields, the header has 16
$F:12: column head_name: required
$F:13: column income_per_capita: more than 2 decimals
10 bad lines; nothing imported"
expect_eq "bad households: nothing written" "$(count household)" 0
expect_eq "bad households: no group created" "$(count villager_group)" 0

# --- good households (a quoted field with a comma and a line break) -------
imp import households "$D/households.csv"
expect_eq "households: exit" "$RC" 0
expect_eq "households: summary" "$OUT" \
	"households: 6 read, 6 inserted, 0 updated, 0 unchanged"
expect_eq "households: quoted comma and line break" \
	"$(t_psql -c "SELECT head_name = E'Zhang, San\n(张三)' FROM fupin.household WHERE household_id = 'H002'")" t
expect_eq "households: a risk as the national export writes it is stored as its code" \
	"$(t_psql -c "SELECT risk FROM fupin.household WHERE household_id = 'H002'")" illness
expect_eq "households: the row after the quoted break; a relapse reason by its alias" \
	"$(t_psql -c "SELECT category || ' ' || relapse_reason || ' ' || income_per_capita FROM fupin.household WHERE household_id = 'H003'")" \
	"relapsed illness 2900.00"
expect_eq "households: guarantees true/false" \
	"$(t_psql -c "SELECT medical::text || food::text FROM fupin.household WHERE household_id = 'H005'")" \
	"falsetrue"
expect_eq "households: no income is NULL" \
	"$(t_psql -c "SELECT income_per_capita IS NULL FROM fupin.household WHERE household_id = 'H006'")" t
expect_eq "households: villager groups created" \
	"$(t_psql -c "SELECT string_agg(village_id || '/' || name, ' ' ORDER BY village_id, name) FROM fupin.villager_group")" \
	"MG01/一组 MG01/二组 MG02/三组 MG03/一组"
expect_eq "households: audited by batch (100 lines a row), each naming its row" \
	"$(t_psql -c "SELECT count(*) || ' ' || sum((SELECT count(*) FROM jsonb_object_keys(detail->'households'))) || ' ' || (SELECT count(*) FROM fupin.household h WHERE h.imported_in = max(t.transition_id)) FROM fupin.transition t WHERE event = 'import' AND household_id IS NULL AND village_id IS NULL AND detail ? 'households'")" "1 6 6"
# hist ID COLUMNS: a household's audit trail, as fupin.household_history
# hands it out (its own rows and its batch's image)
hist() { t_psql -c "SELECT $2 FROM fupin.household_history('$1') t ORDER BY transition_id"; }
expect_eq "households: each has its insert in its history" \
	"$(t_psql -c "SELECT string_agg(h.household_id || ':' || (SELECT string_agg(t.note, ',') FROM fupin.household_history(h.household_id) t), ' ' ORDER BY h.household_id) FROM fupin.household h")" \
	"H001:insert H002:insert H003:insert H004:insert H005:insert H006:insert"
expect_eq "households: audit actor is the principal the daemon authenticated" \
	"$(hist H001 "actor")" "uid $(id -u)"
expect_eq "households: insert audit holds the row as imported" \
	"$(hist H001 "detail->>'size' || ' ' || (detail->>'village_id') || ' ' || (detail ? 'lifted_year') || ' ' || household_id")" \
	"4 MG01 false H001"
expect_eq "households: HOUSEHOLD's history shows the insert" \
	"$(jv "$(req household H002)" '"|".join([j["history"][0]["note"], j["history"][0]["detail"]["head_name"], j["history"][0]["actor"]])')" \
	"insert|Zhang, San
(张三)|uid $(id -u)"

# --- re-import: no change, no duplicate, no audit -------------------------
before=$(count transition)
imp import households "$D/households.csv"
expect_eq "re-import: summary" "$OUT" \
	"households: 6 read, 0 inserted, 0 updated, 6 unchanged"
expect_eq "re-import: no duplicate rows" "$(count household)" 6
expect_eq "re-import: no audit rows" "$(count transition)" "$before"

# --- changed income: one update, audited with old and new -----------------
sed 's/^H001,MG01,一组,岩温,4,poor,2014,,3512,/H001,MG01,一组,岩温,4,poor,2014,,3800,/' \
	"$D/households.csv" >"$T/changed.csv"
imp --json import households "$T/changed.csv"
expect_eq "changed: json" "$OUT" \
	'{"ok":true,"kind":"households","read":6,"inserted":0,"updated":1,"unchanged":5}'
expect_eq "changed: stored" \
	"$(t_psql -c "SELECT income_per_capita FROM fupin.household WHERE household_id = 'H001'")" 3800.00
expect_eq "changed: audit old/new, only that field" \
	"$(t_psql -c "SELECT detail::text FROM fupin.transition WHERE household_id = 'H001' AND note = 'update'")" \
	'{"income_per_capita": {"new": 3800.00, "old": 3512.00}}'

# --- a column left out keeps the stored value ------------------------------
printf 'household_id,village_id,head_name,size,category,food,clothing,education,medical,housing\nH001,MG01,岩温,5,poor,1,1,1,1,0\n' \
	>"$T/partial.csv"
imp import households "$T/partial.csv"
expect_eq "partial: summary" "$OUT" \
	"households: 1 read, 0 inserted, 1 updated, 0 unchanged"
expect_eq "partial: absent columns kept" \
	"$(t_psql -c "SELECT size || ' ' || income_per_capita || ' ' || group_name || ' ' || identified_year FROM fupin.household WHERE household_id = 'H001'")" \
	"5 3800.00 一组 2014"
expect_eq "history: the insert as imported, then each change" \
	"$(hist H001 "note || ' ' || coalesce(detail->'size'->>'new', detail->>'size', '-') || ' ' || coalesce(detail->'income_per_capita'->>'new', detail->>'income_per_capita', '-')" | tr '\n' '|')" \
	"insert 4 3512.00|update - 3800.00|update 5 -|"
# who last changed a field, and when (the README's query)
who() { t_psql -c "SELECT note || ' ' || actor || ' ' || (at IS NOT NULL) FROM fupin.household_history('H001') WHERE detail ? '$1' ORDER BY transition_id DESC LIMIT 1"; }
expect_eq "who changed income: the import that updated it" "$(who income_per_capita)" "update uid $(id -u) true"
expect_eq "who set the head's name: the batch that brought the household" "$(who head_name)" "insert uid $(id -u) true"

# --- a household moved to another village keeps its batch in its history ---
sed -n '1p;/^H006,/p' "$D/households.csv" | sed 's/^H006,MG03,一组,/H006,MG02,,/' >"$T/moved.csv"
imp import households "$T/moved.csv"
expect_eq "moved: summary" "$OUT" \
	"households: 1 read, 0 inserted, 1 updated, 0 unchanged"
expect_eq "moved: its insert is still found, in the old village" \
	"$(hist H006 "note || ' ' || coalesce(detail->'village_id'->>'new', detail->>'village_id')" | tr '\n' '|')" \
	"insert MG03|update MG02|"

# --- what only the database knows: unknown villages, per line -------------
imp import households "$D/households_fk.csv"
F=$D/households_fk.csv
expect_eq "unknown village: exit" "$RC" 1
expect_eq "unknown village: lines" "$ERR" \
"$F:3: column village_id: unknown village MG99
$F:5: column village_id: unknown village XX01
2 bad lines; nothing imported"
expect_eq "unknown village: good lines not written either" \
	"$(t_psql -c "SELECT count(*) FROM fupin.household WHERE household_id IN ('H201', 'H203')")" 0

# --- BOM, CRLF, Chinese headers in another order, Chinese words ------------
imp import households "$D/households_zh.csv"
expect_eq "chinese: summary" "$OUT" \
	"households: 4 read, 4 inserted, 0 updated, 0 unchanged"
expect_eq "chinese: values" \
	"$(t_psql -c "SELECT string_agg(household_id || ':' || category || ':' || medical || ':' || income_per_capita || ':' || coalesce(relapse_reason, '-'), ' ' ORDER BY household_id) FROM fupin.household WHERE household_id LIKE 'Z%'")" \
	"Z001:poor:false:3300.00:- Z002:lifted:true:6100.00:- Z003:relapsed:true:2500.00:disaster Z004:marginal:true:4500.00:-"
expect_eq "chinese: no CR left in values" \
	"$(t_psql -c "SELECT count(*) FROM fupin.household WHERE household_id LIKE 'Z%' AND (relapse_reason LIKE E'%\r%' OR head_name LIKE E'%\r%')")" 0
# A bad value is named by its column and the header the file used.
sed 's/^Z001,岩应,MG01,四组,3,/Z001,岩应,MG01,四组,三,/' "$D/households_zh.csv" >"$T/zh_bad.csv"
imp import households "$T/zh_bad.csv"
expect_match "chinese: bad value names the Chinese header" "$ERR" \
	":2: column size \(家庭人口\): '三' is not a whole number"

# --- GB18030 (as Excel saves in China) -------------------------------------
tail -c +4 "$D/households_zh.csv" | sed 's/^Z/G/' | iconv -f UTF-8 -t GB18030 >"$T/gb.csv"
if iconv -f UTF-8 -t UTF-8 "$T/gb.csv" >/dev/null 2>&1; then
	t_fail "gb18030: test file is still UTF-8"
fi
imp import households "$T/gb.csv"
expect_eq "gb18030: exit" "$RC" 0
expect_match "gb18030: said so" "$ERR" "converted from GB18030"
expect_eq "gb18030: summary" "$OUT" \
	"households: 4 read, 4 inserted, 0 updated, 0 unchanged"
expect_eq "gb18030: text arrives as UTF-8" \
	"$(t_psql -c "SELECT head_name || category FROM fupin.household WHERE household_id = 'G003'")" \
	"岩三relapsed"
# Neither UTF-8 nor GB18030: the first bad line is named.
printf 'village_id,name,township\nA1,x,y\nA2,\xff\xfe\x80,y\n' >"$T/garbage.csv"
imp import villages "$T/garbage.csv"
expect_eq "garbage: exit" "$RC" 1
expect_match "garbage: line" "$ERR" "garbage.csv:3: neither UTF-8 nor GB18030"
expect_eq "garbage: nothing written" "$(count village)" 3

# --- an unclosed quote is reported where it opened -------------------------
printf 'village_id,name,township\nA1,x,y\nA2,"open,y\nA3,z,y\n' >"$T/quote.csv"
imp import villages "$T/quote.csv"
expect_eq "unclosed quote: exit" "$RC" 1
expect_match "unclosed quote: line" "$ERR" "quote.csv:3: quoted field is not closed"

# --- members ------------------------------------------------------------
imp import members "$D/members.csv"
expect_eq "members: summary" "$OUT" \
	"members: 5 read, 5 inserted, 0 updated, 0 unchanged"
expect_eq "members: lower-case x normalised" \
	"$(t_psql -c "SELECT count(*) FROM fupin.member WHERE person_id = '53310320050101031X'")" 1
expect_eq "members: natural decrease" \
	"$(t_psql -c "SELECT change || ' ' || removed || ' ' || change_reason || ' ' || change_date FROM fupin.member WHERE person_id = '533103199002280520'")" \
	"decrease true marriage_out 2019-05-01"
expect_eq "members: audited with the person" \
	"$(t_psql -c "SELECT count(*) FROM fupin.transition WHERE detail->>'person_id' = '533103196511200417' AND household_id = 'H002' AND village_id = 'MG01'")" 1
imp import members "$D/members.csv"
expect_eq "members: re-import" "$OUT" \
	"members: 5 read, 0 inserted, 0 updated, 5 unchanged"

imp import members "$D/members_bad.csv"
F=$D/members_bad.csv
expect_eq "bad members: exit" "$RC" 1
expect_eq "bad members: every line" "$ERR" \
"$F:2: column person_id: check character of 533103197805120119 should be 8
$F:3: column birth_date: 1980-03-04 differs from the birth date in the identity number (1980-03-03)
$F:4: column person_id: 53310319800303022X also on line 3
$F:5: column person_id: '12345' is not 17 digits and a check character
$F:6: column change_reason: a natural decrease needs its reason
$F:6: column change_date: a natural decrease needs its date
$F:7: column name: required
$F:8: column person_id: 533103201213150611 holds no valid birth date
7 bad lines; nothing imported"

imp import members "$D/members_db.csv"
F=$D/members_db.csv
expect_eq "members vs database: exit" "$RC" 1
expect_eq "members vs database: lines" "$ERR" \
"$F:3: column person_id: 533103197805120118 is already a member of household H001
$F:4: column household_id: unknown household H999
2 bad lines; nothing imported"
expect_eq "members vs database: nothing written" "$(count member)" 5

# --- --json on bad data ----------------------------------------------------
imp --json import members "$D/members_db.csv"
expect_eq "json bad: ok" "$(json '["ok"]' <<<"$OUT")" false
expect_eq "json bad: first error" \
	"$(json '["errors"][0]' <<<"$OUT")" \
	'{"line": 3, "column": "person_id", "reason": "533103197805120118 is already a member of household H001"}'

# --- could not run: exit 2 -------------------------------------------------
imp import villages "$T/no-such-file.csv"
expect_eq "no file: exit 2" "$RC" 2
printf 'control: { socket = "%s/absent.sock"; };\n' "$T" >"$T/nodaemon.conf"
RC=0; "$FUPINCTL" -c "$T/nodaemon.conf" import villages "$D/villages.csv" \
	>/dev/null 2>"$T/err" || RC=$?
expect_eq "no daemon: exit 2" "$RC" 2
expect_match "no daemon: says so" "$(cat "$T/err")" "cannot reach fupind"
imp import parishes "$D/villages.csv"
expect_eq "unknown kind: exit 2" "$RC" 2

# --- the audit trail is whole: nothing failed left a row --------------------
# villages 3, households by batch (one row for each of three files),
# updates 3, members 5
expect_eq "audit: rows" "$(count "transition WHERE event = 'import'")" \
	"$(t_psql -c "SELECT 3 + 1 + 3 + 1 + 1 + 5")"
expect_eq "audit: every household imported has its insert, once" \
	"$(t_psql -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE (SELECT count(*) FROM fupin.household_history(h.household_id) t WHERE t.note = 'insert' AND NOT t.detail ? 'person_id') = 1) FROM fupin.household h")" \
	"14 14"

t_done
