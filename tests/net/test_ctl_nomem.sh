#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ctl_nomem.sh - the host agent out of memory for a while: its malloc,
# calloc and realloc fail with ENOMEM as under a memory limit (cgroup,
# RLIMIT_AS), by a library preloaded for the test (tests/net/lib/failmem.c)
# while a flag file exists:
#   1. odmctl meanwhile gets no answer, and the agent keeps running;
#   2. it says once that it cannot take control connections, and once that
#      it cannot save its state (a save follows every event: it said so
#      some 45 times a second before);
#   3. memory back, it takes control connections again within a second or
#      two and says so (before, the one connection it could not hang up on
#      was left unaccepted, and libuv took no other ever after: every
#      odmctl and every shim call timed out until a restart).
#
# Exit 0 pass, 1 fail, 77 skip (not root, a tool is missing, or the agent
# is built with AddressSanitizer).
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_ctl_nomem "network namespaces" ip named radvd nginx "${CC:-gcc}"
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
# failmem.so must come before an AddressSanitizer runtime, which refuses
# to start after it (and whose allocator it would bypass)
if grep -q libasan <<<"$(ldd "$ODM_BUILD/odmagent")"; then
	echo "SKIP: $ODM_BUILD/odmagent is built with AddressSanitizer: failmem.so cannot be preloaded before it"
	exit 77
fi
trap 'check_on_err test_ctl_nomem' ERR

topo_up
FAILMEM=$ODM_RUNDIR/failmem.so FLAG=$ODM_RUNDIR/failmem.flag
"${CC:-gcc}" -shared -fPIC -O2 -Wall -Wextra -Werror -o "$FAILMEM" "$HERE/lib/failmem.c"
export ODM_AGENT_WRAP="env LD_PRELOAD=$FAILMEM ODM_TEST_FAILMEM=$FLAG"
odm_agents_up
unset ODM_AGENT_WRAP
P=$MN_AGENT_PID
answers() { timeout 3 "$ODM_BUILD/odmctl" -s "$MN_SOCK" status >/dev/null 2>&1; }
said() { grep -c -- "$1" "$MN_AGENT_LOG" || true; }
STALL='cannot take a control connection: none is taken until there is memory again'
AGAIN='memory again: control connections are taken again'
SNAP='state snapshot'

check "odmctl status answers before" answers
touch "$FLAG"
fails=0
for _ in 1 2 3; do answers || fails=$((fails + 1)); done
sleep 1
rm -f "$FLAG"
check "1. odmctl gets no answer while the agent has no memory ($fails of 3)" test "$fails" -eq 3
check "1. the agent is still running" kill -0 "$P"
check "2. it says it cannot take control connections" test "$(said "$STALL")" -ge 1
check "2. once ($(said "$STALL") lines)" test "$(said "$STALL")" -eq 1
check "2. it says it cannot save its state, once ($(said "$SNAP") lines)" test "$(said "$SNAP")" -eq 1

t0=$(topo_now_ms)
check "3. memory back: odmctl status answers again" wait_for 5 answers
echo "answered again $(($(topo_now_ms) - t0)) ms after the memory came back"
check "3. the agent says so" test "$(said "$AGAIN")" -eq 1
check "the agent is still running" kill -0 "$P"
check "the agents' logs hold no sanitizer report" odm_agent_logs_clean

check_summary test_ctl_nomem
