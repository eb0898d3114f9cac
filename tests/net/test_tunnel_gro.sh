#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_tunnel_gro.sh - the userspace tunnel (IPv6-in-IPv6) where the
# receiving links coalesce packets, as physical NICs with GRO do by default
# (topo_gro on mn's eth1 and the anchor's eth0): the protocol-41 socket
# then hands over inner TCP packets of up to 64 KiB whose checksum is left
# partial, and the agents must pass them on whole (tunnel_gro.h):
#   1. a CHA download under the shim (down: mn receives coalesced packets)
#      arrives with the right sha256, mn's TCP counts no checksum error and
#      the agent drops nothing;
#   2. an upload under the shim (up: the anchor receives them and forwards
#      the data to cn) completes in time;
#   each with coalesced IPv6-in-IPv6 packets seen on the receiving link.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
# run-all: alone (its transfers run at the tunnel's full speed)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_tunnel_gro "network namespaces, TUN, veth GRO" ip ethtool tcpdump tshark curl \
	nginx named radvd python3 iperf3
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-32}
export ODM_TUNNEL=user
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_tunnel_gro' ERR

csum_errors() { nsx "$1" nstat -az TcpInCsumErrors | awk '$1 == "TcpInCsumErrors" { print $2 }'; }
# coalesced_on PCAP - IPv6-in-IPv6 records in PCAP longer than the MTU
coalesced_on() {
	tshark -r "$1" -T fields -e frame.len 2>/dev/null | awk '$1 > 1600 { n++ } END { print n + 0 }'
}

topo_up
odm_agents_up
check "mn runs the userspace backend" test "$(odm_tunnel_backend mn)" = userspace
check "cha runs the userspace backend" test "$(odm_tunnel_backend cha)" = userspace
topo_gro mn "$MN_IF1"
topo_gro cha eth0

# ---------------------------------------------------------------- 1. down
odm_capture mn "$MN_IF1" "$ODM_DIR/mn.pcap" 'ip6 proto 41' 96
CAP=$ODM_CAP_PID
ERR_MN0=$(csum_errors mn)
DROP_MN0=$(odm_status mn | json 'j["tunnel"]["dropped"]')
OUT=$ODM_DIR/download.bin
rc=0
odm_shim timeout 20 curl -6 -sS -o "$OUT" "http://cn.example.test${BIGFILE_URL_PATH}" || rc=$?
odm_capture_stop "$CAP"
check "curl through the tunnel exits 0 (rc $rc)" test "$rc" -eq 0
check "the sha256 of the download matches" \
	test "$(topo_sha256 "$OUT")" = "$BIGFILE_SHA256"
BIG=$(coalesced_on "$ODM_DIR/mn.pcap")
echo "down: $BIG coalesced IPv6-in-IPv6 packets on mn's $MN_IF1"
check "mn's link coalesced IPv6-in-IPv6 packets ($BIG longer than the MTU)" test "$BIG" -gt 10
ERR_MN1=$(csum_errors mn)
check "mn's TCP counted no checksum error ($ERR_MN0 -> $ERR_MN1)" test "$ERR_MN1" -eq "$ERR_MN0"
odm_ctl mn status >/dev/null # the counters are read at most every 100 ms
sleep 0.2
DROP_MN1=$(odm_status mn | json 'j["tunnel"]["dropped"]')
check "mn's tunnel dropped nothing ($DROP_MN0 -> $DROP_MN1)" test "$DROP_MN1" -eq "$DROP_MN0"

# ---------------------------------------------------------------- 2. up
odm_capture cha eth0 "$ODM_DIR/cha.pcap" 'ip6 proto 41' 96
CAP=$ODM_CAP_PID
topo_start_iperf cn >/dev/null
rc=0
odm_shim timeout 20 iperf3 -6 -c cn.example.test -n 32M >"$ODM_DIR/iperf-up.log" 2>&1 || rc=$?
odm_capture_stop "$CAP"
tail -4 "$ODM_DIR/iperf-up.log"
check "32 MB went up through the tunnel within 20 s (iperf3 rc $rc)" test "$rc" -eq 0
BIG=$(coalesced_on "$ODM_DIR/cha.pcap")
echo "up: $BIG coalesced IPv6-in-IPv6 packets on the anchor's eth0"
check "the anchor's link coalesced IPv6-in-IPv6 packets ($BIG longer than the MTU)" \
	test "$BIG" -gt 10

check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_tunnel_gro
