#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_renumber.sh - ar1's link is renumbered under live sessions: ar1
# advertises a new prefix (2001:db8:a3::/64) and its old one with preferred
# and valid lifetime 0 (RFC 4862 section 5.5.3), as a renumbering does. mn
# holds a claim of its old access address at ar1's access anchor (a
# Session-lasting download from cn2, which has no CHA) and a CHoA (one from
# cn). The kernel deprecates the old address and picks the new one as a
# source, so the host moves its bindings to the new address once. Each RA
# that refreshes the old address has the kernel tell of it, for a moment,
# without the deprecated flag (its preferred lifetime 0), and pick it toward
# ar1's anchor (longest match): the agent must not take it as a move
# (odmagent(8), Noticing a move), or the claim goes native and back to the
# tunnel at every RA. Checks: the bindings moved to the new address; in the
# 8 s after, no move back to the old one, the claim never native again, and
# at most 2 BUs reached ar1's anchor (at least 10 RAs came meanwhile); both
# downloads complete with the right sha256.
#
#   mn --ar1 (renumbered)-- core -- cha (anchor), cn (nginx), cn2 (nginx)
#
# Exit 0 pass, 1 fail, 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_renumber "network namespaces, TUN, raw sockets" ip named radvd nginx curl python3 tcpdump
export ODM_TUNNEL=${ODM_TUNNEL:-user}
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-4}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"
trap 'check_on_err test_renumber' ERR

NEW_PREFIX=2001:db8:a3::/64 NEW_ROUTER=2001:db8:a3::1
NEW_ADDR=2001:db8:a3:0:d:ff:fe00:1
WATCH_S=8

topo_up
odm_mn_access_conf ar1
odm_agents_up
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX"
check "mn's agent names ar1's anchor as its link's" \
	wait_for 3 grep -q "access anchor of this link: $AR1_ADDR" "$MN_AGENT_LOG"

# two paced downloads (4 MiB at 320 KiB/s: some 13 s), Session-lasting: from
# cn2 on the claim of mn's access address, from cn on a CHoA
odm_downloads_from 320k cn2 cn
claimed() { [[ $(odm_status mn | json "any(l['addr'] == '$MN_ADDR1' and l['anchor'] == '$AR1_ADDR' and l['state'] == 'registered' for l in j['leases'])") == True ]]; }
has_choa() { [[ $(odm_status mn | json "any(l['anchor'] == '$CHA_ADDR' and l['state'] == 'registered' for l in j['leases'])") == True ]]; }
check "the download from cn2 claims $MN_ADDR1 at ar1" wait_for 5 claimed
check "the download from cn has a CHoA" wait_for 5 has_choa

# ------------------------------------------------------------ the renumbering
nsx ar1 ip -6 addr add "$NEW_ROUTER/64" dev lan0 nodad
nsx core ip -6 route add "$NEW_PREFIX" via "$AR1_UP"
for e in "${TOPO_PIDS[@]}"; do
	[[ $e == *:ar1:radvd ]] && RADVD=${e%%:*}
done
kill "$RADVD"
wait "$RADVD" 2>/dev/null || true
cat >"$ODM_RUNDIR/ar1/radvd-renumbered.conf" <<EOF
interface lan0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 0.5;
	MaxRtrAdvInterval 0.8;
	AdvDefaultPreference high;
	AdvDefaultLifetime 30;
	AdvSourceLLAddress on;
	AdvHomeAgentFlag on;
	AdvHomeAgentInfo on;
	HomeAgentPreference 20;
	HomeAgentLifetime 1800;
	prefix $NEW_ROUTER/64 {
		AdvOnLink on; AdvAutonomous on; AdvRouterAddr on;
		AdvValidLifetime 300; AdvPreferredLifetime 120;
	};
	prefix $AR1_ADDR/64 {
		AdvOnLink on; AdvAutonomous on; AdvRouterAddr on;
		AdvValidLifetime 0; AdvPreferredLifetime 0;
	};
	RDNSS $DNS_ADDR { AdvRDNSSLifetime 1300; };
};
EOF
chmod 644 "$ODM_RUNDIR/ar1/radvd-renumbered.conf"
topo_spawn ar1 radvd "$ODM_RUNDIR/ar1/radvd-renumbered.log" radvd -n \
	-C "$ODM_RUNDIR/ar1/radvd-renumbered.conf" -p "$ODM_RUNDIR/ar1/radvd-renumbered.pid" -m stderr
moved() { grep -q "move: CoA $MN_ADDR1 -> $NEW_ADDR on eth1, re-registering .* at anchor $AR1_ADDR" "$MN_AGENT_LOG"; }
check "the claim re-registered from the new address $NEW_ADDR" wait_for 5 moved
check "so did the CHoA" grep -q "move: CoA $MN_ADDR1 -> $NEW_ADDR on eth1, re-registering .* at anchor $CHA_ADDR" \
	"$MN_AGENT_LOG"
sleep 0.5 # the move's BAs
log_from=$(wc -l <"$MN_AGENT_LOG")
# the BUs ar1's anchor received, by its own count (its log says a refresh
# only at debug level)
ar1_bus() { odm_anchor_status ar1 | json 'j["counters"]["bu_rx"]'; }
bus_from=$(ar1_bus)
odm_capture mn eth1 "$ODM_DIR/ra.pcap" "icmp6 and ip6[40] == 134"
CAP_RA=$ODM_CAP_PID
sleep "$WATCH_S"
odm_capture_stop "$CAP_RA"
ras=$(tcpdump -nr "$ODM_DIR/ra.pcap" 2>/dev/null | grep -c 'router advertisement' || true)
after=$(tail -n +"$((log_from + 1))" "$MN_AGENT_LOG")
back=$(grep -c -- "-> $MN_ADDR1 on eth1" <<<"$after" || true)
native=$(grep -c "native again" <<<"$after" || true)
bus=$(($(ar1_bus) - bus_from))
echo "# in the $WATCH_S s after: $ras RAs, $back move(s) back to $MN_ADDR1, $native 'native again', $bus BU(s) at ar1"
check "at least 10 RAs came in the $WATCH_S s watched ($ras)" test "$ras" -ge 10
check "no move back to the deprecated $MN_ADDR1 ($back)" test "$back" -eq 0
check "the claim never went native again ($native)" test "$native" -eq 0
check "at most 2 BUs reached ar1's anchor ($bus)" test "$bus" -le 2
odm_downloads_ok "" cn2 cn
check "no sanitizer report in the agents' logs" \
	bash -c "! grep -qE 'Sanitizer|runtime error' '$ODM_DIR'/*-agent.log"
check_summary test_renumber
