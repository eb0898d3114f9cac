#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_boot_offline.sh - the host agent started before its network (a
# laptop that boots away from any network: its link down), with a home
# anchor configured (ha, mode home). The agent asks ha for the host's
# Fixed address at once and again after its waits (odmagent/fixedaddr.h:
# 5 s after the first try, then 10 s after the second, doubling up to a
# minute, meant for a home anchor that does not answer); each try fails
# for want of a care-of address, says so, and sends nothing. Checks: two
# such tries fail, no Binding Update leaves; once the link comes up, the
# Fixed address is registered at ha within 2 s, not at the end of the
# wait then under way (before: it was, 7.1 s after the link came up here,
# 35 s after it when the host had been offline 40 s: the wait counted
# tries that the anchor never saw).
#
#   mn (odmagent mn, link to ar1 down) --ar1-- core -- ha (odmagent, mode home)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_boot_offline' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_boot_offline "network namespaces, TUN, raw sockets" ip named radvd nginx python3
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

# the registered Fixed lease's address (none while it is being asked for)
fixed() { odm_status mn | json "' '.join(l['addr'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')"; }
has_fixed() { [[ -n $(fixed) ]]; }
NO_COA="no care-of address toward anchor $HA_ADDR"
tries_failed() { at_least "$1" grep -c "$NO_COA" "$MN_AGENT_LOG"; }
has_global() { grep -q 'scope global' <<<"$(nsq mn ip -6 addr show dev "$MN_IF1")"; }
no_global() { ! has_global; }

topo_up
odm__dir
odm_keygen mn
odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL"
export ODM_MN_EXTRA="home-anchor $HA_ADDR"
nsq mn ip link set "$MN_IF1" down
check "mn has no global address on $MN_IF1 (down)" no_global
odm_agents_up

check "the Fixed address is asked for at once and fails for want of a care-of address" \
	wait_for 5 tries_failed 1
check "and again after the first wait (5 s)" wait_for 10 tries_failed 2
check "no Binding Update has left ($(odm_reg_counter bu_sent) sent)" test "$(odm_reg_counter bu_sent)" -eq 0
check "ha holds no binding" test "$(odm_anchor_status ha | json 'len(j["bindings"])')" -eq 0

nsq mn ip link set "$MN_IF1" up
T0=$(topo_now_ms)
check "the network comes: mn has its address on ar1's link" wait_for 10 has_global
check "the Fixed address is registered within 2 s of the link coming up" wait_for 2 has_fixed
MS=$(($(topo_now_ms) - T0))
F=$(fixed)
echo "# Fixed address $F registered $MS ms after the link came up"
check "it is in ha's pool ($F)" in_prefix "$F" "$HA_POOL"
ha_holds() { [[ -n $1 ]] && grep -qw "$1" <<<"$(odm_anchor_status ha | json "' '.join(b['hoa'] for b in j['bindings'])")"; }
check "ha holds its binding" ha_holds "$F"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_boot_offline
