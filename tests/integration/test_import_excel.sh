#!/usr/bin/env bash
# fupinctl import from workbooks: the same data as the CSV fixtures, as
# .xlsx (written here with python's zipfile: numbers as numbers, dates as
# serial days, shared and inline strings, sparse rows) and as .xls (checked
# in, written once by data/mkxls.py), gives the same database; every bad
# workbook is refused naming its sheet, row and column, and nothing is
# written; the database's checks run in the same pass as the others; the
# header spellings come from the campaign's columns.conf (read by
# fupinctl; the rows go through the daemon).
. "$(dirname "$0")/lib.sh"

t_setup import_excel
t_start
wait_ready
D=$FUPIN_SRC/tests/integration/data
MK="python3 $FUPIN_SRC/tests/integration/mkxlsx.py"

imp() {
	RC=0
	"$FUPINCTL" -c "$T/fupind.conf" "$@" >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
}
count() { t_psql -c "SELECT count(*) FROM fupin.$1"; }
# The register as text, without the moments of the import.
snapshot() {
	t_psql -c "SELECT v::text FROM fupin.village v ORDER BY village_id" \
		-c "SELECT g::text FROM fupin.villager_group g ORDER BY 1" \
		-c "SELECT (to_jsonb(h) - 'updated_at' - 'imported_in')::text FROM fupin.household h ORDER BY household_id" \
		-c "SELECT m::text FROM fupin.member m ORDER BY person_id" \
		-c "SELECT concat_ws(' ', household_id, village_id, note, detail::text) FROM fupin.transition ORDER BY household_id, village_id, detail->>'person_id', 1"
}
# A fresh database for the next load (the audit trail is append-only),
# and a daemon on it.
wipe() {
	t_stop
	T_DB=fupin_import_excel_$1
	psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null
	psql -qAt -d postgres -c "CREATE DATABASE $T_DB" >/dev/null
	t_write_conf
	"$FUPIND" -c "$T/fupind.conf" --migrate >"$T/migrate.log" 2>&1 ||
		t_fail "migration of $T_DB failed"
	t_start
	wait_ready
}
load_all() {	# EXT: villages, households, members from $T/*.EXT or $D
	for k in villages households members; do
		imp import "$k" "$1/$k.$2"
		[ "$RC" = 0 ] || t_fail "import $k.$2: $ERR"
	done
}

# --- the same data three ways ----------------------------------------------
load_all "$D" csv
snapshot >"$T/csv.txt"
[ -s "$T/csv.txt" ] || t_fail "no snapshot"

wipe xlsx
$MK "$D/villages.csv" "$T/villages.xlsx" --sheet 行政村 --inline
$MK "$D/households.csv" "$T/households.xlsx" --sheet 户信息 --numbers
$MK "$D/members.csv" "$T/members.xlsx" --serial-dates
load_all "$T" xlsx
expect_eq "xlsx: summary of the last" "$OUT" \
	"members: 5 read, 5 inserted, 0 updated, 0 unchanged"
snapshot >"$T/xlsx.txt"
expect_eq "xlsx: the same database as from CSV" \
	"$(diff "$T/csv.txt" "$T/xlsx.txt" && echo same)" same

wipe xls
load_all "$D" xls
snapshot >"$T/xls.txt"
expect_eq "xls: the same database as from CSV" \
	"$(diff "$T/csv.txt" "$T/xls.txt" && echo same)" same
imp import households "$D/households.xls"
expect_eq "xls: re-import changes nothing" "$OUT" \
	"households: 6 read, 0 inserted, 0 updated, 6 unchanged"

# The 1904 date system and a named sheet behind an empty first one.
$MK "$D/members.csv" "$T/m1904.xlsx" --serial-dates --date1904 \
	--first-sheet 说明 --sheet 成员
imp import members "$T/m1904.xlsx"
expect_eq "empty first sheet" "$RC" 1
expect_eq "empty first sheet: said so" "$ERR" \
"$T/m1904.xlsx:说明:1: the sheet is empty: a header row is needed
1 bad line; nothing imported"
imp import members "$T/m1904.xlsx" --sheet 成员
expect_eq "--sheet: 1904 dates converted" "$OUT" \
	"members: 5 read, 0 inserted, 0 updated, 5 unchanged"
imp import members "$T/m1904.xlsx" --sheet 无此表
expect_match "--sheet: unknown name" "$ERR" "no sheet named '无此表' \(the workbook has: 说明, 成员\)"

# A household id stored as a whole number is taken as its digits.
printf 'household_id,village_id,head_name,size,category,food,clothing,education,medical,housing\n5301,MG01,岩数,1,ordinary,1,1,1,1,1\n' >"$T/numid.csv"
$MK "$T/numid.csv" "$T/numid.xlsx" --numbers
imp import households "$T/numid.xlsx"
expect_eq "numeric household id: imported" "$RC" 0
expect_eq "numeric household id: as text" \
	"$(t_psql -c "SELECT head_name FROM fupin.household WHERE household_id = '5301'")" 岩数

# --- bad workbooks: each refused, nothing written ---------------------------
before=$(snapshot | md5sum)
bad() {	# NAME KIND FILE WANT...: the errors, exactly
	local name=$1 kind=$2 file=$3; shift 3
	imp import "$kind" "$file"
	expect_eq "$name: exit 1" "$RC" 1
	expect_eq "$name: errors" "$ERR" "$(printf '%s\n' "$@")"
}

# Encrypted: Excel writes a compound file holding EncryptedPackage.
python3 - "$T/secret.xlsx" <<'PY'
import sys
name = "EncryptedPackage".encode("utf-16-le")
data = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504) + name + bytes(1024)
open(sys.argv[1], "wb").write(data)
PY
bad "password-protected" households "$T/secret.xlsx" \
	"$T/secret.xlsx:1: the workbook is password-protected (an encrypted package, not a zip file): save it without a password to open" \
	"1 bad line; nothing imported"

head -c 3000 /dev/urandom | tr -d 'P' >"$T/noise.xlsx"
imp import households "$T/noise.xlsx"
expect_match "unreadable: said so" "$ERR" "noise.xlsx:1: unreadable workbook"
$MK "$D/households.csv" "$T/cut.xlsx"
head -c 300 "$T/cut.xlsx" >"$T/truncated.xlsx"
imp import households "$T/truncated.xlsx"
expect_match "truncated zip: unreadable" "$ERR" "truncated.xlsx:1: unreadable workbook"
python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1],'w').writestr('hello.txt','hi')" "$T/nowb.xlsx"
bad "a zip that is no workbook" households "$T/nowb.xlsx" \
	"$T/nowb.xlsx:1: unreadable workbook: a zip file without xl/workbook.xml" \
	"1 bad line; nothing imported"
printf 'x\n' >"$T/empty.csv"
$MK "$T/empty.csv" "$T/empty.xlsx" --skip-row 1
bad "empty sheet" households "$T/empty.xlsx" \
	"$T/empty.xlsx:Sheet1:1: the sheet is empty: a header row is needed" \
	"1 bad line; nothing imported"
$MK "$D/households.csv" "$T/merged.xlsx" --merge A1:B1
bad "merged header cells" households "$T/merged.xlsx" \
	"$T/merged.xlsx:Sheet1:1: merged header cells A1:B1: each column needs its own header cell (unmerge them)" \
	"1 bad line; nothing imported"
$MK "$D/households.csv" "$T/mergedrows.xlsx" --merge C2:C3
bad "merged data cells" households "$T/mergedrows.xlsx" \
	"$T/mergedrows.xlsx:Sheet1:2: merged cells C2:C3: only the first holds the value (unmerge them and fill in every row)" \
	"1 bad line; nothing imported"
# 18 digits in a number cell: Excel keeps 15 of them.
$MK "$D/members.csv" "$T/idnum.xlsx" --cell 'B3=n:5.3310319800303E+17'
bad "person id stored as a number" members "$T/idnum.xlsx" \
	"$T/idnum.xlsx:Sheet1:3: column person_id at B3: 5.3310319800303E+17 is stored as a number: an identity number has 18 digits and a number keeps 15, so the last ones are lost; format the column as text and enter the numbers again" \
	"1 bad line; nothing imported"
$MK "$D/members.csv" "$T/serial60.xlsx" --cell 'E2=n:60'
bad "1900-02-29" members "$T/serial60.xlsx" \
	"$T/serial60.xlsx:Sheet1:2: column birth_date at E2: 60 is stored as a number and is no day of the 1900 date system (60 is 1900-02-29, which never was)" \
	"1 bad line; nothing imported"
$MK "$D/households.csv" "$T/formula.xlsx" --numbers --cell 'I2=f:SUM(J2:N2)*700;3500'
bad "formula" households "$T/formula.xlsx" \
	"$T/formula.xlsx:Sheet1:2: column income_per_capita at I2: a formula: fupinctl takes values, not formulas (copy the column and paste it as values)" \
	"1 bad line; nothing imported"
$MK "$D/households.csv" "$T/text.xlsx" --numbers --cell 'E3=s:三' --cell 'I5=e:#N/A'
bad "text in a number column; an error cell" households "$T/text.xlsx" \
	"$T/text.xlsx:Sheet1:3: column size at E3: '三' is not a whole number" \
	"$T/text.xlsx:Sheet1:5: column income_per_capita at I5: the cell holds the error #N/A" \
	"2 bad lines; nothing imported"
$MK "$D/villages.csv" "$T/stray.xlsx" --cell 'E3=s:备注'
bad "data beyond the header" villages "$T/stray.xlsx" \
	"$T/stray.xlsx:Sheet1:3: cell E3 holds '备注' but its column has no header" \
	"1 bad line; nothing imported"
expect_eq "bad workbooks: nothing written" "$(snapshot | md5sum)" "$before"

# JSON names the sheet and the cell.
imp --json import households "$T/formula.xlsx"
expect_eq "json: sheet and cell" "$(json '["errors"][0]' <<<"$OUT")" \
	'{"line": 2, "sheet": "Sheet1", "cell": "I2", "column": "income_per_capita", "reason": "a formula: fupinctl takes values, not formulas (copy the column and paste it as values)"}'

# --- one pass: an unknown village is listed with the other bad lines --------
cat >"$T/mixed.csv" <<'CSV'
household_id,village_id,group,head_name,size,category,identified_year,lifted_year,income_per_capita,food,clothing,education,medical,housing,risk,relapse_reason
H301,MG01,一组,岩一,0,poor,2014,,3512,1,1,1,1,1,,
H302,MG99,一组,岩二,2,poor,2014,,3512,1,1,1,1,1,,
H303,MG01,一组,岩三,2,poor,2014,,3512,1,1,1,1,1,因懒,
H304,MG02,,岩四,3,rich,2014,,3512,1,1,1,1,1,,
H305,XX01,,岩五,3,poor,2014,,3512,1,1,1,1,1,,
CSV
imp import households "$T/mixed.csv"
expect_eq "one pass: exit" "$RC" 1
expect_eq "one pass: every bad line at once" "$(sed 's/ (.*//' <<<"$ERR")" \
"$T/mixed.csv:2: column size: must be between 1 and 50
$T/mixed.csv:3: column village_id: unknown village MG99
$T/mixed.csv:4: column risk: unknown value '因懒': not in the campaign's list
$T/mixed.csv:5: column category: unknown category 'rich'
$T/mixed.csv:6: column village_id: unknown village XX01
5 bad lines; nothing imported"
$MK "$T/mixed.csv" "$T/mixed.xlsx" --numbers
imp import households "$T/mixed.xlsx"
expect_match "one pass in a workbook too" "$ERR" "mixed.xlsx:Sheet1:6: column village_id at B6: unknown village XX01"
expect_eq "one pass: nothing written" "$(snapshot | md5sum)" "$before"

# --- header spellings are the campaign's, not the code's ---------------------
mkdir -p "$T/wf"
cp -r "$FUPIN_SRC/workflows/2019" "$T/wf/"
sed -i 's/head_name = \[ "户主姓名"/head_name = [ "户主名字", "户主姓名"/' "$T/wf/2019/columns.conf"
sed "s|dir = \"$FUPIN_SRC/workflows\"|dir = \"$T/wf\"|" "$T/fupind.conf" >"$T/wf.conf"
sed 's/^户编号,户主姓名,/户编号,户主名字,/' "$D/households_zh.csv" >"$T/other.csv"
RC=0; "$FUPINCTL" -c "$T/wf.conf" import households "$T/other.csv" >"$T/out" 2>"$T/err" || RC=$?
expect_eq "another spelling from columns.conf" "$(cat "$T/out")" \
	"households: 4 read, 4 inserted, 0 updated, 0 unchanged"
sed -i 's/head_name = \[/head_nmae = [/' "$T/wf/2019/columns.conf"
RC=0; "$FUPINCTL" -c "$T/wf.conf" import households "$T/other.csv" >"$T/out" 2>"$T/err" || RC=$?
expect_eq "a mistake in columns.conf: exit 2" "$RC" 2
expect_match "a mistake in columns.conf: where" "$(cat "$T/err")" \
	"columns.conf:[0-9]+: columns.households.head_nmae: unknown key \(did you mean 'head_name'\?\)"
t_done
