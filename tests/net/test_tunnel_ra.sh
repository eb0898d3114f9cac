#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_tunnel_ra.sh - a Router Advertisement that comes out of the tunnel
# device is not heard. What the tunnel delivers was decapsulated from an
# outer packet whose source anyone can forge (the anchor's address is
# public); its inner packet keeps the hop limit 255 and the link-local
# source that RFC 4861 §6.1.2 takes as proof of a neighbour. An off-path
# sender (cn) who knows the anchor's address, the host's care-of address and
# one of its anchored addresses sends one, IPv6-in-IPv6 from the forged
# anchor address (tests/net/lib/racraft.py):
#   1. with a DNS Search List naming a domain whose _mip6._ipv6 SRV names an
#      address where no anchor runs (the attacker's zone; here a name added
#      to the test zone): the home anchor stays ha and the Fixed address
#      stays registered there (it was moved to the bogus anchor and
#      deregistered at ha);
#   2. with access-anchor ra, the Home Agent flag and the CHA's address in a
#      Prefix Information option with the R flag: the CHA is not learned as
#      an access anchor, and the next lease at the CHA is an allocation (it
#      was sent as an access claim of the care-of address, refused 133).
# The tunnel drops every Neighbor Discovery message it decapsulates (userspace
# and bpf backends alike, tunnel_guard.h); homefind also refuses an RA that
# comes out of the tunnel device. Controls: the forged RAs do reach mn
# inside the tunnel (tcpdump), and the same RA sent on mn's access link is
# heard.
# Likewise forged tunnelled datagrams to the lease from sources no router
# passes on (link-local, unspecified, loopback, IPv4-mapped, multicast) are
# dropped, and one from a global address arrives (tunnel_guard.h).
# Last, anyone on mn's access link (no router: router lifetime 0) sends an
# RA of a prefix of their own, 2001:db8:ca:1::/64, that matches the CHA's
# address longer than the care-of address does: mn forms an address there
# and the kernel picks it toward the CHA (RFC 6724 rule 8), but the care-of
# address stays, as the link and its router did (RFC 6275 §11.5.1,
# coapick.h): the CHA's binding stays on it, and pings from the lease
# through the CHA still reach cn (the binding moved to the forged prefix,
# which nothing routes to, and the pings were lost).
#
# Exit 0 pass, 1 fail, 77 skip.
set -eEuo pipefail
trap 'check_on_err test_tunnel_ra' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_tunnel_ra "network namespaces, raw sockets, BIND9" ip named nsupdate tcpdump python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
export ODM_MN_HOME_DISCOVERY=on
export ODM_MN_EXTRA="access-anchor ra"
RACRAFT=("/usr/bin/python3" "$HERE/lib/racraft.py")
FLOOD=("/usr/bin/python3" "$HERE/lib/tunflood.py")
BOGUS=2001:db8:c2::66 # no anchor there

fixed() { odm_status mn | json "' '.join(l['addr'] + '@' + l['anchor'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')"; }
home() { odm_status mn | json "(j.get('home_anchor') or {}).get('addr')"; }
ras() { odm_status mn | json "j['home_anchor']['ras_$1']"; }
learned() { odm_status mn | json "' '.join(a['addr'] for a in j['access_anchor']['learned'])"; }

topo_up
odm__dir
odm_keygen mn
odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL"
odm_agents_up
check "the Fixed address is registered at ha" wait_for 20 eval '[[ $(fixed) == *"@$HA_ADDR" ]]'
F=$(fixed)
FADDR=${F%%@*}
COA=$(topo_mn_addr)
OUT=$(odm_ctl mn lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR")
L1=$(sed -n 's/^addr //p' <<<"$OUT")
check "a lease at the CHA ($L1)" in_prefix "$L1" "$CHA_POOL"
# a socket on it: a lease no socket uses ends 3 s after it was handed out,
# and a loaded machine takes longer than that to the datagrams below
odm_addr_holder "$L1" 120

printf 'server %s\nzone %s\nupdate add _mip6._ipv6.evil.%s 600 SRV 0 100 0 bogus.%s.\nupdate add bogus.%s 600 AAAA %s\nsend\n' \
	"$DNS_ADDR" "$DNS_ZONE" "$DNS_ZONE" "$DNS_ZONE" "$DNS_ZONE" "$BOGUS" |
	nsq cn nsupdate -k "$TSIG_KEYFILE"

# the forged RAs as they reach mn, inside IPv6-in-IPv6 (the inner
# ICMPv6 type at 80), and as they would come out of the tunnel device
CAP=$ODM_DIR/in.pcap CAP_TUN=$ODM_DIR/odm0.pcap
odm_capture mn any "$CAP" "ip6[6] == 41 and ip6[46] == 58 and ip6[80] == 134"
odm_capture mn "$ODM_TUN_MN" "$CAP_TUN" "icmp6 and ip6[40] == 134"
tun_dropped() { odm_status mn | json 'j["tunnel"]["dropped"]'; }
DROPPED=$(tun_dropped)
nsx cn "${RACRAFT[@]}" tunnel "$HA_ADDR" "$COA" "$FADDR" --dnssl "evil.$DNS_ZONE"
nsx cn "${RACRAFT[@]}" tunnel "$CHA_ADDR" "$COA" "$L1" --ha-router "$CHA_ADDR" --ha-life 3600
check "both forged RAs reached mn, tunnelled from the anchors' addresses" \
	wait_for 5 eval '(($(nsq mn tcpdump -nr "$CAP" 2>/dev/null | wc -l) >= 2))'
check "the tunnel dropped both ($DROPPED -> $(tun_dropped) dropped)" \
	wait_for 5 eval '(($(tun_dropped) >= DROPPED + 2))'
check "none came out of the tunnel device" \
	eval '(($(nsq mn tcpdump -nr "$CAP_TUN" 2>/dev/null | wc -l) == 0))'

# datagrams tunnelled from the CHA's forged address to the lease, whose
# inner source no router passes on, are dropped as well (the userspace
# backend let fe80::1, :: and ::ffff:192.0.2.1 through to a socket on mn);
# one from a global address comes out (the control)
odm_udp_sink 9 mn
DROPPED=$(tun_dropped)
for src in fe80::1 :: ::1 ::ffff:192.0.2.1 ff02::1 2001:db8:c0::99; do
	nsq cn "${FLOOD[@]}" --to "$COA" --outer "$CHA_ADDR/128" --inner "$src/128" --inner-dst "$L1" \
		--count 1 --seconds 2 >/dev/null
done
SINK=$ODM_DIR/udp-sink-mn.log
check "the datagram from a global address came out of the tunnel" wait_for 5 grep -aq "2001:db8:c0::99$" "$SINK"
check "none of the five others did ($(grep -ac . "$SINK") received)" test "$(grep -ac . "$SINK")" -eq 1
check "the tunnel dropped them ($DROPPED -> $(tun_dropped) dropped)" \
	wait_for 5 eval '(($(tun_dropped) >= DROPPED + 5))'
sleep 2
check "the home anchor is still ha ($(home))" test "$(home)" == "$HA_ADDR"
check "the Fixed address is still registered at ha" test "$(fixed)" == "$F"
check "ha still holds its binding" grep -q "$FADDR" <<<"$(odm_anchor_bindings ha)"
check "the CHA is not learned as an access anchor ($(learned))" eval '! grep -qw "$CHA_ADDR" <<<"$(learned)"'
OUT=$(odm_ctl mn lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --fresh)
check "a new lease at the CHA is an allocation from its pool" in_prefix "$(sed -n 's/^addr //p' <<<"$OUT")" "$CHA_POOL"
check "no access claim was sent to the CHA" eval '! grep -q "claiming access address .* at anchor $CHA_ADDR" "$MN_AGENT_LOG"'

# control: on the access link the same RA is heard
HEARD=$(ras heard)
nsx ar1 "${RACRAFT[@]}" link lan0 --ha-router "$CHA_ADDR" --ha-life 3600
check "the same RA on mn's access link is heard" wait_for 5 eval '(($(ras heard) > HEARD))'

cha_coas() { odm_status cha | json '" ".join(sorted(set(b["coa"] for b in j["bindings"])))'; }
COA=$(topo_mn_addr)
check "the CHA's bindings are on the care-of address $COA ($(cha_coas))" test "$(cha_coas)" == "$COA"
ROGUE=2001:db8:ca:1::
nsx ar1 "${RACRAFT[@]}" link lan0 --slaac "$ROGUE" --slaac-life 3600
check "mn formed an address of the forged prefix" \
	wait_for 5 eval '[[ -n $(nsq mn ip -6 addr show to "$ROGUE/64" -tentative) ]]'
check "the kernel picks it toward the CHA now" \
	wait_for 5 eval 'nsq mn ip -6 route get "$CHA_ADDR" | grep -q "src ${ROGUE%:}"'
sleep 3 # the 1 s tick looks again too
check "the CHA's bindings stayed on $COA ($(cha_coas))" test "$(cha_coas)" == "$COA"
check "mn took no CoA of the forged prefix" eval '! grep -q "move: CoA .* -> ${ROGUE%:}" "$MN_AGENT_LOG"'
check "pings from the lease through the CHA still reach cn" \
	nsq mn ping -6 -c 3 -i 0.3 -W 1 -I "$L1" "$CN_ADDR"
check "agents' logs are clean" odm_agent_logs_clean
check_summary test_tunnel_ra
