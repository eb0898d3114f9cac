#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_load.sh - the shim and the host agent under load, on the namespace
# test network: P processes (default 400) on mn each open N connections
# (default 5) to a listener on cn with ODM_TYPE=session-lasting, all started
# together, keep them, then close them. cn has a CHA, so every connection
# must come from a CHoA of the CHA pool: none may go out plain (a typed
# program gets its address or an error), and none may fail.
#
# Reported, never asserted as timings (make bench compares them):
#   connect() of a process that already holds its lease vs plain connect(),
#   p50 and the difference: the non-blocking call itself (what the shim adds)
#   and the time until the connection is up (which adds the tunnel); close()
#   of a leased socket, p50/p99/max; the host agent's CPU time over the run
#   (utime+stime from /proc/PID/stat).
# Bounded: P x N connections, a 120 s limit on each run.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
# run-all: alone (400 processes at once, and the agent's CPU time over the run is reported)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_load "network namespaces, TUN, raw sockets" ip python3 named radvd nginx "${CC:-gcc}"

. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'echo "not ok - test_load.sh line $LINENO: $BASH_COMMAND" >&2' ERR

P=${LOAD_PROCS:-400}
N=${LOAD_CONNS:-5}
PORT=7000
TOTAL=$((P * N))

topo_up
odm_agents_up
"${CC:-gcc}" -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$ODM_DIR/lease_load" \
	"$HERE/../bench/lease_load.c"

# A listener on cn that counts its peers by prefix; it stops after COUNT
# connections and writes "total in_pool" to OUT.
start_listener() { # COUNT OUT
	topo_spawn cn load-listener "$ODM_DIR/listener.log" /usr/bin/python3 -c '
import ipaddress, socket, sys
count, out, pool = int(sys.argv[1]), sys.argv[2], ipaddress.ip_network(sys.argv[3])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[4])))
s.listen(4096)
s.settimeout(120)
total = inpool = 0
try:
    while total < count:
        c, peer = s.accept()
        total += 1
        inpool += ipaddress.ip_address(peer[0]) in pool
        c.close()
finally:
    open(out, "w").write("%d %d\n" % (total, inpool))
' "$1" "$2" "$CHA_POOL" "$PORT"
	LISTENER_PID=$TOPO_SPAWNED_PID
	topo_wait_listen cn "$PORT" 5
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# ---------------------------------------------------------------- 1. plain baseline
# The same client without the shim, to the same listener: what connect() and
# close() cost here without ODM.
# It asserts nothing of ODM: what fails here failed without it (on a loaded
# machine the test network's named may drop some of the burst's queries),
# so it is said, with the kinds of failure, and the figures below are of the
# connections that were made.
start_listener "$TOTAL" "$ODM_DIR/plain.count"
prc=0
timeout 120 ip netns exec "$NS_MN" "$ODM_DIR/lease_load" cn.example.test "$PORT" "$P" "$N" \
	>"$ODM_DIR/plain.out" || prc=$?
wait "$LISTENER_PID" || true
if ((prc)); then
	echo "# the plain baseline, without the shim: rc $prc, $(grep -c ' ERR ' "$ODM_DIR/plain.out" || true) of $TOTAL connections failed:"
	grep ' ERR ' "$ODM_DIR/plain.out" | awk '{ $1 = $2 = ""; print }' | sort | uniq -c | head -5 || true
fi

# ---------------------------------------------------------------- 2. under the shim
start_listener "$TOTAL" "$ODM_DIR/shim.count"
CPU0=$(cpu_ticks "$MN_AGENT_PID")
T0=$(date +%s%N)
rc=0
timeout 120 ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
	ODM_TYPE=session-lasting "$ODM_DIR/lease_load" cn.example.test "$PORT" "$P" "$N" \
	>"$ODM_DIR/shim.out" || rc=$?
T1=$(date +%s%N)
CPU1=$(cpu_ticks "$MN_AGENT_PID")
wait "$LISTENER_PID" || true

check "every client process ran to the end (rc $rc)" test "$rc" -eq 0
read -r SRV_TOTAL SRV_POOL <"$ODM_DIR/shim.count"
echo "cn accepted $SRV_TOTAL connections, $SRV_POOL of them from the CHA pool $CHA_POOL"
check "cn accepted all $TOTAL connections ($SRV_TOTAL)" test "$SRV_TOTAL" -eq "$TOTAL"
check "every connection cn saw came from a CHoA ($SRV_POOL of $SRV_TOTAL)" \
	test "$SRV_POOL" -eq "$SRV_TOTAL"
ERRS=$(grep -c ' ERR ' "$ODM_DIR/shim.out" || true)
check "no connect() failed under load ($ERRS failed)" test "$ERRS" -eq 0
grep ' ERR ' "$ODM_DIR/shim.out" | sort | uniq -c | head -5 || true
PLAINSRC=$(awk 'NF == 6 { print $5 }' "$ODM_DIR/shim.out" | /usr/bin/python3 -c '
import ipaddress, sys
pool = ipaddress.ip_network(sys.argv[1])
print(sum(1 for a in sys.stdin.read().split() if ipaddress.ip_address(a) not in pool))' "$CHA_POOL")
check "no client socket was bound to anything but a CHoA ($PLAINSRC were)" test "$PLAINSRC" -eq 0
check "the agent logged no refused control connection" \
	bash -c "! grep -q 'refusing a control connection' '$MN_AGENT_LOG'"

# ---------------------------------------------------------------- 3. figures
# Columns: 3 connect() call ns, 4 close ns, 6 ns until connected;
# connections after a process's first one find its lease held.
/usr/bin/python3 - "$ODM_DIR/plain.out" "$ODM_DIR/shim.out" "$P" "$N" \
	"$(((CPU1 - CPU0) * 1000 / $(getconf CLK_TCK)))" "$(((T1 - T0) / 1000000))" \
	>"$ODM_DIR/figures" <<'PY'
import sys
def rows(path):
    out = []
    for line in open(path):
        f = line.split()
        if len(f) == 6:
            out.append((int(f[1]), int(f[2]), int(f[3]), int(f[5])))
    return out
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else 0
plain, shim = rows(sys.argv[1]), rows(sys.argv[2])
def p50(rs, col, held):
    return pct([r[col] for r in rs if (r[0] > 0) == held], .5) / 1000
pc, sc = p50(plain, 1, True), p50(shim, 1, True)
pu, su = p50(plain, 3, True), p50(shim, 3, True)
cl = [r[2] for r in shim]
print("load_procs %s conns %s" % (sys.argv[3], sys.argv[4]))
print("connect_held_p50_us %.1f plain_p50_us %.1f added_us %.1f" % (sc, pc, sc - pc))
print("connected_held_p50_us %.1f plain_p50_us %.1f (tunnel path vs direct)" % (su, pu))
print("connect_first_p50_us %.1f connected_first_p50_us %.1f" % (
    p50(shim, 1, False), p50(shim, 3, False)))
print("close_p50_us %.1f p99_us %.1f max_us %.1f plain_p99_us %.1f" % (
    pct(cl, .5) / 1000, pct(cl, .99) / 1000, max(cl or [0]) / 1000,
    pct([r[2] for r in plain], .99) / 1000))
print("agent_cpu_ms %s wall_ms %s" % (sys.argv[5], sys.argv[6]))
PY
sed 's/^/# /' "$ODM_DIR/figures"
[[ -n ${LOAD_FIGURES:-} ]] && cp "$ODM_DIR/figures" "$LOAD_FIGURES"

# ---------------------------------------------------------------- 4. release
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
check "the host agent drops the lease once every socket is closed" wait_for 6 no_lease

check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_load
