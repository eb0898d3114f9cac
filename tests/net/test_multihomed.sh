#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_multihomed.sh - a host with two links up at once (a laptop on
# Ethernet and Wi-Fi): mn on ar1 (default route preference high) and ar2
# (low). Its care-of address is ar1's, the source the kernel picks toward
# the anchor. Then ar1's link loses its carrier (ar1's end goes down: a
# cable pulled) while mn's eth1 stays up with its address, and comes back
# 3 s later. Without ignore-linkdown (odmagent(8)) the kernel keeps
# routing through the dead link (its routes marked linkdown only) and the
# CoA stays there until ar1's neighbour entry fails (8.5 s measured), and
# again once that entry is gone, until the route expires. Checks, with a
# UDP stream to a Session-lasting address through the CHA across both: the
# host moved to ar2 within 1 s of the carrier's loss and back to ar1
# within 1 s of its return, one move each way, eth1 kept its address
# throughout, and the stream's longest outage is under 500 ms, nothing
# lost but what the anchor's replay brought back.
# Then ar1's address is deprecated (no RA refreshes it) while ar2's is
# preferred: the kernel picks ar2's address toward the anchor for packets
# that still leave by eth1 (RFC 6724 rule 3 before rule 5), which an
# ingress filter (RFC 2827) drops; the CoA must stay ar1's, no move.
#
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_multihomed "network namespaces, TUN, raw sockets" ip named radvd python3
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/replay.sh"
trap 'check_on_err test_multihomed' ERR

# the CoA toward the CHA, as mn's agent says (empty: none)
coa() { odm_status mn | json 'j["coa"].get("'"$CHA_ADDR"'", "")'; }
# wait_coa ADDR MS - poll until the CoA is ADDR, MS at most (by the clock:
# each look is an odmctl and a python3, 50-150 ms); prints the ms it took
# (at the end of the look that saw it)
wait_coa() {
	local t0 now c
	t0=$(topo_now_ms)
	while :; do
		c=$(coa)
		now=$(topo_now_ms)
		if [[ $c == "$1" ]]; then
			echo $((now - t0))
			return 0
		fi
		((now - t0 < $2)) || break
		sleep 0.02
	done
	echo "$((now - t0))+"
	return 1
}

# the carrier of mn's eth1 goes (ar1's end down) and comes back 3 s later;
# the times at which the CoA followed, in MOVED_AWAY_MS and MOVED_BACK_MS
carrier_cycle() {
	ip -n "$NS_AR1" link set lan0 down
	MOVED_AWAY_MS=$(wait_coa "$MN_ADDR2" 3000) || true
	ADDR_KEPT=$(topo_mn_addr "$MN_IF1")
	sleep 3
	ip -n "$NS_AR1" link set lan0 up
	MOVED_BACK_MS=$(wait_coa "$MN_ADDR1" 3000) || true
}

topo_up
odm_agents_up
ip -n "$NS_MN" link set "$MN_IF2" up
topo__wait_mn_ready ar2 10000
src=$(nsq mn ip -6 route get "$CHA_ADDR" | grep -o 'src [0-9a-f:]*' | awk '{print $2}')
check "both links up: the kernel's source toward the CHA is ar1's ($src)" test "$src" = "$MN_ADDR1"
REPLAY_MOVE=carrier_cycle replay_stream_move ar2 200 8
check "the stream went through the CHA ($REPLAY_SRC)" test "${REPLAY_SRC%::*}" = 2001:db8:c4a
check "mn's CoA left ar1's link $MOVED_AWAY_MS ms after its carrier went (< 1000)" \
	test "${MOVED_AWAY_MS//+/}" -lt 1000
check "eth1 kept its address without carrier (${ADDR_KEPT:-none})" test "$ADDR_KEPT" = "$MN_ADDR1"
check "mn's CoA was back on ar1's link $MOVED_BACK_MS ms after its carrier came (< 1000)" \
	test "${MOVED_BACK_MS//+/}" -lt 1000
moves=$(grep -c "move: CoA" "$MN_AGENT_LOG" || true)
check "one move each way ($moves)" test "$moves" -eq 2
check "the stream went on ($REPLAY_RECEIVED of $REPLAY_SENT received)" test "$REPLAY_RESUMED" -eq 1
check "the stream's longest outage: $REPLAY_OUTAGE_MS ms < 500 ms" \
	/usr/bin/python3 -c "import sys; sys.exit(0 if float('$REPLAY_OUTAGE_MS') < 500 else 1)"
check "nothing lost ($REPLAY_LOST)" test "$REPLAY_LOST" -eq 0

# ar1's address deprecated (ar1's RAs paused, so that none refreshes it),
# ar2's preferred: the kernel picks ar2's address toward the CHA (RFC 6724
# rule 3 before rule 5) for packets that still leave by eth1, where an
# ingress filter (RFC 2827) drops them; the CoA stays ar1's (RFC 4862
# section 5.5.4: it still serves the bindings it has)
L1=$(odm_ctl mn lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" | sed -n 's/^addr //p')
odm_addr_holder "$L1" 60
check "a lease at the CHA ($L1) from ar1's address" wait_coa "$MN_ADDR1" 3000
RADVD1=$(printf '%s\n' "${TOPO_PIDS[@]}" | sed -n 's/^\([0-9]*\):ar1:radvd$/\1/p')
kill -STOP "$RADVD1"
nsx mn ip -6 addr change "$MN_ADDR1/64" dev "$MN_IF1" preferred_lft 0 valid_lft 120
sleep 1.5
route=$(nsq mn ip -6 route get "$CHA_ADDR")
kill -CONT "$RADVD1"
check "ar1's address deprecated: the kernel's source toward the CHA is ar2's, out of eth1 ($route)" \
	grep -q "dev $MN_IF1 .*src $MN_ADDR2 " <<<"$route"
check "the CoA stays on ar1's link, whose address is deprecated ($(coa))" test "$(coa)" = "$MN_ADDR1"
check "and so does the CHA's binding ($(odm_status cha | json '" ".join(b["coa"] for b in j["bindings"])'))" \
	test "$(odm_status cha | json '" ".join(b["coa"] for b in j["bindings"])')" = "$MN_ADDR1"
moves=$(grep -c "move: CoA" "$MN_AGENT_LOG" || true)
check "no move for it ($moves moves in all)" test "$moves" -eq 2
check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_multihomed
