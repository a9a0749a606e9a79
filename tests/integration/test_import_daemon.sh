#!/usr/bin/env bash
# Imports go through fupind (IMPORT BEGIN / ROWS / COMMIT on the status
# socket, daemon/import.c), never to the database directly:
#  - fupinctl import needs no conninfo: a configuration with the socket
#    only will do;
#  - only township and admin import: a village token is refused forbidden
#    and nothing is written; the audit names the principal (a token's);
#  - a bad line far down the file, after many chunks were stored, writes
#    nothing and is named with its line, with a bad line C found in the same
#    pass;
#  - a connection dropped mid-upload leaves nothing, and its staging rows
#    are cleared; so are those a daemon left, at its next start;
#  - a file over control.max_upload is refused naming the limit, and rows
#    over it mid-stream too, nothing written;
#  - framing: ROWS without BEGIN, a long line that is not IMPORT ROWS, a
#    value of the wrong type sent by hand, control.max_uploads.
. "$(dirname "$0")/lib.sh"

t_setup import_daemon

# new_token VAR: a fresh token in $VAR and its hash in ${VAR}_HASH.
new_token() {
	local out
	out=$("$FUPINCTL" new-token)
	printf -v "$1" '%s' "$(sed -n 's/^token: //p' <<<"$out")"
	printf -v "${1}_HASH" '%s' "$(sed -n 's/^hash:  //p' <<<"$out")"
}
new_token TT; new_token TV; new_token TC
PORT=$(free_port)
# conf [CONTROL-EXTRA]: the daemon's configuration.
conf() {
	cat >"$T/fupind.conf" <<CONF
database: { conninfo = "dbname=$T_DB"; sql_dir = "$FUPIN_SRC/sql"; };
control:  { socket = "$T/fupind.sock"; listen = "127.0.0.1:$PORT"; ${1:-} };
clock:    { mode = "manual"; start = "2019-10-08T08:00:00+08:00"; };
workflows: { dir = "$FUPIN_SRC/workflows"; campaign = "2019"; };
log:      { level = "debug"; };
access = (
  { role = "admin"; users = ["$(id -un)"]; },
  { role = "township"; token = "$TT_HASH"; name = "office"; },
  { role = "city"; token = "$TC_HASH"; name = "city"; },
  { role = "village"; village = "V0001"; token = "$TV_HASH"; name = "team1"; }
);
CONF
}
conf
# fupinctl's own configuration: the socket, nothing of the database.
printf 'control: { socket = "%s/fupind.sock"; };\n' "$T" >"$T/ctl.conf"
t_start
wait_ready

count() { t_psql -c "SELECT count(*) FROM fupin.$1"; }
staged() {
	t_psql -c "SELECT (SELECT count(*) FROM fupin.import_upload) +
	    (SELECT count(*) FROM fupin.import_village_stage) +
	    (SELECT count(*) FROM fupin.import_household_stage) +
	    (SELECT count(*) FROM fupin.import_member_stage)"
}
no_staging() { [ "$(staged)" = 0 ]; }
# households FILE N [BAD...]: N households of villages V0001..V0010; each
# BAD is LINE:FIELD=VALUE (fields: 1 id, 2 village, 5 size).
households() {
	python3 - "$@" <<'PY'
import sys
path, n, bad = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
subst = {}
for b in bad:
    line, fv = b.split(":", 1)
    f, v = fv.split("=", 1)
    subst.setdefault(int(line), {})[int(f)] = v
with open(path, "w") as out:
    out.write("household_id,village_id,group,head_name,size,category,identified_year,lifted_year,income_per_capita,food,clothing,education,medical,housing,risk,relapse_reason\n")
    for h in range(1, n + 1):
        row = ["D%06d" % h, "V%04d" % (h % 10 + 1), "", "户主%d" % h,
               str(1 + h % 6), "poor", "2016", "", str(3100 + h % 2000),
               "1", "1", "1", "1", "1", "", ""]
        for f, v in subst.get(h + 1, {}).items():
            row[f - 1] = v
        out.write(",".join(row) + "\n")
PY
}
imp() {	# imp FUPINCTL-ARGS: sets RC, OUT, ERR
	RC=0
	"$FUPINCTL" "$@" >"$T/out" 2>"$T/err" || RC=$?
	OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
}

# --- no conninfo: the socket is all fupinctl knows -------------------------
python3 -c '
print("village_id,name,township")
for v in range(1, 11): print("V%04d,村%d,勐戛镇" % (v, v))' >"$T/villages.csv"
imp -c "$T/ctl.conf" import villages "$T/villages.csv"
expect_eq "no conninfo: imported through the socket" "$RC $OUT" \
	"0 villages: 10 read, 10 inserted, 0 updated, 0 unchanged"
expect_eq "no conninfo: the audit names the Unix principal" \
	"$(t_psql -c "SELECT DISTINCT actor FROM fupin.transition WHERE event = 'import'")" \
	"admin(uid $(id -u))"

# --- roles: a village may not import; the township may, and is named --------
households "$T/small.csv" 20
FUPIN_TOKEN=$TV imp -a "127.0.0.1:$PORT" import households "$T/small.csv"
expect_eq "village token: refused" "$RC" 1
expect_match "village token: forbidden, said so" "$ERR" "forbidden"
expect_eq "village token: nothing written" "$(count household)" 0
expect_eq "village token: nothing staged" "$(staged)" 0
FUPIN_TOKEN=$TC imp -a "127.0.0.1:$PORT" import households "$T/small.csv"
expect_match "city token: forbidden" "$RC $ERR" "^1 .*forbidden"
FUPIN_TOKEN=$TT imp -a "127.0.0.1:$PORT" import households "$T/small.csv"
expect_eq "township token: imported" "$RC $OUT" \
	"0 households: 20 read, 20 inserted, 0 updated, 0 unchanged"
expect_match "township token: the audit names the token's principal" \
	"$(t_psql -c "SELECT DISTINCT actor || ' ' || role FROM fupin.transition WHERE event = 'import' AND detail ? 'households'")" \
	'^office\(token from 127\.0\.0\.1:[0-9]+\) import$'

# --- a bad line after many chunks: nothing written, the line named ----------
# 30,000 rows are some 7 MB of rows: several IMPORT ROWS of up to 1 MiB
# are stored before the end. Line 25002 names a village the database does
# not know (only it can tell); line 29001 has a size C refuses.
households "$T/big.csv" 30000 25002:2=V9999 29001:5=99
before=$(count transition)
imp -s "$T/fupind.sock" import households "$T/big.csv"
expect_eq "bad line far down: exit 1" "$RC" 1
expect_eq "bad line far down: both lines, one pass" "$ERR" \
"$T/big.csv:25002: column village_id: unknown village V9999
$T/big.csv:29001: column size: must be between 1 and 50
2 bad lines; nothing imported"
expect_eq "bad line far down: nothing written" "$(count household)|$(count transition)" "20|$before"
expect_eq "bad line far down: nothing staged" "$(staged)" 0
expect_eq "bad line far down: many chunks were sent" \
	"$(grep -c ': IMPORT$' "$T/fupind.log" | awk '{print ($1 > 8)}')" 1
# The same without the bad lines goes in whole.
households "$T/big.csv" 30000
imp -s "$T/fupind.sock" import households "$T/big.csv"
expect_eq "30,000 households" "$RC $OUT" \
	"0 households: 30000 read, 29980 inserted, 0 updated, 20 unchanged"
# lines 2..30001 in batches of 100 lines (0..300), after one for the 20
expect_eq "30,000 households: audited by batch, at most 100 a row, an image per new one" \
	"$(t_psql -c "SELECT count(*) || ' ' || max(n) || ' ' || sum(n) FROM (SELECT (SELECT count(*) FROM jsonb_object_keys(t.detail->'households')) AS n FROM fupin.transition t WHERE t.event = 'import' AND t.household_id IS NULL AND t.detail ? 'households') x")" "302 100 30000"
expect_eq "30,000 households: each one's image is in its history" \
	"$(t_psql -c "SELECT count(*) FROM fupin.household h WHERE (SELECT t.detail->>'size' FROM fupin.household_history(h.household_id) t WHERE t.note = 'insert')::int = h.size")" 30000
expect_eq "30,000 households: nothing left staged" "$(staged)" 0

# --- the protocol by hand ---------------------------------------------------
# sock LINE...: one connection to the Unix socket, each line sent after the
# previous answer; prints the answers, one a line. A line "@close" closes
# it at once; "@staged" prints what is staged now; "@sleep S" waits.
sock() {
	python3 - "$T/fupind.sock" "$T_DB" "$@" <<'PY'
import socket, subprocess, sys
path, db, lines = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rb")
for l in lines:
    if l == "@close":
        s.close()
        sys.exit(0)
    if l.startswith("@sleep "):
        import time
        time.sleep(float(l[7:]))
        continue
    if l == "@staged":
        print(subprocess.run(["psql", "-qAtX", "-d", db, "-c",
            "SELECT count(*) FROM fupin.import_household_stage"],
            capture_output=True, text=True).stdout.strip())
        continue
    s.sendall(l.encode() + b"\n")
    a = f.readline()
    if not a:
        print("closed")
        sys.exit(0)
    print(a.decode().rstrip("\n"))
PY
}
META='{"present":["household_id","village_id","head_name","size","category","food","clothing","education","medical","housing"],"file":"x.csv"}'
ROW='{"line":2,"household_id":"Z1","village_id":"V0001","head_name":"岩","size":"3","category":"poor","food":"t","clothing":"t","education":"t","medical":"t","housing":"t"}'
out=$(sock "IMPORT BEGIN households $META" "IMPORT ROWS [$ROW]" @staged @close)
expect_eq "by hand: BEGIN answers the upload and the line limit" \
	"$(sed -n 1p <<<"$out" | json '["max_line"]')" 1048576
expect_eq "by hand: ROWS stored before it is answered" \
	"$(sed -n 2p <<<"$out" | json '["rows"]') $(sed -n 3p <<<"$out")" "1 1"
WAIT_FOR_S=10 wait_for no_staging && t_ok "a dropped connection leaves nothing staged" ||
	t_fail "a dropped connection left $(staged) staged"
expect_eq "a dropped connection writes nothing" \
	"$(t_psql -c "SELECT count(*) FROM fupin.household WHERE household_id = 'Z1'")" 0
expect_match "a dropped connection is logged" "$(cat "$T/fupind.log")" "upload [0-9]+ discarded"

out=$(sock "IMPORT ROWS [$ROW]" "IMPORT COMMIT")
expect_eq "by hand: ROWS and COMMIT without BEGIN" \
	"$(while read -r l; do code "$l"; done <<<"$out" | tr '\n' ' ')" "state state "
out=$(sock "PING $(head -c 5000 /dev/zero | tr '\0' x)")
expect_eq "by hand: a long line that is not IMPORT ROWS is still too long" "$(code "$out")" too_long
out=$(sock "IMPORT ROWS [$(head -c 5000 /dev/zero | tr '\0' ' ')]")
expect_eq "by hand: a long IMPORT ROWS without an upload is too long" "$(code "$out")" too_long
BADROW=${ROW/\"size\":\"3\"/\"size\":\"many\"}
out=$(sock "IMPORT BEGIN households $META" "IMPORT ROWS [$BADROW]" "IMPORT COMMIT")
expect_eq "by hand: a value of the wrong type" \
	"$(sed -n 2p <<<"$out" | json '["error"]')" bad_data
expect_match "by hand: the database's words about it" \
	"$(sed -n 2p <<<"$out" | json '["message"]')" "invalid input syntax for type integer"
expect_eq "by hand: the upload is over after it" "$(sed -n 3p <<<"$out" | json '["error"]')" state
out=$(sock "IMPORT BEGIN households $META" "IMPORT ROWS [$ROW,${ROW/\"line\":2/\"line\":3}]" "IMPORT COMMIT")
expect_match "by hand: a key twice is found by the database" \
	"$(sed -n 3p <<<"$out")" '"error":"bad_data".*"line":3.*"reason":"Z1 also on line 2"'
out=$(sock "IMPORT BEGIN households $META" "IMPORT ROWS [$ROW]" "IMPORT CHECK")
expect_eq "by hand: CHECK checks" "$(sed -n 3p <<<"$out" | json '["checked"]')" true
expect_eq "by hand: CHECK writes nothing" \
	"$(t_psql -c "SELECT count(*) FROM fupin.household WHERE household_id = 'Z1'")|$(staged)" "0|0"

# --- what a daemon left is cleared at its next start ------------------------
t_stop
t_psql -c "INSERT INTO fupin.import_upload (upload_id, kind, principal, owner)
    VALUES (-1, 'households', 'x', '$(hostname):$T/fupind.sock')" \
	-c "INSERT INTO fupin.import_village_stage VALUES (-1, 2, 'V', 'n', 't')" >/dev/null
expect_eq "a dead daemon's upload waits in staging" "$(staged)" 2

# --- limits ----------------------------------------------------------------
conf 'max_upload = 100000; max_uploads = 1;'
t_start
wait_ready
WAIT_FOR_S=10 wait_for no_staging && t_ok "a restarted daemon clears what it left" ||
	t_fail "a restarted daemon left $(staged) staged"
before=$(count household)
imp -s "$T/fupind.sock" import households "$T/big.csv"
expect_eq "over max_upload: exit 1" "$RC" 1
expect_match "over max_upload: the limit named" "$ERR" "too_large.*|control.max_upload = 100000"
expect_match "over max_upload: the limit named at once" "$ERR" "control.max_upload"
# Under the limit as CSV, over it as rows: refused mid-stream.
households "$T/mid.csv" 900
[ "$(stat -c %s "$T/mid.csv")" -lt 100000 ] || t_fail "mid.csv is not under the limit"
imp -s "$T/fupind.sock" import households "$T/mid.csv"
expect_match "rows over max_upload: refused, the limit named" "$RC $ERR" \
	"^1 .*more than 100000 bytes \(control.max_upload\).*too_large"
expect_eq "over max_upload: nothing written" "$(count household)" "$before"
expect_eq "over max_upload: nothing staged" "$(staged)" 0
# one upload at once: a second one waits its turn
sock "IMPORT BEGIN households $META" "@sleep 5" >/dev/null &
holder=$!
one_open() { [ "$(count import_upload)" = 1 ]; }
WAIT_FOR_S=5 wait_for one_open || t_fail "the first upload did not open"
imp -s "$T/fupind.sock" import households "$T/small.csv"
expect_match "max_uploads: the next one is busy" "$RC $ERR" "^1 .*busy"
wait $holder 2>/dev/null || true
t_done
