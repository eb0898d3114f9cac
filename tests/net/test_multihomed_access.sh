#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_multihomed_access.sh - access anchors on a host with two links up at
# once (a laptop on Ethernet and Wi-Fi): access anchors on ar1 and ar2
# (mode access), mn learns both from their Router Advertisements
# (access-anchor ra) and holds an address in each one's /64; the kernel
# sends by ar1 (default route preference high). Without regard to that,
# "the access anchor of this link" was the one whose RA came last: it
# changed at each RA of either link (17 times in 8 s), and a
# Graceful-replacement socket got ar2's address about half the time, its
# packets then leaving by ar1 with ar2's prefix as source (which an
# ingress filter, RFC 2827, drops). Checks: the access anchor stays ar1's
# for 4 s (named once in the log), three Graceful-replacement requests all
# get mn's address on ar1, claimed at ar1's anchor; then ar1's link loses
# its carrier and the anchor becomes ar2's, whose address the next
# request gets (the link still up).
#
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_multihomed_access "network namespaces, TUN, raw sockets" ip named radvd nginx curl python3
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_multihomed_access' ERR

anchor_now() { odm_status mn | json "j['access_anchor']['addr']"; }
# one Graceful-replacement HTTP request to cn2 (no CHA): its local address
graceful_get() {
	ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		ODM_TYPE=graceful-replacement curl -6 -sS --max-time 5 -o /dev/null \
		-w '%{local_ip}' "http://cn2.example.test/"
}

topo_up
odm__dir
ODM_ACCESS_FROM=ra odm_mn_access_conf ar1 ar2
odm_agents_up
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX"
odm_anchor_up ar2 "$AR2_ADDR" "mode access" "access-prefix $AR2_PREFIX"
check "mn names ar1's anchor as its link's" \
	wait_for 3 grep -q "access anchor of this link: $AR1_ADDR" "$MN_AGENT_LOG"
ip -n "$NS_MN" link set "$MN_IF2" up
topo__wait_mn_ready ar2 10000
seen=''
for ((i = 0; i < 20; i++)); do
	seen+=" $(anchor_now)"
	sleep 0.2
done
others=$(tr ' ' '\n' <<<"$seen" | grep -c -v -x -e "$AR1_ADDR" -e '' || true)
check "both links up: the access anchor stayed ar1's for 4 s ($others other(s) seen)" \
	test "$others" -eq 0
said=$(grep -c "access anchor of this link" "$MN_AGENT_LOG" || true)
check "the log named the link's anchor once ($said)" test "$said" -eq 1
for ((i = 1; i <= 3; i++)); do
	got=$(graceful_get)
	check "Graceful-replacement request $i gets mn's address on ar1 ($got)" test "$got" = "$MN_ADDR1"
done
check "claimed at ar1's anchor" \
	grep -q "claiming access address $MN_ADDR1 at anchor $AR1_ADDR (graceful-replacement)" "$MN_AGENT_LOG"
check "never at ar2's" bash -c "! grep -q 'at anchor $AR2_ADDR' '$MN_AGENT_LOG'"
ip -n "$NS_AR1" link set lan0 down
ar2_anchor() { [[ $(anchor_now) == "$AR2_ADDR" ]]; }
check "ar1's carrier gone: the access anchor is ar2's" wait_for 2 ar2_anchor
got=$(graceful_get)
check "the next Graceful-replacement request gets mn's address on ar2 ($got)" \
	test "$got" = "$MN_ADDR2"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_multihomed_access
