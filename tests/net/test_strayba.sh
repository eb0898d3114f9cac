#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_strayba.sh - the host agent acts only on a Binding Acknowledgement
# that answers its own outstanding Binding Update (RFC 6275 §11.7.3, RFC
# 4285 §6). BAs are crafted byte by byte (tests/net/lib/mhcraft.py, not the
# agent's codec) and sent to the host from its anchor's address:
#   1. lease registered, nothing outstanding: the genuine allocation BA,
#      captured on mn and replayed; signed BAs (0, 133, 146) with the live
#      BID and number and an old timestamp;
#   2. a refresh outstanding (the anchor held with SIGSTOP, a request for
#      the lease makes the host confirm its binding, older than 5 s, with
#      a refresh BU, which stays unanswered): a 146 harvested from
#      the anchor beforehand with a forged BU (wrong MAC, the host's
#      identity, BID and next number) and replayed; signed BAs with the
#      refresh's number and the allocation's timestamp (0, 128, 130, 133,
#      174); a signed 146 copying the refresh's number and timestamp; an
#      unauthenticated 146; a signed BA without a timestamp;
#   3. an allocation outstanding at cn2 (no anchor there): signed 133 and 0
#      with its number and an old timestamp, signed and unsigned 146 copying
#      its number and timestamp; once it timed out, a request at cn2 is
#      answered at once, with no BU (a silent anchor is on hold for 10 s).
# A message of an unknown MH type draws a Binding Error, status 2 (RFC 6275
# section 9.2). A malformed one, from cn to the host and to the anchor,
# draws an ICMPv6 Parameter Problem, code 0, pointing at the field (RFC
# 6275 sections 6.1.1 and 9.2): Payload Proto not 59 at 40, a Header Len
# below the type's least at 41, the packet quoted as it arrived (hop limit
# aside, the bytes as they left cn), decoded by tshark and compared byte by
# byte.
# Checks: every stray BA is counted in ba_ignored and none in ba_in; the
# lease, the anchor's binding and mn's rules stay as they were; no BU is
# sent for them and no deregistration appears in the capture; the refresh
# completes with the genuine BA once the anchor runs again; the allocation
# ends in ETIMEDOUT after its full time, not refused; the lease carries
# traffic. A positive control shows the crafted BAs reach the agent and
# authenticate: a signed 133 that does echo an outstanding BU's number and
# timestamp ends that allocation (at cn, no anchor either) at once.
#
#   mn --ar1-- core -- cha (anchor, pool 2001:db8:c4a::/64)
#                   \-- cn  (nginx)    \-- cn2 (no anchor)
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_strayba "network namespaces, TUN, raw sockets" ip curl nginx named radvd tcpdump python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-4}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'echo "test_strayba: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

MHCRAFT=("/usr/bin/python3" "$HERE/lib/mhcraft.py")
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; } # field NAME < "k=v ..." line
# what a stray BA must not change: the lease, the anchor's binding, mn's
# rules (not the numbers and lifetimes a due refresh moves on)
state() {
	odm_status mn | json '[[l["addr"], l["state"], l["bid"], l["anchor"]] for l in j["leases"]]'
	odm_status cha | json '[[b[k] for k in sorted(b) if k not in ("lifetime_left", "seq")] for b in j["bindings"]]'
	nsq mn ip -6 rule show
}
same() { # same EXPECTED ACTUAL - compare, print a diff if not
	[[ $1 == "$2" ]] && return 0
	diff <(echo "$1") <(echo "$2") | sed 's/^/  /'
	return 1
}
# queue_ba FROM ARGS... - a crafted BA from FROM to the host's CoA, sent by
# send_bas HOST (in HOST) with the others queued, one process for them all:
# they must all come while the exchange they stray into is outstanding (an
# allocation's 2.9 s), one python each did not on a loaded machine
BAS=()
queue_ba() {
	local from=$1
	shift
	BAS+=(--then --from "$from" --to "$COA" "$@")
	SENT=$((SENT + 1))
}
send_bas() {
	nsq "$1" "${MHCRAFT[@]}" send-ba "${BAS[@]}"
	BAS=()
}
signed() { echo --keyfile "$ODM_DIR/mn.key" --spi "$ODM_SPI" --auth-coa "$COA"; }

topo_up
odm_agents_up
COA=$(topo_mn_addr)
CAP=$ODM_DIR/mh.pcap
odm_capture mn eth1 "$CAP" "ip6 proto 135"
CAPPID=$ODM_CAP_PID
bus_from_coa() { "${MHCRAFT[@]}" pcap "$CAP" --type 5 --src "$COA"; }

# ---------------------------------------------------------------- a live lease
CHOA=$(odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp | json 'j["addr"]')
check "lease $CHOA from the CHA" in_prefix "$CHOA" "$CHA_POOL"
# a connected socket keeps the lease past the grace period
ip netns exec "$NS_MN" python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[2], 80), source_address=(sys.argv[1], 0))
time.sleep(600)
' "$CHOA" "$CN_ADDR" &
HOLD_PID=$!
topo_at_exit "kill $HOLD_PID 2>/dev/null || true"
BID=$(odm_status mn | json 'j["leases"][0]["bid"]')
ba_seen() { [[ -n $("${MHCRAFT[@]}" pcap "$CAP" --type 6 --src "$CHA_ADDR") ]]; }
check "the allocation's BA is in the capture" wait_for 3 ba_seen
BU=$("${MHCRAFT[@]}" pcap "$CAP" --type 5 --dst "$CHA_ADDR" | tail -n1)
BA=$("${MHCRAFT[@]}" pcap "$CAP" --type 6 --src "$CHA_ADDR" | tail -n1)
SEQ=$(field seq <<<"$BU") TS=$(field ts <<<"$BU")
NEXT=$(((SEQ + 1) % 65536)) # the number of the host's next BU: its refresh
echo "allocation: BU seq $SEQ ts $TS bid $BID; BA status $(field status <<<"$BA")"
check "the genuine BA echoes the BU's timestamp" test "$(field ts <<<"$BA")" = "$TS"

# A 146 harvested from the anchor: a BU with a wrong MAC and the host's
# identity, BID and next sequence number, sent from the host's CoA. The
# anchor's answer reaches the host at once (a stray BA, counted).
IGN0=$(odm_reg_counter ba_ignored) IN0=$(odm_reg_counter ba_in)
HARVEST=$(nsq mn "${MHCRAFT[@]}" --coa "$COA" --cha "$CHA_ADDR" --nai "$ODM_NAI" --spi "$ODM_SPI" \
	--keyfile "$ODM_DIR/mn.key" --seq "$NEXT" --bid "$BID" --badauth 2>&1 || true)
echo "harvest: $HARVEST"
H146=
SENT=0
if [[ $HARVEST == "BA status=146"* ]]; then
	H146=$("${MHCRAFT[@]}" pcap "$CAP" --type 6 --src "$CHA_ADDR" | grep ' status=146 ' | tail -n1)
	SENT=1
else
	echo "the anchor answered the forged BU with no 146: nothing to harvest"
fi

# ---------------------------------------------------------------- 1. registered, nothing outstanding
BEFORE=$(state)
SENT0=$(odm_reg_counter bu_sent)
# the genuine allocation BA, replayed
nsq cha "${MHCRAFT[@]}" send-raw --from "$CHA_ADDR" --to "$COA" --hex "$(field hex <<<"$BA")"
SENT=$((SENT + 1))
# signed with the real key, the live BID and number, an old timestamp
for st in 0 133 146; do
	# shellcheck disable=SC2046
	queue_ba "$CHA_ADDR" --status "$st" --seq "$SEQ" --bid "$BID" --hnp "$CHOA" \
		--lifetime 600 --ts "$TS" --ts-delta -4294967296 $(signed) # 1 s older
done
send_bas cha
all_counted() { (($(odm_reg_counter ba_ignored) >= IGN0 + SENT)); }
check "all $SENT stray BAs so far were counted as ignored" wait_for 3 all_counted
check "none was acted upon (ba_in unchanged)" test "$(odm_reg_counter ba_in)" -eq "$IN0"
check "the lease, the anchor's binding and mn's rules are unchanged" same "$BEFORE" "$(state)"
check "the agent sent no BU (bu_sent unchanged)" test "$(odm_reg_counter bu_sent)" -eq "$SENT0"

# ---------------------------------------------------------------- 2. a refresh outstanding
# The anchor is stopped (SIGSTOP, our own pid); then a request for the
# lease, whose last BA is older than 5 s by then, makes the host confirm
# the binding with a refresh before it hands the lease out (odmagent(8)):
# the refresh BU stays unanswered while the stray BAs come in, the lease's
# lifetime (300 s) far from its end. (Not the periodic refresh of a short
# lifetime: on a loaded machine it came during 1., or before the stop, or
# the lifetime ran out before the stray BAs were all in.)
topo_at_exit "kill -CONT $CHA_AGENT_PID 2>/dev/null || true"
confirm_due() { (($(odm_status mn | json 'j["leases"][0]["lifetime_left"]') <= 294)); }
check "the lease's last BA is older than 5 s" wait_for 8 confirm_due
kill -STOP "$CHA_AGENT_PID"
odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp >"$ODM_DIR/confirm.out" 2>&1 &
CONFIRM_PID=$!
# (the forged BU of the harvest had that number too, and lifetime 100 s)
refresh_bu() { bus_from_coa | grep " seq=$NEXT .* lifetime=300 bid=$BID "; }
check "the refresh BU (seq $NEXT) went out" wait_for 8 refresh_bu
RTS=$(refresh_bu | field ts)
if [[ -n $H146 ]]; then
	nsq cha "${MHCRAFT[@]}" send-raw --from "$CHA_ADDR" --to "$COA" --hex "$(field hex <<<"$H146")"
	SENT=$((SENT + 1))
	echo "the harvested 146 for seq $NEXT replayed"
fi
for st in 0 128 130 133 174; do
	# shellcheck disable=SC2046
	queue_ba "$CHA_ADDR" --status "$st" --seq "$NEXT" --bid "$BID" --hnp "$CHOA" \
		--lifetime 600 --ts "$TS" $(signed) # the allocation's timestamp
done
# shellcheck disable=SC2046
queue_ba "$CHA_ADDR" --status 146 --seq "$NEXT" --bid "$BID" --ts "$RTS" $(signed)
queue_ba "$CHA_ADDR" --status 146 --seq "$NEXT" --bid "$BID" --ts "$RTS"
# shellcheck disable=SC2046
queue_ba "$CHA_ADDR" --status 133 --seq "$NEXT" --bid "$BID" $(signed)
send_bas cha
check "all $SENT stray BAs were counted as ignored" wait_for 3 all_counted
check "none was acted upon during the refresh" test "$(odm_reg_counter ba_in)" -eq "$IN0"
lease_state() { odm_status mn | json '",".join(l["addr"] + ":" + l["state"] for l in j["leases"])'; }
check "the lease is still held while its refresh is outstanding" \
	test "$(lease_state)" = "$CHOA:registered"
kill -CONT "$CHA_AGENT_PID"
# (an anchor stopped for long enough answers the queued refresh 145, its
# timestamp too old, and the host sends it again: ba_in may grow by two)
confirmed() {
	[[ $(odm_status mn | json '[[b["pending"], b["registered"]] for b in j["bindings"] if b["hnp"] == "'"$CHOA"'"]') == '[["none", true]]' ]] &&
		(($(odm_reg_counter ba_in) > IN0))
}
check "the genuine BA then completes the refresh (ba_in up, the binding confirmed)" wait_for 8 confirmed
wait "$CONFIRM_PID" || true # answered the lease, or ETIMEDOUT after 2.9 s unconfirmed
echo "the request that made the refresh: $(cat "$ODM_DIR/confirm.out")"
echo "ba_ignored $IGN0 -> $(odm_reg_counter ba_ignored), ba_in $IN0 -> $(odm_reg_counter ba_in)"
check "the lease is registered" test "$(lease_state)" = "$CHOA:registered"
at_anchor() { odm_status cha | json '[b["coa"] for b in j["bindings"] if b["hoa"] == "'"$CHOA"'"]'; }
check "the anchor still binds $CHOA to $COA" test "$(at_anchor)" = "[\"$COA\"]"
no_dereg() { ! grep -q ' lifetime=0 ' <<<"$(bus_from_coa)"; }
check "no deregistration BU (lifetime 0) in the capture" no_dereg
check "the lease still carries traffic (curl from $CHOA)" \
	nsx mn curl -6 -sS --max-time 5 --interface "$CHOA" -o /dev/null "http://[$CN_ADDR]/"

# ---------------------------------------------------------------- an allocation in progress
# cn2 runs no anchor: the allocation BU stays outstanding until the request
# times out (2.9 s), unless a BA ends it.
alloc_bg() { # alloc_bg OUTFILE [ANCHOR] - a lease request at cn2 (or ANCHOR) in the background
	odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "${2:-$CN2_ADDR}" --proto tcp >"$1" 2>&1 &
	ALLOC_PID=$!
}
bu_to_cn2() { # bu_to_cn2 SEQ [DST] - the newest BU to cn2 (or DST) numbered above SEQ, if any
	"${MHCRAFT[@]}" pcap "$CAP" --type 5 --dst "${2:-$CN2_ADDR}" | tail -n1 | grep -v " seq=$1 " || true
}
new_bu() { [[ -n $(bu_to_cn2 "$@") ]]; }
IGN0=$(odm_reg_counter ba_ignored) IN0=$(odm_reg_counter ba_in)
BEFORE=$(state)
T0=$(topo_now_ms)
alloc_bg "$ODM_DIR/alloc1.out"
check "the allocation BU to cn2 is in the capture" wait_for 2 new_bu none
ABU=$(bu_to_cn2 none)
ASEQ=$(field seq <<<"$ABU") ATS=$(field ts <<<"$ABU") ABID=$(field bid <<<"$ABU")
echo "allocation at cn2: BU seq $ASEQ ts $ATS bid $ABID"
SENT=0
# shellcheck disable=SC2046
queue_ba "$CN2_ADDR" --status 133 --seq "$ASEQ" --bid "$ABID" --ts "$ATS" --ts-delta -4294967296 $(signed)
# shellcheck disable=SC2046
queue_ba "$CN2_ADDR" --status 0 --seq "$ASEQ" --bid "$ABID" --hnp 2001:db8:c4a::99 \
	--lifetime 600 --ts "$ATS" --ts-delta -1 $(signed)
# shellcheck disable=SC2046
queue_ba "$CN2_ADDR" --status 146 --seq "$ASEQ" --bid "$ABID" --ts "$ATS" $(signed)
queue_ba "$CN2_ADDR" --status 146 --seq "$ASEQ" --bid "$ABID" --ts "$ATS"
send_bas cn2
wait "$ALLOC_PID" || true # its verdict is in its output
T1=$(topo_now_ms)
echo "allocation at cn2 ended after $((T1 - T0)) ms: $(cat "$ODM_DIR/alloc1.out")"
check "the stray BAs did not end it: ETIMEDOUT" grep -q ETIMEDOUT "$ODM_DIR/alloc1.out"
check "after the full timeout ($((T1 - T0)) ms >= 2800)" test $((T1 - T0)) -ge 2800
check "all $SENT were counted as ignored" test "$(odm_reg_counter ba_ignored)" -ge $((IGN0 + SENT))
check "none was acted upon" test "$(odm_reg_counter ba_in)" -eq "$IN0"

# cn2 let an allocation time out: it is not asked again for 10 s
# (HE_SILENT_HOLD_MS), a request there is answered at once without an
# allocation BU (the deregistration of the allocation that timed out, by its
# BID, may still go out meanwhile, and again on its own schedule: lifetime 0)
alloc_to_cn2() { # alloc_to_cn2 SEQ - the newest BU to cn2 with a lifetime, numbered other than SEQ
	"${MHCRAFT[@]}" pcap "$CAP" --type 5 --dst "$CN2_ADDR" | grep -v " lifetime=0 " | tail -n1 |
		grep -v " seq=$1 " || true
}
LASTSEQ=$(field seq <<<"$(alloc_to_cn2 none)")
T0=$(topo_now_ms)
odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CN2_ADDR" --proto tcp >"$ODM_DIR/alloc1b.out" 2>&1 || true
T1=$(topo_now_ms)
echo "a request at cn2 right after: $((T1 - T0)) ms: $(cat "$ODM_DIR/alloc1b.out")"
check "a request at cn2 right after is answered ETIMEDOUT at once ($((T1 - T0)) ms)" \
	bash -c "grep -q ETIMEDOUT '$ODM_DIR/alloc1b.out' && test $((T1 - T0)) -le 1000"
sleep 0.2
check "and no allocation BU goes to cn2 for it" test -z "$(alloc_to_cn2 "$LASTSEQ")"

# positive control: the same path with a BA that does echo the BU's number
# and timestamp is acted upon, so the stray ones above reached the agent
# (at cn, which runs no anchor either: cn2 is on hold). A responder on cn
# answers the BU as it comes (a BA crafted from the capture came after the
# allocation's 2.9 s on a loaded machine).
ANSWER=$ODM_DIR/answer.out
# shellcheck disable=SC2046
nsq cn "${MHCRAFT[@]}" answer-bu --from "$CN_ADDR" --to "$COA" --status 133 $(signed) >"$ANSWER" 2>&1 &
ANSWER_PID=$!
topo_at_exit "kill $ANSWER_PID 2>/dev/null || true"
listening() { grep -q '^listening' "$ANSWER"; }
check "the responder on cn is listening" wait_for 10 listening
T0=$(topo_now_ms)
alloc_bg "$ODM_DIR/alloc2.out" "$CN_ADDR"
wait "$ALLOC_PID" || true # its verdict is in its output
T1=$(topo_now_ms)
wait "$ANSWER_PID" || true
echo "control: answered in $((T1 - T0)) ms: $(cat "$ODM_DIR/alloc2.out"); responder: $(tail -n1 "$ANSWER")"
check "an allocation BU to cn is in the capture" wait_for 2 new_bu none "$CN_ADDR"
ABU=$(bu_to_cn2 none "$CN_ADDR")
check "the responder answered it (seq $(field seq <<<"$ABU"))" \
	grep -q "^type=5 .* seq=$(field seq <<<"$ABU") bid=$(field bid <<<"$ABU") ts=$(field ts <<<"$ABU")\$" "$ANSWER"
check "a signed 133 echoing the BU ends the allocation (REQUIREDIPFAILED)" \
	grep -q REQUIREDIPFAILED "$ODM_DIR/alloc2.out"
check "and counts in ba_in" test "$(odm_reg_counter ba_in)" -eq $((IN0 + 1))
check "the live lease is still as before" same "$BEFORE" "$(state)"

# RFC 6275 section 9.2: a message of a type the host does not know (42)
# draws a Binding Error, status 2, to its sender
nsq cn "${MHCRAFT[@]}" send-raw --from "$CN_ADDR" --to "$COA" --hex 3b012a00000000000000000000000000
be2_seen() { "${MHCRAFT[@]}" pcap "$CAP" --type 7 --dst "$CN_ADDR" | grep -Eq ' hex=3b020700[0-9a-f]{4}02'; }
check "an MH of unknown type 42 from cn draws a Binding Error, status 2, from the host" \
	wait_for 3 be2_seen

# RFC 6275 sections 6.1.1 and 9.2: malformed messages draw ICMPv6 Parameter
# Problems, for the host (at its care-of address) and the anchor
PPCAP=$ODM_DIR/pp.pcap
odm_capture cn eth0 "$PPCAP" "ip6 proto 135 or (icmp6 and ip6[40] == 4)"
PPCAPPID=$ODM_CAP_PID
# two messages to each agent: well within either's limit (the host's burst
# of 10, the anchor's answer-burst)
pp_send() { # pp_send TO HEX...
	local to=$1 h
	shift
	for h in "$@"; do
		nsq cn "${MHCRAFT[@]}" send-raw --from "$CN_ADDR" --to "$to" --hex "$h"
	done
}
PP_PROTO=0600000000000000                 # a BRR, Payload Proto 6
PP_BE16=3b010700000000000000000000000000  # a BE of Header Len 1 (16 < 24)
PP_BU=06010500000000000000000000000000    # a BU, Payload Proto 6
PP_BU8=3b00050000000000                   # a BU of Header Len 0 (8 < 12)
pp_send "$COA" "$PP_PROTO" "$PP_BE16"
pp_send "$CHA_ADDR" "$PP_BU" "$PP_BU8"
# pp_of DST MHHEX PTR - the Parameter Problem from DST to cn about the MH
# sent from cn to DST as MHHEX (its checksum aside), pointer PTR, code 0,
# quoting that packet as it left cn (its hop limit aside): says it or fails
pp_of() {
	"${MHCRAFT[@]}" pcap-pp "$PPCAP" | python3 -c '
import sys
cn, dst, mh, ptr = sys.argv[1:]
mh = bytes.fromhex(mh)
sent = pp = None
for l in sys.stdin:
    k, s, d, h = l.split()
    b = bytes.fromhex(h)
    if k == "mh" and (s, d) == (cn, dst) and b[40:44] + b[46:] == mh[:4] + mh[6:]:
        sent = b
    q = b[48:]
    if k == "pp" and (s, d) == (dst, cn) and sent and len(q) == len(sent) and \
            q[:7] == sent[:7] and q[8:] == sent[8:]:
        pp = b
if not pp:
    sys.exit(1)
p = int.from_bytes(pp[44:48], "big")
print("code %d pointer %d hop limit %d->%d quote %s" % (pp[41], p, sent[7], pp[55], pp[48:].hex()))
sys.exit(0 if pp[41] == 0 and p == int(ptr) and 0 < pp[55] <= sent[7] else 1)
' "$CN_ADDR" "$1" "$2" "$3"
}
# tshark's reading of the same: code, pointer, and the quoted MH's fields
pp_tshark() { # pp_tshark DST - code, pointer, quoted Payload Proto and Header Len per line
	tshark -r "$PPCAP" -Y "icmpv6.type == 4 && ipv6.src == $1" -T fields -E occurrence=l \
		-e icmpv6.code -e icmpv6.pointer -e mip6.proto -e mip6.hlen 2>/dev/null
}
pp_seen() { pp_of "$@" >/dev/null; }
check "the host answers a BRR with Payload Proto 6 with a Parameter Problem at 40" \
	wait_for 3 pp_seen "$COA" "$PP_PROTO" 40
check "the host answers a BE of Header Len 1 with a Parameter Problem at 41" \
	wait_for 3 pp_seen "$COA" "$PP_BE16" 41
check "the anchor answers a BU with Payload Proto 6 with a Parameter Problem at 40" \
	wait_for 3 pp_seen "$CHA_ADDR" "$PP_BU" 40
check "the anchor answers a BU of Header Len 0 with a Parameter Problem at 41" \
	wait_for 3 pp_seen "$CHA_ADDR" "$PP_BU8" 41
for x in "$COA $PP_PROTO 40" "$COA $PP_BE16 41" "$CHA_ADDR $PP_BU 40" "$CHA_ADDR $PP_BU8 41"; do
	# shellcheck disable=SC2086
	echo "parameter problem: $(pp_of $x || true)"
done
echo "tshark: host: $(pp_tshark "$COA" | tr '\t\n' ' ;'); anchor: $(pp_tshark "$CHA_ADDR" | tr '\t\n' ' ;')"
check "tshark reads them so: code 0, pointers 40 and 41, the quoted MH's fields" \
	test "$(pp_tshark "$COA" | tr '\t\n' ' ;')/$(pp_tshark "$CHA_ADDR" | tr '\t\n' ' ;')" = \
	"0 40 6 0;0 41 59 1;/0 40 6 1;0 41 59 0;"
odm_capture_stop "$PPCAPPID"

odm_capture_stop "$CAPPID"
kill "$HOLD_PID" 2>/dev/null || true
wait "$HOLD_PID" 2>/dev/null || true
check "no sanitizer report (when built with SAN=1)" \
	bash -c "! grep -qE 'Sanitizer|runtime error' '$MN_AGENT_LOG'"
if ((FAILS)); then
	echo "--- mn agent log"; tail -n 40 "$MN_AGENT_LOG"
	echo "--- cha agent log"; tail -n 20 "$CHA_AGENT_LOG"
fi
check_summary test_strayba
