#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cli.sh - the command lines of odmctl and odmagent, without a network
# and without root: one version number everywhere, --help and --version on
# the tools and on every odmctl subcommand, usage errors that name the bad
# word and exit 2, exit status 1 on every failure (no agent, an agent's
# error, a release the agent did not do), and -j output that is clean JSON
# (no protocol fields id/ok), monitor's stream and exit status. The agent is tests/cli/script_agent.py on a
# Unix socket in a temporary directory.
#
# usage: ODM_BUILD=build bash tests/cli/test_cli.sh
# Exit 0 pass, 1 fail, 77 skip (python3 or a C compiler missing).
set -euo pipefail

for t in python3 "${CC:-gcc}"; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done
TEST_NAME=test_cli.sh
. "$(dirname "$0")/lib.sh"
HERE=$CLI_HERE
AGENT_PID=""
CLI_CLEANUP+=('[[ -n $AGENT_PID ]] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null')
# json_lines CHECK DESC - every line of out is a JSON object without id/ok,
# and the python expression CHECK holds for the list of them, L
json_lines() {
	if python3 - "$TMP/out" "$1" <<'PY'; then ok "$2"; else bad "$2: $(head -c 300 "$TMP/out")"; fi
import json, sys
lines = open(sys.argv[1]).read().splitlines()
L = [json.loads(s) for s in lines]
assert L, "no output"
for o in L:
    assert isinstance(o, dict), o
    # an event's "id" is its lease's (odmctl(8)), not the protocol's
    assert "ok" not in o and ("id" not in o or "event" in o), o
assert eval(sys.argv[2]), L
PY
}


# ---------------------------------------------------------------- one version number
VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
[[ -n $VERSION ]] || bad "the Makefile has a VERSION"
cat >"$TMP/ver.c" <<'C'
#include <stdio.h>
#include "odm.h"
int main(void) { puts(odm_version()); return 0; }
C
"${CC:-gcc}" -Wall -Werror -I"$ROOT/include" -o "$TMP/ver" "$TMP/ver.c" -L"$B" -lodm \
	-Wl,-rpath,"$B"
for v in "$CTL --version" "$CTL -V" "$CTL status --version" "$CTL run --version" \
	"$AGENT --version" "$AGENT -V"; do
	# shellcheck disable=SC2086 # the words of v are the command
	expect 0 "$v" $v
	has out "$(basename "${v%% *}") $VERSION" "$v prints $VERSION"
done
expect 0 "odm_version() in a program linked with -lodm" "$TMP/ver"
if [[ $(cat "$TMP/out") == "$VERSION" ]]; then ok "odm_version() is \"$VERSION\""; else
	bad "odm_version() is \"$(cat "$TMP/out")\", not \"$VERSION\""
fi

# ---------------------------------------------------------------- help
for h in -h --help; do
	expect 0 "odmctl $h" "$CTL" "$h"
	has out "usage: odmctl" "odmctl $h prints the usage on stdout"
	expect 0 "odmagent $h" "$AGENT" "$h"
	has out "usage: odmagent" "odmagent $h prints the usage on stdout"
done
for c in status hello lease release leases monitor run reload genkey enable disable; do
	expect 0 "odmctl $c --help" "$CTL" "$c" --help
	has out "usage: odmctl [-j] [-s socket] $c" "odmctl $c --help prints its usage"
	empty err "odmctl $c --help writes nothing on stderr"
	expect 0 "odmctl $c -h" "$CTL" -s "$TMP/none.sock" "$c" -h
done
# policy has subcommands, each with its own help (odm-policy(5))
expect 0 "odmctl policy --help" "$CTL" policy --help
has out "usage: odmctl [-j] [-s socket] policy show|add|del|test" "policy --help lists its subcommands"
for c in show add del test; do
	expect 0 "odmctl policy $c --help" "$CTL" policy "$c" --help
	has out "usage: odmctl [-j] [-s socket] policy $c" "odmctl policy $c --help prints its usage"
	empty err "odmctl policy $c --help writes nothing on stderr"
done
expect 0 "odmctl policy add --version" "$CTL" policy add --version
has out "odmctl $VERSION" "policy add --version prints the version"
expect 2 "odmctl policy without a subcommand" "$CTL" policy
expect 2 "odmctl policy frob" "$CTL" policy frob
has err "unknown subcommand \"frob\"" "the unknown policy subcommand is named"
expect 2 "odmctl policy test without --uid" "$CTL" policy test --exe /bin/true
has err "--uid is needed" "policy test says what it needs"
# a bad value is exit 1, a usage error 2 (odmctl(8) EXIT STATUS)
expect 1 "odmctl policy test --uid x" "$CTL" policy test --uid x
has err "not a number 0..4294967294: \"x\"" "policy test names the bad uid"
expect 1 "odmctl policy test --uid 4294967295" "$CTL" policy test --uid 4294967295
has err "not a number 0..4294967294: \"4294967295\"" "policy test says the range"
expect 1 "odmctl policy test --exe with a relative path" "$CTL" policy test --uid 1 --exe curl
has err "\"curl\" is not an absolute path" "policy test names the relative program path"
expect 1 "odmctl policy test --type mobile" "$CTL" policy test --uid 0 --type mobile
has err '"mobile"' "policy test names the bad type"
expect 2 "odmctl policy test --type without its value" "$CTL" policy test --uid 0 --type
expect 2 "odmctl policy del without a number" "$CTL" policy del
expect 1 "odmctl policy del 0" "$CTL" policy del 0
has err 'not a rule number 1..65535: "0"' "policy del names the bad number"
# numbers as the files write them: no blank, sign or leading zero, which
# strtoll let through (" 1", "01")
for n in 01 " 1" +1; do
	expect 1 "odmctl policy del \"$n\"" "$CTL" -s "$TMP/none.sock" policy del "$n"
	has err "not a rule number 1..65535: \"$n\"" "policy del names the number \"$n\""
	expect 1 "odmctl policy test --uid \"$n\"" "$CTL" -s "$TMP/none.sock" policy test --uid "$n"
	has err "not a number 0..4294967294: \"$n\"" "policy test names the uid \"$n\""
done
expect 1 "odmctl policy add --at 01" "$CTL" -s "$TMP/none.sock" policy add --at 01 uid 0 allow all
has err 'not "01"' "policy add names the rule number 01"
expect 1 "odmctl policy add --at x" "$CTL" policy add --at x uid 0 allow all
has err 'not "x"' "policy add names the bad --at"
expect 2 "odmctl policy add --at without its value" "$CTL" policy add --at
expect 2 "odmctl policy add without a rule" "$CTL" policy add --at 1
expect 2 "odmctl policy show extra" "$CTL" policy show extra
expect 2 "odmctl reload extra" "$CTL" reload extra
expect 1 "odmctl policy show without an agent" "$CTL" -s "$TMP/none.sock" policy show
expect 1 "odmctl reload without an agent" "$CTL" -s "$TMP/none.sock" reload
expect 0 "odmctl lease --help" "$CTL" lease --help
has out "(default tcp)" "lease --help explains its options"
expect 0 "odmctl run --help" "$CTL" run --help
has out "--type TYPE " "run --help explains its options"
# after the program's name, --help is the program's own
expect 0 "odmctl run -- PROGRAM --help runs PROGRAM" \
	env ODM_LIBODM="$B/libodm.so" "$CTL" -s "$TMP/none.sock" run -- /bin/echo --help
has out "--help" "PROGRAM got its --help"
expect 0 "odmctl run PROGRAM --help runs PROGRAM" \
	env ODM_LIBODM="$B/libodm.so" "$CTL" -s "$TMP/none.sock" run /bin/echo -h
has out "-h" "PROGRAM got its -h"
# -s with a relative path: the program is handed the absolute one, which
# still names the socket after it changes its directory (a daemon's cd /)
mkdir "$TMP/rel"
expect 0 "odmctl -s none.sock run (a relative path)" \
	env -C "$TMP/rel" ODM_LIBODM="$B/libodm.so" "$CTL" -s none.sock run -- \
	/bin/sh -c 'echo "socket=$ODM_SOCKET"'
has out "socket=$TMP/rel/none.sock" "run hands the program -s made absolute"
# and so is a relative ODM_SOCKET odmctl inherits: the same socket
expect 0 "ODM_SOCKET=none.sock odmctl run (a relative path)" \
	env -C "$TMP/rel" ODM_LIBODM="$B/libodm.so" ODM_SOCKET=none.sock "$CTL" run -- \
	/bin/sh -c 'echo "socket=$ODM_SOCKET"'
has out "socket=$TMP/rel/none.sock" "run hands the program ODM_SOCKET made absolute"
# --type takes ODM_TYPE's spellings (odm(7)) and passes the type's name
expect 0 "odmctl run --type Session_Lasting" \
	env ODM_LIBODM="$B/libodm.so" "$CTL" -s "$TMP/none.sock" run --type Session_Lasting -- \
	/bin/sh -c 'echo "type=$ODM_TYPE"'
has out "type=session-lasting" "run --type Session_Lasting sets ODM_TYPE=session-lasting"
has err "EADDRNOTAVAIL" "run with a type and no agent warns of the errors, not of plain addresses"
expect 0 "odmctl run --type 3" \
	env ODM_LIBODM="$B/libodm.so" "$CTL" -s "$TMP/none.sock" run --type 3 -- \
	/bin/sh -c 'echo "type=$ODM_TYPE"'
has out "type=non-persistent" "run --type 3 sets ODM_TYPE=non-persistent"
has err "gets plain addresses" "run of a non-persistent program with no agent: plain addresses"
expect 2 "odmctl run without a command" "$CTL" run
has err "no command given" "run without a command says so"

# ---------------------------------------------------------------- usage errors: exit 2, name the word
usage_err() { # WORD DESC CMD...
	local word=$1 desc=$2
	shift 2
	expect 2 "$desc" "$@"
	has err "\"$word\"" "$desc: the message names \"$word\""
	empty out "$desc: nothing on stdout"
}
usage_err --bogus "odmctl --bogus" "$CTL" --bogus
usage_err -x "odmctl -x" "$CTL" -x
usage_err --json=1 "odmctl --json=1 (a value for an option without one)" "$CTL" --json=1 status
usage_err -s "odmctl -s without its argument" "$CTL" -s
# an empty path is none: not a connect to an unnamed socket ("no agent
# listens there"), nor an ODM_SOCKET that run's shim would take for unset
usage_err -s "odmctl -s with an empty path" "$CTL" -s "" status
usage_err --socket "odmctl --socket= with an empty path" "$CTL" --socket= run /bin/true
usage_err frobnicate "an unknown command" "$CTL" frobnicate
usage_err extra "status with an argument" "$CTL" status extra
usage_err --bogus "hello --bogus" "$CTL" hello --bogus
usage_err --bogus "leases --bogus" "$CTL" leases --bogus
usage_err extra "monitor with an argument" "$CTL" monitor extra
usage_err --bogus "lease --bogus" "$CTL" lease --bogus session-lasting 2001:db8::1
usage_err --cha "lease --cha without its argument" "$CTL" lease session-lasting 2001:db8::1 --cha
usage_err --bogus "run --bogus" "$CTL" run --bogus -- /bin/true
usage_err --bogus "genkey --bogus" "$CTL" genkey --bogus
usage_err -o "genkey -o without its argument" "$CTL" genkey -o
usage_err -o "genkey -o with an empty file name" "$CTL" genkey -o ""
usage_err extra "enable with two services" "$CTL" enable --root "$TMP/root" a extra
usage_err --root "disable --root without its argument" "$CTL" disable x --root
usage_err --type "disable takes no --type" "$CTL" disable --type fixed x
usage_err --bogus "odmagent --bogus" "$AGENT" --bogus
usage_err -x "odmagent -x" "$AGENT" -x
usage_err -f "odmagent -f without its argument" "$AGENT" -f
usage_err -f "odmagent -f with an empty file name" "$AGENT" -n -f ""
usage_err --config "odmagent --config= with an empty file name" "$AGENT" -n --config=
usage_err extra "odmagent with an operand" "$AGENT" extra
usage_err maybe "odmagent --optimistic-dad maybe" "$AGENT" --optimistic-dad maybe
usage_err --router-solicit "odmagent --router-solicit without its argument" "$AGENT" --router-solicit
# an option with a value given twice would drop the first without a word
usage_err -s "odmctl -s given twice" "$CTL" -s "$TMP/a.sock" -s "$TMP/b.sock" status
usage_err --cha "lease --cha given twice" "$CTL" lease session-lasting 2001:db8::1 \
	--cha 2001:db8::2 --cha 2001:db8::3
usage_err --proto "lease --proto given twice" "$CTL" lease session-lasting 2001:db8::1 \
	--proto udp --proto tcp
usage_err --type "run --type given twice" "$CTL" run --type fixed --type 3 /bin/true
usage_err --nai "genkey --nai given twice" "$CTL" genkey --nai a@b --nai c@d
usage_err --spi "genkey --spi given twice" "$CTL" genkey --spi 300 --spi 400
usage_err --at "policy add --at given twice" "$CTL" -s "$TMP/none.sock" \
	policy add --at 1 --at 2 allow uid 0
usage_err --root "enable --root given twice" "$CTL" enable --root "$TMP" --root / x
usage_err --type "enable --type given twice" "$CTL" enable --type fixed --type 2 x
usage_err -f "odmagent -f given twice" "$AGENT" -n -f "$TMP/a.conf" --config "$TMP/b.conf"
usage_err --optimistic-dad "odmagent --optimistic-dad given twice" "$AGENT" -n \
	--optimistic-dad on --optimistic-dad off
usage_err --probe-tunnel "odmagent --probe-tunnel given twice" "$AGENT" \
	--probe-tunnel user --probe-tunnel user
# a form of its own: -n (check only) must not run the trial instead
usage_err -n "odmagent --probe-tunnel with -n" "$AGENT" --probe-tunnel user -n
usage_err --config "odmagent --config with --probe-tunnel" "$AGENT" --config=/dev/null \
	--probe-tunnel user
expect 2 "odmctl without a command" "$CTL"
expect 2 "enable without a service" "$CTL" enable
expect 2 "disable without a service" "$CTL" disable
expect 2 "release without an address" "$CTL" release
has err "release: no ADDR given" "the missing address is named"
expect 2 "release with two addresses" "$CTL" release 2001:db8::1 2001:db8::2
has err '"2001:db8::2"' "the extra argument is named"
expect 2 "lease without a destination" "$CTL" lease session-lasting
has err "lease: no DST given" "the missing destination is named"
expect 2 "lease without a type" "$CTL" lease
has err "lease: no TYPE given" "the missing type is named"
usage_err extra "odmctl -h with an argument" "$CTL" -h extra
usage_err extra "odmctl -V with an argument" "$CTL" -V extra
usage_err extra "odmagent -V with an argument" "$AGENT" -V extra
usage_err extra "odmagent -h with an argument" "$AGENT" -h extra
usage_err --check "odmagent --check=1 (takes no argument)" "$AGENT" --check=1
has err 'option "--check" takes no argument' "--check=1 is named as typed"

# ---------------------------------------------------------------- bad values: exit 1
# odmagent -n checks the policy file the configuration names (odm-policy(5))
printf 'role mn\nidentity mn@example.test spi 256 key %s\npolicy-file %s\n' \
	00112233445566778899aabbccddeeff "$TMP/policy" >"$TMP/mn.conf"
printf 'quota 2\nrule exe /usr/bin/curl default session-lasting\n' >"$TMP/policy"
expect 0 "odmagent -n with a good policy file" "$AGENT" -n -f "$TMP/mn.conf"
expect 0 "odmagent -n --optimistic-dad off --router-solicit on" "$AGENT" -n \
	--optimistic-dad off --router-solicit on -f "$TMP/mn.conf"
printf 'quota 2\nrule exe curl\n' >"$TMP/policy"
expect 1 "odmagent -n with a bad policy file" "$AGENT" -n -f "$TMP/mn.conf"
has err "$TMP/policy:2: curl: expected an absolute path" "odmagent -n names the policy's file, line and word"
rm "$TMP/policy"
expect 1 "odmagent -n with a missing policy file" "$AGENT" -n -f "$TMP/mn.conf"
# ... and the state-dir and the control socket's directory, as the start
# judges them (odmagent.conf(5)): one others may write is refused by -n too
mkdir -m 0777 "$TMP/open"
chmod 0777 "$TMP/open" # (whatever the umask)
printf 'role mn\nidentity mn@example.test spi 256 key %s\nstate-dir %s\n' \
	00112233445566778899aabbccddeeff "$TMP/open" >"$TMP/dirs.conf"
expect 1 "odmagent -n with a state-dir others may write" "$AGENT" -n -f "$TMP/dirs.conf"
has err "$TMP/dirs.conf:3: $TMP/open: state-dir: writable by others" \
	"odmagent -n names the state-dir's line and directory"
printf 'role mn\nidentity mn@example.test spi 256 key %s\ncontrol %s\nstate-dir %s\n' \
	00112233445566778899aabbccddeeff "$TMP/open/x.sock" "$TMP/state" >"$TMP/dirs.conf"
expect 1 "odmagent -n with a control socket in a directory others may write" \
	"$AGENT" -n -f "$TMP/dirs.conf"
has err "$TMP/dirs.conf:3: $TMP/open/x.sock: the control socket's directory $TMP/open: writable" \
	"odmagent -n names the control socket's line and directory"
check "odmagent -n made no state-dir" test ! -e "$TMP/state"
expect 1 "lease of an unknown type" "$CTL" -s "$TMP/none.sock" lease sticky 2001:db8::1
has err '"sticky"' "the unknown type is named"
expect 1 "release of something that is not an address" "$CTL" -s "$TMP/none.sock" release nowhere
has err '"nowhere"' "the bad address is named"
expect 1 "run of a program that does not exist" \
	env ODM_LIBODM="$B/libodm.so" "$CTL" -s "$TMP/none.sock" run -- "$TMP/no-such-program"
expect 1 "run with a libodm.so that does not exist" \
	env ODM_LIBODM="$TMP/none.so" "$CTL" run -- /bin/true

# ---------------------------------------------------------------- no agent: exit 1
for c in status hello leases monitor "lease session-lasting 2001:db8::1" "release 2001:db8::1"; do
	# shellcheck disable=SC2086 # the words of c are the arguments
	expect 1 "$c with no agent" "$CTL" -s "$TMP/none.sock" $c
	has err "cannot connect to $TMP/none.sock" "$c with no agent says so"
	# shellcheck disable=SC2086
	expect 1 "-j $c with no agent" "$CTL" -j -s "$TMP/none.sock" $c
done
# -s naming something that is no socket, or a socket nobody listens on
expect 1 "status with -s naming a directory" "$CTL" -s "$TMP" status
has err "cannot connect to $TMP: not a socket (a directory)" "a directory given to -s is named so"
expect 1 "monitor with -s naming a regular file" "$CTL" -s "$TMP/mn.conf" monitor
has err "not a socket (a regular file)" "a regular file given to -s is named so"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$TMP/dead.sock"
expect 1 "status on a socket nobody listens on" "$CTL" -s "$TMP/dead.sock" status
has err "no agent listens there" "a dead socket is named so"

# ---------------------------------------------------------------- an agent that answers
# script_agent NAME [VAR=VALUE...] - stop the script agent running, if any,
# and start tests/cli/script_agent.py on $TMP/NAME.sock with the VARs in its
# environment (ODM_SCRIPT_*, see there); SOCK and AGENT_PID name it
script_agent() {
	local name=$1
	shift
	if [[ -n $AGENT_PID ]]; then
		kill "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null || true
	fi
	SOCK=$TMP/$name.sock
	env "$@" python3 "$HERE/script_agent.py" "$SOCK" "$TMP/$name.ready" &
	AGENT_PID=$!
	for _ in $(seq 100); do [[ -s $TMP/$name.ready ]] && break; sleep 0.05; done
	[[ -s $TMP/$name.ready ]] || { bad "script_agent.py ($name) did not start"; exit 1; }
}
script_agent agent ODM_SCRIPT_OPS="$TMP/ops"

expect 0 "hello" "$CTL" -s "$SOCK" hello
has out "role mn" "hello prints the role as text"
if grep -qE '^(id|ok) ' "$TMP/out"; then bad "hello text shows id/ok"; else ok "hello text has no id/ok"; fi
expect 0 "-j hello" "$CTL" -j -s "$SOCK" hello
json_lines 'len(L) == 1 and L[0]["role"] == "mn"' "-j hello is one clean object"
expect 0 "-j status" "$CTL" -s "$SOCK" -j status
json_lines 'len(L) == 1 and len(L[0]["leases"]) == 2' "-j status is one clean object"
expect 0 "status" "$CTL" -s "$SOCK" status
has out "leases: 2" "status lists the leases"
has out "anchors without a route: 1" "status lists the anchors without a route as a table"
has out "  anchor 2001:db8:2::1  coa 2001:db8:3::9  for_ms 2500" "one line each, key value"
lacks out '{"anchor"' "not as raw JSON"
expect 0 "leases" "$CTL" -s "$SOCK" leases
has out "addr 2001:db8:1::2" "leases shows each lease"
expect 0 "-j leases" "$CTL" -s "$SOCK" -j leases
json_lines '[o["addr"] for o in L] == ["2001:db8:1::1", "2001:db8:1::2"]' \
	"-j leases prints one object per lease and line"
expect 0 "lease session-lasting" "$CTL" -s "$SOCK" -j lease session-lasting 2001:db8::1
json_lines 'L[0]["addr"] == "2001:db8:1::3"' "-j lease prints the address, no id/ok"
expect 1 "a lease the agent refuses" "$CTL" -s "$SOCK" lease fixed 2001:db8::1
has err "REQUIREDIPNOTSUPPORTED" "the refusal's code is printed"
expect 1 "-j: a lease the agent refuses" "$CTL" -s "$SOCK" -j lease fixed 2001:db8::1
json_lines 'L[0]["error"] == "REQUIREDIPNOTSUPPORTED" and "message" in L[0]' \
	"-j prints the refusal as {error, message}"
expect 0 "release of a leased address" "$CTL" -s "$SOCK" release 2001:db8:1::1
: >"$TMP/ops"
expect 1 "release of an address the agent does not hold" "$CTL" -s "$SOCK" release 2001:db8:9::9
has err "holds no lease for 2001:db8:9::9" "the unknown address is named"
expect 0 "release of a lease the agent looks at later" "$CTL" -s "$SOCK" release 2001:db8:1:0::2
has err "looks at it later" "a release put off is said"
if [[ $(tr '\n' ' ' <"$TMP/ops") == "release release " ]]; then
	ok "release asks the agent once: its answer carries the reason"
else
	bad "release sent more than its one request: $(tr '\n' ' ' <"$TMP/ops")"
fi

# monitor: the scripted agent sends three events, then hangs up
expect 1 "monitor: the agent goes away" "$CTL" -s "$SOCK" monitor
has err "went away" "monitor says the agent went away"
has out "1.500 lease-granted id 7 addr 2001:db8:1::3" "monitor prints an event as text"
has out "2.750 move from 2001:db8:3::9 to 2001:db8:4::9 ifname eth2" "and the next one"
has out "3.000 lost 5 events (lease-refused 4, fallback 1)" "and what was lost, of each kind"
expect 1 "-j monitor: the agent goes away" "$CTL" -j -s "$SOCK" monitor
json_lines '[o["event"] for o in L] == ["lease-granted", "move", "lost"] and L[0]["reused"] is False' \
	"-j monitor prints each event as one clean object per line"

# monitor against an agent that stays, then one that sends a line that is no event
script_agent hold ODM_SCRIPT_MONITOR=hold
for sig in TERM INT; do
	rm -f "$TMP/out"
	# a background job of a script ignores SIGINT unless told otherwise
	(trap - INT; exec "$CTL" -j -s "$SOCK" monitor) >"$TMP/out" 2>"$TMP/err" &
	MON=$!
	for _ in $(seq 100); do [[ $(wc -l <"$TMP/out") -ge 3 ]] && break; sleep 0.05; done
	if [[ $(wc -l <"$TMP/out") -ge 3 ]]; then ok "monitor flushes each event at once"; else
		bad "monitor's events did not reach its output while it ran"
	fi
	kill -"$sig" "$MON"
	rc=0
	wait "$MON" || rc=$?
	if ((rc == 0)); then ok "monitor ends with exit 0 on SIG$sig"; else
		bad "monitor on SIG$sig: exit $rc (stderr: $(head -c 300 "$TMP/err"))"
	fi
	json_lines 'len(L) == 3' "monitor printed the three events as JSON before SIG$sig"
done
script_agent garbage ODM_SCRIPT_MONITOR=garbage
expect 1 "monitor: a line from the agent that is no event" "$CTL" -s "$SOCK" monitor
has err "not an event" "monitor says what was wrong"

# an anchor's status as text: its lists of words (modes, access prefixes)
# are shown, not only its scalars
script_agent anchor ODM_SCRIPT_ROLE=anchor
expect 0 "status of an anchor" "$CTL" -s "$SOCK" status
has out "modes cha,access" "an anchor's status shows all its modes"
has out "access_prefixes 2001:db8:a1::/64" "and its access prefixes"
has out "bindings: 0" "and its bindings as a table"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=""
cli_done
