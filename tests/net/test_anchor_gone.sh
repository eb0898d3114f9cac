#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_anchor_gone.sh - the anchor's agent dies and stays dead for a while:
# nothing on the host hangs for minutes on its addresses. The host trusts a
# binding confirmed less than 5 s ago (HE_CONFIRM_MS) and refreshes it only
# every few minutes, so without more a connection made right after the
# anchor died would retry its SYN for 2 minutes. The anchor's host answers
# the host's tunnelled packets with ICMPv6 Parameter Problem (no handler
# for IPv6-in-IPv6 once the agent is gone, RFC 8200 §4); the host agent
# reads those and confirms its bindings there at once:
#   1. a paced download holds a CHoA, and so does a process that keeps a
#      connection through it; the anchor's agent is killed (-9);
#   2. that process connects again (the shim binds its own held lease,
#      without asking the agent): its SYN draws the error, the host agent
#      says so and sends a refresh BU at once, and once that has gone
#      unanswered for 2.9 s the connect is failed (ECONNABORTED, by
#      SOCK_DESTROY) within a few seconds, not after 2 minutes of SYNs;
#   3. a new curl that asks for Session-lasting ends within a few seconds
#      (the agent answers ETIMEDOUT at once, the shim fails the connect);
#      a UDP socket, which needs a lease of its own, fails once its
#      allocation timed out (2.9 s), and the next at once: the host does not
#      ask a silent anchor again for 10 s;
#   4. the anchor's agent starts again with its state: the next request
#      makes the host ask it at once (not at the refresh's next
#      retransmission), the refresh is answered, the download (left to
#      wait) completes with the right sha256, and a new curl gets the CHoA
#      and works.
#
#    mn (curl, python + shim, odmagent mn) --ar1-- core -- cha (anchor)
#                                                      -- cn  (nginx)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -euo pipefail
trap 'echo "FAIL: test_anchor_gone.sh line $LINENO: $BASH_COMMAND" >&2' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_anchor_gone "network namespaces, TUN, raw sockets" ip curl nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-8}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"

topo_up
# the userspace backend, whatever the suite runs: where the kernel carries
# the tunnel, the anchor's data path outlives its agent (test_tunnel_kernel)
# and no error comes back
ODM_TUNNEL=user odm_agents_up
echo "# tunnel backends: cha $(odm_tunnel_backend cha), mn $(odm_tunnel_backend mn)"

more_bus() { [[ $(odm_reg_counter bu_sent) -gt $1 ]]; }

# ---------------------------------------------------------------- 1.
odm_download d 1m 60
check "1: curl gets a lease" wait_for 10 odm_has_lease
CHOA=$(odm_lease_addr)
check "1: the download is under way through $CHOA" wait_for 10 odm_got_mb "$OUT" 1

# A process that holds the CHoA: one connection made through the shim and
# kept; once its trigger file is there it connects again (the shim takes the
# held lease: no question to the agent) and says how that ended and when.
TRIG=$ODM_DIR/again
HOLD_OUT=$ODM_DIR/holder.out
odm_shim_bg /usr/bin/python3 -u -c '
import errno, os, socket, sys, time
host, port, trig = sys.argv[1], int(sys.argv[2]), sys.argv[3]
a = socket.create_connection((host, port), timeout=10)
print("first", a.getsockname()[0], flush=True)
while not os.path.exists(trig):
    time.sleep(0.02)
t0 = time.monotonic()
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(150)
try:
    s.connect((socket.getaddrinfo(host, port, socket.AF_INET6)[0][4][0], port))
    r = "connected"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__
print("again", r, round((time.monotonic() - t0) * 1000), flush=True)
time.sleep(600)  # keeps the lease (its first connection) until killed
' cn.example.test "$HTTP_PORT" "$TRIG" >"$HOLD_OUT" 2>&1
HOLD_PID=$ODM_BG_PID
held() { grep -q '^first ' "$HOLD_OUT"; }
check "1: the holder has its connection" wait_for 10 held
check "1: the holder's address is the CHoA $CHOA" grep -q "^first $CHOA\$" "$HOLD_OUT"

BU0=$(odm_reg_counter bu_sent)
odm_agent_kill9 cha
T_KILL=$(topo_now_ms)
echo "1: the anchor's agent killed; BUs sent so far $BU0"

# ---------------------------------------------------------------- 2.
touch "$TRIG"
check "2: the host agent reads the ICMPv6 error and confirms the binding" \
	wait_for 3 odm_mn_logged "ICMPv6 error says anchor $CHA_ADDR did not take a packet"
echo "2: $(grep -m1 'ICMPv6 error says' "$MN_AGENT_LOG")"
check "2: a refresh BU goes out for it" wait_for 3 more_bus "$BU0"
again_done() { grep -q '^again ' "$HOLD_OUT"; }
check "2: the holder's new connect ends within 8 s" wait_for 8 again_done
cat "$HOLD_OUT"
read -r _ H_RES H_MS < <(grep '^again ' "$HOLD_OUT") || true
echo "2: the held-lease connect: ${H_RES:-?} after ${H_MS:-?} ms"
check "2: it fails (ECONNABORTED), not connected to nothing" test "${H_RES:-}" = ECONNABORTED
check "2: the host agent failed it as a connection still being set up" \
	odm_mn_logged "failed 1 connection(s) still being set up"
UNANS=$(odm_status mn | json '[b.get("unanswered_ms", 0) for b in j["bindings"] if b["anchor"] == "'"$CHA_ADDR"'"][0]')
echo "2: odmctl status: the refresh at $CHA_ADDR unanswered for $UNANS ms"
check "2: odmctl status says how long the anchor has been silent (>= 2900 ms)" test "$UNANS" -ge 2900

# ---------------------------------------------------------------- 3.
T3=$(topo_now_ms)
rc=0
odm_shim timeout 60 curl -6 -sS -o /dev/null http://cn.example.test/ >"$ODM_DIR/c3.log" 2>&1 || rc=$?
T3_MS=$(($(topo_now_ms) - T3))
echo "3: a new Session-lasting curl: rc $rc after $T3_MS ms: $(head -c 200 "$ODM_DIR/c3.log")"
check "3: it ends within 5 s ($T3_MS ms), not after minutes" test "$T3_MS" -le 5000
check "3: it did not hang until timeout(1) (rc $rc)" test "$rc" -ne 124
check "3: it ended with an error, not on a dead address" test "$rc" -ne 0
check "3: the agent answered it ETIMEDOUT at once" odm_mn_logged "answered ETIMEDOUT: anchor $CHA_ADDR has not confirmed"

# UDP needs a lease of its own: an allocation at the dead anchor, which
# times out (2.9 s); the host then does not ask it again for 10 s, so the
# next UDP socket is answered at once
udp_try() {
	odm_shim /usr/bin/python3 -c '
import errno, socket, sys, time
t0 = time.monotonic()
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
try:
    s.connect((socket.getaddrinfo(sys.argv[1], 9, socket.AF_INET6)[0][4][0], 9))
    r = "connected"
except OSError as e:
    r = errno.errorcode.get(e.errno, str(e.errno))
print(r, round((time.monotonic() - t0) * 1000))
' cn.example.test
}
read -r U1_RES U1_MS < <(udp_try) || true
read -r U2_RES U2_MS < <(udp_try) || true
echo "3: UDP sockets toward cn: ${U1_RES:-?} after ${U1_MS:-?} ms, then ${U2_RES:-?} after ${U2_MS:-?} ms"
check "3: the first UDP socket fails once the allocation timed out (${U1_MS:-?} ms)" \
	test "${U1_RES:-}" = EADDRNOTAVAIL -a "${U1_MS:-99999}" -le 5000
check "3: the next one fails at once (${U2_MS:-?} ms): the anchor is on hold" \
	test "${U2_RES:-}" = EADDRNOTAVAIL -a "${U2_MS:-99999}" -le 500
check "3: the agent said why" odm_mn_logged "did not answer an allocation .* ms ago; asked again in"
HOLD=$(odm_status mn | json '" ".join(h["anchor"] for h in j.get("anchors_on_hold", []))')
check "3: odmctl status lists $CHA_ADDR among the anchors on hold ($HOLD)" test "$HOLD" = "$CHA_ADDR"
check "3: and says so without -j" bash -c "'$ODM_BUILD/odmctl' -s '$MN_SOCK' status | grep -q '^anchors on hold: 1'"

# ---------------------------------------------------------------- 4.
echo "4: the anchor's agent was dead for $(($(topo_now_ms) - T_KILL)) ms; starting it again"
odm_agent_start cha
# the refresh's next retransmission may be seconds away (back-off); a
# request for the lease asks the anchor again at once (and is refused)
rc=0
odm_shim curl -6 -sS --max-time 10 -o /dev/null http://cn.example.test/ 2>/dev/null || rc=$?
echo "4: the first curl after the restart: rc $rc"
confirmed() { odm_mn_logged "anchor $CHA_ADDR confirmed the binding"; }
check "4: the restarted anchor answers the refresh within 2 s" wait_for 2 confirmed
echo "4: $(grep -m1 'confirmed the binding .* after the ICMPv6' "$MN_AGENT_LOG")"
odm_download_ok "4: the download left to wait"
rc=0
SRC=$(odm_shim curl -6 -sS --max-time 10 -o /dev/null -w '%{local_ip}' http://cn.example.test/) || rc=$?
check "4: a new curl works again (rc $rc)" test "$rc" -eq 0
check "4: from the CHoA $CHOA (${SRC:-none})" test "${SRC:-}" = "$CHOA"
kill "$HOLD_PID" 2>/dev/null || true
wait "$HOLD_PID" 2>/dev/null || true
check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_anchor_gone
