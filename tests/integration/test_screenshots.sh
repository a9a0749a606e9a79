#!/usr/bin/env bash
# doc/screenshots/ is current: the pages rendered from the same demo-like
# township as scripts/screenshots renders have the HTML structure recorded
# in doc/screenshots/skeleton.txt (tags and classes, not the data). After
# a change to the pages' markup, run scripts/screenshots.
. "$(dirname "$0")/lib.sh"
T=$FUPIN_BUILD/t/screenshots
rm -rf "$T"; mkdir -p "$T"
if TMPDIR=$T "$FUPIN_SRC/scripts/screenshots" --check >"$T/check.out" 2>&1; then
	t_ok "the pages' skeletons match doc/screenshots/skeleton.txt"
else
	cat "$T/check.out"
	t_fail "doc/screenshots/ is stale: run scripts/screenshots"
fi
for p in login village township; do
	[ -s "$FUPIN_SRC/doc/screenshots/$p.png" ] && t_ok "$p.png committed" || t_fail "doc/screenshots/$p.png missing"
done
t_done
