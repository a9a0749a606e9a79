#!/bin/sh
# notify.command for a WeChat Work (企业微信) or DingTalk (钉钉) group robot.
#
#   notify: { command = "/usr/share/fupin/notify-wecom.sh"; };
#
# fupind runs it once per alert with the alert's JSON on stdin (see the
# README, "Alerts"); it posts the alert's text to the robot's webhook and
# exits 0 only when the robot accepted it (HTTP 2xx and "errcode": 0), so
# that fupind retries anything else. The webhook URL holds the robot's key:
# keep it out of the configuration file, in
#   FUPIN_WEBHOOK_URL   the URL itself (the unit's Environment=), or
#   FUPIN_WEBHOOK_FILE  a file holding it (default /etc/fupin/webhook.url,
#                       mode 0640 root:fupin).
# The robot kind follows the URL (qyapi.weixin.qq.com: WeChat Work,
# oapi.dingtalk.com: DingTalk); both take {"msgtype": "text", ...}.
# A DingTalk robot with a keyword filter needs the keyword in the text:
# every message starts with "扶贫动态管理".
set -eu

url=${FUPIN_WEBHOOK_URL:-}
if [ -z "$url" ]; then
	file=${FUPIN_WEBHOOK_FILE:-/etc/fupin/webhook.url}
	[ -r "$file" ] || { echo "notify-wecom: no FUPIN_WEBHOOK_URL and cannot read $file" >&2; exit 2; }
	url=$(head -n 1 "$file" | tr -d '[:space:]')
fi
case $url in
https://*|http://*) ;;
*) echo "notify-wecom: the webhook is not an http(s) URL" >&2; exit 2 ;;
esac

# The message: the alert's text, marked when it is late; the alert id lets
# people tell a rare repeat (delivery is at least once) from a new alert.
body=$(python3 -c '
import json, sys
a = json.load(sys.stdin)
text = "扶贫动态管理 " + a["text"]
if a.get("late"):
    text += "（补发）" if not a["text"].startswith("[") else " (sent late)"
text += " #%s" % a["id"]
print(json.dumps({"msgtype": "text", "text": {"content": text}},
    ensure_ascii=False))') || { echo "notify-wecom: bad alert JSON on stdin" >&2; exit 2; }

answer=$(printf '%s' "$body" | curl -sS --fail --max-time 10 \
	-H 'Content-Type: application/json; charset=utf-8' \
	--data-binary @- "$url") || { echo "notify-wecom: the webhook call failed" >&2; exit 1; }

# Both robots answer {"errcode": 0, "errmsg": "ok"} when they took it.
printf '%s' "$answer" | python3 -c '
import json, sys
try:
    a = json.load(sys.stdin)
except ValueError:
    sys.exit("notify-wecom: the robot answered no JSON")
if a.get("errcode") != 0:
    sys.exit("notify-wecom: the robot refused: %s %s" % (a.get("errcode"), a.get("errmsg")))'
