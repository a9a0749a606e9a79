#!/usr/bin/env bash
# fupinctl report: after part of the campaign (simulated up to the fifth
# stage), --csv holds a row per village and deadline, --summary a line per
# village, and --html renders in headless Chromium (Debian's chromium,
# installed only if missing) without errors, holding every village; a
# screenshot is written to $T/report.png.
. "$(dirname "$0")/lib.sh"

t_setup report
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

"$FUPINCTL" -c "$T/fupind.conf" report --html "$T/report.html" \
	--csv "$T/report.csv" --summary >"$T/summary.txt" 2>"$T/report.err" ||
	t_fail "report: $(cat "$T/report.err")"
expect_eq "summary: a line per village" "$(($(wc -l <"$T/summary.txt") - 2))" 5
expect_match "summary: as of the daemon's clock" "$(head -1 "$T/summary.txt")" "截至 2019-11-06 08:00"
expect_match "csv header" "$(head -1 "$T/report.csv")" "^village_id,village_name,deadline_id,"
expect_eq "csv: villages" "$(tail -n +2 "$T/report.csv" | cut -d, -f1 | sort -u | wc -l)" 5
expect_match "csv: stage2 figures" "$(grep -c ',stage2,' "$T/report.csv")" "^5$"
expect_match "html: self-contained" "$(grep -c 'src=\|href=\|@import\|url(' "$T/report.html" || true)" "^0$"
expect_match "html: today marked" "$(cat "$T/report.html")" "今天 11-06 08:00"

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
