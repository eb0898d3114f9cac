# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/bench/move_series.sh - the data a download receives over time across
# a move of mn between ar1 and ar2, for the chart of make bench: "series"
# lines (tests/bench/figures.sh), seconds from the old link going down and
# MB received, sampled every 20 ms from the size of curl's output file.
# Source after topo.sh, agents.sh and figures.sh, with the topology and the
# agents up.
#
#   bench_move_series LABEL KIND   KIND: odm (curl with the shim,
#                                  session-lasting), mptcp (mptcpize curl
#                                  to nginx's MPTCP port; mn's addresses are
#                                  subflow endpoints, the new one added and
#                                  the old one removed at the move) or tcp
#                                  (plain curl: its connection cannot survive)
#
# Each run: start the paced download, 1 s, move to the other router, 2 s,
# stop curl. Bounded by curl's --max-time.

BENCH_MOVE_RATE=${BENCH_MOVE_RATE:-20m}

bench__other_ar() { if [[ $(topo_mn_attached) == ar1 ]]; then echo ar2; else echo ar1; fi; }

# bench__sample FILE T_END_NS - "epoch_ns bytes" every 20 ms until T_END_NS.
bench__sample() {
	local f=$1 end=$2 now
	while now=$(date +%s%N) && ((now < end)); do
		echo "$now $(stat -c %s "$f" 2>/dev/null || echo 0)"
		sleep 0.02
	done
}

bench_move_series() {
	local label=$1 kind=$2 out=$ODM_DIR/move-$2.bin to cur_if new_if pid t0 old_id
	local url="http://cn.example.test$BIGFILE_URL_PATH?rate=$BENCH_MOVE_RATE"
	to=$(bench__other_ar)
	if [[ $to == ar1 ]]; then cur_if=$MN_IF2 new_if=$MN_IF1; else cur_if=$MN_IF1 new_if=$MN_IF2; fi
	rm -f "$out"
	case $kind in
	odm)
		odm_shim_bg curl -6 -sS --max-time 8 -o "$out" "$url" 2>/dev/null
		pid=$ODM_BG_PID
		;;
	tcp)
		ip netns exec "$NS_MN" curl -6 -sS --max-time 8 -o "$out" "$url" 2>/dev/null &
		pid=$!
		;;
	mptcp)
		nsx mn ip mptcp limits set subflows 4 add_addr_accepted 4
		nsx mn ip mptcp endpoint flush
		nsx mn ip mptcp endpoint add "$(topo_mn_addr)" dev "$cur_if" subflow
		ip netns exec "$NS_MN" mptcpize run curl -6 -sS --max-time 8 -o "$out" \
			"http://cn.example.test:$MPTCP_HTTP_PORT$BIGFILE_URL_PATH?rate=$BENCH_MOVE_RATE" \
			2>/dev/null &
		pid=$!
		;;
	*) echo "bench_move_series: odm, mptcp or tcp, not '$kind'" >&2; return 2 ;;
	esac
	t0=$(date +%s%N)
	bench__sample "$out" $((t0 + 1000000000)) >"$ODM_DIR/move-$kind.samples"
	topo_move "$to" >/dev/null
	if [[ $kind == mptcp ]]; then
		nsx mn ip mptcp endpoint add "$(topo_mn_addr)" dev "$new_if" subflow
		old_id=$(nsq mn ip mptcp endpoint show | awk -v d="$cur_if" \
			'$0 ~ "dev " d { for (i = 1; i < NF; i++) if ($i == "id") print $(i + 1) }')
		[[ -z $old_id ]] || nsx mn ip mptcp endpoint delete id "$old_id"
	fi
	bench__sample "$out" $((TOPO_MOVE_T0 + 2000000000)) >>"$ODM_DIR/move-$kind.samples"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[[ $kind == mptcp ]] && nsx mn ip mptcp endpoint flush
	awk -v l="$label" -v t0="$TOPO_MOVE_T0" \
		'{ printf "series\t%s\t%.3f\t%.3f\n", l, ($1 - t0) / 1e9, $2 / 1e6 }' \
		"$ODM_DIR/move-$kind.samples" >>"$BENCH_FIGURES"
	echo "move series $label: $(tail -n 1 "$ODM_DIR/move-$kind.samples" | awk '{ printf "%.1f MB", $2 / 1e6 }') by 2 s after the move (move $TOPO_MOVE_MS ms)"
}
