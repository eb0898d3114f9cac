#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_state_dir_gone.sh - an anchor's state directory is removed (rm -rf)
# while it runs and holds a binding (odmagent(8), Restarts). Within a
# second or two:
#   1. it makes the directory and its lock file (agent.lock) again, says
#      so naming the path, and saves its state there again;
#   2. so a second agent started on that directory is refused (before, it
#      found no lock and took the directory from under the first);
#   3. killed with SIGKILL, it is known at its next start for a run that
#      did not stop cleanly (before, the lost agent.lock made that run look
#      clean, and the anchor handed out addresses without the hold after a
#      crash), and the binding is taken back;
#   4. the host agent's state directory removed in turn: it takes its
#      lock again and writes its state file there at once, with the lease,
#      though nothing in it changed; and with a file put in the
#      directory's place while a second lease is made (its save fails),
#      once the file goes, the state is written with that lease; and
#      with the state file replaced by a directory (its saves fail, tried
#      again each second), once the directory goes a new lease is saved
#      within its usual delay, not at the next retry.
#
#    mn (python + shim) --ar1-- core -- cha (odmagent anchor) -- cn
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_state_dir_gone "network namespaces, TUN, raw sockets" ip named radvd nginx python3
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_state_dir_gone' ERR

topo_up
odm_agents_up
# a program holding one connection with a CHoA, so the anchor holds a binding
odm_shim_bg python3 -c '
import socket, sys, time
s = socket.create_connection(("cn.example.test", 80), timeout=8)
print("source", s.getsockname()[0], flush=True)
time.sleep(120)' >"$ODM_DIR/holder.out" 2>&1
HOLDER=$ODM_BG_PID
topo_at_exit "kill $HOLDER 2>/dev/null || true"
check "the program has a lease" wait_for 10 grep -q '^source 2001:db8:c4a::' "$ODM_DIR/holder.out"
CHOA=$(sed -n 's/^source //p' "$ODM_DIR/holder.out")
check "the anchor holds its binding ($CHOA)" wait_for 5 grep -q "\"$CHOA\"" "$CHA_STATE_DIR/anchor.json"

# 1. removed under it
FROM=$(wc -l <"$CHA_AGENT_LOG")
since() { grep -q -- "$1" <<<"$(tail -n +"$((FROM + 1))" "$CHA_AGENT_LOG")"; }
rm -rf "$CHA_STATE_DIR"
check "1. the anchor says its lock was removed and takes it again" \
	wait_for 3 since "$CHA_STATE_DIR/agent.lock was removed under the agent: made again and locked by this one (pid $CHA_AGENT_PID)"
check "1. the lock file names it" wait_for 1 grep -qx "$CHA_AGENT_PID" "$CHA_STATE_DIR/agent.lock"
check "1. its state is saved there again, with the binding" \
	wait_for 5 grep -q "\"$CHOA\"" "$CHA_STATE_DIR/anchor.json"

# 2. a second agent on it is refused
rc=0
timeout 10 ip netns exec "$NS_CHA" "$ODM_BUILD/odmagent" -f "$ODM_DIR/cha.conf" \
	>"$ODM_DIR/second.log" 2>&1 || rc=$?
tail -2 "$ODM_DIR/second.log"
check "2. a second agent on the directory does not start (status $rc)" test "$rc" -ne 0
check "2. it names the one that holds it" \
	grep -q "is in use by another odmagent (pid $CHA_AGENT_PID)" "$ODM_DIR/second.log"
check "2. the first one still runs" kill -0 "$CHA_AGENT_PID"

# 3. a crash after that is seen as one
odm_agent_kill9 cha
FROM=$(wc -l <"$CHA_AGENT_LOG")
odm_agent_start cha
check "3. the next run knows the last did not stop cleanly" \
	since "did not stop cleanly (killed or crashed)"
check "3. and holds addresses back as after a crash" since "anchor_hold_after_crash: the last run did not stop cleanly"
check "3. it took the binding of $CHOA back" since "1 of 1 binding(s) restored"

# 4. the host agent's, the same: its state file is written again at once,
# even when nothing in it changed (a CI run failed here when the host
# agent only wrote at its next save, which skipped a state equal to the
# one it last wrote: no file, until a refresh changed it)
FROM=$(wc -l <"$MN_AGENT_LOG")
mn_since() { grep -q -- "$1" <<<"$(tail -n +"$((FROM + 1))" "$MN_AGENT_LOG")"; }
rm -rf "$MN_STATE_DIR"
check "4. the host agent says its lock was removed and takes it again" \
	wait_for 3 mn_since "$MN_STATE_DIR/agent.lock was removed under the agent: made again and locked by this one (pid $MN_AGENT_PID)"
check "4. its state is saved there again, with the lease $CHOA" \
	wait_for 3 grep -q "\"$CHOA\"" "$MN_STATE_DIR/mn.json"

# 4b. a file in the directory's place, so that the agent cannot make it
# again until the file goes, while a second lease is made: its save fails.
# Once the file goes, the state is written with both leases.
FROM=$(wc -l <"$MN_AGENT_LOG")
rm -rf "$MN_STATE_DIR"
: >"$MN_STATE_DIR"
# a fresh address (IPV6_ADDR_PREFERENCES 72, IPV6_REQUIRE_SRC_ON_NET,
# odm(7)): a lease of its own, not the first program's
odm_shim_bg python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, 72, 0x8000)
s.settimeout(8)
s.connect(socket.getaddrinfo("cn.example.test", 80, socket.AF_INET6)[0][4])
print("source", s.getsockname()[0], flush=True)
time.sleep(120)' >"$ODM_DIR/holder2.out" 2>&1
HOLDER2=$ODM_BG_PID
topo_at_exit "kill $HOLDER2 2>/dev/null || true"
check "4b. a second program has a lease while the directory cannot be made" \
	wait_for 10 grep -q '^source 2001:db8:c4a::' "$ODM_DIR/holder2.out"
CHOA2=$(sed -n 's/^source //p' "$ODM_DIR/holder2.out")
check "4b. it is a lease of its own ($CHOA2)" test "$CHOA2" != "$CHOA"
check "4b. the host agent could not save it" wait_for 3 mn_since "mn.json.*Not a directory"
rm -f "$MN_STATE_DIR"
check "4b. the host agent takes its lock again" \
	wait_for 3 mn_since "$MN_STATE_DIR/agent.lock was removed under the agent: made again and locked by this one (pid $MN_AGENT_PID)"
check "4b. its state is saved there again, with the lease $CHOA2 made meanwhile" \
	wait_for 3 grep -q "\"$CHOA2\"" "$MN_STATE_DIR/mn.json"
# 4c. its state file replaced by a directory: a lease's save fails, and
# is tried again a second later. The directory removed, a lease made
# meanwhile is saved within MN_SAVE_MS (200 ms while requests wait), not
# at that retry (a CI run killed the agent before it: the lease was lost)
F=$MN_STATE_DIR/mn.json
FROM=$(wc -l <"$MN_AGENT_LOG")
# the agent's retry of 4b's failed save may put the file back between the
# rm and the mkdir (a rename into place): swap until the directory stands
swap_dir() { rm -f "$F" && mkdir "$F" 2>/dev/null; }
wait_for 5 swap_dir
fresh_lease() {
	odm_ctl mn -j lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR" --proto tcp --fresh |
		json 'j["addr"]'
}
A3=$(fresh_lease)
check "4c. a lease ($A3) with a directory in the state file's place: its save fails" \
	wait_for 3 mn_since "mn.json.*Is a directory"
rmdir "$F"
A4=$(fresh_lease)
T0=$(date +%s%N)
n=0
until grep -qs "\"$A4\"" "$F" || ((n++ >= 60)); do sleep 0.025; done
T1=$(date +%s%N)
echo "4c. the lease $A4 in the state file after $(((T1 - T0) / 1000000)) ms"
check "4c. the next lease ($A4) is saved within 500 ms, not at the retry" \
	test $(((T1 - T0) / 1000000)) -le 500
check "4c. with the lease $A3 whose save failed" grep -q "\"$A3\"" "$F"
check "the agents' logs hold no sanitizer report" odm_agent_logs_clean

check_summary test_state_dir_gone
