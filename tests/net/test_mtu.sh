#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_mtu.sh - a host on access links narrower than 1500 bytes (PPPoE 1492,
# many mobile and VPN links less): mn's links to ar1 and ar2 get an MTU of
# 1400 on both ends. Through the CHA tunnel, a download and an upload
# (iperf3 both ways) must go on every backend that runs here (userspace,
# and the kernel path: it puts whole packets on the link and never
# fragments them, so its tunnel device must fit the link): the host agent
# fits its tunnel device's MTU to the link of its care-of address (1400 -
# 40 = 1360), follows that link's MTU changed with no move (an
# administrator's, lowered and raised), and a move to a link of another MTU
# fits it again; a download
# under way across such a move goes on, as the anchor passes the narrower
# link's Packet Too Big on to the correspondent (RFC 2473 §7.1); and a hop
# narrower still beyond the access link (ar1 - core) is found out both ways.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_mtu "network namespaces, TUN, raw sockets" ip named radvd nginx iperf3 python3
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_mtu' ERR

BACKENDS="user $(ODM_BUILD=$ODM_BUILD bash "$HERE/lib/kernelpath.sh" 2>/dev/null || true)"
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-16}
LINK_MTU=1400

topo_up
for h in ar1:lan0 ar2:lan0 mn:eth1 mn:eth2; do
	nsx "${h%%:*}" ip link set "${h#*:}" mtu "$LINK_MTU"
done
mbit() { /usr/bin/python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))'; }
tun_mtu() { nsq mn cat "/sys/class/net/$ODM_TUN_MN/mtu"; }
# iperf_moves LABEL NAME [-R] - 1 s of iperf3 under the shim from mn to cn
# (-R: cn sends) must move more than 10 Mbit/s
iperf_moves() {
	local rc=0 m
	topo_start_iperf cn >/dev/null
	nsq mn timeout 20 "${shim[@]}" iperf3 -6 -c cn.example.test -p "$IPERF_PORT" -t 1 ${3:-} -J \
		>"$ODM_DIR/$2.json" || rc=$?
	m=$(mbit <"$ODM_DIR/$2.json" 2>/dev/null || echo 0)
	check "$1 moves data (rc $rc, $m Mbit/s)" test "$rc" -eq 0 -a "$m" -gt 10
}
for be in $BACKENDS; do
	export ODM_TUNNEL=$be
	# what cn learned of the path in the last round goes (the CHoA is the
	# same): each round must find it out again
	nsx cn ip -6 route flush cache
	odm_agents_up
	shim=(env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=session-lasting)
	echo "# backend $(odm_tunnel_backend mn), links of MTU $LINK_MTU"
	OUT=$ODM_DIR/mtu-$be.bin
	rc=0
	nsq mn timeout 30 "${shim[@]}" curl -6 -sS -o "$OUT" "http://cn.example.test${BIGFILE_URL_PATH}" || rc=$?
	check "$be: a download through the CHA finishes (rc $rc)" test "$rc" -eq 0
	check "$be: with the right sha256" test "$(topo_sha256 "$OUT")" = "$(sha256sum <"$BIGFILE" | cut -d' ' -f1)"
	check "$be: the tunnel device fits the link ($(tun_mtu))" test "$(tun_mtu)" -eq $((LINK_MTU - 40))
	# the link's MTU changed with no move (an administrator, a network
	# manager): the device follows it at the agent's next tick (1 s), down
	# and up. In the first round only: the agent fits the device the same
	# way whatever the backend (the cap at 1460 is a unit test's)
	for m in 1380 "$LINK_MTU"; do
		[[ $be == "${BACKENDS%% *}" ]] || break
		nsx ar1 ip link set lan0 mtu "$m"
		nsx mn ip link set eth1 mtu "$m"
		wait_for 5 eval '[[ $(tun_mtu) -eq $((m - 40)) ]]' || true
		check "$be: with no move, the device follows the link's MTU to $m ($(tun_mtu))" \
			test "$(tun_mtu)" -eq $((m - 40))
	done
	iperf_moves "$be: an upload (iperf3)" up-$be
	iperf_moves "$be: a download (iperf3 -R)" down-$be -R
	# a move, in the middle of a download, to a link of another MTU: the
	# device is fitted again, and what cn sends in segments agreed on the
	# wider link is too large now: the anchor passes the narrower link's
	# Packet Too Big on to cn, and the download goes on
	nsx ar2 ip link set lan0 mtu 1350
	nsx mn ip link set eth2 mtu 1350
	PTB0=$(odm_status cha | json 'j["counters"]["ptb_relayed"]')
	rc=0
	nsq mn timeout 40 "${shim[@]}" curl -6 -sS -o "$OUT" \
		"http://cn.example.test${BIGFILE_URL_PATH}?rate=10m" &
	DL=$!
	sleep 0.8
	topo_move ar2 >/dev/null
	wait "$DL" || rc=$?
	check "$be: a download across a move to a link of MTU 1350 finishes (rc $rc)" test "$rc" -eq 0
	check "$be: with the right sha256" test "$(topo_sha256 "$OUT")" = "$(sha256sum <"$BIGFILE" | cut -d' ' -f1)"
	check "$be: the tunnel device fits the new link ($(tun_mtu))" test "$(tun_mtu)" -eq 1310
	PTB1=$(odm_status cha | json 'j["counters"]["ptb_relayed"]')
	check "$be: the anchor passed Packets Too Big on to cn ($((PTB1 - PTB0)))" test "$PTB1" -gt "$PTB0"
	# forged ones are not passed on: quoting a packet to an address that is
	# not the binding's care-of address, or from the anchor itself; one
	# that quotes the binding right is (the check is not just "never")
	# (its own address, not the first lease's: the last download's may be
	# there still, ending; it is killed below, after the forgeries, which
	# may take seconds each on a loaded machine)
	nsq mn "${shim[@]}" /usr/bin/python3 -c 'import socket, time
s = socket.create_connection(("cn.example.test", 80)); print(s.getsockname()[0], flush=True)
time.sleep(60)' >"$ODM_DIR/hold-$be.out" &
	HOLD=$!
	held() { [[ -s $ODM_DIR/hold-$be.out ]]; }
	check "$be: a connection holds a lease for the forgeries" wait_for 5 held
	CHOA=$(cat "$ODM_DIR/hold-$be.out")
	check "$be: from a CHoA ($CHOA)" in_prefix "${CHOA:-::}" "$CHA_POOL"
	ptb_forge() { # OUTER_DST INNER_SRC - one Packet Too Big to cha, from core
		nsq core /usr/bin/python3 -c '
import sys
from scapy.all import IPv6, ICMPv6PacketTooBig, TCP, Raw, send
cha, odst, isrc, choa = sys.argv[1:5]
inner = IPv6(src=isrc, dst=choa) / TCP(sport=80, dport=40000, flags="A") / Raw(b"x" * 1300)
send(IPv6(src="2001:db8:f2::2", dst=cha) / ICMPv6PacketTooBig(mtu=1350) /
     Raw(bytes(IPv6(src=cha, dst=odst, nh=41) / inner)[:1232]), verbose=0)' \
			"$CHA_ADDR" "$1" "$2" "$CHOA"
	}
	relayed() { odm_status cha | json 'j["counters"]["ptb_relayed"]'; }
	P0=$(relayed)
	ptb_forge 2001:db8:a2::99 "$CN_ADDR"
	ptb_forge "$(topo_mn_addr)" "$CHA_ADDR"
	sleep 0.3
	check "$be: forged Packets Too Big are not passed on ($(relayed) - $P0)" test "$(relayed)" -eq "$P0"
	sleep 0.05
	ptb_forge "$(topo_mn_addr)" "$CN_ADDR"
	sleep 0.3
	check "$be: one quoting the binding right is ($(relayed) - $P0)" test "$(relayed)" -eq $((P0 + 1))
	kill "$HOLD" 2>/dev/null || true
	wait "$HOLD" 2>/dev/null || true
	topo_move ar1 >/dev/null
	nsx ar2 ip link set lan0 mtu "$LINK_MTU"
	nsx mn ip link set eth2 mtu "$LINK_MTU"
	# a hop beyond the access link narrower still (ar1 - core, 1380): its
	# Packets Too Big go to the host (uploads: the device is fitted to the
	# path) and to the anchor (downloads: passed on to cn)
	nsx ar1 ip link set eth0 mtu 1380
	nsx core ip link set ar1 mtu 1380
	nsx cn ip -6 route flush cache
	iperf_moves "$be: past a narrower hop, an upload" up2-$be
	check "$be: the device fits the path ($(tun_mtu))" test "$(tun_mtu)" -eq 1340
	iperf_moves "$be: past a narrower hop, a download" down2-$be -R
	nsx ar1 ip link set eth0 mtu 1500
	nsx core ip link set ar1 mtu 1500
	odm_agents_down
done
check_summary test_mtu
