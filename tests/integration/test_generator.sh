#!/usr/bin/env bash
# tools/gen/gen-township: the same seed gives the same bytes, another seed
# other bytes, and the files import cleanly through fupinctl import: the
# counts in the database are the rows of the CSV files, every person id
# passes the GB 11643-1999 check.
. "$(dirname "$0")/lib.sh"

t_setup generator
GEN="python3 $FUPIN_SRC/tools/gen/gen-township"

$GEN --seed 7 "$T/a" >/dev/null
$GEN --seed 7 "$T/b" >/dev/null
$GEN --seed 8 "$T/c" >/dev/null
for f in villages households members; do
	if cmp -s "$T/a/$f.csv" "$T/b/$f.csv"; then t_ok "seed 7 twice: same $f.csv"
	else t_fail "seed 7 twice: $f.csv differs"; fi
done
if cmp -s "$T/a/households.csv" "$T/c/households.csv"; then
	t_fail "seeds 7 and 8 gave the same households.csv"
else t_ok "another seed, another township"; fi

rows() { echo $(($(wc -l <"$1") - 1)); }
expect_eq "10 villages by default" "$(rows "$T/a/villages.csv")" 10
expect_eq "3000 households by default" "$(rows "$T/a/households.csv")" 3000

t_start	# imports go through it
wait_ready
for f in villages households members; do
	out=$("$FUPINCTL" -c "$T/fupind.conf" import "$f" "$T/a/$f.csv" 2>&1) ||
		{ t_fail "import $f: $out"; continue; }
	expect_match "import $f" "$out" "^$f: $(rows "$T/a/$f.csv") read, $(rows "$T/a/$f.csv") inserted"
done
expect_eq "villages in the database" "$(t_psql -c 'SELECT count(*) FROM fupin.village')" "$(rows "$T/a/villages.csv")"
expect_eq "households in the database" "$(t_psql -c 'SELECT count(*) FROM fupin.household')" "$(rows "$T/a/households.csv")"
expect_eq "members in the database" "$(t_psql -c 'SELECT count(*) FROM fupin.member')" "$(rows "$T/a/members.csv")"
expect_eq "every person id valid" "$(t_psql -c 'SELECT count(*) FROM fupin.member WHERE NOT fupin.person_id_valid(person_id)')" 0
expect_eq "birth dates agree with the ids" "$(t_psql -c "SELECT count(*) FROM fupin.member WHERE to_char(birth_date, 'YYYYMMDD') <> substr(person_id, 7, 8)")" 0
expect_eq "every category present" "$(t_psql -c 'SELECT count(DISTINCT category) FROM fupin.household')" 6
expect_eq "incomes around the exit line" "$(t_psql -c "SELECT count(*) > 10 FROM fupin.household WHERE category = 'poor' AND income_per_capita BETWEEN 3300 AND 3749")" t
expect_eq "some guarantees unresolved" "$(t_psql -c "SELECT count(*) > 5 FROM fupin.household WHERE NOT (food AND clothing AND education AND medical AND housing)")" t
# Importing the same files again changes nothing.
out=$("$FUPINCTL" -c "$T/fupind.conf" import households "$T/a/households.csv" 2>&1)
expect_match "second import unchanged" "$out" "0 inserted, 0 updated, 3000 unchanged"
t_done
