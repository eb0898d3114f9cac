#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_usable.sh - the host agent never sleeps on its event loop while a new
# address turns usable. The kernel acknowledges a new address before it
# routes it as local (it is tentative until then); the agent answers the
# lease only once the address is local, asking the kernel at each netlink
# event and from a 1 ms timer for at most 500 ms, and serves everything else
# meanwhile. That window is
# well under a millisecond here, so the test stretches it: on mn, a rule
# ahead of the local table makes the anchor's pool unreachable, and a new
# address there is never routed as local. On the namespace test network
# (lib/topo.sh):
#   1. a lease request with --fresh gets its BA, then waits: it fails with
#      REQUIREDIPFAILED after 500 ms (not a hang, not a dead address), and
#      its binding at the anchor is deregistered;
#   2. during that wait, a status request and a second lease request (which
#      reuses a lease that is ready) are answered at once;
#   3. with the rule gone, a fresh lease is answered.
#
#    mn (odmctl, odmagent mn) --ar1-- core -- cha (odmagent anchor)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_usable' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_usable "network namespaces, TUN, raw sockets" ip nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

lease() { # lease [--fresh] -> prints the address
	odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp "$@" |
		json 'j["addr"]'
}
leases_are() { [[ $(odm_lease_count) -eq $1 ]]; }
bindings_are() { [[ $(odm_binding_count) -eq $1 ]]; }
accepted() { grep -c 'alloc_accepted' "$MN_AGENT_LOG" || true; }

topo_up
odm_agents_up

A=$(lease)
check "a first lease works: $A" in_prefix "$A" "$CHA_POOL"
check "the anchor holds one binding" bindings_are 1

# ------------------------------------------- 1. an address that never turns local
nsq mn ip -6 rule add pref 100 table local
nsq mn ip -6 rule del pref 0 table local
nsq mn ip -6 rule add pref 50 to "$CHA_POOL" unreachable
T0=$(topo_now_ms)
(
	rc=0
	odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp --fresh \
		>"$ODM_DIR/b.out" 2>&1 || rc=$?
	echo "$rc $(topo_now_ms)" >"$ODM_DIR/b.rc"
) &
B_PID=$!
# the BA has come and the agent is waiting for the address
n=0
until (($(accepted) >= 2)) || ((n++ > 200)); do sleep 0.005; done
check "the anchor accepted the second lease" test "$(accepted)" -ge 2

# ------------------------------------------- 2. the loop serves others meanwhile
T1=$(topo_now_ms)
odm_status mn >"$ODM_DIR/status.json"
T2=$(topo_now_ms)
odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp >"$ODM_DIR/c.json"
T3=$(topo_now_ms)
C=$(json 'j["addr"]' <"$ODM_DIR/c.json")
check "the fresh lease is still waiting for its address" test ! -e "$ODM_DIR/b.rc"
echo "during the wait: status in $((T2 - T1)) ms, a second lease in $((T3 - T2)) ms"
check "status is answered within 150 ms during the wait ($((T2 - T1)) ms)" \
	test $((T2 - T1)) -lt 150
check "a second lease reuses the ready one ($C)" test "$C" = "$A"
check "and is answered within 150 ms during the wait ($((T3 - T2)) ms)" \
	test $((T3 - T2)) -lt 150

wait "$B_PID"
read -r B_RC B_T <"$ODM_DIR/b.rc"
echo "fresh lease with its address not local: rc $B_RC after $((B_T - T0)) ms: $(cat "$ODM_DIR/b.out")"
check "it fails (rc $B_RC)" test "$B_RC" -ne 0
check "with REQUIREDIPFAILED naming the 500 ms bound" \
	grep -q 'REQUIREDIPFAILED.*usable within 500 ms' "$ODM_DIR/b.out"
check "after 500 ms and within 1.5 s ($((B_T - T0)) ms)" \
	test $((B_T - T0)) -ge 500 -a $((B_T - T0)) -lt 1500
check "the agent ended that lease" wait_for 2 leases_are 1
check "and deregistered its binding at the anchor" wait_for 3 bindings_are 1

# ------------------------------------------- 3. local again
nsq mn ip -6 rule add pref 0 table local
nsq mn ip -6 rule del pref 50
nsq mn ip -6 rule del pref 100
D=$(lease --fresh)
check "with the local table first again a fresh lease is answered: $D" \
	in_prefix "$D" "$CHA_POOL"
check "it is another address than the first" test "$D" != "$A"
check "the host agent still runs" kill -0 "$MN_AGENT_PID"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

check_summary test_usable
