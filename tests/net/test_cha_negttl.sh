#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cha_negttl.sh - an answer that a server has no cha record is kept by
# the shim no longer than the zone's SOA says (RFC 2308 §5: the smaller of
# the SOA's TTL and its MINIMUM). The zone's SOA is updated to MINIMUM 2 s,
# a name neg.<zone> (cn's address) is added without a cha record, and a
# long-lived program (connloop.py: getaddrinfo and a connect every 0.5 s)
# reaches it plainly; then cha.neg is added (an operator putting an anchor
# in front of the server): the program's connects have their CHoA from the
# anchor's pool within 2 s and a little; before, the shim kept the
# negative answer 30 s whatever the zone said, and every connect of those
# 30 s went without an anchor.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_cha_negttl' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_cha_negttl "network namespaces, TUN, raw sockets, BIND9" ip named radvd nginx nsupdate \
	dig python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

NEG_S=2
LOOP_S=14

topo_up
# the zone's server answers (named may still be loading the zone)
soa_serial() { nsq mn dig +time=1 +tries=1 +short @"$DNS_ADDR" SOA "$DNS_ZONE" 2>/dev/null | awk '{ print $3 }' || true; }
serial_is() { test "$(soa_serial)" = "$1"; }
check "the zone's server answers" wait_for 10 serial_is 1
# update LINES... - one signed UPDATE of the zone
update() {
	{
		printf 'server %s\nzone %s\n' "$DNS_ADDR" "$DNS_ZONE"
		printf '%s\n' "$@"
		printf 'send\n'
	} | nsq cn nsupdate -k "$TSIG_KEYFILE"
}
update "update add $DNS_ZONE 30 SOA ns1.$DNS_ZONE. hostmaster.$DNS_ZONE. 2 30 30 600 $NEG_S" \
	"update add neg.$DNS_ZONE 30 AAAA $CN_ADDR"
# the negative answer's TTL, as the server gives it (dig: the SOA's TTL in
# the authority section)
check "the update is in (SOA serial 2)" wait_for 5 serial_is 2
neg_ttl() {
	nsq mn dig +time=1 +tries=2 @"$DNS_ADDR" AAAA "cha.neg.$DNS_ZONE" 2>/dev/null |
		awk '$4 == "SOA" { print $2; exit }' || true
}
NEG_TTL=$(neg_ttl)
check "the server says cha.neg does not exist, for $NEG_S s ($NEG_TTL)" test "$NEG_TTL" = "$NEG_S"
odm_agents_up

odm_connloop "neg.$DNS_ZONE" "$LOOP_S" 0.5
LOG=$LOOP_LOG
# the source of the first connect, and of the first with a CHoA after $1
first_ok() { awk '$2 == "ok" { print $3; exit }' "$LOG"; }
first_choa_after() { awk -v t="$1" -v p="${CHA_POOL%%::*}:" '$1 > t && $2 == "ok" && index($3, p) == 1 { print $1; exit }' "$LOG"; }
have_ok() { test -n "$(first_ok)"; }
check "the program reached neg.$DNS_ZONE" wait_for 10 have_ok
check "plainly, without a CHoA ($(first_ok))" bash -c "! grep -q '^[0-9.]* ok ${CHA_POOL%%::*}:' '$LOG'"
# two connects on the negative answer, then the record appears
sleep 1
update "update add cha.neg.$DNS_ZONE 30 AAAA $CHA_ADDR"
T_ADD=$(date +%s.%N)
has_choa() { test -n "$(first_choa_after "$T_ADD")"; }
wait_for 10 has_choa || true
T_CHOA=$(first_choa_after "$T_ADD")
DELAY=$(python3 -c "print('%.1f' % (float('${T_CHOA:-1e18}') - $T_ADD)) if '$T_CHOA' else print('none')")
kill "$LOOP" 2>/dev/null || true
wait "$LOOP" || true
echo "# the first connect with a CHoA came $DELAY s after cha.neg was added (negative TTL $NEG_S s)"
check "the program's connects have a CHoA within $NEG_S s and 2 more of cha.neg added ($DELAY s)" \
	python3 -c "import sys; sys.exit(0 if '$DELAY' != 'none' and float('$DELAY') <= $NEG_S + 2 else 1)"
check "ODM_DEBUG said no cha first, with the zone's $NEG_S s" \
	grep -q "has no cha (ttl $NEG_S s)" "$ODM_RUNDIR/connloop.err"
check "no sanitizer report in the agents' logs (when built with SAN=1)" odm_agent_logs_clean
check_summary test_cha_negttl
