#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_state_lost.sh - the host agent is killed during a download and its
# state file cannot be read by the next run: cut short, or replaced by a
# directory (one of another version fails the same decode as one cut short:
# tests/unit/test_statefile.c). The next run starts without it (odmagent(8)
# Restarts), but the lease the killed run held is in its journal
# (mn.journal keeps every allocation whose binding lives, saved or not):
#   1. the anchor's binding of the lost lease is deregistered by its BID at
#      once, not left to count against the host for its lifetime (300 s);
#   2. the download's TCP socket on the lost address is ended
#      (ECONNABORTED): curl fails within a few seconds instead of waiting
#      for its own timeout with nothing arriving (the userspace backend's
#      device, and the address with it, died with the agent);
#   3. a new download works, and with a good state a kill -9 and restart
#      loop takes the lease over each time without growing the journal;
#   4. the anchor on cha is killed during a download whose address lies past
#      the hold of an earlier crash (4096 addresses), and its state file is cut
#      short: it holds the whole pool instead (the last run's bindings may
#      be anywhere in it), the host's refresh binds the same address again,
#      and the download completes with the right sha256;
#   5. the host agent is killed holding a lease (a host gone for good),
#      then the anchor, whose binding of it is due to expire 3 s after its
#      restart: the restarted anchor ends the binding then, though no
#      Binding Update comes (before, it set its timer only at the first
#      Mobility Header message: the binding, its pool address and its hold
#      after the crash stayed until one came);
#   6. the anchor is killed again and its state file cut short, with no
#      host left to bind again: the run that cannot read it writes its own
#      state there at once (before, the unreadable file stayed until a
#      binding changed: a clean stop did not replace it, and every later
#      start read it again and held the whole pool back anew); that state
#      holds the whole pool's hold: the next start, after a crash, reads it
#      and holds the whole pool back again.
#
#    mn (curl + shim, odmagent mn) --ar1-- core -- cha (odmagent anchor)
#                                                -- cn  (nginx, paced file)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_state_lost' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_state_lost "network namespaces, TUN, raw sockets" ip curl nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-8}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"

topo_up
odm_agents_up
echo "agents up: tunnel $ODM_TUNNEL, host state $MN_STATE_DIR"

no_binding() { [[ $(odm_binding_count) -eq 0 ]]; }
# since N TEXT - a line with TEXT (a grep pattern) in mn's log past its
# first N lines: what this run said, not an earlier one (the log is kept)
since() { grep -q -- "$2" <<<"$(tail -n +"$(($1 + 1))" "$MN_AGENT_LOG")"; }
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

# lost NAME HOW: a download's lease, the agent killed, its state file made
# unreadable HOW (cut, dir), the agent started again
lost() {
	local name=$1 how=$2 f=$MN_STATE_DIR/mn.json choa t0 rc=0 took from
	check "$name: no binding at the anchor before" wait_for 10 no_binding
	odm_download "$name" 1m 60
	check "$name: curl gets a lease" wait_for 10 odm_has_lease
	choa=$(odm_lease_addr)
	check "$name: the download is under way through $choa" wait_for 10 odm_got_mb "$OUT" 1
	check "$name: the state file holds the lease" wait_for 2 grep -q "\"$choa\"" "$f"
	odm_agent_kill9 mn
	case $how in
	cut) head -c "$(($(stat -c %s "$f") / 2))" "$f" >"$f.cut" && mv "$f.cut" "$f" ;;
	dir) rm -f "$f" && mkdir "$f" ;;
	esac
	from=$(wc -l <"$MN_AGENT_LOG")
	t0=$(now_ms)
	odm_agent_start mn
	check "$name: the next run could not read the state ($how)" \
		since "$from" "mn.json.*starting without it"
	check "$name: it deregistered the lost lease's binding at the anchor" wait_for 3 no_binding
	check "$name: and says so" since "$from" "mn.journal: 1 binding(s) of the last run not taken over"
	check "$name: it ended the download's TCP socket on $choa" \
		since "$from" "$choa, a lease of an earlier run not taken over (not saved, or the state not read): 1 TCP socket(s) on it ended"
	wait "$CURL_PID" || rc=$?
	took=$(($(now_ms) - t0))
	echo "$name: curl ended with status $rc $took ms after the restart"
	check "$name: curl failed (status $rc), loudly" test "$rc" -ne 0
	check "$name: within 5 s of the restart ($took ms), not at its own timeout" test "$took" -le 5000
	[[ $how != dir ]] || rmdir "$f"
}

# ---------------------------------------------------------------- 1-2
lost cut cut
lost dir dir

# ---------------------------------------------------------------- 3
odm_download after 8m 30
odm_download_ok after
odm_download loop 1m 60
check "loop: curl gets a lease" wait_for 10 odm_has_lease
CHOA=$(odm_lease_addr)
J0=''
for i in 1 2 3; do
	odm_agent_kill9 mn
	odm_agent_start mn
	check "loop $i: the lease $CHOA is taken over" test "$(odm_lease_addr)" = "$CHOA"
	J=$(wc -l <"$MN_STATE_DIR/mn.journal")
	J0=${J0:-$J}
	check "loop $i: the journal names it" grep -q " session-lasting $CHOA\$" "$MN_STATE_DIR/mn.journal"
	check "loop $i: and has not grown ($J0 -> $J lines)" test "$J" -eq "$J0"
done
kill "$CURL_PID" 2>/dev/null || true
wait "$CURL_PID" 2>/dev/null || true
check "loop: the lease ends once curl is gone" wait_for 8 no_binding

# ---------------------------------------------------------------- 4
odm_agent_kill9 cha
odm_agent_start cha
check "anchor: a crash holds addresses back" \
	grep -q "did not stop cleanly: free pool addresses up to ${CHA_POOL%::/64}::10" "$CHA_AGENT_LOG"
odm_download anchor 1m 60
check "anchor: curl gets a lease" wait_for 10 odm_has_lease
CHOA=$(odm_lease_addr)
check "anchor: the download is under way through $CHOA" wait_for 10 odm_got_mb "$OUT" 1
check "anchor: $CHOA lies past the hold" in_prefix "$CHOA" "${CHA_POOL%::/64}::1000/116"
check "anchor: its state file holds the binding" wait_for 2 grep -q "\"$CHOA\"" "$CHA_STATE_DIR/anchor.json"
odm_agent_kill9 cha
F=$CHA_STATE_DIR/anchor.json
head -c "$(($(stat -c %s "$F") / 2))" "$F" >"$F.cut" && mv "$F.cut" "$F"
odm_agent_start cha
check "anchor: the next run could not read its state" grep -q "anchor.json.*starting without it" "$CHA_AGENT_LOG"
# the hold's end, as the anchor says it: $CHOA, past an earlier crash's
# hold, lies within it
HELD_TO=$(sed -n "s/.*the last run's state could not be read: free pool addresses up to \([0-9a-f:]*\) .*/\1/p" \
	"$CHA_AGENT_LOG" | tail -n 1)
not_past() { python3 -c 'import ipaddress as i, sys; sys.exit(i.ip_address(sys.argv[1]) > i.ip_address(sys.argv[2]))' "$1" "$2"; }
check "anchor: it holds the whole pool back, $CHOA too (up to ${HELD_TO:-nothing said})" \
	not_past "$CHOA" "${HELD_TO:-::}"
bound_again() { [[ $(odm_status cha | json 'j["bindings"][0]["hoa"] if j["bindings"] else ""') == "$CHOA" ]]; }
check "anchor: the host's refresh binds $CHOA again" wait_for 10 bound_again
odm_download_ok anchor

# ---------------------------------------------------------------- 5
# The host agent killed holding a lease (a host gone for good), then the
# anchor killed and started again with that binding due to expire 3 s
# later: it ends the binding then, though no Binding Update comes.
check "expiry: no binding at the anchor before" wait_for 10 no_binding
odm_udp_holder 5000 60
check "expiry: a UDP socket gets a lease" wait_for 10 odm_has_lease
CHOA=$(odm_lease_addr)
check "expiry: the anchor's state file holds its binding" wait_for 2 grep -q "\"$CHOA\"" "$F"
odm_agent_kill9 mn
odm_agent_kill9 cha
python3 - "$F" <<'EOF'
import json, sys, time
s = json.load(open(sys.argv[1]))
s["bindings"][0]["expires"] = int(time.time() * 1000) + 3000
json.dump(s, open(sys.argv[1], "w"))
EOF
odm_agent_start cha
check "expiry: the anchor restored the binding of $CHOA" test "$(odm_binding_count)" -eq 1
check "expiry: and ends it once it expires, no BU coming" wait_for 8 no_binding
topo_kill "$ODM_UDP_HOLDER"

# ---------------------------------------------------------------- 6
# The anchor killed again and its state file cut short, no host left to
# bind again: the run that cannot read it writes its own state at once.
odm_agent_kill9 cha
head -c 10 "$F" >"$F.cut" && mv "$F.cut" "$F"
unread() { grep -c "anchor.json.*starting without it" "$CHA_AGENT_LOG" || true; }
N0=$(unread)
odm_agent_start cha
check "rewrite: the anchor could not read its state" test "$(unread)" -gt "$N0"
readable() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$F" 2>/dev/null; }
check "rewrite: it writes its own state there at once" wait_for 3 readable
# with the whole pool's hold in it: the next start, after a crash too,
# reads it and holds the whole pool back again, not its top 4096 only
held() { grep -c "did not stop cleanly: free pool addresses up to $HELD_TO " "$CHA_AGENT_LOG" || true; }
N0=$(unread) H0=$(held)
odm_agent_kill9 cha
odm_agent_start cha
check "rewrite: the next start reads that state" test "$(unread)" -eq "$N0"
check "rewrite: and holds the whole pool back again (up to $HELD_TO)" test "$(held)" -gt "$H0"
check "the agents' logs hold no sanitizer report" odm_agent_logs_clean

check_summary test_state_lost
