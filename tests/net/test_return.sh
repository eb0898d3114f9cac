#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_return.sh - a host that comes back to a router still resolving its
# address there. mn leaves ar1 for ar2; cn keeps sending to mn's old
# address on ar1 (a ping every 200 ms, as a peer whose connection has not
# noticed does), so ar1 keeps soliciting that address (INCOMPLETE, one
# Neighbor Solicitation per second). mn comes back to ar1 and gets the same
# address. What ar1 forwards to it (the anchor's Binding Acknowledgement,
# the stream) waits in ar1's queue for the address until ar1 learns where
# it is: from its next solicitation, up to 1 s later, unless the host
# announces the address as it gets it (an unsolicited Neighbor
# Advertisement, odmagent(8) router-solicit). Checks: the stream through the
# CHA across the return is interrupted for less than 300 ms (1 s without
# the announcement), the BA came within 300 ms of the move, and mn sent the
# advertisement.
# Before that, the first visit to ar2: a router that never heard of the new
# address drops an unsolicited advertisement, so the agent also solicits
# the router from the new address (with its MAC), and the router learns the
# address from that. Checks: mn's agent sent that solicitation, and ar2,
# forwarding cn's pings to the new address, never had to solicit it.
#
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_return "network namespaces, TUN, raw sockets" ip tcpdump named radvd python3 ping
export ODM_TUNNEL=${ODM_TUNNEL:-user}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/replay.sh"
trap 'check_on_err test_return' ERR

topo_up
odm_agents_up
A1=$(topo_mn_addr)
odm_capture mn any "$ODM_DIR/ns.pcap" "icmp6 and ip6[40] == 135"
CAP_NS=$ODM_CAP_PID
topo_move ar2 >/dev/null
A2=$(topo_mn_addr)
sleep 0.3 # the agent's look at the new address
check "cn reaches mn's new address $A2" nsq cn ping -6 -n -c 3 -i 0.2 -W 2 "$A2"
odm_capture_stop "$CAP_NS"
tcpdump -vnr "$ODM_DIR/ns.pcap" 2>/dev/null | grep -A1 "neighbor solicitation" >"$ODM_DIR/ns.txt" || true
told=$(grep -A1 " $A2 > ff02::1:ff" "$ODM_DIR/ns.txt" | grep -c "source link-address option" || true)
check "mn's agent solicited ar2 from $A2 with its MAC ($told)" test "$told" -ge 1
asked=$(grep -c "who has $A2\b" "$ODM_DIR/ns.txt" || true)
check "ar2 never solicited $A2 ($asked solicitation(s))" test "$asked" -eq 0
topo_spawn cn pinger "$ODM_DIR/ping.log" ping -6 -n -i 0.2 "$A1"
sleep 2.5 # ar1 solicits A1 in vain
odm_capture mn any "$ODM_DIR/na.pcap" "icmp6 and ip6[40] == 136"
CAP_NA=$ODM_CAP_PID
replay_stream_move ar1 500 4
odm_capture_stop "$CAP_NA"
check "mn got its old address on ar1 back ($(topo_mn_addr))" test "$(topo_mn_addr)" = "$A1"
check "the stream went on after the return" test "$REPLAY_RESUMED" -eq 1
check "the stream's outage across the return: $REPLAY_OUTAGE_MS ms < 300 ms" \
	/usr/bin/python3 -c "import sys; sys.exit(0 if float('$REPLAY_OUTAGE_MS') < 300 else 1)"
since=$(sed -n 's/.*re-registered at .* after the move: BA round trip [0-9]* ms, \([0-9]*\) ms since the move.*/\1/p' \
	"$MN_AGENT_LOG" | tail -n 1)
check "the BA came ${since:-?} ms after the move (< 300)" test "${since:-9999}" -lt 300
# the agent's advertisement has no flag set (the kernel's own, with
# ndisc_notify, has Override: seen here too, and not enough)
tcpdump -vnr "$ODM_DIR/na.pcap" 2>/dev/null | grep "neighbor advertisement" >"$ODM_DIR/na.txt" || true
nas=$(grep -c "tgt is $A1, Flags \[none\]" "$ODM_DIR/na.txt" || true)
check "mn's agent advertised $A1 on ar1's link ($nas advertisement(s) without Override)" test "$nas" -ge 1
check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_return
