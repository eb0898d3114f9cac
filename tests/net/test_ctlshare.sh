#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ctlshare.sh - one user cannot lock the others out of the host agent's
# control socket (odmagent(8), Fair shares). On the namespace test network,
# with mn's control socket open to the group nogroup:
#   1. nobody (uid 65534) opens control connections until the agent says
#      EBUSY, and keeps them alive: it gets its share (256) and no more, and
#      the agent logs the refusal;
#   2. meanwhile root, and another user (daemon, uid 1), run a program under
#      the shim with ODM_TYPE=session-lasting: each connection gets a CHoA;
#   3. nobody stops talking: the agent closes its idle connections within
#      the idle time (10 s) plus a check period.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_ctlshare "network namespaces, other uids" ip python3 setpriv named radvd nginx "${CC:-gcc}"
getent group nogroup >/dev/null || { echo "SKIP: no group nogroup"; exit 77; }

. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'echo "not ok - test_ctlshare.sh line $LINENO: $BASH_COMMAND" >&2' ERR

SHARE=256 IDLE_S=10
export ODM_CTL_GROUP=nogroup
topo_up
odm_agents_up
# the client and its output where the other users can reach them
BIN=$ODM_RUNDIR/ctl
"${CC:-gcc}" -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$BIN/lease_load" \
	"$HERE/../bench/lease_load.c"
chmod 0755 "$BIN/lease_load"
STATE=$BIN/holder.state KEEP=$BIN/holder.keep
touch "$KEEP"
: >"$STATE"
chmod 0666 "$STATE"


# ---------------------------------------------------------------- 1. nobody takes its share
topo_spawn mn ctlholder "$BIN/holder.log" setpriv --reuid=65534 --regid=nogroup --clear-groups \
	/usr/bin/python3 "$HERE/lib/ctlholder.py" "$MN_SOCK" "$STATE" "$KEEP"
HOLDER_PID=$TOPO_SPAWNED_PID
holding() { grep -q '^held' "$STATE"; }
check "nobody has opened what it may" wait_for 30 holding
HELD=$(awk '/^held/ { print $2 }' "$STATE")
echo "nobody holds $HELD control connections"
check "nobody's share is $SHARE connections ($HELD)" test "$HELD" -eq "$SHARE"
check "the agent logged refusing uid 65534" \
	grep -q 'refusing a control connection of uid 65534 .*holds its whole share' "$MN_AGENT_LOG"

# ---------------------------------------------------------------- 2. root and uid 1 are served
# lease_load prints "<child> <i> <connect ns> <close ns> <source>" per connection.
leased_from_pool() { # FILE -> 0 when every line is a connection from the CHA pool
	[[ -s $1 ]] && ! grep -q ' ERR ' "$1" &&
		awk '{ print $5 }' "$1" | /usr/bin/python3 -c '
import ipaddress, sys
pool = ipaddress.ip_network(sys.argv[1])
addrs = sys.stdin.read().split()
sys.exit(0 if addrs and all(ipaddress.ip_address(a) in pool for a in addrs) else 1)' "$CHA_POOL"
}
shim_env=(env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=session-lasting)
nsx mn "${shim_env[@]}" "$BIN/lease_load" cn.example.test 80 2 3 >"$BIN/root.out" || true
check "root gets CHoAs while nobody holds its share" leased_from_pool "$BIN/root.out"
odm_as 1 "${shim_env[@]}" "$BIN/lease_load" cn.example.test 80 2 3 >"$BIN/daemon.out" || true
check "uid 1 gets CHoAs while nobody holds its share" leased_from_pool "$BIN/daemon.out"
OWNERS=$(odm_status mn | json 'sorted(set(l["uid"] for l in j["leases"]))' || true)
echo "lease owners now: $OWNERS"
check "nobody's holder is still there, holding" kill -0 "$HOLDER_PID"

# ---------------------------------------------------------------- 3. idle connections end
rm -f "$KEEP"
closed() { grep -q '^closed' "$STATE"; }
check "nobody's holder finished watching" wait_for $((IDLE_S + 25)) closed
read -r _ CLOSED _ SECS _ < <(grep '^closed' "$STATE")
echo "the agent closed $CLOSED of nobody's $HELD idle connections, the last after ${SECS}s"
check "every idle connection was closed ($CLOSED of $HELD)" test "$CLOSED" -eq "$HELD"
check "...within the idle time plus one check period ($SECS s)" \
	/usr/bin/python3 -c "import sys; sys.exit(0 if float('$SECS') <= $IDLE_S + 2 else 1)"
topo_kill "$HOLDER_PID"

check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_ctlshare
