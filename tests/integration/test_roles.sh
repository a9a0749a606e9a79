#!/usr/bin/env bash
# One access model (009_roles.sql, sql/functions/99-access.sql): an owner
# runs fupind --migrate, fupind runs as a login in fupin_daemon, and
# fupinctl import goes through fupind (IMPORT on its socket): fupin_import,
# the group of the direct-connection importer of old, still exists (009
# made it) but may call nothing.
#  1. Only the owner migrates: the superuser and the daemon's login are
#     refused once the schema belongs to the owner; the owner's second run
#     applies nothing.
#  2. The whole campaign works under the split: imports (through fupind),
#     the simulated campaign to the analysis window (ADVANCE, EXTEND,
#     sweeps, alerts delivered by the notify command), STATUS, ANALYZE,
#     PROBLEMS, a list, and fupinctl report (through the daemon). The
#     daemon's login is not warned of owning the schema; the owner's and a
#     superuser are, at start.
#  3. As the daemon's login, the audit trail cannot be rewritten nor its
#     triggers switched off or replaced, and the register cannot be changed
#     but through the functions (the import's included); the importer's
#     login reads nothing and calls nothing.
#  4. Every function the daemon or fupinctl calls that writes runs as the
#     owner with a fixed search_path.
# Roles are cluster-wide: this test makes its own (suffix $$) and drops
# them; fupin_daemon and fupin_import are shared with the other tests.
. "$(dirname "$0")/lib.sh"

T_NAME=roles
T=$FUPIN_BUILD/t/$T_NAME
T_DB=fupin_$T_NAME
rm -rf "$T"; mkdir -p "$T"
OWNER=fupin_owner_$$
DAEMON=fupin_d_$$
IMPORTER=fupin_i_$$

pg() { psql -qAtX -v ON_ERROR_STOP=1 -d postgres "$@"; }
roles_cleanup() {
	t_cleanup_rc=$?
	t_stop
	pg -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1 || true
	for r in "$DAEMON" "$IMPORTER" "$OWNER"; do
		pg -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
	done
	if [ $T_FAILS -gt 0 ] || [ $t_cleanup_rc -ne 0 ]; then
		echo "--- $T/fupind.log (tail)"; tail -40 "$T/fupind.log" 2>/dev/null || true
		exit 1
	fi
}
trap roles_cleanup EXIT

pg -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null
pg -c "CREATE ROLE $OWNER LOGIN" >/dev/null
pg -c "CREATE DATABASE $T_DB OWNER $OWNER" >/dev/null
# The group roles, made by a superuser before the owner's first --migrate
# (the README's install; the owner may not create roles). Other tests may
# have made them already, or be making them now.
pg >/dev/null <<'SQL'
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fupin_daemon') THEN
		CREATE ROLE fupin_daemon NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fupin_import') THEN
		CREATE ROLE fupin_import NOLOGIN;
	END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
	NULL;
END $$;
SQL

cat >"$T/notify.sh" <<EOF
#!/bin/sh
cat >>"$T/delivered.log"; echo >>"$T/delivered.log"
EOF
chmod +x "$T/notify.sh"
# conf USER: a configuration that connects as USER
conf() {
	cat <<CONF
database: { conninfo = "dbname=$T_DB user=$1"; sql_dir = "$FUPIN_SRC/sql"; };
control:  { socket = "$T/fupind.sock"; };
clock:    { mode = "manual"; start = "2019-10-08T08:00:00+08:00"; };
workflows: { dir = "$FUPIN_SRC/workflows"; campaign = "2019"; };
notify:   { command = "$T/notify.sh"; };
log:      { level = "debug"; };
CONF
}
conf "$OWNER" >"$T/owner.conf"
conf "$DAEMON" >"$T/fupind.conf"
conf postgres >"$T/super.conf"

# -- 1. only the owner migrates
"$FUPIND" -c "$T/owner.conf" --migrate >"$T/migrate.log" 2>&1 ||
	{ cat "$T/migrate.log"; t_fail "the owner's --migrate"; exit 1; }
t_ok "the owner migrates a fresh database"
# fupin_daemon and fupin_import exist now (009_roles.sql made the latter)
pg -c "CREATE ROLE $DAEMON LOGIN IN ROLE fupin_daemon" >/dev/null
pg -c "CREATE ROLE $IMPORTER LOGIN IN ROLE fupin_import" >/dev/null

expect_eq "the schema, its tables and functions belong to the owner" \
	"$(t_psql -c "SELECT count(*) FROM (
	    SELECT nspowner FROM pg_namespace WHERE nspname = 'fupin'
	    UNION ALL SELECT relowner FROM pg_class WHERE relnamespace = 'fupin'::regnamespace
	    UNION ALL SELECT proowner FROM pg_proc WHERE pronamespace = 'fupin'::regnamespace) o
	    WHERE o.nspowner <> '$OWNER'::regrole")" 0
out=$("$FUPIND" -c "$T/super.conf" --migrate 2>&1) &&
	t_fail "a superuser's --migrate of the owner's schema was accepted" ||
	expect_match "a superuser's --migrate is refused" "$out" "schema fupin belongs to $OWNER"
out=$("$FUPIND" -c "$T/fupind.conf" --migrate 2>&1) &&
	t_fail "the daemon's --migrate was accepted" ||
	expect_match "the daemon's --migrate is refused" "$out" "belongs to $OWNER"
out=$("$FUPIND" -c "$T/owner.conf" --migrate 2>&1) ||
	t_fail "the owner's second --migrate: $out"
expect_match "the owner's second --migrate applies nothing" "$out" "nothing applied"
# the README's way: the superuser's Unix account, acting as the owner
sed "s/user=postgres/user=postgres options='-c role=$OWNER'/" "$T/super.conf" >"$T/migrate.conf"
out=$("$FUPIND" -c "$T/migrate.conf" --migrate 2>&1) ||
	t_fail "--migrate as postgres with role=$OWNER: $out"
expect_match "--migrate as postgres acting as the owner" "$out" "nothing applied"

# -- 2. the campaign under the split
python3 "$FUPIN_SRC/tools/gen/gen-township" --seed 7 --households 200 \
	--villages 3 "$T/township" >/dev/null
t_start
wait_ready
for f in villages households members; do
	out=$("$FUPINCTL" -c "$T/fupind.conf" import "$f" "$T/township/$f.csv" 2>&1) ||
		t_fail "import $f through fupind (the daemon's login): $out"
done
expect_eq "the import is audited" \
	"$(t_psql -c "SELECT count(*) > 0 FROM fupin.transition WHERE event = 'import'")" t
"$FUPIN_BUILD/bin/fupin-sim" -s "$T/fupind.sock" -d "$T/township" --seed 7 \
	--until 2019-11-28 --quiet >"$T/sim.out" 2>&1 ||
	t_fail "fupin-sim: $(tail -3 "$T/sim.out")"
expect_eq "ADVANCE recorded steps" \
	"$(t_psql -c "SELECT count(*) > 100 FROM fupin.transition WHERE workflow IS NOT NULL")" t
expect_eq "EXTEND recorded" \
	"$(t_psql -c "SELECT count(*) > 0 FROM fupin.extension")" t
expect_eq "sweeps wrote alerts" "$(t_psql -c "SELECT count(*) > 0 FROM fupin.alert")" t
WAIT_FOR_S=20 wait_for grep -q . "$T/delivered.log" || t_fail "no alert delivered"
delivered() { [ "$(t_psql -c "SELECT count(*) > 0 FROM fupin.alert WHERE delivered_at IS NOT NULL")" = t ]; }
WAIT_FOR_S=20 wait_for delivered && t_ok "alerts marked delivered" || t_fail "no alert marked delivered"
expect_code "ALERTS" ok alerts 5
expect_code "STATUS" ok status
expect_code "OVERDUE" ok overdue
expect_code "HOUSEHOLD" ok household "$(t_psql -c "SELECT household_id FROM fupin.household ORDER BY 1 LIMIT 1")"
expect_code "ANALYZE" ok analyze
expect_code "PROBLEMS" ok problems
"$FUPINCTL" -s "$T/fupind.sock" list village-notice --format csv -o "$T/list.csv" \
	>/dev/null 2>&1 || t_fail "list village-notice"
out=$("$FUPINCTL" -c "$T/fupind.conf" report --summary 2>&1) ||
	t_fail "report through the daemon: $out"
expect_match "report through the daemon" "$out" "截至"
t_stop
expect_eq "fupind was refused nothing" "$(grep -ci 'permission denied' "$T/fupind.log" || true)" 0
expect_eq "the daemon's login is not warned of owning the schema" \
	"$(grep -c 'logs in as' "$T/fupind.log" || true)" 0
# owner_warned CONF LOG REGEX: fupind run with CONF warns at start.
owner_warned() {
	"$FUPIND" -f -c "$1" >"$2" 2>&1 &
	T_PID=$!
	WAIT_FOR_S=20 wait_for grep -q "$3" "$2" && t_ok "warned: $3" ||
		t_fail "no warning /$3/ in $2: $(tail -5 "$2")"
	expect_match "the warning points to the README" "$(grep 'logs in as' "$2")" "fupin_daemon.*README, Install"
	t_stop
}
owner_warned "$T/owner.conf" "$T/owner.log" "logs in as $OWNER, which owns schema fupin (owner $OWNER)"
owner_warned "$T/super.conf" "$T/super.log" "logs in as postgres, a superuser, who may alter schema fupin"

# -- 3. what the daemon's login and the importer may not do
# as USER SQL REGEX: SQL, run as USER, fails with an error matching REGEX.
as() {
	local who=$1 what=$2 sql=$3 re=$4 out
	out=$(psql -qAtX -v ON_ERROR_STOP=1 -U "$who" -d "$T_DB" -c "$sql" 2>&1) &&
		{ t_fail "$what: accepted"; return; }
	expect_match "$what" "$out" "$re"
}
DENIED='permission denied|must be owner'
as "$DAEMON" "daemon: UPDATE transition" \
	"UPDATE fupin.transition SET note = 'x'" "permission denied for table transition"
as "$DAEMON" "daemon: DELETE transition" \
	"DELETE FROM fupin.transition" "permission denied for table transition"
as "$DAEMON" "daemon: INSERT into transition" \
	"INSERT INTO fupin.transition (village_id, event, actor, role, at) SELECT village_id, 'import', 'x', 'admin', now() FROM fupin.village LIMIT 1" \
	"permission denied for table transition"
as "$DAEMON" "daemon: TRUNCATE transition" \
	"TRUNCATE fupin.transition" "permission denied for table transition"
as "$DAEMON" "daemon: DISABLE TRIGGER" \
	"ALTER TABLE fupin.transition DISABLE TRIGGER transition_no_update" "must be owner of table transition"
as "$DAEMON" "daemon: replace the trigger function" \
	"CREATE OR REPLACE FUNCTION fupin.transition_append_only() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'" \
	"$DENIED"
as "$DAEMON" "daemon: replace a SECURITY DEFINER function" \
	"CREATE OR REPLACE FUNCTION fupin.advance(p jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT p'" \
	"$DENIED"
as "$DAEMON" "daemon: DROP TRIGGER" \
	"DROP TRIGGER transition_no_delete ON fupin.transition" "must be owner of (table|relation) transition"
as "$DAEMON" "daemon: household income" \
	"UPDATE fupin.household SET income_per_capita = 9999" "permission denied for table household"
as "$DAEMON" "daemon: workflow state" \
	"UPDATE fupin.workflow_instance SET state = 'exited'" "permission denied for table workflow_instance"
as "$DAEMON" "daemon: create a table in the schema" \
	"CREATE TABLE fupin.x (a int)" "permission denied for schema fupin"
as "$DAEMON" "daemon: delete an alert" \
	"DELETE FROM fupin.alert" "permission denied for table alert"
as "$DAEMON" "daemon: mark an alert delivered but through alert_record" \
	"UPDATE fupin.alert SET delivered_at = now()" "permission denied for table alert"
as "$DAEMON" "daemon: schema_migration" \
	"DELETE FROM fupin.schema_migration" "permission denied for table schema_migration"
as "$DAEMON" "daemon: an import's apply, but through import_commit" \
	"SELECT fupin.import_households(1, 'x')" "permission denied for table household"
as "$DAEMON" "daemon: write the staging table" \
	"INSERT INTO fupin.import_village_stage VALUES (1, 2, 'V', 'n', 't')" \
	"permission denied for table import_village_stage"
as "$IMPORTER" "importer: the import goes through fupind" \
	"SELECT fupin.import_open('{}')" "permission denied for function import_open"
expect_eq "the importer's group may call no function that runs as the owner" \
	"$(t_psql -c "SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'fupin'::regnamespace AND p.prosecdef AND p.prorettype <> 'trigger'::regtype AND has_function_privilege('fupin_import', p.oid, 'EXECUTE')")" 0
as "$IMPORTER" "importer: read households" \
	"SELECT count(*) FROM fupin.household" "permission denied for table household"
as "$IMPORTER" "importer: ADVANCE" \
	"SELECT fupin.advance('{}')" "permission denied for function advance"
as "$IMPORTER" "importer: household income" \
	"UPDATE fupin.household SET income_per_capita = 9999" "permission denied for table household"
as "$IMPORTER" "importer: DISABLE TRIGGER" \
	"ALTER TABLE fupin.transition DISABLE TRIGGER transition_no_update" "must be owner of table transition"
expect_eq "the daemon reads what it serves" \
	"$(psql -qAtX -U "$DAEMON" -d "$T_DB" -c "SELECT count(*) > 0 FROM fupin.household" 2>&1)" t
expect_eq "the triggers are still enabled (always)" \
	"$(t_psql -c "SELECT string_agg(tgenabled::text, '') FROM pg_trigger WHERE tgrelid = 'fupin.transition'::regclass AND NOT tgisinternal")" AAA

# -- the conninfo's secret: fupind -t warns while others may read it
sed "s/user=$DAEMON/user=$DAEMON password=secret/" "$T/fupind.conf" >"$T/secret.conf"
chmod 0644 "$T/secret.conf"
out=$("$FUPIND" -t -c "$T/secret.conf" 2>&1) || t_fail "fupind -t: $out"
expect_match "-t warns of a password others may read" "$out" "holds a password in database.conninfo and others may read it"
chmod 0640 "$T/secret.conf"
out=$("$FUPIND" -t -c "$T/secret.conf" 2>&1) || t_fail "fupind -t: $out"
expect_eq "-t is quiet when the file is 0640" "$out" "configuration OK"
chmod 0644 "$T/fupind.conf"
out=$("$FUPIND" -t -c "$T/fupind.conf" 2>&1) || t_fail "fupind -t: $out"
expect_eq "-t is quiet without a password" "$out" "configuration OK"

# -- 4. every writing function the programs call runs as the owner
called=$(grep -ho 'fupin\.[a-z_%]*(' "$FUPIN_SRC"/daemon/*.c "$FUPIN_SRC"/ctl/*.c |
	sed 's/^fupin\.\(.*\)($/\1/' | grep -v '%' | sort -u | paste -sd, -)
# lists.c names its function at run time
called="$called,list_document,tables_document"
bad=$(t_psql -c "SELECT coalesce(string_agg(DISTINCT p.proname, ', '), '')
	FROM pg_proc p WHERE p.pronamespace = 'fupin'::regnamespace
	AND p.proname = ANY (string_to_array('$called', ','))
	AND p.provolatile = 'v'
	AND NOT (p.prosecdef AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig))")
expect_eq "writing functions called by fupind/fupinctl are SECURITY DEFINER with search_path" "$bad" ""
bad=$(t_psql -c "SELECT coalesce(string_agg(p.proname, ', '), '')
	FROM pg_proc p WHERE p.pronamespace = 'fupin'::regnamespace
	AND p.prosecdef AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)")
expect_eq "every SECURITY DEFINER function has a fixed search_path" "$bad" ""
bad=$(t_psql -c "SELECT coalesce(string_agg(p.proname, ', '), '')
	FROM pg_proc p WHERE p.pronamespace = 'fupin'::regnamespace
	AND p.prosecdef AND p.prorettype <> 'trigger'::regtype
	AND has_function_privilege('public', p.oid, 'EXECUTE')")
expect_eq "PUBLIC may call no SECURITY DEFINER function" "$bad" ""
t_done
