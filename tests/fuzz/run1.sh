#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/fuzz/run1.sh HARNESS - one libFuzzer run for make fuzz (Makefile):
# until FUZZ_RUNS executions or FUZZ_TIME seconds, with the harness's corpus
# in $BUILD/fuzz/corpus-NAME, its seeds (tests/fuzz/seeds/NAME, if any) and
# the flags of its source's "fuzz-flags: ..." line. Prints its two lines
# together at the end, so runs side by side (make -j, xargs -P) do not mix
# them. Exit 1 on a crash or on fewer than FUZZ_MIN_RUNS executions.
set -u
f=$1
n=$(basename "$f")
mkdir -p "$BUILD/fuzz/corpus-$n"
log=$BUILD/fuzz/$n.log
flags=$(sed -n 's/.*fuzz-flags: *//p' "tests/fuzz/$n.c" | head -n 1)
seeds=tests/fuzz/seeds/$n
[ -d "$seeds" ] || seeds=
t0=$(date +%s)
rc=0
# shellcheck disable=SC2086 # FUZZ_FLAGS, flags and seeds are word lists
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$f" -runs="$FUZZ_RUNS" -max_total_time="$FUZZ_TIME" -print_final_stats=1 \
	-close_fd_mask=3 -artifact_prefix="$BUILD/fuzz/$n-" $FUZZ_FLAGS $flags \
	"$BUILD/fuzz/corpus-$n" $seeds >"$log" 2>&1 || rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
echo "fuzz: $n: $FUZZ_RUNS runs or $FUZZ_TIME s $flags
fuzz: $n: ${runs:-0} runs in $(($(date +%s) - t0)) s (${rate:-0}/s)," \
	"$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [^ ]*' "$log" | tail -n 1), exit $rc"
if [ "$rc" -ne 0 ]; then
	tail -n 40 "$log"
	echo "fuzz: $n FAILED (log $log)"
	exit 1
fi
if [ "${runs:-0}" -lt "$FUZZ_MIN_RUNS" ]; then
	echo "fuzz: $n FAILED: ${runs:-0} runs, fewer than $FUZZ_MIN_RUNS in $FUZZ_TIME s"
	exit 1
fi
