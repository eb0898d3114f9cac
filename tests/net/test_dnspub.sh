#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_dnspub.sh - the host agent keeps its own name's AAAA record at the
# address it is reachable on (dns-publish current), with RFC 2136 UPDATEs
# signed with TSIG hmac-sha256, against BIND9 on the dns host. On the
# namespace test network (lib/topo.sh):
#   1. at start, mn.example.test AAAA becomes mn's address on ar1;
#   2. after a move to ar2 the record follows within 2 s of the move (the
#      time is printed);
#   3. while the server cannot be reached (a blackhole route on ar1), the update
#      fails, is retried with back-off and reported (log, odmctl status,
#      monitor event counter); the agent keeps serving leases; once the route
#      is gone the record follows without anything else being done;
#   4. a wrong key (SIGHUP with another key in the file) is refused by the
#      server, the record does not change, the reason is reported; the right
#      key back (SIGHUP) publishes again;
#   5. anyone on mn's link sends a Router Advertisement of a prefix of their
#      own, 2001:db8:53:1::/64 (router lifetime 0), that matches the server's
#      address longer: mn forms an address there and the kernel picks it
#      toward the server (RFC 6724 rule 8), but the record stays, as the
#      link and its router did (odmagent(8), Noticing a move; it named the
#      forged address, which nothing routes to).
#
#    mn (odmagent mn) --ar1/ar2-- core -- dns (BIND9, zone example.test)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_dnspub' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_dnspub "network namespaces, BIND9 with TSIG, raw sockets" ip named dig tsig-keygen python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

NAME=mn.$DNS_ZONE
record() { nsq cn dig +time=1 +tries=1 +short @"$DNS_ADDR" AAAA "$NAME" 2>/dev/null | head -n 1; }
record_is() { [[ $(record) == "$1" ]]; }
dns() { odm_status mn | json "(j.get('dns') or {}).get('$1')"; }
dns_is() { [[ $(dns "$1") == "$2" ]]; }
dns_ge() { (($(dns "$1") >= $2)); }

topo_up
odm_mn_dns_conf current "$NAME" 30
odm_agents_up

# ------------------------------------------------------------ 1. at start
A1=$(topo_mn_addr)
check "mn has an address on ar1: $A1" test -n "$A1"
check "the record is published at start: $NAME AAAA $A1" wait_for 5 record_is "$A1"
check "status says what is published" dns_is published "$A1"
check "one update, no failure" dns_is failures 0
check "the log says so" grep -q "DNS: $NAME. AAAA $A1 published" "$MN_AGENT_LOG"

# ------------------------------------------------------------ 2. a move
topo_move ar2
A2=$(topo_mn_addr)
check "mn has an address on ar2: $A2" test -n "$A2"
T_MOVE=$TOPO_MOVE_T0
check "the record follows the move" wait_for 5 record_is "$A2"
T_REC=$(date +%s%N)
FOLLOW_MS=$(((T_REC - T_MOVE) / 1000000))
echo "# record followed the move in $FOLLOW_MS ms (link down to answer seen by a client)"
check "within 2 s of the move ($FOLLOW_MS ms)" test "$FOLLOW_MS" -le 2000

# ---------------------------------------------- 3. a server that cannot answer
nsq ar1 ip -6 route add blackhole "$DNS_ADDR/128"
topo_move ar1
has_addr() { [[ -n $(topo_mn_addr) ]]; }
check "mn is back on ar1" wait_for 5 has_addr
A3=$(topo_mn_addr)
check "the update fails while the server is unreachable" wait_for 8 dns_ge failures 1
check "the reason is given" dns_is last_error "no answer in 2000 ms"
check "the log says when it retries" grep -q "DNS update of $NAME. to $A3 failed: no answer in 2000 ms; retry in" "$MN_AGENT_LOG"
check "and names the server and the attempt" \
	grep -q "DNS update of $NAME. to $A3 failed: .* (server $DNS_ADDR, attempt 1)" "$MN_AGENT_LOG"
check "the record still names the old address" record_is "$A2"
check "the agent serves leases meanwhile" \
	odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp
nsq ar1 ip -6 route del blackhole "$DNS_ADDR/128"
check "with the server reachable again, a retry publishes" wait_for 12 record_is "$A3"
check "and status clears the error" wait_for 2 dns_is last_error None
check "the log says it went through after the failures" \
	grep -q "DNS: $NAME. AAAA $A3 published ([0-9]* ms), after [0-9]* failed attempt(s)" "$MN_AGENT_LOG"

# ------------------------------------------------------------ 4. a wrong key
UPDATES=$(dns updates)
FAILS_BEFORE=$(dns failures)
tsig-keygen -a hmac-sha256 odm-test-key >"$KEY.new"
chmod 600 "$KEY.new"
mv "$KEY.new" "$KEY"
kill -HUP "$MN_AGENT_PID"
check "the server refuses the wrong key" wait_for 8 dns_ge failures $((FAILS_BEFORE + 1))
check "the reason names the TSIG error" dns_is last_error "unverified answer NOTAUTH/BADSIG"
check "the record is unchanged" record_is "$A3"
(umask 077 && cp "$TSIG_KEYFILE" "$KEY")
kill -HUP "$MN_AGENT_PID"
check "the right key publishes again" wait_for 12 dns_ge updates $((UPDATES + 1))
check "the record is right" record_is "$A3"

ROGUE=2001:db8:53:1::
nsx ar1 /usr/bin/python3 "$HERE/lib/racraft.py" link lan0 --slaac "$ROGUE" --slaac-life 3600
check "mn formed an address of the forged prefix" \
	wait_for 5 eval '[[ -n $(nsq mn ip -6 addr show to "$ROGUE/64" -tentative) ]]'
check "the kernel picks it toward the DNS server now" \
	wait_for 5 eval 'nsq mn ip -6 route get "$DNS_ADDR" | grep -q "src ${ROGUE%:}"'
sleep 3 # the moves it brings (an address, a route) are looked at
check "the record still names $A3 ($(record))" record_is "$A3"
check "the agent wants it published still ($(dns wanted))" dns_is wanted "$A3"
check "the agent is alive" kill -0 "$MN_AGENT_PID"
check "no sanitizer report" odm_agent_logs_clean
check_summary test_dnspub
