#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fixed.sh - the Fixed address type (RFC 8653 §3.1) on the host, from
# its home anchor, and its DNS publication. On the namespace test network
# (lib/topo.sh), ha runs odmagent as a home anchor; mn's agent has no
# home-anchor line (it finds ha by the _mip6._ipv6 SRV record) and
# dns-publish fixed; nginx on mn listens on [::]:80.
#   1. with no socket asking, mn holds a Fixed address from ha (found by
#      DNS SRV), and a Fixed request (odmctl lease fixed, a program with
#      ODM_TYPE=fixed, setsc() and setsc_to(), a user whose policy default
#      is fixed) gets that address at once; one the policy does not allow
#      Fixed is refused; ping -6 with ODM_TYPE=fixed pings from it, and
#      curl --interface (a socket bound to a device) fails at once;
#   2. dig against BIND9 gives that address for mn.example.test (a signed
#      update by the agent); an update signed with a wrong key is refused;
#   3. cn reaches http://mn.example.test/ at the Fixed address, through ha
#      (ha's pool is routed nowhere else); a paced download of BIGFILE by
#      cn from mn, started before a move to ar2, completes with the right
#      sha256 (its stall across the move is printed); after the move a new
#      connection by name works; a capture on ha's link shows the packets to
#      the Fixed address tunnelled from ha to mn's CoA, and mn's answers from
#      it tunnelled back to ha (from the new CoA after the move);
#   4. a Session-lasting socket toward cn2 (no CHA, no access anchor) gets
#      an address of ha's pool of its own, not the Fixed one, which stays;
#   5. the Fixed address is the same after a host agent restart (clean and
#      killed) and after a home anchor restart, and reachable after each.
#
#   mn (nginx, odmagent mn) --ar1/ar2-- core -- ha (odmagent, mode home)
#                                           \-- cn (curl)  \-- dns (BIND9)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_fixed' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_fixed "network namespaces, BIND9 with TSIG, nginx, other uids" ip named dig \
	nsupdate tsig-keygen nginx curl ping python3 setpriv tcpdump tshark

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-4}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
export ODM_MN_HOME_DISCOVERY=on

NAME=mn.$DNS_ZONE
# the registered Fixed lease's address / anchor (none while it is being asked for)
fixed() { odm_status mn | json "' '.join(l['addr'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')"; }
fixed_anchor() { odm_status mn | json "' '.join(l['anchor'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')"; }
has_fixed() { [[ -n $(fixed) ]]; }
fixed_is() { [[ $(fixed) == "$1" ]]; }
home() { odm_status mn | json "(j.get('home_anchor') or {}).get('$1')"; }
record() { nsq cn dig +time=1 +tries=1 +short @"$DNS_ADDR" AAAA "$NAME" 2>/dev/null | head -n 1; }
record_is() { [[ $(record) == "$1" ]]; }
# get PATH - cn fetches http://mn.example.test/PATH; prints the address it
# connected to
get() { nsq cn curl -6 -sS -f --max-time 10 -o /dev/null -w '%{remote_ip}' "http://$NAME/$1"; }
get_is() { [[ $(get "${2:-index.html}") == "$1" ]]; }
ha_holds() { grep -qw "$1" <<<"$(odm_anchor_status ha | json "' '.join(b['hoa'] for b in j['bindings'])")"; }
bound_to_coa() { # ADDR COA - ha's binding for ADDR points at COA
	grep -qw "$2" <<<"$(odm_anchor_status ha | json "' '.join(b['coa'] for b in j['bindings'] if b['hoa'] == '$1')")"
}

topo_up
odm__dir
odm_keygen mn
odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL"
# policy (odm-policy(5)): uid 1001 gets Fixed by default, other users but
# root may not have it
export ODM_CTL_GROUP=nogroup
export ODM_POLICY_FILE=$ODM_RUNDIR/odm.policy
cat >"$ODM_POLICY_FILE" <<'EOF'
# test_fixed.sh
default non-persistent
allow session-lasting
rule uid 1001 allow fixed default fixed
rule uid 0 allow all
EOF
odm_mn_dns_conf fixed "$NAME" 5
odm_agents_up
topo_start_nginx mn
check "nginx on mn listens on [::]:$HTTP_PORT" \
	bash -c "ip netns exec '$NS_MN' ss -Hltn 'sport = :$HTTP_PORT' | grep -q '\[::\]:$HTTP_PORT'"

# ------------------------------------------- 1. held from the start, from ha
check "mn holds a Fixed address without any socket asking" wait_for 8 has_fixed
F=$(fixed)
echo "# Fixed address: $F"
check "it is in ha's pool ($F)" in_prefix "$F" "$HA_POOL"
check "its anchor is ha" test "$(fixed_anchor)" == "$HA_ADDR"
check "ha was found by DNS SRV (no home-anchor configured)" test "$(home source)" == dns-srv
check "ha holds the binding" ha_holds "$F"
check "a Fixed request gets it" test "$(odm_ctl mn -j lease fixed "$CN_ADDR" | json 'j["addr"]')" == "$F"
RC=0
nsx mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=fixed ODM_DEBUG=1 \
	curl -6 -sS -f --max-time 10 -o /dev/null "http://cn.$DNS_ZONE/index.html" \
	2>"$ODM_RUNDIR/shim-fixed.err" || RC=$?
grep '^odm:' "$ODM_RUNDIR/shim-fixed.err" || true
check "a program with ODM_TYPE=fixed connects to cn (rc $RC)" test "$RC" -eq 0
check "from the Fixed address (cn's access log)" \
	grep -q "^$F $HTTP_PORT .*GET /index.html" "$ODM_RUNDIR/cn/nginx-tcp/access.log"
# ping -6 sends on an ICMPv6 (here raw) socket, which takes no lease: under
# fixed it is bound to the Fixed address, and the answers come back through
# ha (it went out from the access address, unsaid, before)
RC=0
nsx mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=fixed ODM_DEBUG=1 \
	ping -6 -c 2 -W 2 "$CN_ADDR" >"$ODM_RUNDIR/ping-fixed.out" 2>&1 || RC=$?
grep -E '^odm: sendto|received' "$ODM_RUNDIR/ping-fixed.out" || true
check "ping -6 with ODM_TYPE=fixed: answered (rc $RC)" test "$RC" -eq 0
check "its echo requests bound to the Fixed address" \
	grep -q "^odm: sendto fd [0-9]* -> Fixed $F (a raw socket of protocol 58)" "$ODM_RUNDIR/ping-fixed.out"
# a socket bound to the access device would leave there with the Fixed
# address, outside the tunnel: it fails at once (it hung until curl's
# --max-time before)
RC=0
T0=$(date +%s%N)
nsx mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=fixed \
	curl -6 -sS --interface "$MN_IF1" --max-time 8 -o /dev/null "http://[$CN_ADDR]:$HTTP_PORT/" \
	2>/dev/null || RC=$?
MS=$((($(date +%s%N) - T0) / 1000000))
check "curl --interface $MN_IF1 with ODM_TYPE=fixed: cannot connect (rc $RC: 7), not timed out" \
	test "$RC" -eq 7
check "and at once ($MS ms), not after --max-time" test "$MS" -lt 4000
check "a user the policy gives Fixed by default gets it without asking" test \
	"$(odm_as 1001 env -u ODM_TYPE LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		curl -6 -sS -f --max-time 10 -o /dev/null -w '%{local_ip}' "http://cn.$DNS_ZONE/")" == "$F"
REFUSED=$ODM_RUNDIR/refused.err
RC=0
odm_as 1002 "$ODM_BUILD/odmctl" -s "$MN_SOCK" lease fixed "$CN_ADDR" 2>"$REFUSED" >/dev/null || RC=$?
check "a user the policy does not allow Fixed is refused (rc $RC)" test "$RC" -eq 1
check "with REQUIREDIPNOTSUPPORTED" grep -q REQUIREDIPNOTSUPPORTED "$REFUSED"
SETSC=$ODM_RUNDIR/setsc.err
check "setsc(Fixed) without a peer gives it" \
	nsx mn env ODM_SOCKET="$MN_SOCK" "$ODM_BUILD/examples/setsc_fetch" -t fixed -p -x \
	"cn.$DNS_ZONE" "$HTTP_PORT" /index.html 2>"$SETSC"
check "the Fixed address ($(head -n 1 "$SETSC"))" grep -q "setsc fixed -> $F" "$SETSC"
check "setsc_to(Fixed): a fetch from cn with it" \
	nsx mn env ODM_SOCKET="$MN_SOCK" "$ODM_BUILD/examples/setsc_fetch" -t fixed \
	"cn.$DNS_ZONE" "$HTTP_PORT" /index.html 2>"$SETSC" >/dev/null
check "bound to the Fixed address (getsc)" grep -q "getsc -> fixed $F" "$SETSC"
check "still one Fixed lease" test "$(fixed)" == "$F"

# ------------------------------------------------------------- 2. DNS
check "dig: $NAME AAAA is the Fixed address" wait_for 5 record_is "$F"
check "the agent's log says it published it" grep -q "DNS: $NAME. AAAA $F published" "$MN_AGENT_LOG"
tsig-keygen -a hmac-sha256 "$TSIG_NAME" >"$ODM_RUNDIR/wrong.key"
wrong_update() {
	printf 'server %s\nzone %s\nupdate delete %s AAAA\nupdate add %s 5 AAAA 2001:db8:bad::1\nsend\n' \
		"$DNS_ADDR" "$DNS_ZONE" "$NAME" "$NAME" | nsq cn nsupdate -k "$ODM_RUNDIR/wrong.key" 2>&1
}
OUT=$(wrong_update || echo "nsupdate exit $?")
echo "# nsupdate with a wrong key: $(echo "$OUT" | tr '\n' ' ')"
check "BIND9 refuses an update signed with a wrong key" grep -q "nsupdate exit" <<<"$OUT"
check "the record is unchanged" record_is "$F"

# ---------------------------------------- 3. incoming connections, a move
check "cn reaches http://$NAME/ at the Fixed address" get_is "$F"
check "through ha (bound to mn's CoA on ar1)" bound_to_coa "$F" "$(topo_mn_addr)"
# what crosses core's link to ha: IPv6-in-IPv6 between ha and mn's CoA; and
# what cn receives from mn's nginx
odm_capture core ha "$ODM_DIR/ha-link.pcap" 'ip6 proto 41' 160
CAP_HA=$ODM_CAP_PID
odm_capture cn eth0 "$ODM_DIR/cn-data.pcap" "tcp src port $HTTP_PORT and src host $F" 128
CAP_CN=$ODM_CAP_PID
A1=$(topo_mn_addr)
WANT=$(cat "$BIGFILE.sha256")
nsq cn curl -6 -sS -f --max-time 60 -o "$ODM_RUNDIR/cn-big.bin" \
	"http://$NAME$BIGFILE_URL_PATH?rate=1m" &
DL=$!
T_DL=$(topo_now_ms)
sleep 1.5
check "the download is under way when mn moves" kill -0 "$DL"
topo_move ar2
A2=$(topo_mn_addr)
check "ha's binding follows mn to ar2 ($A2)" wait_for 5 bound_to_coa "$F" "$A2"
echo "# ha's binding points at the new CoA $(($(topo_now_ms) - TOPO_MOVE_T0 / 1000000)) ms after the link went down (at most; polled)"
check "the download started before the move completes" wait "$DL"
echo "# the download took $(($(topo_now_ms) - T_DL)) ms ($TOPO_BIGFILE_MB MiB paced at 1 MiB/s)"
GOT=$(topo_sha256 "$ODM_RUNDIR/cn-big.bin")
check "with the right sha256" test "$GOT" == "$WANT"
check "the record is still the Fixed address" record_is "$F"
check "after the move, a new connection by name works" get_is "$F"
odm_capture_stop "$CAP_HA"
odm_capture_stop "$CAP_CN"
# tunnelled PCAP OUTER_SRC OUTER_DST INNER_FIELD ADDR - packets inside
# IPv6-in-IPv6 from OUTER_SRC to OUTER_DST whose inner INNER_FIELD is ADDR
tunnelled() {
	tshark -r "$1" -T fields -e ipv6.src -e ipv6.dst 2>/dev/null | /usr/bin/python3 -c '
import sys
os_, od, field, addr = sys.argv[1:]
n = 0
for line in sys.stdin:
    src, dst = (line.rstrip("\n").split("\t") + [""])[:2]
    s, d = src.split(","), dst.split(",")
    if len(s) == 2 and s[0] == os_ and d[0] == od and (s if field == "src" else d)[1] == addr:
        n += 1
print(n)' "$2" "$3" "$4" "$5"
}
N_IN=$(tunnelled "$ODM_DIR/ha-link.pcap" "$HA_ADDR" "$A1" dst "$F")
N_OUT=$(tunnelled "$ODM_DIR/ha-link.pcap" "$A1" "$HA_ADDR" src "$F")
N_OUT2=$(tunnelled "$ODM_DIR/ha-link.pcap" "$A2" "$HA_ADDR" src "$F")
echo "# on ha's link: $N_IN packets to $F tunnelled ha -> mn on ar1, $N_OUT from it mn on ar1 -> ha, $N_OUT2 from mn on ar2 -> ha"
check "packets to the Fixed address reach mn inside IPv6-in-IPv6 from ha" test "$N_IN" -gt 0
check "mn's answers from the Fixed address go back through the tunnel to ha" test "$N_OUT" -gt 0
check "and from the new CoA after the move" test "$N_OUT2" -gt 0
STALL_MS=$(odm_stall_ms "$ODM_DIR/cn-data.pcap" "$TOPO_MOVE_T0" "$HTTP_PORT")
echo "# stall of the download across the move, seen at cn: $STALL_MS ms"
check "the download resumed after the move" test "$STALL_MS" -ge 0

# ---------------------------------------- 4. Session-lasting from the home anchor
# cn2 has no cha. record and mn knows no access anchor: a Session-lasting
# socket toward cn2 gets its address from the home anchor, the type's last
# provider (odmagent(8)): one of ha's pool of its own, not the Fixed
# address (a BU naming no type gets that one), and the Fixed binding
# outlives it.
SL=$(nsq mn "$ODM_BUILD/odmctl" -s "$MN_SOCK" run --type session-lasting -- \
	"$ODM_BUILD/examples/srcaddr" cn2.example.test "$HTTP_PORT" 2>&1) || true
echo "4: Session-lasting toward cn2: $SL"
SLA=${SL%% *}
check "4: Session-lasting toward cn2 connects from ha's pool ($SLA)" in_prefix "$SLA" "$HA_POOL"
check "4: from an address of its own, not the Fixed $F" test "$SLA" != "$F"
sl_gone() { ! grep -qw "$SLA" <<<"$(odm_leases)"; }
check "4: its lease ends after the program" wait_for 8 sl_gone
check "4: ha still holds the Fixed address" ha_holds "$F"
check "4: mn keeps it" fixed_is "$F"

# ---------------------------------------- 5. restarts keep the address
topo_kill "$MN_AGENT_PID"
odm_agent_start mn
check "after a host agent restart: the same Fixed address" wait_for 8 fixed_is "$F"
check "reachable by name" wait_for 5 get_is "$F"
odm_agent_kill9 mn
odm_agent_start mn
check "after the host agent was killed: the same Fixed address" wait_for 8 fixed_is "$F"
check "the log says it was taken over" grep -q "lease .* $F at $HA_ADDR .* taken over" "$MN_AGENT_LOG"
check "reachable by name" wait_for 5 get_is "$F"
odm_anchor_stop ha
odm_anchor_start ha
check "after a home anchor restart: ha holds the same address" wait_for 8 ha_holds "$F"
check "mn keeps the same Fixed address" fixed_is "$F"
check "reachable by name" wait_for 5 get_is "$F"
check "the record is the Fixed address" record_is "$F"

check "the agent is alive" kill -0 "$MN_AGENT_PID"
check "no sanitizer report" odm_agent_logs_clean
check_summary test_fixed
