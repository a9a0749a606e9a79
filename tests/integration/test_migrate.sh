#!/usr/bin/env bash
# fupind --migrate: a fresh database migrates; a second run changes nothing;
# a changed function file is re-applied, a broken one rolled back, and
# fupind serves only a database with its own function files;
# an applied file that was edited is refused by name; a broken new file is
# rolled back entirely and reported with its name and line; a numbering gap
# is refused; concurrent runs take turns.
. "$(dirname "$0")/lib.sh"

t_setup migrate

# migrate CONF: run fupind --migrate, output in $OUT, exit status in $RC.
migrate() {
	RC=0
	OUT=$("$FUPIND" -c "$1" --migrate 2>&1) || RC=$?
}

# conf_with_sqldir DIR: a copy of the test config reading migrations from DIR.
conf_with_sqldir() {
	local conf=$T/fupind-$(basename "$1").conf
	sed "s|sql_dir = \"[^\"]*\"|sql_dir = \"$1\"|" "$T/fupind.conf" >"$conf"
	grep -q "sql_dir = \"$1\"" "$conf" || { t_fail "cannot point $conf at $1"; exit 1; }
	echo "$conf"
}

snapshot() { t_psql -c "SELECT version, name, checksum, applied_at FROM fupin.schema_migration ORDER BY version"; }

files=$(cd "$FUPIN_SRC/sql" && ls | grep -E '^[0-9]{3,6}_[A-Za-z0-9_.-]+\.sql$' | sort)
nfiles=$(echo "$files" | wc -l)
latest=$(echo "$files" | tail -1 | sed -E 's/^0*([0-9]+)_.*/\1/')
next=$(printf '%03d' $((latest + 1)))

# -- a fresh database
log=$(cat "$T/migrate.log")
expect_match "first run applies 001_schema.sql" "$log" "applied 001_schema\.sql"
expect_eq "one schema_migration row per file" \
	"$(t_psql -c 'SELECT count(*) FROM fupin.schema_migration')" "$nfiles"
expect_eq "schema at the latest version" \
	"$(t_psql -c 'SELECT coalesce(max(version), 0) FROM fupin.schema_migration')" "$latest"
expect_eq "tables exist" \
	"$(t_psql -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'fupin' AND tablename IN ('campaign', 'calendar_item', 'village', 'villager_group', 'household', 'member', 'workflow_instance', 'transition', 'alert', 'extension', 'state_count')")" 11
expect_eq "fupin_daemon role exists" \
	"$(t_psql -c "SELECT count(*) FROM pg_roles WHERE rolname = 'fupin_daemon' AND NOT rolcanlogin")" 1

# -- a second run is a no-op
before=$(snapshot)
migrate "$T/fupind.conf"
expect_eq "second run exits 0" "$RC" 0
expect_match "second run says nothing was applied" "$OUT" "nothing applied"
if [[ $OUT =~ applied\ [0-9]+_ ]]; then t_fail "second run applied a file: $OUT"; else t_ok "second run applied no file"; fi
expect_eq "schema_migration unchanged by the second run" "$(snapshot)" "$before"

# -- function files: applied with the migrations, re-applied when changed
fnsnap() { t_psql -c "SELECT string_agg(name || ' ' || checksum, ',' ORDER BY name) FROM fupin.schema_function"; }
expect_eq "every function file recorded" \
	"$(t_psql -c 'SELECT count(*) FROM fupin.schema_function')" \
	"$(ls "$FUPIN_SRC/sql/functions" | grep -c '\.sql$')"
fns_before=$(fnsnap)
cp -r "$FUPIN_SRC/sql" "$T/sql-fn"
first_fn=$(ls "$T/sql-fn/functions" | grep '\.sql$' | head -1)
cat >>"$T/sql-fn/functions/$first_fn" <<'SQL'

CREATE OR REPLACE FUNCTION fupin.migrate_probe_fn() RETURNS int
LANGUAGE sql AS 'SELECT 42';
SQL
migrate "$(conf_with_sqldir "$T/sql-fn")"
expect_eq "changed function file: exit 0" "$RC" 0
expect_match "changed function file: every function file re-applied" "$OUT" "applied functions/$first_fn"
if [[ $OUT =~ applied\ [0-9]+_ ]]; then t_fail "a function change re-ran a migration: $OUT"; else t_ok "no migration re-run for a function change"; fi
expect_eq "changed function file: its new function exists" "$(t_psql -c 'SELECT fupin.migrate_probe_fn()')" 42
expect_eq "changed function file: schema_migration unchanged" "$(snapshot)" "$before"
fns_changed=$(fnsnap)
[ "$fns_changed" != "$fns_before" ] && t_ok "changed function file: new checksum recorded" ||
	t_fail "changed function file: schema_function unchanged"

# A broken function file: nothing of the upgrade stays, file and line named.
cp -r "$T/sql-fn" "$T/sql-fnbad"
cat >>"$T/sql-fnbad/functions/$first_fn" <<'SQL'
CREATE OR REPLACE FUNCTION fupin.migrate_probe_fn() RETURNS int
LANGUAGE sql AS 'SELECT 43';
CREAT FUNCTION oops;
SQL
badline=$(grep -n '^CREAT FUNCTION oops' "$T/sql-fnbad/functions/$first_fn" | cut -d: -f1)
migrate "$(conf_with_sqldir "$T/sql-fnbad")"
expect_eq "broken function file: exit 1" "$RC" 1
expect_match "broken function file: file and line named" "$OUT" "functions/$first_fn:$badline: .*syntax error"
expect_eq "broken function file: earlier statements rolled back" "$(t_psql -c 'SELECT fupin.migrate_probe_fn()')" 42
expect_eq "broken function file: schema_function unchanged" "$(fnsnap)" "$fns_changed"

# fupind serves only a database with exactly its own function files.
t_start
WAIT_FOR_S=10 wait_for grep -q 'functions differ' "$T/fupind.log" &&
	t_ok "fupind refuses a database whose functions differ" ||
	t_fail "fupind did not notice the database's functions differ"
expect_match "PING says the schema is not ready" "$(req ping)" '"schema": ?false'
t_stop
migrate "$T/fupind.conf"
expect_eq "back to the shipped function files: exit 0" "$RC" 0
expect_eq "back to the shipped function files: recorded" "$(fnsnap)" "$fns_before"

# -- an applied file edited afterwards
cp -r "$FUPIN_SRC/sql" "$T/sql-edited"
printf '\n-- edited after the fact\n' >>"$T/sql-edited/001_schema.sql"
migrate "$(conf_with_sqldir "$T/sql-edited")"
expect_eq "edited file: exit 1" "$RC" 1
expect_match "edited file: error names the file" "$OUT" "sql-edited/001_schema\.sql"
expect_match "edited file: error says it changed" "$OUT" "changed after it was applied"
expect_eq "edited file: schema_migration unchanged" "$(snapshot)" "$before"

# -- a new migration with a syntax error on line 4
cp -r "$FUPIN_SRC/sql" "$T/sql-syntax"
cat >"$T/sql-syntax/${next}_broken.sql" <<'SQL'
-- probe: must not survive the failed migration
CREATE TABLE fupin.migrate_probe (a int);
INSERT INTO fupin.migrate_probe VALUES (1);
CREAT TABLE fupin.oops (a int);
SQL
migrate "$(conf_with_sqldir "$T/sql-syntax")"
expect_eq "syntax error: exit 1" "$RC" 1
expect_match "syntax error: file and line named" "$OUT" "sql-syntax/${next}_broken\.sql:4: .*syntax error"
expect_eq "syntax error: nothing of the file is left" \
	"$(t_psql -c "SELECT to_regclass('fupin.migrate_probe') IS NULL")" t
expect_eq "syntax error: schema_migration unchanged" "$(snapshot)" "$before"

# -- a new migration that fails at run time, after statements that worked
cp -r "$FUPIN_SRC/sql" "$T/sql-runtime"
cat >"$T/sql-runtime/${next}_broken.sql" <<'SQL'
CREATE TABLE fupin.migrate_probe (a int);
INSERT INTO fupin.migrate_probe VALUES (1);
ALTER TABLE fupin.household ADD COLUMN migrate_probe int;
INSERT INTO fupin.no_such_table VALUES (1);
SQL
migrate "$(conf_with_sqldir "$T/sql-runtime")"
expect_eq "runtime error: exit 1" "$RC" 1
expect_match "runtime error: file, line and cause named" "$OUT" \
	"sql-runtime/${next}_broken\.sql:4: .*no_such_table.* does not exist"
expect_eq "runtime error: created table rolled back" \
	"$(t_psql -c "SELECT to_regclass('fupin.migrate_probe') IS NULL")" t
expect_eq "runtime error: added column rolled back" \
	"$(t_psql -c "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'fupin' AND table_name = 'household' AND column_name = 'migrate_probe'")" 0
expect_eq "runtime error: schema_migration unchanged" "$(snapshot)" "$before"

# -- once fixed, the new file applies and is recorded
cat >"$T/sql-runtime/${next}_broken.sql" <<'SQL'
CREATE TABLE fupin.migrate_probe (a int);
SQL
migrate "$(conf_with_sqldir "$T/sql-runtime")"
expect_eq "fixed file: exit 0" "$RC" 0
expect_match "fixed file: applied" "$OUT" "applied ${next}_broken\.sql"
expect_eq "fixed file: recorded" \
	"$(t_psql -c "SELECT name FROM fupin.schema_migration WHERE version = $((latest + 1))")" "${next}_broken.sql"
expect_eq "fixed file: its table exists" \
	"$(t_psql -c "SELECT to_regclass('fupin.migrate_probe') IS NOT NULL")" t

# -- the sql directory is older than the database
migrate "$T/fupind.conf"
expect_eq "database newer than sql dir: exit 1" "$RC" 1
expect_match "database newer than sql dir: says so" "$OUT" "${next}_broken\.sql.*not in the sql directory"

# -- a gap in the numbers; other names are ignored
cp -r "$FUPIN_SRC/sql" "$T/sql-gap"
echo 'SELECT 1;' >"$T/sql-gap/$(printf '%03d' $((latest + 2)))_gap.sql"
migrate "$(conf_with_sqldir "$T/sql-gap")"
expect_eq "gap: exit 1" "$RC" 1
expect_match "gap: the missing number is named" "$OUT" "migration ${next} is missing"
cp -r "$FUPIN_SRC/sql" "$T/sql-dup"
echo 'SELECT 1;' >"$T/sql-dup/001_again.sql"
migrate "$(conf_with_sqldir "$T/sql-dup")"
expect_eq "duplicate number: exit 1" "$RC" 1
expect_match "duplicate number: named" "$OUT" "duplicate migration number 001"

# -- concurrent runs against a fresh database take turns
T_DB=fupin_migrate_race
psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null
psql -qAt -d postgres -c "CREATE DATABASE $T_DB" >/dev/null
conf=$T/fupind-race.conf
sed "s|dbname=fupin_migrate\"|dbname=$T_DB\"|" "$T/fupind.conf" >"$conf"
for i in 1 2 3 4; do
	"$FUPIND" -c "$conf" --migrate >"$T/race$i.log" 2>&1 &
done
race_rc=0
for i in 1 2 3 4; do wait -n || race_rc=1; done
expect_eq "concurrent runs all succeed" "$race_rc" 0
expect_eq "concurrent runs apply each file once" \
	"$(cat "$T"/race?.log | grep -c 'applied 001_schema\.sql')" 1
expect_eq "concurrent runs: one row per file" \
	"$(t_psql -c 'SELECT count(*) FROM fupin.schema_migration')" "$nfiles"
psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null

t_done
