#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_mtu_small.sh - a path that carries less than 1320 bytes: an inner
# packet of IPv6's minimum 1280 bytes and the outer header do not fit in
# one packet, and RFC 2473 section 7 has the tunnel entry point send the
# outer packet in fragments (no Packet Too Big can ask the inner sender for
# less than 1280). Two such paths, MTU 1300: mn's access link (ar1 - mn; the
# anchor hears of it from ar1's Packet Too Big), and a hop beyond a link of
# 1500 (ar1 - core; host and anchor both hear of it).
#   userspace backend: over each, a download (curl, sha256) and an upload
#     (iperf3) through the CHA under the shim, and UDP datagrams of 1232
#     bytes (an inner packet of 1280) and 8000 (fragmented by the sender)
#     echoed back whole: the kernel fragments the outer packets once it
#     has taken the path's MTU from a Packet Too Big, which for the raw
#     socket it does only with IPV6_RECVERR (odmagent/tunnel_errq.h); the
#     host agent says the device's packets go in fragments, and no agent
#     warns about its tunnel socket (those errors are the path's); then
#     40000 ICMPv6 errors quoting an outer packet (lib/icmperrflood.py,
#     from cn2) at each agent, and a round again: the tunnel is still read;
#   the kernel backends (those that run here) cannot fragment, and both
#     agents say in their logs that larger packets are lost and why (the
#     host's as it fits its device, the anchor's at a Packet Too Big about
#     a datagram of 1232 bytes from cn), rather than be silent; what fits
#     still goes (a datagram of 1200 bytes); on bpf, the programs lower the
#     MSS of the TCP SYNs both ways to what fits (1200), so a download and
#     an upload made on that link go too, and a SYN whose MSS option is at
#     an odd offset arrives lowered with its checksum right, either way.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_mtu_small "network namespaces, TUN, raw sockets" ip named radvd nginx iperf3 \
	python3 curl
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_mtu_small' ERR

BACKENDS="user $(ODM_BUILD=$ODM_BUILD bash "$HERE/lib/kernelpath.sh" 2>/dev/null || true)"
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-8}
SMALL=1300
ECHO_PORT=7777

topo_up
topo_spawn cn udpecho "$ODM_RUNDIR/udpecho.log" /usr/bin/python3 "$HERE/lib/udpecho.py" from \
	"$ECHO_PORT" 600
# set_path LINK HOP - the MTU of mn's access link (both ends) and of the
# hop beyond it (ar1 - core); what cn and cha learned of the paths goes
set_path() {
	local h
	for h in ar1:lan0 mn:eth1; do nsx "${h%%:*}" ip link set "${h#*:}" mtu "$1"; done
	nsx ar1 ip link set eth0 mtu "$2"
	nsx core ip link set ar1 mtu "$2"
	for h in cn cha mn; do nsx "$h" ip -6 route flush cache; done
}
mbit() { /usr/bin/python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))'; }
logged() { grep -q -- "$2" "$1"; }
quiet_socket() { ! grep -q "tunnel's raw socket\|recvmmsg on the" "$MN_AGENT_LOG" "$CHA_AGENT_LOG"; }
# errflood SRC DST - from cn2, ICMPv6 errors to SRC about its outer packets to DST
errflood() {
	nsq cn2 timeout 10 /usr/bin/python3 "$HERE/lib/icmperrflood.py" --to "$1" --outer-src "$1" \
		--outer-dst "$2" --count 40000 --seconds 2 >>"$ODM_DIR/flood.txt"
}
# syn_clamped LABEL FROM SRC TO DST - a SYN from SRC on FROM to DST whose
# MSS option (1440) sits at an odd offset, after a NOP (as some stacks lay
# them out), arrives at TO lowered to 1200 with its checksum right
syn_clamped() {
	local f=$ODM_DIR/syn.txt c
	nsq "$4" /usr/bin/python3 "$HERE/lib/tcpsyn.py" catch "$3" 7 5 >"$f" &
	c=$!
	wait_for 3 logged "$f" ready
	nsq "$2" /usr/bin/python3 "$HERE/lib/tcpsyn.py" send "$3" "$5" 7 nop,mss=1440,ws=7,sackok
	wait "$c" || true
	check "$1 with its MSS at an odd offset arrives lowered, its sum right ($(tail -1 "$f"))" \
		test "$(tail -1 "$f")" = "mss=1200 sum=ok"
}
# round LABEL SIZES - through the CHA: a download, an upload, datagrams echoed
round() {
	local rc=0 m out=$ODM_DIR/dl.bin
	rm -f "$out" # (curl leaves an earlier one if nothing comes)
	nsq mn timeout 30 "${shim[@]}" curl -6 -sS -o "$out" "http://cn.example.test${BIGFILE_URL_PATH}" || rc=$?
	check "$1: a download finishes (curl rc $rc)" test "$rc" -eq 0
	check "$1: with the right sha256" test "$(topo_sha256 "$out")" = "$BIGFILE_SHA256"
	rc=0
	topo_start_iperf cn >/dev/null
	nsq mn timeout 20 "${shim[@]}" iperf3 -6 -c cn.example.test -p "$IPERF_PORT" -t 2 -J \
		>"$ODM_DIR/up.json" || rc=$?
	m=$(mbit <"$ODM_DIR/up.json" 2>/dev/null || echo 0)
	check "$1: an upload moves data (iperf3 rc $rc, $m Mbit/s)" test "$rc" -eq 0 -a "$m" -gt 10
	rc=0
	nsq mn timeout 20 "${shim[@]}" /usr/bin/python3 "$HERE/lib/udpsizes.py" cn.example.test \
		"$ECHO_PORT" "$2" >"$ODM_DIR/udp.txt" 2>&1 || rc=$?
	echo "# $1: datagrams: $(tr '\n' ' ' <"$ODM_DIR/udp.txt")"
	check "$1: datagrams of $2 bytes come back whole (rc $rc)" test "$rc" -eq 0
}

for be in $BACKENDS; do
	export ODM_TUNNEL=$be
	set_path "$SMALL" 1500
	odm_agents_up
	shim=(env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=session-lasting)
	echo "# backend $(odm_tunnel_backend mn), mn's access link of MTU $SMALL"
	if [[ $be == user ]]; then
		round "$be, access link $SMALL" 1232,8000
		check "$be: mn's agent says its outer packets go in fragments" \
			logged "$MN_AGENT_LOG" "carries $SMALL bytes.*go in fragments (RFC 2473 section 7)"
		set_path 1500 "$SMALL"
		round "$be, hop $SMALL beyond the access link" 1232,8000
		check "$be: the device fits the path ($(nsq mn cat "/sys/class/net/$ODM_TUN_MN/mtu"))" \
			test "$(nsq mn cat "/sys/class/net/$ODM_TUN_MN/mtu")" -eq 1280
		# a flood of ICMPv6 errors quoting their outer packets (forged:
		# the two addresses are all it takes) at both agents: each is
		# taken off, and the tunnel goes on being read
		coa=$(topo_mn_addr)
		errflood "$CHA_ADDR" "$coa"
		errflood "$coa" "$CHA_ADDR"
		echo "# $be: ICMPv6 errors sent to cha, then mn: $(tr '\n' ' ' <"$ODM_DIR/flood.txt")"
		round "$be, after a flood of ICMPv6 errors" 1232
		check "$be: no agent warns about its tunnel socket" quiet_socket
	else
		[[ $be != bpf ]] || round "$be, access link $SMALL" 1200
		# a datagram that does not fit, from cn to mn's lease: ar1's
		# Packet Too Big reaches cha
		nsq mn "${shim[@]}" /usr/bin/python3 -c 'import socket, time
s = socket.create_connection(("cn.example.test", 80)); time.sleep(15)' &
		HOLD=$!
		check "$be: a connection holds a lease" wait_for 5 odm_has_lease
		nsq cn /usr/bin/python3 -c 'import socket, sys
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"x" * 1232, (sys.argv[1], 9))' \
			"$(odm_lease_addr)"
		check "$be: cha's agent says so at the Packet Too Big" \
			wait_for 5 logged "$CHA_AGENT_LOG" "carries $SMALL bytes.*over 1260 bytes are LOST, as the $be backend cannot fragment"
		[[ $be != bpf ]] || syn_clamped "$be: mn's SYN" mn "$(odm_lease_addr)" cn "$CN_ADDR"
		[[ $be != bpf ]] || syn_clamped "$be: cn's SYN" cn "$CN_ADDR" mn "$(odm_lease_addr)"
		kill "$HOLD" 2>/dev/null || true
		wait "$HOLD" 2>/dev/null || true
		# (the device is fitted at the first binding)
		check "$be: mn's agent says what is lost, and why" \
			logged "$MN_AGENT_LOG" "carries $SMALL bytes.*the $be backend cannot fragment outer packets"
		[[ $be != bpf ]] || check "$be: TCP connections agree on segments that fit" \
			logged "$MN_AGENT_LOG" "carries $SMALL bytes.*agree on segments that fit (MSS 1200)"
	fi
	odm_agents_down
done
check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_mtu_small
