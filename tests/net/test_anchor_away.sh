#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_anchor_away.sh - the host moves while its anchor's agent is down. A
# paced download by curl and a paced upload by a Python client run through
# a CHoA under the shim; the anchor's agent on cha is killed (-9), mn moves
# to ar2, and AWAY_S (20) seconds later the anchor starts again from its
# state, which still binds the CHoA to mn's old care-of address. The move's
# Binding Update goes unanswered meanwhile; cha's kernel, with nothing there
# taking Mobility Header messages, answers each with a Parameter Problem
# "unrecognized Next Header".
# Checks: on that error the host keeps sending the move's BU every 2 s
# rather than backing off (RFC 6275 §11.8: 1, 2, 4, 8, 16 s; the next 31 s
# after the move), and says so once; the binding is at the new care-of
# address within 2.5 s of the anchor's start, although the download, the
# upload's retransmissions backed off, has mn send nothing else the anchor
# could answer (before the mend, 9 to 11 s: at the upload's retransmission,
# which drew a Binding Error, or the back-off's next try); the download and
# the upload complete with the right sha256 (the upload checked by the
# server's byte count and sha256); then both leases end and the anchor
# holds no binding. (The host's answer to a Binding Error, the BU at once,
# is tested by hostengine's unit tests.)
#
#    mn (curl, python + shim, odmagent mn) --ar1/ar2-- core -- cha (anchor: killed, started again)
#                                                           \-- cn  (nginx, upload sink)
#
# ODM_TUNNEL=bpf runs it on the bpf backend. Exit 0 pass, 1 fail, 77 skip.
# run-all: long (about 35 s: the anchor down 20 s across a move)
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_anchor_away "network namespaces, TUN, raw sockets" ip curl nginx named radvd python3 ping

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-8}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"
trap 'check_on_err test_anchor_away' ERR

AWAY_S=${AWAY_S:-20}
SINK_PORT=7200

topo_up
odm_agents_up
echo "# tunnel backends: cha $(odm_tunnel_backend cha), mn $(odm_tunnel_backend mn)"

# The upload's server: reads each connection to its end, answers and logs
# "bytes sha256".
topo_spawn cn sink "$ODM_DIR/sink.log" /usr/bin/python3 -u -c '
import hashlib, socket, sys
srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("::", int(sys.argv[1])))
srv.listen(4)
c, peer = srv.accept()
c.settimeout(150)
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b)
    n += len(b)
ans = "%d %s" % (n, h.hexdigest())
c.sendall(ans.encode() + b"\n")
print("got", ans, flush=True)
' "$SINK_PORT"
topo_wait_listen cn "$SINK_PORT" 5

# 4 MiB at 256 KiB/s, then the server's answer; "sent BYTES SHA256" and
# "answer BYTES SHA256"
odm_shim_bg /usr/bin/python3 -u -c '
import hashlib, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.settimeout(150)
print("local", s.getsockname()[0], flush=True)
h, n, i, t0, total = hashlib.sha256(), 0, 0, time.monotonic(), 4 << 20
while n < total:
    chunk = hashlib.sha256(i.to_bytes(8, "big")).digest() * 512
    s.sendall(chunk)
    h.update(chunk)
    n += len(chunk)
    i += 1
    time.sleep(max(0.0, t0 + n / (256 * 1024) - time.monotonic()))
s.shutdown(socket.SHUT_WR)
print("sent", n, h.hexdigest(), flush=True)
print("answer", s.makefile().readline().strip(), flush=True)
' cn.example.test "$SINK_PORT" >"$ODM_DIR/upload.log" 2>&1
UP_PID=$ODM_BG_PID
odm_download d 1m 150

check "both transfers hold a lease" wait_for 10 odm_has_lease
CHOA=$(odm_lease_addr)
uploading() { grep -q "^local $CHOA\$" "$ODM_DIR/upload.log"; }
check "the upload runs from the CHoA $CHOA" wait_for 10 uploading
check "the download runs" wait_for 10 odm_got_mb "$OUT" 1

# ---------------------------------------------------------------- the move, anchor away
COA1=$(topo_mn_addr)
odm_agent_kill9 cha
T_KILL=$(topo_now_ms)
topo_move ar2
COA2=$(topo_mn_addr)
BU0=$(odm_reg_counter bu_sent)
sleep "$AWAY_S"
BU1=$(odm_reg_counter bu_sent)
echo "# the host sent $((BU1 - BU0)) BU(s) in $AWAY_S s to the anchor whose agent is away"
check "its host's Parameter Problems keep them coming: $((AWAY_S / 2 - 2)) to $((AWAY_S + 2)) BUs in $AWAY_S s ($((BU1 - BU0)))" \
	test $((BU1 - BU0)) -ge $((AWAY_S / 2 - 2)) -a $((BU1 - BU0)) -le $((AWAY_S + 2))
check "the host said so once" \
	test "$(grep -c "anchor $CHA_ADDR: its host answers our BUs" "$MN_AGENT_LOG")" -eq 1
odm_agent_start cha
T_BACK=$(topo_now_ms)
echo "# anchor started again after $((T_BACK - T_KILL)) ms, from its state"
check "the binding follows mn to $COA2" wait_for 40 odm_bindings_at "$COA2"
T_FOLLOW=$(topo_now_ms)
echo "# binding at $COA2 $((T_FOLLOW - T_BACK)) ms after the anchor's start (polled)"
check "within 2.5 s of the anchor's start ($((T_FOLLOW - T_BACK)) ms)" test $((T_FOLLOW - T_BACK)) -le 2500

# ---------------------------------------------------------------- the transfers
odm_download_ok d
rc=0
wait "$UP_PID" || rc=$?
SENT=$(sed -n 's/^sent //p' "$ODM_DIR/upload.log")
ANSWER=$(sed -n 's/^answer //p' "$ODM_DIR/upload.log")
check "the upload ends (rc $rc)" test "$rc" -eq 0
check "the server got every byte of the upload (sent '$SENT', it says '$ANSWER')" \
	test -n "$SENT" -a "$SENT" = "$ANSWER"
echo "# transfers done $(($(topo_now_ms) - T_BACK)) ms after the anchor's start"
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
no_binding() { [[ $(odm_binding_count) -eq 0 ]]; }
check "the lease ends" wait_for 10 no_lease
check "the anchor holds no binding" wait_for 5 no_binding
check "no sanitizer report" odm_agent_logs_clean
if ((FAILS)); then
	echo "--- mn agent log"; tail -n 30 "$MN_AGENT_LOG"
	echo "--- cha agent log"; tail -n 20 "$CHA_AGENT_LOG"
fi
check_summary test_anchor_away
