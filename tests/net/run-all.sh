#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/net/run-all.sh [PATTERN] - run the network tests (tests/net/test_*.sh).
#
# Each test runs in its own bash under a timeout (ODM_NET_TIMEOUT seconds,
# default 300) with its own run id (ODM_RUNID), so that whatever a killed
# test leaves behind (namespaces, processes, /etc/netns entries, run dir) is
# swept afterwards; a test that leaves anything behind fails. PATTERN (an
# extended regular expression) keeps only the tests whose name matches, e.g.
# `run-all.sh topology`. ODM_NET_SKIP (an extended regular expression too)
# leaves out the tests whose name matches it, e.g. those make check has just
# run against the sanitized agents (Makefile, NET_SAN_TESTS).
# Exit codes of a test: 0 pass, 77 skip, else fail.
# The last line is always "N passed, N failed, N skipped"; the exit status is
# non-zero when a test failed (or none matched PATTERN).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
filter=${1:-}
test_timeout=${ODM_NET_TIMEOUT:-300}
passed=0 failed=0 skipped=0
cur_pid="" cur_id=""

sweep() { # run id -> 0 when nothing was left, 1 when something was swept
	local id=$1 rc=0
	(
		export ODM_RUNID=$id
		# shellcheck source-path=SCRIPTDIR source=lib/topo.sh
		. "$here/lib/topo.sh"
		if ! topo_check_clean 2>/dev/null; then
			topo_sweep "$id"
			exit 1
		fi
	) || rc=1
	return "$rc"
}

on_signal() {
	echo "run-all: interrupted" >&2
	if [[ -n $cur_pid ]]; then
		kill -TERM "$cur_pid" 2>/dev/null
		wait "$cur_pid" 2>/dev/null
	fi
	[[ -n $cur_id ]] && sweep "$cur_id"
	echo "$passed passed, $((failed + 1)) failed, $skipped skipped"
	exit 130
}
trap on_signal INT TERM

tests=()
for t in "$here"/test_*.sh; do
	[[ -e $t ]] || continue
	name=$(basename "$t" .sh)
	if [[ -n $filter ]] && ! [[ $name =~ $filter ]]; then continue; fi
	if [[ -n ${ODM_NET_SKIP:-} && $name =~ $ODM_NET_SKIP ]]; then
		echo "run-all: $name left out (ODM_NET_SKIP '$ODM_NET_SKIP')"
		continue
	fi
	tests+=("$t")
done
if ((${#tests[@]} == 0)); then
	echo "run-all: no test in tests/net matches '${filter}'" >&2
	echo "0 passed, 0 failed, 0 skipped"
	exit 1
fi

for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	cur_id=$(printf 'r%03x%04x' $(($$ & 0xfff)) $((RANDOM & 0xffff)))
	echo "==== $name (run $cur_id, timeout ${test_timeout}s)"
	t0=$(date +%s)
	ODM_RUNID=$cur_id timeout --kill-after=15 "$test_timeout" bash "$t" &
	# shellcheck disable=SC2031 # ($! of the line above, not of sweep)
	cur_pid=$!
	wait "$cur_pid"
	rc=$?
	cur_pid=
	dt=$(($(date +%s) - t0))
	left=0
	sweep "$cur_id" || left=1
	cur_id=
	if ((rc == 0 && left == 0)); then
		echo "PASS $name (${dt}s)"
		passed=$((passed + 1))
	elif ((rc == 77 && left == 0)); then
		echo "SKIP $name (${dt}s)"
		skipped=$((skipped + 1))
	else
		why="exit $rc"
		((rc == 124 || rc == 137)) && why="timed out after ${test_timeout}s"
		((left)) && why="$why; left things behind (swept)"
		echo "FAIL $name ($why, ${dt}s)"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
