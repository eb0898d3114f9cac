#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_tunnel_choice.sh - an agent configured with "tunnel kernel" on a
# kernel that cannot run that backend (tests/net/lib/seg6.sh decides by
# trying the routes) does not start: it exits 1, and its log names the
# directive, the reason and the way out ("tunnel auto"), before main's
# "failed to start". "tunnel auto" on such a kernel starts, its passing
# over the kernel backend logged as information, not as a warning; on the
# network it is checked by tests/net/test_samples.sh. The agent runs in a network
# namespace of its own: root is needed, else the test is skipped; where the
# kernel runs the kernel backend it is skipped too.
#
# usage: ODM_BUILD=build bash tests/cli/test_tunnel_choice.sh
TEST_NAME=test_tunnel_choice.sh
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/net/lib/seg6.sh"

((EUID == 0)) || skip "needs root (a network namespace of its own)"
unshare -n true 2>/dev/null || skip "unshare -n is not permitted here"
if why=$(kernel_seg6); then
	skip "this kernel runs the kernel backend: nothing to refuse"
fi
echo "# $why"

KEY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
{
	echo "role mn"
	echo "control $TMP/mn.sock"
	echo "state-dir $TMP/mn.state"
	echo "identity mn1@example.org spi 300 key $KEY"
	echo "tunnel kernel"
} >"$TMP/mn.conf"

expect 1 "tunnel kernel where the kernel cannot run it: the agent does not start" \
	timeout 10 unshare -n sh -c 'ip link set lo up && exec "$1" -f "$2"' sh "$AGENT" "$TMP/mn.conf"
has err 'tunnel kernel: the kernel backend cannot run on this host (' \
	"the log names the directive and says the backend cannot run here"
if [[ $why == *"no seg6 lightweight tunnels"* ]]; then
	has err '(no seg6 lightweight tunnels in this kernel); "tunnel auto" takes the one that can' \
		"and why, and the way out"
fi
has err 'role mn failed to start' "main's last line says the role did not start"
lacks err 'role mn started' "it never said it started"

# "tunnel auto" passes over the kernel backend here, as it is meant to: the
# probe's reason is information, not a warning at every start (a backend
# asked for by name stays a warning, above). Once as --probe-tunnel, once
# as the agent's start, stopped as soon as it says it started.
fallback_quiet() { # WHAT: the kernel backend's refusal in err is info
	local pat=' warn: [a-z_]+: (kernel|bpf) backend: '
	if grep -qE "$pat" "$TMP/err"; then
		bad "$1: a backend auto passes over is a warning: $(grep -m1 -E "$pat" "$TMP/err")"
	elif grep -qE ' info: [a-z_]+: kernel backend: ' "$TMP/err"; then
		ok "$1: auto's passing over the kernel backend is information, with its reason"
	else
		bad "$1: the kernel backend's refusal is not logged: $(head -c 300 "$TMP/err")"
	fi
}
expect 0 "--probe-tunnel auto on this kernel" \
	unshare -n sh -c 'ip link set lo up && exec "$1" --probe-tunnel auto' sh "$AGENT"
fallback_quiet "--probe-tunnel auto"
sed -i 's/^tunnel kernel$/tunnel auto/' "$TMP/mn.conf"
unshare -n sh -c 'ip link set lo up && exec "$1" -f "$2"' sh "$AGENT" "$TMP/mn.conf" \
	>"$TMP/out" 2>"$TMP/err" &
apid=$!
for ((i = 0; i < 600; i++)); do
	grep -qF 'role mn started' "$TMP/err" && break
	kill -0 "$apid" 2>/dev/null || break
	sleep 0.1
done
kill -INT "$apid" 2>/dev/null
wait "$apid" || true
has err 'role mn started' "tunnel auto: the agent starts"
fallback_quiet "tunnel auto at start"
cli_done
