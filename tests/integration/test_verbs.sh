#!/usr/bin/env bash
# One command table: fupinctl(1) and the bash completion list exactly the
# verbs of fupind's table (fupind --list-verbs), no more and no fewer, and
# a running fupind's HELP answers from the same table with the same usage.
. "$(dirname "$0")/lib.sh"

DOC=$FUPIN_SRC/doc
COMP=$FUPIN_SRC/contrib/fupinctl.bash-completion

"$FUPIND" --list-verbs >"${TMPDIR:-/tmp}/fupin-verbs.$$" ||
	{ t_fail "fupind --list-verbs failed"; exit 1; }
table=$(cut -f1 "${TMPDIR:-/tmp}/fupin-verbs.$$" | sort)
usages=$(cut -f1,3 "${TMPDIR:-/tmp}/fupin-verbs.$$" | sort)
rm -f "${TMPDIR:-/tmp}/fupin-verbs.$$"
[ "$(wc -l <<<"$table")" -ge 15 ] && t_ok "the table has $(wc -l <<<"$table") verbs" ||
	t_fail "the table has too few verbs: $table"

# The verbs of the man page: the .It Cm lines of the list in "The status
# protocol", first word only.
man=$(awk '/^\.Ss The status protocol/ { on = 1; next }
	on && /^\.Ss / { exit }
	on && /^\.Bl / { depth++; next }
	on && /^\.El/ { depth--; next }
	on && depth == 1 && /^\.It Cm / { print $3 }' "$DOC/fupinctl.1" | sort)
expect_eq "fupinctl.1 lists exactly the table's verbs" \
	"$(diff <(echo "$table") <(echo "$man") | grep '^[<>]' | tr '\n' ' ' || true)" ""

# The completion's $verbs, upper-cased.
comp=$(python3 -c 'import re, sys
m = re.search(r"\blocal verbs=\"([^\"]*)\"", open(sys.argv[1]).read())
print("\n".join(w.upper() for w in (m.group(1).split() if m else [])))' "$COMP" | sort)
expect_eq "the bash completion lists exactly the table's verbs" \
	"$(diff <(echo "$table") <(echo "$comp") | grep '^[<>]' | tr '\n' ' ' || true)" ""

# HELP of a running daemon answers from the same table.
t_setup verbs
t_start
help=$(ctl help)
got=$(python3 -c 'import json, sys
for v in json.load(sys.stdin)["verbs"]: print("%s\t%s" % (v["verb"], v["usage"]))' <<<"$help" | sort)
expect_eq "HELP (as admin) gives every verb of the table with its usage" "$got" "$usages"
t_done
