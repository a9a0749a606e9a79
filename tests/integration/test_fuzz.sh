#!/usr/bin/env bash
# Every fuzz target (fuzz/*.c: the request parser, the CSV reader, the
# configuration, workflow and calendar loaders) runs for a bounded time on
# its seed corpus. scripts/test builds them in build-fuzz/ when clang is
# installed; without that build this test says so and passes. New inputs
# go to a scratch directory, never into fuzz/corpus. A longer run:
#   build-fuzz/fuzz/fuzz_request -max_total_time=600 fuzz/corpus/fuzz_request
set -euo pipefail
: "${FUPIN_SRC:?run through ctest (scripts/test)}"
: "${FUPIN_BUILD:?run through ctest (scripts/test)}"
FUZZ=${FUPIN_FUZZ_BUILD:-$FUPIN_SRC/build-fuzz}/fuzz
SECONDS_EACH=${FUPIN_FUZZ_SECONDS:-5}
targets="fuzz_request fuzz_csv fuzz_config fuzz_workflow fuzz_calendar"

if [ ! -x "$FUZZ/fuzz_request" ]; then
	echo "skipped: no fuzz build in $FUZZ (scripts/test makes one when clang is installed)"
	exit 0
fi
work=$FUPIN_BUILD/t/fuzz
rm -rf "$work"; mkdir -p "$work"
fails=0
for t in $targets; do
	[ -d "$FUPIN_SRC/fuzz/corpus/$t" ] || { echo "FAIL: no seed corpus for $t"; fails=$((fails + 1)); continue; }
	mkdir -p "$work/$t.new"
	# Sanitizer settings of the surrounding run do not apply to libFuzzer.
	if env -u ASAN_OPTIONS -u UBSAN_OPTIONS \
		LSAN_OPTIONS=suppressions=$FUPIN_SRC/fuzz/lsan.supp \
		"$FUZZ/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$t-" "$work/$t.new" "$FUPIN_SRC/fuzz/corpus/$t" \
		>"$work/$t.log" 2>&1; then
		echo "ok: $t: $(grep -o 'Done [0-9]* runs' "$work/$t.log")"
	else
		echo "FAIL: $t found a problem:"; grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$work/$t.log" | head -20
		ls "$work"/$t-* 2>/dev/null
		fails=$((fails + 1))
	fi
done
[ $fails -eq 0 ] && echo "all passed" || { echo "$fails failure(s)"; exit 1; }
