#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_tunnel_udp.sh - the userspace tunnel with "tunnel-encap udp" (outer
# IPv6 | UDP 4191 | inner IPv6, odmagent.conf(5)) on the namespace test
# network:
#   1. "tunnel auto" with encap udp picks the userspace backend and says why;
#   2. a paced CHA download under the shim across a move from ar1 to ar2
#      completes with the right sha256; on core the tunnel is UDP between
#      port 4191 of the CHA and port 4191 of the CoA, and no protocol 41;
#   3. spoofing: a datagram to the anchor's port 4191 with the CHoA inside
#      reaches cn from the CoA and port 4191 only: from another outer source,
#      or from the CoA's port 4192, it is dropped and counted; a CE mark on
#      the outer header reaches the inner packet (RFC 6040).
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_tunnel_udp "network namespaces, TUN, UDP GSO" ip tcpdump tshark curl nginx named \
	radvd python3
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-32}
# the UDP lease of section 3 must outlive its quiet holder's checks
export ODM_UDP_INACTIVITY=${ODM_UDP_INACTIVITY:-30}
export ODM_TUNNEL=auto ODM_TUNNEL_ENCAP=udp
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_tunnel_udp' ERR

no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
got_mb() { [[ -f $1 ]] && (($(stat -c %s "$1") >= $2 * 1024 * 1024)); }

topo_up
odm_agents_up

# ---------------------------------------------------------------- 1. backend choice
for h in mn cha; do
	check "$h: tunnel auto with encap udp runs the userspace backend" \
		test "$(odm_tunnel_backend "$h")" = userspace
	check "$h: its status says encap udp" test "$(odm_status "$h" | json 'j["tunnel"]["encap"]')" = udp
done
check "cha: the choice says why" grep -q "tunnel-encap udp is userspace only" "$CHA_AGENT_LOG"

# ---------------------------------------------------------------- 2. download across a move
odm_capture core ar1 "$ODM_DIR/core.pcap" 'ip6 and (udp port 4191 or proto 41)' 128
CAP_CORE=$ODM_CAP_PID
OUT=$ODM_DIR/download.bin
odm_shim_bg curl -6 -sS --max-time 60 -o "$OUT" "http://cn.example.test${BIGFILE_URL_PATH}?rate=20m" \
	>"$ODM_DIR/curl.log" 2>&1
CURL_PID=$ODM_BG_PID
check "a lease exists while curl runs" wait_for 10 odm_has_lease
check "16 MiB came through the UDP tunnel" wait_for 20 got_mb "$OUT" 16
COA1=$(topo_mn_addr)
topo_move ar2
COA2=$(topo_mn_addr)
echo "moved: CoA $COA1 -> $COA2"
check "the anchor's binding follows the host to $COA2" wait_for 5 odm_bindings_at "$COA2"
rc=0
wait "$CURL_PID" || rc=$?
check "curl exits 0 after the move (rc $rc)" test "$rc" -eq 0
check "the sha256 of the download matches" \
	test "$(topo_sha256 "$OUT")" = "$BIGFILE_SHA256"
odm_capture_stop "$CAP_CORE"
# outer source, destination, UDP ports, and 41 for IPv6-in-IPv6
tshark -r "$ODM_DIR/core.pcap" -T fields -e ipv6.src -e ipv6.dst -e udp.srcport -e udp.dstport \
	-e ipv6.nxt -e frame.len 2>/dev/null >"$ODM_DIR/core.txt" || true
UDP_DOWN=$(awk -v a="$CHA_ADDR" -v c="$COA1" '$1 == a && $2 == c && $3 == 4191 && $4 == 4191 { n++ }
	END { print n + 0 }' "$ODM_DIR/core.txt")
UDP_UP=$(awk -v a="$CHA_ADDR" -v c="$COA1" '$1 == c && $2 == a && $3 == 4191 && $4 == 4191 { n++ }
	END { print n + 0 }' "$ODM_DIR/core.txt")
P41=$(awk '$5 ~ /(^|,)41(,|$)/ { n++ } END { print n + 0 }' "$ODM_DIR/core.txt")
# one capture record longer than the link MTU: datagrams the kernel carried
# as one UDP GSO packet through the routers
TRAINS=$(awk -v a="$CHA_ADDR" '$1 == a && $3 == 4191 && $NF > 1600 { n++ } END { print n + 0 }' \
	"$ODM_DIR/core.txt")
echo "on core: $UDP_DOWN records CHA -> CoA ($TRAINS of them GSO trains), $UDP_UP CoA -> CHA," \
	"$P41 protocol-41 packets"
check "core saw UDP 4191 -> 4191 from the CHA to the CoA ($UDP_DOWN)" test "$UDP_DOWN" -gt 100
check "core saw UDP 4191 -> 4191 from the CoA to the CHA ($UDP_UP)" test "$UDP_UP" -gt 10
check "core saw no IPv6-in-IPv6 ($P41)" test "$P41" -eq 0
check "the CHA sent segment trains with UDP_SEGMENT ($TRAINS seen as one packet on core)" \
	test "$TRAINS" -gt 10
check "neither agent gave UDP_SEGMENT up" \
	bash -c "! grep -q 'UDP_SEGMENT refused' '$CHA_AGENT_LOG' '$MN_AGENT_LOG'"
check "the lease ends after curl" wait_for 5 no_lease

# ---------------------------------------------------------------- 3. spoofing
odm_udp_sink 7777
# (killed at the section's end; 120 s so that the lease outlives the
# section's injections on a loaded machine, scapy taking seconds each)
odm_udp_holder 7777 120
HOLDER=$ODM_UDP_HOLDER
got() { grep -q "^$1 " "$ODM_DIR/udp-sink.log"; }
check "the lease holder's datagram reaches cn through the UDP tunnel" wait_for 10 got hello
CHOA=$(odm_status mn | json 'j["leases"][0]["addr"]')
COA=$(topo_mn_addr)
# HOST OUTER_SRC SPORT TEXT [OUTER_TC INNER_TC [TEXT OUTER_TC INNER_TC]...]:
# UDP from OUTER_SRC:SPORT to the anchor's port 4191 carrying CHoA -> cn,
# one datagram per TEXT, in order, with those traffic classes
# (tests/net/lib/tunsend.py)
inject() {
	nsq "$1" /usr/bin/python3 "$HERE/lib/tunsend.py" udp "$3" "$2" "$CHA_ADDR" "$CHOA" "$CN_ADDR" "${@:4}"
}
DROPPED0=$(odm_status cha | json 'j["tunnel"]["dropped"]')
inject core "$CORE_CHA" 4191 spoofed
inject mn "$COA" 4192 wrongport
inject mn "$COA" 4191 genuine
check "a datagram from the CoA $COA port 4191 with the CHoA inside reaches cn" wait_for 5 got genuine
sleep 0.3
check "the same from another outer source ($CORE_CHA) does not" \
	bash -c "! grep -q '^spoofed ' '$ODM_DIR/udp-sink.log'"
check "the same from the CoA's port 4192 does not" \
	bash -c "! grep -q '^wrongport ' '$ODM_DIR/udp-sink.log'"
odm_ctl cha status >/dev/null # the counters are read at most every 100 ms
sleep 0.2
DROPPED1=$(odm_status cha | json 'j["tunnel"]["dropped"]')
check "the anchor counted both as dropped ($DROPPED0 -> $DROPPED1)" \
	test "$DROPPED1" -ge $((DROPPED0 + 2))
# RFC 6040 section 4.2: a congestion mark a router put on the outer header
# reaches the inner packet; marked, one that is not ECN-capable is dropped
# (ce-notect first: its absence means something once ce-ect0 came)
inject mn "$COA" 4191 ce-notect 3 0 ce-ect0 3 2
check "an outer CE mark reaches the inner ECT(0) packet as CE" \
	wait_for 5 grep -q '^ce-ect0 ecn=3 ' "$ODM_DIR/udp-sink.log"
check "a CE-marked packet whose inner header is Not-ECT is dropped (ce-ect0, sent after it, came)" \
	bash -c "grep -q '^ce-ect0 ' '$ODM_DIR/udp-sink.log' && ! grep -q '^ce-notect ' '$ODM_DIR/udp-sink.log'"
kill "$HOLDER" 2>/dev/null || true
wait "$HOLDER" 2>/dev/null || true

check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_tunnel_udp
