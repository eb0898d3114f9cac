#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_nonpersistent.sh - Non-persistent sockets fail fast on a move. A plain
# download (curl without the shim) from cn2, which has no CHA, runs on mn's
# access address from ar1; mn moves to ar2, the address leaves the host, and
# the host agent destroys the TCP sockets still bound to it (sock_diag
# SOCK_DESTROY). The test checks that curl fails at once (non-zero, not its
# own timeout, within ABORT_BOUND_MS of the link going down), that a UDP
# socket bound to the same old address is left alone, and that a
# Session-lasting download through the CHA, running at the same time, is not
# touched and completes intact.
#
#   mn --ar1/ar2-- core -- cn  (nginx, cha.cn: through the CHA)
#                       \-- cn2 (nginx, no CHA: plain)
#                       \-- cha (anchor)
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_nonpersistent "network namespaces, TUN, raw sockets" ip ss curl nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-64}
# from the old link going down to curl's exit; the agent reacts to the
# address event at once (odmagent/movepace.h), so this leaves ample room
ABORT_BOUND_MS=${ABORT_BOUND_MS:-1000}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_nonpersistent' ERR

topo_up
odm_agents_up
OLD=$(topo_mn_addr)
echo "agents up; mn's access address on ar1: $OLD"

# ---------------------------------------------------------------- 1. sockets on the old address
# A UDP socket bound to the old address: it reads with a short timeout until
# told to stop, and reports any error the socket gets (a destroyed UDP socket
# fails its recv with ECONNABORTED).
UDP_STOP=$ODM_DIR/udp.stop
topo_spawn mn udp-holder "$ODM_DIR/udp.log" /usr/bin/python3 -u -c '
import os, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.settimeout(0.1)
print("bound", s.getsockname()[0], flush=True)
while not os.path.exists(sys.argv[2]):
    try:
        s.recv(2048)
    except socket.timeout:
        pass
    except OSError as e:
        print("udp error", e.errno, e.strerror, flush=True)
        sys.exit(1)
err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
print("udp still open on", s.getsockname()[0], "so_error", err, flush=True)
sys.exit(0 if err == 0 else 1)
' "$OLD" "$UDP_STOP"
UDP_PID=$TOPO_SPAWNED_PID
udp_bound() { grep -q '^bound ' "$ODM_DIR/udp.log"; }
check "a UDP socket is bound to the old address $OLD" wait_for 5 udp_bound

# The plain download: no shim, so an ordinary socket on the access address.
# Its exit status and exit time go to a file.
PLAIN_OUT=$ODM_DIR/plain.bin
PLAIN_END=$ODM_DIR/plain.end
bg_timed "$PLAIN_END" "$ODM_DIR/plain.log" nsq mn curl -6 -sS --max-time 20 -o "$PLAIN_OUT" \
	"http://cn2.example.test${BIGFILE_URL_PATH}?rate=4m"

# The Session-lasting download through the CHA, at the same time.
SL_OUT=$ODM_DIR/sl.bin
odm_shim_bg curl -6 -sS --max-time 120 -o "$SL_OUT" \
	"http://cn.example.test${BIGFILE_URL_PATH}?rate=16m" >"$ODM_DIR/sl.log" 2>&1
SL_PID=$ODM_BG_PID

check "the Session-lasting download holds a lease" wait_for 10 odm_has_lease
CHOA=$(odm_status mn | json 'j["leases"][0]["addr"]')
plain_on_old() { grep -q . <<<"$(nsq mn ss -Htn state established "src [$OLD] and dst [$CN2_ADDR]")"; }
check "the plain download's socket is on $OLD toward cn2" wait_for 10 plain_on_old
started() { [[ -f $PLAIN_OUT && $(stat -c %s "$PLAIN_OUT") -gt $((1024 * 1024)) &&
	-f $SL_OUT && $(stat -c %s "$SL_OUT") -gt $((1024 * 1024)) ]]; }
check "both downloads are under way" wait_for 20 started

# ---------------------------------------------------------------- 2. move
T_DOWN=$(date +%s%N)
topo_move ar2
NEW=$(topo_mn_addr)
echo "moved: access address $OLD -> $NEW, CHoA $CHOA"
# curl's own limit is 20 s: a socket the agent missed ends with rc 28 here
bg_timed_end "$PLAIN_END" 25 "$T_DOWN"
PLAIN_RC=$BG_RC ABORT_MS=$BG_MS
check "the plain download ended" test "$PLAIN_RC" != none
echo "plain download: curl rc $PLAIN_RC ($(head -c 200 "$ODM_DIR/plain.log")), ${ABORT_MS} ms after the link went down"
check "curl failed (rc $PLAIN_RC), not by its own timeout (28)" \
	test "$PLAIN_RC" != none -a "$PLAIN_RC" != 0 -a "$PLAIN_RC" != 28
check "curl failed within ${ABORT_BOUND_MS} ms of the move (${ABORT_MS} ms)" \
	test "$ABORT_MS" -ge 0 -a "$ABORT_MS" -le "$ABORT_BOUND_MS"
check "the agent logged the destroyed socket of $OLD" \
	grep -qE "address $OLD vanished: [1-9][0-9]* TCP sockets? destroyed" "$MN_AGENT_LOG"
check "no TCP socket is left on the old address" \
	test -z "$(nsq mn ss -Htn "src [$OLD]")"

# ---------------------------------------------------------------- 3. what must survive
sleep 0.5
touch "$UDP_STOP"
urc=0
wait "$UDP_PID" || urc=$?
cat "$ODM_DIR/udp.log"
check "the UDP socket on the old address was left alone (rc $urc)" test "$urc" -eq 0
rc=0
wait "$SL_PID" || rc=$?
check "the Session-lasting download through the CHA survived the move (rc $rc)" test "$rc" -eq 0
SUM=$(topo_sha256 "$SL_OUT")
check "its sha256 matches" test "$SUM" = "$BIGFILE_SHA256"
check "the lease address $CHOA was never a victim" \
	bash -c "! grep -q 'address $CHOA vanished' '$MN_AGENT_LOG'"
check "the host agent is still running" kill -0 "$MN_AGENT_PID"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

echo "summary: non-persistent TCP aborted ${ABORT_MS} ms after the link went down (bound ${ABORT_BOUND_MS} ms), move ${TOPO_MOVE_MS} ms"
check_summary test_nonpersistent
