#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_l2roam.sh - mn roams to another network on the same interface (an L2
# roam: another Wi-Fi network on the same wlan0): ar1's link loses its
# carrier, and comes back as another network, 2001:db8:a3::/64, whose
# router has the same link-local address as the old one (fe80::1 on many
# networks; here ar1's own). mn's old address stays preferred (nobody told
# it otherwise) and the kernel routes through the same link-local router,
# so the next hop toward the CHA is the same as when the care-of address
# was taken; but the kernel picks the new network's address, and the host
# must take it (odmagent(8), Noticing a move: a carrier lost since the
# care-of address was taken makes its next hop tell nothing). Checks: the
# old address still preferred and the kernel's pick the new one (controls);
# the CHA's binding moves to the new address; pings from the lease through
# the CHA reach cn.
#
#   mn --ar1 (a new network after the carrier comes back)-- core -- cha, cn
#
# Exit 0 pass, 1 fail, 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_l2roam "network namespaces, TUN, raw sockets" ip named radvd python3
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_l2roam' ERR

NEW_PREFIX=2001:db8:a3::/64 NEW_ROUTER=2001:db8:a3::1
NEW_ADDR=2001:db8:a3:0:d:ff:fe00:1

topo_up
odm_agents_up
OUT=$(odm_ctl mn lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR")
L1=$(sed -n 's/^addr //p' <<<"$OUT")
check "a lease at the CHA ($L1)" in_prefix "$L1" "$CHA_POOL"
odm_addr_holder "$L1" 120
cha_coas() { odm_status cha | json '" ".join(sorted(set(b["coa"] for b in j["bindings"])))'; }
check "the CHA's binding is on $MN_ADDR1 ($(cha_coas))" wait_for 5 eval '[[ $(cha_coas) == "$MN_ADDR1" ]]'
OLD_GW=$(nsq mn ip -6 route get "$CHA_ADDR" | sed -n 's/.* via \([^ ]*\) .*/\1/p')

# ------------------------------------------------------------ the roam
for e in "${TOPO_PIDS[@]}"; do
	[[ $e == *:ar1:radvd ]] && RADVD=${e%%:*}
done
nsx ar1 ip link set lan0 down # mn's eth1 loses its carrier
kill -KILL "$RADVD"           # gone with its network: no last RA
wait "$RADVD" 2>/dev/null || true
nsx ar1 ip -6 addr del "$AR1_ADDR/64" dev lan0
nsx ar1 ip -6 addr add "$NEW_ROUTER/64" dev lan0 nodad
nsx core ip -6 route del "$AR1_PREFIX" via "$AR1_UP"
nsx core ip -6 route add "$NEW_PREFIX" via "$AR1_UP"
sed -e "s|$AR1_ADDR/64|$NEW_ROUTER/64|" "$ODM_RUNDIR/ar1/radvd.conf" >"$ODM_RUNDIR/ar1/radvd-new.conf"
chmod 644 "$ODM_RUNDIR/ar1/radvd-new.conf"
nsx ar1 ip link set lan0 up
topo_spawn ar1 radvd "$ODM_RUNDIR/ar1/radvd-new.log" radvd -n \
	-C "$ODM_RUNDIR/ar1/radvd-new.conf" -p "$ODM_RUNDIR/ar1/radvd-new.pid" -m stderr
check "the kernel picks the new network's $NEW_ADDR toward the CHA" \
	wait_for 10 eval 'nsq mn ip -6 route get "$CHA_ADDR" | grep -q "src $NEW_ADDR"'
check "through the same router $OLD_GW" eval 'nsq mn ip -6 route get "$CHA_ADDR" | grep -q "via $OLD_GW "'
check "the old $MN_ADDR1 is still preferred" \
	eval '[[ -n $(nsq mn ip -6 addr show dev eth1 to "$MN_ADDR1/128" -deprecated -tentative) ]]'
check "the CHA's binding moved to $NEW_ADDR" wait_for 5 eval '[[ $(cha_coas) == "$NEW_ADDR" ]]'
check "pings from the lease through the CHA reach cn" \
	nsq mn ping -6 -c 3 -i 0.3 -W 1 -I "$L1" "$CN_ADDR"
check "agents' logs are clean" odm_agent_logs_clean
check_summary test_l2roam
