#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_optdad.sh - on a host left with the kernel's default DAD settings
# (TOPO_MN_DAD=default), the host agent makes a move cost what the network
# needs (odmagent(8), optimistic-dad and router-solicit, both on by default):
#   1. at start it sets net.ipv6.conf.IF.optimistic_dad=1 and
#      use_optimistic=1 on the access interfaces (not on lo or its tunnel
#      device) and logs once per interface what it changed (0 -> 1);
#      an interface renamed before the agent saw it arrive gets them (and
#      ignore_routes_with_linkdown=1) under its new name, not its old one,
#      which another interface may have taken; one that arrives with an
#      MTU below 1280 (no IPv6 yet) gets them, without a warning before,
#      once its MTU is raised;
#   2. across a move to ar2 it sends a Router Solicitation from the
#      unspecified address as the link comes up, long before the kernel's
#      own (after DAD of the link-local address, ~1 s), and no second one
#      once an address from ar2's RA says the link answered (RFC 4861
#      §6.3.7; a second would go 4 s after the first), and its Binding
#      Update leaves from the new address while that is still optimistic:
#      the capture's BU comes before the kernel's event that ends the
#      address's DAD; the move takes well under the DAD time;
#   3. started again with --optimistic-dad off (the sysctls put back to 0
#      first), it leaves them alone at start and across a move back to ar1,
#      logs nothing of them, and that move waits for DAD again (>= 0.9 s).
#
#    mn (odmagent mn) --ar1/ar2-- core -- cha (odmagent anchor)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_optdad' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_optdad "network namespaces, raw sockets" ip nginx named radvd tcpdump tshark python3

export TOPO_MN_DAD=default TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

knob() { nsq mn sysctl -n "net.ipv6.conf.$1.$2"; } # IF KEY
knob_is() { [[ $(knob "$1" "$2") == "$3" ]]; }     # IF KEY VALUE
logged() { grep -c "$1: optimistic DAD (RFC 4429)" "$MN_AGENT_LOG" || true; }
# epoch seconds of the ip -ts monitor line that shows ADDR without tentative
dad_done_at() {
	python3 - "$1" "$2" <<'EOF'
import re, sys, datetime
for line in open(sys.argv[1]):
    m = re.match(r"\[([0-9T:.-]+)\].*inet6 " + re.escape(sys.argv[2]) + r"/", line)
    if m and "tentative" not in line and not line.startswith("Deleted"):
        t = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
        print(f"{t.timestamp():.6f}")
        break
else:
    sys.exit(1)
EOF
}
earlier() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }

topo_up
check "mn starts on the kernel's default: optimistic_dad 0" knob_is eth1 optimistic_dad 0
# ------------------------------------------------ 1. sysctls at start
odm_agents_up
for ifc in "$MN_IF1" "$MN_IF2"; do
	check "$ifc: optimistic_dad=1" knob_is "$ifc" optimistic_dad 1
	check "$ifc: use_optimistic=1" knob_is "$ifc" use_optimistic 1
	n=$(grep -c "$ifc: optimistic DAD (RFC 4429) for faster moves: optimistic_dad 0 -> 1, use_optimistic 0 -> 1" "$MN_AGENT_LOG" || true)
	check "$ifc: logged once, old -> new ($n)" test "$n" -eq 1
done
check "lo is left alone" knob_is lo optimistic_dad 0
check "the tunnel device is left alone" knob_is "$ODM_TUN_MN" optimistic_dad 0
# an interface renamed before the agent read of its arrival (udev renames
# each new one at once, eth0 -> enp3s0): the agent stopped meanwhile, hwa0
# appears, becomes hwb0, and another hwa0 appears; each gets the sysctls
# under the name it has, none is written under a stale one
kill -STOP "$MN_AGENT_PID"
nsq mn ip link add hwa0 type veth peer name hwp0
nsq mn ip link set hwa0 name hwb0
nsq mn ip link add hwa0 type veth peer name hwq0
kill -CONT "$MN_AGENT_PID"
for ifc in hwb0 hwa0; do
	check "an interface named $ifc when the agent saw it: optimistic_dad=1" \
		wait_for 3 knob_is "$ifc" optimistic_dad 1
	check "$ifc: ignore_routes_with_linkdown=1" knob_is "$ifc" ignore_routes_with_linkdown 1
	n=$(logged "$ifc")
	check "$ifc: logged once ($n)" test "$n" -eq 1
done
nsq mn ip link del hwb0
nsq mn ip link del hwa0
# an interface that arrives with an MTU below 1280 has no IPv6 (nor
# net.ipv6.conf.IF) until its MTU is raised: nothing is written, and
# nothing warned, before; its sysctls are set once the kernel made them
nsq mn ip link add hwc0 mtu 1200 type veth peer name hwr0 mtu 1200
no_conf() { ! knob "$1" optimistic_dad 2>/dev/null; } # IF: no net.ipv6.conf.IF
check "hwc0, MTU 1200: the kernel gave it no IPv6" no_conf hwc0
# the agent reads link events in order: once it has set those of an
# interface made after hwc0, it has read hwc0's arrival at MTU 1200
nsq mn ip link add hwd0 type veth peer name hws0
check "hwd0, made after hwc0, has its sysctls (the agent read hwc0's arrival)" \
	wait_for 3 knob_is hwd0 optimistic_dad 1
nsq mn ip link set hwc0 mtu 1500
check "hwc0, MTU 1500: optimistic_dad=1 once the kernel made its IPv6" \
	wait_for 3 knob_is hwc0 optimistic_dad 1
check "hwc0: ignore_routes_with_linkdown=1" knob_is hwc0 ignore_routes_with_linkdown 1
n=$(logged hwc0)
check "hwc0: logged once ($n)" test "$n" -eq 1
check "no warning about a sysctl of hwc0 or hwr0 while they had no IPv6" \
	bash -c "! grep -E 'hw[cr]0: .*cannot set' '$MN_AGENT_LOG'"
nsq mn ip link del hwc0
nsq mn ip link del hwd0

A=$(odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp | json 'j["addr"]')
check "a lease to update at the move: $A" in_prefix "$A" "$CHA_POOL"

# ------------------------------------------------ 2. the move
odm_capture mn any "$ODM_DIR/move.pcap" "icmp6 or ip6 proto 135" 200
CAP=$ODM_CAP_PID
topo_spawn mn ipmon "$ODM_DIR/move.ipmon" env TZ=UTC ip -ts -6 monitor address
IPMON=$TOPO_SPAWNED_PID
sleep 0.1
topo_move ar2
NEW=$(topo_mn_addr)
check "the move to ar2 took well under the DAD time ($TOPO_MOVE_MS ms)" test "$TOPO_MOVE_MS" -lt 900
check "the agent moved its binding to $NEW" wait_for 3 grep -q "move: CoA .* -> $NEW" "$MN_AGENT_LOG"
check "DAD of $NEW ended" wait_for 4 dad_done_at "$ODM_DIR/move.ipmon" "$NEW"
# past the time of a second solicitation (4 s after the first, RFC 4861
# §10), which must not go: the link has answered (§6.3.7), with $NEW
python3 -c "import time; time.sleep(max(0.1, $TOPO_MOVE_T0 / 1e9 + 5 - time.time()))"
odm_capture_stop "$CAP"
odm_capture_stop "$IPMON"
T0=$(python3 -c "print($TOPO_MOVE_T0 / 1e9)")
RSS=$(tshark -r "$ODM_DIR/move.pcap" -Y "icmpv6.type == 133 && ipv6.src == :: && frame.time_epoch >= $T0" \
	-T fields -e frame.time_epoch 2>/dev/null)
RS=$(head -n1 <<<"$RSS")
BU=$(tshark -r "$ODM_DIR/move.pcap" -Y "mip6.mhtype == 5 && ipv6.src == $NEW" \
	-T fields -e frame.time_epoch 2>/dev/null | head -n1)
DONE=$(dad_done_at "$ODM_DIR/move.ipmon" "$NEW") || true
echo "link up at $T0, RS from :: at ${RS:-none}, BU at ${BU:-none}, DAD of $NEW done at ${DONE:-none}"
check "a Router Solicitation from :: went out as the link came up" test -n "$RS"
check "within 300 ms of it (the kernel's own waits ~1 s for link-local DAD)" \
	earlier "${RS:-1e12}" "$(python3 -c "print($T0 + 0.3)")"
check "and no second one in the 5 s after the move, the link having answered" \
	test "$(grep -c . <<<"$RSS")" -eq 1
check "the new address was optimistic when it came" \
	grep -q "inet6 $NEW/64 .*optimistic" "$ODM_DIR/move.ipmon"
check "the BU left from it" test -n "$BU"
check "before its DAD had ended" earlier "${BU:-1e12}" "${DONE:-0}"
# the agent solicits the router from the new address with its MAC so that
# the router knows the address (odmagent(8)), but not while the address is
# optimistic (RFC 4429 §3.3): at the look its DAD's end brings
NS=$(tshark -r "$ODM_DIR/move.pcap" -Y "icmpv6.type == 135 && ipv6.src == $NEW && icmpv6.opt.type == 1" \
	-T fields -e frame.time_epoch -e ipv6.dst 2>/dev/null | awk '$2 ~ /^ff02::1:ff/ { print $1 }')
echo "the agent's solicitations of the router from $NEW: ${NS:-none}"
check "the agent solicited the router from $NEW" test -n "$NS"
# (the capture and ip monitor stamp the same kernel event apart: the
# solicitation that answers it may come a fraction of a ms before the
# monitor's line; the optimistic time is a second)
check "only once its DAD had ended" \
	earlier "$(python3 -c "print(${DONE:-1e12} - 0.05)")" "$(head -n1 <<<"${NS:-0}")"

# ------------------------------------------------ 3. optimistic-dad off
topo_kill "$MN_AGENT_PID"
for ifc in "$MN_IF1" "$MN_IF2"; do
	nsq mn sysctl -q -w "net.ipv6.conf.$ifc.optimistic_dad=0" "net.ipv6.conf.$ifc.use_optimistic=0"
done
N1=$(logged "$MN_IF1") N2=$(logged "$MN_IF2")
odm_agent_start mn --optimistic-dad off
topo_move ar1
check "with it off the move waits for DAD again ($TOPO_MOVE_MS ms)" test "$TOPO_MOVE_MS" -ge 900
for ifc in "$MN_IF1" "$MN_IF2"; do
	check "off: $ifc optimistic_dad left at 0" knob_is "$ifc" optimistic_dad 0
	check "off: $ifc use_optimistic left at 0" knob_is "$ifc" use_optimistic 0
done
check "off: nothing logged about them" test "$(logged "$MN_IF1") $(logged "$MN_IF2")" = "$N1 $N2"
check "the host agent still runs" kill -0 "$MN_AGENT_PID"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

check_summary test_optdad
