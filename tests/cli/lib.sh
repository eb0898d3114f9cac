# SPDX-License-Identifier: MIT
# tests/cli/lib.sh - what the command-line tests share: where the build is,
# a temporary directory removed on exit, and the checks. Source it from a
# test_*.sh run with bash; set TEST_NAME first. Each check prints "ok - ..."
# or "not ok - ..."; cli_done prints the verdict as the last line.
set -euo pipefail

CLI_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$CLI_HERE/../.." && pwd)
B=${ODM_BUILD:-$ROOT/build}
CTL=$B/odmctl
AGENT=$B/odmagent
for f in odmctl odmagent libodm.so; do
	[[ -e $B/$f ]] || { echo "FAIL: $B/$f is missing (make all)"; exit 1; }
done
trap 'echo "not ok - $TEST_NAME line $LINENO: $BASH_COMMAND" >&2' ERR

TMP=$(mktemp -d)
CLI_CLEANUP=()
cli_cleanup() {
	local c
	for c in "${CLI_CLEANUP[@]}"; do eval "$c" || true; done
	rm -rf "$TMP"
}
trap cli_cleanup EXIT
# python3 here is the system's when there is one (as in the network tests,
# tests/net/lib/topo.sh: a version manager's shim first on PATH costs about
# 0.4 s a start)
if [[ -x /usr/bin/python3 && $(command -v python3 || true) != /usr/bin/python3 ]]; then
	mkdir "$TMP/system-python"
	ln -s /usr/bin/python3 "$TMP/system-python/python3"
	PATH=$TMP/system-python:$PATH
fi

# cli_for_others - B, CTL and AGENT made usable by other users (setpriv):
# from a build they cannot read (a clone in root's home, 0700), copies of
# the three in a directory they can, removed on exit.
cli_for_others() {
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups) pub f
	"${nobody[@]}" test -x "$CTL" -a -r "$B/libodm.so" 2>/dev/null && return 0
	pub=$(mktemp -d)
	CLI_CLEANUP+=("rm -rf -- '$pub'")
	for f in odmctl odmagent libodm.so; do cp -L "$B/$f" "$pub/$f"; done
	chmod 0755 "$pub" "$pub/odmctl" "$pub/odmagent" "$pub/libodm.so"
	echo "# $B is closed to other users: copies of odmctl, odmagent and libodm.so in $pub"
	B=$pub CTL=$pub/odmctl AGENT=$pub/odmagent
}

fails=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; fails=$((fails + 1)); }
# expect RC DESC CMD... - run CMD (stdout to $TMP/out, stderr to $TMP/err),
# pass when its exit status is RC.
expect() {
	local want=$1 desc=$2 rc=0
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	if ((rc == want)); then ok "$desc (exit $rc)"; else
		bad "$desc: exit $rc, not $want: $* (stderr: $(head -c 300 "$TMP/err"))"
	fi
}
# has FILE PATTERN DESC - a fixed string in out or err
has() {
	if grep -qF -- "$2" "$TMP/$1"; then ok "$3"; else
		bad "$3: \"$2\" not in $1: $(head -c 300 "$TMP/$1")"
	fi
}
# lacks FILE PATTERN DESC - a fixed string not in out or err
lacks() {
	if grep -qF -- "$2" "$TMP/$1"; then bad "$3: \"$2\" in $1: $(head -c 300 "$TMP/$1")"; else
		ok "$3"
	fi
}
empty() { if [[ ! -s $TMP/$1 ]]; then ok "$2"; else bad "$2: $(head -c 300 "$TMP/$1")"; fi; }
# check DESC CMD... - pass when CMD succeeds
check() { if "${@:2}"; then ok "$1"; else bad "$1"; fi; }
# skip WHY - the whole test cannot run here
skip() { echo "SKIP: $TEST_NAME: $*"; exit 77; }
cli_done() {
	if ((fails)); then
		echo "FAIL: $TEST_NAME: $fails checks failed"
		exit 1
	fi
	echo "PASS: $TEST_NAME"
}
