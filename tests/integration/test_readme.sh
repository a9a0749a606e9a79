#!/usr/bin/env bash
# README.md stays true: its Workflows section is what fupind --describe
# prints from the shipped workflow files, and it starts with the two
# commands of CONTRACT.md.
. "$(dirname "$0")/lib.sh"
T=$FUPIN_BUILD/t/readme; mkdir -p "$T"
if out=$("$FUPIN_SRC/scripts/update-readme" --check "$FUPIN_BUILD" 2>&1); then
	t_ok "README workflows section matches the workflow files"
else
	t_fail "README is stale; run scripts/update-readme: $(echo "$out" | head -20)"
fi
first=$(grep -m2 -E '^scripts/(demo|test)' "$FUPIN_SRC/README.md" | awk '{print $1}' | tr '\n' ' ')
expect_eq "README starts with the two commands" "$first" "scripts/demo scripts/test "
for w in exit inclusion marginal monitoring member rectify village_team village_summary; do
	grep -q "^### \`$w\`" "$FUPIN_SRC/README.md" && t_ok "README documents $w" ||
		t_fail "README lacks workflow $w"
done
t_done
