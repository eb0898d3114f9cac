#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_late_ba.sh - a refresh sent in time but read late keeps the
# binding. Binding lifetime 4 s (the shortest), so mn refreshes 2 s after
# its BA. The CHA's agent is stopped before that refresh and let go past
# the binding's end; mn's is stopped after the refresh left and let go
# 0.2 s after the CHA's, or once the CHA answered if that is later.
# libuv runs the timers that came due before it polls: the CHA let the
# binding go as expired before reading the BU that waited in its socket
# (and refused it, 133), and mn, had it been answered, ended the lease as
# expired (its connections aborted) before reading the BA. Now both
# agents' timers read what waits on the Mobility Header socket first: the
# CHA accepts the refresh, mn keeps the lease, its address still reaches
# cn, and nothing ended as expired.
#
#   mn --ar1-- core -- cha (anchor), cn
#
# (A check in its own file: it needs a lifetime of 4 s, which would add
# refreshes to every other test's count of BUs.)
#
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_late_ba "network namespaces, TUN, raw sockets" ip named radvd python3 ping
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
export ODM_MN_LIFETIME=4
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_late_ba' ERR

# sleep until $1 ms after T0
at() {
	local d=$((T0 + $1 - $(topo_now_ms)))
	((d > 0)) && sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
	return 0
}

topo_up
odm_agents_up

# the lease's registration: its BA came before odmctl returned (T0), so
# the refresh leaves at T0 + 2 s at most, the binding ends at T0 + 4 s
OUT=$(odm_ctl mn lease session-lasting "$CN_ADDR" --cha "$CHA_ADDR")
T0=$(topo_now_ms)
L1=$(sed -n 's/^addr //p' <<<"$OUT")
check "a lease at the CHA ($L1)" in_prefix "$L1" "$CHA_POOL"
odm_addr_holder "$L1" 30
SEQ0=$(odm_binding_seq)
at 1700
kill -STOP "$CHA_AGENT_PID"
at 2600
kill -STOP "$MN_AGENT_PID"
at 4300
kill -CONT "$CHA_AGENT_PID"
T1=$(topo_now_ms)
# mn's not before the CHA has answered the refresh (at most 2 s: it may
# refuse it), so that its BA waits in mn's socket however loaded the host
wait_for 2 odm_seq_moved "$SEQ0" || true
at 4500
kill -CONT "$MN_AGENT_PID"
T2=$(topo_now_ms)
echo "CHA stopped from 1700 to $((T1 - T0)) ms, mn from 2600 to $((T2 - T0)) ms after the lease's BA"
check "the CHA accepted the refresh (seq $SEQ0 -> $(odm_binding_seq))" \
	wait_for 3 odm_seq_moved "$SEQ0"
sleep 0.3
check "mn still holds the lease ($(odm_lease_count))" test "$(odm_lease_count)" -eq 1
check "the CHA let nothing go as expired" bash -c "! grep -q 'lifetime expired' '$CHA_AGENT_LOG'"
check "mn ended nothing as expired" bash -c "! grep -q 'ended (binding expired)' '$MN_AGENT_LOG'"
check "pings from the lease through the CHA reach cn" \
	nsq mn ping -6 -c 2 -i 0.3 -W 1 -I "$L1" "$CN_ADDR"
check "no agent logged an error" bash -c "! grep -q ' error: ' '$MN_AGENT_LOG' '$CHA_AGENT_LOG'"
check "agents' logs are clean" odm_agent_logs_clean
check_summary test_late_ba
