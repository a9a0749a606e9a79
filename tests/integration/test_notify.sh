#!/usr/bin/env bash
# Delivering alerts through notify.command, on the manual clock:
#  - working hours "08:00-18:00": an alert made at 20:00 on Fri 2019-10-04
#    waits through the National Day holiday (Oct 5-7) and goes out at
#    08:00 on Tue Oct 8, in fire_at order;
#  - a failing command (exit 1): attempts grow, last_error is set, retries
#    back off (1s, 2s, 4s ...), and the alert is delivered once a SIGHUP
#    brings a good command;
#  - a hanging command with notify.timeout = "1s": killed (with whatever it
#    started), retried, never marked delivered;
#  - the JSON on stdin holds every field of CONTRACT.md, Chinese text by
#    default and English with alerts.language = "en";
#  - etc/notify-wecom.sh and etc/notify-mail.sh with a fake curl and
#    sendmail on PATH.
# One command at a time (notify.concurrency = 1): deliveries follow fire_at.
# Asynchronous deliveries are awaited with bounded polls, never bare sleeps.
. "$(dirname "$0")/lib.sh"

t_setup notify

# wait_sql SECONDS SQL: poll until SQL answers "t" (true when it did).
wait_sql() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -le $end ]; do
		[ "$(t_psql -c "$2")" = t ] && return 0
		sleep 0.1
	done
	return 1
}
# hold TENTHS SQL: SQL stays "t" for TENTHS tenths of a second (the
# negative check: long enough for a delivery the daemon should not make).
hold_sql() {
	local i
	for i in $(seq 1 "$1"); do
		[ "$(t_psql -c "$2")" = t ] || return 1
		sleep 0.1
	done
	return 0
}

# -- notify commands: each reads the alert JSON on stdin
cat >"$T/good.sh" <<EOF
#!/bin/sh
# one line per delivery: the JSON as received
cat >>"$T/good.log"
EOF
cat >"$T/fail.sh" <<EOF
#!/bin/sh
cat >/dev/null
date +%s.%N >>"$T/fail.log"
exit 1
EOF
cat >"$T/hang.sh" <<EOF
#!/bin/sh
cat >/dev/null
date +%s.%N >>"$T/hang.log"
sleep 100 &
echo \$! >>"$T/hang.pids"
wait
EOF
chmod +x "$T"/*.sh
: >"$T/good.log"

conf() { # COMMAND [EXTRA]
	t_write_conf "clock: { mode = \"manual\"; start = \"2019-10-04T19:00:00+08:00\"; };
notify: { command = \"$1\"; timeout = \"1s\"; retry_max = \"4s\"; concurrency = 1; };
alerts: { reminders = \"148h 3d 1d\"; ${2:-} };"
	# t_write_conf wrote a first clock group too; keep the later one only
	python3 - "$T/fupind.conf" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
first = next(i for i, l in enumerate(lines) if l.startswith("clock:"))
del lines[first]
open(p, "w").write("\n".join(lines))
PY
}
conf "$T/good.sh" 'working_hours = "08:00-18:00";'
"$FUPIND" -t -c "$T/fupind.conf" >"$T/check.log" 2>&1 ||
	{ cat "$T/check.log"; t_fail "configuration rejected"; exit 1; }

t_psql -c "INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇')"
t_start
wait_ready
expect_match "clock starts on Fri 2019-10-04 19:00" "$(jv "$(req now)" 'j["now"]')" '^2019-10-04T19:00'
A=$(req advance V01 village_team open)
expect_eq "village_team opened for V01" "$(code "$A")" ok

# -- working hours
clock_set 2019-10-04T19:30:00+08:00
expect_eq "19:30: the 148h reminder (20:00) is not made yet" "$(t_psql -c 'SELECT count(*) FROM fupin.alert')" 0
clock_set 2019-10-04T20:00:00+08:00
expect_eq "20:00: the reminder is made" \
	"$(t_psql -c "SELECT string_agg(kind || ' ' || fupin.local_text(fire_at) || ' ' || late, ',') FROM fupin.alert")" \
	"reminder 2019-10-04 20:00 false"
hold_sql 15 "SELECT delivered_at IS NULL AND attempts = 0 FROM fupin.alert" &&
	t_ok "Fri 20:00 is after working hours: held" || t_fail "delivered at Fri 20:00"
clock_set 2019-10-05T09:00:00+08:00
hold_sql 15 "SELECT bool_and(delivered_at IS NULL AND attempts = 0) FROM fupin.alert" &&
	t_ok "Sat Oct 5 09:00 (National Day holiday): held" || t_fail "delivered on the holiday"
clock_set 2019-10-07T17:00:00+08:00
hold_sql 10 "SELECT bool_and(delivered_at IS NULL) FROM fupin.alert" &&
	t_ok "Mon Oct 7 17:00 (holiday): held" || t_fail "delivered on Oct 7"
clock_set 2019-10-08T07:59:00+08:00
expect_eq "Tue 07:59: the 3d reminder joins it" "$(t_psql -c 'SELECT count(*) FROM fupin.alert')" 2
hold_sql 10 "SELECT bool_and(delivered_at IS NULL) FROM fupin.alert" &&
	t_ok "Tue Oct 8 07:59: held" || t_fail "delivered before 08:00"
expect_eq "nothing ran the command yet" "$(wc -l <"$T/good.log")" 0
clock_set 2019-10-08T08:00:00+08:00
wait_sql 15 "SELECT bool_and(delivered_at IS NOT NULL) FROM fupin.alert" &&
	t_ok "Tue Oct 8 08:00: delivered" || t_fail "not delivered at 08:00 on the next working day"
expect_eq "each delivered once, in fire_at order" \
	"$(python3 -c 'import json,sys; print([json.loads(l)["id"] for l in open(sys.argv[1])])' "$T/good.log")" \
	"$(t_psql -c "SELECT '[' || string_agg(alert_id::text, ', ' ORDER BY fire_at) || ']' FROM fupin.alert")"

# -- the JSON of CONTRACT.md, Chinese by default
J=$(head -1 "$T/good.log")
expect_eq "JSON has every CONTRACT field" \
	"$(jv "$J" 'sorted(k for k in ["id","kind","level","deadline","due","village","households","count","recipients","late","text"] if k in j)')" \
	'["count", "deadline", "due", "households", "id", "kind", "late", "level", "recipients", "text", "village"]'
expect_eq "JSON values" \
	"$(jv "$J" '[j["kind"], j["level"], j["deadline"], j["due"], j["village"], j["households"], j["count"], j["recipients"], j["late"]]')" \
	'["reminder", 0, "stage1", "2019-10-11T00:00:00+08:00", "V01", [], 1, ["village_team"], false]'
expect_eq "JSON id is the alert's" "$(jv "$J" 'j["id"]')" \
	"$(t_psql -c "SELECT alert_id FROM fupin.alert WHERE fire_at = '2019-10-04T20:00+08'")"
expect_match "text is Chinese by default, the date as the plan says it" "$(jv "$J" 'j["text"]')" '^【提醒】勐戛村：“第一阶段.*”将于10月10日24时截止，村工作队尚未完成：未成立1项。$'
expect_eq "the JSON keeps the exact instant" "$(jv "$J" '[j["due"], j["due_text"], j["party"]]')" '["2019-10-11T00:00:00+08:00", "10月10日24时", "village"]'

# -- a failing command: growing backoff, last_error, then fixed by SIGHUP
conf "$T/fail.sh"
reload
clock_set 2019-10-10T00:00:00+08:00
ID=$(t_psql -c "SELECT alert_id FROM fupin.alert WHERE fire_at = '2019-10-10T00:00+08'")
expect_match "the 1d reminder is made" "$ID" '^[0-9]+$'
wait_sql 15 "SELECT attempts >= 3 AND claimed_until IS NULL FROM fupin.alert WHERE alert_id = ${ID:-0}" &&
	t_ok "failing command: retried" || t_fail "failing command: not retried 3 times"
expect_eq "failing: not delivered, last_error set" \
	"$(t_psql -c "SELECT delivered_at IS NULL, last_error, next_attempt_at > now() FROM fupin.alert WHERE alert_id = ${ID:-0}")" \
	"t|exit status 1|t"
# gaps between runs: ~1s then ~2s (+-25%)
GAPS=$(python3 -c '
import sys
t = [float(l) for l in open(sys.argv[1])]
print(" ".join("%.2f" % (b - a) for a, b in zip(t, t[1:])))' "$T/fail.log")
if python3 -c '
import sys
g = [float(x) for x in sys.argv[1].split()]
sys.exit(0 if len(g) >= 2 and 0.6 <= g[0] <= 1.6 and 1.4 <= g[1] <= 2.8 and g[1] > g[0] else 1)' "$GAPS"; then
	t_ok "backoff grows: gaps $GAPS s"
else
	t_fail "backoff does not grow 1s, 2s: gaps $GAPS s"
fi
ATT=$(wc -l <"$T/fail.log")
conf "$T/good.sh"
reload
wait_sql 15 "SELECT delivered_at IS NOT NULL FROM fupin.alert WHERE alert_id = ${ID:-0}" &&
	t_ok "fixed command: delivered" || t_fail "not delivered after the command was fixed"
expect_eq "delivered once, attempts = failures + 1" \
	"$(grep -c "\"id\": *${ID:-0}," "$T/good.log") $(t_psql -c "SELECT attempts - $ATT FROM fupin.alert WHERE alert_id = ${ID:-0}")" \
	"1 1"

# -- a hanging command: killed at notify.timeout, retried, not delivered
conf "$T/hang.sh"
reload
clock_set 2019-10-11T00:00:00+08:00
expect_eq "at stage 1's due: overdue and escalation 1" \
	"$(t_psql -c "SELECT string_agg(kind || level, ',' ORDER BY alert_id) FROM fupin.alert WHERE fire_at = '2019-10-11T00:00+08'")" \
	"overdue0,escalation1"
wait_sql 15 "SELECT bool_and(attempts >= 2 AND claimed_until IS NULL) FROM fupin.alert WHERE delivered_at IS NULL" &&
	t_ok "hanging command: killed and retried" || t_fail "hanging command: not retried"
expect_eq "hanging: last_error says timed out, not delivered" \
	"$(t_psql -c "SELECT DISTINCT last_error FROM fupin.alert WHERE fire_at = '2019-10-11T00:00+08' AND delivered_at IS NULL")" \
	"timed out after 1s"
expect_eq "hanging: nothing delivered" "$(t_psql -c "SELECT count(*) FROM fupin.alert WHERE fire_at = '2019-10-11T00:00+08' AND delivered_at IS NOT NULL")" 0
# what the command started was killed with it (its process group)
LEFT=0
for _ in $(seq 1 20); do
	LEFT=0
	while read -r p; do kill -0 "$p" 2>/dev/null && LEFT=$((LEFT + 1)); done <"$T/hang.pids"
	[ $LEFT -eq 0 ] && break
	sleep 0.1
done
# the last attempt may still be running: allow the processes of at most
# two alerts to be alive
expect_eq "killed commands leave no process behind" "$([ $LEFT -le 2 ] && [ "$(wc -l <"$T/hang.pids")" -gt 2 ] && echo yes || echo "no ($LEFT alive of $(wc -l <"$T/hang.pids"))")" yes
STALE=$(head -n -2 "$T/hang.pids" | while read -r p; do if kill -0 "$p" 2>/dev/null; then echo "$p"; fi; done | wc -l)
expect_eq "no process of an earlier, timed-out attempt is alive" "$STALE" 0

# -- English text, and the hung alerts delivered by a good command
conf "$T/good.sh" 'language = "en";'
reload
wait_sql 15 "SELECT bool_and(delivered_at IS NOT NULL) FROM fupin.alert" &&
	t_ok "after the hang: delivered" || t_fail "hung alerts never delivered"
EN=$(grep '"kind": *"overdue"' "$T/good.log" | head -1)
expect_match "alerts.language = en: English text" "$(jv "$EN" 'j["text"]')" '^\[Overdue\] 勐戛村: "Stage 1: .*" was due Oct 10 24:00; still open for the village work team: not yet set up 1\.$'
EN=$(grep '"kind": *"escalation"' "$T/good.log" | head -1)
expect_match "escalation text names the level and recipient" "$(jv "$EN" 'j["text"]')" '^\[Escalation 1 to township_office\]'
expect_eq "escalation recipients" "$(jv "$EN" 'j["recipients"]')" '["township_office"]'
expect_eq "every delivered JSON has every CONTRACT field" \
	"$(python3 -c '
import json, sys
need = ["id","kind","level","deadline","due","village","households","count","recipients","late","text"]
print(sum(1 for l in open(sys.argv[1]) if not all(k in json.loads(l) for k in need)))' "$T/good.log")" 0
expect_eq "every alert delivered exactly once" \
	"$(python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["id"] for l in open(sys.argv[1]))
print(sorted(c.items()))' "$T/good.log")" \
	"$(t_psql -c "SELECT '[' || string_agg('(' || alert_id || ', 1)', ', ' ORDER BY alert_id) || ']' FROM fupin.alert")"

t_stop

# -- the example commands in etc/, with a fake curl and sendmail on PATH
# (no network): they read the alert JSON on stdin, exit 0 only on success.
mkdir -p "$T/bin"
cat >"$T/bin/curl" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >"$T/curl.args"
cat >"$T/curl.body"
[ "\${FAKE_CURL:-ok}" = down ] && { echo "curl: (7) Failed to connect" >&2; exit 7; }
[ "\${FAKE_CURL:-ok}" = refuse ] && { echo '{"errcode":93000,"errmsg":"invalid webhook url"}'; exit 0; }
echo '{"errcode":0,"errmsg":"ok"}'
EOF
cat >"$T/bin/sendmail" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >"$T/sendmail.args"
cat >"$T/sendmail.msg"
exit \${FAKE_SENDMAIL_RC:-0}
EOF
chmod +x "$T/bin/curl" "$T/bin/sendmail"
ZH=$(head -1 "$T/good.log")
ESC=$(grep '"kind": *"escalation"' "$T/good.log" | head -1)
WECOM=$FUPIN_SRC/etc/notify-wecom.sh
MAIL=$FUPIN_SRC/etc/notify-mail.sh
run() { # INPUT ENV... COMMAND: the exit status
	local in=$1 rc=0
	shift
	printf '%s\n' "$in" | env PATH="$T/bin:$PATH" "$@" >/dev/null 2>"$T/run.err" || rc=$?
	echo $rc
}
URL=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test
expect_eq "wecom: posted, exit 0" "$(run "$ZH" FUPIN_WEBHOOK_URL=$URL "$WECOM")" 0
expect_match "wecom: to the webhook URL" "$(cat "$T/curl.args")" "qyapi.weixin.qq.com/cgi-bin/webhook/send\?key=test"
expect_eq "wecom: a text message with the alert's text and id" \
	"$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); a=json.loads(sys.argv[2]); print(b["msgtype"], a["text"] in b["text"]["content"], b["text"]["content"].endswith("#%s" % a["id"]))' "$T/curl.body" "$ZH")" \
	"text True True"
echo "$URL" >"$T/webhook.url"
rm -f "$T/curl.args"
expect_eq "wecom: the URL from a file" "$(run "$ESC" FUPIN_WEBHOOK_FILE="$T/webhook.url" "$WECOM")" 0
expect_match "wecom: file URL used" "$(cat "$T/curl.args" 2>/dev/null)" "key=test"
[ "$(run "$ZH" FUPIN_WEBHOOK_URL=$URL FAKE_CURL=refuse "$WECOM")" != 0 ] &&
	t_ok "wecom: the robot refuses (errcode 93000): non-zero" || t_fail "wecom: a refusal exited 0"
[ "$(run "$ZH" FUPIN_WEBHOOK_URL=$URL FAKE_CURL=down "$WECOM")" != 0 ] &&
	t_ok "wecom: curl fails: non-zero" || t_fail "wecom: a failed curl exited 0"
[ "$(run "$ZH" FUPIN_WEBHOOK_FILE="$T/none" "$WECOM")" != 0 ] &&
	t_ok "wecom: no webhook: non-zero" || t_fail "wecom: no webhook exited 0"
[ "$(run "not json" FUPIN_WEBHOOK_URL=$URL "$WECOM")" != 0 ] &&
	t_ok "wecom: bad JSON: non-zero" || t_fail "wecom: bad JSON exited 0"

expect_eq "mail: sent, exit 0" "$(run "$ZH" FUPIN_MAIL_TO=team@example.org "$MAIL")" 0
expect_eq "mail: sendmail -t -oi" "$(cat "$T/sendmail.args")" "-t -oi"
expect_eq "mail: headers and body" \
	"$(python3 -c '
import email, email.header, json, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read())
a = json.loads(sys.argv[2])
subj = str(email.header.make_header(email.header.decode_header(m["Subject"])))
body = m.get_payload(decode=True).decode()
print(m["To"], m["Message-ID"].startswith("<fupin-alert-%s@" % a["id"]), subj.startswith("[fupin] reminder stage1 V01"), body.startswith(a["text"]))' "$T/sendmail.msg" "$ZH")" \
	"team@example.org True True True"
expect_eq "mail: per recipient address (escalation to the township office)" \
	"$(run "$ESC" FUPIN_MAIL_TO=team@example.org FUPIN_MAIL_TOWNSHIP_OFFICE=office@example.org "$MAIL") $(grep '^To:' "$T/sendmail.msg")" \
	"0 To: office@example.org"
expect_eq "mail: sendmail fails: its status" "$(run "$ZH" FUPIN_MAIL_TO=team@example.org FAKE_SENDMAIL_RC=75 "$MAIL")" 75
[ "$(run "$ZH" "$MAIL")" != 0 ] && t_ok "mail: no address: non-zero" || t_fail "mail: no address exited 0"

t_done
