#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_replay_restart.sh - on the kernel tunnel backend the anchor's capture
# (odmagent/replaycap.h) belongs to the anchor process, not to the data
# path: cn sends a UDP stream (500 datagrams/s, lib/udpstream.py) to a
# Session-lasting address of mn through the CHA, the anchor is killed with
# kill -9 and started again while it flows, then mn moves. Checks: the
# datagrams sent while the anchor was dead arrived (the kernel forwards
# without it), the anchor started again restored the binding and replayed
# the move's outage from its new capture, with at most the datagrams sent
# during the outage + 10 % in duplicates.
#
#    cn --- core --- cha (odmagent anchor, kernel backend: killed, restarted)
#             |
#           ar1/ar2 --- mn (udpstream receiver under the shim; moves)
#
# Exit 0 pass, 1 fail, 77 skip (not root, a tool missing, or no seg6).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_replay_restart "network namespaces, seg6, packet sockets" ip tcpdump named radvd python3
if [[ ! -e /proc/sys/net/ipv6/seg6_flowlabel ]]; then
	echo "SKIP: test_replay_restart: this kernel has no seg6 (the kernel tunnel backend)"
	exit 77
fi
export ODM_TUNNEL=kernel
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/replay.sh"
trap 'check_on_err test_replay_restart' ERR

mono_ns() { /usr/bin/python3 -c 'import time; print(time.monotonic_ns())'; }
# the hook of replay_stream_move: once the anchor saved the new binding
# (within 50 ms, anchor.h), it dies; the stream goes on without it for
# 400 ms; the anchor comes back and restores the binding
crash_anchor() {
	sleep 0.3
	DEAD_FROM=$(mono_ns)
	odm_agent_kill9 cha
	sleep 0.4
	DEAD_TO=$(mono_ns)
	odm_agent_start cha
	RESTORED=0
	wait_for 5 test "$(odm_binding_count)" -ge 1 && RESTORED=1
}

topo_up
odm_agents_up
check "the anchor runs the kernel tunnel backend" test "$(odm_tunnel_backend cha)" = kernel

REPLAY_HOOK=crash_anchor replay_stream_move ar2 500 5
check "the stream went on after the move" test "$REPLAY_RESUMED" -eq 1

# every datagram cn sent while the anchor was dead arrived
read -r DEAD_SENT DEAD_GOT < <(/usr/bin/python3 - "$ODM_DIR/udpstream.txt" "$DEAD_FROM" "$DEAD_TO" \
	"$ODM_DIR/udpstream-send.log" <<'PY'
import sys
rows = [tuple(int(x) for x in l.split()) for l in open(sys.argv[1]) if l.strip()]
lo, hi = int(sys.argv[2]), int(sys.argv[3])
got = {seq for seq, sent, _ in rows if lo <= sent <= hi}
# the sequence numbers cn sent in that time: between the last one before
# it and the first one after it that arrived
before = max((seq for seq, sent, _ in rows if sent < lo), default=-1)
after = min((seq for seq, sent, _ in rows if sent > hi), default=before + 1)
print(after - before - 1, len(got))
PY
)
echo "while the anchor was dead ($(((DEAD_TO - DEAD_FROM) / 1000000)) ms): cn sent $DEAD_SENT, mn got $DEAD_GOT"
check "the kernel forwarded without the anchor ($DEAD_GOT of $DEAD_SENT datagrams)" \
	test "$DEAD_SENT" -ge 100 -a "$DEAD_GOT" -eq "$DEAD_SENT"
check "the anchor started again restored the binding" test "$RESTORED" -eq 1
REPLAYED=$(grep 'replayed .* packets' "$CHA_AGENT_LOG" | tail -n 1 || true)
echo "anchor: ${REPLAYED#*info: }"
N_REPLAYED=$(sed -n 's/.*replayed \([0-9]*\) of .*kernel path.*/\1/p' <<<"$REPLAYED")
check "the anchor started again replayed the outage from its capture (${N_REPLAYED:-no} packets)" \
	test "${N_REPLAYED:-0}" -ge 1
BOUND=$(((REPLAY_OUTAGE_SENT * 11 + 9) / 10))
check "duplicates $REPLAY_DUPS <= datagrams sent during the outage + 10 % ($BOUND)" \
	test "$REPLAY_DUPS" -le "$BOUND"
# Not checked here: the datagrams lost. An anchor started again makes its
# device and routes anew (odmagent(8)), so what cn sends between its start
# and its restoring the binding is lost (30-200 ms on a loaded machine);
# test_replay bounds the loss of a move without a restart.
echo "lost: $REPLAY_LOST of $REPLAY_SENT (the restart's and the move's)"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_replay_restart
