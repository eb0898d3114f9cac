#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cha_ttl.sh - a running program follows its server's cha record as
# it changes, within the TTLs the zone gives, not the shim's own. The
# zone's SOA is updated to MINIMUM 2 s and a name neg.<zone> (cn's
# address) added without a cha record; a long-lived program
# (connloop.py: getaddrinfo and a connect every 0.5 s) reaches it plainly.
#   1. cha.neg is added (TTL 2 s: an operator putting an anchor in front of
#      the server): the program's connects have their CHoA from the
#      anchor's pool within 2 s of the negative answer (RFC 2308 §5: the
#      smaller of the SOA's TTL and its MINIMUM) and a little; before, the
#      shim kept the negative answer 30 s whatever the zone said;
#   2. cha.neg is deleted (the anchor withdrawn): the connects go plain
#      within its 2 s and a little; before, the shim kept a record at
#      least 10 s whatever its TTL;
#   3. cha.neg is added again, then mn's DNS queries are dropped (neg in
#      mn's hosts file, so that getaddrinfo still answers): once the
#      record's TTL has run out, the lookups get no answer, and the last
#      answer is served stale (RFC 8767): every connect keeps its CHoA;
#      before, each connect from then on failed with EADDRNOTAVAIL (the
#      program names its type) until the DNS answered again.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_cha_ttl' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_cha_ttl "network namespaces, TUN, raw sockets, BIND9" ip named radvd nginx nsupdate \
	dig python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

NEG_S=2 REC_S=2
LOOP_S=60

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
check "the update is in (SOA serial 2)" wait_for 5 serial_is 2
# the negative answer's TTL, as the server gives it (dig: the SOA's TTL in
# the authority section)
neg_ttl() {
	nsq mn dig +time=1 +tries=2 @"$DNS_ADDR" AAAA "cha.neg.$DNS_ZONE" 2>/dev/null |
		awk '$4 == "SOA" { print $2; exit }' || true
}
NEG_TTL=$(neg_ttl)
check "the server says cha.neg does not exist, for $NEG_S s ($NEG_TTL)" test "$NEG_TTL" = "$NEG_S"
odm_agents_up

odm_connloop "neg.$DNS_ZONE" "$LOOP_S" 0.5
LOG=$LOOP_LOG
# the source of the first connect
first_ok() { awk '$2 == "ok" { print $3; exit }' "$LOG"; }
have_ok() { test -n "$(first_ok)"; }
check "the program reached neg.$DNS_ZONE" wait_for 10 have_ok
check "plainly, without a CHoA ($(first_ok))" bash -c "! grep -q '^[0-9.]* ok ${CHA_POOL%%::*}:' '$LOG'"
# first_after T OK - the time of the first connect after T with (OK 1) or
# without (OK 0) a CHoA
first_after() {
	awk -v t="$1" -v ok="$2" -v p="${CHA_POOL%%::*}:" \
		'$1 > t && $2 == "ok" && (index($3, p) == 1) == ok { print $1; exit }' "$LOG"
}
has_after() { test -n "$(first_after "$1" "$2")"; }
# delay_to T OK - seconds from T to that connect (within 10 s), or "none"
delay_to() {
	local at
	wait_for 10 has_after "$1" "$2" || true
	at=$(first_after "$1" "$2")
	if [[ -n $at ]]; then python3 -c "print('%.1f' % ($at - $1))"; else echo none; fi
}
within() { [[ $1 != none ]] && python3 -c "import sys; sys.exit(0 if $1 <= $2 else 1)"; }
# after_update UPDATE LEASED: a second on, UPDATE made; then delay_to from it
after_update() {
	local t
	sleep 1
	update "$1" >&2
	t=$(date +%s.%N)
	delay_to "$t" "$2"
}

# two connects on the negative answer, then the record appears
D_ADD=$(after_update "update add cha.neg.$DNS_ZONE $REC_S AAAA $CHA_ADDR" 1)
echo "# 1: the first connect with a CHoA came $D_ADD s after cha.neg was added (negative TTL $NEG_S s)"
check "1: the program's connects have a CHoA within $NEG_S s and 2 more of cha.neg added ($D_ADD s)" \
	within "$D_ADD" $((NEG_S + 2))
check "1: ODM_DEBUG said no cha first, with the zone's $NEG_S s" \
	grep -q "has no cha (ttl $NEG_S s)" "$ODM_RUNDIR/connloop.err"

# a connect or two on the record, then it goes
D_DEL=$(after_update "update delete cha.neg.$DNS_ZONE AAAA" 0)
echo "# 2: the first connect without a CHoA came $D_DEL s after cha.neg was deleted (its TTL $REC_S s)"
check "2: the program's connects go plain within $REC_S s and 2 more of cha.neg deleted ($D_DEL s)" \
	within "$D_DEL" $((REC_S + 2))
check "2: ODM_DEBUG said the record's $REC_S s" \
	grep -q "has cha $CHA_ADDR (ttl $REC_S s)" "$ODM_RUNDIR/connloop.err"
check "2: and never a longer time for it" \
	bash -c "! grep -E 'has cha $CHA_ADDR \\(ttl ([3-9]|[0-9]{2,}) s\\)' '$ODM_RUNDIR/connloop.err'"

# the record back, then the DNS silent for mn
printf '%s neg.%s\n' "$CN_ADDR" "$DNS_ZONE" >>"/etc/netns/$NS_MN/hosts"
update "update add cha.neg.$DNS_ZONE $REC_S AAAA $CHA_ADDR"
T_BACK=$(date +%s.%N)
D_BACK=$(delay_to "$T_BACK" 1)
check "3: the record back, the connects have a CHoA again ($D_BACK s)" within "$D_BACK" $((NEG_S + 2))
sleep 1
nsx mn nft -f - <<EOF
table ip6 test_cha_ttl {
	chain out {
		type filter hook output priority 0;
		ip6 daddr $DNS_ADDR meta l4proto { udp, tcp } th dport 53 counter drop
	}
}
EOF
T_DROP=$(date +%s.%N)
# 12 s: the TTL out, and more than one round of a lookup with no answer
# (2 s) and the answer served stale (5 s)
sleep 12
kill "$LOOP" 2>/dev/null || true
wait "$LOOP" || true
DROPPED=$(nsq mn nft list table ip6 test_cha_ttl |
	awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
SINCE=$(awk -v t="$T_DROP" '$1 > t' "$LOG")
N_SINCE=$(wc -l <<<"$SINCE")
N_CHOA=$(awk -v p="${CHA_POOL%%::*}:" '$2 == "ok" && index($3, p) == 1' <<<"$SINCE" | wc -l)
OTHERS=$(awk -v p="${CHA_POOL%%::*}:" '$2 != "ok" || index($3, p) != 1 { print $2, $3 }' <<<"$SINCE" |
	sort | uniq -c | tr '\n' ' ')
echo "# 3: DNS silent for 12 s ($DROPPED queries dropped): $N_CHOA of $N_SINCE connects with a CHoA;" \
	"the others: ${OTHERS:-none}"
check "3: the lookups got no answer ($DROPPED queries dropped)" test "${DROPPED:-0}" -ge 2
check "3: every connect kept its CHoA ($N_CHOA of $N_SINCE)" test "$N_CHOA" -eq "$N_SINCE" -a "$N_SINCE" -ge 8
check "3: ODM_DEBUG said the last answer was served stale" grep -q 'kept 5 s more (stale)' \
	"$ODM_RUNDIR/connloop.err"
check "no sanitizer report in the agents' logs (when built with SAN=1)" odm_agent_logs_clean
check_summary test_cha_ttl
