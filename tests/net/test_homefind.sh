#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_homefind.sh - the host agent finds its home anchor, in this order:
# its configuration (home-anchor), DNS SRV records _mip6._ipv6.DOMAIN for
# its search domains and the DNSSL of Router Advertisements (RFC 5026), and
# routers advertising themselves as home agents (RFC 6275 §7: H flag, the
# router's address in a prefix option with the R flag, the Home Agent
# Information option's preference). On the namespace test network
# (lib/topo.sh), where radvd on ar1 (preference high) and ar2 (low) sends all
# of it and BIND9 holds _mip6._ipv6.example.test SRV 0 0 0 ha.example.test:
#   1. with nothing configured, the choice is ha by DNS, even though the
#      first DNS question is lost and ar1's RA comes before the answer (no
#      router chosen first); ar1's router is a candidate; odmctl status and
#      the log say which and why;
#   2. the SRV record removed, after a move the choice is ar1's router by RA;
#      the SRV record back, after the next move it is ha by DNS again;
#   3. an RA with hop limit 64 (not from a neighbour) is refused and counted;
#   4. the DNS server unreachable (a blackhole route on ar1: c-ares waits out
#      its timeouts), an agent started with nothing configured solicits on
#      the access link, chooses ar1's router by RA within a bound, keeps
#      serving leases, and goes back to ha
#      by DNS once the server answers again, without a move;
#   5. with home-anchor in the configuration, that one is used; there is no
#      anchor there: once its Fixed allocation timed out it is on hold and
#      passed over for ha by DNS (odmctl status says passed_over);
#   6. nothing configured and no SRV record, a neighbour floods 200 RAs,
#      each naming a home agent better than the last: the choice follows
#      each (the last one is chosen), and the log says so in at most 5
#      lines and one a second;
#   7. the neighbour then floods 100 RAs, each naming 8 search domains never
#      heard before: the DNS is asked about the list five times at once and
#      then once a second for them (counted in a capture of mn's questions),
#      not once per RA, and the last RA's domains are asked within 2 s.
#   8. resolv.conf says "options use-vc": the agent asks the DNS over TCP
#      (as the C library does), and finds ha by DNS with UDP to the
#      server dropped.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_homefind' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_homefind "network namespaces, radvd, BIND9" ip named radvd nsupdate python3 tcpdump tshark

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
export ODM_MN_HOME_DISCOVERY=on

home() { odm_status mn | json "(j.get('home_anchor') or {}).get('$1')"; }
home_is() { [[ $(home addr) == "$1" && $(home source) == "$2" ]]; }
has_candidate() { # ADDR SOURCE
	odm_status mn | json "any(c['addr'] == '$1' and c['source'] == '$2' for c in j['home_anchor']['candidates'])" |
		grep -qx True
}
no_candidate() { ! has_candidate "$@"; }
srv() { # add|delete
	local line="update delete _mip6._ipv6.$DNS_ZONE SRV"
	[[ $1 == add ]] && line="update add _mip6._ipv6.$DNS_ZONE 30 SRV 0 0 0 ha.$DNS_ZONE."
	printf 'server %s\nzone %s\n%s\nsend\n' "$DNS_ADDR" "$DNS_ZONE" "$line" |
		nsq cn nsupdate -k "$TSIG_KEYFILE"
}

topo_up
# ar1 drops the first DNS question it forwards: the answer comes with
# c-ares's second try, 1 s later, after ar1's RA (radvd answers the agent's
# RS within 0.5 s), so a start that did not wait for the DNS would choose
# ar1's router first
nsq ar1 nft -f - <<EOF
table ip6 odm_homefind {
	chain dns_first {
		type filter hook forward priority 0;
		ip6 daddr $DNS_ADDR udp dport 53 quota until 120 bytes drop
	}
}
EOF
odm_agents_up

# ---------------------------------------------------- 1. nothing configured
check "the home anchor is ha, found by DNS" wait_for 5 home_is "$HA_ADDR" dns-srv
nsq ar1 nft delete table ip6 odm_homefind
check "from the SRV record of example.test" test "$(home origin)" == "_mip6._ipv6.$DNS_ZONE"
check "the log says so" grep -q "home anchor $HA_ADDR, from dns-srv (_mip6._ipv6.$DNS_ZONE)" "$MN_AGENT_LOG"
check "no router was chosen before the DNS answered" \
	bash -c "! grep -q 'home anchor .*, from ra' '$MN_AGENT_LOG'"
check "ar1 is a candidate by its RA" wait_for 5 has_candidate "$AR1_ADDR" ra
check "the search domain is asked" grep -qx True < <(odm_status mn | json "'$DNS_ZONE' in j['home_anchor']['domains']")

# ------------------------------------------------ 2. DNS gone, then back
srv delete
topo_move ar2
check "without the SRV record, after a move: ar1's router by RA" wait_for 5 home_is "$AR1_ADDR" ra
check "the log says why" grep -q "home anchor $AR1_ADDR, from ra (router on $MN_IF1)" "$MN_AGENT_LOG"
check "ar2 is heard as a candidate too" wait_for 5 has_candidate "$AR2_ADDR" ra
check "ar1 stays chosen: its preference is higher" home_is "$AR1_ADDR" ra
srv add
topo_move ar1
check "the SRV record back, after a move: ha by DNS" wait_for 5 home_is "$HA_ADDR" dns-srv

# ------------------------------------------------ 3. an RA not from a neighbour
REFUSED=$(home ras_refused)
LL=$(nsq ar1 ip -6 -o addr show dev lan0 scope link | awk '{ split($4, a, "/"); print a[1]; exit }')
nsq ar1 /usr/bin/python3 - "$LL" <<'PY'
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, sendp, conf
conf.verb = 0
ra = IPv6(src=sys.argv[1], dst="ff02::1", hlim=64) / ICMPv6ND_RA(H=1, routerlifetime=30) / \
     ICMPv6NDOptPrefixInfo(prefixlen=64, R=1, prefix="2001:db8:a1::66")
sendp(Ether(dst="33:33:00:00:00:01") / ra, iface="lan0")
PY
check "an RA with hop limit 64 is refused" wait_for 3 at_least $((REFUSED + 1)) home ras_refused
check "and names no candidate" no_candidate 2001:db8:a1::66 ra

# ------------------------------------------------ 4. DNS down
kill -TERM "$MN_AGENT_PID"
wait "$MN_AGENT_PID" 2>/dev/null || true
mv "$MN_AGENT_LOG" "$MN_AGENT_LOG.1"
nsq ar1 ip -6 route add blackhole "$DNS_ADDR/128"
odm_capture mn "$MN_IF1" "$ODM_DIR/rs.pcap" icmp6 200
CAP=$ODM_CAP_PID
T_START=$(topo_now_ms)
odm_agent_start mn
check "the DNS unreachable: ar1's router by RA" wait_for 10 home_is "$AR1_ADDR" ra
odm_capture_stop "$CAP"
# the agent's RS has no option (the kernel's carries the source link-layer
# address, RFC 4861 §4.1; the one of router-solicit leaves from ::)
RS=$(tshark -r "$ODM_DIR/rs.pcap" -Y "icmpv6.type == 133 && ipv6.src != :: && ipv6.plen == 8" \
	-T fields -e frame.time_epoch 2>/dev/null | head -n1)
check "it solicited on $MN_IF1 as it started (an RS of its own, from the link-local address)" \
	test -n "$RS"
T_CHOSEN=$(topo_now_ms)
echo "home anchor chosen by RA $((T_CHOSEN - T_START)) ms after the agent was started (DNS unreachable)"
check "within 6 s of the start: the DNS's 3.5 s and the start's own time" \
	test $((T_CHOSEN - T_START)) -le 6000
check "the log says the DNS did not answer" \
	wait_for 5 grep -q "home anchor discovery: the DNS did not answer (1 time(s) in a row); asking again in 5 s" "$MN_AGENT_LOG"
check "status counts it" test "$(home dns_failures)" -ge 1
check "the agent serves leases meanwhile" \
	odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp
nsq ar1 ip -6 route del blackhole "$DNS_ADDR/128"
T_BACK=$(topo_now_ms)
check "the DNS back: ha by DNS again, with no move" wait_for 25 home_is "$HA_ADDR" dns-srv
echo "ha by DNS again $(($(topo_now_ms) - T_BACK)) ms after the server was reachable"
check "and the failure count is cleared" test "$(home dns_failures)" -eq 0
check "and the log says the DNS answers again" \
	grep -q "home anchor discovery: the DNS answers again, after [0-9]* round(s) of questions it did not answer" "$MN_AGENT_LOG"

# ------------------------------------------------ 5. configured
kill -TERM "$MN_AGENT_PID"
wait "$MN_AGENT_PID" 2>/dev/null || true
echo "home-anchor 2001:db8:40::99" >>"$ODM_DIR/mn.conf"
odm_agent_start mn
check "the configured home anchor is used" wait_for 5 home_is 2001:db8:40::99 config
check "DNS still finds ha, as a candidate" wait_for 5 has_candidate "$HA_ADDR" dns-srv
check "silent, it is passed over for ha by DNS while on hold" \
	wait_for 8 eval 'home_is "$HA_ADDR" dns-srv && [[ $(home passed_over) == 2001:db8:40::99 ]]'
# ------------------------------------------------ 6. a flood of RAs
# nothing configured, no SRV record: the routers' RAs alone choose. A
# neighbour on ar1's link floods RAs, each naming another home agent of a
# higher preference than the last: each changes the choice, and the lines
# saying so are held to a rate (5 at once, then one a second)
kill -TERM "$MN_AGENT_PID"
wait "$MN_AGENT_PID" 2>/dev/null || true
sed -i '/^home-anchor /d' "$ODM_DIR/mn.conf"
srv delete
odm_agent_start mn
check "no SRV record: ar1's router by RA" wait_for 8 home_is "$AR1_ADDR" ra
HEARD=$(home ras_heard)
LINES0=$(grep -c 'home anchor .*, from ra' "$MN_AGENT_LOG" || true)
LL=$(nsq ar1 ip -6 -o addr show dev lan0 scope link | awk '{ split($4, a, "/"); print a[1]; exit }')
T_FLOOD=$(topo_now_ms)
nsq ar1 /usr/bin/python3 - "$LL" <<'PY'
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptHAInfo, sendp, conf
conf.verb = 0
pkts = [Ether(dst="33:33:00:00:00:01") / IPv6(src=sys.argv[1], dst="ff02::1", hlim=255) /
        ICMPv6ND_RA(H=1, routerlifetime=0) /
        ICMPv6NDOptPrefixInfo(prefixlen=64, R=1, L=0, A=0, prefix="2001:db8:a1::1:%x" % i) /
        ICMPv6NDOptHAInfo(pref=100 + i, lifetime=60) for i in range(200)]
sendp(pkts, iface="lan0")
PY
check "the 200 RAs were heard" wait_for 3 at_least $((HEARD + 200)) home ras_heard
check "the last one's router is chosen" wait_for 2 home_is 2001:db8:a1::1:c7 ra
FLOOD_S=$((($(topo_now_ms) - T_FLOOD) / 1000 + 1))
LINES=$(($(grep -c 'home anchor .*, from ra' "$MN_AGENT_LOG" || true) - LINES0))
echo "6: the flood of 200 RAs: $LINES line(s) about the choice in about $FLOOD_S s"
check "at most $((5 + FLOOD_S)) of them at info level ($LINES)" test "$LINES" -le $((5 + FLOOD_S))

# ------------------------------------------------ 7. a flood of search domains
# the neighbour's RAs each name eight search domains never heard before
# (RFC 8106 DNSSL): each takes the place of others in the full list, and
# the DNS is asked about the list five times at once and then once a
# second for them, not once per RA; the last RA's domains are asked all
# the same
# (from a link-local address of its own: section 6's RAs, from ar1's with
# router lifetime 0, took mn's default route away until radvd's next RA)
has_default() { nsq mn ip -6 route show default | grep -q .; }
check "mn has its default route again" wait_for 20 has_default
odm_capture mn "$MN_IF1" "$ODM_DIR/dnssl.pcap" "udp dst port 53" 200
CAP=$ODM_CAP_PID
HEARD=$(home ras_heard)
T_FLOOD=$(topo_now_ms)
nsq ar1 /usr/bin/python3 - fe80::66 "$DNS_ZONE" <<'PY'
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_RA, ICMPv6NDOptDNSSL, sendp, conf
conf.verb = 0
pkts = [Ether(dst="33:33:00:00:00:01") / IPv6(src=sys.argv[1], dst="ff02::1", hlim=255) /
        ICMPv6ND_RA(H=0, routerlifetime=0) /
        ICMPv6NDOptDNSSL(lifetime=600, searchlist=["f%d-%d.%s" % (i, k, sys.argv[2]) for k in range(8)])
        for i in range(100)]
sendp(pkts, iface="lan0")
PY
check "the 100 RAs were heard" wait_for 3 at_least $((HEARD + 100)) home ras_heard
FLOOD_S=$((($(topo_now_ms) - T_FLOOD) / 1000 + 1))
last_asked() {
	tshark -r "$ODM_DIR/dnssl.pcap" -Y "dns.qry.name == \"_mip6._ipv6.f99-7.$DNS_ZONE\"" \
		-T fields -e frame.number 2>/dev/null | grep -q .
}
check "the last RA's domains are asked within 2 s" wait_for 3 last_asked
sleep 1
odm_capture_stop "$CAP"
SRV=$(tshark -r "$ODM_DIR/dnssl.pcap" -Y "dns.qry.type == 33" -T fields -e frame.number 2>/dev/null | wc -l)
echo "7: the flood of 100 RAs of 8 new search domains each: $SRV SRV question(s) in about $((FLOOD_S + 4)) s"
check "at most 8 a round, 5 rounds and one a second for them ($SRV)" test "$SRV" -le $((8 * (5 + FLOOD_S + 4)))

# ------------------------------------------------ 8. DNS over TCP only
# resolv.conf says "options use-vc" (a network whose DNS is reached over
# TCP only): the agent asks over TCP too, as the C library does, and
# finds ha by DNS with every UDP question to the server dropped
kill -TERM "$MN_AGENT_PID"
wait "$MN_AGENT_PID" 2>/dev/null || true
srv add
echo "options use-vc" >>"/etc/netns/$NS_MN/resolv.conf"
nsx mn nft -f - <<EOF
table ip6 odm_homefind_vc {
	chain out {
		type filter hook output priority 0;
		ip6 daddr $DNS_ADDR udp dport 53 counter drop
	}
}
EOF
odm_agent_start mn
check "8: options use-vc, UDP to the DNS dropped: ha by DNS" wait_for 5 home_is "$HA_ADDR" dns-srv
check "8: not a UDP question dropped" \
	bash -c "ip netns exec $NS_MN nft list table ip6 odm_homefind_vc | grep -q 'counter packets 0 '"
nsq mn nft delete table ip6 odm_homefind_vc

check "no sanitizer report" odm_agent_logs_clean
check_summary test_homefind
