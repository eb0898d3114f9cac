#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cha_silent.sh - the server's CHA is down, but the host has another
# anchor for Session-lasting: its sockets get that one's address instead of
# failing. The type's providers come in order (the peer's CHA, the access
# router's anchor, the home anchor; odmagent(8)); one that does not answer
# is passed over:
#   1. the CHA's agent is killed (-9) before mn holds anything there; a
#      curl to cn (which has a cha. record) waits for the CHA's allocation
#      to time out (2.9 s), then gets mn's access address claimed at ar1's
#      anchor, and completes;
#   2. while the CHA is on hold (10 s) the next curl goes to ar1's anchor at
#      once, without a BU to the CHA (none with a lifetime in a capture of
#      mn's link: the deregistration of the timed-out allocation may go out
#      on its own schedule, and the claim at ar1's anchor, ended or not
#      confirmed for 5 s by then on a loaded machine, may take a BU of its
#      own); odmctl status lists the CHA on hold and counts the requests
#      passed over;
#   3. a paced download started meanwhile survives a move to ar2 (ar1's
#      anchor tunnels the address to the new CoA) and completes intact;
#   4. the CHA's agent started again (with max-bindings 1): once the hold
#      is over, a new curl gets a CHoA from it again; then, with a UDP
#      socket holding the one binding the CHA allows, a curl's allocation
#      is refused (insufficient resources): the curl is passed over at
#      once to the anchor of mn's link, and the CHA is not put on hold;
#   5. ar2's anchor killed: Session-lasting to cn2 (no CHA) has no other
#      anchor here: refused within 2.9 s, then at once, nothing sent on.
#
#            +-- ar1 (anchor, mode access)
#   mn ------+                 \
#            +-- ar2 (anchor, mode access) -- core -- cn  (nginx)
#                                                 \-- cha (killed, restarted)
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_cha_silent "network namespaces, TUN, raw sockets" ip named radvd nginx curl tcpdump python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-8}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"
trap 'check_on_err test_cha_silent' ERR

# quick_curl NAME - one request to cn under the shim: "rc connect-ms
# local-ip", the time from the name's answer to the connection (the shim
# asks the agent for the address in connect())
quick_curl() {
	local out rc=0 tn tc ip ms
	out=$(odm_shim curl -6 -sS --max-time 15 -o /dev/null \
		-w '%{time_namelookup} %{time_connect} %{local_ip}' "http://cn.example.test/") || rc=$?
	read -r tn tc ip <<<"$out"
	ms=$(awk -v n="${tn:-0}" -v c="${tc:-0}" 'BEGIN { printf "%d", (c - n) * 1000 }')
	echo "$1: rc $rc, connected $ms ms after the name's answer, from ${ip:-?}" >&2
	echo "$rc $ms ${ip:-none}"
}
at_ar1() { [[ " $(odm_leases) " == *" $MN_ADDR1,$AR1_ADDR,session-lasting "* ]]; }
on_hold() { odm_status mn | json "' '.join(h['anchor'] for h in j['anchors_on_hold'])"; }

topo_up
ODM_ACCESS_FROM=config odm_mn_access_conf ar1 ar2
odm_agents_up
odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX"
odm_anchor_up ar2 "$AR2_ADDR" "mode access" "access-prefix $AR2_PREFIX"
check "mn's agent names ar1's anchor as its link's" \
	wait_for 3 odm_mn_logged "access anchor of this link: $AR1_ADDR"

# ---------------------------------------------------------------- 1.
odm_agent_kill9 cha
echo "1: the CHA's agent killed"
read -r rc ms ip < <(quick_curl "1: first curl")
check "1: the first curl completes (rc $rc)" test "$rc" -eq 0
check "1: from mn's access address $MN_ADDR1, not a plain fallback or a CHoA ($ip)" \
	test "$ip" = "$MN_ADDR1"
check "1: after the CHA's allocation timed out (2.9 s; $ms ms)" \
	test "$ms" -ge 2900 -a "$ms" -lt 4000
check "1: mn holds it as a Session-lasting lease at ar1's anchor" at_ar1
check "1: the agent says it passed the CHA over for ar1's anchor" \
	odm_mn_logged "anchor $CHA_ADDR did not answer the allocation; asking anchor $AR1_ADDR instead"
check "1: and that mn's address is claimed at ar1's anchor" \
	odm_mn_logged "claiming access address $MN_ADDR1 at anchor $AR1_ADDR (session-lasting)"

# ---------------------------------------------------------------- 2.
CAP=$ODM_DIR/mh.pcap
odm_capture mn eth1 "$CAP" "ip6 proto 135"
CAPPID=$ODM_CAP_PID
LOG0=$(wc -l <"$MN_AGENT_LOG")
fell() { odm_status mn | json 'j["fell_through"]'; }
FELL0=$(fell)
read -r rc ms ip < <(quick_curl "2: second curl")
check "2: the next curl completes (rc $rc) from $MN_ADDR1 ($ip)" \
	test "$rc" -eq 0 -a "$ip" = "$MN_ADDR1"
check "2: at once, the CHA being on hold ($ms ms)" test "$ms" -lt 1000
since() { tail -n "+$((LOG0 + 1))" "$MN_AGENT_LOG"; }
# (its log line may be at debug level: such lines are said once a second)
FELL1=$(fell)
check "2: the agent passed the CHA over for it (passed over: $FELL0 -> $FELL1)" \
	test "$FELL1" -eq $((FELL0 + 1))
check "2: and asked the CHA nothing" bash -c "! grep -q 'asking anchor $CHA_ADDR for' <<<'$(since)'"
odm_capture_stop "$CAPPID"
# the BUs to the CHA that ask for a binding (lifetime above 0)
asks_cha() {
	/usr/bin/python3 "$HERE/lib/mhcraft.py" pcap "$CAP" --type 5 --dst "$CHA_ADDR" | grep -v ' lifetime=0 ' || true
}
ASKS=$(asks_cha)
check "2: and sent the CHA no BU asking for a binding (capture: ${ASKS:-none})" test -z "$ASKS"
check "2: odmctl status lists the CHA on hold" test "$(on_hold)" = "$CHA_ADDR"
held_text() { grep -q "anchors on hold: 1" <<<"$(odm_ctl mn status)"; }
check "2: odmctl status (text) says so" held_text

# ---------------------------------------------------------------- 3.
odm_download d 400k 60
check "3: the download gets mn's address claimed at ar1's anchor" wait_for 5 at_ar1
check "3: the download is under way" wait_for 10 odm_got_mb "$OUT" 1
topo_move ar2
ar1_tunnels() { [[ $(odm_anchor_bindings ar1) == "$MN_ADDR1,$MN_ADDR2,$ODM_NAI" ]]; }
check "3: ar1's anchor follows mn to $MN_ADDR2" wait_for 3 ar1_tunnels
echo "3: leases after the move: $(odm_leases)"

# ---------------------------------------------------------------- 4.
odm__conf_set "$ODM_DIR/cha.conf" max-bindings 1
odm_agent_start cha
hold_over() { [[ -z $(on_hold) ]]; }
check "4: the hold ends (10 s after the timeout)" wait_for 12 hold_over
read -r rc ms ip < <(quick_curl "4: curl after the hold")
check "4: the curl completes (rc $rc)" test "$rc" -eq 0
check "4: from a CHoA of the CHA's pool again ($ip)" \
	bash -c "[[ '$ip' == 2001:db8:c4a:* ]]"
# the CHA full: a UDP socket holds its one binding (a lease of its own:
# leases are per type, protocol and user)
no_cha_binding() { [[ $(odm_binding_count) -eq 0 ]]; }
check "4: the curl's binding at the CHA ends with it" wait_for 5 no_cha_binding
odm_udp_holder 7999 25 1
udp_at_cha() { [[ $(odm_binding_count) -eq 1 ]]; }
check "4: a UDP socket holds the CHA's one binding" wait_for 5 udp_at_cha
FELL2=$(fell)
read -r rc ms ip < <(quick_curl "4: curl with the CHA full")
check "4: with the CHA full the curl completes (rc $rc)" test "$rc" -eq 0
check "4: from mn's access address at ar2 ($MN_ADDR2), not a CHoA or a plain fallback ($ip)" \
	test "$ip" = "$MN_ADDR2"
check "4: at once, not after a timeout ($ms ms)" test "$ms" -lt 1000
check "4: the agent says the CHA refused it" \
	odm_mn_logged "anchor $CHA_ADDR refused the allocation: insufficient resources (status 130)"
check "4: and the CHA says why, naming the setting" \
	grep -q "identity $ODM_NAI holds max-bindings 1 binding(s): a new one is refused with status 130" "$CHA_AGENT_LOG"
check "4: and passed it over (passed over: $FELL2 -> $(fell))" test "$(fell)" -gt "$FELL2"
check "4: the CHA, which answered, is not on hold" hold_over
kill "$ODM_UDP_HOLDER" 2>/dev/null || true
wait "$ODM_UDP_HOLDER" 2>/dev/null || true

odm_download_ok d

# ---------------------------------------------------------------- 5.
# the access router's anchor of mn's link (ar2) killed: cn2 has no CHA, so
# Session-lasting to it has that anchor alone here (no home anchor). Its
# claim goes unanswered: the request is refused within the allocation
# timeout (not claimed again and again while the shim waits), the next one
# at once, and nothing more is sent.
kill -KILL "${ODM_ANCHOR_PIDS[ar2]}"
wait "${ODM_ANCHOR_PIDS[ar2]}" 2>/dev/null || true
ODM_ANCHOR_PIDS[ar2]=''
echo "5: ar2's anchor killed"
cn2_curl() {
	local t0 rc=0
	t0=$(topo_now_ms)
	odm_shim curl -6 -sS --max-time 15 -o /dev/null "http://cn2.example.test/" 2>/dev/null || rc=$?
	echo "$rc $(($(topo_now_ms) - t0))"
}
read -r rc ms < <(cn2_curl)
echo "5: first curl to cn2: rc $rc after $ms ms"
check "5: the agent refuses it after the claim's 2.9 s" \
	wait_for 2 odm_mn_logged "no answer from anchor $AR2_ADDR within 2900 ms"
check "5: the curl ends within 4 s ($ms ms)" test "$ms" -lt 4000
read -r rc ms < <(cn2_curl)
echo "5: second curl to cn2: rc $rc after $ms ms"
check "5: the next one is answered at once ($ms ms)" test "$ms" -lt 1000
check "5: with ETIMEDOUT, the anchor on hold" \
	odm_mn_logged "answered ETIMEDOUT: anchor $AR2_ADDR did not answer an allocation"
BU2=$(odm_reg_counter bu_sent)
sleep 3
BU3=$(odm_reg_counter bu_sent)
check "5: no BU to the silent anchor meanwhile ($BU2 -> $BU3 in 3 s)" test "$BU3" -eq "$BU2"

check "mn's agent odm_mn_logged no error" bash -c "! grep -q ' err:' '$MN_AGENT_LOG'"
check_summary test_cha_silent
