#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_anchor_modes.sh - the anchor's home and access modes on the test
# network, against Binding Updates crafted byte by byte from mn
# (tests/net/lib/mhcraft.py, not the agent's codec): no host agent runs.
#
#            +-- ar1 (anchor, mode access, access-prefix 2001:db8:a1::/64)
#   mn ------+                 \
#            +-- ar2 (access) -- core -- ha (anchor, mode home, pool 2001:db8:40e::/64)
#                                   \--- cn (sends real packets to mn's old address)
#
# home: an identity gets the same address at every registration, after a
# deregistration, after an anchor restart with its state and after one
# without (the address is derived from the identity); another identity
# gets another. access: an address outside the router's prefixes is
# refused (132); the host claims its on-link address from that address;
# another identity claiming it, from the link or from elsewhere, is
# refused (155) and changes nothing; after a move, a BU from the new CoA
# makes ar1 tunnel the old address: an echo request sent by cn to it
# arrives at mn's new link inside IPv6-in-IPv6 from ar1; back on ar1 a BU
# from the address itself makes it native again (no tunnel, no route,
# cn's echo answered by mn directly); deregistration ends the claim.
# graceful-replacement: after the move the lifetime granted never reaches
# past the grace period, and the binding ends at its deadline whatever the
# host asks.
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_anchor_modes "network namespaces, TUN, raw sockets" ip named radvd nginx tcpdump tshark python3 ping

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_anchor_modes' ERR

GRACE=6                      # seconds, grace-period at ar1 (not a multiple of 4: 8 s told)
OTHER=other@example.test OTHER_SPI=2000
MHCRAFT=("/usr/bin/python3" "$HERE/lib/mhcraft.py")
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"; }

# bu IDENTITY ANCHOR COA DEV ARGS... - one BU from mn's COA (on DEV) to ANCHOR;
# prints the answer line. Each BU takes the next sequence number.
bu() {
	local who=$1 anchor=$2 coa=$3 dev=$4 nai spi key seq
	shift 4
	# (a file, not a variable: bu runs in $(...))
	seq=$(($(cat "$ODM_DIR/seq" 2>/dev/null || echo 0) + 1))
	echo "$seq" >"$ODM_DIR/seq"
	case $who in
	mn) nai=$ODM_NAI spi=$ODM_SPI key=$ODM_DIR/mn.key ;;
	other) nai=$OTHER spi=$OTHER_SPI key=$ODM_DIR/other.key ;;
	esac
	nsq mn "${MHCRAFT[@]}" --coa "$coa" --cha "$anchor" --dev "$dev" --nai "$nai" --spi "$spi" \
		--keyfile "$key" --seq "$seq" "$@"
}
# bindings HOST - "hoa,coa,nai" of each binding at HOST's anchor, sorted
bindings() {
	odm_anchor_status "$1" | json '" ".join(sorted("%s,%s,%s" % (b["hoa"], b["coa"], b["nai"]) for b in j["bindings"]))'
}
no_binding() { [[ -z $(bindings "$1") ]]; }
route_at_ar1() { nsq ar1 ip -6 route show "$1/128"; }
# echo requests cn sent to ADDR inside IPv6-in-IPv6 from ar1 to COA, in PCAP
tunnelled_echoes() {
	tshark -r "$1" -Y "icmpv6.type == 128" -T fields -e ipv6.src -e ipv6.dst 2>/dev/null |
		grep -c "^$AR1_ADDR,$CN_ADDR	$2,$3\$" || true
}

topo_up
odm__dir
odm_keygen mn
odm_keygen other
other_id="identity $OTHER spi $OTHER_SPI key-file $ODM_DIR/other.key"
odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL" "$other_id"
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX" "grace-period $GRACE" "$other_id"
odm_anchor_up ar2 "$AR2_ADDR" "mode access" "access-prefix $AR2_PREFIX" "$other_id"
check "ar1 says it serves mode access with its prefix and grace period" \
	test "$(odm_anchor_status ar1 | json "j['modes'] == ['access'] and j['access_prefixes'] == ['$AR1_PREFIX'] and j['grace_period'] == $GRACE")" = True
# the start-up line says what each serves: no pool for ar1 (not "::/0"), no
# grace period for ha, which anchors no access prefix
check "ar1's log says it has no pool, and its prefix and grace period" \
	grep -q "anchor (access) at $AR1_ADDR, no pool, 1 access prefix(es) (grace period ${GRACE}s), " "$ODM_DIR/ar1-agent.log"
check "ha's log says its pool and no grace period" \
	grep -q "anchor (home) at $HA_ADDR, pool $HA_POOL (65536 addresses), max-lifetime " "$ODM_DIR/ha-agent.log"

# ------------------------------------------------------------------ home
echo "# home anchor on ha"
out=$(bu mn "$HA_ADDR" "$MN_ADDR1" eth1 --bid 1 --hnp :: --lifetime 100 --service fixed)
echo "fixed, first registration: $out"
H1=$(field hnp <<<"$out")
check "home address given, authenticated" test "$(field status <<<"$out")/$(field auth <<<"$out")" = 0/ok
check "home address $H1 is in ha's pool $HA_POOL" in_prefix "$H1" "$HA_POOL"
out=$(bu mn "$HA_ADDR" "$MN_ADDR1" eth1 --bid 2 --hnp :: --lifetime 100 --service fixed)
check "re-registration with a new BID: the same address ($out)" test "$(field hnp <<<"$out")" = "$H1"
out=$(bu mn "$HA_ADDR" "$MN_ADDR1" eth1 --bid 1 --hnp "$H1" --lifetime 0 --service fixed)
check "deregistered" test "$(field status <<<"$out")/$(field lifetime <<<"$out")" = 0/0
check "no binding at ha" no_binding ha
out=$(bu mn "$HA_ADDR" "$MN_ADDR1" eth1 --bid 3 --hnp :: --lifetime 100 --service fixed)
check "after a deregistration: the same address ($out)" test "$(field hnp <<<"$out")" = "$H1"
out=$(bu other "$HA_ADDR" "$MN_ADDR1" eth1 --bid 1 --hnp :: --lifetime 100 --service fixed)
H2=$(field hnp <<<"$out")
check "another identity gets another home address ($H2)" \
	test "$(field status <<<"$out")" = 0 -a "$H2" != "$H1" -a -n "$H2"

odm_anchor_stop ha
odm_anchor_start ha
check "after a restart (state kept) ha still holds $H1 for the host" \
	wait_for 2 bash -c "[[ \$('$ODM_BUILD/odmctl' -s '$ODM_DIR/ha.sock' -j status) == *'\"$H1\"'* ]]"
out=$(bu mn "$HA_ADDR" "$MN_ADDR1" eth1 --bid 4 --hnp :: --lifetime 100 --service fixed)
check "after a restart: the same address ($out)" test "$(field hnp <<<"$out")" = "$H1"
odm_anchor_stop ha
rm -rf "$ODM_DIR/state-ha"
odm_anchor_start ha
check "a restart without its state starts with no binding" no_binding ha
out=$(bu mn "$HA_ADDR" "$MN_ADDR1" eth1 --bid 5 --hnp :: --lifetime 100 --service fixed)
check "after a restart without state: the same address ($out)" test "$(field hnp <<<"$out")" = "$H1"
out=$(bu other "$HA_ADDR" "$MN_ADDR1" eth1 --bid 2 --hnp :: --lifetime 100 --service fixed)
check "and the other identity its own ($out)" test "$(field hnp <<<"$out")" = "$H2"
odm_capture mn eth1 "$ODM_DIR/eth1-home.pcap" "ip6 proto 41"
cap=$ODM_CAP_PID
nsx cn ping -6 -c 3 -i 0.2 -W 1 "$H1" >/dev/null 2>&1 || true
odm_capture_stop "$cap"
n=$(tshark -r "$ODM_DIR/eth1-home.pcap" -Y "icmpv6.type == 128" -T fields -e ipv6.src -e ipv6.dst 2>/dev/null |
	grep -c "^$HA_ADDR,$CN_ADDR	$MN_ADDR1,$H1\$" || true)
check "cn's echo requests to the home address reached mn inside IPv6-in-IPv6 from ha ($n of 3)" \
	test "$n" -ge 1

# ---------------------------------------------------------------- access
echo "# access anchors on ar1 and ar2, mn on ar1 ($MN_ADDR1)"
out=$(bu mn "$AR1_ADDR" "$MN_ADDR1" eth1 --bid 1 --hnp "$MN_ADDR2" --lifetime 100)
check "ar1 refuses an address of ar2's prefix: 132 ($out)" test "$(field status <<<"$out")" = 132
out=$(bu mn "$AR1_ADDR" "$MN_ADDR1" eth1 --bid 1 --hnp "$MN_ADDR1" --lifetime 100 --service session-lasting)
echo "claim from the link: $out"
check "the host claims $MN_ADDR1 from the link" \
	test "$(field status <<<"$out")/$(field hnp <<<"$out")/$(field auth <<<"$out")" = "0/$MN_ADDR1/ok"
claimed="$MN_ADDR1,$MN_ADDR1,$ODM_NAI"
check "ar1 holds the claim, native (CoA = the address)" test "$(bindings ar1)" = "$claimed"
check "no route into the tunnel for a host on its link" test -z "$(route_at_ar1 "$MN_ADDR1")"
out=$(bu other "$AR1_ADDR" "$MN_ADDR1" eth1 --bid 1 --hnp "$MN_ADDR1" --lifetime 100)
check "another identity claiming it from the link: 155 ($out)" test "$(field status <<<"$out")" = 155
check "the claim is unchanged" test "$(bindings ar1)" = "$claimed"

topo_move ar2
odm_capture mn eth2 "$ODM_DIR/eth2.pcap" "ip6 proto 41"
cap=$ODM_CAP_PID
out=$(bu mn "$AR1_ADDR" "$MN_ADDR2" eth2 --bid 1 --hnp "$MN_ADDR1" --lifetime 100 --service session-lasting)
echo "after the move, to ar1: $out"
check "ar1 anchors $MN_ADDR1 at the new CoA $MN_ADDR2" \
	test "$(field status <<<"$out")/$(field lifetime <<<"$out")" = 0/100
check "ar1's binding points to the new CoA" test "$(bindings ar1)" = "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"
check "ar1 routes $MN_ADDR1/128 into its tunnel" \
	bash -c "ip netns exec $NS_AR1 ip -6 route show $MN_ADDR1/128 | grep -q 'dev odmt-ar1'"
nsx cn ping -6 -c 3 -i 0.2 -W 1 "$MN_ADDR1" >/dev/null 2>&1 || true
odm_capture_stop "$cap"
n=$(tunnelled_echoes "$ODM_DIR/eth2.pcap" "$MN_ADDR2" "$MN_ADDR1")
check "cn's echo requests to $MN_ADDR1 reached mn's new link inside IPv6-in-IPv6 from ar1 ($n of 3)" \
	test "$n" -ge 1
out=$(bu other "$AR1_ADDR" "$MN_ADDR2" eth2 --bid 1 --hnp "$MN_ADDR1" --lifetime 100)
check "another identity redirecting it from elsewhere: 155 ($out)" test "$(field status <<<"$out")" = 155
out=$(bu other "$AR1_ADDR" "$MN_ADDR2" eth2 --bid 1 --hnp "$MN_ADDR1" --lifetime 0)
check "or deregistering it: 155 ($out)" test "$(field status <<<"$out")" = 155
check "the binding is unchanged" test "$(bindings ar1)" = "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"

topo_move ar1
out=$(bu mn "$AR1_ADDR" "$MN_ADDR1" eth1 --bid 1 --hnp "$MN_ADDR1" --lifetime 100 --service session-lasting)
echo "back on ar1: $out"
check "back on ar1, CoA = the address: accepted" test "$(field status <<<"$out")" = 0
check "native again: the claim stays, no tunnel" test "$(bindings ar1)" = "$claimed"
check "no route into the tunnel" test -z "$(route_at_ar1 "$MN_ADDR1")"
check "cn reaches $MN_ADDR1 directly" nsx cn ping -6 -c 1 -W 2 "$MN_ADDR1"
out=$(bu mn "$AR1_ADDR" "$MN_ADDR1" eth1 --bid 1 --hnp "$MN_ADDR1" --lifetime 0 --service session-lasting)
check "the last socket closed: deregistered ($out)" test "$(field status <<<"$out")/$(field lifetime <<<"$out")" = 0/0
check "ar1 holds nothing" no_binding ar1

# ------------------------------------------------------ graceful-replacement
echo "# graceful-replacement at ar1, grace period $GRACE s"
out=$(bu mn "$AR1_ADDR" "$MN_ADDR1" eth1 --bid 2 --hnp "$MN_ADDR1" --lifetime 100 --service graceful-replacement)
check "graceful claim from the link ($out)" test "$(field status <<<"$out")/$(field lifetime <<<"$out")" = 0/100
topo_move ar2
t_bu=$(topo_now_ms)
out=$(bu mn "$AR1_ADDR" "$MN_ADDR2" eth2 --bid 2 --hnp "$MN_ADDR1" --lifetime 100 --service graceful-replacement)
echo "after the move: $out"
lt=$(field lifetime <<<"$out")
check "accepted, lifetime capped by the grace period: $lt units <= ceil($GRACE/4)" \
	test "$(field status <<<"$out")" = 0 -a "$lt" -le $(((GRACE + 3) / 4))
check "the binding points to the new CoA" test "$(bindings ar1)" = "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"
out=$(bu mn "$AR1_ADDR" "$MN_ADDR2" eth2 --bid 2 --hnp "$MN_ADDR1" --lifetime 100 --service session-lasting)
check "asking for session-lasting instead to lift the limit: 139 ($out)" test "$(field status <<<"$out")" = 139
sleep 2
out=$(bu mn "$AR1_ADDR" "$MN_ADDR2" eth2 --bid 2 --hnp "$MN_ADDR1" --lifetime 100 --service graceful-replacement)
check "a refresh 2 s later is granted no more than the time left ($out)" \
	test "$(field status <<<"$out")" = 0 -a "$(field lifetime <<<"$out")" -le $(((lt * 4 - 2 + 3) / 4))
# the grace period in the lifetime's units of 4 s, rounded up: the end of
# the lifetime the move's BA told, which the host takes for the deadline
told=$((lt * 4))
wait_for $((told + 3)) no_binding ar1 || true
t_end=$(topo_now_ms)
held=$((t_end - t_bu))
echo "the graceful binding ended $held ms after the move's BU (grace period $GRACE s, told $told s)"
check "it ended at the deadline told: $held ms within [$((told * 1000 - 300)), $((told * 1000 + 1500))]" \
	test "$lt" = $(((GRACE + 3) / 4)) -a "$held" -ge $((told * 1000 - 300)) -a "$held" -le $((told * 1000 + 1500))
check "ar1 logged the end of the grace period" \
	grep -q "binding $ODM_NAI $MN_ADDR1 -> $MN_ADDR2 (access) removed (grace period over)" "$ODM_DIR/ar1-agent.log"
check "and its route is gone" test -z "$(route_at_ar1 "$MN_ADDR1")"
out=$(bu mn "$AR1_ADDR" "$MN_ADDR2" eth2 --bid 2 --hnp "$MN_ADDR1" --lifetime 100 --service graceful-replacement)
check "after the deadline the host cannot have it back from elsewhere: 155 ($out)" \
	test "$(field status <<<"$out")" = 155

check "no sanitizer report in the anchors' logs" \
	bash -c "! grep -qE 'Sanitizer|runtime error' '$ODM_DIR'/*-agent.log"
check_summary test_anchor_modes
