#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_monitor.sh - `odmctl monitor -j` and examples/onnet on the namespace
# test network (topo.sh + agents.sh):
#   1. a monitor started before anything happens hears a SIGHUP
#      (config-reloaded) and a refused lease of type Fixed (lease-refused);
#   2. examples/onnet (linked with -lodm, no LD_PRELOAD) opens three sockets
#      toward cn: the second reuses the first one's CHoA (from the library's
#      table of held addresses, without asking the agent), the third, with
#      IPV6_REQUIRE_SRC_ON_NET, gets a fresh one (two bindings at the
#      anchor); odmctl lease then gets a held one from the agent (reused);
#   3. mn moves to ar2 with both leases held, and with a download running on
#      the address setsc(Non-persistent) gave: that program sees its
#      download aborted (ECONNABORTED) within ABORT_BOUND_MS of the move;
#      then onnet closes its sockets (past the hand-out grace) and the
#      leases end;
#   4. the monitor, stopped with SIGTERM (exit 0), printed one JSON object per
#      line, each parsed by Python's json, and the kinds came in order:
#      config-reloaded, lease-refused, the allocation (bu-sent ::, ba-received,
#      lease-granted new), the fresh one, a reuse by the agent (lease-granted
#      reused, for odmctl lease),
#      socket-destroyed for the old access address, the move (from the old
#      CoA to the new one on eth2), the re-registrations (bu-sent, ba-received for each address), and
#      lease-ended "released" for both; odmctl release of an ended lease
#      exits 1 with the agent's reason in the one answer;
#   5. a monitor client that stops reading (never reads a byte) while a
#      flood of events is made stalls nobody: a new lease for another
#      program is granted as fast as before, the flood's requests are all
#      answered, and when the stalled client reads at last it is told how
#      many events it lost.
#
#   mn ==eth1== ar1 \ (then eth2 == ar2)  core -- cn, cha (anchor)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_monitor "network namespaces, TUN, raw sockets" ip nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_monitor' ERR

ONNET=$ODM_BUILD/examples/onnet FETCH=$ODM_BUILD/examples/setsc_fetch
[[ -x $ONNET && -x $FETCH ]] || { echo "SKIP: $ONNET or $FETCH not built (make)"; exit 77; }

topo_up
odm_agents_up
MON=$ODM_DIR/monitor.jsonl
# a Non-persistent download's abort after the move, bound as in test_nonpersistent
ABORT_BOUND_MS=${ABORT_BOUND_MS:-1000}

# ---------------------------------------------------------------- 1. monitor up
"$ODM_BUILD/odmctl" -s "$MN_SOCK" -j monitor >"$MON" 2>"$ODM_DIR/monitor.err" &
MON_PID=$!
topo_at_exit "kill $MON_PID 2>/dev/null || true"
# the monitor hears the reload once it has subscribed: retry until it does
heard_reload() { kill -HUP "$MN_AGENT_PID"; sleep 0.1; grep -q '"config-reloaded"' "$MON"; }
check "the monitor hears SIGHUP as config-reloaded" wait_for 10 heard_reload
RC=0
odm_ctl mn lease fixed "$CN_ADDR" --cha "$CHA_ADDR" >/dev/null 2>&1 || RC=$?
check "a Fixed lease is refused (rc $RC)" test "$RC" -eq 1

# ---------------------------------------------------------------- 2. onnet: reuse vs ON_NET
OLD_COA=$(topo_mn_addr)
mkfifo "$ODM_DIR/hold"
ip netns exec "$NS_MN" env -u LD_PRELOAD ODM_SOCKET="$MN_SOCK" "$ONNET" cn.example.test \
	"$HTTP_PORT" <"$ODM_DIR/hold" >"$ODM_DIR/onnet.out" 2>"$ODM_DIR/onnet.err" &
ONNET_PID=$!
exec 3>"$ODM_DIR/hold" # onnet holds its sockets until this closes
three_lines() { [[ $(wc -l <"$ODM_DIR/onnet.out") -ge 3 ]]; }
check "onnet opened its three sockets" wait_for 15 three_lines
cat "$ODM_DIR/onnet.out" "$ODM_DIR/onnet.err"
addr_of() { awk -v n="$1" '$1 == "socket" && $2 == n { print $3 }' "$ODM_DIR/onnet.out"; }
A=$(addr_of 1) B=$(addr_of 2) C=$(addr_of 3)
check "socket 1 has a CHoA ($A in $CHA_POOL)" in_prefix "${A:-::}" "$CHA_POOL"
check "socket 2 shares it ($B)" test "$B" = "$A"
check "socket 3 (IPV6_REQUIRE_SRC_ON_NET) has a CHoA ($C in $CHA_POOL)" \
	in_prefix "${C:-::}" "$CHA_POOL"
check "of its own ($C vs $A)" test "$C" != "$A"
check "two bindings at the anchor" test "$(odm_binding_count)" -eq 2
# socket 2's address came from the library's own table (setsc(3): an address
# held is given at once); a request that reaches the agent is reused there
REUSED=$(odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" | json 'j["addr"]')
T_HANDED=$(topo_now_ms)
held_one() { [[ -n $REUSED && ($REUSED == "$A" || $REUSED == "$C") ]]; }
check "the agent reuses a held address for another request ($REUSED)" held_one

# ---------------------------------------------------------------- 3. move, then release
# meanwhile a download on setsc(Non-persistent)'s address, paced to outlast the move
(
	rc=0
	# bounded: a socket left on the vanished address would hang (exit 124)
	timeout 15 ip netns exec "$NS_MN" env -u LD_PRELOAD ODM_SOCKET="$MN_SOCK" "$FETCH" -p \
		-t non-persistent cn.example.test "$HTTP_PORT" "${BIGFILE_URL_PATH}?rate=200k" \
		>/dev/null 2>"$ODM_DIR/np.err" || rc=$?
	echo "$rc $(date +%s%N)" >"$ODM_DIR/np.done"
) &
NP_PID=$!
np_bound() { grep -q '^getsc -> non-persistent' "$ODM_DIR/np.err"; }
check "the Non-persistent download is bound" wait_for 10 np_bound
check "to mn's access address" grep -qx "getsc -> non-persistent $OLD_COA" "$ODM_DIR/np.err"
check "and still running at the move" test ! -e "$ODM_DIR/np.done"
topo_move ar2
NEW_COA=$(topo_mn_addr)
wait "$NP_PID"
cat "$ODM_DIR/np.err"
read -r NP_RC NP_T1 <"$ODM_DIR/np.done"
NP_MS=$(((NP_T1 - TOPO_MOVE_T0) / 1000000))
echo "Non-persistent download: exit $NP_RC, ${NP_MS} ms after the old link went down"
check "the program sees its download aborted (exit $NP_RC)" test "$NP_RC" -eq 1
check "with ECONNABORTED" grep -q "download: Software caused connection abort" "$ODM_DIR/np.err"
# not before the command that took the link down (TOPO_MOVE_T0 is read
# after it returns, so on a busy machine the abort may come first)
check "within ${ABORT_BOUND_MS} ms of the move (${NP_MS} ms)" \
	test "$NP_T1" -ge "$TOPO_MOVE_TCMD" -a "$NP_MS" -le "$ABORT_BOUND_MS"
reregistered() { [[ $(grep -c '"ba-received"' "$MON") -ge 4 ]]; }
check "both bindings re-registered after the move" wait_for 10 reregistered
# past the grace after hand-out, the close's release hints end the leases at once
while (($(topo_now_ms) < T_HANDED + ODM_GRACE_S * 1000 + 300)); do sleep 0.1; done
exec 3>&-
RC=0
wait "$ONNET_PID" || RC=$?
check "onnet exits 0: reuse without the flag, a fresh address with it (rc $RC)" test "$RC" -eq 0
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
check "both leases end after the sockets closed" wait_for 10 no_lease
RC=0
"$ODM_BUILD/odmctl" -s "$MN_SOCK" -j release "$A" >"$ODM_DIR/release.out" \
	2>"$ODM_DIR/release.err" || RC=$?
check "odmctl release of the ended lease exits 1 (rc $RC)" test "$RC" -eq 1
check "the agent's one answer gives the reason" \
	grep -qx '{"released":false,"reason":"no-lease"}' "$ODM_DIR/release.out"
check "odmctl names the address" grep -qF "holds no lease for $A" "$ODM_DIR/release.err"
ended_seen() { [[ $(grep -c '"lease-ended"' "$MON") -ge 2 ]]; }
check "the monitor heard both ends" wait_for 5 ended_seen

# ---------------------------------------------------------------- 4. the stream, parsed
kill -TERM "$MON_PID"
RC=0
wait "$MON_PID" || RC=$?
check "odmctl monitor exits 0 on SIGTERM (rc $RC)" test "$RC" -eq 0
echo "--- the monitor's output:"
cat "$MON"
stream_ok() {
	/usr/bin/python3 - "$MON" "$A" "$C" "$CHA_ADDR" "$OLD_COA" "$NEW_COA" "$MN_IF2" <<'PY'
import ipaddress, json, sys
path, a, c, cha, old, new, ifname = sys.argv[1:]
ip = lambda s: ipaddress.ip_address(s)
lines = open(path).read().splitlines()
evs = []
for s in lines:
    o = json.loads(s)
    assert isinstance(o, dict), s
    assert isinstance(o.get("event"), str) and isinstance(o.get("ms"), int), s
    assert "ok" not in o, "a protocol field in an event: " + s
    evs.append(o)
ms = [o["ms"] for o in evs]
assert ms == sorted(ms), "events out of time order"
assert not [o for o in evs if o["event"] == "lost"], "events were lost"
# (description, predicate): must match in this order, other events between
want = [
    ("config-reloaded", lambda o: o["event"] == "config-reloaded" and o["file"].endswith("mn.conf")),
    ("lease-refused", lambda o: o["event"] == "lease-refused" and o["type"] == "fixed"
        and o["error"] == "EAI_REQUIREDIPNOTSUPPORTED" and o["uid"] == 0 and o["pid"] > 0
        and "not offered" in o["reason"]),
    ("bu-sent allocating", lambda o: o["event"] == "bu-sent" and o["addr"] == "::"
        and ip(o["anchor"]) == ip(cha) and o["lifetime"] > 0),
    ("ba-received accepted", lambda o: o["event"] == "ba-received" and o["status"] < 128
        and ip(o["addr"]) == ip(a)),
    ("lease-granted new", lambda o: o["event"] == "lease-granted" and ip(o["addr"]) == ip(a)
        and o["reused"] is False and o["type"] == "session-lasting" and o["proto"] == "tcp"
        and ip(o["anchor"]) == ip(cha) and o["uid"] == 0 and o["pid"] > 0),
    ("bu-sent allocating the fresh one", lambda o: o["event"] == "bu-sent" and o["addr"] == "::"),
    ("lease-granted fresh", lambda o: o["event"] == "lease-granted" and ip(o["addr"]) == ip(c)
        and o["reused"] is False),
    ("lease-granted reused", lambda o: o["event"] == "lease-granted"
        and ip(o["addr"]) in (ip(a), ip(c)) and o["reused"] is True),
    ("socket-destroyed", lambda o: o["event"] == "socket-destroyed"
        and ip(o["addr"]) == ip(old) and o["count"] >= 1),
    ("move", lambda o: o["event"] == "move" and o["from"] is not None
        and ip(o["from"]) == ip(old) and ip(o["to"]) == ip(new) and o["ifname"] == ifname),
    ("bu-sent from the new CoA", lambda o: o["event"] == "bu-sent"
        and ip(o["addr"]) in (ip(a), ip(c)) and o["lifetime"] > 0),
    ("ba-received after the move", lambda o: o["event"] == "ba-received"
        and ip(o["addr"]) in (ip(a), ip(c)) and o["status"] < 128),
    ("lease-ended released", lambda o: o["event"] == "lease-ended" and o["reason"] == "released"),
    ("lease-ended released (the other)", lambda o: o["event"] == "lease-ended"
        and o["reason"] == "released"),
]
i = 0
for desc, pred in want:
    while i < len(evs) and not pred(evs[i]):
        i += 1
    assert i < len(evs), "not found in order: " + desc
    print("  in order:", desc, "->", json.dumps(evs[i]))
    i += 1
granted = [o for o in evs if o["event"] == "lease-granted"]
assert len(granted) == 3, granted
ended = sorted(str(ip(o["addr"])) for o in evs if o["event"] == "lease-ended")
assert ended == sorted([str(ip(a)), str(ip(c))]), ended
# the deregistrations went out too
assert len([o for o in evs if o["event"] == "bu-sent" and o["lifetime"] == 0]) >= 2
PY
}
check "one JSON object per line, the expected kinds in order" stream_ok

# ---------------------------------------------------------------- 5. a monitor that stops reading
# stalled: subscribes, then reads nothing until told (a file), then all
cat >"$ODM_DIR/stalled.py" <<'PY'
import json, os, socket, sys, time
sock, go, out = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
s.sendall(b'{"op":"monitor","id":1}\n')
f = s.makefile("rb")
assert json.loads(f.readline())["ok"] is True
open(out + ".ready", "w").close()
t_end = time.time() + 120
while not os.path.exists(go) and time.time() < t_end:
    time.sleep(0.05)
s.settimeout(2)
n = lost = 0
try:
    for line in f:
        o = json.loads(line)
        if o["event"] == "lost":
            lost += o["count"]
        else:
            n += 1
except socket.timeout:
    pass
with open(out, "w") as w:
    w.write("events %d lost %d\n" % (n, lost))
PY
# flood: many refused leases on one connection, each answered and each an event
cat >"$ODM_DIR/flood.py" <<'PY'
import json, socket, sys, time
sock, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
f = s.makefile("rb")
worst = 0.0
for i in range(n):
    t = time.monotonic()
    s.sendall(json.dumps({"op": "lease", "id": i, "type": "fixed", "dst": "2001:db8:c0::10",
                          "proto": "tcp"}).encode() + b"\n")
    r = json.loads(f.readline())
    assert r["id"] == i and r["ok"] is False and r["error"] == "REQUIREDIPNOTSUPPORTED", r
    worst = max(worst, time.monotonic() - t)
print("answered %d worst_ms %.1f" % (n, worst * 1000))
PY
# took_ms NAME - how long setsc_fetch's setsc call took, in ms
took_ms() { awk '$1 == "setsc" { printf "%d", $6 / 1000; exit }' "$ODM_DIR/$1.err"; }
fetch_x() {
	ip netns exec "$NS_MN" env -u LD_PRELOAD ODM_SOCKET="$MN_SOCK" "$FETCH" -x -n \
		cn.example.test "$HTTP_PORT" / >/dev/null 2>"$ODM_DIR/$1.err"
}
check "a fresh lease before the stall" fetch_x before
BEFORE=$(took_ms before)
/usr/bin/python3 "$ODM_DIR/stalled.py" "$MN_SOCK" "$ODM_DIR/go" "$ODM_DIR/stalled.out" &
STALLED_PID=$!
topo_at_exit "kill $STALLED_PID 2>/dev/null || true"
check "the stalled monitor subscribed" wait_for 10 test -e "$ODM_DIR/stalled.out.ready"
FLOOD_N=6000
/usr/bin/python3 "$ODM_DIR/flood.py" "$MN_SOCK" "$FLOOD_N" >"$ODM_DIR/flood.out"
cat "$ODM_DIR/flood.out"
check "every request of the flood was answered" grep -q "^answered $FLOOD_N " "$ODM_DIR/flood.out"
check "a fresh lease for another program while the monitor is stalled" fetch_x during
DURING=$(took_ms during)
echo "new CHoA: ${BEFORE} ms before the stall, ${DURING} ms with a stalled monitor"
check "not slower than before by more than 500 ms ($DURING vs $BEFORE ms)" \
	test "$DURING" -le $((BEFORE + 500))
touch "$ODM_DIR/go"
RC=0
wait "$STALLED_PID" || RC=$?
check "the stalled monitor was kept, and read on (rc $RC)" test "$RC" -eq 0
cat "$ODM_DIR/stalled.out"
read -r _ GOT _ LOST <"$ODM_DIR/stalled.out"
check "it was told it lost events ($LOST lost, $GOT heard)" test "$LOST" -gt 0
check "heard and lost add up to at least the flood ($GOT + $LOST >= $FLOOD_N)" \
	test $((GOT + LOST)) -ge "$FLOOD_N"
check "the host agent is still running" kill -0 "$MN_AGENT_PID"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

check_summary test_monitor
