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
#            case: ~1-2 s before the new address may be used)
#   optdad   the same with optimistic DAD (RFC 4429), which is what a host
#            can do about DAD: ODM's BU then goes out from the optimistic
#            address at once
# Figures (tests/bench/figures.sh rows): the stall (longest gap between data
# segments around the move, seen on mn), the hand-over overhead (the stall
# minus the move, which ends when mn first sends from its new address: ODM's
# BU, MPTCP's new subflow), and for mbb the data segments cn had to send
# again. The floor of the overhead is one BU/BA round trip (mn <-> cha,
# measured by ping) plus 5 ms. MPTCP's subflow is moved by this script with
# ip mptcp endpoint commands right after the move, as a path manager daemon
# would.
# Needs root; bounded (one 64 MiB paced download per measurement).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NET=$HERE/../net
if ((EUID != 0)); then
	echo "SKIP: the hand-over benchmark needs root (network namespaces)"
	exit 77
fi
. "$HERE/figures.sh"
RATE=${BENCH_HANDOVER_RATE:-20m}
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-64}
: "${BENCH_FIGURES:=$(mktemp /tmp/odm-handover.XXXXXX)}"
export BENCH_FIGURES

# measure_odm HOW TO - ODM download across one move; sets R_STALL R_RETX
measure_odm() {
	local how=$1 to=$2 pcap=$ODM_DIR/odm-$1.pcap cnpcap=$ODM_DIR/odm-$1-cn.pcap out=$ODM_DIR/odm.bin
	local cap cncap pid rc=0
	odm_capture mn any "$pcap" "ip6 proto 41 or ip6 proto 135 or tcp src port $HTTP_PORT" 128
	cap=$ODM_CAP_PID
	odm_capture cn eth0 "$cnpcap" "tcp src port $HTTP_PORT" 128
	cncap=$ODM_CAP_PID
	odm_shim_bg curl -6 -sS --max-time 60 -o "$out" "http://cn.$DNS_ZONE$BIGFILE_URL_PATH?rate=$RATE"
	pid=$ODM_BG_PID
	wait_size "$out" $((8 * 1024 * 1024))
	"topo_$how" "$to" >/dev/null
	wait "$pid" || rc=$?
	odm_capture_stop "$cap"
	odm_capture_stop "$cncap"
	((rc == 0)) || topo_die "ODM download failed across the move (curl rc $rc)"
	[[ $(sha256sum <"$out" | awk '{print $1}') == "$BIGFILE_SHA256" ]] ||
		topo_die "ODM download: wrong sha256"
	R_STALL=$(odm_stall_ms "$pcap" "$TOPO_MOVE_T0" "$HTTP_PORT")
	R_MOVE=$(first_from "$pcap" "$(topo_mn_addr)" "$TOPO_MOVE_T0")
	R_RETX=$(retransmitted "$cnpcap" "$HTTP_PORT")
}

# measure_mptcp HOW TO - the same over MPTCP; sets R_STALL R_RETX
measure_mptcp() {
	local how=$1 to=$2 pcap=$ODM_DIR/mptcp-$1.pcap cnpcap=$ODM_DIR/mptcp-$1-cn.pcap
	local cap cncap old_if new_if rc=0
	if [[ $to == ar1 ]]; then old_if=$MN_IF2 new_if=$MN_IF1; else old_if=$MN_IF1 new_if=$MN_IF2; fi
	odm_capture mn any "$pcap" "tcp port $MPTCP_HTTP_PORT" 128
	cap=$ODM_CAP_PID
	odm_capture cn eth0 "$cnpcap" "tcp src port $MPTCP_HTTP_PORT" 128
	cncap=$ODM_CAP_PID
	mptcp_download_start "http://cn.$DNS_ZONE:$MPTCP_HTTP_PORT$BIGFILE_URL_PATH?rate=$RATE" \
		"$ODM_DIR/mptcp.sha"
	wait_port_bytes "$MPTCP_HTTP_PORT" $((8 * 1024 * 1024))
	"topo_$how" "$to" >/dev/null
	mptcp_follow_move "$old_if" "$new_if"
	wait "$MPTCP_PID" || rc=$?
	mptcp_stop
	odm_capture_stop "$cap"
	odm_capture_stop "$cncap"
	[[ $(awk '{print $1}' "$ODM_DIR/mptcp.sha") == "$BIGFILE_SHA256" ]] ||
		topo_die "MPTCP download: wrong sha256 ($(cat "$ODM_DIR/mptcp.sha.err"))"
	R_STALL=$(odm_stall_ms "$pcap" "$TOPO_MOVE_T0" "$MPTCP_HTTP_PORT")
	R_MOVE=$(first_from "$pcap" "$(topo_mn_addr)" "$TOPO_MOVE_T0")
	R_RETX=$(retransmitted "$cnpcap" "$MPTCP_HTTP_PORT")
}

# first_from PCAP ADDR T0_NS - ms from T0 to the first packet mn sent from
# ADDR (its new address): the move as the wire sees it, when the host could
# first speak from the new link (ODM: its BU; MPTCP: the new subflow's SYN)
first_from() {
	tshark -r "$1" -Y "ipv6.src == $2" -T fields -e frame.time_epoch 2>/dev/null |
		awk -v t0="$3" 'BEGIN { t0s = t0 / 1e9 } !f && $1 + 0 >= t0s { f = $1 }
			END { if (f) printf "%d\n", (f - t0s) * 1000; else print -1 }'
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
other_ar() { if [[ $(topo_mn_attached) == ar1 ]]; then echo ar2; else echo ar1; fi; }

# case_run LABEL HOW - one ODM and one MPTCP measurement, figures added
case_run() {
	local label=$1 how=$2 o m odm_move mp_move o_stall o_retx m_stall m_retx
	measure_odm "$how" "$(other_ar)"
	o_stall=$R_STALL o_retx=$R_RETX odm_move=$R_MOVE
	measure_mptcp "$how" "$(other_ar)"
	m_stall=$R_STALL m_retx=$R_RETX mp_move=$R_MOVE
	echo "# $label: ODM stall $o_stall ms (first packet from the new address after $odm_move ms, cn resent $o_retx), MPTCP stall $m_stall ms (first packet $mp_move ms, cn resent $m_retx)"
	bench_figure "hand-over stall, $label" "$o_stall" "$m_stall" ms "ratio<=1"
	if [[ $how == move ]]; then
		# overhead over the physical floor: the stall minus the move, the
		# move ending when the host first sends from its new address
		o=$((o_stall - odm_move))
		m=$((m_stall - mp_move))
		bench_figure "hand-over overhead (stall - move), $label" "$o" "$m" ms "odm<=$FLOOR_MS"
	else
		bench_figure "data segments sent again, $label" "$o_retx" "$m_retx" segments "odm<=0"
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
		# the floor's round trip: mn <-> cha, as a BU and its BA travel
		# the smallest of five: the first may wait for neighbour discovery
		rtt=$(nsq mn ping -6 -n -q -c 5 -i 0.2 "$CHA_ADDR" | awk -F/ '/^rtt/ { print $4 }')
		FLOOR_MS=$(awk -v r="$rtt" 'BEGIN { printf "%d", r + 5 }')
		echo "# DAD $dad: BU/BA round trip ~${rtt} ms (ping mn -> cha); overhead target <= $FLOOR_MS ms (that + 5 ms)"
		for c in "$@"; do
			case $c in
			bbm) case_run "break-before-make, no DAD" move ;;
			mbb) case_run "make-before-break" move_mbb ;;
			dad) case_run "kernel default DAD" move ;;
			optdad) case_run "optimistic DAD" move ;;
			esac
		done
	)
}

echo "== hand-over: ODM vs MPTCP (download paced at $RATE, ${TOPO_BIGFILE_MB} MiB)"
run_dad_mode fast bbm mbb
run_dad_mode default dad
run_dad_mode optimistic optdad
[[ -n ${BENCH_STANDALONE:-} ]] && cat "$BENCH_FIGURES"
exit 0
