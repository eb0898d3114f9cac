#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ctl_nofile.sh - the host agent out of open files at run time
# (odmagent(8), Fair shares). Its soft limit on open files is lowered under
# it (prlimit --pid) to the lowest descriptor number it has free, so that
# every new descriptor fails with EMFILE, as when something in it leaks
# them or the limit is cut while it runs:
#   1. clients that connect are closed unanswered (libuv's reserve
#      descriptor, uv_accept(3)): odmctl fails at once, it does not hang;
#   2. the agent does not spin on the listening socket (CPU time bounded);
#   3. it logs, once, that it has no open file to spare, naming the limit
#      (it logged nothing before: the clients were closed unsaid);
#   4. the limit raised again, it says so and serves odmctl again;
#   5. the limit lowered below the descriptors it has open (libuv's reserve
#      descriptor among them, so libuv's own remedy fails and it hands
#      every accept(2) error to the agent at once, again and again): the
#      agent closes its socket rather than spin on it (it spent a core and
#      logged 2 million lines in 5 s before), says so once, odmctl is
#      refused at once, and with the limit raised it listens again.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_ctl_nofile "network namespaces" ip prlimit named radvd nginx
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_ctl_nofile' ERR

topo_up
odm_agents_up
P=$MN_AGENT_PID
SAID='no open file to spare (limit on open files'
AGAIN='open files to spare again: control connections are served'
# cputicks - the agent's user + system time, in clock ticks
cputicks() { awk '{ print $14 + $15 }' "/proc/$P/stat"; }
# lowest_free - the lowest descriptor number the agent has not open
lowest_free() {
	local n=0
	while [[ -e /proc/$P/fd/$n ]]; do n=$((n + 1)); done
	echo "$n"
}
answers() { timeout 10 "$ODM_BUILD/odmctl" -s "$MN_SOCK" status >/dev/null; }
said() { [[ $(grep -c -- "$1" "$MN_AGENT_LOG" || true) -ge ${2:-1} ]]; }

check "odmctl status answers before" answers
LIM=$(lowest_free)
prlimit --pid "$P" --nofile="$LIM":
echo "agent's soft limit on open files now $LIM (its lowest free descriptor)"

# 1 and 2: a few clients over 3 s, the agent's CPU time meanwhile
T0=$(cputicks)
fails=0 slow=0
for _ in 1 2 3 4 5 6; do
	t=$(topo_now_ms)
	answers 2>"$ODM_DIR/ctl.err" || fails=$((fails + 1))
	(($(topo_now_ms) - t < 2000)) || slow=$((slow + 1))
	sleep 0.5
done
T1=$(cputicks)
echo "odmctl: $fails of 6 failed, $slow took 2 s or more; the agent used $((T1 - T0)) ticks in 3 s"
check "1. odmctl fails while the agent has no open file to spare ($fails of 6)" test "$fails" -eq 6
check "1. and at once, it does not hang ($slow took 2 s or more)" test "$slow" -eq 0
check "2. the agent does not spin ($((T1 - T0)) ticks of CPU in 3 s)" test $((T1 - T0)) -lt 100
check "the agent is still running" kill -0 "$P"

# 3: said, once, with the limit
check "3. the agent says it has no open file to spare" wait_for 3 said "$SAID $LIM)"
grep -- "$SAID" "$MN_AGENT_LOG" || true
sleep 1.5
check "3. once ($(grep -c -- "$SAID" "$MN_AGENT_LOG" || true) lines)" \
	test "$(grep -c -- "$SAID" "$MN_AGENT_LOG")" -eq 1

# 4: room again
prlimit --pid "$P" --nofile=4096:
check "4. the limit raised, the agent says so" wait_for 3 said "$AGAIN"
check "4. and odmctl status answers again" answers

# 5: below the descriptors open: every new one fails, whatever is closed
LOW=3 # 0-2 are open: no new descriptor can be had
prlimit --pid "$P" --nofile="$LOW":
FROM=$(wc -l <"$MN_AGENT_LOG")
T0=$(cputicks)
fails=0 slow=0
for _ in 1 2 3; do
	t=$(topo_now_ms)
	answers 2>/dev/null || fails=$((fails + 1))
	(($(topo_now_ms) - t < 2000)) || slow=$((slow + 1))
	sleep 1
done
T1=$(cputicks)
lines=$(($(wc -l <"$MN_AGENT_LOG") - FROM))
# lines of a function that spoke before in the window (the bpf backend's
# look at the interfaces each second said its failure every time)
again=$(tail -n +"$((FROM + 1))" "$MN_AGENT_LOG" | awk '{ print $4 }' | sort | uniq -d | wc -l)
echo "limit $LOW: odmctl $fails of 3 failed, $slow took 2 s or more; the agent used" \
	"$((T1 - T0)) ticks and logged $lines lines in 3 s"
{ tail -n +"$((FROM + 1))" "$MN_AGENT_LOG" | head -5 | cut -c1-300; } || true
check "5. odmctl fails while no descriptor can be had ($fails of 3), at once ($slow slow)" \
	test "$fails" -eq 3 -a "$slow" -eq 0
check "5. the agent does not spin on its socket ($((T1 - T0)) ticks of CPU in 3 s)" \
	test $((T1 - T0)) -lt 100
check "5. nor log a line per try, nor one a second ($lines lines in 3 s, $again said again)" \
	test "$lines" -le 3 -a "$again" -eq 0
check "5. it says it closed its socket, once" \
	test "$(tail -n +"$((FROM + 1))" "$MN_AGENT_LOG" | grep -c 'the socket is closed and made again' || true)" -eq 1
prlimit --pid "$P" --nofile=4096:
check "5. the limit raised, it listens again and says so" \
	wait_for 3 said 'closed as accept(2) failed, is made again: listening on it again'
check "5. and odmctl status answers again" answers
check "the agents' logs hold no sanitizer report" odm_agent_logs_clean

check_summary test_ctl_nofile
