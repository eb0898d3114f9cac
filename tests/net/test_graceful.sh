#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_graceful.sh - Graceful-replacement end to end: host agent on mn
# (access-anchor ra: the access anchors learned from ar1's and ar2's RAs;
# ODM_ACCESS_FROM=config: access-anchor lines), access anchors on ar1 (grace-period
# GRACE) and ar2, and examples/graceful (linked with -lodm, no LD_PRELOAD)
# downloading a paced file from cn2 over a Graceful-replacement address.
#
#   1. setsc(Graceful-replacement) gives mn's access address on ar1
#      (MN_ADDR1), claimed at ar1's anchor.
#   2. mn moves to ar2: the example gets the odm_events(3) event within
#      100 ms of the agent's move event (both on CLOCK_MONOTONIC), naming
#      MN_ADDR1, the replacement MN_ADDR2 and a deadline GRACE s after the
#      move (+-1 s), though mn's lifetime (4 s) is shorter than the grace
#      period; it fetches a second file from MN_ADDR2 before the
#      deadline, and the paced download over MN_ADDR1 completes during the
#      grace period.
#   3. After the deadline ar1 holds no binding for MN_ADDR1, mn no longer
#      has it (not on the tunnel device, no lease), an idle TCP connection
#      still on it is ended (ECONNABORTED, not left hanging), and cn2 cannot
#      reach it.
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_graceful "network namespaces, TUN, raw sockets" ip named radvd nginx python3 ping

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-2}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_graceful' ERR

GRACE=8 # seconds; a multiple of 4 so the lifetime units tell it exactly
# mn asks for a shorter lifetime than that: the deadline is the grace
# period's all the same (its BUs away from the link ask for the longest)
export ODM_MN_LIFETIME=4
ar1_empty() { [[ -z $(odm_anchor_bindings ar1) ]]; }
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
# the example's line of KIND, its words
line() { awk -v k="$1" '$2 == k' "$OUT"; }

topo_up
odm_mn_access_conf ar1 ar2
odm_agents_up
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX" "grace-period $GRACE"
odm_anchor_up ar2 "$AR2_ADDR" "mode access" "access-prefix $AR2_PREFIX"
check "ar1's anchor is the link's (from ${ODM_ACCESS_FROM:-ra})" \
	wait_for 3 odm_access_anchor_is "$AR1_ADDR" "${ODM_ACCESS_FROM:-ra}"
[[ -x $ODM_BUILD/examples/graceful ]] || { echo "test_graceful: $ODM_BUILD/examples/graceful not built"; exit 1; }

# the agent's events, for the time of the move on its clock
"$ODM_BUILD/odmctl" -s "$MN_SOCK" -j monitor >"$ODM_DIR/events.json" 2>&1 &
MON_PID=$!
topo_at_exit "kill $MON_PID 2>/dev/null"

# ------------------------------------------------------------ 1. the address
OUT=$ODM_DIR/graceful.out
# ~4 s at 512 KB/s for the first file: well within the grace period
ip netns exec "$NS_MN" env ODM_SOCKET="$MN_SOCK" "$ODM_BUILD/examples/graceful" cn2.example.test 80 \
	"${BIGFILE_URL_PATH}?rate=512k" / >"$OUT" 2>"$ODM_DIR/graceful.err" &
EX_PID=$!
topo_at_exit "kill $EX_PID 2>/dev/null"
check "the example got its address" wait_for 5 grep -q ' bound ' "$OUT"
cat "$OUT"
check "it is mn's access address on ar1 ($MN_ADDR1)" test "$(line bound | awk '{print $3}')" = "$MN_ADDR1"
check "claimed at ar1 as graceful-replacement" \
	test "$(odm_anchor_status ar1 | json "[b['type'] for b in j['bindings']]")" = '["graceful-replacement"]'
check "and held by a lease" wait_for 2 odm_has_lease
# sockets that stay on the address: only the deadline can end its lease;
# a TCP connection on it, idle, is told then (ECONNABORTED), not left to hang
HOLD_OUT=$ODM_DIR/hold.out
ip netns exec "$NS_MN" /usr/bin/python3 -c "import errno, socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('$MN_ADDR1', 0))
t = socket.create_connection(('$CN2_ADDR', 80), source_address=('$MN_ADDR1', 0))
print('tcp up', flush=True)
t.settimeout(60)
try:
    print('tcp', 'eof' if not t.recv(1) else 'data', flush=True)
except OSError as e:
    print('tcp', errno.errorcode.get(e.errno, e.errno), flush=True)
time.sleep(60)" >"$HOLD_OUT" 2>&1 &
HOLD_PID=$!
topo_at_exit "kill $HOLD_PID 2>/dev/null"
check "a TCP connection from $MN_ADDR1 to cn2 is up" wait_for 3 grep -q 'tcp up' "$HOLD_OUT"

# ------------------------------------------------------------ 2. the move
sleep 0.5
topo_move ar2
check "the example hears the event" wait_for 3 grep -q ' event ' "$OUT"
rc=0
wait "$EX_PID" || rc=$?
cat "$OUT"
sed 's/^/graceful stderr: /' "$ODM_DIR/graceful.err"
read -r t_ev _ ev_addr ev_repl ev_deadline < <(line event)
t_move=$(/usr/bin/python3 -c '
import json, sys
for s in open(sys.argv[1]):
    try:
        o = json.loads(s)
    except ValueError:
        continue
    if o.get("event") == "move" and o.get("from"):
        print(o["ms"]); break' "$ODM_DIR/events.json")
echo "agent's move event at ${t_move:-?} ms, the example's event at $t_ev ms: $((t_ev - ${t_move:-0})) ms later"
check "the event names $MN_ADDR1 and the replacement $MN_ADDR2" \
	test "$ev_addr/$ev_repl" = "$MN_ADDR1/$MN_ADDR2"
check "it came within 100 ms of the move ($((t_ev - ${t_move:-0})) ms)" \
	test -n "$t_move" -a $((t_ev - ${t_move:-0})) -ge 0 -a $((t_ev - ${t_move:-0})) -le 100
left=$((ev_deadline - ${t_move:-0}))
check "the deadline is the grace period after the move ($left ms, grace $GRACE s)" \
	test "$left" -ge $((GRACE * 1000 - 1000)) -a "$left" -le $((GRACE * 1000 + 1000))
check "the example exits 0: both fetches done, the second before the deadline (rc $rc)" test "$rc" -eq 0
check "the second fetch came from the replacement address" test "$(line second | awk '{print $3}')" = "$MN_ADDR2"
t_first=$(line first | awk '{print $1}')
check "the paced download over $MN_ADDR1 ended with its whole body after the move, within the grace period" \
	test "$(line first | awk '{print $4}')" = eof -a "$t_first" -gt "${t_move:-0}" -a "$t_first" -lt "$ev_deadline"
n=$(line first | awk '{print $3}')
size=$((TOPO_BIGFILE_MB * 1024 * 1024))
check "the first download got the whole file ($n bytes with the headers)" \
	test "$n" -gt "$size" -a "$n" -lt $((size + 1024))

# ------------------------------------------------------------ 3. the deadline
mono_now() { /usr/bin/python3 -c 'import time; print(int(time.monotonic() * 1000))'; }
now=$(mono_now)
((ev_deadline - 1000 > now)) && sleep "$(((ev_deadline - 1000 - now) / 1000)).$(printf '%03d' $(((ev_deadline - 1000 - now) % 1000)))"
check "a second before the deadline, with a socket still on it, ar1 still anchors $MN_ADDR1" \
	test "$(odm_anchor_bindings ar1)" = "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"
check "ar1 holds no binding for $MN_ADDR1 after the deadline" wait_for 4 ar1_empty
t_gone=$(mono_now)
echo "ar1's binding gone $((t_gone - ev_deadline)) ms after the deadline told"
check "it went at the deadline ($((t_gone - ev_deadline)) ms after it, at most 1500)" \
	test $((t_gone - ev_deadline)) -le 1500
check "ar1 logged the end of the binding" \
	grep -qE "binding $ODM_NAI $MN_ADDR1 -> $MN_ADDR2 \(access\) removed \((grace period over|deregistered)\)" \
	"$ODM_DIR/ar1-agent.log"
check "mn ended the lease for its deadline" wait_for 3 grep -q "$MN_ADDR1 at $AR1_ADDR ended (grace period over)" "$MN_AGENT_LOG"
check "the idle TCP connection on $MN_ADDR1 was ended with it: $(tail -1 "$HOLD_OUT")" \
	wait_for 2 grep -q 'tcp ECONNABORTED' "$HOLD_OUT"
check "mn holds no lease any more" wait_for 3 no_lease
check "and has not kept $MN_ADDR1 on its tunnel device" \
	bash -c "[[ \$(ip -n $NS_MN -6 addr show dev $ODM_TUN_MN) != *'$MN_ADDR1/128'* ]]"
check "cn2 no longer reaches $MN_ADDR1" bash -c "! ip netns exec $NS_CN2 ping -6 -c 1 -W 1 $MN_ADDR1 >/dev/null 2>&1"
check "no sanitizer report in the agents' or the example's logs" \
	bash -c "! grep -qE 'Sanitizer|runtime error' '$ODM_DIR'/*-agent.log '$ODM_DIR/graceful.err'"
# the agent's own route and rule deletions (a lease ending, a claim back
# on its link) are never taken for someone else's (hostengine.h
# he_route_gone, he_rule_gone)
check "nothing was put back: nobody else deleted a route or rule" \
	bash -c "! grep -q 'deleted by someone else' '$MN_AGENT_LOG'"
check_summary test_graceful
