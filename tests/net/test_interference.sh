#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_interference.sh - someone else (an administrator, a network manager)
# changes the host state the agents depend on while a download runs through
# the tunnel, in ways the agents cannot undo themselves or did not look for.
# On the namespace test network (lib/topo.sh), with a paced download by mn
# from cn through the CHA's pool:
#   1. the anchor host's IPv6 forwarding is turned off, then on again: the
#      anchor says so once as it goes off (its bindings stall, nothing else
#      would tell) and once as it comes back, and the download goes on;
#   2. the anchor's own address is deleted from its link, then added again:
#      the same, once each way;
#   3. the MTU of mn's tunnel device is set to 9000: the host agent sets it
#      back to what it fitted to the link, with a warning, and a new
#      connection's upload goes through (the bpf backend drops outer
#      packets too large for the link: with the device left at 9000 the
#      host's TCP sends segments of the peer's MSS, and the upload stalls);
#      the anchor's likewise;
#   4. its MTU is set to 1200, below IPv6's minimum, and then IPv6 is
#      disabled on it: either way the kernel takes the device's IPv6 and
#      with it the lease's address and route, which cannot be put back on
#      a device without IPv6 (before, the host agent said so and then held
#      a lease that carried nothing, for good). The agent says what
#      happened and starts again in place, which sets the device up anew
#      and takes the lease over: its address and route are back and the
#      download goes on; the same when the MTU is set to 1200 and straight
#      back (the link event says it, the device no longer does). IPv6
#      disabled and straight enabled (no link event says it): the agent
#      starts again if the deletions of the lease's address and route meet
#      the device without IPv6, and otherwise puts them back, which is all
#      the kernel took; the second way made certain five times over (the
#      agent stopped across the command), the download going on each time,
#      then once as it comes;
#   5. a rule of someone else's ahead of the host agent's ("lookup main" at
#      priority 500) sends the leases' packets out untunnelled, which the
#      agent cannot undo: it says so once, and once as the rule is gone;
#   6. once the download is over and its lease ended, mn's router
#      advertisements are turned off (accept_ra 0) and its global address
#      on the link flushed: only its link-local address is left, which the
#      kernel picks as the source toward the anchor. That is no care-of
#      address: a lease asked for meanwhile fails saying the host has none,
#      no BU is sent, and the anchor is not put on hold (before, the agent
#      asked "from CoA fe80::...", each BU failed in the kernel (EINVAL),
#      and the request failed blaming the anchor, which it then held for
#      10 s); once the advertisements are heard again, a lease is answered;
#   7. then mn's access link's MTU is set to 1200, below IPv6's minimum, and
#      back to 1500: the kernel took IPv6 off the link and made its
#      net.ipv6.conf anew from the defaults; the host agent sets its
#      sysctls (optimistic DAD, ignore-linkdown) there again, and says so
#      (before, it had set them once per interface index and left the
#      kernel's defaults in place: every later move waited for DAD, and a
#      carrier loss kept the dead link's routes); a lease is answered;
# Throughout, neither agent dies, spins or leaks descriptors, and the
# download completes with the right sha256.
#
#    mn (curl + shim, odmagent mn) --ar1-- core -- cha (odmagent anchor)
#                                               -- cn  (nginx)
#
# run-all: with the others (it changes nothing outside its own namespaces)
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
# run-all: long (about 40 s: a paced download under four kinds of interference)
set -eEuo pipefail
trap 'check_on_err test_interference' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_interference "network namespaces, TUN, raw sockets" ip curl nginx named radvd python3

# at 1 MB/s: parts 1 to 5, which need the download's lease, take 25 s of
# its 34
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-34}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"

topo_up
odm_agents_up
echo "# tunnel backends: cha $(odm_tunnel_backend cha), mn $(odm_tunnel_backend mn)"

# an agent's CPU time so far (clock ticks, /proc/PID/stat utime + stime)
# and its open descriptors
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
cha_logged() { grep -q "$1" "$CHA_AGENT_LOG"; }
cha_said() { grep -c "$1" "$CHA_AGENT_LOG" || true; }
# the download's size in MiB now; grown MIB - it has grown by a MiB since
mib_now() { echo $(($(stat -c %s "$OUT") / 1048576)); }
grown() { odm_got_mb "$OUT" $(($1 + 1)); }

odm_download d 1m 90
check "a lease for the download" wait_for 10 odm_has_lease
check "the download is under way through $(odm_lease_addr)" wait_for 10 odm_got_mb "$OUT" 1
MN_FD0=$(fd_count "$MN_AGENT_PID") CHA_FD0=$(fd_count "$CHA_AGENT_PID")
MN_CPU0=$(cpu_ticks "$MN_AGENT_PID") CHA_CPU0=$(cpu_ticks "$CHA_AGENT_PID")

# ---------------------------------------------------------------- 1.
OFF='net.ipv6.conf.all.forwarding is 0: tunnelled traffic will not be forwarded'
ON='net.ipv6.conf.all.forwarding is 1 again'
nsq cha sysctl -qw net.ipv6.conf.all.forwarding=0
check "1: forwarding off on cha: the anchor says so" wait_for 3 cha_logged "$OFF"
sleep 1.5 # a look or more later: still said once
nsq cha sysctl -qw net.ipv6.conf.all.forwarding=1
check "1: forwarding on again: the anchor says so" wait_for 3 cha_logged "$ON"
check "1: each said once ($(cha_said "$OFF") and $(cha_said "$ON"))" \
	test "$(cha_said "$OFF")" -eq 1 -a "$(cha_said "$ON")" -eq 1
check "1: the download goes on" wait_for 10 grown "$(mib_now)"

# ---------------------------------------------------------------- 2.
GONE="the anchor's address $CHA_ADDR is no address of this host"
BACK="the anchor's address $CHA_ADDR is an address of this host again"
nsq cha ip -6 addr del "$CHA_ADDR/64" dev eth0
check "2: the anchor's address deleted: the anchor says so" wait_for 3 cha_logged "$GONE"
sleep 1.5
nsq cha ip -6 addr add "$CHA_ADDR/64" dev eth0 nodad
check "2: added again: the anchor says so" wait_for 3 cha_logged "$BACK"
check "2: each said once ($(cha_said "$GONE") and $(cha_said "$BACK"))" \
	test "$(cha_said "$GONE")" -eq 1 -a "$(cha_said "$BACK")" -eq 1
check "2: the download goes on" wait_for 15 grown "$(mib_now)"

# ---------------------------------------------------------------- 3.
# up_ok - a new connection through the shim sends 30 x 32 KiB to the echo
# server on cn and reads each back (echo.py wants small writes)
ECHO_PORT=7777
topo_spawn cn echo "$ODM_DIR/echo.log" /usr/bin/python3 "$HERE/lib/echo.py" "$CN_ADDR" "$ECHO_PORT" 120
topo_wait_listen cn "$ECHO_PORT"
up_ok() {
	odm_shim timeout 20 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("cn.example.test", int(sys.argv[1])), timeout=8)
for i in range(30):
    s.sendall(b"x" * 32768)
    n = 0
    while n < 32768:
        b = s.recv(65536)
        if not b:
            sys.exit("closed after %d rounds" % i)
        n += len(b)
print("echoed", s.getsockname()[0])
' "$ECHO_PORT"
}
mtu_now() { nsq mn cat "/sys/class/net/$ODM_TUN_MN/mtu"; }
mtu_is() { [[ $(mtu_now) == "$1" ]]; }
MTU0=$(mtu_now)
check "3: an upload through a new connection works (mn's tunnel MTU $MTU0)" up_ok
nsq mn ip link set dev "$ODM_TUN_MN" mtu 9000
check "3: the tunnel's MTU set to 9000 by hand: the host agent sets it back to $MTU0" wait_for 3 mtu_is "$MTU0"
check "3: and says so" wait_for 3 odm_mn_logged "tunnel $ODM_TUN_MN: its MTU was set to 9000 by someone else: set back to $MTU0"
check "3: an upload through a new connection works again" up_ok
cha_mtu_is() { [[ $(nsq cha cat "/sys/class/net/$ODM_TUN_CHA/mtu") == "$1" ]]; }
CHA_MTU0=$(nsq cha cat "/sys/class/net/$ODM_TUN_CHA/mtu")
nsq cha ip link set dev "$ODM_TUN_CHA" mtu 9000
check "3: the anchor's tunnel MTU set to 9000 by hand: set back to $CHA_MTU0" wait_for 3 cha_mtu_is "$CHA_MTU0"
check "3: and the anchor says so" \
	wait_for 3 cha_logged "tunnel $ODM_TUN_CHA: its MTU was set to 9000 by someone else: set back to $CHA_MTU0"

# ---------------------------------------------------------------- 4.
CHOA=$(odm_lease_addr)
has_choa() { grep -q "inet6 $CHOA/128" <<<"$(nsq mn ip -6 addr show dev "$ODM_TUN_MN")"; }
has_route() { grep -q "from $CHOA" <<<"$(nsq mn ip -6 route show table "$ODM_TABLE")"; }
restarts() { grep -c "was stripped of IPv6 .*: starting again in place" "$MN_AGENT_LOG" || true; }
started() { [[ $(grep -c 'role mn started' "$MN_AGENT_LOG") -ge $1 ]]; }
back() { # back N WHAT - restarted N times in all, the lease whole again
	check "4: $2: the host agent says so and starts again in place" wait_for 5 at_least "$1" restarts
	check "4: $2: it runs again (pid $MN_AGENT_PID)" wait_for 5 started $(($1 + 1))
	check "4: $2: the lease's address $CHOA is back on $ODM_TUN_MN" wait_for 5 has_choa
	check "4: $2: and its route" wait_for 5 has_route
	check "4: $2: the download goes on" wait_for 15 grown "$(mib_now)"
}
nsq mn ip link set dev "$ODM_TUN_MN" mtu 1200
back 1 "MTU 1200"
echo "4: $(grep -m1 'stripped of IPv6' "$MN_AGENT_LOG" | cut -d' ' -f4- || true)"
check "4: MTU 1200: the device's MTU is $MTU0 again" mtu_is "$MTU0"
nsq mn sysctl -qw "net.ipv6.conf.$ODM_TUN_MN.disable_ipv6=1"
back 2 "IPv6 disabled"
check "4: IPv6 disabled: enabled again" test "$(nsq mn sysctl -n "net.ipv6.conf.$ODM_TUN_MN.disable_ipv6")" = 0
# below 1280 and straight back (one command): IPv6 is on the device again
# by the time the agent looks, its addresses and routes are not; the link
# event said it. (The agent may have taken the device away to build it
# anew before the second half: that half may fail.)
nsq mn sh -c "ip link set dev $ODM_TUN_MN mtu 1200; ip link set dev $ODM_TUN_MN mtu $MTU0 2>/dev/null || :"
back 3 "MTU 1200 and straight back"
# Disabled and straight enabled: the kernel flushes the device's addresses
# and routes and nothing else (its MTU, settings and tc programs stay). An
# agent that reads the deletions of the lease's address and route before
# the second half starts again in place, as above; one that reads them
# after it (busy elsewhere: a race) finds the device with IPv6 and puts
# both back, which is all that was lost. That second way made certain: the
# agent stopped (SIGSTOP) across the command, five times over.
puts_back() { grep -c "lease [0-9]* $CHOA: its $1 was deleted by someone else: put back" "$MN_AGENT_LOG" || true; }
toggle() { nsq mn sh -c "f=/proc/sys/net/ipv6/conf/$ODM_TUN_MN/disable_ipv6; echo 1 >\$f && echo 0 >\$f"; }
stopped() { [[ $(awk '{ print $3 }' "/proc/$MN_AGENT_PID/stat") == T ]]; }
for round in 1 2 3 4 5; do
	W="4: IPv6 disabled and straight enabled, read after ($round of 5)"
	A0=$(puts_back address) R0=$(puts_back route) S0=$(restarts) rc=0
	kill -STOP "$MN_AGENT_PID"
	wait_for 2 stopped || rc=$?
	toggle || rc=$?
	kill -CONT "$MN_AGENT_PID"
	check "$W: the host agent stopped, the command ran (rc $rc)" test "$rc" -eq 0
	check "$W: the host agent puts the lease's address back" wait_for 5 at_least $((A0 + 1)) puts_back address
	check "$W: and its route" wait_for 5 at_least $((R0 + 1)) puts_back route
	check "$W: the address $CHOA is on $ODM_TUN_MN" wait_for 5 has_choa
	check "$W: the route is in table $ODM_TABLE" wait_for 5 has_route
	check "$W: without starting again ($S0 starts before, $(restarts) now)" test "$(restarts)" -eq "$S0"
	check "$W: the download goes on" wait_for 15 grown "$(mib_now)"
done
# and as it comes (two commands, as an administrator's): either way
A0=$(puts_back address) S0=$(restarts)
nsq mn sh -c "sysctl -qw net.ipv6.conf.$ODM_TUN_MN.disable_ipv6=1
	sysctl -qw net.ipv6.conf.$ODM_TUN_MN.disable_ipv6=0 2>/dev/null || :"
either() { { (($(restarts) > S0)) && started $((S0 + 2)); } || (($(puts_back address) > A0)); }
check "4: IPv6 disabled and straight enabled: the host agent starts again or puts back" wait_for 5 either
echo "4: $(restarts) starts again in place in all, $(puts_back address) address put back"
check "4: IPv6 disabled and straight enabled: the lease's address $CHOA is on $ODM_TUN_MN" wait_for 5 has_choa
check "4: IPv6 disabled and straight enabled: and its route" wait_for 5 has_route
check "4: IPv6 disabled and straight enabled: the download goes on" wait_for 15 grown "$(mib_now)"
echo "4: $(mib_now) MiB of $TOPO_BIGFILE_MB downloaded"

# ---------------------------------------------------------------- 5.
LEAVES="packets from lease [0-9]*'s address $CHOA leave by $MN_IF1, not $ODM_TUN_MN"
AGAIN="packets from the leases' addresses go into $ODM_TUN_MN again"
mn_said() { grep -c "$1" "$MN_AGENT_LOG" || true; }
# (a look of the agent's between a deletion of part 4 and its putting back
# may have said both already: what is said from a look later on counts)
sleep 1.2
L0=$(mn_said "$LEAVES") G0=$(mn_said "$AGAIN")
echo "5: said before the rule: $L0 and $G0 time(s)"
said_since() { echo $(($(mn_said "$1") - $2)); }
nsq mn ip -6 rule add priority 500 lookup main
check "5: a rule ahead of the agent's: the host agent says its packets leave by $MN_IF1" \
	wait_for 3 at_least 1 said_since "$LEAVES" "$L0"
sleep 1.5 # a look or more later: still said once
nsq mn ip -6 rule del priority 500 lookup main
check "5: the rule gone: it says they go into $ODM_TUN_MN again" \
	wait_for 3 at_least 1 said_since "$AGAIN" "$G0"
check "5: each said once ($(said_since "$LEAVES" "$L0") and $(said_since "$AGAIN" "$G0"))" \
	test "$(said_since "$LEAVES" "$L0")" -eq 1 -a "$(said_since "$AGAIN" "$G0")" -eq 1

odm_download_ok d

# ---------------------------------------------------------------- 6.
# (after the download: a host without leases has no address on its tunnel
# device either, which the kernel would pick before a link-local one)
no_leases() { [[ $(odm_lease_count) -eq 0 ]]; }
no_global() { ! grep -q 'scope global' <<<"$(nsq mn ip -6 addr show dev "$MN_IF1")"; }
has_addr1() { grep -q "inet6 $MN_ADDR1/" <<<"$(nsq mn ip -6 addr show dev "$MN_IF1")"; }
lease5() { odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp --fresh; }
check "6: the download's lease has ended" wait_for $((ODM_GRACE_S + ODM_TICK_S + 5)) no_leases
BU5=$(odm_reg_counter bu_sent)
nsq mn sysctl -qw "net.ipv6.conf.$MN_IF1.accept_ra=0"
nsq mn ip -6 addr flush dev "$MN_IF1" scope global
check "6: mn has no global address on $MN_IF1" no_global
rc=0
lease5 >"$ODM_DIR/l5.out" 2>&1 || rc=$?
echo "6: a lease asked for meanwhile: rc $rc: $(head -c 300 "$ODM_DIR/l5.out")"
check "6: it fails (rc $rc)" test "$rc" -ne 0
check "6: saying the host has no care-of address, not that the anchor is silent" \
	grep -q 'no care-of address toward anchor' "$ODM_DIR/l5.out"
check "6: no allocation from a link-local address" \
	bash -c "! grep -q 'for an address from CoA fe80' '$MN_AGENT_LOG'"
check "6: no BU sent ($BU5 before, $(odm_reg_counter bu_sent) now)" \
	test "$(odm_reg_counter bu_sent)" -eq "$BU5"
HOLD5=$(odm_status mn | json '" ".join(h["anchor"] for h in j.get("anchors_on_hold", []))')
check "6: the anchor is not put on hold (${HOLD5:-none})" test -z "$HOLD5"
nsq mn sysctl -qw "net.ipv6.conf.$MN_IF1.accept_ra=1"
check "6: advertisements heard again: $MN_ADDR1 is back" wait_for 15 has_addr1
L5=$(lease5 | json 'j["addr"]') || L5=''
check "6: a lease is answered: $L5" in_prefix "$L5" "$CHA_POOL"

# ---------------------------------------------------------------- 7.
knobs() { # mn's access link's sysctls that the host agent sets (linkprep.h)
	local k
	for k in optimistic_dad use_optimistic ignore_routes_with_linkdown; do
		printf '%s=%s ' "$k" "$(nsq mn sysctl -n "net.ipv6.conf.$MN_IF1.$k" 2>/dev/null || echo none)"
	done
}
KNOBS_SET='optimistic_dad=1 use_optimistic=1 ignore_routes_with_linkdown=1 '
knobs_set() { [[ $(knobs) == "$KNOBS_SET" ]]; }
check "7: the host agent set $MN_IF1's sysctls at its start ($(knobs))" knobs_set
SET7=$(grep -c "$MN_IF1: optimistic DAD" "$MN_AGENT_LOG" || true)
nsq mn ip link set "$MN_IF1" mtu 1200
check "7: MTU 1200 on $MN_IF1: the kernel took its IPv6 ($(knobs))" \
	test "$(nsq mn sysctl -n "net.ipv6.conf.$MN_IF1.optimistic_dad" 2>/dev/null || echo none)" = none
sleep 0.5
nsq mn ip link set "$MN_IF1" mtu 1500
check "7: MTU 1500 again: IPv6 back, $MN_ADDR1 back" wait_for 15 has_addr1
check "7: its sysctls, made anew by the kernel, are set again ($(knobs))" wait_for 3 knobs_set
check "7: and the agent says so ($SET7 lines before, $(grep -c "$MN_IF1: optimistic DAD" "$MN_AGENT_LOG"))" \
	test "$(grep -c "$MN_IF1: optimistic DAD" "$MN_AGENT_LOG")" -gt "$SET7"
check "7: no warning about sysctls it could not set meanwhile" \
	bash -c "! grep -q 'cannot set' '$MN_AGENT_LOG'"
L7=$(lease5 | json 'j["addr"]') || L7=''
check "7: a lease is answered: $L7" in_prefix "$L7" "$CHA_POOL"

# ---------------------------------------------------------------- end
MN_CPU=$(($(cpu_ticks "$MN_AGENT_PID") - MN_CPU0)) CHA_CPU=$(($(cpu_ticks "$CHA_AGENT_PID") - CHA_CPU0))
echo "# CPU through it all: mn agent $MN_CPU ticks, cha agent $CHA_CPU ticks (of $(getconf CLK_TCK)/s)"
check "the host agent still runs" kill -0 "$MN_AGENT_PID"
check "the anchor's agent still runs" kill -0 "$CHA_AGENT_PID"
check "the host agent holds no more descriptors than before ($MN_FD0, now $(fd_count "$MN_AGENT_PID"))" \
	test "$(fd_count "$MN_AGENT_PID")" -le "$MN_FD0"
check "the anchor's agent neither ($CHA_FD0, now $(fd_count "$CHA_AGENT_PID"))" \
	test "$(fd_count "$CHA_AGENT_PID")" -le "$CHA_FD0"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

check_summary test_interference
