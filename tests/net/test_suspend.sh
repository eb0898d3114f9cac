#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_suspend.sh - a host that sleeps keeps its sessions when it wakes
# before its bindings end. A suspend stops CLOCK_MONOTONIC, not the
# anchor's clock: the binding's lifetime runs on there (RFC 6275 section
# 11.7.1). On the namespace test network, mn's agent runs under
# lib/suspendclock.c, which takes from its CLOCK_MONOTONIC the time the
# test keeps it stopped (SIGSTOP), as a suspend would; a shimmed TCP
# client on mn (not stopped) keeps an echo exchange with cn going through
# a CHoA. Binding lifetime LIFE s, refreshed 3.5 s before its end:
#   1. the agent "sleeps" from 1 s or more after the binding to 2 to 3 s
#      before its end (past the refresh's time, before the anchor lets it
#      go; its length taken from the lifetime left): it wakes, refreshes
#      the binding at once (within 1.5 s), and the connection goes on
#      past the binding's old end with the same address; a clock that
#      skipped the sleep would refresh only some 5 to 12 s later, after
#      the anchor had let the binding go, and the connection would end
#      (ECONNABORTED) at the host's next packet after that end. A shimmed
#      UDP client on mn sending a datagram every 0.3 s all along keeps its
#      lease: the sleep (6 to 12 s, udp-inactivity 3 s) is not its idleness
#      (with the userspace backend the agent's tunnel carried nothing
#      meanwhile, a sleeping host sends nothing), and it gets no
#      ECONNABORTED.
#
#    mn (client + shim, odmagent mn "asleep") --ar1-- core -- cha (anchor)
#                                                       -- cn (echo server)
#
# ODM_BUILD selects the build (default: <repo>/build). Exit 0 pass, 1 fail,
# 77 skip.
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_suspend "network namespaces, TUN, raw sockets" ip named radvd nginx python3 "${CC:-gcc}"

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
trap 'check_on_err test_suspend' ERR

LIFE=16 # s: refreshed at 12.5 s
export ODM_MN_LIFETIME=$LIFE
ECHO_PORT=7777

topo_up
odm_agents_up
SUSPEND=$ODM_DIR/suspendclock.so
"${CC:-gcc}" -O2 -Wall -Wextra -Werror -shared -fPIC -o "$SUSPEND" \
	"$HERE/lib/suspendclock.c" -ldl
OFF=$ODM_DIR/suspend.offset
python3 -c 'import struct, sys; open(sys.argv[1], "wb").write(struct.pack("=q", 0))' "$OFF"
# mn's agent again, under the clock that skips a stop (nothing leased yet)
topo_kill "$MN_AGENT_PID"
ODM_AGENT_WRAP="env LD_PRELOAD=$SUSPEND SUSPEND_OFFSET_FILE=$OFF" odm_agent_start mn

topo_spawn cn echo "$ODM_DIR/echo.log" /usr/bin/python3 "$HERE/lib/echo.py" "$CN_ADDR" "$ECHO_PORT" 60
topo_wait_listen cn "$ECHO_PORT"
UDP_PORT=9999
odm_udp_sink "$UDP_PORT"
# a line to cn and back every 0.3 s for RUN s; says why it stopped
CLIENT=$ODM_DIR/client.out
odm_shim_bg python3 -c '
import socket, sys, time
s = socket.create_connection(("cn.example.test", int(sys.argv[1])), timeout=30)
print("connected from", s.getsockname()[0], flush=True)
t0 = time.monotonic()
while time.monotonic() < t0 + float(sys.argv[2]):
    try:
        s.sendall(b"ping\n")
        if not s.recv(100):
            sys.exit("closed by cn after %.1f s" % (time.monotonic() - t0))
    except OSError as e:
        sys.exit("%s after %.1f s" % (e, time.monotonic() - t0))
    time.sleep(0.3)
print("done", flush=True)
' "$ECHO_PORT" $((LIFE + 6)) >"$CLIENT" 2>&1
CL_PID=$ODM_BG_PID
topo_at_exit "kill $CL_PID 2>/dev/null"
odm_udp_holder "$UDP_PORT" $((LIFE + 6)) 0.3
topo_at_exit "kill $ODM_UDP_HOLDER 2>/dev/null"
check "the client connected" wait_for 5 grep -q "connected from" "$CLIENT"
tcp_addr() { odm_status mn | json "' '.join(l['addr'] for l in j['leases'] if l['proto'] == 'tcp')"; }
ADDR=$(tcp_addr)
check "through a CHoA ($ADDR)" in_prefix "$ADDR" "$CHA_POOL"
udp_leases() { odm_status mn | json "len([l for l in j['leases'] if l['proto'] == 'udp'])"; }
udp_leased() { [[ $(udp_leases) == 1 ]]; }
check "a UDP client's lease too" wait_for 3 udp_leased
BU0=$(odm_reg_counter bu_sent)

# ------------------------------------------------------------ 1. a sleep
# from the binding's lifetime left as the stop comes (whole seconds, rounded
# down), not from a fixed age: however long the steps above took on a
# loaded machine, the sleep ends 2 to 3 s before the binding's end, past
# its refresh (3.5 s before it), and is long enough that a clock that
# skipped it would refresh only after that end
left=$(odm_status mn | json "min(l['lifetime_left'] for l in j['leases'] if l['proto'] == 'tcp')")
check "the binding has at least 8 s left ($left s) as the sleep begins" test "$left" -ge 8
t_stop=$(date +%s%N)
kill -STOP "$MN_AGENT_PID"
sleep $((left - 2))
t_wake=$(date +%s%N)
python3 -c 'import struct, sys; open(sys.argv[1], "r+b").write(struct.pack("=q", int(sys.argv[2])))' \
	"$OFF" $((t_wake - t_stop))
kill -CONT "$MN_AGENT_PID"
echo "mn's agent asleep $(((t_wake - t_stop) / 1000000)) ms, its CLOCK_MONOTONIC none of it"
# when mn's first BU since the wake was seen (polled), in ms after it
t_bu=''
while (($(topo_now_ms) < t_wake / 1000000 + 4000)); do
	if (($(odm_reg_counter bu_sent) > BU0)); then
		t_bu=$(($(topo_now_ms) - t_wake / 1000000))
		break
	fi
	sleep 0.05
done
echo "mn's first BU after the wake seen ${t_bu:-(none in 4 s)} ms after it"
check "1: it refreshes the binding on waking (within 1.5 s)" test "${t_bu:-9999}" -le 1500
# the binding's old end is 2 s away at most: past it, and a packet or two
sleep 4
check "1: the connection goes on past the binding's old end" \
	bash -c "kill -0 $CL_PID && ! grep -q after '$CLIENT'"
check "1: the same lease" test "$(tcp_addr)" = "$ADDR"
check "1: and the anchor holds its binding" \
	grep -qw "$ADDR" <<<"$(odm_status cha | json "' '.join(b['hoa'] for b in j['bindings'])")"
check "1: the UDP client sending all along keeps its lease" udp_leased
check "1: and its socket (no ECONNABORTED)" \
	bash -c "kill -0 $ODM_UDP_HOLDER && ! grep -q Error '$ODM_DIR/udp-client.log'"
check "1: the client ends its exchange as planned" wait_for $((LIFE + 6)) grep -q '^done' "$CLIENT"
cat "$CLIENT"
check "no sanitizer report in the agents' logs" odm_agent_logs_clean

check_summary test_suspend
