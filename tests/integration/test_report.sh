#!/usr/bin/env bash
# fupinctl report, through the daemon (REPORT): after part of the campaign
# (simulated up to the fifth stage), --csv holds a row per village and
# deadline with the figures the database's report functions give,
# --summary a line per village, and --html renders in headless Chromium
# (Debian's chromium, installed only if missing) without errors, holding
# every village; a screenshot is written to $T/report.png.
# fupinctl needs no database for it: only the socket (a configuration
# without conninfo, no reachable PostgreSQL). A village's token gets its
# own village's report, no other village's name, figures or alerts, and
# is refused another village's; small pages (control.max_output) give the
# same report.
. "$(dirname "$0")/lib.sh"

t_setup report
PORT=$(free_port)
new_token() {
	local out
	out=$("$FUPINCTL" new-token)
	printf -v "$1" '%s' "$(sed -n 's/^token: //p' <<<"$out")"
	printf -v "${1}_HASH" '%s' "$(sed -n 's/^hash:  //p' <<<"$out")"
}
new_token TV5; new_token TC
sed -i "s|^control: .*|control: { socket = \"$T/fupind.sock\"; listen = \"127.0.0.1:$PORT\"; };|" "$T/fupind.conf"
cat >>"$T/fupind.conf" <<CONF
access = (
  { role = "admin"; users = ["$(id -un)"]; },
  { role = "city"; token = "$TC_HASH"; },
  { role = "village"; village = "V05"; token = "$TV5_HASH"; }
);
CONF
python3 "$FUPIN_SRC/tools/gen/gen-township" --seed 5 --households 600 \
	--villages 5 "$T/township" >/dev/null
t_start	# imports go through it
wait_ready
for f in villages households members; do
	"$FUPINCTL" -c "$T/fupind.conf" import "$f" "$T/township/$f.csv" >/dev/null ||
		t_fail "import $f"
done
"$FUPIN_BUILD/bin/fupin-sim" -s "$T/fupind.sock" -d "$T/township" --seed 5 \
	--until 2019-11-06 --quiet >"$T/sim.out" 2>&1 || t_fail "fupin-sim: $(tail -3 "$T/sim.out")"

# Only the socket: no conninfo, and no PostgreSQL where libpq would look.
printf 'control: { socket = "%s"; };\n' "$T/fupind.sock" >"$T/ctl.conf"
PGHOST=/nonexistent PGPORT=1 PGDATABASE=none "$FUPINCTL" -c "$T/ctl.conf" report \
	--html "$T/report.html" --csv "$T/report.csv" --summary >"$T/summary.txt" 2>"$T/report.err" ||
	t_fail "report: $(cat "$T/report.err")"
# The figures are the database's (fupin.report_obligations at the daemon's
# last sweep), every village and deadline bound.
want=$(t_psql -F, -c "SELECT o.village_id, o.deadline_id, o.instances, o.on_time,
	o.on_time_extended, o.late, o.overdue, o.pending
	FROM fupin.report_obligations('2019', (SELECT last_now FROM fupin.daemon_state
	    WHERE campaign_id = '2019')) o ORDER BY 1, 2")
got=$(tail -n +2 "$T/report.csv" | python3 -c '
import csv, sys
for r in sorted(csv.reader(sys.stdin), key=lambda r: (r[0], r[2])):
    if r[5] != "0":
        print(",".join([r[0], r[2]] + r[5:11]))')
expect_eq "csv: the figures of report_obligations" "$got" "$want"
[ -n "$want" ] || t_fail "report_obligations gave no rows"
expect_match "html: every overdue item counted" "$(cat "$T/report.html")" \
	"逾期清单（$(t_psql -c "SELECT count(*) FROM fupin.instance_due d, fupin.daemon_state s
	    WHERE d.campaign_id = '2019' AND s.campaign_id = '2019' AND d.due <= s.last_now")项）"
expect_eq "summary: a line per village" "$(($(wc -l <"$T/summary.txt") - 2))" 5
expect_match "summary: as of the daemon's clock" "$(head -1 "$T/summary.txt")" "截至 2019-11-06 08:00"
expect_match "csv header" "$(head -1 "$T/report.csv")" "^village_id,village_name,deadline_id,"
expect_eq "csv: villages" "$(tail -n +2 "$T/report.csv" | cut -d, -f1 | sort -u | wc -l)" 5
expect_match "csv: stage2 figures" "$(grep -c ',stage2,' "$T/report.csv")" "^5$"
expect_match "html: self-contained" "$(grep -c 'src=\|href=\|@import\|url(' "$T/report.html" || true)" "^0$"
expect_match "html: today marked" "$(cat "$T/report.html")" "今天 11-06 08:00"

# The city sees the whole township too, by token on the TCP listener.
FUPIN_TOKEN=$TC "$FUPINCTL" -a "127.0.0.1:$PORT" report --csv "$T/city.csv" \
	>/dev/null 2>"$T/city.err" || t_fail "report as the city: $(cat "$T/city.err")"
expect_eq "the city's report is the township's" "$(md5sum <"$T/city.csv")" "$(md5sum <"$T/report.csv")"

# A village's token: its own village only.
v5=$(awk -F, '$1 == "V05" { print $2 }' "$T/township/villages.csv")
others=$(awk -F, 'NR > 1 && $1 != "V05" { print $2 }' "$T/township/villages.csv")
FUPIN_TOKEN=$TV5 "$FUPINCTL" -a "127.0.0.1:$PORT" report --html "$T/v5.html" \
	--csv "$T/v5.csv" --summary >"$T/v5.txt" 2>"$T/v5.err" ||
	t_fail "report as village V05: $(cat "$T/v5.err")"
expect_eq "village: a summary line for its village only" "$(($(wc -l <"$T/v5.txt") - 2))" 1
expect_match "village: its own village in the summary" "$(sed -n 3p "$T/v5.txt")" "^$v5 "
expect_eq "village: csv rows of V05 only" "$(tail -n +2 "$T/v5.csv" | cut -d, -f1 | sort -u)" V05
expect_eq "village: its figures are the township report's for V05" \
	"$(grep '^V05,' "$T/v5.csv" | cut -d, -f1-12 | md5sum)" "$(grep '^V05,' "$T/report.csv" | cut -d, -f1-12 | md5sum)"
leaked=
for name in $others; do
	grep -qF "$name" "$T/v5.html" "$T/v5.csv" "$T/v5.txt" && leaked="$leaked $name"
done
expect_eq "village: no other village's name in its report" "$leaked" ""
expect_match "village: its alerts are in it" \
	"$(grep -c "<td class='nw'>$v5</td><td class='text'>【" "$T/v5.html")" "^[1-9]"
# tcp TOKEN LINE: the answer to LINE after AUTH TOKEN on the TCP listener.
tcp() {
	python3 - "$PORT" "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rwb")
for line in ("AUTH " + sys.argv[2], sys.argv[3]):
    f.write((line + "\n").encode()); f.flush()
    answer = f.readline().decode()
print(answer, end="")
PY
}
A=$(tcp "$TV5" "REPORT")
expect_eq "REPORT as a village: every row is about its village" \
	"$(jv "$A" '[j["village"]["id"], sorted({r.get("id") or r["village"] for r in j["rows"]}), j["count"] == len(j["rows"]) > 3, sorted({r["row"] for r in j["rows"]})]')" \
	"[\"V05\", [\"V05\", \"$v5\"], true, [\"alert\", \"overdue\", \"village\"]]"
A=$(tcp "$TV5" "REPORT V01")
expect_eq "REPORT of another village is forbidden" "$(code "$A")" forbidden
out=$(FUPIN_TOKEN=$TV5 "$FUPINCTL" -a "127.0.0.1:$PORT" report V01 --csv "$T/x.csv" 2>&1) &&
	t_fail "fupinctl report V01 as V05 succeeded" ||
	expect_match "fupinctl report of another village: refused, exit 1" "$?:$out" "^1:.*forbidden"
A=$(tcp "$TC" "REPORT V05")
expect_eq "the city may ask for one village" "$(jv "$A" '[j["village"]["name"], len([r for r in j["rows"] if r["row"] == "village"])]')" "[\"$v5\", 1]"
expect_eq "REPORT of no such village" "$(code "$(tcp "$TC" "REPORT V99")")" unknown

# Small pages give the same report.
sed -i "s|^control: .*|control: { socket = \"$T/fupind.sock\"; listen = \"127.0.0.1:$PORT\"; max_output = 16384; };|" "$T/fupind.conf"
kill -HUP "$T_PID"
WAIT_FOR_S=10 wait_for grep -q "max_output.*16384\|reloaded" "$T/fupind.log" || true
A=$(tcp "$TC" "REPORT")
expect_match "a small control.max_output gives pages" "$(jv "$A" '[len(j["rows"]) < j["count"], j["next"]]')" "^\[true, [0-9]+\]$"
"$FUPINCTL" -s "$T/fupind.sock" report --html "$T/paged.html" --csv "$T/paged.csv" \
	--summary >"$T/paged.txt" 2>"$T/paged.err" || t_fail "paged report: $(cat "$T/paged.err")"
for f in html csv; do
	expect_eq "the paged report's $f is the same" "$(md5sum <"$T/paged.$f")" "$(md5sum <"$T/report.$f")"
done
expect_eq "the paged summary is the same" "$(md5sum <"$T/paged.txt")" "$(md5sum <"$T/summary.txt")"

if ! command -v chromium >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-wqy-zenhei >/dev/null 2>&1 || true
	fi
fi
if ! command -v chromium >/dev/null; then
	t_fail "chromium is not installed (apt-get install chromium)"
	t_done
fi
chrome() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" "$@"
}
chrome --dump-dom "file://$T/report.html" >"$T/dom.html" 2>"$T/chrome.err" ||
	t_fail "chromium --dump-dom failed: $(tail -3 "$T/chrome.err")"
for name in $(tail -n +2 "$T/township/villages.csv" | cut -d, -f2); do
	expect_match "page holds $name" "$(cat "$T/dom.html")" "$name"
done
if grep -qi 'error' "$T/dom.html"; then t_fail "the page says error"
else t_ok "no error on the page"; fi
expect_match "the timeline rendered" "$(cat "$T/dom.html")" "<svg"
chrome --screenshot="$T/report.png" --window-size=1200,1600 "file://$T/report.html" \
	>/dev/null 2>&1 || t_fail "chromium --screenshot failed"
expect_eq "screenshot is a PNG" "$(head -c 8 "$T/report.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
expect_eq "screenshot is not blank" "$(($(stat -c %s "$T/report.png" 2>/dev/null || echo 0) > 20000))" 1
t_done
