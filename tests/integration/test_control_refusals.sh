#!/usr/bin/env bash
# What a refusal may tell (issue 13, points 5, 7 and 8):
#  - a village principal gets the same answer for another village's
#    household and for a missing one (HOUSEHOLD, ADVANCE, MEMBER), and a
#    MEMBER refusal never names another village's household;
#  - a failed re-AUTH drops the role the connection had;
#  - EXTEND refuses an end past the campaign's last deadline + a year;
#  - METRICS for a village shows its own village's figures only; /metrics
#    shows the township's campaign figures to loopback peers;
#  - a database error reaches the client as a generic message with an id,
#    the log keeps the detail;
#  - a notify command's output is logged up to 4 KiB, the rest counted;
#  - the CSV report writes a formula in a village name as text.
. "$(dirname "$0")/lib.sh"

t_setup control_refusals

new_token() {
	local out
	out=$("$FUPINCTL" new-token)
	printf -v "$1" '%s' "$(sed -n 's/^token: //p' <<<"$out")"
	printf -v "${1}_HASH" '%s' "$(sed -n 's/^hash:  //p' <<<"$out")"
}
new_token TV1; new_token TT
PORT=$(free_port)
HTTP=$(free_port)
cat >"$T/chatty.sh" <<'SH'
#!/bin/sh
# 20 MB of output per alert, then success.
cat >/dev/null
head -c 20000000 /dev/zero | tr '\0' x
echo
exit 0
SH
chmod +x "$T/chatty.sh"
t_write_conf "
control: { socket = \"$T/fupind.sock\"; socket_mode = \"0666\";
           listen = \"127.0.0.1:$PORT\"; http = \"127.0.0.1:$HTTP\"; };
notify: { command = \"$T/chatty.sh\"; concurrency = 1; };
access = (
  { role = \"admin\"; users = [\"root\"]; },
  { role = \"township\"; token = \"$TT_HASH\"; name = \"office\"; },
  { role = \"village\"; village = \"V01\"; users = [\"daemon\"]; token = \"$TV1_HASH\"; }
);"
python3 - "$T/fupind.conf" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
first = next(i for i, l in enumerate(lines) if l.startswith("control:"))
del lines[first]
open(p, "w").write("\n".join(lines))
PY
P1=$(person_id 53310319800101001)
P2=$(person_id 53310319900202002)
t_psql <<SQL
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'),
    ('V02', '=HYPERLINK("http://evil.example/","芒蚌村")', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
VALUES ('H001', 'V01', '岩温', 1, 'poor', 2014, 4200, true, true, true, true, true),
    ('H060', 'V02', '李明', 1, 'poor', 2014, 4200, true, true, true, true, true);
INSERT INTO fupin.member (household_id, person_id, name, relation, birth_date)
VALUES ('H001', '$P1', '岩温', '户主', '1980-01-01'),
    ('H060', '$P2', '李明', '户主', '1990-02-02');
SQL
t_start
wait_ready

vreq() { runuser -u daemon -- "$FUPINCTL" -s "$T/fupind.sock" --json "$@" 2>&1 || true; }
same() { # WHAT A B: same code and message, bar the id asked
	local a b
	a=$(jv "$2" 'j.get("error", "ok")')" "$(jv "$2" 'j.get("message", "")')
	b=$(jv "$3" 'j.get("error", "ok")')" "$(jv "$3" 'j.get("message", "")')
	expect_eq "$1" "${a//H060/X}" "${b//H999/X}"
}

# ---- refusals say nothing of other villages --------------------------------------
a=$(vreq household H060); b=$(vreq household H999)
same "HOUSEHOLD: another village's and a missing household alike" "$a" "$b"
expect_eq "HOUSEHOLD: forbidden" "$(code "$a")" forbidden
a=$(vreq advance H060 exit propose); b=$(vreq advance H999 exit propose)
same "ADVANCE: another village's and a missing household alike" "$a" "$b"
[[ $a == *V02* ]] && t_fail "ADVANCE names village V02: $a" || t_ok "ADVANCE does not name the other village"
a=$(vreq member H060 add "$(person_id 53310320190101003)" 岩三 子女 2019-10-01 出生)
b=$(vreq member H999 add "$(person_id 53310320190101003)" 岩三 子女 2019-10-01 出生)
same "MEMBER: another village's and a missing household alike" "$a" "$b"
a=$(vreq member H001 add "$P2" 李明 配偶 1990-02-02 婚入)
expect_eq "MEMBER of a person of another village: guard" "$(code "$a")" guard
[[ $a == *H060* ]] && t_fail "MEMBER names the other household: $a" || t_ok "MEMBER does not name the other household"
expect_code "admin still sees which: unknown" unknown advance H999 exit propose

# ---- a failed re-AUTH drops the role ---------------------------------------------------
out=$(python3 - "$PORT" "$TT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
f = s.makefile("rb")
for line in ("AUTH " + sys.argv[2], "STATUS", "AUTH wrong", "STATUS", "PING"):
    s.sendall(line.encode() + b"\n")
    print(f.readline().decode().strip())
PY
)
expect_eq "AUTH as township: STATUS ok" "$(code "$(sed -n 2p <<<"$out")")" ok
expect_eq "a failed re-AUTH: forbidden" "$(code "$(sed -n 3p <<<"$out")")" forbidden
expect_eq "after a failed re-AUTH: STATUS forbidden" "$(code "$(sed -n 4p <<<"$out")")" forbidden
expect_eq "after a failed re-AUTH: no role" "$(jv "$(sed -n 5p <<<"$out")" 'j["role"]')" none

# ---- EXTEND bounded ------------------------------------------------------------------
expect_code "EXTEND until 9999-12-31: usage" usage extend V01 stage2 9999-12-31 永远
expect_match "EXTEND says the latest end" "$(jv "$A" 'j["message"]')" "must end by 202"
expect_code "EXTEND within the campaign: ok" ok extend V01 stage2 2019-10-25 村支书住院

# ---- a database error: generic, with an id --------------------------------------------
t_psql -c "ALTER TABLE fupin.alert RENAME TO alert_hidden"
a=$(req alerts)
expect_eq "a database error: internal" "$(code "$a")" internal
expect_match "with an id" "$(jv "$a" 'j["message"]')" "error E[0-9]+-[0-9]+"
[[ $a == *relation* || $a == *alert_hidden* || $a == *fupin.alert* ]] &&
	t_fail "the database's words reach the client: $a" || t_ok "the database's words stay in the log"
id=$(jv "$a" 'j["message"]' | grep -o 'E[0-9]*-[0-9]*')
grep "\[$id\]" "$T/fupind.log" | grep -q 'relation' && t_ok "the log has the detail under the id" ||
	t_fail "no detail for $id in the log"
t_psql -c "ALTER TABLE fupin.alert_hidden RENAME TO alert"

# ---- METRICS scoped -----------------------------------------------------------------
adv H001 exit propose
adv H060 exit propose
clock_set 2019-10-26T09:00:00+08:00 # past V01's extension too
m=$(vreq metrics)
expect_eq "village METRICS: ok" "$(code "$m")" ok
expect_eq "village METRICS: its village" "$(jv "$m" 'j["village"]')" V01
expect_eq "village METRICS: its overdue households only" "$(jv "$m" 'int(j["gauges"]["overdue_households"]["stage2"])')" 1
m=$(req metrics)
expect_eq "admin METRICS: the township's" "$(jv "$m" 'int(j["gauges"]["overdue_households"]["stage2"])')" 2
expect_match "/metrics on loopback: campaign figures" "$(curl -s "http://127.0.0.1:$HTTP/metrics")" 'fupin_overdue_households\{deadline="stage2"\} 2'

# ---- notify output capped -------------------------------------------------------------
WAIT_FOR_S=60 wait_for grep -q "more bytes of the command's output not logged" "$T/fupind.log" &&
	t_ok "notify: the output beyond 4 KiB is counted" || t_fail "notify: no cut output noted"
bytes=$(wc -c <"$T/fupind.log")
[ "$bytes" -lt 1000000 ] && t_ok "notify: the log stays small ($bytes bytes)" || t_fail "notify: log of $bytes bytes"

# ---- CSV formulas -------------------------------------------------------------------
"$FUPINCTL" -c "$T/fupind.conf" report --csv "$T/report.csv" >/dev/null 2>"$T/report.err" ||
	t_fail "report: $(cat "$T/report.err")"
grep -q "^V02,\"'=HYPERLINK(" "$T/report.csv" && t_ok "CSV: a formula is written as text" ||
	t_fail "CSV: $(grep '^V02' "$T/report.csv" | head -1)"
grep -q '^V02,=' "$T/report.csv" && t_fail "CSV: a bare formula" || t_ok "CSV: no bare formula"

t_done
