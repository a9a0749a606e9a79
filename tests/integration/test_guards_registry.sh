#!/usr/bin/env bash
# The guards a workflow file may name (the C table in daemon/workflow.c,
# printed by fupind --list-guards) are exactly those fupin.guard_check
# evaluates: the WHEN branches of its CASE g, in whichever sql/**/*.sql
# file defines it (the last such file in path order, if several do).
. "$(dirname "$0")/lib.sh"

c=$("$FUPIND" --list-guards | cut -f1 | sort)
[ "$(wc -l <<<"$c")" -ge 10 ] && t_ok "the C table has $(wc -l <<<"$c") guards" ||
	t_fail "the C table has too few guards: $c"

sql=$(python3 - "$FUPIN_SRC/sql" <<'PY'
import glob, os, re, sys
root = sys.argv[1]
files = sorted(glob.glob(os.path.join(root, "**", "*.sql"), recursive=True),
               key=lambda p: os.path.relpath(p, root))
body = None
for path in files:
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"FUNCTION\s+fupin\.guard_check\s*\(.*?\$\$(.*?)\$\$",
                         text, re.S):
        body, where = m.group(1), path
if body is None:
    sys.exit("no fupin.guard_check in %s" % root)
print("file:", os.path.relpath(where, root), file=sys.stderr)
case = re.search(r"^\s*CASE g\s*$(.*?)^\s*END CASE;", body, re.S | re.M)
if case is None:
    sys.exit("no CASE g ... END CASE in fupin.guard_check")
names = set()
for m in re.finditer(r"^\s*WHEN\s+('[^\n]*?')\s+THEN\s*$", case.group(1), re.M):
    names.update(re.findall(r"'([a-z_]+)'", m.group(1)))
print("\n".join(sorted(names)))
PY
) || { t_fail "cannot read the guards of fupin.guard_check"; t_done; }
[ "$(wc -l <<<"$sql")" -ge 10 ] && t_ok "fupin.guard_check has $(wc -l <<<"$sql") guards" ||
	t_fail "fupin.guard_check has too few guards: $sql"

only_c=$(comm -23 <(echo "$c") <(echo "$sql") | tr '\n' ' ')
only_sql=$(comm -13 <(echo "$c") <(echo "$sql") | tr '\n' ' ')
expect_eq "every guard of the C table is evaluated in SQL" "$only_c" ""
expect_eq "every guard SQL evaluates is in the C table" "$only_sql" ""
t_done
