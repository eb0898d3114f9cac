#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_claim.sh - one claim of the access address shared by two users and
# both types, and the event stream filtered per user (odmagent(8), odmctl(8)
# EVENTS): host agent on mn (access-anchor lines for ar1 and ar2, a policy),
# access anchors on ar1 (grace-period 4 s) and ar2, paced downloads by curl
# under libodm.so from cn2 (which has no cha. record), run as two users.
#
#   1. uid 2's Graceful-replacement download claims mn's access address on
#      ar1 (MN_ADDR1); uid 1's Session-lasting download shares it (no
#      EAI_REQUIREDIPFAILED): one lease with uids [2, 1], one binding at ar1,
#      turned Session-lasting there.
#   2. uid 3, whose policy allows Non-persistent only, is still refused
#      Session-lasting (EAI_REQUIREDIPNOTSUPPORTED).
#   3. mn moves to ar2 during both downloads: both complete intact, the
#      Graceful one past ar1's grace period (the claim is Session-lasting);
#      ar1 keeps the binding after uid 1's curl exits while uid 2's runs,
#      and releases it once the last socket closed.
#   4. Monitors run by uids 1, 2 and 3 each got only their own lease and
#      refusal events, both holders the end of the shared lease, nobody else
#      anything about MN_ADDR1's lease, everyone the move; root got all.
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_claim "network namespaces, TUN, raw sockets, other uids" ip named radvd nginx curl \
	python3 setpriv

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-2}
export ODM_CTL_GROUP=nogroup
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_claim' ERR

GRACE=4
SETSC=$ODM_BUILD/examples/setsc_fetch
ar1_empty() { [[ -z $(odm_anchor_bindings ar1) ]]; }
ar1_type() { odm_anchor_status ar1 | json '" ".join(b["type"] for b in j["bindings"])'; }
ar1_type_is() { [[ $(ar1_type) == "$1" ]]; }
# the leases as "addr,type,uids" words
leases() { odm_status mn | json "' '.join('%s,%s,%s' % (l['addr'], l['type'], ':'.join(str(u) for u in l.get('uids', [l.get('uid')]))) for l in j['leases'])"; }
leases_are() { [[ $(leases) == "$1" ]]; }
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }

topo_up
POLDIR=$ODM_RUNDIR/policy
mkdir -p "$POLDIR"
export ODM_POLICY_FILE=$POLDIR/odm.policy
cat >"$ODM_POLICY_FILE" <<'EOF'
# test_claim.sh: every type for everyone but uid 3
allow all
rule uid 3 allow non-persistent
EOF
odm_mn_access_conf ar1 ar2
odm_agents_up
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX" "grace-period $GRACE"
odm_anchor_up ar2 "$AR2_ADDR" "mode access" "access-prefix $AR2_PREFIX"
check "mn's agent names ar1's anchor as its link's" \
	wait_for 3 grep -q "access anchor of this link: $AR1_ADDR" "$MN_AGENT_LOG"

# a monitor per user, and root's
for u in 0 1 2 3; do
	odm_as "$u" "$ODM_BUILD/odmctl" -s "$MN_SOCK" -j monitor >"$ODM_DIR/mon$u.json" 2>&1 &
	topo_at_exit "kill $! 2>/dev/null"
done
sleep 0.5

# ------------------------------------------------------------ 1. two users, one claim
URL="http://cn2.example.test${BIGFILE_URL_PATH}"
shim_as() { # UID TYPE OUT RATE
	odm_as "$1" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE="$2" \
		curl -6 -sS --max-time 60 -o "$3" "$URL?rate=$4"
}
OUT2=$ODM_RUNDIR/ctl/graceful-2.bin
OUT1=$ODM_RUNDIR/ctl/session-1.bin
touch "$OUT1" "$OUT2"
chown 1 "$OUT1"
chown 2 "$OUT2"
# ~16 s and ~4 s for the 2 MiB: both still running at the move
shim_as 2 graceful-replacement "$OUT2" 128k 2>"$ODM_DIR/curl2.err" &
CURL2=$!
check "uid 2's Graceful-replacement socket claims $MN_ADDR1" \
	wait_for 5 leases_are "$MN_ADDR1,graceful-replacement,2"
check "claimed at ar1 as graceful-replacement" wait_for 2 ar1_type_is graceful-replacement
shim_as 1 session-lasting "$OUT1" 512k 2>"$ODM_DIR/curl1.err" &
CURL1=$!
check "uid 1's Session-lasting socket shares the claim: one lease, uids 2 and 1" \
	wait_for 5 leases_are "$MN_ADDR1,session-lasting,2:1"
echo "leases: $(leases)"
check "ar1 holds one binding for it, native" \
	test "$(odm_anchor_bindings ar1)" = "$MN_ADDR1,$MN_ADDR1,$ODM_NAI"
check "turned session-lasting at ar1 from the link" ar1_type_is session-lasting
check "the agent logged the change of type" \
	grep -q "claim of $MN_ADDR1 is Session-lasting now (uid 1 joins)" "$MN_AGENT_LOG"
check "nobody was refused" bash -c "! grep -q 'REQUIREDIPFAILED' '$ODM_DIR/mon0.json'"

# ------------------------------------------------------------ 2. policy still applies
RC=0
odm_as 3 env -u LD_PRELOAD ODM_SOCKET="$MN_SOCK" "$SETSC" -x -t session-lasting \
	cn2.example.test 80 / 2>"$ODM_DIR/uid3.err" || RC=$?
cat "$ODM_DIR/uid3.err"
check "uid 3: Session-lasting refused by its policy (rc $RC)" \
	grep -q '^setsc session-lasting -> EAI_REQUIREDIPNOTSUPPORTED' "$ODM_DIR/uid3.err"

# ------------------------------------------------------------ 3. the move
sleep 0.5
topo_move ar2
T_MOVE=$(topo_now_ms)
ar1_is() { [[ $(odm_anchor_bindings ar1) == "$1" ]]; }
check "ar1 follows the new CoA $MN_ADDR2" wait_for 3 ar1_is "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"
rc=0
wait "$CURL1" || rc=$?
T1=$(topo_now_ms)
cat "$ODM_DIR/curl1.err"
check "uid 1's download completes (rc $rc), $((T1 - T_MOVE)) ms after the move" \
	test "$rc" -eq 0 -a "$T1" -gt "$T_MOVE"
check "intact" test "$(topo_sha256 "$OUT1")" = "$BIGFILE_SHA256"
check "uid 2's download still runs" kill -0 "$CURL2"
# past the grace period, and past the time uid 1's lease would have ended
# alone (the hand-out grace and a tick), with uid 2's socket still open
t=$((T1 + (ODM_GRACE_S + ODM_TICK_S + 1) * 1000))
((t < T_MOVE + (GRACE + 1) * 1000)) && t=$((T_MOVE + (GRACE + 1) * 1000))
now=$(topo_now_ms)
((t > now)) && sleep "$(((t - now) / 1000)).$(printf '%03d' $(((t - now) % 1000)))"
check "$((t - T_MOVE)) ms after the move, uid 2's download still runs" kill -0 "$CURL2"
check "and ar1 still anchors $MN_ADDR1 for it" \
	test "$(odm_anchor_bindings ar1)" = "$MN_ADDR1,$MN_ADDR2,$ODM_NAI"
check "uid 2 still holds the lease" leases_are "$MN_ADDR1,session-lasting,2:1"
rc=0
wait "$CURL2" || rc=$?
T2=$(topo_now_ms)
cat "$ODM_DIR/curl2.err"
echo "uid 1's curl exited $((T1 - T_MOVE)) ms after the move, uid 2's $((T2 - T_MOVE)) ms after (grace period $GRACE s)"
check "uid 2's Graceful-replacement download completes (rc $rc)" test "$rc" -eq 0
check "intact" test "$(topo_sha256 "$OUT2")" = "$BIGFILE_SHA256"
check "it ran past ar1's grace period: the shared claim is Session-lasting" \
	test $((T2 - T_MOVE)) -gt $((GRACE * 1000))
check "ar1 releases the address once the last socket closed" \
	wait_for $((ODM_GRACE_S + ODM_TICK_S + 3)) ar1_empty
echo "ar1 released $MN_ADDR1 $(($(topo_now_ms) - T2)) ms after the last curl exited"
check "mn holds no lease" wait_for 5 no_lease

# ------------------------------------------------------------ 4. events per user
sleep 0.3
for u in 0 1 2 3; do
	echo "monitor of uid $u: $(/usr/bin/python3 -c '
import collections, json, sys
c = collections.Counter()
for s in open(sys.argv[1]):
    try: c[json.loads(s).get("event")] += 1
    except ValueError: pass
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))' "$ODM_DIR/mon$u.json")"
done
# events MON UID ADDR: 0 when MON saw what UID may see and nothing more
events_ok() {
	/usr/bin/python3 - "$@" <<'EOF'
import json, sys
mon, uid, addr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
evs = []
for s in open(mon):
    try:
        evs.append(json.loads(s))
    except ValueError:
        pass
kinds = lambda k: [e for e in evs if e.get("event") == k]
bad = []
if not kinds("move"):
    bad.append("no move event")
# per-request events: the asker's own only
for k in ("lease-granted", "lease-refused", "fallback"):
    for e in kinds(k):
        if uid != 0 and e.get("uid") != uid:
            bad.append("%s of uid %s" % (k, e.get("uid")))
granted = {e.get("uid") for e in kinds("lease-granted")}
refused = {e.get("uid") for e in kinds("lease-refused")}
want_granted = {0: {1, 2}, 1: {1}, 2: {2}, 3: set()}[uid]
want_refused = {0: {3}, 1: set(), 2: set(), 3: {3}}[uid]
if granted != want_granted:
    bad.append("lease-granted for uids %s, not %s" % (sorted(granted), sorted(want_granted)))
if refused != want_refused:
    bad.append("lease-refused for uids %s, not %s" % (sorted(refused), sorted(want_refused)))
# the shared lease: its holders and root hear of it, nobody else
about = [e for e in evs if e.get("event") not in ("move",) and addr in
         (e.get("addr"), e.get("hnp"))]
ended = [e for e in kinds("lease-ended") if e.get("addr") == addr]
if uid in (0, 1, 2):
    if len(ended) != 1:
        bad.append("%d lease-ended for %s" % (len(ended), addr))
elif about:
    bad.append("%d events about %s: %s" % (len(about), addr, sorted({e["event"] for e in about})))
if uid != 0 and kinds("socket-destroyed"):
    bad.append("socket-destroyed")
if bad:
    print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
}
check "root's monitor saw every user's events" events_ok "$ODM_DIR/mon0.json" 0 "$MN_ADDR1"
check "uid 1's monitor saw its own events, the shared lease's end and the move, nothing of uid 2 or 3" \
	events_ok "$ODM_DIR/mon1.json" 1 "$MN_ADDR1"
check "uid 2's monitor likewise for uid 2" events_ok "$ODM_DIR/mon2.json" 2 "$MN_ADDR1"
check "uid 3's monitor saw its refusal and the move, nothing about $MN_ADDR1's lease" \
	events_ok "$ODM_DIR/mon3.json" 3 "$MN_ADDR1"
check "no sanitizer report in the agents' logs" \
	bash -c "! grep -qE 'Sanitizer|runtime error' '$ODM_DIR'/*-agent.log"
# the agent's own route and rule deletions (a lease ending, a claim back
# on its link) are never taken for someone else's (hostengine.h
# he_route_gone, he_rule_gone)
check "nothing was put back: nobody else deleted a route or rule" \
	bash -c "! grep -q 'deleted by someone else' '$MN_AGENT_LOG'"
check_summary test_claim
