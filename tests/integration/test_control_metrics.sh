#!/usr/bin/env bash
# METRICS and the HTTP listener: requests by verb, transitions by workflow
# and event, alerts by kind and delivery state, overdue households per
# deadline (refreshed from the database before a METRICS answer), database
# reconnects; /metrics in the Prometheus text format, /healthz 200 with the
# database up and 503 without it; other paths 404, other methods 405.
. "$(dirname "$0")/lib.sh"

t_setup control_metrics
HTTP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t_write_conf
sed -i "s|^control:  { socket = \"\\([^\"]*\\)\"; };|control: { socket = \"\\1\"; http = \"127.0.0.1:$HTTP\"; };|" "$T/fupind.conf"
grep -q "http = " "$T/fupind.conf" || { t_fail "cannot set control.http"; exit 1; }
t_psql <<'SQL'
INSERT INTO fupin.village VALUES ('V01', '勐戛村', '勐戛镇'), ('V02', '芒蚌村', '勐戛镇');
INSERT INTO fupin.household (household_id, village_id, head_name, size,
    category, identified_year, income_per_capita, food, clothing, education,
    medical, housing)
VALUES ('H001', 'V01', '岩温', 4, 'poor', 2014, 4200, true, true, true, true, true),
    ('H002', 'V01', '玉香', 3, 'poor', 2014, 4200, true, true, true, true, true),
    ('H060', 'V02', '李明', 5, 'poor', 2014, 4200, true, true, true, true, true);
SQL
t_start
wait_ready

ctl advance H001 exit propose >/dev/null
ctl advance H002 exit propose >/dev/null
ctl advance H060 exit propose >/dev/null
ctl advance H001 exit publish >/dev/null
ctl clock set 2019-10-22T00:00:00+08:00 >/dev/null
ctl ping >/dev/null

m=$(ctl metrics)
expect_eq "METRICS ok" "$(json '["ok"]' <<<"$m")" true
expect_eq "requests by verb: ADVANCE" "$(json '["counters"]["requests"]["ADVANCE"]' <<<"$m")" 4.0
expect_eq "transitions exit/propose" "$(json '["counters"]["transitions"]["exit/propose"]' <<<"$m")" 3.0
expect_eq "transitions exit/publish" "$(json '["counters"]["transitions"]["exit/publish"]' <<<"$m")" 1.0
expect_eq "overdue households at stage2 (H002, H060)" \
	"$(json '["gauges"]["overdue_households"]["stage2"]' <<<"$m")" 2.0
expect_match "alerts by kind and state" \
	"$(json '["gauges"]["alerts"]' <<<"$m")" '"escalation/(pending|delivered|retrying)": [1-9]'
expect_eq "database reconnects" "$(json '["gauges"]["database_reconnects"]' <<<"$m")" 0.0
expect_eq "database up" "$(json '["gauges"]["database_up"]' <<<"$m")" 1.0

# The gauge follows the work: H002 moves on, one overdue household left.
ctl advance H002 exit publish >/dev/null
m=$(ctl metrics)
expect_eq "overdue households after H002 moved on" \
	"$(json '["gauges"]["overdue_households"]["stage2"]' <<<"$m")" 1.0
expect_eq "an error answer is counted by code" \
	"$( (ctl frobnicate || true) >/dev/null; ctl metrics | json '["counters"]["request_errors"]["unknown"]')" 1.0

# ---- HTTP --------------------------------------------------------------------------
U=http://127.0.0.1:$HTTP
prom=$(curl -sS "$U/metrics")
expect_eq "/metrics: 200" "$(curl -s -o /dev/null -w '%{http_code}' "$U/metrics")" 200
expect_match "/metrics: text format content type" \
	"$(curl -s -o /dev/null -w '%{content_type}' "$U/metrics")" '^text/plain; version=0.0.4'
grep -qx '# TYPE fupin_requests_total counter' <<<"$prom" && t_ok "/metrics: TYPE line of requests" ||
	t_fail "no TYPE line: $(head -5 <<<"$prom")"
grep -qE '^fupin_requests_total\{verb="ADVANCE"\} 5$' <<<"$prom" && t_ok "/metrics: requests by verb" ||
	t_fail "no requests{verb=ADVANCE}: $(grep requests_total <<<"$prom")"
grep -qE '^fupin_transitions_total\{workflow="exit",event="publish"\} 2$' <<<"$prom" &&
	t_ok "/metrics: transitions with workflow and event labels" ||
	t_fail "transitions: $(grep transitions <<<"$prom")"
grep -qE '^fupin_overdue_households\{deadline="stage2"\} 1$' <<<"$prom" &&
	t_ok "/metrics: overdue households per deadline" || t_fail "overdue: $(grep overdue <<<"$prom")"
grep -qE '^fupin_alerts\{kind="[a-z]+",state="(pending|delivered|retrying)"\} [0-9]+$' <<<"$prom" &&
	t_ok "/metrics: alerts by kind and state" || t_fail "alerts: $(grep 'fupin_alerts{' <<<"$prom")"
grep -qE '^fupin_database_up 1$' <<<"$prom" && t_ok "/metrics: database_up" || t_fail "database_up"
# Every line is a comment or name{labels} value, and each TYPE once.
python3 - "$prom" <<'PY' && t_ok "/metrics parses as the text format" || t_fail "/metrics does not parse"
import re, sys
types = set()
for line in sys.argv[1].strip().split("\n"):
    if line.startswith("# TYPE "):
        name = line.split()[2]
        assert name not in types, name
        types.add(name)
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_]+="([^"\\]|\\.)*",?)+\})? (\S+)$', line)
    assert m, line
    float(m.group(5))
    assert any(m.group(1) == t for t in types), line
PY
expect_eq "/healthz: 200 with the database up" "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" 200
expect_eq "/healthz says ok" "$(curl -s "$U/healthz")" ok
expect_eq "/nope: 404" "$(curl -s -o /dev/null -w '%{http_code}' "$U/nope")" 404
expect_eq "POST /metrics: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$U/metrics")" 405
expect_eq "a huge header: refused" "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$U/metrics")" 400
expect_eq "the socket still answers" "$(ctl ping | json '["ok"]')" true
t_stop

# /healthz without a database: 503.
sed -i "s|conninfo = \"dbname=$T_DB\"|conninfo = \"dbname=fupin_no_such_db\"|" "$T/fupind.conf"
t_start
expect_eq "/healthz: 503 while the database cannot be reached" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" 503
expect_match "/healthz says why" "$(curl -s "$U/healthz")" "database"
m=$(ctl metrics)
expect_eq "METRICS answers without a database" "$(json '["ok"]' <<<"$m")" true
t_stop
t_done
