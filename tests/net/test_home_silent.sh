#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_home_silent.sh - a discovered home anchor that does not answer is
# passed over while it is on hold. An on-link attacker (ar1, on mn's access
# link, tests/net/lib/racraft.py) sends one Router Advertisement whose DNS
# Search List names a domain whose _mip6._ipv6 SRV record (weight 100, where
# example.test's has 0) names an address where no anchor runs:
#   1. the choice moves there and the Fixed address's allocation times out
#      (2.9 s), which puts that anchor on hold (10 s): the choice passes over
#      it at once, back to ha, within 6 s of the RA (the tick that sees the
#      new choice, 1 s, and the timeout); the Fixed address at ha stays
#      registered all along (make before break: it is kept until a new home
#      anchor has registered one); the log says which anchor is passed over,
#      for how long, and which is chosen instead; odmctl status says the same
#      (passed_over, the candidate's on_hold_ms);
#   2. the hold over, the better candidate is asked again and, silent
#      again, passed over for twice as long (20 s), the Fixed address at ha
#      kept all along again.
# Before, the host stayed with the silent candidate: no Fixed address for
# as long as the SRV record lived.
#
# Exit 0 pass, 1 fail, 77 skip.
set -eEuo pipefail
trap 'check_on_err test_home_silent' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_home_silent "network namespaces, raw sockets, BIND9" ip named nsupdate python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
export ODM_MN_HOME_DISCOVERY=on
RACRAFT=("/usr/bin/python3" "$HERE/lib/racraft.py")
BOGUS=2001:db8:c2::66 # no anchor there

fixed() { odm_status mn | json "' '.join(l['addr'] + '@' + l['anchor'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')"; }
home() { odm_status mn | json "(j.get('home_anchor') or {}).get('$1')"; }
on_hold_ms() { odm_status mn | json "max([c['on_hold_ms'] for c in j['home_anchor']['candidates'] if c['addr'] == '$1'] or [0])"; }
back_at_ha() { [[ $(home addr) == "$HA_ADDR" && $(fixed) == "$F" ]]; }
# looks at the Fixed address every 100 ms until the log has PATTERN (at most
# SECONDS): SAMPLES looks, LOST of them without the one at ha registered
watch_fixed() { # SECONDS PATTERN
	local n=$(($1 * 10))
	SAMPLES=0 LOST=0
	while ((n-- > 0)); do
		[[ $(fixed) == "$F" ]] || LOST=$((LOST + 1))
		SAMPLES=$((SAMPLES + 1))
		grep -q "$2" "$MN_AGENT_LOG" && return 0
		sleep 0.1
	done
	return 1
}

topo_up
odm__dir
odm_keygen mn
odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL"
odm_agents_up
check "the home anchor is ha, found by DNS" wait_for 10 eval '[[ $(home addr) == "$HA_ADDR" ]]'
check "the Fixed address is registered at ha" wait_for 20 eval '[[ $(fixed) == *"@$HA_ADDR" ]]'
F=$(fixed)

printf 'server %s\nzone %s\nupdate add _mip6._ipv6.evil.%s 600 SRV 0 100 0 bogus.%s.\nupdate add bogus.%s 600 AAAA %s\nsend\n' \
	"$DNS_ADDR" "$DNS_ZONE" "$DNS_ZONE" "$DNS_ZONE" "$DNS_ZONE" "$BOGUS" |
	nsq cn nsupdate -k "$TSIG_KEYFILE"

# ------------------------------------------------ 1. the rogue DNSSL
PASSED="in place of $BOGUS from dns-srv (_mip6._ipv6.evil.$DNS_ZONE), on hold for"
T_RA=$(topo_now_ms)
nsx ar1 "${RACRAFT[@]}" link lan0 --dnssl "evil.$DNS_ZONE"
check "the choice passes over the silent one (the Fixed address looked at meanwhile)" \
	watch_fixed 12 "$PASSED"
check "the Fixed address at ha stayed registered at each of $SAMPLES looks ($LOST without it)" \
	test "$LOST" -eq 0
T_BACK=$(topo_now_ms)
echo "the choice back at ha $((T_BACK - T_RA)) ms after the rogue RA"
check "within 6 s of the RA" test $((T_BACK - T_RA)) -le 6000
check "the RA's domain named the silent candidate, which was chosen" \
	grep -q "home anchor $BOGUS, from dns-srv (_mip6._ipv6.evil.$DNS_ZONE)" "$MN_AGENT_LOG"
check "the Fixed address was asked of it, the one at ha kept meanwhile" \
	grep -q "home anchor $BOGUS (was $HA_ADDR): the Fixed address comes from there; ${F%%@*} at $HA_ADDR is kept until it is registered" "$MN_AGENT_LOG"
check "and why it is on hold" grep -q "no answer from anchor $BOGUS within 2900 ms" "$MN_AGENT_LOG"
check "the log says which is passed over, for how long, and which is chosen" \
	grep -q "home anchor $HA_ADDR, from dns-srv (_mip6._ipv6.$DNS_ZONE), $PASSED [0-9.]* s more" "$MN_AGENT_LOG"
check "back at ha, its Fixed address registered" wait_for 2 back_at_ha
check "status says the candidate passed over ($(home passed_over))" test "$(home passed_over)" == "$BOGUS"
check "and how long it is still on hold ($(on_hold_ms "$BOGUS") ms)" at_least 1 on_hold_ms "$BOGUS"
check "ha holds the binding" grep -q "${F%%@*}" <<<"$(odm_anchor_bindings ha)"
check "the Fixed address at ha never ended" \
	eval '! grep -q "lease [0-9]* ${F%%@*} at $HA_ADDR ended" "$MN_AGENT_LOG"'

# ------------------------------------------------ 2. the hold ends
check "the hold over, the candidate is asked again" \
	wait_for 15 grep -q "home anchor $BOGUS, from dns-srv (_mip6._ipv6.evil.$DNS_ZONE): its hold is over" "$MN_AGENT_LOG"
check "silent again, on hold for twice as long (the Fixed address looked at meanwhile)" \
	watch_fixed 12 "no answer from anchor $BOGUS within 2900 ms; not asked for a new address for 20 s"
# the line names the time left, a moment less than the hold (19.9 s seen)
check "and passed over again" wait_for 2 eval '(($(grep -c "$PASSED" "$MN_AGENT_LOG") >= 2))'
check "the Fixed address at ha stayed registered at each of $SAMPLES looks ($LOST without it)" \
	test "$LOST" -eq 0
check "back at ha, its Fixed address registered" wait_for 2 back_at_ha
grep -E "home anchor|no answer from anchor" "$MN_AGENT_LOG" | sed 's/^/  mn: /'
check "agents' logs are clean" odm_agent_logs_clean
check_summary test_home_silent
