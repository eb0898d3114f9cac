#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_tunnel_choice.sh - an agent configured with "tunnel kernel" on a
# kernel that cannot run that backend (tests/net/lib/seg6.sh decides by
# trying the routes) does not start: it exits 1, and its log names the
# directive, the reason and the way out ("tunnel auto"), before main's
# "failed to start". "tunnel auto" on such a kernel is checked on the
# network by tests/net/test_samples.sh. The agent runs in a network
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
cli_done
