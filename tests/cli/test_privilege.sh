#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_privilege.sh - an agent without CAP_NET_ADMIN or CAP_NET_RAW names the
# one it lacks and what it is needed for, and stops (exit 1) before any
# operation fails for it. Capabilities are dropped with setpriv(1), or the
# agent runs as nobody; always in a private network namespace, so that an
# agent that went on could not touch this machine's network. Root is needed.
#
# usage: ODM_BUILD=build bash tests/cli/test_privilege.sh
TEST_NAME=test_privilege.sh
. "$(dirname "$0")/lib.sh"
((EUID == 0)) || skip "needs root (setpriv, a user to switch to)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
unshare -n true 2>/dev/null || skip "unshare -n is not permitted here"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
cli_for_others
"${NOBODY[@]}" test -x "$CTL" -a -r "$B/libodm.so" ||
	skip "user nobody cannot run $CTL (a build directory closed to others?)"

chmod 0755 "$TMP"
KEY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
printf 'role anchor\ncontrol %s/a.sock\nstate-dir %s/a.state\naddress 2001:db8::1\npool 2001:db8:1::/64\nidentity mn1@example.org spi 300 key %s\n' \
	"$TMP" "$TMP" "$KEY" >"$TMP/anchor.conf"
printf 'role mn\ncontrol %s/m.sock\nstate-dir %s/m.state\nidentity mn1@example.org spi 300 key %s\n' \
	"$TMP" "$TMP" "$KEY" >"$TMP/mn.conf"

# lacks_caps DESC WANT NOT CMD... - the agent exits 1 naming WANT, not NOT
lacks_caps() {
	local desc=$1 want=$2 not=$3
	shift 3
	expect 1 "$desc" unshare -n "$@"
	has err "lacks $want (" "$desc: names $want and its use"
	[[ -z $not ]] || lacks err "$not (" "$desc: does not say it lacks $not"
	has err "cannot start" "$desc: says the role cannot start"
	lacks err "control_open" "$desc: stops before it opens anything"
}
for role in mn anchor; do
	C=$TMP/$role.conf
	lacks_caps "$role without CAP_NET_ADMIN" CAP_NET_ADMIN CAP_NET_RAW \
		setpriv --inh-caps=-all --bounding-set=-net_admin "$AGENT" -f "$C"
	lacks_caps "$role without CAP_NET_RAW" CAP_NET_RAW CAP_NET_ADMIN \
		setpriv --inh-caps=-all --bounding-set=-net_raw "$AGENT" -f "$C"
	lacks_caps "$role as nobody" "CAP_NET_ADMIN (to create the tunnel device and set its addresses, routes and rules) and CAP_NET_RAW" "" \
		"${NOBODY[@]}" "$AGENT" -f "$C"
done
expect 0 "odmagent -n needs no privilege" "${NOBODY[@]}" "$AGENT" -n -f "$TMP/mn.conf"

cli_done
