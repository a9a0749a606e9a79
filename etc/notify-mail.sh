#!/bin/sh
# notify.command that mails each alert through the local sendmail.
#
#   notify: { command = "/usr/share/fupin/notify-mail.sh"; };
#
# fupind runs it once per alert with the alert's JSON on stdin (see the
# README, "Alerts"); it exits with sendmail's status, so that fupind
# retries a mail the local MTA did not take. Who receives it:
#   FUPIN_MAIL_<RECIPIENT>  per recipient of the alert, upper case:
#                           FUPIN_MAIL_VILLAGE_TEAM, FUPIN_MAIL_TOWNSHIP_OFFICE,
#                           FUPIN_MAIL_TOWNSHIP_LEADERSHIP, FUPIN_MAIL_CITY
#   FUPIN_MAIL_TO           everyone else (and the fallback)
#   FUPIN_MAIL_FROM         the sender (default fupind@<host name>)
#   SENDMAIL                the sendmail program (default sendmail on PATH)
# The Message-ID is made of the alert id, so a receiver can drop the rare
# repeat (delivery is at least once).
set -eu

python3 -c '
import base64, json, os, socket, sys
a = json.load(sys.stdin)
to = []
for r in a.get("recipients") or []:
    v = os.environ.get("FUPIN_MAIL_" + r.upper().replace("-", "_"))
    if v and v not in to:
        to.append(v)
if not to and os.environ.get("FUPIN_MAIL_TO"):
    to.append(os.environ["FUPIN_MAIL_TO"])
if not to:
    sys.exit("notify-mail: no address for %s: set FUPIN_MAIL_TO" %
             ", ".join(a.get("recipients") or ["(none)"]))
host = socket.getfqdn()
sender = os.environ.get("FUPIN_MAIL_FROM", "fupind@" + host)
subject = "[fupin] %s %s %s %s%s" % (a["kind"], a["deadline"], a["village"],
    "level %s" % a["level"] if a["level"] else "",
    " (late)" if a.get("late") else "")
def word(s):
    return "=?UTF-8?B?%s?=" % base64.b64encode(s.encode()).decode()
body = a["text"] + "\n\n" + "\n".join("%s: %s" % (k, json.dumps(a[k], ensure_ascii=False))
    for k in ("id", "kind", "level", "deadline", "due", "village", "households",
              "count", "recipients", "late") if k in a) + "\n"
sys.stdout.write("From: %s\nTo: %s\nSubject: %s\nMessage-ID: <fupin-alert-%s@%s>\n"
    "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n\n%s" % (sender, ", ".join(to),
    word(subject.strip()), a["id"], host, body))
' >"${TMPDIR:-/tmp}/fupin-mail.$$" || { rm -f "${TMPDIR:-/tmp}/fupin-mail.$$"; exit 2; }
rc=0
"${SENDMAIL:-sendmail}" -t -oi <"${TMPDIR:-/tmp}/fupin-mail.$$" || rc=$?
rm -f "${TMPDIR:-/tmp}/fupin-mail.$$"
exit $rc
