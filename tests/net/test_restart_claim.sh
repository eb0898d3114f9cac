#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_restart_claim.sh - the host agent is killed while its access claim is
# away from its link, and the host returns to that link before the agent is
# started again. With a kernel tunnel backend (kernel or bpf: the first this
# kernel runs, unless ODM_TUNNEL names one) the tunnel device outlives the
# agent, and with it the claimed address on the device and its route into
# it. Two paced downloads under the shim, one from cn2 (no CHA: mn's access
# address claimed at ar1's anchor), one from cn (a CHoA at the CHA):
#   1. mn moves to ar2: ar1's anchor tunnels the claimed address there;
#   2. mn's agent is killed (-9), mn moves back to ar1, the agent starts
#      again: it takes the claim over native, and what the killed run left
#      on the tunnel device for the address goes (it is not on the device,
#      nor routed into it), so the BUs of every lease, sent from that
#      address, reach their anchors: both leases are re-registered within
#      2 s, no BU is refused by the kernel ("No buffer space available"),
#      and both downloads complete intact.
# Before, the address stayed on the device with its route: the kernel sent
# every BU from it into the tunnel, refused, the agent fitted the tunnel's
# MTU to the tunnel itself (down to 1280), and both downloads stalled until
# the next move, if any.
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip (not root, a tool missing, or no kernel tunnel backend here).
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_restart_claim "network namespaces, TUN, raw sockets" ip named radvd nginx curl python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-4}
. "$HERE/lib/kernelpath.sh"
export ODM_BUILD=${ODM_BUILD:-$(cd "$HERE/../.." && pwd)/build}
if ! kernel_backends; then
	echo "SKIP: test_restart_claim: no kernel tunnel backend runs here: $KERNEL_BACKENDS_WHY"
	exit 77
fi
# ODM_TUNNEL's if it names one the kernel runs, else the one "tunnel auto" takes
KBE=${KERNEL_BACKENDS%% *}
[[ " $KERNEL_BACKENDS " == *" ${ODM_TUNNEL:-} "* ]] && KBE=$ODM_TUNNEL
export ODM_TUNNEL=$KBE
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"
trap 'check_on_err test_restart_claim' ERR

ar1_is() { [[ $(odm_anchor_bindings ar1) == "$1" ]]; }
on_tunnel() { grep -q "$MN_ADDR1/128" <<<"$(nsq mn ip -6 addr show dev "$ODM_TUN_MN")"; }
routed_in() { grep -q "from $MN_ADDR1 " <<<"$(nsq mn ip -6 route show table "$ODM_TABLE")"; }
off_tunnel() { ! on_tunnel; }
not_routed_in() { ! routed_in; }
# rereg ANCHOR - mn's log, since the restart, says a lease re-registered at ANCHOR
rereg() { tail -n "+$((LOG0 + 1))" "$MN_AGENT_LOG" | grep -q "re-registered at $1 after the move"; }

topo_up
echo "# tunnel backend $ODM_TUNNEL"
ODM_ACCESS_FROM=config odm_mn_access_conf ar1 ar2
odm_agents_up
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX"
odm_anchor_up ar2 "$AR2_ADDR" "mode access" "access-prefix $AR2_PREFIX"
check "mn's agent names ar1's anchor as its link's" \
	wait_for 3 odm_mn_logged "access anchor of this link: $AR1_ADDR"

odm_downloads_from 300k cn2 cn
check "the download from cn2 claims mn's access address at ar1" \
	wait_for 5 ar1_is "$MN_ADDR1,$MN_ADDR1,$ODM_NAI"
two() { [[ $(odm_lease_count) -eq 2 ]]; }
check "and the one from cn has a lease at the CHA" wait_for 5 two

# ---------------------------------------------------------------- 1.
topo_move ar2
check "1: ar1's anchor tunnels $MN_ADDR1 to $MN_ADDR2" \
	wait_for 3 ar1_is "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"
check "1: mn holds $MN_ADDR1 on its tunnel device" on_tunnel

# ---------------------------------------------------------------- 2.
odm_agent_kill9 mn
topo_move ar1
check "2: the killed run's address is still on the device" on_tunnel
check "2: and routed into it" routed_in
LOG0=$(wc -l <"$MN_AGENT_LOG")
odm_agent_start mn
check "2: the claim is re-registered at ar1 within 2 s" wait_for 2 rereg "$AR1_ADDR"
check "2: the CHA's lease too" wait_for 2 rereg "$CHA_ADDR"
check "2: ar1's binding is native again" ar1_is "$MN_ADDR1,$MN_ADDR1,$ODM_NAI"
check "2: $MN_ADDR1 is not on the tunnel device" off_tunnel
check "2: nor routed into it" not_routed_in
NOBUF=$(tail -n "+$((LOG0 + 1))" "$MN_AGENT_LOG" | grep -c 'No buffer space available' || true)
check "2: no BU refused by the kernel ($NOBUF)" test "$NOBUF" -eq 0
odm_downloads_ok "2: " cn2 cn
check "no sanitizer report in the agents' logs" \
	bash -c "! grep -qE 'Sanitizer|runtime error' '$ODM_DIR'/*-agent.log"
check_summary test_restart_claim
