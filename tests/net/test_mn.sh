#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_mn.sh - the host agent's mn role against a real anchor (mode cha), no
# shim: odmctl asks for a Session-lasting lease at the CHA, the test checks
# the host side (address on the tunnel device, from-rule, table route), uses
# the address the way the shim would (bound sockets: ping -I, curl
# --interface), moves mn from ar1 to ar2 in the middle of a download and of
# a ping train, and checks: the download completes intact, the anchor follows
# the new CoA, leases end when their sockets go (TCP) or fall silent (UDP),
# and a stopped agent leaves the host as it found it; the anchor's link made
# anew (a new interface) ends nothing. With the bpf backend, the agents put
# back their programs' tc filters when someone deletes them.
#
#   mn --ar1/ar2-- core -- cha (anchor, pool 2001:db8:c4a::/64)
#                       \-- cn  (nginx)
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
# run-all: long (about 35 s with the sanitized agents)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_mn "network namespaces, TUN, raw sockets" ip ping curl nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-64}
# an inactivity time clearly apart from the 3 s hand-out grace (section 4)
export ODM_UDP_INACTIVITY=${ODM_UDP_INACTIVITY:-8}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

mn_state() { # what the agent touches on mn (the access links change on a move)
	{
		echo "## addresses on $ODM_TUN_MN and lo"
		nsq mn ip -6 -o addr show dev lo | awk '{print $2, $4}'
		nsq mn ip -6 -o addr show dev "$ODM_TUN_MN" 2>/dev/null | awk '{print $2, $4}' || true
		echo "## rules"; nsq mn ip -6 rule show
		echo "## table $ODM_TABLE"; nsq mn ip -6 route show table "$ODM_TABLE" 2>/dev/null || true
	}
}
same_state() { # same_state EXPECTED ACTUAL - compare, print a diff if not
	[[ $1 == "$2" ]] && return 0
	diff <(echo "$1") <(echo "$2") | sed 's/^/  /'
	return 1
}
lease() { # lease PROTO [--fresh] -> prints the address
	odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto "$@" | json 'j["addr"]'
}
# hold_conn ADDR - a TCP connection from ADDR to cn, held for 30 s in the
# background (pid in HELD_PID): its socket holds ADDR's lease
hold_conn() {
	ip netns exec "$NS_MN" python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[2], 80), source_address=(sys.argv[1], 0))
time.sleep(30)
' "$1" "$CN_ADDR" &
	HELD_PID=$!
}
# hold_end PID - the holder closes its connection (it is gone after this)
hold_end() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

topo_up
# The mn agent's tunnel device must exist before we take the "before"
# picture, so start the agents first; the picture covers what leases add.
odm_agents_up
BEFORE=$(mn_state)

# ---------------------------------------------------------------- 1. lease
T0=$(topo_now_ms)
CHOA=$(lease tcp)
T1=$(topo_now_ms)
echo "lease: $CHOA in $((T1 - T0)) ms (odmctl round trip, BU/BA included)"
grep -m1 'alloc_accepted' "$MN_AGENT_LOG" | sed 's/^/  agent: /' || true
check "the CHoA $CHOA is in the CHA pool" in_prefix "$CHOA" "$CHA_POOL"
check "the CHoA is on $ODM_TUN_MN, nodad and deprecated" \
	bash -c "ip -n $NS_MN -6 addr show dev $ODM_TUN_MN | grep -q '$CHOA/128 scope global nodad deprecated'"
check "$ODM_TUN_MN has addrgenmode none (it sends no RS or MLD of its own) and MTU 1460" \
	bash -c "ip -n $NS_MN -d link show dev $ODM_TUN_MN | grep -q 'mtu 1460 .*' && ip -n $NS_MN -d link show dev $ODM_TUN_MN | grep -q 'addrgenmode none'"
check "one rule leads every lookup to table $ODM_TABLE, none per address" \
	bash -c "ip -n $NS_MN -6 rule show | grep -qx '1000:	from all lookup $ODM_TABLE' && ! ip -n $NS_MN -6 rule show | grep -q 'from $CHOA'"
check "table $ODM_TABLE routes what comes from the CHoA into $ODM_TUN_MN" \
	bash -c "ip -n $NS_MN -6 route show table $ODM_TABLE | grep -q 'default from $CHOA dev $ODM_TUN_MN .*metric 2048'"
check "table $ODM_TABLE routes nothing else (a plain socket's lookup goes on to main)" \
	bash -c "! ip -n $NS_MN -6 route show table $ODM_TABLE | grep -v ' from '"
check "a lookup from the CHoA goes into $ODM_TUN_MN" \
	bash -c "ip -n $NS_MN -6 route get $CN_ADDR from $CHOA | grep -q 'dev $ODM_TUN_MN table $ODM_TABLE'"
check "a lookup with no source does not" \
	bash -c "! ip -n $NS_MN -6 route get $CN_ADDR | grep -q '$ODM_TUN_MN'"
AGAIN=$(lease tcp)
check "a second request shares the registered lease ($AGAIN)" test "$AGAIN" = "$CHOA"
FRESH=$(lease tcp --fresh)
check "a fresh request gets another address ($FRESH)" test "$FRESH" != "$CHOA"
check "the anchor holds two bindings" test "$(odm_binding_count)" -eq 2
# cn2 runs no anchor: no BA ever comes, the request fails in bounded time
T0=$(topo_now_ms)
NOANCHOR=$(odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CN2_ADDR" --proto tcp 2>&1 || true)
T1=$(topo_now_ms)
echo "lease at a node without an anchor: $((T1 - T0)) ms: $NOANCHOR"
check "a lease at a node without an anchor fails with ETIMEDOUT" \
	bash -c "grep -q ETIMEDOUT <<<'$NOANCHOR'"
no_lease_at_cn2() { [[ $(odm_status mn | json "sum(1 for l in j['leases'] if l['anchor'] == '$CN2_ADDR')") -eq 0 ]]; }
check "and leaves no lease behind" no_lease_at_cn2
# That request waited out its 2.9 s, about the 3 s grace of the hand-outs,
# after which a lease no socket uses ends: ask again and use what comes for
# what follows. Whether the two leases are still there by then is a race
# (the odmctl calls around the 2.9 s wait take 0.1-0.5 s, more on a loaded
# machine): a shared request gets one of them, or a new one from the pool
# only once both have ended.
AGAIN=$(lease tcp)
ended() { grep -qE "end: lease [0-9]+ $1 at .* ended" "$MN_AGENT_LOG"; }
shared_or_both_ended() {
	[[ $AGAIN == "$CHOA" || $AGAIN == "$FRESH" ]] || { ended "$CHOA" && ended "$FRESH"; }
}
# (both may be ending as it asks, their deregistrations not answered yet:
# their ends are logged as the BAs come)
check "a shared request gets one of the two leases again, or a new one once both ended ($AGAIN)" \
	wait_for 3 shared_or_both_ended
check "from the CHA pool" in_prefix "$AGAIN" "$CHA_POOL"
CHOA=$AGAIN
check "the CHoA reaches cn through the tunnel (ping -I)" \
	nsx mn ping -6 -c 3 -i 0.2 -W 2 -I "$CHOA" "$CN_ADDR"
check "curl from the CHoA in mn works" \
	nsx mn curl -6 -sS --max-time 5 --interface "$CHOA" -o /dev/null "http://[$CN_ADDR]/"
check "nginx on cn logged the CHoA as the client" \
	grep -q "^$CHOA " "$ODM_RUNDIR/cn/nginx-tcp/access.log"

# ---------------------------------------------------------------- 2. move mid-transfer
OUT=$ODM_RUNDIR/download.bin
URL="http://[$CN_ADDR]${BIGFILE_URL_PATH}?rate=20m"
# (ip netns exec, not nsx: $! of a backgrounded function is a subshell)
ip netns exec "$NS_MN" curl -6 -sS --max-time 60 --interface "$CHOA" -o "$OUT" "$URL" &
CURL_PID=$!
# a ping train from the CHoA measures the outage (100 per second)
ip netns exec "$NS_MN" ping -6 -i 0.01 -W 1 -I "$CHOA" "$CN_ADDR" >"$ODM_RUNDIR/ping.log" 2>&1 &
PING_PID=$!
started() { [[ -f $OUT ]] && (($(stat -c %s "$OUT") > 8 * 1024 * 1024)); }
check "the download is under way through the tunnel" wait_for 20 started
COA1=$(topo_mn_addr)
topo_move ar2
COA2=$(topo_mn_addr)
echo "moved: CoA $COA1 -> $COA2 (link ${TOPO_MOVE_MS:-?} ms)"
follows() { [[ $(odm_status cha | json '[b["coa"] for b in j["bindings"]]') == *"$COA2"* ]]; }
check "the anchor's bindings follow the host to $COA2" wait_for 5 follows
mn_coa_new() { grep -q "$COA2" <<<"$(odm_status mn)"; }
check "mn reports the new CoA" mn_coa_new
sleep 1
kill -INT "$PING_PID" 2>/dev/null || true
wait "$PING_PID" 2>/dev/null || true
rc=0
wait "$CURL_PID" || rc=$?
check "curl exits 0 after the move (rc $rc)" test "$rc" -eq 0
# the tunnel's counts as the download left them (its lease still held)
tun_count() { odm_status "$1" | json "j['tunnel']['$2']"; }
MN_RX=$(tun_count mn rx) CHA_TX=$(tun_count cha tx)
SUM=$(topo_sha256 "$OUT")
check "the download is intact" test "$SUM" = "$BIGFILE_SHA256"
grep -E 'move:|re-registered' "$MN_AGENT_LOG" | sed 's/^/  agent: /' || true
# agent log lines start with a UTC time, 2026-01-31T12:00:00.123Z: time from
# the old link going down to the CoA change being seen, and to the last
# re-registration BA
stamp_ms() { local t; if read -r t _; then date -ud "$t" +%s%3N 2>/dev/null || true; fi; }
log_ms() { grep -m1 "$1" "$MN_AGENT_LOG" | stamp_ms; }
log_ms_last() { grep "$1" "$MN_AGENT_LOG" | tail -n1 | stamp_ms; }
MOVE_SEEN=$(log_ms 'move: CoA')
REREG=$(log_ms_last 're-registered at')
if [[ -n $MOVE_SEEN && -n $REREG ]]; then
	T_DOWN=$((TOPO_MOVE_T0 / 1000000))
	echo "timeline: old link down -> CoA change seen $((MOVE_SEEN - T_DOWN)) ms -> all BAs in $((REREG - T_DOWN)) ms"
fi
LOST=$(grep -oE '[0-9]+ received' "$ODM_RUNDIR/ping.log" | awk '{print $1}')
SENT=$(grep -oE '[0-9]+ packets transmitted' "$ODM_RUNDIR/ping.log" | awk '{print $1}')
if [[ -n $SENT && -n $LOST ]]; then
	echo "ping train: $((SENT - LOST)) of $SENT lost at 10 ms spacing (outage ~$(((SENT - LOST) * 10)) ms)"
fi

# ---------------------------------------------------------------- 3. release
# Nothing uses the fresh lease (odmctl holds no socket) and curl has gone:
# both end within grace (3 s) + tick (1 s) of their last hand-out.
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
no_binding() { [[ $(odm_binding_count) -eq 0 ]]; }
check "both TCP leases end once no socket uses them" wait_for 6 no_lease
check "their bindings are gone at the anchor (dereg BUs)" wait_for 3 no_binding
# the counts are the device's: a binding that ends takes none with it
check "mn's tunnel still counts the download's packets received ($MN_RX -> $(tun_count mn rx))" \
	test "$MN_RX" -gt 0 -a "$(tun_count mn rx)" -ge "$MN_RX"
check "the anchor's still counts those it sent ($CHA_TX -> $(tun_count cha tx))" \
	test "$CHA_TX" -gt 0 -a "$(tun_count cha tx)" -ge "$CHA_TX"
check "the host is as before the leases" same_state "$BEFORE" "$(mn_state)"

# ---------------------------------------------------------------- 4. UDP idle
# udp-inactivity (8 s here) lies well beyond the grace (3 s): a lease whose
# socket sock_diag failed to see would end right after the grace, long
# before the inactivity time; odm_check_udp_idle tells the two apart.
UCHOA=$(lease udp)
UDP_LOG=$ODM_DIR/udp-idle.log
ip netns exec "$NS_MN" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for i in range(10):
    s.sendto(b"x", (sys.argv[2], 9))
    time.sleep(0.1)
print("silent since", int(time.time() * 1000), flush=True)
time.sleep(30)   # keep the socket, stay silent
' "$UCHOA" "$CN_ADDR" >"$UDP_LOG" 2>&1 &
UDP_PID=$!
udp_silent() { grep -q '^silent since' "$UDP_LOG"; }
check "the UDP socket on $UCHOA sent its datagrams" wait_for 5 udp_silent
odm_check_udp_idle "$(sed -n 's/^silent since //p' "$UDP_LOG")"
kill "$UDP_PID" 2>/dev/null || true
wait "$UDP_PID" 2>/dev/null || true

# ---------------------------------------------------------------- 4b. upload across a move
# Upstream, the host's own TCP repairs what was lost in the outage (new data
# keeps flowing, SACK does the rest): measured, not replayed.
UPCHOA=$(lease tcp)
topo_start_iperf cn >/dev/null
odm_capture cn eth0 "$ODM_DIR/up.pcap" "tcp dst port $IPERF_PORT" 128
UPCAP=$ODM_CAP_PID
ip netns exec "$NS_MN" iperf3 -6 -c "$CN_ADDR" -B "$UPCHOA" -t 5 -b 200M \
	>"$ODM_DIR/iperf-up.log" 2>&1 &
UP_PID=$!
sleep 2
topo_move ar1
rc=0
wait "$UP_PID" || rc=$?
odm_capture_stop "$UPCAP"
check "an upload from the CHoA survives a move (iperf3 rc $rc)" test "$rc" -eq 0
UP_STALL=$(odm_stall_ms "$ODM_DIR/up.pcap" "$TOPO_MOVE_T0")
echo "upload: longest gap at cn across the move ${UP_STALL} ms"
check "data from the host reached cn again within 5 s of the move" test "$UP_STALL" -ge 0
check "the upload's lease ends after iperf3" wait_for 8 no_lease

# ---------------------------------------------------------------- 4c. bpf: filters put back
# The bpf backend's programs are tc filters, which someone else may delete:
# here with their clsact qdiscs (as another tc program's loader does when
# it leaves, taking every filter of the interface with it). Each agent puts
# its own back within a second, with a warning: until then the tunnel's
# packets pass that hook untouched, and are lost.
if [[ $ODM_TUNNEL == bpf ]]; then
	FCHOA=$(lease tcp)
	hold_conn "$FCHOA"
	FHOLD_PID=$HELD_PID
	MN_LINK=$MN_IF1
	[[ $TOPO_MN_AT == ar1 ]] || MN_LINK=$MN_IF2
	nsq mn tc qdisc del dev "$MN_LINK" clsact
	nsq mn tc qdisc del dev "$ODM_TUN_MN" clsact
	nsq cha tc qdisc del dev eth0 clsact
	nsq cha tc qdisc del dev "$ODM_TUN_CHA" clsact
	has_filter() { grep -q "$4" <<<"$(nsq "$1" tc filter show dev "$2" "$3")"; }
	filters_back() {
		has_filter mn "$MN_LINK" ingress odm_decap && has_filter mn "$ODM_TUN_MN" egress odm_encap &&
			has_filter cha eth0 ingress odm_decap && has_filter cha "$ODM_TUN_CHA" egress odm_encap
	}
	check "bpf: the four filters deleted with their clsact qdiscs are back within 3 s" \
		wait_for 3 filters_back
	check "bpf: the host agent says it put its filters back" \
		grep -q "filter on $MN_LINK (tc ingress.*deleted by someone else: put back" "$MN_AGENT_LOG"
	check "bpf: the anchor says so too" \
		grep -q "filter on $ODM_TUN_CHA (tc egress.*deleted by someone else: put back" "$CHA_AGENT_LOG"
	check "bpf: the CHoA $FCHOA reaches cn through the tunnel again" \
		nsx mn ping -6 -c 3 -i 0.2 -W 2 -I "$FCHOA" "$CN_ADDR"
	hold_end "$FHOLD_PID"
	check "bpf: that lease ends once its socket is closed" wait_for 8 no_lease
fi

# ---------------------------------------------------------------- 4d. the anchor's uplink made anew
# The anchor's link is deleted and made again under the same name, as a
# NIC unplugged and plugged back (a new interface index): its tunnelled
# packets come in on an interface that was not there when the anchor
# started, and the lease's traffic goes on (the bpf backend puts its
# decapsulating program on it within a second).
RCHOA=$(lease tcp)
hold_conn "$RCHOA"
RHOLD_PID=$HELD_PID
topo_relink cha
reaches_cn() { nsx mn ping -6 -c 1 -W 1 -I "$RCHOA" "$CN_ADDR"; }
check "the CHoA $RCHOA reaches cn within 3 s of the anchor's uplink made anew" \
	wait_for 3 reaches_cn
hold_end "$RHOLD_PID"
check "that lease ends once its socket is closed" wait_for 8 no_lease

# ---------------------------------------------------------------- 5. clean stop
SCHOA=$(lease tcp)
hold_conn "$SCHOA"
HOLD_PID=$HELD_PID
sleep 4.5 # past the grace: the connected socket holds the lease
check "a connected socket holds its lease past the grace" test "$(odm_lease_count)" -eq 1
topo_kill "$MN_AGENT_PID"
MN_AGENT_PID=''
check "the agent's stop deregistered the binding at the anchor" wait_for 3 no_binding
check "the tunnel device is gone" bash -c "! ip -n $NS_MN link show dev $ODM_TUN_MN 2>/dev/null"
check "after a clean stop the host's addresses, rules and routes are as before" \
	same_state "$(echo "$BEFORE" | grep -v "$ODM_TUN_MN")" "$(mn_state | grep -v "$ODM_TUN_MN")"
hold_end "$HOLD_PID"
check "the agent logged no error" bash -c "! grep -q ' error: ' '$MN_AGENT_LOG'"

# ---------------------------------------------------------------- 6. crash and restart
# kill -9 leaves the rule behind (with the userspace backend the tunnel
# device, its addresses and the routes into it die with the process; a
# kernel backend's device outlives it, with its leases' addresses and
# routes: make net-kernel); the next start removes those of no lease in
# its state. The
# state is deleted here, so none is taken over (test_restart.sh tests the
# take-over).
start_mn_agent() {
	topo_spawn mn odmagent-mn "$MN_AGENT_LOG" "$ODM_BUILD/odmagent" -f "$ODM_DIR/mn.conf"
	MN_AGENT_PID=$TOPO_SPAWNED_PID
	odm__wait_socket "$MN_SOCK"
}
start_mn_agent
KCHOA=$(lease tcp)
kill -9 "$MN_AGENT_PID"
wait "$MN_AGENT_PID" 2>/dev/null || true
MN_AGENT_PID=''
check "kill -9 leaves the agent's rule behind" \
	bash -c "ip -n $NS_MN -6 rule show | grep -q 'lookup $ODM_TABLE'"
if [[ $ODM_TUNNEL == kernel || $ODM_TUNNEL == bpf ]]; then
	check "and, the $ODM_TUNNEL backend's device outliving it, its address and route" \
		bash -c "ip -n $NS_MN -6 addr show dev $ODM_TUN_MN | grep -q '$KCHOA/128' && ip -n $NS_MN -6 route show table $ODM_TABLE | grep -q 'from $KCHOA'"
fi
rm -f "$MN_STATE_DIR/mn.json"
# and a rule from the lease's address, as an earlier version added per lease
nsx mn ip -6 rule add from "$KCHOA" table "$ODM_TABLE" priority 1000
start_mn_agent
check "a restarted agent removes the rules and routes left by the killed one" \
	bash -c "! ip -n $NS_MN -6 rule show | grep -q 'lookup $ODM_TABLE' && ! ip -n $NS_MN -6 route show table $ODM_TABLE | grep -q ."
check "and the address left on its tunnel device" \
	bash -c "! ip -n $NS_MN -6 addr show dev $ODM_TUN_MN | grep -q '$KCHOA/128'"
check "and says so in its log" grep -q "left by an earlier run" "$MN_AGENT_LOG"
got_lease() { [[ $(lease tcp 2>/dev/null) == 2001:db8:c4a:* ]]; }
check "the restarted agent gets a lease again" got_lease
check "no sanitizer report (when built with SAN=1)" \
	bash -c "! grep -qE 'Sanitizer|runtime error' '$MN_AGENT_LOG'"

if ((FAILS)); then
	echo "--- mn agent log"; tail -n 60 "$MN_AGENT_LOG"
	echo "--- cha agent log"; tail -n 30 "$CHA_AGENT_LOG"
fi
check_summary test_mn
