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
#
# ODM_NET_ALSO runs some tests once more in the same pool, with other
# agents or another tunnel backend: one line per pass,
#   LABEL PATTERN NAME=VALUE...
# runs each test whose name matches PATTERN (an extended regular expression,
# no blanks) again with the NAME=VALUEs (no blanks) in its environment, named
# test_X[LABEL]. make check passes the sanitized agents (ODM_BUILD) and each
# kernel tunnel backend (ODM_TUNNEL) this way, so that their tests fill the
# slots the plain ones leave instead of each pass waiting for its slowest.
#
# ODM_NET_IDLE_CMD, a shell command, runs beside the tests that share the
# machine, at the idle scheduling class (chrt --idle, sched(7): it gets
# only CPU time no other process wants, so it delays no test), from when
# the first of them starts; its output is printed and its exit status is a
# verdict, "[idle]", when it ends (make check builds and runs its short
# fuzzing there). Without chrt it runs after the tests.
#
# ODM_NET_JOBS (default 1) tests run side by side, each in namespaces of its
# own run id. Most of a network test is waiting (for a timer, a paced
# download, a lease to end), so two at a time on two cores take about half
# the time. A test that measures the machine or uses all of it (a flood, a
# load of processes, a throughput it compares, memory it watches) or touches
# the system outside its namespaces says so in a line of its own,
#   # run-all: alone (WHY)
# and runs with no other test beside it. One that takes much longer than
# most says so too,
#   # run-all: long (WHY)
# and starts before the others, so that the suite does not end waiting for
# it alone. With more than one job a test's
# output is held in a file and printed whole when it ends, so the logs of
# two tests never interleave.
#
# Run as root from a clone other users cannot read (in root's home, say),
# it runs the suite from a copy they can read (the tests that run programs
# as other users need it), removed at the end.
#
# Exit codes of a test: 0 pass, 77 skip, else fail.
# The last line is always "N passed, N failed, N skipped"; the exit status is
# non-zero when a test failed (or none matched PATTERN).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# Some tests run programs as other users (setpriv: a policy's uids, the
# control socket's shares): those must reach the build and the test
# scripts. In a clone others cannot enter (root's home is 0700) they
# cannot, and those tests would fail for it: the suite then runs from a
# copy of the tree and the build that others can read, removed at the end.
reachable() { setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$1" 2>/dev/null; }
if ((EUID == 0)) && [[ -z ${ODM_RUN_ALL_COPY:-} ]] && command -v setpriv >/dev/null &&
	! { reachable "$here/lib/check.sh" && reachable "${ODM_BUILD:-$here/../../build}/libodm.so"; }; then
	repo=$(cd "$here/../.." && pwd)
	build=$(cd "${ODM_BUILD:-$repo/build}" && pwd) || exit 2
	pub=$(mktemp -d "${TMPDIR:-/tmp}/odm-pub.XXXXXX") || exit 2
	trap 'rm -rf -- "$pub"' EXIT
	echo "run-all: $repo or its build is closed to other users: running from a copy in $pub"
	mkdir "$pub/src" "$pub/build"
	# the build's object files come too (make deb, make install in tests
	# find them up to date), its fuzzers do not, nor its sanitized build
	# unless a pass of ODM_NET_ALSO runs from it (its paths into the build
	# are made paths into the copy)
	nosan=(--exclude=./san)
	[[ ${ODM_NET_ALSO:-} == *"$build/san"* ]] && nosan=()
	export ODM_NET_ALSO=${ODM_NET_ALSO//"$build"/"$pub/build"}
	if ! tar -C "$repo" --exclude=./.git --exclude=./build -cf - . | tar -C "$pub/src" -xf - ||
		! tar -C "$build" --exclude=./fuzz --exclude=./fuzzobj "${nosan[@]}" -cf - . |
		tar -C "$pub/build" -xf -; then
		echo "run-all: the copy in $pub failed" >&2
		exit 2
	fi
	chmod -R go+rX "$pub"
	ODM_RUN_ALL_COPY=1 ODM_BUILD=$pub/build bash "$pub/src/tests/net/run-all.sh" "$@" &
	copy_pid=$!
	trap 'kill -TERM "$copy_pid" 2>/dev/null' INT TERM
	wait "$copy_pid"
	rc=$?
	# a signal ends the wait, not the suite: it sweeps, then ends
	while kill -0 "$copy_pid" 2>/dev/null; do wait "$copy_pid"; rc=$?; done
	exit "$rc"
fi
filter=${1:-}
test_timeout=${ODM_NET_TIMEOUT:-300}
jobs=${ODM_NET_JOBS:-1}
if ! [[ $jobs =~ ^[1-9][0-9]?$ ]]; then
	echo "run-all: ODM_NET_JOBS must be a number from 1 to 99, not '$jobs'" >&2
	exit 2
fi
passed=0 failed=0 skipped=0
# what the machine's root holds before any test: a test that writes there
# (a path made of a variable still empty) fails, naming what it left
root_before=$(LC_ALL=C ls -A /)
# the tests running now, by pid: name, run id, start time, output file
declare -A run_name=() run_id=() run_t0=() run_out=()

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
	local pid n=0
	echo "run-all: interrupted" >&2
	if [[ -n $idle_pid ]]; then
		kill -TERM -- "-$idle_pid" 2>/dev/null
		wait "$idle_pid" 2>/dev/null
		rm -f "$idle_out"
		n=$((n + 1))
	fi
	for pid in "${!run_name[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		sweep "${run_id[$pid]}"
		[[ -n ${run_out[$pid]} ]] && rm -f "${run_out[$pid]}"
		n=$((n + 1))
	done
	echo "$passed passed, $((failed + n)) failed, $skipped skipped"
	exit 130
}
trap on_signal INT TERM

# the idle command (ODM_NET_IDLE_CMD): its pid (its process group's too),
# output file and start time, once started
idle_pid="" idle_out="" idle_t0=0 idle_started=0
start_idle() {
	[[ -n ${ODM_NET_IDLE_CMD:-} ]] && ((!idle_started)) || return 0
	idle_started=1
	if ! command -v chrt >/dev/null || ! command -v setsid >/dev/null; then
		echo "run-all: no chrt or setsid here: '$ODM_NET_IDLE_CMD' runs after the tests"
		return 0
	fi
	idle_out=$(mktemp "${TMPDIR:-/tmp}/odm-run-all-idle.XXXXXX")
	echo "==== [idle] $ODM_NET_IDLE_CMD: started beside the tests (chrt --idle)"
	idle_t0=$(date +%s)
	chrt --idle 0 setsid bash -c "$ODM_NET_IDLE_CMD" >"$idle_out" 2>&1 &
	idle_pid=$!
}
finish_idle() {
	local rc dt
	[[ -n ${ODM_NET_IDLE_CMD:-} ]] || return 0
	if [[ -z $idle_pid ]]; then # no chrt: after the tests, as one of them
		idle_out=$(mktemp "${TMPDIR:-/tmp}/odm-run-all-idle.XXXXXX")
		idle_t0=$(date +%s)
		bash -c "$ODM_NET_IDLE_CMD" >"$idle_out" 2>&1 &
		idle_pid=$!
	fi
	wait "$idle_pid"
	rc=$?
	dt=$(($(date +%s) - idle_t0))
	echo "==== [idle] $ODM_NET_IDLE_CMD: its output"
	cat "$idle_out"
	rm -f "$idle_out"
	idle_pid=""
	if ((rc == 0)); then
		echo "PASS [idle] (${dt}s)"
		passed=$((passed + 1))
	else
		echo "FAIL [idle] (exit $rc, ${dt}s)"
		failed=$((failed + 1))
	fi
}

# alone TEST: whether TEST must run with no other test beside it
alone() { grep -q '^# run-all: alone' "$1"; }
# long TEST: whether TEST should start before the others
long() { grep -q '^# run-all: long' "$1"; }

# The runs, by number: a test's script, its name, and the environment of its
# pass (NAME=VALUE words; none for the plain pass)
run_script=() run_label=() run_env=()

start() { # RUN HOW (alone, or beside how many others)
	local r=$1 how=$2 t name id out="" pid envs
	t=${run_script[$r]} name=${run_label[$r]}
	read -ra envs <<<"${run_env[$r]}"
	# a run id no test running now has, nor a namespace left: drawn in
	# this shell (printf -v), not in $(...), where each subshell reseeds
	# RANDOM from values close to the last one's (3 000 draws there gave
	# 151 repeats; two tests of one CI run got the same id, and the one
	# whose set-up failed took the other's namespaces down with it)
	while :; do
		printf -v id 'r%03x%04x' $(($$ & 0xfff)) $((RANDOM & 0xffff))
		[[ " ${run_id[*]} " != *" $id "* && ! -e /run/netns/odm$id-mn ]] && break
	done
	if ((jobs == 1)); then
		echo "==== $name (run $id, timeout ${test_timeout}s)"
		env "${envs[@]}" "ODM_RUNID=$id" timeout --kill-after=15 "$test_timeout" bash "$t" &
		# shellcheck disable=SC2031 # ($! of the line above, not of sweep)
		pid=$!
	else
		out=$(mktemp "${TMPDIR:-/tmp}/odm-run-all-${name//[^a-z0-9_]/_}.XXXXXX")
		echo "==== $name (run $id, timeout ${test_timeout}s) started $how"
		env "${envs[@]}" "ODM_RUNID=$id" timeout --kill-after=15 "$test_timeout" bash "$t" >"$out" 2>&1 &
		# shellcheck disable=SC2031 # ($! of the line above, not of sweep)
		pid=$!
	fi
	run_name[$pid]=$name run_id[$pid]=$id run_t0[$pid]=$(date +%s) run_out[$pid]=$out
}

# finish: wait for one running test to end, sweep after it, say its verdict
finish() {
	local pid rc name dt left=0 why devnull= atroot
	wait -n -p pid "${!run_name[@]}"
	rc=$?
	name=${run_name[$pid]}
	dt=$(($(date +%s) - run_t0[$pid]))
	sweep "${run_id[$pid]}" || left=1
	# a test's namespaces share the machine's files: one that replaced
	# /dev/null (a program writing "to" it by making a new file there)
	# would break every later test and program, so it fails, and the
	# device is made again
	if [[ ! -c /dev/null ]]; then
		devnull=$(stat -c %F /dev/null 2>/dev/null || echo missing)
		rm -f /dev/null && mknod -m 666 /dev/null c 1 3
	fi
	atroot=$(LC_ALL=C comm -13 <(echo "$root_before") <(LC_ALL=C ls -A /) | sed 's|^|/|' | tr '\n' ' ')
	atroot=${atroot% }
	if [[ -n ${run_out[$pid]} ]]; then
		echo "==== $name (run ${run_id[$pid]}): its output"
		cat "${run_out[$pid]}"
		rm -f "${run_out[$pid]}"
	fi
	unset "run_name[$pid]" "run_id[$pid]" "run_t0[$pid]" "run_out[$pid]"
	if [[ -n $devnull ]]; then
		echo "run-all: /dev/null was a $devnull when $name ended (it or a test beside it replaced it): made again" >&2
	fi
	if [[ -n $atroot ]]; then
		echo "run-all: $atroot appeared at the machine's root while $name ran (it or a test beside it wrote there)" >&2
		root_before=$(LC_ALL=C ls -A /)
	fi
	if ((rc == 0 && left == 0)) && [[ -z $devnull$atroot ]]; then
		echo "PASS $name (${dt}s)"
		passed=$((passed + 1))
	elif ((rc == 77 && left == 0)) && [[ -z $devnull$atroot ]]; then
		echo "SKIP $name (${dt}s)"
		skipped=$((skipped + 1))
	else
		why="exit $rc"
		((rc == 124 || rc == 137)) && why="timed out after ${test_timeout}s"
		((left)) && why="$why; left things behind (swept)"
		[[ -n $devnull ]] && why="$why; replaced /dev/null (a $devnull)"
		[[ -n $atroot ]] && why="$why; wrote $atroot"
		echo "FAIL $name ($why, ${dt}s)"
		failed=$((failed + 1))
	fi
}

for t in "$here"/test_*.sh; do
	[[ -e $t ]] || continue
	name=$(basename "$t" .sh)
	if [[ -n $filter ]] && ! [[ $name =~ $filter ]]; then continue; fi
	if [[ -n ${ODM_NET_SKIP:-} && $name =~ $ODM_NET_SKIP ]]; then
		echo "run-all: $name left out (ODM_NET_SKIP '$ODM_NET_SKIP')"
		continue
	fi
	run_script+=("$t") run_label+=("$name") run_env+=("")
done
while read -r label pattern envs; do
	[[ -n $label ]] || continue
	if ! [[ $label =~ ^[a-z0-9_-]+$ && -n $pattern && $envs =~ ^[A-Z_][A-Z0-9_]*= ]]; then
		echo "run-all: ODM_NET_ALSO: '$label $pattern $envs' is not LABEL PATTERN NAME=VALUE..." >&2
		exit 2
	fi
	for t in "$here"/test_*.sh; do
		name=$(basename "$t" .sh)
		[[ $name =~ $pattern ]] || continue
		run_script+=("$t") run_label+=("${name}[$label]") run_env+=("$envs")
	done
done <<<"${ODM_NET_ALSO:-}"
if ((${#run_script[@]} == 0)); then
	echo "run-all: no test in tests/net matches '${filter}'" >&2
	echo "0 passed, 0 failed, 0 skipped"
	exit 1
fi

# The tests that need the machine to themselves first, one by one, then the
# others ODM_NET_JOBS at a time, the long ones first.
ordered=()
for r in "${!run_script[@]}"; do alone "${run_script[$r]}" && ordered+=("$r"); done
n_alone=${#ordered[@]}
for r in "${!run_script[@]}"; do
	alone "${run_script[$r]}" || ! long "${run_script[$r]}" || ordered+=("$r")
done
for r in "${!run_script[@]}"; do
	alone "${run_script[$r]}" || long "${run_script[$r]}" || ordered+=("$r")
done
for i in "${!ordered[@]}"; do
	if ((i < n_alone)); then
		while ((${#run_name[@]} > 0)); do finish; done
		start "${ordered[$i]}" "alone"
		finish
	else
		while ((${#run_name[@]} >= jobs)); do finish; done
		start_idle
		start "${ordered[$i]}" "beside ${#run_name[@]} other(s)"
	fi
done
while ((${#run_name[@]} > 0)); do finish; done
finish_idle

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
