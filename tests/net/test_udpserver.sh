#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_udpserver.sh - a UDP server on the host bound to [::] answers a
# request to the host's Fixed address from that address, through libodm.so
# (replysrc.h), across a move too. On the namespace test network
# (lib/topo.sh), ha runs odmagent as a home anchor and mn's agent names it
# (home-anchor): mn holds a Fixed address F of ha's pool, which core routes
# to ha, and ha tunnels to mn. UDP echo servers on mn (lib/udpecho.py, each
# way a program receives and answers: recvfrom/sendto, MSG_PEEK first,
# recvmsg/sendmsg with and without room for control data, recvmmsg/sendmmsg,
# 4 threads on one socket; socat UDP6-RECVFROM,fork) bound to [::] under the shim are asked from cn
# (lib/udpask.py, which says where the answer came from):
#   1. each answers a request to F from F (without the shim the kernel picks
#      mn's access address: said, not checked) and a request to mn's access
#      address from that address; none of them sees the control message the
#      shim asked for, or MSG_CTRUNC (udpecho.py checks: it exits 3);
#   2. a program that sets IPV6_RECVPKTINFO itself and answers with
#      IPV6_PKTINFO gets its control message, and answers from F; one that
#      answers with a control message of its own (IPV6_TCLASS) answers from
#      F, and its traffic class arrives;
#   3. after a move to ar2, each (still running) answers a request to F from
#      F, and one to mn's new access address from that one; ODM_DEBUG said
#      it answers cn from F.
#
#   mn (udpecho.py, socat: [::]) --ar1/ar2-- core -- ha (odmagent, mode home)
#                                               \-- cn (udpask.py)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_udpserver' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_udpserver "network namespaces" ip python3 socat

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

# the registered Fixed lease's address (none while it is being asked for)
fixed() { odm_status mn | json "' '.join(l['addr'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')"; }
has_fixed() { [[ -n $(fixed) ]]; }
# ask ADDR PORT - where cn's request to [ADDR]:PORT was answered from
ask() { nsq cn python3 "$TOPO_LIB_DIR/udpask.py" "$1" "$2"; }
answers_from() { # ADDR PORT FROM [tclass]
	local got
	got=$(nsq cn python3 "$TOPO_LIB_DIR/udpask.py" "$1" "$2" 3 ${4:-})
	[[ $got == "$3" ]] || { echo "# [$1]:$2 answered from $got, not $3"; return 1; }
}

topo_up
odm__dir
odm_keygen mn
odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL"
ODM_MN_EXTRA="home-anchor $HA_ADDR"$'\n'
export ODM_MN_EXTRA
odm_agents_up
check "mn holds a Fixed address from ha" wait_for 8 has_fixed
F=$(fixed)
echo "# Fixed address: $F"

# the servers: MODE -> port
declare -A PORT=([from]=7001 [peek]=7002 [msg]=7003 [msgctl]=7004 [mmsg]=7005 [own]=7006
	[socat]=7007 [threads]=7008 [tclass]=7009)
PIDS=()
stop_servers() { local p; for p in "${PIDS[@]}"; do topo_kill "$p"; done; }
topo_at_exit stop_servers
shimmed() { # NAME CMD... - CMD on mn under the shim, in the background
	local name=$1
	shift
	topo_spawn mn "$name" "$ODM_RUNDIR/$name.log" env LD_PRELOAD="$ODM_BUILD/libodm.so" \
		ODM_SOCKET="$MN_SOCK" ODM_DEBUG=1 "$@"
	PIDS+=("$TOPO_SPAWNED_PID")
}
for m in from peek msg msgctl mmsg own threads tclass; do
	shimmed "udpecho-$m" python3 "$TOPO_LIB_DIR/udpecho.py" "$m" "${PORT[$m]}" 300
done
shimmed udpecho-socat socat "UDP6-RECVFROM:${PORT[socat]},fork" EXEC:/bin/cat
listening() { nsq mn ss -Huan "sport = :$1" | grep -q "\*:$1\|\[::\]:$1"; }
for m in "${!PORT[@]}"; do
	check "a UDP server ($m) listens on [::]:${PORT[$m]}" wait_for 10 listening "${PORT[$m]}"
done
# without the shim, for the record: the kernel picks the source by route
topo_spawn mn udpecho-plain "$ODM_RUNDIR/udpecho-plain.log" python3 "$TOPO_LIB_DIR/udpecho.py" \
	from 7000 300
PIDS+=("$TOPO_SPAWNED_PID")
wait_for 10 listening 7000 || true
echo "# without the shim, a request to F is answered from $(ask "$F" 7000)"

round() { # WHEN
	local m A
	A=$(topo_mn_addr)
	for m in from peek msg msgctl mmsg threads socat; do
		check "$1: the $m server answers a request to F from F" answers_from "$F" "${PORT[$m]}" "$F"
		check "$1: and one to mn's access address $A from it" \
			answers_from "$A" "${PORT[$m]}" "$A"
	done
	check "$1: a server using IPV6_PKTINFO itself answers from F" answers_from "$F" "${PORT[own]}" "$F"
	check "$1: and from the access address" answers_from "$A" "${PORT[own]}" "$A"
	check "$1: a server sending a control message of its own answers from F, keeping it" \
		answers_from "$F" "${PORT[tclass]}" "$F 0x28" tclass
	# (several clients at once, each answered by whichever thread reads it)
	check "$1: 8 clients at once asking F of the threaded server are all answered from F" \
		many_from "$F" "${PORT[threads]}" 8
}
many_from() { # ADDR PORT N - N asks at once (each its own output), all answered from ADDR
	local i got=0 d=$ODM_RUNDIR/many pids=()
	rm -rf "$d"
	mkdir -p "$d"
	for ((i = 0; i < $3; i++)); do
		ask "$1" "$2" >"$d/$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for ((i = 0; i < $3; i++)); do [[ $(<"$d/$i") != "$1" ]] || got=$((got + 1)); done
	((got == $3)) || { echo "# answers: $(cat "$d"/* | tr '\n' ' ')"; return 1; }
}

# ------------------------------------------------------------ 1, 2.
round "at ar1"
# ------------------------------------------------------------ 3. a move
topo_move ar2
check "after the move, mn holds the same Fixed address" wait_for 8 test "$(fixed)" == "$F"
check "and reaches it through the tunnel again" wait_for 10 answers_from "$F" "${PORT[from]}" "$F"
round "at ar2"

for m in from peek msg msgctl mmsg own threads tclass; do
	check "the $m server saw nothing wrong (its log has no BAD)" \
		bash -c "! grep -q BAD '$ODM_RUNDIR/udpecho-$m.log'"
done
check "ODM_DEBUG: the shim said it answers cn from F" \
	grep -q "\[$CN_ADDR\]:[0-9]* sent to $F, deprecated (ODM's): answered from it" \
	"$ODM_RUNDIR/udpecho-from.log"
check "the agent is alive" kill -0 "$MN_AGENT_PID"
check "no sanitizer report" odm_agent_logs_clean
check_summary test_udpserver
