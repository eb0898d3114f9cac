#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ctlshare.sh - one user cannot lock the others out of the host agent's
# control socket (odmagent(8), Fair shares). On the namespace test network,
# with mn's control socket open to the group nogroup:
#   1. nobody (uid 65534) opens control connections until the agent says
#      EBUSY, and keeps them alive: it gets its share (256) and no more, and
#      the agent logs the refusal; its odmctl then says EBUSY and why, and
#      so does its event subscription (odm_events(3): odm_events_fd() or
#      the first odm_event_read(), tests/shim/events_once.c);
#   2. meanwhile root, and another user (daemon, uid 1), run a program under
#      the shim with ODM_TYPE=session-lasting: each connection gets a CHoA;
#   3. nobody stops talking: the agent closes its idle connections within
#      the idle time (10 s) plus a check period;
#   4. more of nobody's processes at once than its share, each holding a
#      connection after its lease was answered: with a share of 8 (the
#      agent held to 224 open files), 12 programs under the shim all get
#      their CHoA, the last ones in the place of the first ones' control
#      connections, spare since their answer. Before, those 4 waited out
#      the shim's 4 s and their connect() failed with EADDRNOTAVAIL while
#      the first 8, answered, held the share to the idle time;
#   5. the limit on open files (odmagent(8), Fair shares): started with a
#      soft limit of 1024 the agent raises it to 4096 where the hard limit
#      allows; held to 1024, it serves the 832 connections that fit beside
#      its own files and refuses the next with EBUSY (not a reset), and
#      with root holding all 832 it still handles a move (a program's
#      lease follows mn to ar2).
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_ctlshare "network namespaces, other uids" ip python3 setpriv prlimit named radvd nginx "${CC:-gcc}"
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
"${CC:-gcc}" -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$HERE/../../include" \
	-o "$BIN/events_once" "$HERE/../shim/events_once.c" -L"$ODM_BUILD" -lodm \
	-Wl,-rpath,"$ODM_BUILD"
chmod 0755 "$BIN/lease_load" "$BIN/events_once"
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
# nobody's own odmctl, one past the share, hears why (not "no answer")
odm_as 65534 "$ODM_BUILD/odmctl" -s "$MN_SOCK" status >/dev/null 2>"$BIN/busy.err" || true
cat "$BIN/busy.err"
check "nobody's odmctl past its share is told EBUSY and why" \
	grep -q 'status: EBUSY: the user holds its whole share' "$BIN/busy.err"
# and a program of nobody's that subscribes to the events (odm_events(3))
# is told EBUSY too, by odm_events_fd() or by its first odm_event_read()
# (whichever the agent's refusal reaches first), not a hang-up that says
# "the agent went away, subscribe again" (EPIPE) or "nothing" for ever
odm_as 65534 env ODM_SOCKET="$MN_SOCK" "$BIN/events_once" 2000 >"$BIN/events.out" 2>&1 || true
check "nobody's event subscription past its share is told EBUSY ($(cat "$BIN/events.out"))" \
	grep -qxE '(fd|read) EBUSY' "$BIN/events.out"

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
# another user's status shows its own leases, not root's (nor their pids)
SEEN=$(odm_as 1 "$ODM_BUILD/odmctl" -s "$MN_SOCK" -j status |
	json 'sorted(set(l.get("uid", "agent") for l in j["leases"]))' || true)
echo "uid 1 sees the leases of: $SEEN"
check "uid 1's status lists its own leases, not root's ($SEEN)" test "$SEEN" = "[1]"
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

# ---------------------------------------------------------------- 4. more processes than the share
# 224 open files leave 32 connections beside the agent's own 192, and a
# user a quarter of them: 8. Twelve of nobody's programs each keep their
# connection 5 s, longer than the shim tries for a lease (4 s).
topo_kill "$MN_AGENT_PID"
ODM_AGENT_WRAP="prlimit --nofile=224:224" odm_agent_start mn
check "an agent held to 224 open files serves 32 control connections" \
	grep -q 'limit on open files (224, hard 224) leaves room for 32 control connections' "$MN_AGENT_LOG"
cat >"$BIN/hold1.py" <<'EOP'
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except OSError as e:
    print("ERR", e.errno, flush=True)
    sys.exit(1)
print(s.getsockname()[0], flush=True)
time.sleep(5)
EOP
pids=()
for i in $(seq 1 12); do
	odm_as 65534 "${shim_env[@]}" /usr/bin/python3 "$BIN/hold1.py" cn.example.test 80 >"$BIN/hold1-$i.out" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
cat "$BIN"/hold1-*.out | sort | uniq -c | sed 's/^/# /'
check "12 of nobody's programs at once, its share 8: all held their connection ($fails failed)" \
	test "$fails" -eq 0
check "...each from a CHoA" /usr/bin/python3 -c '
import ipaddress, sys
pool = ipaddress.ip_network(sys.argv[1])
sys.exit(0 if all(ipaddress.ip_address(open(f).read().strip()) in pool for f in sys.argv[2:]) else 1)' \
	"$CHA_POOL" "$BIN"/hold1-*.out

# ---------------------------------------------------------------- 5. the limit on open files
# systemd starts a service with a soft limit of 1024 open files. The agent
# takes it up to what it needs (4096) where the hard limit allows; under a
# hard limit of 1024 it serves what fits beside its own files (832) and
# refuses the rest with EBUSY, so it never runs out: a move is still
# handled while every slot is taken.
topo_kill "$MN_AGENT_PID"
nofile() { awk '/^Max open files/ { print $4 "/" $5 }' "/proc/$1/limits"; }
ODM_AGENT_WRAP="prlimit --nofile=1024:8192" odm_agent_start mn
check "an agent started with 1024 of 8192 open files takes 4096 ($(nofile "$MN_AGENT_PID"))" \
	test "$(nofile "$MN_AGENT_PID")" = 4096/8192
topo_kill "$MN_AGENT_PID"
: >"$MN_AGENT_LOG"
ODM_AGENT_WRAP="prlimit --nofile=1024:1024" odm_agent_start mn
check "an agent held to 1024 open files says how many connections fit" \
	grep -q 'limit on open files (1024, hard 1024) leaves room for 832 control connections, not 1024' "$MN_AGENT_LOG"
odm_udp_sink 7790
odm_udp_holder 7790 60 0.1
has_udp_binding() { [[ $(odm_binding_count) -ge 1 ]]; }
check "a program under the shim holds a lease" wait_for 10 has_udp_binding
touch "$KEEP"
: >"$STATE"
topo_spawn mn ctlholder "$BIN/root-holder.log" /usr/bin/python3 "$HERE/lib/ctlholder.py" "$MN_SOCK" "$STATE" "$KEEP"
HOLDER_PID=$TOPO_SPAWNED_PID
check "root has opened what it may" wait_for 30 holding
read -r _ HELD _ HOW < <(grep '^held' "$STATE")
echo "root holds $HELD control connections; the next one ended by $HOW"
# (the program under the shim holds one of the 832 itself, unless it has
# been idle long enough to be closed)
check "root holds the 832 that fit, less the shim's own, and the next is refused with EBUSY ($HELD, $HOW)" \
	test "$HELD" -ge 831 -a "$HELD" -le 832 -a "$HOW" = EBUSY
topo_move ar2
COA2=$(topo_mn_addr)
check "with every slot taken the agent still handles a move: the binding follows to $COA2" \
	wait_for 5 odm_bindings_at "$COA2"
check "the agent logged no failure to open a file" bash -c "! grep -qE 'Too many open files|EMFILE' '$MN_AGENT_LOG'"
rm -f "$KEEP"
topo_kill "$HOLDER_PID"
topo_kill "$ODM_UDP_HOLDER"

check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_ctlshare
