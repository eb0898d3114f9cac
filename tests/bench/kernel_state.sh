#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/bench/kernel_state.sh - what a binding costs the kernel on a kernel
# tunnel path: one IPv6 /128 route with a seg6 encap.red (RFC 2473 on the
# wire) per binding, as the anchor's kernel backend installs. N such routes
# go into a namespace of their own (nothing else in it); prints "figure"
# lines (tests/bench/figures.sh): bytes of kernel memory (slab + per-cpu)
# per route, and routes installed per second with one ip -batch. Stops at
# the first route the kernel refuses and says how many it took.
# The userspace backend keeps no kernel state per binding (one route for
# the whole pool), so there is no line for it. Needs root.
#   kernel_state.sh [N]
set -euo pipefail
N=${1:-20000}
((EUID == 0)) || { echo "SKIP: kernel_state needs root" >&2; exit 77; }
((N > 0 && N <= 200000)) || { echo "kernel_state: N must be 1..200000" >&2; exit 2; }
NS=odmks$$
TMP=$(mktemp -d)
trap 'ip netns del "$NS" 2>/dev/null || true; rm -rf "$TMP"' EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
# documentation prefixes only: HoAs from 2001:db8:c4a::/64, CoA 2001:db8:1::100
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
	printf "route add 2001:db8:c4a::%x:%x/128 encap seg6 mode encap.red segs 2001:db8:1::100 dev lo\n",
		int(i / 65536), i % 65536 }' >"$TMP/routes"
mem_kb() { awk '/^(Slab|Percpu):/ { s += $2 } END { print s }' /proc/meminfo; }
m0=$(mem_kb)
t0=$(date +%s%N)
ip -n "$NS" -batch "$TMP/routes" >"$TMP/err" 2>&1 || true
t1=$(date +%s%N)
m1=$(mem_kb)
got=$(ip -n "$NS" -6 route show | grep -c encap || true)
if ((got < N)); then
	echo "kernel_state: the kernel took $got of $N seg6 routes: $(tail -n 2 "$TMP/err" | tr '\n' ' ')" >&2
fi
((got > 0)) || exit 1
# Memory is the whole machine's, so others' work moves it too: a figure,
# not a proof; the installation rate is this namespace's alone.
printf 'figure\tkernel memory per binding, seg6 route (%d routes)\t%d\t-\tbytes\t-\n' \
	"$got" $(((m1 - m0) * 1024 / got))
printf 'figure\tseg6 routes installed per second (ip -batch)\t%d\t-\troutes/s\t-\n' \
	$((got * 1000000000 / (t1 - t0)))
echo "kernel_state: $got seg6 encap routes in $(((t1 - t0) / 1000000)) ms, slab+percpu +$((m1 - m0)) kB" >&2
