#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_access.sh - Session-lasting without a CHA, through the access
# router's anchor, end to end: host agent on mn (access-anchor ra: ar1's and
# ar2's anchors learned from their Router Advertisements, H flag and router
# address; ODM_ACCESS_FROM=config: access-anchor lines), access anchors on ar1 and ar2 (odmagent mode access), a real
# download by curl under libodm.so from cn2 (which has no cha. record).
#
#            +-- ar1 (anchor, mode access, 2001:db8:a1::/64)
#   mn ------+                 \
#            +-- ar2 (anchor, mode access) -- core -- cn2 (nginx, no CHA)
#
#   1. The socket gets mn's access address on ar1 (MN_ADDR1), claimed at
#      ar1's anchor (a native binding there, no tunnel), not a plain one.
#   2. mn moves to ar2 during the paced download: ar1 tunnels the address to
#      the new CoA (capture on ar1's uplink: IPv6-in-IPv6 between ar1 and
#      MN_ADDR2), mn keeps it on its tunnel device; the TCP socket is not
#      destroyed.
#   3. Another identity's crafted BU (mhcraft.py) claiming the address at
#      ar1 is refused (155) and changes nothing. Someone deletes ar1's
#      route of the address into its tunnel: ar1's anchor puts it back
#      within a second or two, saying so, and the download goes on; a
#      route of someone else's in its place is said once, and once it is
#      gone the anchor's own is put back.
#   4. mn moves back to ar1: the address is native again (binding CoA = the
#      address, no route into ar1's tunnel, and none put back by the
#      anchor's look, not on mn's tunnel device). ar1's anchor is stopped
#      for 200 ms across the move, so the CHA's BA reaches ar1 while it
#      still tunnels the address to the old CoA: the CHA's lease is
#      re-registered all the same within 500 ms (the host sends its BU
#      again once ar1's BA is in), not at the retransmission 1 s later.
#   5. The download completes intact; once its socket is closed the host
#      deregisters and ar1 holds no binding.
#   6. With temporary addresses (use_tempaddr 2) the claim is mn's
#      temporary address; mn moves to ar2 and back, the kernel makes
#      another: the claimed one is put back on ar1's link (deprecated),
#      native again, and the download on it completes.
#   Several anchors at once: a second download, from cn (which has a CHA),
#   runs meanwhile; the move's BUs to ar1's anchor and to the CHA leave
#   within a few ms of each other (capture on ar2's uplink), and the time
#   from the move to the last BA is reported.
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
# run-all: alone (it checks that a move's BUs to two anchors leave within 5 ms of each other)
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_access "network namespaces, TUN, raw sockets" ip named radvd nginx curl tcpdump tshark python3

# 6 MiB at 400 KB/s: 15 s, which parts 1 to 4 take 9 of (a lease that
# ended before part 4 would pass its checks of what is gone unseen)
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-6}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_access' ERR

OTHER=other@example.test OTHER_SPI=2000
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p"; }
route_at_ar1() { nsq ar1 ip -6 route show "$1/128"; }
on_mn_tunnel() { [[ $(nsq mn ip -6 addr show dev "$ODM_TUN_MN") == *"$1/128"* ]]; }
ar1_is() { [[ $(odm_anchor_bindings ar1) == "$1" ]]; }
has_lease() { [[ -n $(odm_leases) ]]; }

topo_up
odm__dir
odm_keygen other
other_id="identity $OTHER spi $OTHER_SPI key-file $ODM_DIR/other.key"
odm_mn_access_conf ar1 ar2
odm_agents_up
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX" "$other_id"
odm_anchor_up ar2 "$AR2_ADDR" "mode access" "access-prefix $AR2_PREFIX" "$other_id"
FROM=${ODM_ACCESS_FROM:-ra}
check "mn's agent names ar1's anchor as its link's" \
	wait_for 3 grep -q "access anchor of this link: $AR1_ADDR ($FROM" "$MN_AGENT_LOG"
check "odmctl status says so, and that it came from $FROM" odm_access_anchor_is "$AR1_ADDR" "$FROM"

# ------------------------------------------------------------ 1. the claim
odm_capture ar1 eth0 "$ODM_DIR/ar1-up.pcap" "ip6 proto 41" 200
CAP=$ODM_CAP_PID
odm_capture cn2 eth0 "$ODM_DIR/cn2.pcap" "tcp src port 80" 96
CAP2=$ODM_CAP_PID
OUT=$ODM_RUNDIR/download.bin
URL="http://cn2.example.test${BIGFILE_URL_PATH}?rate=400k"
odm_shim_bg curl -6 -sS --max-time 60 -o "$OUT" "$URL"
CURL_PID=$ODM_BG_PID
check "the download's socket gets a lease" wait_for 5 has_lease
OUT2=$ODM_RUNDIR/download-cha.bin
odm_shim_bg curl -6 -sS --max-time 60 -o "$OUT2" "http://cn.example.test${BIGFILE_URL_PATH}?rate=400k"
CURL2_PID=$ODM_BG_PID
two_leases() { [[ $(odm_lease_count) -eq 2 ]]; }
check "the download from cn gets its own lease at the CHA" wait_for 5 two_leases
echo "lease: $(odm_leases)"
check "it is mn's access address on ar1, anchored at ar1's anchor, Session-lasting" \
	bash -c "[[ ' $(odm_leases) ' == *' $MN_ADDR1,$AR1_ADDR,session-lasting '* ]]"
check "ar1 holds the claim, native (CoA = the address)" \
	test "$(odm_anchor_bindings ar1)" = "$MN_ADDR1,$MN_ADDR1,$ODM_NAI"
check "no route into ar1's tunnel while mn is on its link" test -z "$(route_at_ar1 "$MN_ADDR1")"
check "the agent logged the claim" grep -q "claiming access address $MN_ADDR1 at anchor $AR1_ADDR (session-lasting)" "$MN_AGENT_LOG"

# ------------------------------------------------------------ 2. away
odm_capture ar2 eth0 "$ODM_DIR/ar2-mh.pcap" "ip6 proto 135" 128
CAPMH=$ODM_CAP_PID
topo_move ar2
T_MOVE=$TOPO_MOVE_T0
check "ar1 follows the new CoA $MN_ADDR2" \
	wait_for 3 ar1_is "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"
check "ar1 routes $MN_ADDR1/128 into its tunnel" \
	bash -c "ip netns exec $NS_AR1 ip -6 route show $MN_ADDR1/128 | grep -q 'dev odmt-ar1'"
check "mn keeps $MN_ADDR1 on its tunnel device" on_mn_tunnel "$MN_ADDR1"
check "ar2's anchor is the new link's ($FROM)" wait_for 3 odm_access_anchor_is "$AR2_ADDR" "$FROM"
if [[ $FROM == ra ]]; then
	learned() { odm_status mn | json "' '.join(sorted(a['addr'] for a in j['access_anchor']['learned']))"; }
	check "ar1's anchor, which the address left behind, is still known" \
		test "$(learned)" = "$(printf '%s\n' "$AR1_ADDR" "$AR2_ADDR" | sort | tr '\n' ' ' | sed 's/ $//')"
fi
check "the download's TCP socket was not destroyed" \
	bash -c "! grep -q 'address $MN_ADDR1 vanished' '$MN_AGENT_LOG'"
check "the curl is still running" kill -0 "$CURL_PID"
sleep 0.5
odm_capture_stop "$CAPMH"
# the first BU to each anchor and the last BA from them after the move
read -r spread last_ba < <(tshark -r "$ODM_DIR/ar2-mh.pcap" -T fields -e frame.time_epoch \
	-e ipv6.src -e ipv6.dst -e mip6.mhtype 2>/dev/null | /usr/bin/python3 -c '
import sys
t0 = int(sys.argv[1]) / 1e9
anchors = sys.argv[2:]
bu, ba = {}, {}
for line in sys.stdin:
    f = line.split()
    if len(f) < 4 or float(f[0]) < t0:
        continue
    t, src, dst, kind = float(f[0]), f[1], f[2], f[3]
    if kind == "5" and dst in anchors:
        bu.setdefault(dst, t)
    if kind == "6" and src in anchors:
        ba.setdefault(src, t)
if len(bu) == len(anchors) and len(ba) == len(anchors):
    print(round((max(bu.values()) - min(bu.values())) * 1000, 1), round((max(ba.values()) - t0) * 1000))
else:
    print(-1, -1)' "$T_MOVE" "$AR1_ADDR" "$CHA_ADDR")
echo "after the move: BUs to ar1 and the CHA within $spread ms of each other; last BA $last_ba ms after the link came up"
check "the BUs to both anchors left within 5 ms of each other ($spread ms)" \
	/usr/bin/python3 -c "import sys; sys.exit(0 if 0 <= float('$spread') <= 5 else 1)"

# ------------------------------------------------------------ 3. another identity
out=$(odm_craft_bu "$OTHER" "$OTHER_SPI" "$ODM_DIR/other.key" "$AR1_ADDR" "$MN_ADDR2" eth2 \
	--bid 1 --hnp "$MN_ADDR1" --lifetime 100 --service session-lasting)
echo "other identity's BU for $MN_ADDR1: $out"
check "another identity claiming $MN_ADDR1 at ar1: 155" test "$(field status <<<"$out")" = 155
check "and nothing changed at ar1" test "$(odm_anchor_bindings ar1)" = "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"
nsq ar1 ip -6 route del "$MN_ADDR1/128" dev odmt-ar1
ar1_put_back() {
	grep -q "the route of $MN_ADDR1/128 into odmt-ar1 (a binding of the link's, its host away) was deleted by someone else: put back" \
		"$ODM_DIR/ar1-agent.log"
}
check "ar1's anchor puts its route of $MN_ADDR1 back, saying so" wait_for 4 ar1_put_back
check "the route is there again" \
	bash -c "ip netns exec $NS_AR1 ip -6 route show $MN_ADDR1/128 | grep -q 'dev odmt-ar1'"
check "the curl is still running" kill -0 "$CURL_PID"
# a route of someone else's of the same length in its place (onto the
# link): said once, not taken for one put back
nsq ar1 ip -6 route replace "$MN_ADDR1/128" dev lan0
ar1_elsewhere() {
	grep -q "packets to $MN_ADDR1 (a binding of the link's, its host away) leave by lan0, not odmt-ar1: a route of someone else's sends them there" \
		"$ODM_DIR/ar1-agent.log"
}
check "ar1's anchor says someone else's route sends $MN_ADDR1 onto the link" wait_for 4 ar1_elsewhere
sleep 1.2
check "once" test "$(grep -c "packets to $MN_ADDR1 .* leave by lan0" "$ODM_DIR/ar1-agent.log")" -eq 1
check "and took nothing for put back meanwhile" \
	test "$(grep -c 'was deleted by someone else: put back' "$ODM_DIR/ar1-agent.log")" -eq 1
nsq ar1 ip -6 route del "$MN_ADDR1/128" dev lan0
check "that route gone, its own is put back" \
	wait_for 4 bash -c "ip netns exec $NS_AR1 ip -6 route show $MN_ADDR1/128 | grep -q 'dev odmt-ar1'"
check "the curl is still running" kill -0 "$CURL_PID"
sleep 1

# ------------------------------------------------------------ 4. back
# ar1's anchor tunnels what comes for MN_ADDR1 toward MN_ADDR2 until it has
# handled the move's BU; the CHA's BA to MN_ADDR1 can come first and go
# that way, lost (here made sure: ar1's anchor is stopped across the move,
# a slow access router). The host sends the CHA's BU again once ar1's BA
# is in, not at its retransmission 1 s later.
L_BACK=$(wc -l <"$MN_AGENT_LOG")
kill -STOP "${ODM_ANCHOR_PIDS[ar1]}"
topo_move ar1
sleep 0.2
kill -CONT "${ODM_ANCHOR_PIDS[ar1]}"
cha_back_ms() {
	tail -n +$((L_BACK + 1)) "$MN_AGENT_LOG" |
		sed -n "s/.* re-registered at $CHA_ADDR after the move: .*, \([0-9]*\) ms since the move.*/\1/p" | tail -1
}
cha_back() { [[ -n $(cha_back_ms) ]]; }
check "the CHA's lease is re-registered after the move back" wait_for 3 cha_back
check "within 500 ms though its first BA went into ar1's tunnel ($(cha_back_ms) ms)" \
	test "$(cha_back_ms)" -lt 500
check "back on ar1: the binding is native again" \
	wait_for 3 ar1_is "$MN_ADDR1,$MN_ADDR1,$ODM_NAI"
check "no route into ar1's tunnel" test -z "$(route_at_ar1 "$MN_ADDR1")"
sleep 1.5 # the anchor's look, once a second, must not take its own removal for sabotage
check "and none put back by the anchor's look" test -z "$(route_at_ar1 "$MN_ADDR1")"
check "which said nothing more" test "$(grep -c 'was deleted by someone else: put back' "$ODM_DIR/ar1-agent.log")" -eq 2
off_mn_tunnel() { ! on_mn_tunnel "$1"; }
check "not on mn's tunnel device any more" wait_for 2 off_mn_tunnel "$MN_ADDR1"
check "the agent logged the return" grep -q "back on the link of $AR1_ADDR, $MN_ADDR1 is native again" "$MN_AGENT_LOG"

# ------------------------------------------------------------ 5. the end
rc=0
wait "$CURL_PID" || rc=$?
T_DONE=$(topo_now_ms)
check "curl exits 0 (rc $rc)" test "$rc" -eq 0
check "the download is intact" test "$(topo_sha256 "$OUT")" = "$BIGFILE_SHA256"
rc=0
wait "$CURL2_PID" || rc=$?
check "the download through the CHA completes intact too (rc $rc)" \
	test "$rc" -eq 0 -a "$(topo_sha256 "$OUT2")" = "$BIGFILE_SHA256"
odm_capture_stop "$CAP"
odm_capture_stop "$CAP2"
tshark -r "$ODM_DIR/ar1-up.pcap" -T fields -e ipv6.src -e ipv6.dst 2>/dev/null | sort | uniq -c | head -5
n=$(tshark -r "$ODM_DIR/ar1-up.pcap" -T fields -e ipv6.src -e ipv6.dst 2>/dev/null |
	grep -c "^$AR1_ADDR,$CN2_ADDR	$MN_ADDR2,$MN_ADDR1\$" || true)
check "cn2's data to $MN_ADDR1 left ar1 inside IPv6-in-IPv6 to $MN_ADDR2 ($n packets)" test "$n" -ge 1
n=$(tshark -r "$ODM_DIR/ar1-up.pcap" -T fields -e ipv6.src -e ipv6.dst 2>/dev/null |
	grep -c "^$MN_ADDR2,$MN_ADDR1	$AR1_ADDR,$CN2_ADDR\$" || true)
check "and mn's packets from $MN_ADDR1 came back through the tunnel ($n packets)" test "$n" -ge 1
STALL=$(odm_stall_ms "$ODM_DIR/cn2.pcap" "$T_MOVE" 80)
echo "stall of the download across the move to ar2: $STALL ms"
check "the download resumed after the move (stall $STALL ms)" test "$STALL" -ge 0
check "ar1 releases the address once the socket is closed" \
	wait_for $((ODM_GRACE_S + ODM_TICK_S + 3)) ar1_is ""
echo "ar1 released $MN_ADDR1 $(($(topo_now_ms) - T_DONE)) ms after curl exited"
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
check "mn holds no lease" wait_for 5 no_lease
check "the agent deregistered it" grep -q "$MN_ADDR1 at $AR1_ADDR ended" "$MN_AGENT_LOG"

# ------------------------------------------------------------ 6. temporary
# A temporary address (RFC 8981, use_tempaddr 2, as desktops have it) is
# the kernel's pick, so the claim's; the kernel lets it go when mn leaves
# the link and makes another at the return. The claimed one is put back on
# the link (deprecated), the claim native again, its download goes on.
nsx mn sysctl -q -w net.ipv6.conf.$MN_IF1.use_tempaddr=2
topo_move ar2 >/dev/null
topo_move ar1 >/dev/null
tmp_addr() { nsq mn ip -6 addr show dev "$MN_IF1" | sed -n 's|.*inet6 \([^/]*\)/64 .*temporary.*|\1|p' | head -1; }
has_tmp() { [[ -n $(tmp_addr) ]]; }
check "mn has a temporary address on ar1's link" wait_for 3 has_tmp
TMP1=$(tmp_addr)
OUT3=$ODM_RUNDIR/download-tmp.bin
odm_shim_bg curl -6 -sS --max-time 30 -r 0-599999 -o "$OUT3" "$URL"
CURL3_PID=$ODM_BG_PID
check "the download's socket gets a lease" wait_for 5 has_lease
check "the claim is the temporary address $TMP1" ar1_is "$TMP1,$TMP1,$ODM_NAI"
topo_move ar2
check "ar1 follows the new CoA" wait_for 3 ar1_is "$TMP1,$MN_ADDR2,$ODM_NAI"
topo_move ar1
echo "mn's temporary address now: $(tmp_addr)"
check "back on ar1: the claim of $TMP1 is native again" wait_for 3 ar1_is "$TMP1,$TMP1,$ODM_NAI"
check "$TMP1 is on ar1's link again, deprecated" \
	bash -c "ip -n $NS_MN -6 addr show dev $MN_IF1 | grep -q '$TMP1/128 .*deprecated'"
check "the agent said so" grep -q "which $TMP1 is gone from: put back on it" "$MN_AGENT_LOG"
rc=0
wait "$CURL3_PID" || rc=$?
check "the download completes (rc $rc, $(stat -c %s "$OUT3" 2>/dev/null) bytes)" \
	test "$rc" -eq 0 -a "$(stat -c %s "$OUT3")" -eq 600000
check "no sanitizer report in the agents' logs" \
	bash -c "! grep -qE 'Sanitizer|runtime error' '$ODM_DIR'/*-agent.log"
check_summary test_access
