#!/usr/bin/env bash
# tests/bench/run.sh - ODM's benchmarks, each a ratio of two things measured
# side by side in one run on the namespace test network:
#   1. getaddrinfo with the shim's parallel cha.<host> lookup vs plain libc,
#      for a name with a cha record (cn) and one without (cn2);
#   2. socket()+connect()+close() of a non-persistent socket: shim vs libc;
#   3. TCP throughput mn -> cn and cn -> mn: through the CHA tunnel vs direct.
# Needs root (namespaces). Bounded: fixed counts and iperf3 -t.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NET=$HERE/../net
if ((EUID != 0)); then
	echo "SKIP: the benchmarks need root (network namespaces)"
	exit 77
fi
. "$NET/lib/topo.sh"
. "$NET/lib/agents.sh"
ROUNDS=${BENCH_ROUNDS:-15}
CONNECTS=${BENCH_CONNECTS:-2000}
SECS=${BENCH_SECS:-5}

BIN=$ODM_BUILD/bench
mkdir -p "$BIN"
cc -O2 -Wall -Wextra -Werror -o "$BIN/gai_time" "$HERE/gai_time.c"
cc -O2 -Wall -Wextra -Werror -o "$BIN/connect_time" "$HERE/connect_time.c"

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

topo_up >/dev/null
odm_agents_up
echo "== ODM benchmarks (run $ODM_RUNID; medians; ratio = with ODM / without)"

# 1. getaddrinfo: alternate plain and shim runs so drift hits both alike.
for name in cn.example.test cn2.example.test; do
	: >"$ODM_DIR/gai-plain" && : >"$ODM_DIR/gai-shim"
	for ((i = 0; i < ROUNDS; i++)); do
		nsq mn "$BIN/gai_time" "$name" >>"$ODM_DIR/gai-plain"
		nsq mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
			ODM_TYPE=session-lasting "$BIN/gai_time" "$name" >>"$ODM_DIR/gai-shim"
	done
	p=$(median <"$ODM_DIR/gai-plain")
	s=$(median <"$ODM_DIR/gai-shim")
	printf 'getaddrinfo %-18s plain %6d us  shim+cha %6d us  added %6d us  ratio %s\n' \
		"$name" "$p" "$s" "$((s - p))" "$(ratio "$s" "$p")"
done

# 2. connect() of a non-persistent socket to a listener on mn's own address.
MNA=$(topo_mn_addr)
topo_spawn mn bench-listener "$ODM_DIR/listener.log" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9999)); s.listen(4096)
for _ in range(int(sys.argv[2])):
    c, _ = s.accept(); c.close()
' "$MNA" $((CONNECTS * 2 * 3 + 10))
LPID=$TOPO_SPAWNED_PID
topo_wait_listen mn 9999 5
: >"$ODM_DIR/conn-plain" && : >"$ODM_DIR/conn-shim"
for ((i = 0; i < 3; i++)); do
	nsq mn "$BIN/connect_time" "$MNA" 9999 "$CONNECTS" >>"$ODM_DIR/conn-plain"
	nsq mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		"$BIN/connect_time" "$MNA" 9999 "$CONNECTS" >>"$ODM_DIR/conn-shim"
done
topo_kill "$LPID"
p=$(median <"$ODM_DIR/conn-plain")
s=$(median <"$ODM_DIR/conn-shim")
printf 'connect non-persistent      plain %6d ns  shim     %6d ns  added %6d ns  ratio %s\n' \
	"$p" "$s" "$((s - p))" "$(ratio "$s" "$p")"

# 3. Throughput through the tunnel vs the direct path, same run.
iperf_mbps() { # iperf_mbps [iperf3 args...] -> Mbit/s received
	nsq mn "$@" -J | /usr/bin/python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))'
}
for dir in up down; do
	rev=()
	[[ $dir == down ]] && rev=(-R)
	topo_start_iperf cn >/dev/null
	d=$(iperf_mbps iperf3 -6 -c "$CN_ADDR" -t "$SECS" "${rev[@]}")
	topo_start_iperf cn >/dev/null
	t=$(iperf_mbps env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		ODM_TYPE=session-lasting iperf3 -6 -c cn.example.test -t "$SECS" "${rev[@]}")
	backend=$(odm_status mn | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("tunnel", {}).get("backend", "?"))')
	printf 'tcp %-4s (mn%scn)         direct %6d Mbit/s  tunnel (%s) %6d Mbit/s  ratio %s\n' \
		"$dir" "$([[ $dir == up ]] && echo '->' || echo '<-')" "$d" "$backend" "$t" "$(ratio "$t" "$d")"
done
echo "== done"
