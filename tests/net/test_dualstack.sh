#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_dualstack.sh - ODM's addresses are IPv6, the host is dual-stack: what
# the shim and the agent do with IPv4 and with names that have both A and
# AAAA records (example.test: cn4 A only, cnds A and AAAA, cnds4 A and AAAA
# with a cha.cnds4 of an A record only).
#
#   1. getaddrinfo under the shim (ODM_TYPE unset, session-lasting,
#      non-persistent) gives what libc gives, in its order, for every family
#      (AF_UNSPEC, AF_INET, AF_INET6) and AI_ADDRCONFIG, AI_V4MAPPED,
#      AI_V4MAPPED|AI_ALL: the shim adds, drops and reorders nothing.
#   2. IPv4 destinations (an A-only name, a literal, a v4-mapped literal)
#      under ODM_TYPE=session-lasting go plain from the IPv4 address of the
#      link, ODM_DEBUG saying so, no lease taken (odm(7) CAVEATS); the cha of
#      an A-only name is never asked for; a cha with an A record only is no
#      Corresponding Home Agent (plain IPv6, no error), under a short name
#      too; a program that tries a name's addresses in turn (curl) goes on
#      to IPv4, plain, when the shim fails its IPv6 connect.
#   3. A move with an IPv4 and an IPv6 (Session-lasting, through the CHA)
#      download open: the IPv4 one is not ended while its address stays on
#      the host (the kernel keeps an IPv4 address on a link that went down);
#      once it goes (a DHCP client takes it off at the link's loss) the agent
#      ends its TCP socket as a Non-persistent one's (curl fails at once, not
#      at its timeout), and the IPv6 one completes intact.
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_dualstack "network namespaces, TUN, raw sockets" ip ss curl nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-64}
# from the IPv4 address's removal to curl's exit (test_nonpersistent's bound)
ABORT_BOUND_MS=${ABORT_BOUND_MS:-1000}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_dualstack' ERR

topo_up
odm_agents_up
echo "agents up; mn: $(topo_mn_addr) and $MN_ADDR4_1 on ar1's link"

# shim_as TYPE CMD... - CMD on mn under the shim, ODM_TYPE=TYPE ('' unset)
shim_as() {
	local t=$1
	shift
	nsx mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ${t:+ODM_TYPE=$t} "$@"
}

# ---------------------------------------------------------------- 1. getaddrinfo
# every family and flag a program may ask with, each answer in libc's order
GAI_PY='
import socket, sys
fams = (("UNSPEC", socket.AF_UNSPEC), ("INET", socket.AF_INET), ("INET6", socket.AF_INET6))
flags = (("0", 0), ("ADDRCONFIG", socket.AI_ADDRCONFIG), ("V4MAPPED", socket.AI_V4MAPPED),
         ("V4MAPPED|ALL", socket.AI_V4MAPPED | socket.AI_ALL))
for name in sys.argv[1:]:
    for fn, f in fams:
        for gn, g in flags:
            try:
                r = [a[4][0] for a in socket.getaddrinfo(name, 80, f, socket.SOCK_STREAM, 0, g)]
            except socket.gaierror as e:
                r = ["error %d" % e.errno]
            print(name, fn, gn, " ".join(r))
'
NAMES=(cn4.example.test cn.example.test cnds.example.test cnds4.example.test cnds)
nsx mn /usr/bin/python3 -c "$GAI_PY" "${NAMES[@]}" >"$ODM_DIR/gai.libc"
echo "libc's answers: $(wc -l <"$ODM_DIR/gai.libc") lookups, e.g.:"
grep -E '^cnds.example.test (UNSPEC 0|INET6 V4MAPPED\|ALL) ' "$ODM_DIR/gai.libc"
check "libc gives cnds both, AAAA first, and v4-mapped A with AI_V4MAPPED|AI_ALL" \
	grep -qx "cnds.example.test INET6 V4MAPPED|ALL $CN_ADDR ::ffff:$CN_ADDR4" "$ODM_DIR/gai.libc"
for t in '' session-lasting non-persistent; do
	shim_as "$t" /usr/bin/python3 -c "$GAI_PY" "${NAMES[@]}" >"$ODM_DIR/gai.shim$t"
	check "under the shim (ODM_TYPE '${t:-unset}') getaddrinfo answers as libc does, in its order" \
		cmp -s "$ODM_DIR/gai.libc" "$ODM_DIR/gai.shim$t"
done

# ---------------------------------------------------------------- 2. IPv4 destinations
topo_start_nginx cn >/dev/null
# curl_as TYPE URL [CURL ARGS...] - "remote local code" of one request, its
# stderr (ODM_DEBUG's lines) in $ODM_DIR/curl.err
curl_as() {
	local t=$1 url=$2
	shift 2
	shim_as "$t" env ODM_DEBUG=1 curl -sS --max-time 10 -o /dev/null "$@" \
		-w '%{remote_ip} %{local_ip} %{http_code}' "$url" 2>"$ODM_DIR/curl.err" || true
}
for url in http://cn4.example.test/ "http://$CN_ADDR4/" "http://[::ffff:$CN_ADDR4]/"; do
	out=$(curl_as session-lasting "$url")
	echo "session-lasting $url: $out"
	read -r _ src code <<<"$out"
	check "$url under session-lasting: answered (HTTP $code) from the link's IPv4 address ($src)" \
		test "$code" = 200 -a "${src#::ffff:}" = "$MN_ADDR4_1"
	check "ODM_DEBUG says the IPv4 destination went plain" \
		grep -q "IPv4, no address type applies (ODM's addresses are IPv6): plain" "$ODM_DIR/curl.err"
	check "the cha of an IPv4 destination is not asked for" \
		bash -c "! grep -q 'cha\\.' '$ODM_DIR/curl.err'"
done
check "no lease was taken for IPv4 destinations" test "$(odm_lease_count)" -eq 0

out=$(curl_as session-lasting http://cnds4.example.test/ -6)
echo "session-lasting cnds4 (cha has an A record only): $out"
read -r _ src code <<<"$out"
check "a cha with an A record only is no CHA: HTTP $code over IPv6 from the access address $src" \
	same_addr "$src" "$(topo_mn_addr)"
check "ODM_DEBUG says cha.cnds4.example.test is absent" \
	grep -q "cha.cnds4.example.test absent" "$ODM_DIR/curl.err"
# the same as a short name (the search list): libc resolves
# cnds4.example.test, and cha.cnds4 as it is, asked after
# cha.cnds4.example.test, is refused by this DNS (it serves its zone only):
# the "no such record" under the first name is the answer, as res_search(3)
# gives it, not the refusal (no answer: EADDRNOTAVAIL for a program that
# named its type, curl -6 failing, curl going over IPv4 plain)
out=$(curl_as session-lasting http://cnds4/ -6)
echo "session-lasting cnds4 as a short name: $out"
read -r _ src code <<<"$out"
check "as a short name too: HTTP $code over IPv6 from the access address $src" \
	test "$code" = 200 -a "$(same_addr "${src:-::}" "$(topo_mn_addr)" && echo y)" = y
check "ODM_DEBUG says cha.cnds4 is absent" grep -q "cha.cnds4 absent" "$ODM_DIR/curl.err"

# A program that tries a name's addresses in turn (curl) takes the A
# record when the shim fails its IPv6 connect (fixed: this host has no home
# anchor): plain IPv4 whatever its type, ODM_DEBUG saying both (odm(7)
# CAVEATS); asked for IPv6 alone, it gets the error
out=$(curl_as fixed http://cnds.example.test/)
echo "fixed, no home anchor, cnds: $out"
read -r dst src code <<<"$out"
check "curl went on to the A record: HTTP $code from $src to $dst" \
	test "$code" = 200 -a "$dst" = "$CN_ADDR4" -a "$src" = "$MN_ADDR4_1"
check "ODM_DEBUG says the IPv6 connect failed with EADDRNOTAVAIL" \
	grep -q "connect fd [0-9]* -> $CN_ADDR: .*failing with EADDRNOTAVAIL" "$ODM_DIR/curl.err"
check "and that the IPv4 one went plain" grep -q "$CN_ADDR4: IPv4, no address type" "$ODM_DIR/curl.err"
out=$(curl_as fixed http://cnds.example.test/ -6)
check "with curl -6 the type holds: no answer (HTTP ${out##* })" test "${out##* }" = 000

# ---------------------------------------------------------------- 3. a move, IPv4 and IPv6 open
V4_OUT=$ODM_DIR/v4.bin V4_END=$ODM_DIR/v4.end
bg_timed "$V4_END" "$ODM_DIR/v4.log" shim_as session-lasting curl -4 -sS --max-time 30 \
	-o "$V4_OUT" "http://cnds.example.test${BIGFILE_URL_PATH}?rate=2m"
V6_OUT=$ODM_DIR/v6.bin
odm_shim_bg curl -6 -sS --max-time 120 -o "$V6_OUT" \
	"http://cnds.example.test${BIGFILE_URL_PATH}?rate=8m" >"$ODM_DIR/v6.log" 2>&1
V6_PID=$ODM_BG_PID
check "the IPv6 download holds a lease through the CHA" wait_for 10 odm_has_lease
CHOA=$(odm_lease_addr)
v4_on_link() { grep -q . <<<"$(nsq mn ss -Htn state established "src $MN_ADDR4_1 and dst $CN_ADDR4")"; }
check "the IPv4 download's socket is on $MN_ADDR4_1" wait_for 10 v4_on_link
started() { [[ -f $V4_OUT && $(stat -c %s "$V4_OUT") -gt $((512 * 1024)) &&
	-f $V6_OUT && $(stat -c %s "$V6_OUT") -gt $((1024 * 1024)) ]]; }
check "both downloads are under way" wait_for 20 started

topo_move ar2
# the kernel keeps the IPv4 address on the downed link: the host has it,
# and a socket on it may live on should the host come back
sleep 0.5
check "while $MN_ADDR4_1 stays on the host, its download is not ended" \
	test ! -s "$V4_END"
check "nor does the agent say it vanished" \
	bash -c "! grep -q 'address $MN_ADDR4_1 vanished' '$MN_AGENT_LOG'"
T_DEL=$(date +%s%N)
nsx mn ip -4 addr del "$MN_ADDR4_1/24" dev "$MN_IF1"
# curl's own limit is 30 s: a socket the agent missed ends with rc 28 here
bg_timed_end "$V4_END" 35 "$T_DEL"
V4_RC=$BG_RC ABORT_MS=$BG_MS
echo "IPv4 download: curl rc $V4_RC ($(head -c 200 "$ODM_DIR/v4.log")), ${ABORT_MS} ms after its address went"
check "curl's IPv4 download failed (rc $V4_RC), not by its own timeout (28)" \
	test "$V4_RC" != none -a "$V4_RC" != 0 -a "$V4_RC" != 28
check "it failed within ${ABORT_BOUND_MS} ms of its address's removal (${ABORT_MS} ms)" \
	test "$ABORT_MS" -ge 0 -a "$ABORT_MS" -le "$ABORT_BOUND_MS"
check "the agent logged the destroyed socket of $MN_ADDR4_1" \
	grep -qE "address $MN_ADDR4_1 vanished: 1 TCP socket destroyed" "$MN_AGENT_LOG"
check "no TCP socket is left on $MN_ADDR4_1" test -z "$(nsq mn ss -Htn "src $MN_ADDR4_1")"
rc=0
wait "$V6_PID" || rc=$?
check "the Session-lasting IPv6 download survived the move (rc $rc)" test "$rc" -eq 0
check "its sha256 matches" test "$(topo_sha256 "$V6_OUT")" = "$BIGFILE_SHA256"
check "the lease address $CHOA was never a victim" \
	bash -c "! grep -q 'address $CHOA vanished' '$MN_AGENT_LOG'"
check "the host agent is still running" kill -0 "$MN_AGENT_PID"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

echo "summary: IPv4 TCP ended ${ABORT_MS} ms after its address went (bound ${ABORT_BOUND_MS} ms), move ${TOPO_MOVE_MS} ms"
check_summary test_dualstack
