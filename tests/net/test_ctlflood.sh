#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ctlflood.sh - a local user floods the host agent's control socket
# with requests that each make the agent say something: the agent's log
# stays small and the agent answers everyone (odmagent(8), CONTROL
# PROTOCOL). One connection, as an unprivileged user, sends the same request
# as fast as the agent reads for FLOOD_S seconds (tests/net/lib/ctlflood.py):
#   1. a lease that claims another uid and program (nobody, Non-persistent);
#   2. a lease the policy refuses (nobody asks Session-lasting);
#   3. a lease that falls back to a plain address (daemon asks
#      Session-lasting, and no anchor serves the destination);
# each is answered (thousands of them), yet its line reaches the log at
# most REQLOG_BURST (20) times at once and 5 times a second after
# (reqlog.h), the others at debug level; the next line let through says
# how many were held back. Meanwhile another user's hello is answered
# within 500 ms, and the same request of another user, sent once in the
# middle of the flood, has its line written at its own level: the flooder
# spends its own share of the log only. Before the mend, every request
# wrote its line: about 40 MB of log a second from one unprivileged
# connection, into the journal of a daemon that runs as root; and before
# the shares were per user, the other user's line went to debug level.
#   4. root's monitor, read at a terminal's pace, during a flood of 2.:
#      another user's refusal and a reload in the middle of it reach it,
#      each refusal of the flood is heard or counted in a "lost" line's
#      kinds, and "lost" lines are few (odmagent(8), monitor). Before, a
#      "lost" line came between every few events, and those two events
#      were lost among them.
#   5. six users flooding at once (uids of one container) and 40
#      reloads meanwhile: no reload's event is lost to root's monitor.
#      Before, four users' shares of its queue filled it, and a reload
#      that came then was dropped.
#
# Exit 0 pass, 1 fail, 77 skip.
#
# run-all: alone (it floods the agent from one core and times another user's answer)
set -eEuo pipefail
trap 'check_on_err test_ctlflood' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_ctlflood "network namespaces, other uids" ip python3 setpriv
getent group nogroup >/dev/null || { echo "SKIP: no group nogroup"; exit 77; }

export TOPO_BIGFILE_MB=1
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

FLOOD_S=2 MAX_LINES=$((20 + 5 * (2 + 1) + 5)) # burst + rate * (flood + a second) + slack
export ODM_CTL_GROUP=nogroup
topo_up
export ODM_POLICY_FILE=$ODM_RUNDIR/odm.policy
cat >"$ODM_POLICY_FILE" <<'EOP'
# test_ctlflood.sh: nobody gets plain addresses only
rule uid 65534 allow non-persistent
rule uid 2 allow non-persistent
EOP
odm_agents_up
BIN=$ODM_RUNDIR/ctl
cp "$HERE/lib/ctlflood.py" "$BIN/ctlflood.py"
chmod 0755 "$BIN/ctlflood.py"
cat >"$BIN/hello.py" <<'EOP'
# one hello (or the request of argv[2]) on the control socket: the ms it
# took to be answered
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
t = time.monotonic()
s.connect(sys.argv[1])
s.sendall((sys.argv[2] if len(sys.argv) > 2 else '{"op":"hello","id":1}').encode() + b'\n')
r = s.recv(65536)
assert len(sys.argv) > 2 or b'"ok":true' in r
print(round((time.monotonic() - t) * 1000))
EOP
LEASE='"op":"lease","dst":"2001:db8:c0::10","proto":"udp"'

# flood NAME UID JSON TEXT OTHER OTHER_TEXT - FLOOD_S seconds of JSON as
# UID; the lines of UID with TEXT (grep -E) it added to mn's log are
# counted, another
# user's hello is timed, and the same request of user OTHER, sent once a
# second into the flood, must have its line (OTHER_TEXT, a grep -E
# pattern) at its own level (info or warn: the log takes no debug here)
flood() {
	local name=$1 uid=$2 req=$3 text=$4 other=$5 other_text=$6 before out lines hello n
	before=$(wc -l <"$MN_AGENT_LOG")
	odm_as "$uid" /usr/bin/python3 "$BIN/ctlflood.py" "$MN_SOCK" "$FLOOD_S" "$req" >"$ODM_DIR/$name.out" &
	local pid=$!
	sleep 1
	hello=$(odm_as 2 /usr/bin/python3 "$BIN/hello.py" "$MN_SOCK")
	odm_as "$other" /usr/bin/python3 "$BIN/hello.py" "$MN_SOCK" "${req%\}},\"id\":1}" >/dev/null
	wait "$pid"
	out=$(cat "$ODM_DIR/$name.out")
	echo "$name: $out"
	n=$(sed -n 's/^sent=[0-9]* answered=\([0-9]*\) .*/\1/p' <<<"$out")
	lines=$(tail -n +"$((before + 1))" "$MN_AGENT_LOG" | grep -cE -- "uid $uid pid [0-9]+.*$text" || true)
	echo "$name: $lines line(s) with '$text' for $n requests; another user's hello took $hello ms"
	check "$name: the agent answered thousands of requests ($n)" test "${n:-0}" -ge 2000
	check "$name: $lines line(s) with '$text' at most $MAX_LINES" test "$lines" -le "$MAX_LINES"
	check "$name: and at least one (the first are said)" test "$lines" -ge 1
	check "$name: another user's hello answered within 500 ms ($hello)" test "$hello" -le 500
	check "$name: uid $other's line during the flood was written at its own level" \
		grep -qE "(info|warn): .*$other_text" <<<"$(tail -n +"$((before + 1))" "$MN_AGENT_LOG")"
}

# ---------------------------------------------------------------- 1. claims
flood claims 65534 "{$LEASE,\"uid\":0,\"exe\":\"/usr/bin/curl\"}" "claims to be uid 0" \
	2 "uid 2 pid [0-9]+ claims to be uid 0"
# ---------------------------------------------------------------- 2. refused
sleep 4 # the bucket full again (20 at 5 a second)
flood refused 65534 "{$LEASE,\"type\":\"session-lasting\"}" "session-lasting refused" \
	2 "uid 2 pid [0-9]+ .*session-lasting refused"
sleep 1
# (lines let through during the flood say their counts too: only the
# lines after it are looked at)
from=$(wc -l <"$MN_AGENT_LOG")
odm_as 65534 /usr/bin/python3 "$BIN/ctlflood.py" "$MN_SOCK" 0.1 "{$LEASE,\"type\":\"session-lasting\"}" >/dev/null
check "the next refusal let through says how many were held back" \
	grep -qE "session-lasting refused: .* \(and [0-9]+ more such line\(s\) since the last: debug level\)" \
	<<<"$(tail -n +"$((from + 1))" "$MN_AGENT_LOG")"
# ---------------------------------------------------------------- 3. plain
flood plain 1 "{$LEASE,\"type\":\"session-lasting\"}" "no anchor for this destination: plain address" \
	3 "for uid 3 pid [0-9]+: no anchor for this destination: plain address"

# ---------------------------------------------------------------- 4. root's monitor
# Root's monitor, read at a terminal's pace, during a flood of refusals by
# uid 65534: another user's refusal and a reload, in the middle of it,
# reach it (another user's events take a share of its queue only), every
# refusal of the flood is either heard or counted in a "lost" line, and
# those lines are few (told once the queue has drained, with their kinds),
# not one between every few events.
cat >"$BIN/monitor.py" <<'EOP'
# root's monitor read 4 KiB each 5 ms, until 1.5 s of silence past SECS:
# what it heard, as one JSON line
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"op":"monitor","id":1}\n')
s.settimeout(1.5)
start, secs = time.monotonic(), float(sys.argv[2])
buf, got = b"", {"flood": 0, "other": 0, "reloaded": 0, "lost_lines": 0, "lost": 0,
                 "lost_refused": 0, "lost_reloaded": 0, "events": 0}
while True:
    try:
        d = s.recv(4096)
    except socket.timeout:
        if time.monotonic() - start > secs:
            break
        continue
    if not d:
        break
    buf += d
    *lines, buf = buf.split(b"\n")
    for l in lines:
        o = json.loads(l)
        k = o.get("event")
        if k == "lost":
            got["lost_lines"] += 1
            got["lost"] += o["count"]
            got["lost_refused"] += o.get("kinds", {}).get("lease-refused", 0)
            got["lost_reloaded"] += o.get("kinds", {}).get("config-reloaded", 0)
        elif k == "lease-refused":
            got["events"] += 1
            got["flood" if o["uid"] == 65534 else "other"] += 1
        elif k is not None:
            got["events"] += 1
            got["reloaded"] += k == "config-reloaded"
    time.sleep(0.005)
print(json.dumps(got))
EOP
# monitored NAME HUPS UID... - root's monitor (monitor.py) during FLOOD_S
# seconds of refusals or fallbacks by each UID at once, uid 2's refusal a
# second in, then HUPS SIGHUPs 20 ms apart: what it heard in
# $ODM_DIR/NAME.out, each UID's flood's count in $ODM_DIR/NAME-UID.out
monitored() {
	local name=$1 hups=$2 mon uid pids=() i
	shift 2
	nsx mn /usr/bin/python3 "$BIN/monitor.py" "$MN_SOCK" "$((FLOOD_S + 1))" >"$ODM_DIR/$name.out" &
	mon=$!
	sleep 0.5
	for uid in "$@"; do
		odm_as "$uid" /usr/bin/python3 "$BIN/ctlflood.py" "$MN_SOCK" "$FLOOD_S" \
			"{$LEASE,\"type\":\"session-lasting\"}" >"$ODM_DIR/$name-$uid.out" &
		pids+=($!)
	done
	sleep 1
	odm_as 2 /usr/bin/python3 "$BIN/hello.py" "$MN_SOCK" "{$LEASE,\"type\":\"session-lasting\",\"id\":1}" >/dev/null
	for ((i = 0; i < hups; i++)); do
		kill -HUP "$MN_AGENT_PID"
		sleep 0.02
	done
	wait "${pids[@]}"
	wait "$mon"
}
monitored monitor 1 65534
mon=$(cat "$ODM_DIR/monitor.out")
n=$(sed -n 's/^sent=[0-9]* answered=\([0-9]*\) .*/\1/p' "$ODM_DIR/monitor-65534.out")
echo "monitor: heard $mon; the flood had $n refusals"
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$mon" "$1"; }
check "monitor: uid 2's refusal in the flood reached root's monitor" test "$(field other)" -eq 1
check "monitor: the reload in the flood reached it" test "$(field reloaded)" -eq 1
check "monitor: each of the flood's $n refusals heard or counted lost ($(field flood) + $(field lost_refused))" \
	test "$(($(field flood) + $(field lost_refused)))" -eq "$n"
check "monitor: lost lines ($(field lost_lines)) at most one per 25 events heard ($(field events)), and 2" \
	test "$(($(field lost_lines) * 25))" -le "$(($(field events) + 50))"

# ---------------------------------------------------------------- 5. many users' floods
# Six users flood at once (uid 65534 refused, the others given plain
# addresses: fallbacks), as one user's container with a range of uids
# can, and the agent is sent 40 SIGHUPs meanwhile: together the events of
# users other than root take three quarters of root's monitor's queue at
# most, so no reload's event is lost (before, four users' shares filled
# the queue: a reload that came while it was full was dropped).
monitored many 40 65534 1 4 5 6 7
mon=$(cat "$ODM_DIR/many.out")
echo "many: heard $mon"
check "many: no reload's event was lost during six users' floods ($(field lost_reloaded) lost)" \
	test "$(field lost_reloaded)" -eq 0
check "many: reloads were heard ($(field reloaded)), and the floods ($(field events) events, $(field lost) lost)" \
	test "$(field reloaded)" -ge 1 -a "$(field events)" -ge 100 -a "$(field lost)" -ge 1

check "mn's agent is alive" kill -0 "$MN_AGENT_PID"
echo "mn's log: $(wc -l <"$MN_AGENT_LOG") lines, $(stat -c %s "$MN_AGENT_LOG") bytes"
check "agents' logs are clean" odm_agent_logs_clean
check_summary test_ctlflood
