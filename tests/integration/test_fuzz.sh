#!/usr/bin/env bash
# Every fuzz target (fuzz/*.c: the request parser, the CSV reader, the
# configuration, workflow and calendar loaders, import's cell parsers and
# its .xlsx reader) runs
# for a bounded time from its hand-written seeds (fuzz/seeds/NAME) with its
# dictionary (fuzz/dict/NAME.dict). scripts/test builds them in build-fuzz/
# when clang is installed; without that build this test says so and
# passes. The corpus they grow goes to a scratch directory in the build
# tree, never into the source tree. A longer run:
#   cmake --build build-fuzz --target fuzz-run-request
set -euo pipefail
: "${FUPIN_SRC:?run through ctest (scripts/test)}"
: "${FUPIN_BUILD:?run through ctest (scripts/test)}"
FUZZ=${FUPIN_FUZZ_BUILD:-$FUPIN_SRC/build-fuzz}/fuzz
SECONDS_EACH=${FUPIN_FUZZ_SECONDS:-5}
names="request csv config workflow calendar value xlsx"

if [ ! -x "$FUZZ/fuzz_request" ]; then
	echo "skipped: no fuzz build in $FUZZ (scripts/test makes one when clang is installed)"
	exit 0
fi
work=$FUPIN_BUILD/t/fuzz
rm -rf "$work"; mkdir -p "$work"
fails=0
for n in $names; do
	t=fuzz_$n seeds=$FUPIN_SRC/fuzz/seeds/$n dict=$FUPIN_SRC/fuzz/dict/$n.dict
	[ -x "$FUZZ/$t" ] || { echo "FAIL: $t is not built in $FUZZ"; fails=$((fails + 1)); continue; }
	[ -d "$seeds" ] && [ -f "$dict" ] ||
		{ echo "FAIL: no seeds or dictionary for $t"; fails=$((fails + 1)); continue; }
	mkdir -p "$work/$n"
	# Sanitizer settings of the surrounding run do not apply to libFuzzer.
	if env -u ASAN_OPTIONS -u UBSAN_OPTIONS \
		LSAN_OPTIONS=suppressions=$FUPIN_SRC/fuzz/lsan.supp \
		"$FUZZ/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-dict="$dict" -artifact_prefix="$work/$t-" "$work/$n" "$seeds" \
		>"$work/$t.log" 2>&1; then
		if grep -q 'ParseDictionaryFile: error' "$work/$t.log"; then
			echo "FAIL: $t: bad dictionary $dict"; fails=$((fails + 1)); continue
		fi
		echo "ok: $t: $(grep -o 'Done [0-9]* runs' "$work/$t.log"), $(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1)"
	else
		echo "FAIL: $t found a problem:"; grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$work/$t.log" | head -20
		ls "$work"/$t-* 2>/dev/null
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ] && echo "all passed" || { echo "$fails failure(s)"; exit 1; }
