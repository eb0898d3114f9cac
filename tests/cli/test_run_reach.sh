#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_run_reach.sh - "odmctl run" warns, and still starts the program, when
# the calling user cannot reach the agent's control socket or no agent
# listens there: the program would otherwise quietly get plain addresses.
# The agent is tests/cli/script_agent.py in a directory only root may enter;
# the user who cannot reach it is nobody (setpriv). Root is needed.
#
# usage: ODM_BUILD=build bash tests/cli/test_run_reach.sh
TEST_NAME=test_run_reach.sh
. "$(dirname "$0")/lib.sh"
((EUID == 0)) || skip "needs root (setpriv to another user)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
cli_for_others
"${NOBODY[@]}" test -x "$CTL" -a -r "$B/libodm.so" ||
	skip "user nobody cannot run $CTL (a build directory closed to others?)"
chmod 0755 "$TMP"

mkdir -m 0700 "$TMP/priv"
SOCK=$TMP/priv/agent.sock
python3 "$CLI_HERE/script_agent.py" "$SOCK" "$TMP/ready" &
AGENT_PID=$!
CLI_CLEANUP+=('kill "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null')
for _ in $(seq 100); do [[ -s $TMP/ready ]] && break; sleep 0.05; done
[[ -s $TMP/ready ]] || { bad "script_agent.py did not start"; cli_done; }
RUN=(env ODM_LIBODM="$B/libodm.so" "$CTL" -s "$SOCK" run -- /bin/echo ran)
expect 0 "run as root, the agent reachable" "${RUN[@]}"
has out "ran" "the program ran"
empty err "no warning when the agent is reachable"
expect 0 "run as nobody, the socket out of reach" "${NOBODY[@]}" "${RUN[@]}"
has out "ran" "the program still runs"
has err "warning: uid 65534 cannot reach the agent's control socket $SOCK: Permission denied" \
	"the warning names the user, the socket and the reason"
has err "/bin/echo gets plain addresses" "the warning says what it means for the program"
expect 0 "run with no agent at the socket" env ODM_LIBODM="$B/libodm.so" "$CTL" -s "$TMP/none.sock" \
	run -- /bin/true
has err "warning: no agent at $TMP/none.sock" "no agent: said too"
cli_done
