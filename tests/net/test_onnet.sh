#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_onnet.sh - IPV6_REQUIRE_SRC_ON_NET (RFC 8653 §6.2) in the shim, on the
# namespace test network (topo.sh + agents.sh).
#
# tests/shim/onnet_sock.c opens two TCP sockets toward cn.example.test under
# libodm.so (Session-lasting), the second one with or without
# IPV6_REQUIRE_SRC_ON_NET in IPV6_ADDR_PREFERENCES:
#   - without it, both sockets get the same CHoA (one binding at the anchor);
#   - with it, the second socket gets a CHoA of its own (two bindings at the
#     anchor), and getsockopt reports the bit on it and on its dup, together
#     with the RFC 5014 bit set alongside (which reached the kernel), and not
#     on the first socket;
#   - with it on the first socket, the second, ordinary one does not get the
#     first one's fresh CHoA.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/lib/check.sh"
net_need test_onnet "network namespaces, TUN, raw sockets" ip curl nginx named radvd python3 "${CC:-gcc}"

. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_onnet' ERR

topo_up
odm_agents_up
PROG=$ODM_RUNDIR/onnet_sock
"${CC:-gcc}" -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -o "$PROG" "$TOP/tests/shim/onnet_sock.c"

# run MODE - onnet_sock under the shim in the background, its output in
# $ODM_DIR/MODE.out; returns once it printed all five lines (or 15 s passed).
run() {
	local out=$ODM_DIR/$1.out
	rm -f "$ODM_DIR/$1.hold"
	odm_shim_bg "$PROG" cn.example.test "$HTTP_PORT" "$1" "$ODM_DIR/$1.hold" \
		>"$out" 2>"$ODM_DIR/$1.err"
	RUN_PID=$ODM_BG_PID
	wait_for 15 at_least 5 lines_in "$out" || true
}
lines_in() { wc -l <"$1"; }
# field MODE NAME - the value printed on the line "NAME value"
field() { awk -v n="$2" '$1 == n { print $2 }' "$ODM_DIR/$1.out"; }
# finish MODE - let the program close its sockets and exit; its status
finish() {
	local rc=0
	touch "$ODM_DIR/$1.hold"
	wait "$RUN_PID" || rc=$?
	check "onnet_sock $1 exits 0 (rc $rc)" test "$rc" -eq 0
}
no_binding() { [[ $(odm_binding_count) -eq 0 ]]; }

# ---------------------------------------------------------------- 1. reuse
run reuse
A=$(field reuse a) B=$(field reuse b)
echo "reuse: first socket $A, second socket $B"
check "the first socket has a CHoA ($A in $CHA_POOL)" in_prefix "${A:-::}" "$CHA_POOL"
check "the second socket reuses it ($B)" test "$B" = "$A"
check "one binding at the anchor" test "$(odm_binding_count)" -eq 1
PA=$(field reuse prefs-b)
check "no IPV6_REQUIRE_SRC_ON_NET reported without setting it ($PA)" \
	test $((PA & 0x8000)) -eq 0
finish reuse
check "the binding ends after the sockets closed" wait_for 15 no_binding

# ---------------------------------------------------------------- 2. ON_NET
run onnet
A=$(field onnet a) B=$(field onnet b)
echo "onnet: first socket $A, second socket (IPV6_REQUIRE_SRC_ON_NET) $B"
check "the first socket has a CHoA ($A in $CHA_POOL)" in_prefix "${A:-::}" "$CHA_POOL"
check "the second socket has a CHoA ($B in $CHA_POOL)" in_prefix "${B:-::}" "$CHA_POOL"
check "the second socket's CHoA is a fresh one ($A vs $B)" test "$B" != "$A"
NB=$(odm_binding_count)
check "two bindings at the anchor ($NB)" test "$NB" -eq 2
PA=$(field onnet prefs-a) PB=$(field onnet prefs-b) PD=$(field onnet prefs-dup)
echo "getsockopt IPV6_ADDR_PREFERENCES: first $PA, second $PB, its dup $PD"
check "getsockopt reports IPV6_REQUIRE_SRC_ON_NET ($PB)" test $((PB & 0x8000)) -ne 0
check "the dup of the socket reports it too ($PD)" test $((PD & 0x8000)) -ne 0
check "IPV6_PREFER_SRC_PUBLIC set with it reached the kernel ($PB)" test $((PB & 0x2)) -ne 0
check "the first socket does not report it ($PA)" test $((PA & 0x8000)) -eq 0
finish onnet
check "both bindings end after the sockets closed" wait_for 15 no_binding

# ---------------------------------------------------------------- 3. ON_NET first
# The fresh address stays its socket's own: an ordinary socket opened after
# it, in the same process, gets another one (neither the shim's cache of
# held leases nor the agent may hand it on).
run onnetfirst
A=$(field onnetfirst a) B=$(field onnetfirst b)
echo "onnetfirst: first socket (IPV6_REQUIRE_SRC_ON_NET) $A, second socket $B"
check "the fresh socket has a CHoA ($A in $CHA_POOL)" in_prefix "${A:-::}" "$CHA_POOL"
check "the ordinary socket after it has a CHoA ($B in $CHA_POOL)" in_prefix "${B:-::}" "$CHA_POOL"
check "and not the fresh one ($A vs $B)" test "$B" != "$A"
NB=$(odm_binding_count)
check "two bindings at the anchor ($NB)" test "$NB" -eq 2
finish onnetfirst
check "both bindings end after the sockets closed" wait_for 15 no_binding
check "the host agent is still running" kill -0 "$MN_AGENT_PID"

check_summary test_onnet
