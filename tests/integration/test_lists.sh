#!/usr/bin/env bash
# fupinctl list / tables: the documents of each stage, for villages with
# Chinese names and households driven through the procedures with ADVANCE
# on the manual clock. Each list in each format: CSV (UTF-8 BOM, gb18030
# round trip through iconv, formulas neutralised), xlsx read back (frozen
# header, widths, numbers as numbers, no formula), HTML in headless
# Chromium; the township list with a subtotal per village; a village team
# refused another village's list; documents in pages when
# control.max_output is small; the verification tables.
. "$(dirname "$0")/lib.sh"

t_setup lists
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$("$FUPINCTL" new-token)
TV2=$(sed -n 's/^token: //p' <<<"$out")
TV2_HASH=$(sed -n 's/^hash:  //p' <<<"$out")
t_write_conf "
access = (
  { role = \"admin\"; users = [\"root\", \"$(id -un)\"]; },
  { role = \"village\"; village = \"V02\"; name = \"芒蚌村工作队\"; token = \"$TV2_HASH\"; }
);"
sed -i "s|^control: .*|control: { socket = \"$T/fupind.sock\"; listen = \"127.0.0.1:$PORT\"; };|" "$T/fupind.conf"

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.villager_group VALUES ('V01', '坝头组'), ('V01', '-组'), ('V02', '上寨');
INSERT INTO fupin.household (household_id, village_id, group_name, head_name, size,
    category, identified_year, lifted_year, income_per_capita, food, clothing,
    education, medical, housing, risk, relapse_reason)
VALUES
 ('H001', 'V01', '坝头组', '岩温', 4, 'poor', 2014, NULL, 4200, true, true, true, true, true, NULL, NULL),
 ('H002', 'V01', '坝头组', '玉香', 3, 'poor', 2014, NULL, 4100.5, true, true, true, true, true, NULL, NULL),
 ('H003', 'V01', '-组', '=SUM(1,2)', 2, 'ordinary', NULL, NULL, 4000, true, true, true, true, true, 'illness', NULL),
 ('H004', 'V01', '坝头组', '@李明', 5, 'lifted', 2014, 2017, 3000, true, true, true, true, true, 'weak_industry', NULL),
 ('H060', 'V02', '上寨', '线艳琼', 6, 'ordinary', NULL, NULL, 3000, true, true, true, true, false, NULL, NULL),
 ('H061', 'V02', '上寨', '岩罕', 3, 'poor', 2015, NULL, 5000, true, true, true, true, true, NULL, NULL);
INSERT INTO fupin.member (person_id, household_id, name, relation, birth_date) VALUES
 ('533103198001010014', 'H001', '岩温', '户主', '1980-01-01'),
 ('533103198203040027', 'H001', '玉南', '配偶', '1982-03-04');
SQL
t_start
wait_ready

# The steps: exits, an inclusion, the marginal and monitoring surveys.
adv H001 exit propose; adv H001 exit publish
adv H002 exit propose; adv H002 exit publish
adv H061 exit propose; adv H061 exit publish
adv H060 inclusion propose; adv H060 inclusion publish
clock_set 2019-10-14T09:00:00+08:00
adv H001 exit submit; adv H001 exit approve
adv H061 exit submit; adv H061 exit approve
adv H003 marginal survey; adv H003 marginal list
adv H004 monitoring assess; adv H004 monitoring mark; adv H004 monitoring list
clock_set 2019-10-20T09:00:00+08:00
adv H001 exit request
clock_set 2019-11-28T09:00:00+08:00
expect_code "ANALYZE" ok analyze

L() { "$FUPINCTL" -s "$T/fupind.sock" "$@"; }
D=$T/docs; mkdir -p "$D"

# ---- CSV --------------------------------------------------------------------
L list village-notice V01 >"$D/vn.csv" 2>"$D/err" || t_fail "list village-notice: $(cat "$D/err")"
expect_eq "csv: UTF-8 BOM" "$(head -c 3 "$D/vn.csv" | od -An -tx1 | tr -d ' ')" efbbbf
expect_match "csv: header as the form" "$(head -1 "$D/vn.csv")" "户编号,村民小组,户主姓名,家庭人口,户类别,人均纯收入（元）,不愁吃,不愁穿"
expect_match "csv: H001 with its notice dates" "$(grep H001 "$D/vn.csv")" "^勐戛村,H001,坝头组,岩温,4,建档立卡贫困户,4200,是,是,是,是,是,脱贫退出,,2019-10-08,2019-10-14,向市扶贫开发领导小组提出退出请示"
expect_match "csv: H002 still in notice (ends after the minimum days)" "$(grep H002 "$D/vn.csv")" "4100.50,.*2019-10-08,2019-10-13,村级公示"
expect_eq "csv: only the village's households" "$(grep -c H06 "$D/vn.csv")" 0
expect_match "csv: total" "$(tail -1 "$D/vn.csv")" "^合计,2户,,,7,"
expect_eq "by Chinese kind name too" "$(L list 村级公示 V01 | md5sum)" "$(md5sum <"$D/vn.csv")"

L list village-notice V01 --encoding gb18030 -o "$D/vn-gb.csv" || t_fail "gb18030"
expect_eq "gb18030: no BOM, converts back to the same text" \
	"$(iconv -f gb18030 -t utf-8 "$D/vn-gb.csv" | md5sum)" "$(tail -c +4 "$D/vn.csv" | md5sum)"
expect_eq "gb18030: really GB18030 (岩温)" "$(grep -c "$(printf '\xd1\xd2\xce\xc2')" "$D/vn-gb.csv")" 1

L list marginal V01 -o "$D/m.csv"
expect_match "csv: a formula-like head is quoted text (the survey marked it 边缘户)" "$(grep H003 "$D/m.csv")" "^勐戛村,H003,\"'-组\",\"'=SUM\(1,2\)\",2,边缘户,4000,是,是,是,是,是,因病,2019-10-14,村级名单"
L list monitoring -o "$D/mo.csv"
expect_match "csv: @ neutralised" "$(grep H004 "$D/mo.csv")" "\"'@李明\".*产业支撑不足,2019-10-14,村级名单"

# The township list: a subtotal per village, then the total.
L list township-notice -o "$D/tn.csv"
expect_eq "township list: a subtotal per village and a total" \
	"$(grep -o '^[^,]*小计,[^,]*\|^合计,[^,]*' "$D/tn.csv" | tr '\n' ' ')" "勐戛村 小计,1户 芒蚌村 小计,1户 合计,2户 "
expect_match "township list: V02's subtotal after its rows" "$(tail -2 "$D/tn.csv" | head -1)" "^芒蚌村 小计,1户,,,3,"
L list exit-request -o "$D/er.csv"
expect_match "exit request: H001 with its township notice and request dates" "$(grep H001 "$D/er.csv")" "2019-10-14,2019-10-20,2019-10-20,向市扶贫开发领导小组提出退出请示"
expect_eq "exit request: only what went to the city" "$(grep -c '^[^合]' "$D/er.csv")" 3
L list inclusion -o "$D/in.csv"
expect_match "inclusion: H060 newly identified" "$(grep H060 "$D/in.csv")" "芒蚌村,H060,上寨,线艳琼,6,一般农户,3000,是,是,是,是,否,新识别,,2019-10-08,2019-10-13,村级公示"
L list problems -o "$D/pr.csv"
expect_match "problems: the rule, the finding, where it stands" "$(grep H004 "$D/pr.csv")" "H004,坝头组,\"'@李明\",,已脱贫户人均纯收入低于退出标准,income 3000.00 < 3750.00,2019-11-28,问题清单,否"

# ---- xlsx, read back --------------------------------------------------------
for k in village-notice township-notice exit-request inclusion marginal monitoring problems; do
	L list "$k" --format xlsx -o "$D/$k.xlsx" || t_fail "xlsx $k"
done
python3 - "$D" >"$D/xlsx.txt" <<'PY' || t_fail "xlsx read back: $(cat "$D/xlsx.txt")"
import re, sys, zipfile
d = sys.argv[1]
def sheet(path, n=1):
    z = zipfile.ZipFile(path)
    ss = re.findall(r"<si><t[^>]*>(.*?)</t></si>", z.read("xl/sharedStrings.xml").decode())
    xml = z.read("xl/worksheets/sheet%d.xml" % n).decode()
    cells = {}
    for m in re.finditer(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', xml):
        col, row, attrs, body = m.groups()
        v = re.search(r"<v>(.*?)</v>", body or "")
        if v is None: continue
        cells[(int(row), col)] = ss[int(v.group(1))] if 't="s"' in attrs else float(v.group(1))
    return xml, cells
for k in ["village-notice", "township-notice", "exit-request", "inclusion", "marginal", "monitoring", "problems"]:
    xml, cells = sheet("%s/%s.xlsx" % (d, k))
    assert 'state="frozen"' in xml and 'ySplit="3"' in xml, k + ": header not frozen"
    assert "<f>" not in xml, k + ": a formula"
    assert cells.get((3, "A")) == "行政村", (k, cells.get((3, "A")))
    assert "勐戛镇" in cells.get((1, "A"), ""), k + ": title"
    print(k, "ok")
xml, cells = sheet(d + "/township-notice.xlsx")
assert cells[(4, "E")] == 4.0, ("size as a number", cells[(4, "E")])
assert cells[(4, "G")] == 4200.0, ("income as a number", cells[(4, "G")])
assert cells[(5, "A")] == "勐戛村 小计", cells[(5, "A")]
widths = [float(w) for w in re.findall(r'<col [^>]*width="([0-9.]+)"', xml)]
assert len(widths) >= 10 and max(widths) >= 18, ("widths for Chinese text", widths)
xml, cells = sheet(d + "/marginal.xlsx")
heads = [v for (r, c), v in cells.items() if c == "D"]
assert "=SUM(1,2)" in heads, ("the formula-like head is a string", heads)
print("numbers, subtotals, widths, strings ok")
PY
expect_eq "xlsx: every list read back" "$(grep -c ok "$D/xlsx.txt")" 8

# ---- HTML in Chromium -------------------------------------------------------
for k in village-notice problems; do
	L list "$k" V01 --format html -o "$D/$k.html" || t_fail "html $k"
done
L list township-notice -o "$D/township-notice.html"
expect_match "html: self-contained" "$(grep -c 'src=\|href=\|@import\|url(' "$D"/*.html | cut -d: -f2 | sort -u | tr -d '\n')" "^0$"
expect_match "html: A4 and page counters" "$(cat "$D/village-notice.html")" "size:A4 landscape.*counter\(page\)"
L tables V01 -o "$D/tables" >"$D/tables.out" || t_fail "tables html"
expect_eq "tables: a file per village" "$(cat "$D/tables.out")" "$D/tables/tables-V01.html"
L tables --format xlsx -o "$D/tables" >/dev/null || t_fail "tables xlsx"
L tables --format csv -o "$D/tables" >/dev/null || t_fail "tables csv"
expect_eq "tables csv: a row per member, the head first" "$(grep -c '^勐戛村,H001' "$D/tables/tables-V01.csv")" 2
python3 - "$D/tables/tables.xlsx" <<'PY' && t_ok "tables xlsx: a sheet per village" || t_fail "tables xlsx sheets"
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = re.findall(r'<sheet name="([^"]*)"', z.read("xl/workbook.xml").decode())
assert names == ["勐戛村", "芒蚌村"], names
assert "rowBreaks" in z.read("xl/worksheets/sheet1.xml").decode()
PY

if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		chromium fonts-wqy-zenhei >/dev/null 2>&1 || true
fi
if command -v chromium >/dev/null; then
	chrome() {
		timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
			--no-first-run --disable-background-networking --disable-component-update \
			--disable-sync --user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" "$@"
	}
	for f in village-notice township-notice problems tables/tables-V01; do
		chrome --dump-dom "file://$D/$f.html" >"$D/dom.html" 2>/dev/null || t_fail "chromium $f"
		expect_match "chromium: $f has its title, township and date" "$(cat "$D/dom.html")" "勐戛镇.*2019-11-28"
	done
	expect_match "chromium: the township notice holds both villages" "$(cat "$D/dom.html" /dev/null; chrome --dump-dom "file://$D/township-notice.html" 2>/dev/null)" "芒蚌村 小计.*合计"
	chrome --dump-dom "file://$D/tables/tables-V01.html" >"$D/dom.html" 2>/dev/null
	expect_match "chromium: tables with members, a blank measures section, findings, signatures" \
		"$(cat "$D/dom.html")" "玉南.*帮扶措施.*尚无帮扶措施.*已脱贫户人均纯收入低于退出标准.*户主签字"
	chrome --print-to-pdf="$D/tables.pdf" --no-pdf-header-footer "file://$D/tables/tables-V01.html" >/dev/null 2>&1 ||
		t_fail "chromium --print-to-pdf"
	pages=$(python3 -c 'import re, sys; print(len(re.findall(rb"/Type\s*/Page\b(?!s)", open(sys.argv[1], "rb").read())))' "$D/tables.pdf")
	expect_eq "pdf: one A4 page per household (4 in 勐戛村)" "$pages" 4
	chrome --screenshot="$D/vn.png" --window-size=1400,900 "file://$D/village-notice.html" >/dev/null 2>&1
	expect_eq "screenshot is not blank" "$(($(stat -c %s "$D/vn.png" 2>/dev/null || echo 0) > 20000))" 1
else
	t_fail "chromium is not installed (apt-get install chromium)"
fi

# ---- access -----------------------------------------------------------------
V() { FUPIN_TOKEN=$TV2 "$FUPINCTL" -a "127.0.0.1:$PORT" "$@"; }
rc=0; V list village-notice V01 >"$D/v.out" 2>"$D/v.err" || rc=$?
expect_eq "a village team is refused another village's list (exit 1)" "$rc" 1
expect_match "... forbidden" "$(cat "$D/v.err")" "forbidden"
rc=0; V tables V01 -o "$D/vt" >/dev/null 2>&1 || rc=$?; expect_eq "... and its tables" "$rc" 1
V list village-notice >"$D/v.csv" 2>&1 || t_fail "village's own list: $(cat "$D/v.csv")"
expect_eq "without a village it gets its own only" "$(grep -c '^芒蚌村,H' "$D/v.csv"),$(grep -c '^勐戛村' "$D/v.csv")" "2,0"
rc=0; L list nosuch >/dev/null 2>"$D/e1" || rc=$?; expect_match "an unknown kind" "$rc $(cat "$D/e1")" "^1 fupinctl: usage: no list"
rc=0; L list marginal V99 >/dev/null 2>"$D/e2" || rc=$?; expect_match "an unknown village" "$rc $(cat "$D/e2")" "^1 fupinctl: unknown: no village V99"

# ---- pages --------------------------------------------------------------------
# raw LINE: the daemon's answer to one request line, past fupinctl.
raw() {
	python3 - "$T/fupind.sock" "$1" <<'PY2'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile("rb").readline().decode().strip())
PY2
}
A=$(raw "LIST 边缘户 V01")
expect_eq "LIST answers one page: title, village, date, columns, rows, subtotals" \
	"$(jv "$A" '[j["title"], j["village"]["name"], j["generated"], len(j["columns"]), len(j["rows"]), j["next"], j["subtotals"][0]["persons"]]')" \
	'["边缘户名单", "勐戛村", "2019-11-28", 15, 1, null, 2]'
sed -i "s|^control: .*|control: { socket = \"$T/fupind.sock\"; listen = \"127.0.0.1:$PORT\"; max_output = 8192; };|" "$T/fupind.conf"
reload
A=$(raw "TABLES")
expect_match "a small control.max_output gives pages" "$(jv "$A" '[len(j["rows"]) < j["count"], j["next"], j["count"]]')" "^\[true, [0-9]+, 6\]$"
A=$(raw "TABLES FROM $(jv "$A" 'j["next"]')")
expect_match "FROM N gives the next page" "$(jv "$A" 'j["from"] > 0 and len(j["rows"]) > 0')" "^true$"
L tables --format csv -o "$D/paged" >/dev/null || t_fail "tables in pages"
expect_eq "the paged tables are the same document" "$(cat "$D/paged"/*.csv | md5sum)" "$(cat "$D/tables"/*.csv | md5sum)"
L list township-notice -o "$D/tn-paged.csv"
expect_eq "the paged list is the same document" "$(md5sum <"$D/tn-paged.csv")" "$(md5sum <"$D/tn.csv")"
t_done
