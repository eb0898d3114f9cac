#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/bench/handover.sh - the hand-over, ODM against MPTCP side by side in
# one run (a section of make bench; also runs alone). For each case, a paced
# download from cn crosses one move of mn, once with ODM (a Session-lasting
# address through the CHA, curl under the shim) and once with MPTCP (curl
# under mptcpize, subflows following the move, lib/mptcp.sh):
#   bbm      break-before-make, no DAD: the old link goes down, then the new
#            one comes up (the move: link down -> usable address)
#   mbb      make-before-break, no DAD: the new link is up and usable before
#            the old one goes down
#   dad      break-before-make with the kernel's default DAD (the realistic
#            case: ~1-2 s before the new address may be used). mn's
#            sysctls are the kernel's; ODM runs with its agent's defaults,
#            which turn on optimistic DAD on the access links and send a
#            Router Solicitation as a link comes up (odmagent(8),
#            optimistic-dad, router-solicit); MPTCP runs on the kernel's
#            defaults: mn's agent is stopped for its measurements and the
#            two sysctls it set are put back to the kernel's values
#   optdad   the same with optimistic DAD (RFC 4429), which is what a host
#            can do about DAD: ODM's BU then goes out from the optimistic
#            address at once
# The download is paced by the network, not the server: core's links to the
# routers are the bottleneck (tbf, BENCH_HANDOVER_RATE, default 160mbit, a
# queue of up to 20 ms, which cn's congestion control, BBR here, never fills:
# no segment is dropped there; each measurement prints the drops), so data arrives
# smoothly, a gap in it is the move's and a segment sent again was lost to
# the move (nginx's limit_rate sends bursts with 40-80 ms pauses, as long as a
# fast move, and those pauses used to be read as the stall).
# Each case runs BENCH_HANDOVER_REPEAT times (default 3), ODM and MPTCP
# alternating; the figures are medians. Per measurement a timeline (ms after
# T0; tests/bench/handover_timeline.py) from mn's capture, the kernel's
# address and route events (ip -ts monitor) and the agent's log: old address
# gone, new address usable, agent saw the move, BU, BA, first tunnelled
# packet, the stall's gap.
# Figures (tests/bench/figures.sh rows): the stall (the longest gap between
# data segments that spans the move, seen on mn), the hand-over overhead
# (the stall minus the move: the old link going down, when the data stopped
# but not before the command, -> the new address usable, from the kernel's
# own events, or the first BU from it if that came first; move_end), and for
# mbb the data segments cn had to send again.
# The floor of the overhead is one BU/BA round trip (mn <-> cha: the lease's
# registration before each move, from the capture; ping read 188 ms once)
# plus 5 ms, printed for reference; the target is an overhead of 5 ms flat. MPTCP's subflow is moved by this script with ip
# mptcp endpoint commands right after the move, as a path manager daemon
# would. BENCH_HANDOVER_CASES (default "bbm mbb dad optdad") picks cases;
# BENCH_HANDOVER_KEEP=DIR keeps the captures (ODM's with neighbour discovery,
# to see a router resolving the new address), events and logs there.
# Needs root; bounded (one 64 MiB download per measurement).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NET=$HERE/../net
if ((EUID != 0)); then
	echo "SKIP: the hand-over benchmark needs root (network namespaces)"
	exit 77
fi
. "$HERE/figures.sh"
RATE=${BENCH_HANDOVER_RATE:-160mbit}
REPEAT=${BENCH_HANDOVER_REPEAT:-3}
CASES=${BENCH_HANDOVER_CASES:-bbm mbb dad optdad}
# the dad case's rows: mn on the kernel's DAD settings, ODM's agent with its
# defaults (optimistic DAD and a Router Solicitation at link-up), MPTCP on
# the kernel's defaults alone
DAD_LABEL="default DAD (ODM agent: optimistic DAD + RS)"
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-64}
: "${BENCH_FIGURES:=$(mktemp /tmp/odm-handover.XXXXXX)}"
export BENCH_FIGURES

# measure_odm HOW TO - ODM download across one move; sets R_STALL R_MOVE R_OVER R_RETX
measure_odm() {
	local how=$1 to=$2 pcap=$ODM_DIR/odm-$1-$MEAS_I.pcap cnpcap=$ODM_DIR/odm-$1-$MEAS_I-cn.pcap out=$ODM_DIR/odm.bin
	local cap cncap pid rc=0
	odm_capture mn any "$pcap" "ip6 proto 41 or ip6 proto 135 or icmp6 or tcp src port $HTTP_PORT" 128
	cap=$ODM_CAP_PID
	odm_capture cn eth0 "$cnpcap" "tcp src port $HTTP_PORT" 128
	cncap=$ODM_CAP_PID
	ipmon_start "$ODM_DIR/odm-$1-$MEAS_I.ipmon"
	rm -f "$out"
	odm_shim_bg curl -6 -sS --max-time 60 -o "$out" "http://cn.$DNS_ZONE$BIGFILE_URL_PATH"
	pid=$ODM_BG_PID
	wait_size "$out" $((8 * 1024 * 1024))
	fresh_router "$to"
	"topo_$how" "$to" >/dev/null
	wait "$pid" || rc=$?
	odm_capture_stop "$cap"
	odm_capture_stop "$cncap"
	odm_capture_stop "$IPMON_PID"
	((rc == 0)) || topo_die "ODM download failed across the move (curl rc $rc)"
	[[ $(topo_sha256 "$out") == "$BIGFILE_SHA256" ]] ||
		topo_die "ODM download: wrong sha256"
	R_TIMELINE=$(timeline "$pcap" "$HTTP_PORT" "$ODM_DIR/odm-$1-$MEAS_I.ipmon" "$MN_AGENT_LOG")
	R_STALL=$(phase stall "$R_TIMELINE")
	R_MOVE=$(move_end "$R_TIMELINE")
	R_OVER=$(overhead "$R_TIMELINE")
	R_RETX=$(retransmitted "$cnpcap" "$HTTP_PORT")
}

# measure_mptcp HOW TO - the same over MPTCP; sets R_STALL R_MOVE R_OVER R_RETX
measure_mptcp() {
	local how=$1 to=$2 pcap=$ODM_DIR/mptcp-$1-$MEAS_I.pcap cnpcap=$ODM_DIR/mptcp-$1-$MEAS_I-cn.pcap
	local cap cncap old_if new_if rc=0
	if [[ $to == ar1 ]]; then old_if=$MN_IF2 new_if=$MN_IF1; else old_if=$MN_IF1 new_if=$MN_IF2; fi
	[[ -n ${MPTCP_KERNEL_DEFAULTS:-} ]] && agent_off
	odm_capture mn any "$pcap" "tcp port $MPTCP_HTTP_PORT" 128
	cap=$ODM_CAP_PID
	odm_capture cn eth0 "$cnpcap" "tcp src port $MPTCP_HTTP_PORT" 128
	cncap=$ODM_CAP_PID
	ipmon_start "$ODM_DIR/mptcp-$1-$MEAS_I.ipmon"
	mptcp_download_start "http://cn.$DNS_ZONE:$MPTCP_HTTP_PORT$BIGFILE_URL_PATH" \
		"$ODM_DIR/mptcp.sha"
	wait_port_bytes "$MPTCP_HTTP_PORT" $((8 * 1024 * 1024))
	fresh_router "$to"
	"topo_$how" "$to" >/dev/null
	mptcp_follow_move "$old_if" "$new_if"
	wait "$MPTCP_PID" || rc=$?
	mptcp_stop
	odm_capture_stop "$cap"
	odm_capture_stop "$cncap"
	odm_capture_stop "$IPMON_PID"
	[[ $(awk '{print $1}' "$ODM_DIR/mptcp.sha") == "$BIGFILE_SHA256" ]] ||
		topo_die "MPTCP download: wrong sha256 ($(cat "$ODM_DIR/mptcp.sha.err"))"
	R_TIMELINE=$(timeline "$pcap" "$MPTCP_HTTP_PORT" "$ODM_DIR/mptcp-$1-$MEAS_I.ipmon" /dev/null)
	R_STALL=$(phase stall "$R_TIMELINE")
	R_MOVE=$(move_end "$R_TIMELINE")
	R_OVER=$(overhead "$R_TIMELINE")
	R_RETX=$(retransmitted "$cnpcap" "$MPTCP_HTTP_PORT")
	[[ -n ${MPTCP_KERNEL_DEFAULTS:-} ]] && odm_agent_start mn
	return 0
}

# agent_off - MPTCP on the kernel's defaults: mn's agent stopped (it would
# solicit a router as the new link comes up) and the sysctls it set on the
# access links back at the kernel's values (mn's net.ipv6.conf.default: this
# topology leaves optimistic_dad and use_optimistic there as the kernel has
# them); the next ODM measurement starts it again (odm_agent_start), and it
# sets them again
agent_off() {
	local ifc k v
	topo_kill "$MN_AGENT_PID"
	for ifc in "$MN_IF1" "$MN_IF2"; do
		for k in optimistic_dad use_optimistic; do
			v=$(nsx mn sysctl -n "net.ipv6.conf.default.$k")
			nsx mn sysctl -q -w "net.ipv6.conf.$ifc.$k=$v" >/dev/null
		done
	done
}

# fresh_router AR - forget what AR's neighbour cache holds on mn's link, so a
# measurement does not inherit the last one's: a connection of an earlier
# measurement still sending to mn's address there leaves AR resolving it
# while mn is away, and the answer to mn's first packets from its new address
# then waits for AR's next solicitation (up to 1 s; seen in 5 of 20 moves)
fresh_router() { nsx "$1" ip -6 neigh flush dev lan0; }

# ipmon_start FILE - the kernel's address and route events on mn, time-stamped
# (sets IPMON_PID)
ipmon_start() {
	topo_spawn mn ipmon "$1" env TZ=UTC ip -ts -6 monitor address route
	IPMON_PID=$TOPO_SPAWNED_PID
	sleep 0.05
}

# timeline PCAP PORT IPMON AGENTLOG - the move's phases, ms after the old link
# went down (handover_timeline.py)
timeline() {
	python3 "$HERE/handover_timeline.py" "$1" "$TOPO_MOVE_T0" "$(topo_mn_addr)" \
		"$CHA_ADDR" "$2" "$3" "$4" "${TOPO_MOVE_TCMD:-}"
}

# awk's first block for a TIMELINE line: v[phase] = ms
TIMELINE_AWK='{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }'

# phase NAME TIMELINE - one phase's ms, rounded
phase() { awk -v n="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == n) printf "%d\n", kv[2] + (kv[2] < 0 ? 0 : 0.5) } }' <<<"$2"; }

# move_end TIMELINE - the move, in ms to a tenth: from the old link going
# down to the new address being usable (the later of it and the default
# route, both needed to send, as ip monitor printed them; or the first BU
# from the new address if it left before ip monitor's line came out: ip
# monitor is a process too, and its lines come late when the CPUs are busy);
# in make-before-break the new link was usable before the old one went
# down: 0. The link went down when the data stopped (gapstart: the
# download is paced, a segment every 0.1 ms), but not before the command
# was run (cmd: a gap that began earlier is the sender's); without cmd, or
# with no gap seen, when the kernel took the old address away (down, which
# the kernel says only after stopping the link and an RCU grace period, so
# up to ms after the data stopped), or T0 if that came later.
move_end() {
	awk -v how="$MOVE_HOW" "$TIMELINE_AWK"'
		END { if (how == "move_mbb") { print 0; exit }
		      m = v["addr"] + 0; if (v["route"] + 0 > m) m = v["route"] + 0
		      if (v["bu"] != "" && v["bu"] + 0 >= 0 && v["bu"] + 0 < m) m = v["bu"] + 0
		      if (v["cmd"] != "" && v["cmd"] != -1 && v["gapstart"] != -1) {
			      d = v["gapstart"] + 0; if (v["cmd"] + 0 > d) d = v["cmd"] + 0
		      } else {
			      d = v["down"] + 0; if (v["down"] == -1 || d > 0) d = 0
		      }
		      if (v["addr"] < 0) { print -1; exit }
		      printf "%.1f\n", m - d }' <<<"$1"
}

# overhead TIMELINE - the stall minus the move, from the unrounded figures,
# rounded to the ms
overhead() {
	awk -v m="$(move_end "$1")" "$TIMELINE_AWK"'
		END { d = v["stall"] - m; printf "%d\n", d < 0 ? d - 0.5 : d + 0.5 }' <<<"$1"
}

# retransmitted PCAP PORT - data segments from PORT that the sender sent again
retransmitted() {
	tshark -r "$1" -Y "tcp.srcport == $2 && tcp.len > 0 && tcp.analysis.retransmission" \
		-T fields -e frame.number 2>/dev/null | wc -l
}
wait_size() { # FILE BYTES
	local i
	for ((i = 0; i < 400; i++)); do
		[[ -f $1 ]] && (($(stat -c %s "$1") >= $2)) && return 0
		sleep 0.05
	done
	topo_die "the download did not reach $2 bytes"
}
wait_port_bytes() { # PORT BYTES - one of mn's connections to cn:PORT got BYTES
	local i got
	for ((i = 0; i < 400; i++)); do
		got=$(nsq mn ss -Htin dst "[$CN_ADDR]:$1" 2>/dev/null |
			grep -o 'bytes_received:[0-9]*' | cut -d: -f2 | sort -n | tail -n1) || true
		[[ -n $got ]] && ((got >= $2)) && return 0
		sleep 0.05
	done
	topo_die "the MPTCP download did not reach $2 bytes"
}
# shaper_drops - what core's shapers toward the routers have dropped so far
shaper_drops() {
	local ifc n sum=0
	for ifc in ar1 ar2; do
		n=$(nsq core tc -s qdisc show dev "$ifc" | grep -o 'dropped [0-9]*' | head -n1 | cut -d' ' -f2)
		sum=$((sum + ${n:-0}))
	done
	echo "$sum"
}
other_ar() { if [[ $(topo_mn_attached) == ar1 ]]; then echo ar2; else echo ar1; fi; }

# timeline_median TIMELINE... - each phase's median over the measurements
timeline_median() {
	printf '%s\n' "$@" | python3 -c '
import sys, statistics
rows = [dict(kv.split("=") for kv in l.split()) for l in sys.stdin if l.strip()]
keys = list(rows[0]) if rows else []
print(" ".join(f"{k}={statistics.median(float(r[k]) for r in rows):g}" for k in keys))'
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : -1 }'; }

# case_run LABEL HOW - REPEAT ODM and MPTCP measurements (alternating), the
# medians added as figures; each measurement's timeline printed
case_run() {
	local label=$1 how=$2 i d0 os=() oo=() ms=() mo=() orx=() mrx=() otl=() mtl=() floor
	MOVE_HOW=$how
	for ((i = 0; i < REPEAT; i++)); do
		MEAS_I=$i
		d0=$(shaper_drops)
		measure_odm "$how" "$(other_ar)"
		echo "# $label, ODM #$i: stall $R_STALL ms, move $R_MOVE ms, overhead $R_OVER ms, cn resent $R_RETX, shaper dropped $(($(shaper_drops) - d0)); $R_TIMELINE"
		os+=("$R_STALL") oo+=("$R_OVER") orx+=("$R_RETX") otl+=("$R_TIMELINE")
		d0=$(shaper_drops)
		measure_mptcp "$how" "$(other_ar)"
		echo "# $label, MPTCP #$i: stall $R_STALL ms, move $R_MOVE ms, overhead $R_OVER ms, cn resent $R_RETX, shaper dropped $(($(shaper_drops) - d0)); $R_TIMELINE"
		ms+=("$R_STALL") mo+=("$R_OVER") mrx+=("$R_RETX") mtl+=("$R_TIMELINE")
	done
	# the floor over the move: one BU/BA round trip (the median of the
	# leases' registrations before each move, from the captures) + 5 ms
	floor=$(printf '%s\n' "${otl[@]}" | python3 -c '
import sys, statistics
v = [float(kv[4:]) for l in sys.stdin for kv in l.split() if kv.startswith("rtt=") and not kv.startswith("rtt=-")]
print(int(statistics.median(v) + 5) if v else 5)')
	echo "# $label: BU/BA round trip (median of the registrations before the moves) + 5 ms: $floor ms (the target is the issue's 5 ms whatever the round trip)"
	echo "# $label, ODM timeline (medians, ms after T0): $(timeline_median "${otl[@]}")"
	echo "# $label, MPTCP timeline (medians, ms after T0): $(timeline_median "${mtl[@]}")"
	echo "# $label: ODM stalls ${os[*]}, overheads ${oo[*]}; MPTCP stalls ${ms[*]}, overheads ${mo[*]} (ms)"
	bench_figure "hand-over stall, $label (median of $REPEAT)" "$(median <<<"${os[*]}")" \
		"$(median <<<"${ms[*]}")" ms "ratio<=1"
	if [[ $how == move ]]; then
		# over the physical floor: the stall minus the move (link down ->
		# usable address, from the kernel's own events)
		bench_figure "hand-over overhead (stall - move), $label (median)" \
			"$(median <<<"${oo[*]}")" "$(median <<<"${mo[*]}")" ms "odm<=5"
	else
		bench_figure "data segments sent again, $label (median)" "$(median <<<"${orx[*]}")" \
			"$(median <<<"${mrx[*]}")" segments "odm<=0"
	fi
}

run_dad_mode() { # DAD CASES...
	local dad=$1
	shift
	export TOPO_MN_DAD=$dad
	(
		. "$NET/lib/topo.sh"
		. "$NET/lib/agents.sh"
		. "$NET/lib/mptcp.sh"
		topo_up >/dev/null
		odm_agents_up
		# the downlink to mn is the bottleneck (tbf on core's links to
		# the routers): data arrives smoothly, so a gap in it is the
		# move's (nginx's limit_rate sends bursts with 40-80 ms pauses
		# between them, as long as a fast move). The queue may hold 20
		# ms: with 5 ms, BBR's probing overflowed it, 1-2 % of a plain
		# download without a move was dropped there and sent again,
		# and the count of segments the move cost read those too
		for ifc in ar1 ar2; do
			nsx core tc qdisc replace dev "$ifc" root tbf rate "$RATE" burst 16kb latency 20ms
		done
		[[ -n ${BENCH_HANDOVER_KEEP:-} ]] && topo_at_exit 'mkdir -p "$BENCH_HANDOVER_KEEP/$dad" && cp "$ODM_DIR"/*.pcap "$ODM_DIR"/*.ipmon "$ODM_DIR"/*.log "$BENCH_HANDOVER_KEEP/$dad/" 2>/dev/null || true'
		for c in "$@"; do
			case $c in
			bbm) case_run "break-before-make, no DAD" move ;;
			mbb) case_run "make-before-break" move_mbb ;;
			dad) MPTCP_KERNEL_DEFAULTS=1 case_run "$DAD_LABEL" move ;;
			optdad) case_run "optimistic DAD" move ;;
			esac
		done
	)
}

echo "== hand-over: ODM vs MPTCP (download paced at $RATE, ${TOPO_BIGFILE_MB} MiB)"
want() { [[ " $CASES " == *" $1 "* ]]; }
if want bbm || want mbb; then
	run_dad_mode fast $(want bbm && echo bbm) $(want mbb && echo mbb)
fi
want dad && run_dad_mode default dad
want optdad && run_dad_mode optimistic optdad
[[ -n ${BENCH_STANDALONE:-} ]] && cat "$BENCH_FIGURES"
exit 0
