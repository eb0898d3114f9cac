#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_lookup_gap.sh - a program's name lookups across a move: between the
# old link going down and the new address the host has no route, and a
# lookup made then fails at once (EAI_AGAIN: the resolver's connect() gets
# ENETUNREACH; EAI_NONAME under AI_ADDRCONFIG). Under the shim it waits for
# the new link and is made once more (odm(7), "Name lookups in a move"):
#   0. first (no gap for 10 s before it), mn's carrier lost for 0.3 s while
#      its agent is stopped (from before the loss to 0.1 s after the
#      return): the agent sees neither, but the link's count of carrier
#      losses grew, and a lookup that failed in it, its question held by
#      the stopped agent, is made again, not failed (it was: 1 of the
#      shim's failed while the plain one's failed by the hundred);
#   1. root's program under the shim and a plain one look cn up every 2 ms
#      across a move: the plain one sees failures (the control: the move
#      had a gap with lookups in it), the shim's none, and says with
#      ODM_DEBUG that it waited; the same with gethostbyname2(3);
#   2. the same for nobody's program (the agent's socket open to its
#      group), with AI_ADDRCONFIG, across the move back;
#   3. offline (mn's link down, no other up): the shim's lookups fail, none
#      held longer than the documented 3 s from the link's loss, and those
#      made after that fail at once again;
#   4. in a new gap, 2000 questions of nobody's clients that leave at once
#      (connect, move-wait, close): the agent does not hold them until the
#      bound (each would keep its connection's memory), only a few;
#   5. a program that resolved cn before the gap (its cha not asked yet)
#      connects in it (mn's link down, up again 0.3 s later): its cha
#      lookup, which finds no route, waits for the link as the program's
#      own lookups do, and the connect has its CHoA; before, the lookup
#      failed at once, and that connect and every one for 5 s after it
#      failed with EADDRNOTAVAIL (session-lasting, no CHA known);
#   6. the same connect, the cha query lost (dropped at ar1, no ICMP) and
#      mn moved to ar2 once it is out: the lookup, which got no
#      answer because the host moved, is asked again on the new link and
#      the connect has its CHoA (it failed with EADDRNOTAVAIL, the lookup
#      taken for the DNS's silence); then, the query lost at ar2 with no
#      move (a gap ended less than 10 s before), the silence stands: the
#      connect fails with EADDRNOTAVAIL, nothing is asked again, and the
#      next process is told of that silence (the user's memory of it);
#      the first lookup's loss was told to nobody as silence.
#
#   mn -- ar1 / ar2 -- core -- dns
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_lookup_gap "network namespaces, TUN, raw sockets" ip named radvd python3 setpriv nft
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
export ODM_CTL_GROUP=nogroup # nobody's program reaches the agent too (2.)
export ODM_LOG_LEVEL=debug   # the agent's line per question it held (4.)
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_lookup_gap' ERR

GAP_MS=3000 # the agent's bound from the link's loss (odm(7))
LOOP=$HERE/lib/gailoop.py
NAME=cn.$DNS_ZONE

topo_up
odm_agents_up
D=$ODM_RUNDIR/gap # (ODM_RUNDIR is set by topo_up)
mkdir -p "$D"
chmod 0755 "$D"
check "mn resolves $NAME" wait_for 10 nsq mn /usr/bin/python3 -c \
	"import socket; socket.getaddrinfo('$NAME', 7, socket.AF_INET6)"

# shim_loop OUT UID SECONDS MODE - gailoop.py as UID under the shim,
# ODM_DEBUG on (stderr in OUT.err), in the background (LOOP_PIDS)
LOOP_PIDS=()
shim_loop() {
	odm_as "$2" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_DEBUG=1 \
		/usr/bin/python3 "$LOOP" "$NAME" "$3" "$4" >"$1" 2>"$1.err" &
	LOOP_PIDS+=($!)
}
plain_loop() {
	odm_as "$2" /usr/bin/python3 "$LOOP" "$NAME" "$3" "$4" >"$1" 2>&1 &
	LOOP_PIDS+=($!)
}
loops_wait() {
	local p
	for p in "${LOOP_PIDS[@]}"; do wait "$p"; done
	LOOP_PIDS=()
}
failed() { sed -n 's/^lookups [0-9]* failed \([0-9]*\) .*/\1/p' "$1"; }
summary() { tail -n 1 "$1"; }
all_failed() {
	local n f
	read -r _ n _ f _ < <(summary "$1")
	((n >= 1 && n == f))
}

# across_move TO UID WHO MODE... - for each MODE (getaddrinfo, addrconfig,
# gethostbyname2: gailoop.py) a loop as UID under the shim
# and a plain one, 2 s, mn moving to TO at 0.7 s; then the plain ones must
# have failed (the control: the move had a gap with lookups in it), the
# shim's not (WHO names them in the checks). Outputs in $D/UID.MODE.shim
# and .plain.
across_move() {
	local to=$1 uid=$2 who=$3 mode f
	shift 3
	for mode in "$@"; do
		shim_loop "$D/$uid.$mode.shim" "$uid" 2 "$mode"
		plain_loop "$D/$uid.$mode.plain" "$uid" 2 "$mode"
	done
	sleep 0.7
	topo_move "$to"
	loops_wait
	for mode in "$@"; do
		f=$D/$uid.$mode
		check "$who's plain $mode lookups failed in the move's gap ($(summary "$f.plain"))" \
			at_least 1 failed "$f.plain"
		check "none of $who's under the shim did ($(summary "$f.shim"))" \
			eval '[[ $(failed "$f.shim") == 0 ]]'
	done
}

# ------------------- 0. a carrier loss the stopped agent does not see
# The plain loop may make no lookup in the loss: one whose query went out
# just before it waits out the resolver's 1 s (timeout:1) and is answered
# on the retry, or the loop starts late on a loaded host. Such a round
# shows nothing and is made again, 10 s on (no gap for 10 s before it),
# at most 3 times; the shim's lookups must not fail in any round.
for round in 1 2 3; do
	shim_loop "$D/blip$round.shim" 0 2 getaddrinfo
	plain_loop "$D/blip$round.plain" 0 2 getaddrinfo
	sleep 0.7
	kill -STOP "$MN_AGENT_PID"
	ip -n "$NS_AR1" link set lan0 down
	sleep 0.3
	ip -n "$NS_AR1" link set lan0 up
	sleep 0.1
	kill -CONT "$MN_AGENT_PID"
	loops_wait
	check "0: round $round: none of the shim's lookups failed ($(summary "$D/blip$round.shim"))" \
		eval '[[ $(failed "$D/blip$round.shim") == 0 ]]'
	at_least 1 failed "$D/blip$round.plain" && break
	echo "0: round $round: no plain lookup failed ($(summary "$D/blip$round.plain")):" \
		"none made in the loss; again in 10 s"
	[[ $round == 3 ]] || sleep 10
done
check "0: round $round: the plain lookups failed in the loss ($(summary "$D/blip$round.plain"))" \
	at_least 1 failed "$D/blip$round.plain"

# ---------------------------------------------- 1. root, across a move
across_move ar2 0 root getaddrinfo gethostbyname2
grep -m 2 "in a move's gap" "$D/0.getaddrinfo.shim.err" || true
check "the shim said it waited for the new link" \
	grep -q "in a move's gap: waited [0-9]* ms for the new link, asking again" "$D/0.getaddrinfo.shim.err"

# ------------------------------ 2. nobody, AI_ADDRCONFIG, the move back
across_move ar1 65534 nobody addrconfig

# ------------------------------------------------ 3. offline, no move
T_DOWN=$EPOCHREALTIME
nsx mn ip link set "$MN_IF1" down
# (1 s past the bound: hundreds of lookups after it, each a few ms)
shim_loop "$D/offline" 0 $((GAP_MS / 1000 + 1)) getaddrinfo
loops_wait
echo "offline: $(summary "$D/offline")"
# held: the longest lookup; late: lookups begun after the bound (its
# 200 ms slack) and the longest of them
read -r HELD LATE LATE_MAX < <(/usr/bin/python3 - "$D/offline" "$T_DOWN" "$GAP_MS" <<'P'
import sys
f, down, gap = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]) / 1000
held = late = 0; late_max = 0.0
for l in open(f):
    w = l.split()
    if w[0] == "lookups":
        held = float(w[5])
        continue
    if float(w[0]) > down + gap + 0.2:
        late += 1; late_max = max(late_max, float(w[1]))
print("%d %d %d" % (held, late, late_max))
P
)
check "offline, every lookup failed ($(summary "$D/offline"))" all_failed "$D/offline"
check "none was held longer than the ${GAP_MS} ms bound from the link's loss (${HELD} ms)" \
	test "$HELD" -le $((GAP_MS + 300))
check "the $LATE lookups after it failed at once (the longest ${LATE_MAX} ms)" \
	eval '((LATE >= 10 && LATE_MAX < 500))'
check "the shim said no link came" grep -q "none came: the failure stands" "$D/offline.err"

# -------------------------------- 4. questions whose client left, in a gap
nsx mn ip link set "$MN_IF1" up
check "mn resolves $NAME with its link back" wait_for 10 nsq mn /usr/bin/python3 -c \
	"import socket; socket.getaddrinfo('$NAME', 7, socket.AF_INET6)"
MARK=$(wc -l <"$MN_AGENT_LOG")
nsx mn ip link set "$MN_IF1" down
# each client asks move-wait, then hello: hello's answer (move-wait's is
# held) says the agent took the question; then it closes
odm_as 65534 /usr/bin/python3 - "$MN_SOCK" 2000 <<'P'
import socket, sys
for i in range(int(sys.argv[2])):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sys.argv[1])
        s.sendall(b'{"op":"move-wait","id":1}\n{"op":"hello","id":2}\n')
        s.makefile("rb").readline()
P
sleep $((GAP_MS / 1000 + 1))
# taken: the flood's questions the agent read; kept: those it answered
# after holding them a second or more (the bound's answer, dropped unsent)
TAKEN=$(tail -n +"$((MARK + 1))" "$MN_AGENT_LOG" | grep -c "op move-wait id 1 from pid [0-9]* uid 65534" || true)
KEPT=$(tail -n +"$((MARK + 1))" "$MN_AGENT_LOG" | grep -cE "uid 65534 pid [0-9]+: a name lookup .* waited [0-9]{4,} ms" || true)
check "the agent took the questions of the clients that left ($TAKEN of 2000)" test "$TAKEN" -ge 1000
check "it held few of them until the bound ($KEPT; a question whose client left is dropped)" \
	test "$KEPT" -le 200
# ---------------------- 5. a connect in a gap, its name's cha not asked yet
# (after 3.: the gap it ends would make 3.'s lookups be made again at once)
nsx mn ip link set "$MN_IF1" up
check "mn resolves $NAME with its link back" wait_for 10 nsq mn /usr/bin/python3 -c \
	"import socket; socket.getaddrinfo('$NAME', 7, socket.AF_INET6)"
G=$D/cha
odm_shim env ODM_DEBUG=1 /usr/bin/python3 "$HERE/lib/connect1.py" "$NAME" "$G.go" >"$G" 2>"$G.err" &
CHA_PID=$!
check "5: the program resolved $NAME" wait_for 10 test -e "$G.go.ready"
nsx mn ip link set "$MN_IF1" down
touch "$G.go"
sleep 0.3
nsx mn ip link set "$MN_IF1" up
wait "$CHA_PID" || true
read -r CMS CSRC <"$G" || true
echo "5: the connect in the gap took ${CMS:-?} ms: ${CSRC:-none}"
check "5: it has a CHoA from $CHA_POOL (${CSRC:-none})" in_prefix "${CSRC:-none}" "$CHA_POOL"
check "5: the shim said its cha lookup waited for the new link" \
	grep -q "found no route to the DNS, in a move's gap: waited [0-9]* ms for the new link, asking again" "$G.err"

# -------------- 6. a cha query lost in a move, then one lost with no move
# cha_connect OUT - connect1.py under the shim, ODM_DEBUG on, in the
# background (CHA_PID), its name resolved
cha_connect() {
	odm_shim env ODM_DEBUG=1 /usr/bin/python3 "$HERE/lib/connect1.py" "$NAME" "$1.go" \
		>"$1" 2>"$1.err" &
	CHA_PID=$!
	check "6: the program resolved $NAME" wait_for 10 test -e "$1.go.ready"
}
# dns_drop AR - AR forwards no DNS query to the server (dropped, no ICMP);
# dns_dropped AR - how many it dropped; dns_pass AR - it forwards them again
dns_drop() {
	nsx "$1" nft -f - <<EOF
table ip6 test_lookup_gap {
	chain forward {
		type filter hook forward priority 0;
		ip6 daddr $DNS_ADDR meta l4proto { udp, tcp } th dport 53 counter drop
	}
}
EOF
}
dns_dropped() {
	nsq "$1" nft list table ip6 test_lookup_gap |
		awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
dns_pass() { nsx "$1" nft delete table ip6 test_lookup_gap; }
G=$D/cha6
cha_connect "$G"
dns_drop ar1
touch "$G.go"
check "6: the connect's cha query went out, and was lost at ar1" wait_for 5 at_least 1 dns_dropped ar1
topo_move ar2
wait "$CHA_PID" || true
dns_pass ar1
read -r CMS CSRC <"$G" || true
echo "6: the connect whose cha query was lost in the move took ${CMS:-?} ms: ${CSRC:-none}"
check "6: it has a CHoA from $CHA_POOL (${CSRC:-none})" in_prefix "${CSRC:-none}" "$CHA_POOL"
check "6: the shim said its cha lookup, unanswered in the move, was asked again" \
	grep -q "got no answer while the host moved, in a move's gap: waited [0-9]* ms for the new link, asking again" "$G.err"
G=$D/cha6s
cha_connect "$G"
dns_drop ar2
touch "$G.go"
wait "$CHA_PID" || true
N=$(dns_dropped ar2)
dns_pass ar2
read -r CMS CSRC <"$G" || true
echo "6: the connect whose cha query was lost with no move ($N dropped) took ${CMS:-?} ms: ${CSRC:-none}"
check "6: its query was lost at ar2 ($N)" test "${N:-0}" -ge 1
check "6: it asked the DNS itself: the first lookup's loss in the move was not shared as silence" \
	bash -c "! grep -q 'another process of this user got no answer' '$G.err'"
check "6: with no move the silence stands: EADDRNOTAVAIL (${CSRC:-none})" \
	test "${CSRC:-none}" = EADDRNOTAVAIL
check "6: and the shim asked nothing again" bash -c "! grep -q 'asking again' '$G.err'"
G=$D/cha6n
cha_connect "$G"
touch "$G.go"
wait "$CHA_PID" || true
check "6: that silence is remembered: the next process does not wait for the lookup" \
	grep -q "cha.$NAME: another process of this user got no answer for it lately" "$G.err"

check "mn's agent answers" odm_ctl mn -j status
check "agents' logs are clean" odm_agent_logs_clean
check_summary test_lookup_gap
