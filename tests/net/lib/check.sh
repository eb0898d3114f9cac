# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/check.sh - the assertion helpers every network test uses.
#
#   check DESCRIPTION CMD...   run CMD; print "ok - D" or "not ok - D" (counted)
#   ok D / not_ok D            the same, decided by the caller
#   wait_for SECONDS CMD...    poll CMD (output discarded) every 50 ms; 0 as soon
#                              as it succeeds
#   bg_timed END ERR CMD...    CMD in the background, its stderr in ERR; when it
#                              ends, "STATUS EPOCH_NS" in END (BG_TIMED_PID)
#   bg_timed_end END SECONDS T0_NS  wait up to SECONDS for it: BG_RC its status
#                              and BG_MS the ms from T0_NS to its end (none and
#                              -1 if it has not ended), and reap it
#   json EXPR < JSON           print a Python expression over the object j
#   in_prefix ADDR PREFIX      0 if ADDR lies in PREFIX
#   check_summary NAME         print the result line; exit 1 if any check failed
#   check_on_err NAME          on a failing command (set -eE), name it and the
#                              lines that led to it:  trap 'check_on_err N' ERR
#   net_need NAME WHY TOOL...  skip (exit 77) with the reason unless root and
#                              every TOOL is installed
#
# FAILS counts the failed checks.
#
# Under pipefail (every test sets it), "CMD | grep -q PAT" fails at random
# when grep has matched and left before CMD wrote its last line (ip writes
# line by line: SIGPIPE makes the pipe's status 141): a check matches on
# CMD's captured output instead, grep -q PAT <<<"$(CMD)".

FAILS=0
net_need() {
	local name=$1 why=$2 t
	shift 2
	if ((EUID != 0)); then
		echo "SKIP: $name needs root ($why)"
		exit 77
	fi
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (make deps-net)"; exit 77; }
	done
}
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# at_least MIN CMD... - CMD prints a number of at least MIN; run anew on
# each call, so "wait_for N at_least 1 odm_binding_count" polls the count
# (where "wait_for N test \"$(cmd)\" ..." would test one value N seconds)
at_least() {
	local min=$1 v
	shift
	v=$("$@") && [[ $v =~ ^[0-9]+$ ]] && ((v >= min))
}
wait_for() {
	local n=$(($1 * 20))
	shift
	while ((n-- > 0)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}
bg_timed() {
	local end=$1 err=$2
	shift 2
	(
		rc=0
		"$@" 2>"$err" || rc=$?
		echo "$rc $(date +%s%N)" >"$end"
	) &
	BG_TIMED_PID=$!
}
# shellcheck disable=SC2034 # (BG_RC and BG_MS are the caller's)
bg_timed_end() {
	local end=$1 t1
	if wait_for "$2" test -s "$end"; then
		read -r BG_RC t1 <"$end"
		BG_MS=$(((t1 - $3) / 1000000))
	else
		BG_RC=none BG_MS=-1
	fi
	wait "$BG_TIMED_PID" || true
}
json() {
	/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); v=eval(sys.argv[1]); print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1"
}
in_prefix() {
	/usr/bin/python3 -c 'import ipaddress,sys; sys.exit(0 if ipaddress.ip_address(sys.argv[1]) in ipaddress.ip_network(sys.argv[2]) else 1)' "$1" "$2"
}
# same_addr A B, other_addr A B - A and B are (not) the same IPv6 address,
# however written
same_addr() {
	/usr/bin/python3 -c 'import ipaddress,sys; sys.exit(0 if ipaddress.ip_address(sys.argv[1]) == ipaddress.ip_address(sys.argv[2]) else 1)' "$1" "$2"
}
other_addr() { ! same_addr "$1" "$2"; }
check_summary() {
	if ((FAILS > 0)); then
		echo "$1: $FAILS check(s) failed"
		exit 1
	fi
	echo "$1: all checks passed"
}

check_on_err() {
	local rc=$? i=0 at
	echo "$1: FAIL: '$BASH_COMMAND' exited $rc" >&2
	while at=$(caller "$i"); do
		echo "  at line $at" >&2
		i=$((i + 1))
	done
}
