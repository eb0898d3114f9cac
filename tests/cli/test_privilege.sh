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

# A host policy with an exe rule: without CAP_SYS_PTRACE the agent cannot
# read /proc/PID/exe of other users' programs, nor of root's (they hold
# capabilities it lacks), so such programs match no exe rule: the log says
# so, naming the rule's line, at start and on a reload (odmagent(8)
# Privileges); with it, nothing is said.
printf 'rule uid 0 allow all\nrule exe /usr/bin/ssh default session-lasting\n' >"$TMP/policy"
# exe_run NAME BOUNDING - the host agent with that bounding set, started,
# reloaded (SIGHUP) and stopped; its log in $TMP/NAME.log
exe_run() {
	sed "s|m.state|$1.state|; s|m.sock|$1.sock|" "$TMP/mn.conf" >"$TMP/$1.conf"
	echo "policy-file $TMP/policy" >>"$TMP/$1.conf"
	cat >"$TMP/$1.sh" <<SH
ip link set lo up
setpriv --bounding-set=$2 "$AGENT" -f "$TMP/$1.conf" 2>"$TMP/$1.log" &
agent=\$!
for _ in \$(seq 100); do grep -q 'role mn started' "$TMP/$1.log" && break; sleep 0.05; done
kill -HUP \$agent
for _ in \$(seq 100); do grep -q 'reloaded' "$TMP/$1.log" && break; sleep 0.05; done
kill -TERM \$agent
wait \$agent
SH
	unshare -n bash "$TMP/$1.sh"
}
exe_run noptrace -all,+net_admin,+net_raw,+bpf
warned() { grep -c "warn: say_exe_unseen: policy $TMP/policy:2: an exe rule, but without CAP_SYS_PTRACE" "$TMP/$1.log" || true; }
check_n() { if [[ $2 == "$3" ]]; then ok "$1"; else bad "$1: $2, not $3 ($(grep -m3 -E 'warn|error' "$TMP/noptrace.log" | cut -c25- | head -c 400))"; fi; }
check_n "without CAP_SYS_PTRACE, the exe rule's line is warned of at start and on the reload" \
	"$(warned noptrace)" 2
exe_run ptrace -all,+net_admin,+net_raw,+bpf,+sys_ptrace
check_n "with CAP_SYS_PTRACE (a drop-in's, odmagent(8)), no such warning" "$(warned ptrace)" 0
check_n "... and the agent started and stopped" "$(grep -c 'role mn stopped' "$TMP/ptrace.log")" 1

cli_done
