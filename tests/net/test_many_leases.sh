#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_many_leases.sh - a host holding hundreds of leases moves. One process
# on mn, under the shim (Session-lasting), opens N TCP connections (default
# 300) to an echo server on cn.example.test, each asking for a fresh address
# (IPV6_REQUIRE_SRC_ON_NET, RFC 8653 §6.2), so the CHA holds N bindings; mn
# then moves to ar2, and every binding is registered again at once.
# Checks: the N Binding Acknowledgements of that burst all reach the agent
# (the kernel dropped none at mn's Mobility Header socket, /proc/net/raw6),
# no re-registration needed a retransmission (each one within 1 s of the
# move), every connection still carries data after the move, and every lease
# and binding ends once the process exits.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
# run-all: alone (N re-registrations must all finish within 1 s of the move)
set -Eeuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_many_leases "network namespaces, TUN, raw sockets" ip named radvd nginx python3
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_many_leases' ERR

N=${ODM_MANY_LEASES:-300}
ECHO_PORT=7200

topo_up
odm_agents_up
# the CHA takes 64 bindings of one identity by default (odmagent.conf(5))
echo "max-bindings $((N + 100))" >>"$ODM_DIR/cha.conf"
odm_ctl cha reload >/dev/null
topo_spawn cn echo "$ODM_DIR/echo.log" /usr/bin/python3 "$HERE/lib/echo.py" "$CN_ADDR" "$ECHO_PORT" 120
topo_wait_listen cn "$ECHO_PORT" 5

# mhdrops - what the kernel dropped at mn's protocol-135 raw socket
mhdrops() { nsq "${1:-mn}" awk 'NR > 1 && $2 ~ /:0087$/ { d += $NF } END { print d + 0 }' /proc/net/raw6; }
# nddrops - packets the kernel dropped while it resolved a neighbour (its
# queue per unresolved neighbour is bounded: unres_qlen_bytes); one line per
# CPU, in hex, the kernel's for all namespaces (this test runs alone)
nddrops() {
	local n=0 v
	for v in $(awk 'NR > 1 { print $12 }' /proc/net/stat/ndisc_cache); do n=$((n + 16#$v)); done
	echo "$n"
}
# softdrops - packets the kernel dropped as a CPU's input backlog was full
# (netdev_max_backlog; /proc/net/softnet_stat, second column, one line per
# CPU, in hex): the veths' way between the namespaces
softdrops() {
	local n=0 v
	for v in $(awk '{ print $2 }' /proc/net/softnet_stat); do n=$((n + 16#$v)); done
	echo "$n"
}
# mnaddrdrops - what mn's kernel received and dropped as not its own or not
# routable (Ip6InAddrErrors + Ip6InNoRoutes, /proc/net/snmp6 of mn's
# namespace): a BA to an address whose local route the kernel had not put
# in place yet would count here
mnaddrdrops() { nsq mn awk '$1 == "Ip6InAddrErrors" || $1 == "Ip6InNoRoutes" { s += $2 } END { print s + 0 }' /proc/net/snmp6; }
# cha_counter NAME - one of the CHA's counters (odmctl status)
cha_counter() { odm_status cha | json "j['counters']['$1']"; }
# sendfails - the host agent's BUs that the kernel refused to send (logged)
sendfails() { tail -n +$((L0 + 1)) "$MN_AGENT_LOG" | grep -c 'BU seq [0-9]* to .*: ' || true; }

# The holder: N connections to cn's echo server, each with a fresh CHoA;
# "up N" once connected, then after GO exists a line through each, "answered
# K", and it holds them until DONE exists (60 s at most).
cat >"$ODM_DIR/holder.py" <<'PY'
import os, socket, sys, time
host, port, n, go, done = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, 72, 0x8000)  # IPV6_ADDR_PREFERENCES: REQUIRE_SRC_ON_NET
    s.connect((host, port))
    socks.append(s)
print("up", len(socks), "addresses", len({s.getsockname()[0] for s in socks}), flush=True)
for _ in range(600):
    if os.path.exists(go):
        break
    time.sleep(0.1)
ok = 0
for s in socks:
    s.settimeout(10)
    try:
        s.sendall(b"ping\n")
        ok += s.recv(64) == b"ping\n"
    except OSError as e:
        print("error", e, flush=True)
print("answered", ok, flush=True)
for _ in range(600):
    if os.path.exists(done):
        break
    time.sleep(0.1)
PY
odm_shim_bg /usr/bin/python3 "$ODM_DIR/holder.py" cn.example.test "$ECHO_PORT" "$N" \
	"$ODM_DIR/go" "$ODM_DIR/done" >"$ODM_DIR/holder.out" 2>"$ODM_DIR/holder.err"
HOLDER=$ODM_BG_PID
up() { grep -q '^up ' "$ODM_DIR/holder.out"; }
check "the process opened its $N connections" wait_for 60 up
cat "$ODM_DIR/holder.out"
check "each with an address of its own" grep -qx "up $N addresses $N" "$ODM_DIR/holder.out"
NB=$(odm_binding_count)
check "$N bindings at the CHA ($NB)" test "$NB" -eq "$N"

B0=$(odm_reg_counter bu_sent) A0=$(odm_reg_counter ba_in) D0=$(mhdrops) N0=$(nddrops) C0=$(mhdrops cha)
S0=$(softdrops) M0=$(mnaddrdrops) R0=$(cha_counter bu_rx) K0=$(cha_counter ba_ok) X0=$(cha_counter dropped)
L0=$(wc -l <"$MN_AGENT_LOG")
topo_move ar2
# done_after_move - lines saying a lease re-registered after the move
done_after_move() { tail -n +$((L0 + 1)) "$MN_AGENT_LOG" | grep -c 're-registered at .* after the move' || true; }
check "all $N leases re-registered after the move" wait_for 10 at_least "$N" done_after_move
B1=$(odm_reg_counter bu_sent) A1=$(odm_reg_counter ba_in) D1=$(mhdrops) N1=$(nddrops) C1=$(mhdrops cha)
S1=$(softdrops) M1=$(mnaddrdrops) R1=$(cha_counter bu_rx) K1=$(cha_counter ba_ok) X1=$(cha_counter dropped)
echo "# the move: $((B1 - B0)) BUs sent ($(sendfails) refused by the kernel), $((R1 - R0)) received by the CHA ($((X1 - X0)) dropped by it), $((K1 - K0)) BAs sent by it, $((A1 - A0)) taken; dropped by the kernel: $((D1 - D0)) at mn's MH socket, $((C1 - C0)) at the CHA's, $((N1 - N0)) waiting for a neighbour, $((S1 - S0)) at a full input backlog, $((M1 - M0)) by mn as not its own"
check "the kernel dropped no Binding Acknowledgement at mn's MH socket ($((D1 - D0)))" \
	test "$((D1 - D0))" -eq 0
SLOW=$(tail -n +$((L0 + 1)) "$MN_AGENT_LOG" | sed -n 's/.* \([0-9]*\) ms since the move.*/\1/p' |
	awk '$1 >= 1000 { n++ } END { print n + 0 }')
check "no re-registration waited for a retransmission ($SLOW took 1 s or more)" test "$SLOW" -eq 0
check "one BU per lease, plus the Fixed one if any ($((B1 - B0)) for $N)" \
	test "$((B1 - B0))" -le $((N + 1))

touch "$ODM_DIR/go"
answered() { grep -q '^answered ' "$ODM_DIR/holder.out"; }
check "the process used every connection after the move" wait_for 60 answered
check "every connection answered ($(sed -n 's/^answered //p' "$ODM_DIR/holder.out") of $N)" \
	grep -qx "answered $N" "$ODM_DIR/holder.out"
touch "$ODM_DIR/done"
wait "$HOLDER" || true
no_binding() { [[ $(odm_binding_count) -eq 0 ]]; }
check "every binding ends after the process exits" wait_for 20 no_binding
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
check "and every lease" wait_for 5 no_lease
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

odm_agents_down
topo_down
check_summary test_many_leases
