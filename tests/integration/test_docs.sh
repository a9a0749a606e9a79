#!/usr/bin/env bash
# The manual pages keep up with the code: every setting `fupind -T` prints
# is in fupind.conf(5) with its type, reloadability and default; every verb
# a running fupind lists in HELP, and every verb of the command table, is in
# fupinctl(1); every option of `fupind -h` and `fupinctl -h` is in its page;
# and man renders each page without a warning.
. "$(dirname "$0")/lib.sh"

DOC=$FUPIN_SRC/doc
t_setup docs

# ---- fupind.conf(5) against the settings table -------------------------------

"$FUPIND" -T >"$T/defaults.conf"
# One line per setting: name<TAB>type, reloadable|restart to change<TAB>default,
# the name and kind from `fupind -T` of this build, the default from the
# shipped etc/fupind.conf (the same text for a default build: test_config
# checks that), so that a build with another prefix documents /usr and /etc.
python3 - "$T/defaults.conf" "$FUPIN_SRC/etc/fupind.conf" >"$T/settings.tsv" <<'PY'
import re, sys

def parse(path):
    out, group, kind = {}, None, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^([a-z_]+): \{$", line)
        if m:
            group = m.group(1)
            continue
        m = re.match(r"^\t# .*\(([^()]*)\)$", line)
        if m:
            kind = m.group(1)
            continue
        m = re.match(r"^\t([a-z_]+) = (.*);$", line)
        if m:
            value = m.group(2)
            if value.startswith('"'):
                value = value[1:-1]
            out[group + "." + m.group(1)] = (kind, value)
    return out

built, shipped = parse(sys.argv[1]), parse(sys.argv[2])
for name, (kind, value) in built.items():
    print("%s\t%s\t%s" % (name, kind, shipped.get(name, (None, value))[1]))
PY
nsettings=$(wc -l <"$T/settings.tsv")
[ "$nsettings" -ge 29 ] && t_ok "fupind -T lists $nsettings settings" ||
	t_fail "fupind -T lists only $nsettings settings"

# The .It entry of each setting, with the text up to the next entry, roff
# escapes for '-' undone.
entry() {
	awk -v want=".It Cm $1 " '
		index($0, want) == 1 || $0 == substr(want, 1, length(want) - 1) { on = 1; print; next }
		on && /^\.(It|El)/ { exit }
		on { print }' "$DOC/fupind.conf.5" | sed 's/\\-/-/g'
}
missing=0
while IFS=$'\t' read -r name kind default; do
	block=$(entry "$name")
	if [ -z "$block" ]; then
		t_fail "fupind.conf.5 has no '.It Cm $name' entry"
		missing=$((missing + 1))
		continue
	fi
	first=$(head -n 1 <<<"$block")
	expect_eq "fupind.conf.5: $name is ($kind)" "$first" ".It Cm $name Pq $kind"
	if [ -z "$default" ]; then
		[[ $block == *"Default: empty"* ]] && t_ok "fupind.conf.5: $name defaults to empty" ||
			t_fail "fupind.conf.5: $name does not say 'Default: empty'"
	else
		[[ $block == *"$default"* ]] && t_ok "fupind.conf.5: $name defaults to $default" ||
			t_fail "fupind.conf.5: the entry of $name does not give its default $default"
	fi
done <"$T/settings.tsv"
expect_eq "every setting documented" "$missing" 0

# ---- fupinctl(1) against the verbs ----------------------------------------------

t_start
help=$(ctl help)
verbs=$(json '["verbs"]' <<<"$help" | python3 -c 'import json,sys; print("\n".join(v["verb"] for v in json.load(sys.stdin)))')
[ "$(wc -l <<<"$verbs")" -ge 7 ] && t_ok "HELP lists $(wc -l <<<"$verbs") verbs" ||
	t_fail "HELP lists too few verbs: $verbs"
# The command table itself (test_verbs checks the list is exact).
table=$("$FUPIND" --list-verbs | cut -f1 || true)
[ -n "$table" ] && t_ok "read the command table" || t_fail "fupind --list-verbs printed no verbs"
for v in $(printf '%s\n%s\n' "$verbs" "$table" | sort -u); do
	grep -qE "^\.It Cm $v( |$)" "$DOC/fupinctl.1" &&
		t_ok "fupinctl.1 documents $v" || t_fail "fupinctl.1 has no '.It Cm $v' entry"
done
# Each verb entry carries an example.
python3 - "$DOC/fupinctl.1" <<'PY' && t_ok "every verb entry has an example" || t_fail "a verb entry lacks its .Dl example"
import re, sys
text = open(sys.argv[1]).read()
section = text.split(".Ss The status protocol", 1)[1].split(".Ss ", 1)[0]
bad = [e.split("\n", 1)[0] for e in section.split("\n.It Cm ")[1:] if "\n.Dl " not in e]
for b in bad:
    print("no example:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
for word in FUPIN_SOCKET 'EXIT STATUS' 'overdue V01' 'advance H0107 exit publish'; do
	grep -qF "$word" "$DOC/fupinctl.1" && t_ok "fupinctl.1 mentions $word" ||
		t_fail "fupinctl.1 lacks $word"
done

# ---- options ----------------------------------------------------------------------

# fl OPTION: the mdoc spelling, "-t" -> "Fl t", "--migrate" -> "Fl \-migrate".
fl() { if [[ $1 == --* ]]; then echo "Fl \\-${1#--}"; else echo "Fl ${1#-}"; fi; }
for opt in $("$FUPIND" -h | grep -oE '^  -(-[a-z]+|[A-Za-z])'); do
	grep -qF ".It $(fl "$opt")" "$DOC/fupind.8" && t_ok "fupind.8 documents $opt" ||
		t_fail "fupind.8 has no '.It $(fl "$opt")'"
done
for opt in $("$FUPINCTL" -h | grep -oE '^  -(-[a-z]+|[A-Za-z])'); do
	grep -qF ".It $(fl "$opt")" "$DOC/fupinctl.1" && t_ok "fupinctl.1 documents $opt" ||
		t_fail "fupinctl.1 has no '.It $(fl "$opt")'"
done
for sect in SYNOPSIS SIGNALS SYSTEMD FILES 'EXIT STATUS' 'SEE ALSO'; do
	grep -qx "\.Sh $sect" "$DOC/fupind.8" && t_ok "fupind.8 has $sect" ||
		t_fail "fupind.8 lacks the section $sect"
done

# ---- rendering ----------------------------------------------------------------------

if ! command -v man >/dev/null; then
	echo "SKIP: man is not installed (apt-get install man-db groff-base); pages not rendered"
else
	for page in fupind.8 fupind.conf.5 fupinctl.1; do
		warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
			man --warnings -E UTF-8 -l "$DOC/$page" 2>&1 >"$T/$page.txt") || true
		expect_eq "man renders $page without warnings" "$warnings" ""
		[ "$(wc -l <"$T/$page.txt")" -gt 20 ] && t_ok "$page renders to text" ||
			t_fail "$page rendered to almost nothing"
	done
fi

t_done
