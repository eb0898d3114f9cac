# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/replay.sh - a receive-only UDP stream from cn to a
# Session-lasting address of mn across one move (lib/udpstream.py), for the
# anchor's replay after a move (tests/net/test_replay.sh, make bench).
# Source after topo.sh and agents.sh, with the agents up.
#
#   replay_stream_move TO [RATE] [SECS] - cn sends RATE datagrams/s (500)
#       for SECS seconds (4) to a python receiver on mn under the shim (it
#       sends one datagram first, so its socket gets a CHoA); mn moves to
#       TO (ar1|ar2) about a second in. Sets REPLAY_<KEY> for each key of
#       "udpstream.py analyse" (REPLAY_DUPS, REPLAY_OUTAGE_SENT, ...) and
#       REPLAY_SRC (the receiver's address); prints the figures. Returns 1
#       (and says why) when the stream did not run. With REPLAY_HOOK set
#       (a command), the stream starts about a second earlier and the hook
#       runs in that second, before the move. With REPLAY_MOVE set (a
#       command, given TO), it makes the move instead of topo_move.

replay_stream_move() {
	local to=$1 rate=${2:-500} secs=${3:-4} port=7799 out=$ODM_DIR/udpstream.txt k v i
	local count=$((rate * secs)) py=$ODM_REPO/tests/net/lib/udpstream.py rx_pid
	rm -f "$out"
	# a previous stream's sender ends a moment after its receiver (its
	# last ENDs): its port must be free before the next one binds it
	for ((i = 0; i < 100; i++)); do
		grep -q . <<<"$(nsq cn ss -Hlun "sport = :$port")" || break
		sleep 0.05
	done
	topo_spawn cn udpstream-send "$ODM_DIR/udpstream-send.log" \
		/usr/bin/python3 -u "$py" send "$port" "$rate" "$count"
	for ((i = 0; i < 100; i++)); do
		grep -q . <<<"$(nsq cn ss -Hlun "sport = :$port")" && break
		sleep 0.05
	done
	odm_shim_bg /usr/bin/python3 -u "$py" recv cn.example.test "$port" "$out" \
		>"$ODM_DIR/udpstream-recv.log" 2>&1
	rx_pid=$ODM_BG_PID
	for ((i = 0; i < 100; i++)); do
		grep -q '^receiving' "$ODM_DIR/udpstream-recv.log" && break
		sleep 0.05
	done
	if ! grep -q '^receiving' "$ODM_DIR/udpstream-recv.log"; then
		echo "replay_stream_move: the stream did not start" >&2
		cat "$ODM_DIR/udpstream-recv.log" "$ODM_DIR/udpstream-send.log" >&2
		kill "$rx_pid" 2>/dev/null || true
		return 1
	fi
	if [[ -n ${REPLAY_HOOK:-} ]]; then
		$REPLAY_HOOK
	fi
	sleep 1
	${REPLAY_MOVE:-topo_move} "$to"
	# the sender ends by itself after secs; the receiver at END or 3 s silence
	for ((i = 0; i < (secs + 8) * 10; i++)); do
		kill -0 "$rx_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$rx_pid" 2>/dev/null || true
	wait "$rx_pid" 2>/dev/null || true
	REPLAY_SRC=$(sed -n 's/^source //p' "$ODM_DIR/udpstream-recv.log")
	while IFS== read -r k v; do
		printf -v "REPLAY_${k^^}" '%s' "$v"
	done < <(/usr/bin/python3 "$py" analyse "$out" "$rate" "$count")
	echo "replay: $REPLAY_SENT sent at $rate/s, $REPLAY_RECEIVED received, $REPLAY_LOST lost," \
		"$REPLAY_DUPS duplicates (age max $REPLAY_DUP_AGE_MAX_MS ms, median $REPLAY_DUP_AGE_MED_MS ms);" \
		"outage $REPLAY_OUTAGE_MS ms, $REPLAY_OUTAGE_SENT sent during it; source $REPLAY_SRC"
}
