#!/usr/bin/env bash
# The web pages on control.http: login with a token (wrong tokens get
# auth's growing delay), the session cookie's attributes, the security
# headers; no cookie, a wrong cookie, another village's page, a township
# board for a village (403); a POST without or with a wrong CSRF token
# (403); malformed forms (400); a step refused by a guard shown with the
# guard's message, a step recorded in fupin.transition with the
# principal's name (and a refused one not); hostile household names shown
# as text; and in headless Chromium at 360x740 and 1280x900: no sideways
# scrolling at 360 px, screenshots in $T.
. "$(dirname "$0")/lib.sh"

t_setup web

new_token() {
	local out
	out=$("$FUPINCTL" new-token)
	printf -v "$1" '%s' "$(sed -n 's/^token: //p' <<<"$out")"
	printf -v "${1}_HASH" '%s' "$(sed -n 's/^hash:  //p' <<<"$out")"
}
new_token TT; new_token TV1; new_token TV2
PORT=$(free_port)
t_write_conf "
access = (
  { role = \"admin\"; users = [\"root\"]; },
  { role = \"township\"; token = \"$TT_HASH\"; name = \"镇扶贫办\"; },
  { role = \"village\"; village = \"V01\"; token = \"$TV1_HASH\"; name = \"勐戛村工作队\"; },
  { role = \"village\"; village = \"V02\"; token = \"$TV2_HASH\"; name = \"芒蚌村工作队\"; }
);"
sed -i "s|^control: .*|control:  { socket = \"$T/fupind.sock\"; http = \"127.0.0.1:$PORT\"; };|" "$T/fupind.conf"

t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
VALUES ('H001', 'V01', '岩温', 4, 'poor', 2014, 4200, true, true, true, true, true),
    ('H002', 'V01', '<script>alert(1)</script>', 3, 'poor', 2014, 3100, true, true, true, true, true),
    ('H003', 'V01', '" onmouseover="alert(2)', 3, 'poor', 2014, 4200, true, true, true, true, true),
    ('H060', 'V02', '李明', 5, 'poor', 2014, 4200, true, true, true, true, true);
SQL

t_start
wait_ready
U=http://127.0.0.1:$PORT

# hdr FILE NAME: a response header's value (curl -D).
hdr() { grep -i "^$2:" "$1" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
# get NAME [CURL ARGS]: the status code; headers in $T/NAME.h, body in $T/NAME.html.
get() { local n=$1; shift; curl -s -o "$T/$n.html" -D "$T/$n.h" -w '%{http_code}' "$@"; }
# login NAME TOKEN: log in, cookie jar $T/NAME.jar.
login() { get "login_$1" -c "$T/$1.jar" --data-urlencode "token=$2" "$U/login"; }
csrf_of() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$1" | head -1; }

# The login page, and the headers every page carries.
expect_eq "GET /login" "$(get loginpage "$U/login")" 200
expect_match "login page has a token field" "$(cat "$T/loginpage.html")" 'name="token"'
expect_eq "CSP" "$(hdr "$T/loginpage.h" Content-Security-Policy)" \
	"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"
expect_eq "nosniff" "$(hdr "$T/loginpage.h" X-Content-Type-Options)" nosniff
expect_eq "no referrer" "$(hdr "$T/loginpage.h" Referrer-Policy)" no-referrer
expect_eq "no store" "$(hdr "$T/loginpage.h" Cache-Control)" no-store
expect_match "html, utf-8" "$(hdr "$T/loginpage.h" Content-Type)" '^text/html; charset=utf-8'
expect_match "self-contained: nothing fetched" "$(grep -c 'src=\|<link\|@import\|url(\|<script' "$T/loginpage.html" || true)" '^0$'

# Without a session: to /login; a made-up or ended session is no session.
expect_eq "no cookie: redirected" "$(get nc "$U/village/V01")" 303
expect_eq "no cookie: to /login" "$(hdr "$T/nc.h" Location)" /login
expect_eq "no cookie: board redirected" "$(get nc2 "$U/township")" 303
expect_eq "no cookie: POST is 401" "$(get nc3 -d 'household=H001&workflow=exit&event=publish' "$U/village/V01")" 401
FAKE=$(printf '%064d' 7)
expect_eq "wrong cookie: redirected" "$(get wc -b "fupin_session=$FAKE" "$U/village/V01")" 303
expect_eq "garbage cookie: redirected" "$(get wc2 -b 'fupin_session=<x>; other=1' "$U/village/V01")" 303

# A wrong token: refused after auth's delay, which grows.
S=$(date +%s.%N)
expect_eq "wrong token: 403" "$(login bad1 nonsense)" 403
expect_match "wrong token: said so" "$(cat "$T/login_bad1.html")" '令牌不对'
expect_eq "wrong token: no cookie" "$(hdr "$T/login_bad1.h" Set-Cookie)" ""
login bad2 nonsense >/dev/null
E=$(date +%s.%N)
expect_eq "two wrong tokens take their delay (>= 0.6 s)" "$(python3 -c "print($E - $S >= 0.6)")" True

# A village team logs in.
expect_eq "village token: redirected" "$(login v1 "$TV1")" 303
expect_eq "village token: home" "$(hdr "$T/login_v1.h" Location)" /village/V01
COOKIE=$(hdr "$T/login_v1.h" Set-Cookie)
expect_match "cookie: 256-bit id" "$COOKIE" '^fupin_session=[0-9a-f]{64};'
expect_match "cookie: HttpOnly, SameSite=Strict" "$COOKIE" 'HttpOnly; SameSite=Strict'
expect_match "cookie: not Secure on plain HTTP" "$COOKIE" '^[^S]*(S[^e][^S]*)*$'
login v1tls "$TV1" >/dev/null
curl -s -o /dev/null -D "$T/tls.h" -H 'X-Forwarded-Proto: https' --data-urlencode "token=$TV1" "$U/login"
expect_match "cookie: Secure behind a TLS proxy on loopback" "$(hdr "$T/tls.h" Set-Cookie)" '; Secure$'

for h in H001 H002 H003; do adv "$h" exit propose; done
expect_eq "own village: 200" "$(get v1 -b "$T/v1.jar" "$U/village/V01")" 200
P=$(cat "$T/v1.html")
expect_match "page: the village" "$P" '勐戛村'
expect_match "page: the stage" "$P" '第一阶段'
expect_match "page: households in draft" "$P" '村民主评议 / village democratic review — <strong>3</strong>'
expect_match "hostile name escaped" "$P" 'H002 &lt;script&gt;alert\(1\)&lt;/script&gt;'
expect_match "hostile attribute escaped" "$P" 'H003 &quot; onmouseover=&quot;alert\(2\)'
expect_eq "no raw <script" "$(grep -c '<script' "$T/v1.html" || true)" 0
expect_eq "other village: 403" "$(get v2 -b "$T/v1.jar" "$U/village/V02")" 403
expect_eq "board for a village: 403" "$(get tb -b "$T/v1.jar" "$U/township")" 403
expect_eq "unknown page: 404" "$(get nf -b "$T/v1.jar" "$U/nothing")" 404
expect_eq "bad village id: 400" "$(get bv -b "$T/v1.jar" "$U/village/$(printf 'V%.0s' $(seq 65))")" 400
expect_eq "GET /logout: 405" "$(get del -b "$T/v1.jar" "$U/logout")" 405
CSRF=$(csrf_of "$T/v1.html")
expect_match "page carries a CSRF token" "$CSRF" '^[0-9a-f]{64}$'

# Steps: CSRF first.
post() { local n=$1; shift; get "$n" -b "$T/v1.jar" "$@" "$U/village/V01"; }
NT=$(t_psql -c "SELECT count(*) FROM fupin.transition")
expect_eq "POST without CSRF: 403" "$(post p1 -d 'household=H001&workflow=exit&event=publish')" 403
expect_eq "POST with a wrong CSRF: 403" "$(post p2 -d "csrf=$FAKE&household=H001&workflow=exit&event=publish")" 403
expect_eq "POST with another session's CSRF: 403" "$(post p3 -d "csrf=$(csrf_of "$T/login_v1tls.html")x&household=H001&workflow=exit&event=publish")" 403
expect_eq "nothing recorded" "$(t_psql -c "SELECT count(*) FROM fupin.transition")" "$NT"
# Malformed forms: 400 with a reason.
expect_eq "bad percent-encoding: 400" "$(post b1 -d "csrf=$CSRF&household=H%G1&workflow=exit&event=publish")" 400
expect_eq "not UTF-8: 400" "$(post b2 -d "csrf=$CSRF&household=H001&workflow=exit&event=publish&note=%FF%FE")" 400
expect_eq "NUL byte: 400" "$(post b3 -d "csrf=$CSRF&household=H001&workflow=exit&event=publish&note=a%00b")" 400
expect_eq "field twice: 400" "$(post b4 -d "csrf=$CSRF&household=H001&household=H002&workflow=exit&event=publish")" 400
expect_eq "two words: 400" "$(post b5 -d "csrf=$CSRF&household=H001+H002&workflow=exit&event=publish")" 400
expect_eq "not a form: 400" "$(post b6 -H 'Content-Type: application/json' -d '{}')" 400
expect_match "400 says why" "$(cat "$T/b1.html")" 'not valid URL-encoded UTF-8'
LONG=$(python3 -c 'print("长" * 1400)')
expect_eq "note longer than a request line: 400" "$(post b7 --data-urlencode "csrf=$CSRF" -d 'household=H001&workflow=exit&event=publish' --data-urlencode "note=$LONG")" 400
expect_eq "body over the limit: 413" "$(post b8 --data-urlencode "csrf=$CSRF" -d 'household=H001&workflow=exit&event=publish' --data-urlencode "note=$LONG$LONG")" 413
expect_eq "nothing recorded by bad forms" "$(t_psql -c "SELECT count(*) FROM fupin.transition")" "$NT"

# A guard refuses H002 (income 3100 < 3750): the page again, with why.
expect_eq "refused step: 422" "$(post r1 --data-urlencode "csrf=$CSRF" -d 'household=H002&workflow=exit&event=publish')" 422
R=$(cat "$T/r1.html")
expect_match "refusal: the guard's message" "$R" '3100'
expect_match "refusal: shown as a refusal" "$R" '未记录 / Not recorded \(guard\)'
expect_match "refusal: form filled in again" "$R" 'name="household" required maxlength="64" value="H002"'
A=$(req advance H002 exit publish)
expect_eq "refusal: the same message as ADVANCE" \
	"$(python3 -c 'import html, json, sys; print(html.escape(json.loads(sys.argv[1])["message"], quote=True) in open(sys.argv[2]).read())' "$A" "$T/r1.html")" True
expect_match "refusal: the guard's figures" "$R" '<li>income: 3100</li><li>threshold: 3750</li>'

# A note is needed to object; state and role refusals too.
expect_eq "refused: not allowed in draft" "$(post r2 --data-urlencode "csrf=$CSRF" -d 'household=H001&workflow=exit&event=approve')" 422
expect_eq "refused: another village's household" "$(post r3 --data-urlencode "csrf=$CSRF" -d 'household=H060&workflow=exit&event=propose')" 422
expect_match "refused: forbidden, said so" "$(cat "$T/r3.html")" 'forbidden'
expect_eq "nothing recorded by refusals" "$(t_psql -c "SELECT count(*) FROM fupin.transition")" "$NT"

# A step recorded: Post/Redirect/Get, the message shown once, the audit
# row names the principal.
expect_eq "step: 303" "$(post s1 --data-urlencode "csrf=$CSRF" -d 'household=H001&workflow=exit&event=publish' --data-urlencode 'note=村民大会 2019-10-08')" 303
expect_eq "step: back to the page" "$(hdr "$T/s1.h" Location)" /village/V01
expect_eq "step: in fupin.transition" \
	"$(t_psql -c "SELECT household_id, event, from_state, to_state, role, actor, note FROM fupin.transition ORDER BY transition_id DESC LIMIT 1")" \
	"H001|publish|draft|village_notice|village|勐戛村工作队(token from web 127.0.0.1)|村民大会 2019-10-08"
get s2 -b "$T/v1.jar" "$U/village/V01" >/dev/null
expect_match "step: recorded, said once" "$(cat "$T/s2.html")" '已记录 / Recorded: H001 exit publish: draft → village_notice'
get s3 -b "$T/v1.jar" "$U/village/V01" >/dev/null
expect_eq "step: said once only" "$(grep -c '已记录' "$T/s3.html" || true)" 0
expect_match "page: H001 in village notice" "$(cat "$T/s3.html")" '村级公示 / village notice — <strong>1</strong>'

# The township board: same figures as fupinctl report, live.
req clock set 2019-10-22T09:00:00+08:00 >/dev/null
expect_eq "township token" "$(login tt "$TT")" 303
expect_eq "township home" "$(hdr "$T/login_tt.h" Location)" /township
expect_eq "board: 200" "$(get board -b "$T/tt.jar" "$U/township")" 200
B=$(cat "$T/board.html")
expect_match "board: today marked" "$B" '今天 / today 10-22 09:00'
expect_match "board: both villages" "$B" '勐戛村.*芒蚌村'
expect_match "board: overdue count" "$B" "逾期清单 <span class=\"en\">Overdue</span> <span class=\"badge red\">$(jv "$(req overdue)" 'j["count"]')</span>"
expect_match "board: behind first (V01 is late)" "$B" '<h3>勐戛村 <span class="en">V01</span> <span class="badge red">'
expect_match "board: hostile name never raw" "$(grep -c '<script' "$T/board.html" || true)" '^0$'
expect_eq "township sees a village" "$(get tv -b "$T/tt.jar" "$U/village/V02")" 200
expect_eq "unknown village: 404" "$(get tv2 -b "$T/tt.jar" "$U/village/V99")" 404

# Logout ends the session: its cookie no longer works (as an expired one).
CSRF=$(csrf_of "$T/s3.html")
expect_eq "logout without CSRF: 403" "$(get lo1 -b "$T/v1.jar" -d x=1 "$U/logout")" 403
expect_eq "logout: 303" "$(get lo2 -b "$T/v1.jar" -d "csrf=$CSRF" "$U/logout")" 303
expect_match "logout: cookie cleared" "$(hdr "$T/lo2.h" Set-Cookie)" '^fupin_session=; Path=/; Max-Age=0'
expect_eq "ended session: redirected" "$(get gone -b "$T/v1.jar" "$U/village/V01")" 303

# Headless Chromium: the pages as saved (self-contained, so the same
# layout), at phone and desktop sizes; no sideways scrolling at 360 px.
if ! command -v chromium >/dev/null; then
	t_fail "chromium is not installed (apt-get install chromium)"
	t_done
fi
chrome() {
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --hide-scrollbars --user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" "$@"
}
# width PAGE: "scrollWidth clientWidth" of PAGE's body laid out 360 px
# wide, from a copy with one probe script appended (the page itself has
# none). Headless Chromium lays windows out at least 500 px wide, so the
# copy pins the root element to 360 px instead.
width() {
	sed 's|</head>|<style>html{width:360px}</style></head>|; s|</body>|<script>document.body.setAttribute("data-w", document.body.scrollWidth + " " + document.body.clientWidth)</script></body>|' \
		"$1" >"$1.probe.html"
	chrome --window-size=360,740 --dump-dom "file://$1.probe.html" 2>/dev/null |
		sed -n 's/.*data-w="\([0-9]* [0-9]*\)".*/\1/p'
}
mkdir -p "$T/shots"
cp "$T/loginpage.html" "$T/shots/login.html"
cp "$T/s2.html" "$T/shots/village.html"
cp "$T/board.html" "$T/shots/township.html"
for p in login village township; do
	w=$(width "$T/shots/$p.html")
	expect_match "$p at 360 px: measured" "$w" '^[0-9]+ [0-9]+$'
	expect_eq "$p at 360 px: no sideways scroll" "$(awk '{print ($1 <= 360 && $2 == 360)}' <<<"$w")" 1
	chrome --window-size=360,740 --screenshot="$T/shots/$p-phone.png" "file://$T/shots/$p.html" >/dev/null 2>&1
	chrome --window-size=1280,900 --screenshot="$T/shots/$p-desktop.png" "file://$T/shots/$p.html" >/dev/null 2>&1
	for s in phone desktop; do
		expect_eq "$p $s screenshot is a PNG" \
			"$(head -c 8 "$T/shots/$p-$s.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
	done
done
t_done
