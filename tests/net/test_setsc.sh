#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_setsc.sh - the RFC 8653 API (setsc(3)) on the namespace test network
# (topo.sh + agents.sh), through examples/setsc_fetch, a program linked with
# -lodm and run WITHOUT LD_PRELOAD (the agent's default type stays
# non-persistent, no ODM_TYPE):
#   1. setsc(Fixed) is refused with EAI_REQUIREDIPNOTSUPPORTED, and
#      setsc(Session-lasting) without a peer (the host has no anchor of its
#      own here) fails with EAI_REQUIREDIPFAILED; no BU is sent;
#   2. setsc(Non-persistent) returns mn's current access address;
#   3. setsc_to(Session-lasting) toward cn gives a CHoA of the anchor's pool;
#      the program binds it (getsc reports it), connects and downloads BIGFILE
#      across a move (sha256 matches); meanwhile a second socket gets the same
#      CHoA, and one with IPV6_REQUIRE_SRC_ON_NET a different one (two
#      bindings at the anchor);
#   4. host agent stopped: setsc_to() returns EAI_REQUIREDIPFAILED within
#      100 ms, a Non-persistent download works as without ODM, and the
#      example falls back to Non-persistent by itself (RFC 8653 §4).
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_setsc "network namespaces, TUN, raw sockets" ip nginx named radvd python3 openssl

. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_setsc' ERR

PROG=$ODM_BUILD/examples/setsc_fetch
[[ -x $PROG ]] || { echo "SKIP: $PROG not built (make)"; exit 77; }

topo_up
odm_agents_up

# fetch NAME ARGS... - setsc_fetch on mn, linked with -lodm, no LD_PRELOAD;
# stdout in $ODM_DIR/NAME.out, stderr in NAME.err; sets RC.
fetch() {
	local name=$1
	shift
	RC=0
	nsx mn env -u LD_PRELOAD ODM_SOCKET="$MN_SOCK" "$PROG" "$@" \
		>"$ODM_DIR/$name.out" 2>"$ODM_DIR/$name.err" || RC=$?
	cat "$ODM_DIR/$name.err"
}
# answer NAME - what the first setsc call said (an address or EAI_...)
answer() { awk '$1 == "setsc" { print $4; exit }' "$ODM_DIR/$1.err"; }
# took_us NAME - how long that call took, in microseconds
took_us() { awk '$1 == "setsc" { print $6; exit }' "$ODM_DIR/$1.err"; }
SMALL=/
BIG="${BIGFILE_URL_PATH}?rate=40m"

# ---------------------------------------------------------------- 1. refused types
BU0=$(odm_reg_counter bu_sent)
fetch fixed -x -t fixed cn.example.test "$HTTP_PORT" "$SMALL"
check "setsc_to(Fixed) is refused (rc $RC)" test "$RC" -eq 3
check "with EAI_REQUIREDIPNOTSUPPORTED" test "$(answer fixed)" = EAI_REQUIREDIPNOTSUPPORTED
fetch nopeer -x -p -t session-lasting cn.example.test "$HTTP_PORT" "$SMALL"
check "setsc(Session-lasting) without a peer nor an anchor of the host: EAI_REQUIREDIPFAILED" \
	test "$(answer nopeer)" = EAI_REQUIREDIPFAILED
check "the agent logged why it had no anchor for it" \
	grep -q 'session-lasting for uid [0-9]* pid [0-9]*: no anchor for this destination: plain address' "$MN_AGENT_LOG"
check "no BU was sent for them (bu_sent $BU0)" test "$(odm_reg_counter bu_sent)" -eq "$BU0"
check "and no lease exists" test "$(odm_lease_count)" -eq 0

# ---------------------------------------------------------------- 2. Non-persistent
MNA=$(topo_mn_addr)
fetch np -x -p -t non-persistent cn.example.test "$HTTP_PORT" "$SMALL"
check "setsc(Non-persistent) returns mn's access address ($(answer np) = $MNA)" \
	test "$(answer np)" = "$MNA"

# ---------------------------------------------------------------- 3. Session-lasting across a move
ip netns exec "$NS_MN" env -u LD_PRELOAD ODM_SOCKET="$MN_SOCK" "$PROG" \
	cn.example.test "$HTTP_PORT" "$BIG" >"$ODM_DIR/big.out" 2>"$ODM_DIR/big.err" &
BIG_PID=$!
bound() { grep -q '^getsc ->' "$ODM_DIR/big.err"; }
check "the download's socket is bound" wait_for 10 bound
cat "$ODM_DIR/big.err"
CHOA=$(answer big)
check "setsc_to(Session-lasting) gives a CHoA ($CHOA in $CHA_POOL)" in_prefix "${CHOA:-::}" "$CHA_POOL"
check "getsc reports it, Session-lasting" grep -qx "getsc -> session-lasting $CHOA" "$ODM_DIR/big.err"
fetch second -x cn.example.test "$HTTP_PORT" "$SMALL"
check "a second socket gets the same CHoA ($(answer second))" test "$(answer second)" = "$CHOA"
check "one binding at the anchor" test "$(odm_binding_count)" -eq 1
fetch onnet -x -n cn.example.test "$HTTP_PORT" "$SMALL"
FRESH=$(answer onnet)
check "with IPV6_REQUIRE_SRC_ON_NET a CHoA of its own ($FRESH in $CHA_POOL)" \
	in_prefix "${FRESH:-::}" "$CHA_POOL"
check "different from the first ($FRESH vs $CHOA)" test "$FRESH" != "$CHOA"
check "two bindings at the anchor" test "$(odm_binding_count)" -eq 2
check "the download is still running at the move" kill -0 "$BIG_PID"
topo_move ar2
BRC=0
wait "$BIG_PID" || BRC=$?
check "the download across the move completes (rc $BRC)" test "$BRC" -eq 0
SUM=$(topo_sha256 "$ODM_DIR/big.out")
check "the sha256 of the download matches ($SUM)" test "$SUM" = "$BIGFILE_SHA256"
rm -f "$ODM_DIR/big.out"

# ---------------------------------------------------------------- 4. agent down
topo_kill "$MN_AGENT_PID"
MN_AGENT_PID=''
fetch down -x cn.example.test "$HTTP_PORT" "$SMALL"
check "agent down: setsc_to(Session-lasting) is EAI_REQUIREDIPFAILED" \
	test "$(answer down)" = EAI_REQUIREDIPFAILED
echo "setsc_to with the agent down answered in $(took_us down) us"
check "within 100 ms ($(took_us down) us)" test "$(took_us down)" -lt 100000
fetch downnp -t non-persistent cn.example.test "$HTTP_PORT" "$SMALL"
check "a Non-persistent download works without the agent (rc $RC)" test "$RC" -eq 0
check "from mn's new access address" \
	grep -qx "getsc -> non-persistent $(topo_mn_addr)" "$ODM_DIR/downnp.err"
check "and got a body" test -s "$ODM_DIR/downnp.out"
# RFC 8653 §4: refused, the example settles for the current network's address
fetch fallback cn.example.test "$HTTP_PORT" "$SMALL"
check "the example falls back to Non-persistent and downloads (rc $RC)" test "$RC" -eq 0
check "after EAI_REQUIREDIPFAILED" grep -q '^setsc session-lasting -> EAI_REQUIREDIPFAILED' \
	"$ODM_DIR/fallback.err"
check "bound to mn's access address" \
	grep -qx "getsc -> non-persistent $(topo_mn_addr)" "$ODM_DIR/fallback.err"

check_summary test_setsc
