#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cha_dnsmove.sh - a long-lived program under the shim keeps finding
# the cha of the server it connects to after a move to a network whose DNS
# server is another, the old one out of reach from the new link, once
# resolv.conf names the new one (as a network manager rewrites it from the
# new network's RA RDNSS, RFC 8106, or DHCPv6). Each access router runs a
# resolver (dnsmasq forwarding to the zone's server) on an address of its
# own link that core drops (blackhole): ar1's is reachable from ar1's link
# only, ar2's from ar2's.
#   1. the program (connloop.py: getaddrinfo cnttl, whose cha record lives
#      5 s in the shim, and a connect every 0.5 s) gets its CHoA on ar1;
#   2. mn moves to ar2, resolv.conf is rewritten in place to ar2's resolver;
#      ar1's resolver is out of reach from there, ar2's answers;
#   3. ar2's resolver is asked cha.cnttl by the program, and its connects
#      from 13 s after the move (10 or more) all have their CHoA; before, its c-ares channel kept ar1's
#      resolver for the process's life, and every connect failed with
#      EADDRNOTAVAIL once the cha answer expired, while its getaddrinfo
#      (which reads resolv.conf again) went on resolving;
#   4. the host agent's home anchor discovery (on here) asks ar2's resolver
#      for _mip6._ipv6 after the move; before, it asked ar1's for the
#      agent's life;
#   5. on ar2 with ar1's resolver named (out of reach: cnttl in mn's
#      hosts file), a program's lookup gets no answer, and its shim tells
#      the agent; mn moves to ar1, where that resolver answers: the agent
#      forgets the report at the move, and new programs get their CHoA at
#      once; before, its memory (odm(7): 10 s) made them skip the lookup
#      and fail with EADDRNOTAVAIL for the rest of those 10 s;
#   6. resolv.conf names ar2's resolver by its link-local address, with the
#      interface as its scope (fe80::...%eth2, as network managers write a
#      link-local RDNSS), and mn moves back to ar2: a new program's
#      connects have their CHoA, the lookup asked there; before, c-ares
#      (1.18) dropped the server and asked 127.0.0.1, and every connect
#      failed with EADDRNOTAVAIL while getaddrinfo(3) used the server; the
#      agent's round of home anchor discovery that the move starts asks
#      there too.
#
#   mn -- ar1 (resolver e1::53) --+
#    `--- ar2 (resolver e2::53) --+-- core -- dns (zone), cn, cha (anchor)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_cha_dnsmove' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_cha_dnsmove "network namespaces, TUN, raw sockets" ip named radvd nginx dnsmasq dig \
	python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
# (the zone's SRV names ha, where no anchor runs: the agent asks for the
# Fixed address in vain, which touches nothing checked here)
export ODM_MN_HOME_DISCOVERY=on

R1=2001:db8:e1::53 R2=2001:db8:e2::53
RESOLV=/etc/netns/$NS_MN/resolv.conf
LOOP_S=50

topo_up

# resolv.conf of mn naming resolver $1, written in place: every process
# started with ip netns exec has it bind-mounted, which holds the inode (a
# rename over it would not reach them); glibc and the shim see its new
# size and times
mn_resolver() {
	printf 'nameserver %s\nsearch %s\noptions timeout:1 attempts:2\n' "$1" "$DNS_ZONE" >"$RESOLV"
}
# answers HOST SERVER - HOST's dig of the zone's SOA at SERVER answers
answers() {
	grep -q ns1 <<<"$(nsq "$1" dig +time=1 +tries=1 +short @"$2" SOA "$DNS_ZONE" 2>/dev/null || true)"
}
no_answer() { ! answers "$@"; }
# asked_by_mn R [TYPE NAME [FROM]] - the questions resolver R (ar1, ar2)
# had from mn (its addresses starting with FROM, default its global ones)
# for NAME's TYPE (default: AAAA of cha.cnttl)
asked_by_mn() {
	local t=${2:-AAAA} n=${3:-cha.cnttl.$DNS_ZONE} f=${4:-2001:db8:a}
	grep -c "query\[$t\] ${n//./\\.} from $f" "$ODM_RUNDIR/$1/dnsmasq.log" || true
}
srv_asked_ar2() { at_least 1 asked_by_mn ar2 SRV "_mip6._ipv6.$DNS_ZONE"; }

for r in ar1 ar2; do
	a=$R1
	[[ $r == ar2 ]] && a=$R2
	nsx "$r" ip addr add "$a/64" dev lan0 nodad
	nsx core ip -6 route add blackhole "${a%::53}::/64"
	mkdir -p "$ODM_RUNDIR/$r"
	topo_spawn "$r" dnsmasq "$ODM_RUNDIR/$r/dnsmasq.log" dnsmasq -k -C /dev/null --no-resolv \
		--no-hosts --cache-size=0 --server="$DNS_ADDR" --interface=lan0 --bind-dynamic \
		--pid-file= --user=root --log-queries --log-facility=-
done
mn_resolver "$R1"
odm_agents_up
check "1: ar1's resolver answers mn on ar1" wait_for 10 answers mn "$R1"
check "1: ar2's resolver does not (core drops it)" no_answer mn "$R2"

odm_connloop "cnttl.$DNS_ZONE" "$LOOP_S" 0.5
LOG=$LOOP_LOG
first_choa() { awk '$2 == "ok" { print $3; exit }' "$LOG"; }
have_choa() { test -n "$(first_choa)"; }
wait_for 10 have_choa || true
check "1: the program got a CHoA on ar1 ($(first_choa))" in_prefix "$(first_choa)" "$CHA_POOL"
A1=$(asked_by_mn ar1)
check "1: through ar1's resolver ($A1 question(s))" test "$A1" -ge 1

sleep 1
topo_move ar2
mn_resolver "$R2"
T_MOVE=$(date +%s.%N)
check "2: ar1's resolver is out of reach from ar2" no_answer mn "$R1"
check "2: ar2's resolver answers mn on ar2" wait_for 10 answers mn "$R2"
T0=$(topo_now_ms)
T_SRV='not within 15 s'
if wait_for 15 srv_asked_ar2; then T_SRV="$(($(topo_now_ms) - T0)) ms"; fi

# the connects from 13 s after the move: the cha record the program got
# before it (5 s in the shim) has run out, and its next lookup (2 s at
# most to get no answer from an out-of-reach server) is over; the program
# runs until 10 of them are in
after() { awk -v t="$1" '$1 > t' "$LOG"; }
T_LATE=$(python3 -c "print($T_MOVE + 13)")
n_late() { after "$T_LATE" | wc -l; }
wait_for 45 at_least 10 n_late || true
kill "$LOOP" 2>/dev/null || true
wait "$LOOP" || true
N_AFTER=$(after "$T_MOVE" | wc -l)
N_FAIL=$(after "$T_MOVE" | grep -c ' err ' || true)
LAST=$(after "$T_LATE")
N_LAST=$(wc -l <<<"$LAST")
N_LAST_OK=$(awk -v p="${CHA_POOL%%::*}:" '$2 == "ok" && index($3, p) == 1' <<<"$LAST" | wc -l)
A2=$(asked_by_mn ar2)
echo "# after the move: $N_AFTER connects, $N_FAIL failed; from 13 s after it: $N_LAST_OK of $N_LAST" \
	"with a CHoA; cha.cnttl asked of ar1's resolver $A1 time(s) before, of ar2's $A2 after"
echo "# the failures after the move: $(after "$T_MOVE" | awk '$2 == "err" { print $3 }' | sort | uniq -c | tr '\n' ' ')"
check "3: ar2's resolver was asked cha.cnttl by mn ($A2 time(s))" test "$A2" -ge 1
check "3: the connects from 13 s after the move all had a CHoA ($N_LAST_OK of $N_LAST)" \
	test "$N_LAST_OK" -eq "$N_LAST" -a "$N_LAST" -ge 10
check "3: ODM_DEBUG says resolv.conf was read again" \
	grep -q 'resolv.conf changed: read again' "$ODM_RUNDIR/connloop.err"

S1=$(asked_by_mn ar1 SRV "_mip6._ipv6.$DNS_ZONE")
S2=$(asked_by_mn ar2 SRV "_mip6._ipv6.$DNS_ZONE")
echo "# _mip6._ipv6 asked by the agent: $S1 time(s) of ar1's resolver, $S2 of ar2's (the first" \
	"$T_SRV after the checks of 2.)"
check "4: the agent asked ar1's resolver for _mip6._ipv6 before ($S1)" test "$S1" -ge 1
check "4: and ar2's after the move ($S2)" test "$S2" -ge 1
check "4: its log says resolv.conf was read again" \
	grep -q 'home anchor discovery: /etc/resolv.conf changed: read again' "$MN_AGENT_LOG"

HOSTS=$(cat "/etc/netns/$NS_MN/hosts")
printf '%s cnttl.%s\n' "$CN_ADDR" "$DNS_ZONE" >>"/etc/netns/$NS_MN/hosts"
mn_resolver "$R1"
DURING=$(ODM_DEBUG=1 odm_shim python3 "$HERE/lib/connloop.py" "cnttl.$DNS_ZONE" "$HTTP_PORT" 0.1 0.01 \
	2>"$ODM_RUNDIR/during.err" || true)
check "5: on ar2, with ar1's resolver named, a program's lookup gets no answer ($DURING)" \
	grep -q 'unknown after 2[0-9][0-9][0-9] ms' "$ODM_RUNDIR/during.err"
topo_move ar1
sleep 1
: >"$ODM_RUNDIR/back.out"
for i in 1 2 3 4 5; do
	odm_shim python3 "$HERE/lib/connloop.py" "cnttl.$DNS_ZONE" "$HTTP_PORT" 0.001 0.01 \
		>>"$ODM_RUNDIR/back.out" 2>/dev/null || true
done
N_BACK=$(wc -l <"$ODM_RUNDIR/back.out")
N_BACK_OK=$(awk -v p="${CHA_POOL%%::*}:" '$2 == "ok" && index($3, p) == 1' "$ODM_RUNDIR/back.out" | wc -l)
echo "# back on ar1, 1 to about 3 s after the move: $N_BACK_OK of $N_BACK new programs had a CHoA"
check "5: new programs after the move all had a CHoA ($N_BACK_OK of $N_BACK)" \
	test "$N_BACK_OK" -eq "$N_BACK" -a "$N_BACK" -ge 5
check "5: the agent's log says it forgot the lookup at the move" \
	grep -q 'cha lookup(s) that got no answer forgotten' "$MN_AGENT_LOG"
printf '%s\n' "$HOSTS" >"/etc/netns/$NS_MN/hosts"

# resolv.conf names ar2's resolver by its link-local address, then mn moves
# to ar2: the move starts the agent's next round of home anchor discovery
# (its answers' 30 s TTL would start it later)
LL2=$(nsq ar2 ip -6 -o addr show dev lan0 scope link | awk '{ split($4, a, "/"); print a[1]; exit }')
printf 'nameserver %s%%%s\nsearch %s\n' "$LL2" "$MN_IF2" "$DNS_ZONE" >"$RESOLV"
topo_move ar2
glibc_ll() { grep -q "${CN_ADDR}" <<<"$(nsq mn getent ahosts "cnttl.$DNS_ZONE" || true)"; }
check "6: glibc resolves through ar2's resolver at $LL2%$MN_IF2" wait_for 10 glibc_ll
L0=$(asked_by_mn ar2 AAAA "cha.cnttl.$DNS_ZONE" fe80::)
odm_shim python3 "$HERE/lib/connloop.py" "cnttl.$DNS_ZONE" "$HTTP_PORT" 2 0.5 >"$ODM_RUNDIR/ll.out" \
	2>"$ODM_RUNDIR/ll.err" || true
N_LL=$(wc -l <"$ODM_RUNDIR/ll.out")
N_LL_OK=$(awk -v p="${CHA_POOL%%::*}:" '$2 == "ok" && index($3, p) == 1' "$ODM_RUNDIR/ll.out" | wc -l)
L1=$(asked_by_mn ar2 AAAA "cha.cnttl.$DNS_ZONE" fe80::)
echo "# a link-local server: $N_LL_OK of $N_LL connects with a CHoA; cha.cnttl asked there $((L1 - L0)) time(s)"
check "6: a new program's connects all had a CHoA ($N_LL_OK of $N_LL)" \
	test "$N_LL_OK" -eq "$N_LL" -a "$N_LL" -ge 3
check "6: its cha lookup was asked there ($((L1 - L0)))" test "$L1" -gt "$L0"
# the agent's round that the move started
srv_asked_ll() { at_least 1 asked_by_mn ar2 SRV "_mip6._ipv6.$DNS_ZONE" fe80::; }
check "6: the agent's home anchor discovery (the round the move started) asks there" wait_for 15 srv_asked_ll

check "mn's agent logged no error" bash -c "! grep -q ' err:' '$MN_AGENT_LOG'"
check "no sanitizer report in the agents' logs (when built with SAN=1)" odm_agent_logs_clean
check_summary test_cha_dnsmove
