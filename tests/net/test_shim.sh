#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_shim.sh - the LD_PRELOAD shim (libodm.so) on real processes.
#
# tests/shim/target_sock.c is run with and without the shim and the outputs
# compared (socket_wrapper / mptcpwrap-tester style), against a fake agent
# (tests/shim/fake_agent.py, a Unix-socket JSON server that logs requests):
#
#   host loopback (any user):  no agent, agent with no CHA known: connect,
#                              non-blocking connect (EINPROGRESS), errno,
#                              getaddrinfo of localhost and numeric hosts,
#                              dup/close, fork, close_range: same as libc,
#                              nothing on stderr without ODM_DEBUG.
#   private namespace (root):  unshare -nm; lo carries 2001:db8:c0::10 (a
#                              "cn") and 2001:db8:c4a::2 (the address the
#                              fake agent leases); /etc/hosts and
#                              resolv.conf are bind-mounted; a fake DNS
#                              server on [::1]:53 (tests/shim/fake_dns.py)
#                              serves cha.cn.example.test. Then the CHA
#                              path for real: leased TCP sockets of
#                              either type share the ephemeral ports as
#                              unbound ones do (five held to each of two
#                              peers on 8 ports; a program's own
#                              IP_BIND_ADDRESS_NO_PORT stays set), a program whose
#                              seccomp filter refuses getsockopt or
#                              getsockname gets EADDRNOTAVAIL for its
#                              named type (plain, said, without one),
#                              connect finds the CHA,
#                              leases and binds, also after a bind to
#                              [::]:0 (TCP and UDP), also for names from
#                              gethostbyname2(_r) and getaddrinfo_a (GAI_WAIT,
#                              gai_suspend, gai_error), dup'ed fds give exactly
#                              one release, getaddrinfo alone sends no
#                              query and asks the agent nothing, a repeated lookup no second one, fork children lease with
#                              their own pid, a leased UDP socket disconnected
#                              (AF_UNSPEC) keeps its lease, one whose lease
#                              ended under it is connected again when four
#                              threads send at once (also when it goes
#                              plain), after its first
#                              connect again failed, and after a sendto()
#                              with an address, a TCP socket whose connect
#                              again the agent refuses keeps its lease
#                              without giving its held count back twice,
#                              also when another thread closes it during
#                              that connect again, a connect() that asks for
#                              a background failure's result (or follows
#                              SO_ERROR's) gets libc's and no lease,
#                              close_range over the shim's
#                              fds is survived, closefrom releases the leases
#                              of the sockets it closes, and fclose() of a
#                              socket's stream its lease, a signal handler's
#                              close inside the shim gives its held count
#                              back, a program that exports
#                              a c-ares of its own (tests/shim/own_cares.c,
#                              as node does) does not receive the shim's
#                              c-ares calls, a vfork child's close_range
#                              leaves the parent's state alone, an
#                              ODM_TYPE that names no type is said once
#                              on stderr and the agent's default applies,
#                              a cha lookup with no answer is no quiet
#                              plain address for a program that named
#                              its type, threads calling a mute agent
#                              at once each wait one lease time at most,
#                              an ICMPv6 echo over a ping or raw socket
#                              goes from the Fixed address, fails for a
#                              named session-lasting type, is said when
#                              it goes plain, a fixed socket bound to a
#                              device, or to a port before its
#                              sendto(MSG_FASTOPEN), fails, and one
#                              whose sendto(MSG_FASTOPEN) failed is
#                              leased anew when it tries again, a
#                              loopback or multicast destination, and a
#                              dual-stack UDP socket's IPv6 datagram after
#                              an IPv4 one, and a UDP-Lite socket's
#                              datagram from a port bound on :: (a
#                              server's reply, plain), and a raw ICMPv6
#                              socket's with hop limit 255 (Neighbor
#                              Discovery's, plain), are said with
#                              ODM_DEBUG. A cha lookup that could
#                              send no query (out of descriptors) is made
#                              again at the next connect; the shim's own
#                              sockets take no number below 3 (a program
#                              that closed its stdout gets EBADF there).
#
# Env: ODM_BUILD (build dir, default build). Exit 0 pass, 1 fail, 77 skip.
# run-all: long (about 50 s: its programs, each run with and without the shim)
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${ODM_BUILD:-build}
[[ $BUILD = /* ]] || BUILD=$TOP/$BUILD
LIB=$BUILD/libodm.so
SHIM=$TOP/tests/shim

. "$HERE/lib/check.sh"
trap 'check_on_err test_shim' ERR
count() { # count PATTERN FILE - lines matching (0 when none)
	grep -c -- "$1" "$2" || true
}
# releases_in FILE [N] - the release hints FILE holds once N (1) of them
# have arrived, and 0.2 s more for any extra: a hint is sent without waiting,
# so it may land after the program has exited, and a loaded machine may
# hold one back past that margin.
releases_in() {
	wait_for 5 at_least "${2:-1}" count '"op": "release"' "$1" || true
	sleep 0.2
	count '"op": "release"' "$1"
}

# target_with_agent N AGENT_ARG... -- MODE ARG... - target_sock MODE under
# the shim (ODM_DEBUG; its output in $TMP/o, printed, and $TMP/e) against a
# fake agent of its own on $TMP/agentN.sock (its requests in
# $TMP/agentN.log), stopped after it. TARGET_BIN: another build of it in
# $TMP (target_sock_fortify)
target_with_agent() {
	local n=$1 args=() pid
	shift
	while (($#)) && [[ $1 != -- ]]; do
		args+=("$1")
		shift
	done
	shift
	# (a socket left by an earlier agent of that number would pass the
	# wait below before the new one listens)
	rm -f "$TMP/agent$n.sock"
	python3 "$SHIM/fake_agent.py" "$TMP/agent$n.sock" "$TMP/agent$n.log" "${args[@]}" &
	pid=$!
	wait_for 5 test -S "$TMP/agent$n.sock"
	env ODM_SOCKET="$TMP/agent$n.sock" LD_PRELOAD="$LIB" ODM_DEBUG=1 timeout 30 \
		"$TMP/${TARGET_BIN:-target_sock}" "$@" >"$TMP/o" 2>"$TMP/e" || true
	sleep 0.3 # the release hints of its last closes, logged
	kill "$pid" 2>/dev/null || true
	cat "$TMP/o"
}

# away_ended N MODE WHAT SIGN - target_sock away ... MODE with agent N (a
# leased UDP socket on 2001:db8:c4a::2 whose lease the agent ended, its
# address then off the host): SIGN in its output says the ending was seen
# as MODE makes it, and it is leased anew (two leases asked), its datagram
# going from the new lease, never the ended one
away_ended() {
	local n=$1 mode=$2 what=$3 sign=$4

	target_with_agent "$n" --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 -- away cn.example.test "$mode"
	check "$what: destroyed, the ending seen" grep -q "$sign" "$TMP/o"
	check "$what: its address gone, leased anew (two leases asked)" \
		test "$(count '"op": "lease"' "$TMP/agent$n.log")" = 2
	check "$what: sent from the new lease, never the ended one" \
		grep -q '^udp away: server sees source 2001:db8:c4a::3$' "$TMP/o"
}

# four_sent WHAT FROM LOG - after target_sock reconnect ... 4 (its socket
# leased on 2001:db8:c4a::2, destroyed, four threads sending at once): the
# four sends all worked, all arrived from FROM (none from the ended lease),
# and the agent (LOG) was asked for one lease again, two in all
four_sent() {
	local what=$1 from=$2 log=$3
	check "$what: the connected UDP socket was leased" \
		grep -q 'udp connected: server sees source 2001:db8:c4a::2' "$TMP/o"
	check "$what: four threads' send() all work" \
		test "$(count '^thread send: 1 ' "$TMP/o")" = 4
	check "$what: all four from $from" \
		test "$(count "^udp after: server sees source $from\$" "$TMP/o")" = 4
	check "$what: one lease asked again (two in all)" test "$(count '"op": "lease"' "$log")" = 2
}

# plain_when_named WHAT SCRIPT LINE SAID - python SCRIPT through the shim
# (pre) with ODM_TYPE=fixed, then session-lasting: its output holds LINE
# (the address its packet came from, the kernel's pick) and ODM_DEBUG's
# lines SAID: a socket left to the kernel whatever type was named
plain_when_named() {
	local what=$1 script=$2 line=$3 said=$4 ty

	for ty in fixed session-lasting; do
		ODM_TYPE=$ty "${pre[@]}" ODM_DEBUG=1 python3 -c "$script" >"$TMP/o" 2>"$TMP/e" || true
		cat "$TMP/o"
		check "$what, $ty named: sent from the address the kernel picks" grep -qx "$line" "$TMP/o"
		check "$what, $ty named: said" grep -q "$said" "$TMP/e"
	done
}

inner() { # runs inside unshare -nm, as root
	ip link set lo up
	ip -6 addr add 2001:db8:c0::10/128 dev lo
	ip -6 addr add 2001:db8:c2::10/128 dev lo
	ip -6 addr add 2001:db8:c4a::2/128 dev lo
	wait_for 5 bash -c "ip -6 addr show dev lo | grep -q 2001:db8:c4a::2 && ! ip -6 addr show dev lo | grep -q tentative"
	printf 'nameserver ::1\noptions timeout:1 attempts:1\n' >"$TMP/resolv.conf"
	printf '127.0.0.1 localhost\n2001:db8:c0::10 cn.example.test\n2001:db8:c2::10 cn2.example.test\n2001:db8:c0::10 cn3.example.test\n' >"$TMP/hosts"
	mount --bind "$TMP/resolv.conf" /etc/resolv.conf
	mount --bind "$TMP/hosts" /etc/hosts
	python3 "$SHIM/fake_dns.py" ::1 53 "$TMP/dns.log" cha.cn.example.test=2001:db8:ca::10 \
		cha.cn3.example.test=drop &
	local dns_pid=$!
	wait_for 5 bash -c "ss -lun | grep -q '\[::1\]:53 '"
	python3 "$SHIM/fake_agent.py" "$TMP/agent2.sock" "$TMP/agent2.log" \
		--default-type session-lasting --lease 2001:db8:c4a::2 &
	local agent_pid=$!
	wait_for 5 test -S "$TMP/agent2.sock"
	export ODM_SOCKET=$TMP/agent2.sock
	unset ODM_TYPE
	local log=$TMP/agent2.log pre=(env LD_PRELOAD="$LIB")

	# Leased TCP sockets share the ephemeral ports as unbound ones do: the
	# port is their connect's, for each peer (IP_BIND_ADDRESS_NO_PORT),
	# not the bind's, the address's alone. With 8 ports, five connections
	# held open to each of two listeners (the listeners on cn's address)
	# all connect, as without the shim, of either type. First in the
	# namespace: no TIME_WAIT of an earlier part holds one of the ports.
	local range ty
	range=$(sysctl -n net.ipv4.ip_local_port_range)
	sysctl -qw net.ipv4.ip_local_port_range="40000 40007"
	"$TMP/target_sock" ports cn.example.test 5 >"$TMP/plain" 2>&1 || true
	cat "$TMP/plain"
	check "ports: ten connections to two peers on 8 ports, without the shim" \
		test "$(count 'connected 5 of 5$' "$TMP/plain")" = 2
	for ty in session-lasting fixed; do
		ODM_TYPE=$ty "${pre[@]}" "$TMP/target_sock" ports cn.example.test 5 >"$TMP/o" 2>&1 || true
		cat "$TMP/o"
		check "ports, $ty: all ten connect under the shim too" \
			test "$(count 'connected 5 of 5$' "$TMP/o")" = 2
		check "ports, $ty: all from the lease" grep -qx 'ports: one source, 2001:db8:c4a::2' "$TMP/o"
	done
	sysctl -qw net.ipv4.ip_local_port_range="$range"
	# ... and a program that set the option itself reads it set after its
	# leased connect, as without the shim
	ODM_TYPE=session-lasting "${pre[@]}" "$TMP/target_sock" noport cn.example.test >"$TMP/o" 2>&1 || true
	cat "$TMP/o"
	check "noport: its leased connect connects" grep -qx 'noport connect: server sees source 2001:db8:c4a::2' "$TMP/o"
	check "noport: its own IP_BIND_ADDRESS_NO_PORT is still set" grep -qx 'noport: option 1 after connect' "$TMP/o"

	# A program whose seccomp filter refuses getsockopt() or getsockname()
	# (with an error, SECCOMP_RET_ERRNO) connects: the shim cannot tell
	# its socket's kind or source, and a program that named its type gets
	# EADDRNOTAVAIL, not a plain address unsaid; one that did not goes
	# plain, said.
	local call
	for call in getsockopt getsockname; do
		"$TMP/target_sock" refused cn.example.test "$call" >"$TMP/plain" 2>&1 || true
		check "$call refused, without the shim: connects" \
			grep -qx 'refused connect: 0 ' "$TMP/plain"
		ODM_TYPE=session-lasting "${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" refused \
			cn.example.test "$call" >"$TMP/o" 2>"$TMP/e" || true
		cat "$TMP/o" "$TMP/e"
		check "$call refused, type named: EADDRNOTAVAIL" \
			grep -qx 'refused connect: -1 Cannot assign requested address' "$TMP/o"
		check "$call refused, type named: said" \
			grep -q 'refused the shim a look at its socket.*failing with EADDRNOTAVAIL' "$TMP/e"
		"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" refused cn.example.test "$call" \
			>"$TMP/o" 2>"$TMP/e" || true
		check "$call refused, no type named: plain" \
			grep -qx 'refused connect: server sees source 2001:db8:c0::10' "$TMP/o"
		check "$call refused, no type named: said" \
			grep -q 'refused the shim a look at its socket.*falling back to plain' "$TMP/e"
	done

	# The whole CHA flow: lookup, lease, bind, the server sees the lease.
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" connect cn.example.test >"$TMP/o" 2>"$TMP/e"
	check "connect through a CHA: server sees the leased source" \
		grep -q 'server sees source 2001:db8:c4a::2' "$TMP/o"
	check "lease request names dst, cha and proto" \
		grep -q '"op": "lease".*"dst": "2001:db8:c0::10".*' "$log"
	check "lease request carries the cha from DNS" grep -q '"cha": "2001:db8:ca::10"' "$log"
	check "lease request is tcp and session-lasting" \
		bash -c "grep '\"op\": \"lease\"' '$log' | grep '\"proto\": \"tcp\"' | grep -q '\"type\": \"session-lasting\"'"
	check "ODM_DEBUG names the decision" grep -q 'odm: connect fd [0-9]* -> lease 2001:db8:c4a::2 via cha 2001:db8:ca::10' "$TMP/e"
	check "one release after close" test "$(releases_in "$log")" = 1
	check "the release hint asks for no answer" grep -q '"op": "release".*"noreply": true' "$log"

	# The shim's variables as a program sets them itself before its first
	# socket are heard (the value at the call wins, as a program linked
	# with libodm may set ODM_SOCKET before setsc or odm_events_fd); ones it
	# clears (nginx's workers, python's os.environ.clear) stay as it was
	# started with them (odm(7) ENVIRONMENT).
	: >"$log"
	env -u ODM_SOCKET -u ODM_TYPE -u ODM_DEBUG LD_PRELOAD="$LIB" python3 -c '
import ctypes, os, socket, sys
os.environ["ODM_SOCKET"] = sys.argv[1]
os.environ["ODM_DEBUG"] = "1"
srv = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
c = socket.create_connection(("cn.example.test", srv.getsockname()[1]))
print("source", c.getsockname()[0])
print("events fd", ctypes.CDLL(sys.argv[2]).odm_events_fd() >= 0)' \
		"$TMP/agent2.sock" "$LIB" >"$TMP/o" 2>"$TMP/e"
	check "ODM_SOCKET set by the program: its agent leases (source the lease)" \
		grep -q '^source 2001:db8:c4a::2$' "$TMP/o"
	check "ODM_SOCKET set by the program: odm_events_fd reaches its agent" \
		bash -c "grep -q '^events fd True\$' '$TMP/o' && grep -q '\"op\": \"monitor\"' '$log'"
	check "ODM_DEBUG set by the program: heard" grep -q '^odm: connect fd [0-9]* -> lease' "$TMP/e"
	: >"$log"
	env -u ODM_TYPE LD_PRELOAD="$LIB" python3 -c '
import os, socket
os.environ["ODM_TYPE"] = "non-persistent"
srv = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
c = socket.create_connection(("cn.example.test", srv.getsockname()[1]))
print("source", c.getsockname()[0])' >"$TMP/o" 2>&1
	check "ODM_TYPE set by the program before its first lookup: its type, no lease" \
		bash -c "grep -q '^source ' '$TMP/o' && ! grep -q '^source 2001:db8:c4a::2\$' '$TMP/o' &&
			! grep -q '\"op\": \"lease\"' '$log'"
	: >"$log"
	LD_PRELOAD="$LIB" ODM_DEBUG=1 python3 -c '
import os, socket
os.environ.clear()
srv = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
c = socket.create_connection(("cn.example.test", srv.getsockname()[1]))
print("source", c.getsockname()[0])' >"$TMP/o" 2>"$TMP/e"
	check "environment cleared: ODM_SOCKET as started, its agent leases" \
		grep -q '^source 2001:db8:c4a::2$' "$TMP/o"
	check "environment cleared: ODM_DEBUG as started" grep -q '^odm: connect fd [0-9]* -> lease' "$TMP/e"
	: >"$log"
	LD_PRELOAD="$LIB" ODM_TYPE=fixed python3 -c '
import os, socket
os.environ.clear()
srv = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
try:
    socket.create_connection(("cn.example.test", srv.getsockname()[1]))
except OSError:
    pass' >"$TMP/o" 2>&1 || true
	check "environment cleared: ODM_TYPE as started (a Fixed lease asked)" \
		bash -c "grep '\"op\": \"lease\"' '$log' | grep -q '\"type\": \"fixed\"'"

	# A UDP bind to [::]:0 names nothing (Java and node bind every UDP
	# socket so before its first datagram): it waits for the first connect
	# or send, which leases; the socket says port 0 until then. A TCP one
	# goes to the kernel (Java's ServerSocket(0) reads its port at once). A process
	# whose type takes no lease is bound at once, as without the shim.
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" bind0 cn.example.test >"$TMP/o" 2>"$TMP/e"
	check "bound to [::]:0, a TCP socket has its port at once (a server's may listen)" \
		grep -q 'tcp after its bind: :: port [1-9]' "$TMP/o"
	check "bound to [::]:0, a UDP socket's first send is leased" \
		grep -q 'udp server sees source 2001:db8:c4a::2' "$TMP/o"
	check "and the socket has the lease's address after it" \
		grep -q 'udp after its send: 2001:db8:c4a::2 port [1-9]' "$TMP/o"
	check "ODM_DEBUG says the bind waited" \
		grep -q 'bind fd [0-9]* to \[::\]:0 (a udp socket): left to its first' "$TMP/e"
	"${pre[@]}" ODM_TYPE=non-persistent "$TMP/target_sock" bind0 cn.example.test >"$TMP/o" 2>&1
	check "non-persistent: bound at once, a port of its own before the send" \
		grep -q 'udp before its send: :: port [1-9]' "$TMP/o"

	# A leased UDP socket disconnected by its program (connect with
	# AF_UNSPEC) gives its port back and keeps its address, as the agent's
	# ending of an idle lease leaves it: it keeps its lease, not leased
	# anew at its next send as one whose lease ended under it.
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" unspec cn.example.test >"$TMP/o" 2>"$TMP/e"
	check "a UDP socket connected: leased" \
		grep -q 'udp connected: server sees source 2001:db8:c4a::2' "$TMP/o"
	check "disconnected (AF_UNSPEC), it sends from its lease's address" \
		grep -q 'udp disconnected: server sees source 2001:db8:c4a::2' "$TMP/o"
	check "disconnected, it keeps its lease: one lease asked" \
		test "$(count '"op": "lease"' "$log")" = 1
	check "ODM_DEBUG says it kept its address" \
		grep -q 'to AF_UNSPEC: disconnected, bound again on its lease' "$TMP/e"
	# ...but one whose socket the agent ended first (its port gone: ss -K
	# here) is left so: its next send is leased anew, not sent from the
	# address of the lease that ended
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" unspec cn.example.test ended >"$TMP/o" 2>"$TMP/e"
	check "a UDP socket destroyed, then disconnected: its port was gone" \
		grep -q '^destroyed: 2001:db8:c4a::2 port 0' "$TMP/o"
	check "and its next send is leased anew (two leases asked)" \
		test "$(count '"op": "lease"' "$log")" = 2
	check "ODM_DEBUG says its lease ended under it" grep -q 'ended under it: leasing it anew' "$TMP/e"

	# A connected UDP socket whose lease ended under it (ss -K, as the
	# agent does: disconnected, its port gone, ECONNABORTED pending): four
	# threads send() at once while the agent takes 300 ms to answer. The
	# first connects it again on a new lease (2001:db8:c4a::3 here), the
	# others wait for it: each send works, all from the new address, one
	# lease asked again, no error left for the next receive.
	ip -6 addr add 2001:db8:c4a::3/128 dev lo nodad
	target_with_agent 7 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 --lease-delay 0.3 -- reconnect cn.example.test 4
	four_sent "its lease ended" 2001:db8:c4a::3 "$TMP/agent7.log"
	check "destroyed: its port was gone" grep -q '^destroyed: 2001:db8:c4a::2 port 0' "$TMP/o"
	check "no error left pending" grep -qx 'pending error: none' "$TMP/o"
	check "ODM_DEBUG says it connected it again" grep -q 'disconnected it from .*: connecting it again' "$TMP/e"
	check "one release at its close (the new lease counted once)" \
		test "$(releases_in "$TMP/agent7.log")" = 1
	# the same socket dup'ed first: the new lease is the dup's too, and
	# goes once, with the last of them
	target_with_agent 20 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 --lease-delay 0.3 -- reconnect cn.example.test 1 dup
	check "dup'ed: its send went, leased anew" \
		grep -q '^udp after: server sees source 2001:db8:c4a::3$' "$TMP/o"
	check "dup'ed: no release hint while the dup was open" \
		bash -c "! sed -n '/close fd/p;/closing the dup/q' '$TMP/e' | grep -q 'release hint'"
	check "dup'ed: one release, after the last close" test "$(releases_in "$TMP/agent20.log")" = 1

	# An unconnected UDP socket whose lease ended under it: four threads
	# sendto() at once while the agent takes 300 ms to answer. One leases
	# it anew; the others, which look too (the ended lease stays due),
	# wait for it, then send from the new lease: none from the ended one.
	target_with_agent 21 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 --lease-delay 0.3 -- relet cn.example.test 4
	check "an unconnected UDP socket was leased" \
		grep -q 'udp unconnected: server sees source 2001:db8:c4a::2' "$TMP/o"
	check "its lease ended: four threads' sendto() all work" \
		test "$(count '^thread send: 1 ' "$TMP/o")" = 4
	check "all four from the new lease 2001:db8:c4a::3, none from the ended one ($(count '^udp after: server sees source 2001:db8:c4a::2$' "$TMP/o"))" \
		test "$(count '^udp after: server sees source 2001:db8:c4a::3$' "$TMP/o")" = 4
	check "one lease asked again (two in all)" test "$(count '"op": "lease"' "$TMP/agent21.log")" = 2

	# A TCP socket B whose connect was refused connects again: it is
	# leased anew, and the agent refuses that (its program named its
	# type: EADDRNOTAVAIL), so it keeps its first lease; A then takes the
	# same address from the agent. B's close must not count A's hold
	# down as a second one of its own: C, after it, takes A's lease from
	# the process's held leases without asking the agent.
	ODM_TYPE=session-lasting target_with_agent 22 --default-type session-lasting \
		--lease 2001:db8:c4a::2 --fail 2 -- connectagain cn.example.test
	check "connect again, the agent refusing its lease: EADDRNOTAVAIL" \
		grep -q '^b connect again: -1 Cannot assign requested address' "$TMP/o"
	check "a leased, from 2001:db8:c4a::2" \
		grep -q '^a connect: server sees source 2001:db8:c4a::2$' "$TMP/o"
	check "c connects from a's lease" \
		grep -q '^c connect: server sees source 2001:db8:c4a::2$' "$TMP/o"
	check "c took a's lease as held: three leases asked, not four" \
		test "$(count '"op": "lease"' "$TMP/agent22.log")" = 3
	check "one release hint, at the last close (none at b's, a's lease held on)" \
		test "$(releases_in "$TMP/agent22.log")" = 1

	# A non-blocking connect refused in the background: the connect() that
	# asks for its result reports it as libc's does (not a lease anew and
	# ECONNABORTED); the one after it is a new try, leased anew.
	"$TMP/target_sock" connectcheck cn.example.test >"$TMP/plain" 2>&1
	target_with_agent 30 --default-type session-lasting --lease 2001:db8:c4a::2 -- \
		connectcheck cn.example.test
	check "connect for a background failure's result: libc's answers" \
		diff -u "$TMP/plain" "$TMP/o"
	check "connect for its result: no lease asked (two in all, for the two tries)" \
		test "$(count '"op": "lease"' "$TMP/agent30.log")" = 2
	# The same, the result read with SO_ERROR first: the connect after it
	# says ECONNABORTED and starts nothing (the socket was connecting):
	# not leased anew either.
	"$TMP/target_sock" connectsoerr cn.example.test >"$TMP/plain" 2>&1
	target_with_agent 31 --default-type session-lasting --lease 2001:db8:c4a::2 -- \
		connectsoerr cn.example.test
	check "connect after SO_ERROR: libc's answers" diff -u "$TMP/plain" "$TMP/o"
	check "connect after SO_ERROR: no lease asked (two in all, for the two tries)" \
		test "$(count '"op": "lease"' "$TMP/agent31.log")" = 2

	# The same count under threads: B, on A's lease (held), refused,
	# connects again elsewhere (no cha: the agent is asked, and takes its
	# time, --lease-delay) and gives its count back; another thread closes
	# B meanwhile. B's close must not give the count back a second time
	# (A's): no hint while A holds the lease, and C, after it, takes A's
	# lease as held.
	ODM_TYPE=session-lasting target_with_agent 23 --default-type session-lasting \
		--lease 2001:db8:c4a::2 --lease-delay 0.6 -- \
		connectagainclose cn.example.test cn2.example.test
	check "b on a's held lease, refused" grep -q '^b connect: -1 ECONNREFUSED' "$TMP/o"
	check "b closed by another thread during its connect again: EBADF" \
		grep -q '^b connect again: -1 EBADF' "$TMP/o"
	check "c connects from a's lease" \
		grep -q '^c connect: server sees source 2001:db8:c4a::2$' "$TMP/o"
	check "b's close and c's leave a's lease held: no hint" \
		test "$(count 'still held by 1 socket(s), no hint' "$TMP/e")" = 2
	check "c took a's lease as held: two leases asked (a's, b's again), not three" \
		test "$(count '"op": "lease"' "$TMP/agent23.log")" = 2

	# A leased UDP socket whose address is off the host for a while, its
	# lease alive (a link down takes off an access address claimed for
	# it until the link is back or a move puts it on the tunnel device,
	# odmagent(8)): it keeps its address, and sends from it once it is
	# back; leased anew, its peer would see its address change.
	target_with_agent 24 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 -- away cn.example.test
	check "a UDP socket was leased" grep -q 'udp before: server sees source 2001:db8:c4a::2' "$TMP/o"
	check "its address off the host for a moment: not leased anew (one lease asked)" \
		test "$(count '"op": "lease"' "$TMP/agent24.log")" = 1
	check "its address back, it sends from it" \
		grep -q '^udp back: server sees source 2001:db8:c4a::2$' "$TMP/o"
	# ...but one the agent ended (destroyed, the ECONNABORTED read) that
	# took a port again since (a send the shim does not see): its address
	# gone, it is leased anew, never sent from the ended one
	away_ended 25 aborted "the error read" \
		'^after the raw send: 2001:db8:c4a::2 port [1-9]'
	# ...and so one whose ECONNABORTED getsockopt(SO_ERROR) read (an event
	# loop told POLLERR), a plain sendto() taking a port again before its
	# look was due: that send is leased anew at once
	away_ended 26 sockerr "SO_ERROR read" '^SO_ERROR: 0 ECONNABORTED$'
	check "SO_ERROR read: its next send went from a new lease at once" \
		grep -q '^udp after: server sees source 2001:db8:c4a::3$' "$TMP/o"
	# ...and one whose ECONNABORTED a forked child read, taking a port
	# again, unseen by the parent's shim
	away_ended 27 forked "read in a child" \
		'^after the child: 2001:db8:c4a::2 port [1-9]'

	# A non-blocking, leased UDP socket destroyed as the agent ends an
	# idle lease's sockets: a receive of any kind is not told of it
	# (EAGAIN, as with nothing to read), where the kernel says
	# ECONNABORTED; the same built with _FORTIFY_SOURCE, whose recv,
	# recvfrom and read are __recv_chk, __recvfrom_chk and __read_chk.
	n=22
	for b in target_sock target_sock_fortify; do
		TARGET_BIN=$b target_with_agent $((n++)) --default-type session-lasting \
			--lease 2001:db8:c4a::2 -- recvended cn.example.test
		for way in recv recvfrom recvmsg recvmmsg read readv; do
			check "$b: a receive by $way on a UDP socket its lease's end destroyed: EAGAIN, not told" \
				grep -qx "$way: -1 EAGAIN" "$TMP/o"
		done
	done

	# ...and a blocking one whose answer came before the ending, unread:
	# received after it (the kernel reports the error in front of it),
	# peeked and then read, and a recvmmsg() for two returns the one
	# queued rather than wait for one more that cannot come (its socket
	# has no port); a non-blocking receive gets it too
	target_with_agent 28 --default-type session-lasting --lease 2001:db8:c4a::2 \
		-- recvqueued cn.example.test
	for way in recv peek recvmmsg2 nonblocking; do
		check "an answer unread at the lease's end: $way receives it" \
			grep -qx "$way: 1 q" "$TMP/o"
	done
	check "and recv(MSG_PEEK) first peeks it" grep -qx "peeked: 1 q" "$TMP/o"

	# A thread's blocking receive waits on past the lease's end when the
	# thread that took the lease is gone, though glibc gave the waiting
	# thread its pthread_t: the main thread's send leases the socket anew
	# and its answer comes to that receive (not EAGAIN, as for the lease's
	# own thread, which would wait for its own next send)
	target_with_agent 29 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 -- recvreused cn.example.test
	check "the receiving thread has the gone lease thread's pthread_t" \
		grep -qx "reused: yes" "$TMP/o"
	check "the main thread's send went from a new lease" \
		grep -qx "udp again: server sees source 2001:db8:c4a::3" "$TMP/o"
	check "the blocked receive of a thread other than the lease's got its answer" \
		grep -qx "blocked recv: 6 answer" "$TMP/o"

	# ...and one whose connect again fails (no route to its peer for a
	# moment: a move) keeps its peer: once the route is back, its next
	# send connects it again and goes, rather than failing EDESTADDRREQ
	# from then on.
	ip -6 addr add 2001:db8:c4a::4/128 dev lo nodad
	target_with_agent 8 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 --lease 2001:db8:c4a::4 -- ended cn.example.test send unreach
	ip -6 addr add 2001:db8:c0::10/128 dev lo nodad 2>/dev/null || true
	check "a connected UDP socket: leased" \
		grep -q 'udp connected: server sees source 2001:db8:c4a::2' "$TMP/o"
	check "its lease ended, no route to its peer: the send fails so" \
		grep -qx 'first send: -1 ENETUNREACH' "$TMP/o"
	check "the route back, its next send works" grep -qx 'then send: 1 ' "$TMP/o"
	check "from a new lease's address" \
		grep -qx 'udp then: server sees source 2001:db8:c4a::4' "$TMP/o"

	# ...and when the agent answers plain for it (a program that named no
	# type goes out plain then): the threads waiting for the one that
	# connected it again find it connected, and send
	target_with_agent 9 --default-type session-lasting --plain-after 1 --lease-delay 0.3 \
		-- reconnect cn.example.test 4
	four_sent "its lease ended, the agent says plain" 2001:db8:c0::10 "$TMP/agent9.log"

	# ...and one that sends with its peer's address first (sendto), which
	# leases it anew: its next send() without one goes too, from that same
	# new lease (no third address for the peer)
	target_with_agent 10 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 --lease 2001:db8:c4a::4 -- ended cn.example.test sendto
	check "its lease ended, a sendto() with its peer's address is leased anew" \
		grep -qx 'udp first: server sees source 2001:db8:c4a::3' "$TMP/o"
	check "its send() after that works" grep -qx 'then send: 1 ' "$TMP/o"
	check "from the same new lease" grep -qx 'udp then: server sees source 2001:db8:c4a::3' "$TMP/o"
	check "one lease asked again (two in all)" \
		test "$(count '"op": "lease"' "$TMP/agent10.log")" = 2
	# (that sendto() finding no route to the peer: it keeps its peer
	# still, and the send() after the route is back connects it again)
	target_with_agent 11 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 --lease 2001:db8:c4a::4 -- ended cn.example.test sendto unreach
	ip -6 addr add 2001:db8:c0::10/128 dev lo nodad 2>/dev/null || true
	check "its lease ended, no route to its peer: the sendto() fails so" \
		grep -qx 'first send: -1 ENETUNREACH' "$TMP/o"
	check "the route back, its next send() works" grep -qx 'then send: 1 ' "$TMP/o"
	# (the agent answering plain for it: connected again all the same)
	target_with_agent 12 --default-type session-lasting --plain-after 1 \
		-- ended cn.example.test sendto
	check "its lease ended, the agent says plain: the sendto() goes plain" \
		grep -qx 'udp first: server sees source 2001:db8:c0::10' "$TMP/o"
	check "and its send() after that too" \
		grep -qx 'udp then: server sees source 2001:db8:c0::10' "$TMP/o"
	# (a sendmsg() whose msg_name is set, msg_namelen 0, names no address
	# for the kernel either: connected again as a send() is)
	target_with_agent 13 --default-type session-lasting --lease 2001:db8:c4a::2 \
		--lease 2001:db8:c4a::3 -- ended cn.example.test sendmsg0
	check "its lease ended, a sendmsg() with msg_namelen 0 works" grep -qx 'first send: 1 ' "$TMP/o"
	check "from a new lease's address" \
		grep -qx 'udp first: server sees source 2001:db8:c4a::3' "$TMP/o"

	# A program that resolves with gethostbyname2 or its _r form (lftp and
	# older programs do), or with getaddrinfo_a (glibc resolves its
	# requests with an internal getaddrinfo): the name is noted as
	# getaddrinfo's is (getaddrinfo_a's when GAI_WAIT returns, when
	# gai_suspend returns, its request done before the call too, when it
	# says EAI_ALLDONE, or when gai_error says a request is done)
	for how in gethostbyname2 gethostbyname2_r getaddrinfo_a getaddrinfo_a_poll \
		getaddrinfo_a_suspend getaddrinfo_a_suspend_late; do
		: >"$log"
		TARGET_RESOLVE=$how "${pre[@]}" "$TMP/target_sock" connect cn.example.test >"$TMP/o" 2>"$TMP/e"
		check "$how: server sees the leased source" grep -q 'server sees source 2001:db8:c4a::2' "$TMP/o"
		check "$how: the lease request carries the cha from DNS" grep -q '"cha": "2001:db8:ca::10"' "$log"
	done

	# A program that exports a c-ares of its own (node does): the shim's
	# lookup stays inside the c-ares the shim loaded.
	"${pre[@]}" "$TMP/target_sock_cares" connect cn.example.test >"$TMP/o" 2>"$TMP/e" || true
	check "a program with its own c-ares: the shim's lookup does not call it" \
		bash -c "! grep -q own_cares '$TMP/e'"
	check "a program with its own c-ares: connect through the CHA still leased" \
		grep -q 'server sees source 2001:db8:c4a::2' "$TMP/o"

	# No ODM_DEBUG: silent.
	"${pre[@]}" "$TMP/target_sock" connect cn.example.test >"$TMP/o" 2>"$TMP/e"
	check "nothing on stderr without ODM_DEBUG" test ! -s "$TMP/e"
	# An ODM_TYPE that names no type is the one thing said without
	# ODM_DEBUG, once, its value made printable; the agent's default applies.
	ODM_TYPE=$'sesion-lasting\e[31m' "${pre[@]}" "$TMP/target_sock" closerange cn.example.test \
		>"$TMP/o" 2>"$TMP/e"
	check "a bad ODM_TYPE is said once on stderr, named" \
		test "$(count '^odm: ODM_TYPE="sesion-lasting?\[31m" names no address type' "$TMP/e")" = 1
	check "and nothing else is" test "$(wc -l <"$TMP/e")" = 1
	check "a bad ODM_TYPE: the agent's default type applies (both connects leased)" \
		test "$(count 'server sees source 2001:db8:c4a::2' "$TMP/o")" = 2

	# An IPv4 destination gets no type (ODM's addresses are IPv6): said
	# with ODM_DEBUG, as v4-mapped too; no lease asked for either.
	: >"$log"
	"${pre[@]}" ODM_TYPE=session-lasting ODM_DEBUG=1 python3 -c '
import socket
for fam, dst in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::ffff:127.0.0.1")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((dst, 9))
    s.close()' 2>"$TMP/e"
	check "ODM_DEBUG says an IPv4 destination goes out plain" \
		test "$(count '^odm: connect fd [0-9]* -> 127.0.0.1: IPv4, no address type applies' "$TMP/e")" = 1
	check "and a v4-mapped one" \
		test "$(count '^odm: connect fd [0-9]* -> ::ffff:127.0.0.1: IPv4, no address type applies' "$TMP/e")" = 1
	check "no lease asked for IPv4 destinations" test "$(count '"op": "lease"' "$log")" = 0

	# dup, dup2, dup3, F_DUPFD_CLOEXEC: one release, after the last close.
	# (counted by the program's pid: the hint of the run before may land late)
	: >"$log"
	"${pre[@]}" "$TMP/target_sock" dupclose cn.example.test >"$TMP/o" 2>&1 &
	dpid=$!
	wait "$dpid"
	releases_in "$log" >/dev/null
	n=$(grep '"op": "release"' "$log" | grep -c "\"_pid\": $dpid[,}]" || true)
	echo "# dup chain: $n release(s)"
	check "dup chain: exactly one release" test "$n" = 1
	check "dup chain: release names the leased address" \
		grep -q '"op": "release".*"addr": "2001:db8:c4a::2"' "$log"

	# A host without a cha record: the agent is asked without one (its own
	# anchors decide: the access router's, the home anchor, else plain).
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" connect cn2.example.test >"$TMP/o" 2>"$TMP/e"
	check "no cha: one lease asked" test "$(count '"op": "lease"' "$log")" = 1
	check "no cha: the request names no cha" bash -c "! grep '\"op\": \"lease\"' '$log' | grep -q '\"cha\"'"
	check "no cha: the server sees the address the agent gave" \
		grep -q 'server sees source 2001:db8:c4a::2' "$TMP/o"
	check "no cha: debug names it" grep -q 'odm: connect fd [0-9]* -> lease 2001:db8:c4a::2 via cha none' "$TMP/e"

	# getaddrinfo alone asks nothing: the cha query waits for a connect
	# that needs it, and the agent's default type (no ODM_TYPE here) for
	# the first socket that needs a type.
	: >"$TMP/dns.log"
	: >"$log"
	"${pre[@]}" "$TMP/target_sock" gai cn.example.test 3 >"$TMP/o" 2>&1
	check "getaddrinfo without a connect: no cha query" \
		test "$(count '^cha.cn.example.test' "$TMP/dns.log")" = 0
	check "getaddrinfo without a connect: the agent is not asked" \
		test "$(count '"op"' "$log")" = 0
	"$TMP/target_sock" gai cn.example.test 3 >"$TMP/plain"
	check "getaddrinfo result unchanged by the shim" diff -u "$TMP/plain" "$TMP/o"

	# fork: parent and child lease, each with its own pid on its own connection;
	# the name cache: two lookups and connects, one cha query.
	: >"$log"
	: >"$TMP/dns.log"
	"${pre[@]}" "$TMP/target_sock" fork cn.example.test >"$TMP/o" 2>&1
	check "fork: both connections leased" test "$(count 'server sees source 2001:db8:c4a::2' "$TMP/o")" = 2
	check "lookup and connect twice within the TTL: one cha query" \
		test "$(count '^cha.cn.example.test 28' "$TMP/dns.log")" = 1
	check "fork: child exited 0" grep -q 'child exit 0' "$TMP/o"
	check "fork: leases came from two pids" \
		test "$(grep '"op": "lease"' "$log" | grep -o '"_pid": [0-9]*' | sort -u | wc -l)" = 2

	# Threads connecting at once to a name resolved once: one cha query,
	# the others wait for its answer; every connection leased.
	: >"$TMP/dns.log"
	"${pre[@]}" "$TMP/target_sock" threads cn.example.test 4 >"$TMP/o" 2>&1
	check "4 threads connect: all leased" test "$(count 'server sees source 2001:db8:c4a::2' "$TMP/o")" = 4
	check "4 threads connect: one cha query" \
		test "$(count '^cha.cn.example.test 28' "$TMP/dns.log")" = 1

	# close_range over everything, the agent connection included.
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" closerange cn.example.test >"$TMP/o" 2>"$TMP/e"
	check "close_range: both connects leased" test "$(count 'server sees source 2001:db8:c4a::2' "$TMP/o")" = 2
	check "close_range: two leases asked" test "$(count '"op": "lease"' "$log")" = 2
	check "close_range: the agent connection is rebuilt" grep -q 'closed by the application, reconnecting' "$TMP/e"
	# ...and the c-ares channel: a new name after close_range still gets its answer.
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" closerange cn.example.test cn2.example.test \
		>"$TMP/o" 2>"$TMP/e"
	check "close_range: c-ares works again afterwards" grep -q 'cha.cn2.example.test absent' "$TMP/e"

	# closefrom() with a leased socket open (glibc closes with a
	# close_range of its own, which no hook sees): its lease is released.
	: >"$log"
	"${pre[@]}" "$TMP/target_sock" closefrom cn.example.test >"$TMP/o" 2>&1 &
	dpid=$!
	wait "$dpid"
	check "closefrom: the socket was leased" grep -q 'server sees source 2001:db8:c4a::2' "$TMP/o"
	releases_in "$log" >/dev/null
	n=$(grep '"op": "release"' "$log" | grep -c "\"_pid\": $dpid[,}]" || true)
	check "closefrom: the lease of the socket it closed is released ($n hint(s))" test "$n" = 1

	# fclose() of a socket's stream (fdopen) closes inside the C library:
	# its lease is released, and the next socket's lease is asked for,
	# not taken as one the process still holds.
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" fclose cn.example.test >"$TMP/o" 2>"$TMP/e"
	check "fclose: both connects leased" \
		test "$(count 'server sees source 2001:db8:c4a::2' "$TMP/o")" = 2
	check "fclose: the second lease asked of the agent, not held" \
		test "$(count '"op": "lease"' "$log")" = 2
	check "fclose: both leases released" test "$(releases_in "$log" 2)" = 2

	# A timeout's handler closes a leased socket while the program is
	# inside the shim (getaddrinfo waiting for a DNS that never answers):
	# its count in the held leases goes back all the same, so the next
	# socket's lease is asked for, and its close hinted.
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" sigclose cn.example.test cha.cn3.example.test \
		>"$TMP/o" 2>"$TMP/e"
	check "sigclose: closed in the handler" grep -q 'sigclose: closed in the handler: yes' "$TMP/o"
	check "sigclose: the next lease asked of the agent, not held" \
		test "$(count '"op": "lease"' "$log")" = 2
	check "sigclose: the next socket's close hinted" test "$(releases_in "$log")" = 1

	# A vfork child (Python's subprocess, posix_spawn) shares the process's
	# memory until it execs: its close_range() must leave the shim's fd
	# table and agent connection alone (the first socket stays the
	# parent's, no release comes from the child's pid).
	: >"$log"
	"${pre[@]}" "$TMP/target_sock" vfork cn.example.test cn2.example.test >"$TMP/o" 2>&1
	check "vfork: the parent's leased socket is still open after the child's close_range" \
		grep -q 'first socket after the vfork child: open, source 2001:db8:c4a::2' "$TMP/o"
	vpid=$(sed -n 's/^vfork child: pid \([0-9]*\).*/\1/p' "$TMP/o")
	releases_in "$log" 2 >/dev/null
	check "vfork: the child (pid ${vpid:-?}) sent the agent nothing" \
		bash -c "[[ -n '$vpid' ]] && ! grep -q '\"_pid\": $vpid[,}]' '$log'"
	check "vfork: both leases released by the parent" \
		test "$(grep '"op": "release"' "$log" | grep -vc "\"_pid\": ${vpid:-0}[,}]" || true)" = 2

	# Non-blocking connect with a lease still returns EINPROGRESS (or 0) as libc does.
	"${pre[@]}" "$TMP/target_sock" connect cn.example.test nonblock >"$TMP/o" 2>&1
	"$TMP/target_sock" connect cn.example.test nonblock >"$TMP/plain" 2>&1
	check "non-blocking leased connect: libc's result" \
		diff <(head -2 "$TMP/plain") <(head -2 "$TMP/o")
	check "non-blocking leased connect: leased source" grep -q 'source 2001:db8:c4a::2' "$TMP/o"

	# An ICMPv6 echo over a ping socket (ping -6 sends its requests on one)
	# and over a raw one: the agent leases to TCP and UDP sockets only.
	# Fixed binds them to the Fixed address (no socket holds it); a type
	# that takes a lease fails when the program named it, and goes plain
	# otherwise, said and told to the agent: never a quiet plain address.
	# shim_connect.c's socket_other().
	sysctl -qw net.ipv4.ping_group_range="0 0"
	local echo6='
import errno, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM if sys.argv[1] == "ping" else socket.SOCK_RAW,
                  socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
s.settimeout(2)
try:
    s.sendto(b"\x80\x00\x00\x00\x12\x34\x00\x01", (sys.argv[2], 0))
except OSError as e:
    print("sendto:", errno.errorcode[e.errno])
    sys.exit(0)
while True:
    data, anc, _, _ = s.recvmsg(256, 256)
    if data[0] == 129:  # the echo reply (a raw socket sees the request too)
        for lvl, typ, d in anc:
            if lvl == socket.IPPROTO_IPV6 and typ == socket.IPV6_PKTINFO:
                print("echo reply to", socket.inet_ntop(socket.AF_INET6, d[:16]))
        break'
	for kind in ping raw; do
		: >"$log"
		ODM_TYPE=fixed "${pre[@]}" python3 -c "$echo6" "$kind" 2001:db8:c0::10 >"$TMP/o" 2>&1 || true
		cat "$TMP/o"
		check "an ICMPv6 $kind socket, fixed: its echo goes from the Fixed address" \
			grep -qx 'echo reply to 2001:db8:c4a::2' "$TMP/o"
		ODM_TYPE=session-lasting "${pre[@]}" python3 -c "$echo6" "$kind" 2001:db8:c0::10 \
			>"$TMP/o" 2>&1 || true
		check "an ICMPv6 $kind socket, session-lasting named: EADDRNOTAVAIL, not a quiet plain address" \
			grep -qx 'sendto: EADDRNOTAVAIL' "$TMP/o"
		: >"$log"
		"${pre[@]}" ODM_DEBUG=1 python3 -c "$echo6" "$kind" 2001:db8:c0::10 >"$TMP/o" 2>"$TMP/e" || true
		check "an ICMPv6 $kind socket, session-lasting by default: plain" \
			grep -qx 'echo reply to 2001:db8:c0::10' "$TMP/o"
		check "an ICMPv6 $kind socket, session-lasting by default: said" \
			grep -q 'leases are for TCP and UDP sockets only), falling back to plain' "$TMP/e"
		check "an ICMPv6 $kind socket, session-lasting by default: the agent told" \
			wait_for 3 grep -q '"op": "fallback"' "$log"
	done

	# ...but a UDP-Lite socket bound to a port on :: (a server's, its
	# bind not put off as a UDP one's is) that sends with an address is
	# answering: it can take no other address (bind(2): EINVAL), so its
	# datagram goes from the address the kernel picks, said, as a UDP
	# server's reply does, under fixed and a named leasing type alike
	# (it failed with EADDRNOTAVAIL before: a UDP-Lite server could not
	# answer).
	local litesrv='
import errno, socket
rx = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, 136)  # IPPROTO_UDPLITE
rx.bind(("2001:db8:c0::10", 0))
rx.settimeout(2)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, 136)
s.bind(("::", 0))
try:
    s.sendto(b"hi", rx.getsockname()[:2])
    print("receiver sees", rx.recvfrom(16)[1][0])
except OSError as e:
    print("failed:", errno.errorcode.get(e.errno, e.errno))'
	plain_when_named "a UDP-Lite socket bound to a port on ::" "$litesrv" \
		'receiver sees 2001:db8:c0::10' \
		'a UDP-Lite socket bound to port [0-9]* and sending with an address: taken for a server'

	# ...and a raw ICMPv6 socket that sends with hop limit 255, as a
	# Neighbor Discovery sender must and sets on its socket (radvd,
	# ndisc6): its messages' source must be an address of the link (RFC
	# 4861 §6.1), never the Fixed one, and a named leasing type must not
	# silence it: left to the kernel, said (under fixed it was bound to
	# the Fixed address, its Neighbor Solicitation sent from there)
	local nd6='
import errno, select, socket
rx = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
ns = b"\x87\x00\x00\x00\x00\x00\x00\x00" + socket.inet_pton(socket.AF_INET6, "2001:db8:c0::10")
try:
    s.sendto(ns, ("2001:db8:c0::10", 0))
except OSError as e:
    print("sendto:", errno.errorcode[e.errno])
while select.select([rx], [], [], 2)[0]:
    d, a = rx.recvfrom(256)
    if d[0] == 135:  # the solicitation, as it went
        print("solicitation from", a[0])
        break'
	plain_when_named "a raw ICMPv6 socket with hop limit 255" "$nd6" \
		'solicitation from 2001:db8:c0::10' "with hop limit 255 (Neighbor Discovery's.*: plain"

	# Fixed as the leased types: a socket bound to a device (its packets
	# would leave there, outside the tunnel) and a TCP socket bound to a
	# port that connects by sendto(MSG_FASTOPEN) (it can take no other
	# address) get EADDRNOTAVAIL when fixed was named, not a quiet plain
	# address (fixed_before_send; a connect() so bound failed already).
	local fixedfail='
import socket, sys
srv = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
dst = ("2001:db8:c0::10", srv.getsockname()[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
try:
    if sys.argv[1] == "device":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        s.connect(dst)
    else:
        s.bind(("::", 0))
        s.sendto(b"hi", socket.MSG_FASTOPEN, dst)
    print("sent from", s.getsockname()[0])
except OSError as e:
    print("failed:", e.errno)'
	for how in device fastopen; do
		ODM_TYPE=fixed "${pre[@]}" ODM_DEBUG=1 python3 -c "$fixedfail" "$how" >"$TMP/o" 2>"$TMP/e" || true
		cat "$TMP/o"
		check "fixed named, $how: EADDRNOTAVAIL, not a quiet plain address" \
			grep -qx "failed: $(python3 -c 'import errno; print(errno.EADDRNOTAVAIL)')" "$TMP/o"
		check "fixed named, $how: ODM_DEBUG says why" grep -q 'failing with EADDRNOTAVAIL' "$TMP/e"
	done

	# A TCP connect by sendto(MSG_FASTOPEN) (curl --tcp-fastopen) that
	# failed (refused), made again after its lease ended (its address off
	# the host): leased anew, as a connect() again is, not sent from the
	# ended address, which hung (blocking) until TCP gave up, minutes on.
	local tfoagain='
import socket, subprocess
srv = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
srv.settimeout(3)
shut = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
sp = shut.getsockname()[1]
shut.close()
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
try:
    s.sendto(b"hi", socket.MSG_FASTOPEN, ("2001:db8:c0::10", sp))
except OSError as e:
    print("first:", e.errno, "from", s.getsockname()[0], flush=True)
subprocess.run(["ip", "-6", "addr", "del", s.getsockname()[0] + "/128", "dev", "lo"], check=True)
s.sendto(b"hi", socket.MSG_FASTOPEN, ("2001:db8:c0::10", srv.getsockname()[1]))
print("again: server sees", srv.accept()[1][0])'
	rm -f "$TMP/agent40.sock"
	python3 "$SHIM/fake_agent.py" "$TMP/agent40.sock" "$TMP/agent40.log" \
		--default-type session-lasting --lease 2001:db8:c4a::2 --lease 2001:db8:c4a::3 &
	local tfo_pid=$!
	wait_for 5 test -S "$TMP/agent40.sock"
	ODM_SOCKET=$TMP/agent40.sock ODM_TYPE=session-lasting "${pre[@]}" ODM_DEBUG=1 \
		timeout 10 python3 -c "$tfoagain" >"$TMP/o" 2>"$TMP/e" || true
	kill "$tfo_pid" 2>/dev/null || true
	ip -6 addr replace 2001:db8:c4a::2/128 dev lo nodad
	cat "$TMP/o"
	check "sendto(MSG_FASTOPEN) refused, from the first lease" \
		grep -qx 'first: 111 from 2001:db8:c4a::2' "$TMP/o"
	check "sendto(MSG_FASTOPEN) again, its lease ended: leased anew, connected from it" \
		grep -qx 'again: server sees 2001:db8:c4a::3' "$TMP/o"
	check "sendto(MSG_FASTOPEN) again: two leases asked" \
		test "$(count '"op": "lease"' "$TMP/agent40.log")" = 2

	# A loopback or multicast destination takes no address of any type
	# (odm(7) CAVEATS): a typed program goes out plain there, ODM_DEBUG
	# says so, as for an IPv4 one (not silently).
	ODM_TYPE=fixed "${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" connect ::1 >"$TMP/o" 2>"$TMP/e"
	check "fixed, connect to ::1: connected, plain" grep -q 'source ::1' "$TMP/o"
	check "fixed, connect to ::1: ODM_DEBUG says no type applies" \
		grep -q -- '-> ::1: a loopback destination, no address type applies' "$TMP/e"
	ODM_TYPE=session-lasting "${pre[@]}" ODM_DEBUG=1 python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
try:
    s.sendto(b"x", ("ff02::1%lo", 9))
except OSError:
    pass' 2>"$TMP/e" || true
	check "session-lasting, a datagram to ff02::1: ODM_DEBUG says no type applies" \
		grep -q -- '-> ff02::1: a multicast destination, no address type applies' "$TMP/e"

	# A dual-stack UDP socket whose first datagram went to an IPv4 peer has
	# the kernel's port on :: and is taken for a server's: its IPv6
	# datagrams then go plain whatever the type (odm(7) CAVEATS), said
	# with ODM_DEBUG under fixed as under session-lasting (not silently).
	for ty in fixed session-lasting; do
		ODM_TYPE=$ty "${pre[@]}" ODM_DEBUG=1 python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 0))
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r.bind(("2001:db8:c0::10", 0))
s.sendto(b"a", ("::ffff:127.0.0.1", 9))
s.sendto(b"b", r.getsockname()[:2])
print("IPv6 datagram from", r.recvfrom(10)[1][0])' >"$TMP/o" 2>"$TMP/e" || true
		check "$ty, UDP to IPv4 first: its IPv6 datagram goes plain" \
			grep -qx 'IPv6 datagram from 2001:db8:c0::10' "$TMP/o"
		check "$ty, UDP to IPv4 first: ODM_DEBUG says its IPv6 datagram is left to the kernel" \
			grep -q "and sending with an address: taken for a server's replies" "$TMP/e"
	done

	# A connect whose socket another thread closes while the agent answers
	# (1 s here): the number belongs to a new socket by then, which the
	# shim leaves alone; the connect fails as on a closed fd.
	python3 "$SHIM/fake_agent.py" "$TMP/agent4.sock" "$TMP/agent4.log" \
		--default-type session-lasting --lease 2001:db8:c4a::2 --lease-delay 1 &
	local slow_pid=$!
	wait_for 5 test -S "$TMP/agent4.sock"
	ODM_SOCKET=$TMP/agent4.sock "${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" closewhile \
		cn.example.test >"$TMP/o" 2>"$TMP/e" || true
	kill "$slow_pid" 2>/dev/null || true
	cat "$TMP/o"
	check "closed while the agent answered: the new socket took its number" \
		grep -q 'udp socket: the same number' "$TMP/o"
	check "closed while the agent answered: the new socket is left alone (unbound)" \
		grep -qx 'udp socket bound to :: port 0' "$TMP/o"
	check "closed while the agent answered: the connect fails with EBADF" \
		grep -qx 'connect: -1 EBADF' "$TMP/o"

	# An agent that takes lease requests and never answers (stopped, hung):
	# 4 threads connect at once. Each call waits 4 s at most in all, its
	# wait behind the process's other calls included, so all four fail
	# together, not one after the other (16 s).
	python3 "$SHIM/fake_agent.py" "$TMP/agent5.sock" "$TMP/agent5.log" \
		--default-type session-lasting --lease-delay 60 &
	local mute_pid=$!
	wait_for 5 test -S "$TMP/agent5.sock"
	local t0 t1
	t0=$(date +%s%N)
	ODM_SOCKET=$TMP/agent5.sock ODM_TYPE=session-lasting "${pre[@]}" \
		timeout 30 "$TMP/target_sock" threads cn.example.test 4 >"$TMP/o" 2>&1 || true
	t1=$(date +%s%N)
	kill "$mute_pid" 2>/dev/null || true
	echo "# 4 threads against a mute agent: done after $(((t1 - t0) / 1000000)) ms"
	check "a mute agent: the 4 threads' connects all fail" \
		test "$(count '^thread connect: -1' "$TMP/o")" = 4
	check "a mute agent: within one lease time, not one per thread ($(((t1 - t0) / 1000000)) ms)" \
		test $(((t1 - t0) / 1000000)) -lt 6000

	# An agent whose control socket is full refuses every connection
	# (EBUSY): the shim tries again until its lease time is up, backing off
	# so that hundreds of processes refused together do not come back as a
	# storm (every 50 ms it was: ~80 connections a process in 4 s).
	python3 "$SHIM/fake_agent.py" "$TMP/agent6.sock" "$TMP/agent6.log" --refuse &
	local busy_pid=$!
	wait_for 5 test -S "$TMP/agent6.sock"
	ODM_SOCKET=$TMP/agent6.sock ODM_TYPE=session-lasting "${pre[@]}" \
		timeout 30 "$TMP/target_sock" connect cn.example.test >"$TMP/o" 2>&1 || true
	kill "$busy_pid" 2>/dev/null || true
	# (the lease's tries alone are counted: the process's cha-check,
	# within 200 ms, and its cha-result are refused too, some 10 more:
	# with them the count came to 31 now and then, the backoff sound)
	local tries all
	tries=$(count '"_refused": true.*"_op": "lease"' "$TMP/agent6.log")
	all=$(count '"_refused": true' "$TMP/agent6.log")
	echo "# a full agent: $tries connections for the lease in one lease time ($all in all)"
	check "a full agent: the connect fails" grep -q '^connect: -1' "$TMP/o"
	check "a full agent: tried again, not at once given up ($tries tries)" test "$tries" -ge 5
	check "a full agent: backing off, not every 50 ms ($tries tries in 4 s)" test "$tries" -le 30

	# A program out of descriptors (RLIMIT_NOFILE) as it first connects:
	# the shim can open neither jansson nor c-ares (dlopen: EMFILE) nor
	# its agent connection, so that connect fails (its type was asked).
	# Once the program has closed some, its connects are leased again:
	# the failed load is tried again a second later, not kept for the
	# life of the process (every connect failed with EADDRNOTAVAIL before).
	# (python: fill() opens descriptors until EMFILE, says so, returns them)
	local py_fill='
import errno, os
def fill():
    held = []
    try:
        while True:
            held.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as e:
        print("filled:", errno.errorcode[e.errno])
    return held'
	: >"$log"
	ODM_TYPE=session-lasting "${pre[@]}" ODM_DEBUG=1 prlimit --nofile=32:32 python3 -c "$py_fill"'
import socket, time
srv = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
port = srv.getsockname()[1]
socket.getaddrinfo("cn.example.test", port, socket.AF_INET6, socket.SOCK_STREAM)
held = fill()
os.close(held.pop())
def attempt(what):
    c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        c.connect(("2001:db8:c0::10", port))
        print(what, "source", c.getsockname()[0])
    except OSError as e:
        print(what, "error", errno.errorcode[e.errno])
    c.close()
attempt("full:")
for _ in range(8):
    os.close(held.pop())
time.sleep(1.2)
attempt("freed:")
socket.getaddrinfo("cn.example.test", port, socket.AF_INET6, socket.SOCK_STREAM)
attempt("resolved again:")' >"$TMP/o" 2>"$TMP/e" || true
	cat "$TMP/o"
	grep -e 'cannot load' -e '-> lease' "$TMP/e" || true
	check "out of descriptors: the program filled its table" grep -qx 'filled: EMFILE' "$TMP/o"
	check "out of descriptors, type asked: the connect fails" grep -q '^full: error ' "$TMP/o"
	check "out of descriptors: debug says the library could not be loaded" \
		grep -q 'cannot load .*Too many open files' "$TMP/e"
	check "descriptors freed: the next connect is leased (source 2001:db8:c4a::2)" \
		grep -qx 'freed: source 2001:db8:c4a::2' "$TMP/o"
	check "descriptors freed, the name resolved again: its cha is found (lease via cha 2001:db8:ca::10)" \
		grep -q 'odm: connect fd [0-9]* -> lease 2001:db8:c4a::2 via cha 2001:db8:ca::10' "$TMP/e"

	# Out of descriptors later, c-ares and the agent connection loaded
	# (cn2 has no cha): the cha lookup of a new name can send no query. ODM_DEBUG says why,
	# and once descriptors are free the next connect to that address asks
	# again and finds the cha (it was held 5 s as a silent DNS's before,
	# the connect going without it: "via cha none").
	: >"$log"
	"${pre[@]}" ODM_DEBUG=1 prlimit --nofile=64:64 python3 -c "$py_fill"'
import socket
srv = socket.create_server(("::", 0), family=socket.AF_INET6)
port = srv.getsockname()[1]
socket.create_connection(("cn2.example.test", port)).close()
socket.getaddrinfo("cn.example.test", port, socket.AF_INET6, socket.SOCK_STREAM)
c, c2 = socket.socket(socket.AF_INET6), socket.socket(socket.AF_INET6)
held = fill()
c.connect(("2001:db8:c0::10", port))
for fd in held:
    os.close(fd)
c2.connect(("2001:db8:c0::10", port))
print("freed: source", c2.getsockname()[0])' >"$TMP/o" 2>"$TMP/e" || true
	cat "$TMP/o"
	grep -e 'descriptor' -e '-> lease' "$TMP/e" || true
	check "out of descriptors later: the program filled its table" grep -qx 'filled: EMFILE' "$TMP/o"
	check "out of descriptors later: debug says the cha query had no descriptor" \
		grep -q 'cha.cn.example.test: no descriptor for its query (Too many open files)' "$TMP/e"
	check "descriptors freed: the next connect asks again and has the cha (its lease via cha 2001:db8:ca::10)" \
		bash -c "grep -e '-> lease' '$TMP/e' | tail -n 1 | grep -q 'via cha 2001:db8:ca::10'"
	check "descriptors freed: leased (source 2001:db8:c4a::2)" grep -qx 'freed: source 2001:db8:c4a::2' "$TMP/o"
	check "descriptors freed: debug says why it asks again (not an answer that expired)" \
		grep -q '2001:db8:c0::10: the last lookup of cha.cn.example.test had no descriptor for its query: asking again' "$TMP/e"

	# A program that closed its standard output (as one started with
	# prog >&- has it), then resolves, connects and writes there: EBADF,
	# as without the shim. The shim's own sockets (c-ares's, the agent
	# connection) take no number below 3: the kernel's lowest free one was
	# 1, and the program's output went to the agent as a request.
	: >"$log"
	"${pre[@]}" python3 -c '
import errno, os, socket, sys
srv = socket.create_server(("2001:db8:c0::10", 0), family=socket.AF_INET6)
c = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
os.close(1)
c.connect(("cn.example.test", srv.getsockname()[1]))
print("source", c.getsockname()[0], file=sys.stderr)
try:
    os.write(1, b"{\"op\": \"status\", \"id\": 7}\n")
    print("stdout: written", file=sys.stderr)
except OSError as e:
    print("stdout:", errno.errorcode[e.errno], file=sys.stderr)
sys.stderr.flush()
os._exit(0)' >/dev/null 2>"$TMP/o" || true
	cat "$TMP/o"
	check "stdout closed: the connect is leased" grep -qx 'source 2001:db8:c4a::2' "$TMP/o"
	check "stdout closed: a write there fails with EBADF, as without the shim" grep -qx 'stdout: EBADF' "$TMP/o"
	check "stdout closed: the agent got none of the program's output" \
		bash -c "! grep -q '\"op\": \"status\"' '$log'"

	# The agent says plain: plain.
	kill "$agent_pid" 2>/dev/null || true
	python3 "$SHIM/fake_agent.py" "$TMP/agent3.sock" "$TMP/agent3.log" \
		--default-type session-lasting --plain &
	agent_pid=$!
	wait_for 5 test -S "$TMP/agent3.sock"
	ODM_SOCKET=$TMP/agent3.sock "${pre[@]}" "$TMP/target_sock" connect cn.example.test >"$TMP/o" 2>&1
	check "agent answers plain: plain source" grep -q 'source 2001:db8:c0::10' "$TMP/o"
	# The lookup of the destination's cha gets no answer (the DNS out of
	# reach, as during a move) and the agent has no anchor of its own for
	# it (plain): the destination may well have a CHA, so a program that
	# asked for session-lasting gets an error, not a quiet plain address;
	# one that did not goes plain.
	# (the two programs wait out their lookups together: 2 s, not 4; the
	# fallback told is the untyped one's, by its pid in the agent's log)
	: >"$TMP/dns.log"
	: >"$TMP/agent3.log"
	ODM_SOCKET=$TMP/agent3.sock "${pre[@]}" "$TMP/target_sock" connect cn3.example.test \
		>"$TMP/o2" 2>&1 &
	local untyped_pid=$!
	ODM_SOCKET=$TMP/agent3.sock ODM_TYPE=session-lasting "${pre[@]}" ODM_DEBUG=1 \
		"$TMP/target_sock" connect cn3.example.test >"$TMP/o" 2>"$TMP/e" || true
	wait "$untyped_pid" || true
	check "cha lookup unanswered: the shim asked" grep -q '^cha.cn3.example.test 28' "$TMP/dns.log"
	check "cha lookup unanswered, type asked, agent says plain: EADDRNOTAVAIL" \
		grep -q "connect: -1 $(python3 -c 'import os; print(os.strerror(99))')" "$TMP/o"
	check "and debug says why" grep -q "cha got no answer), failing with EADDRNOTAVAIL" "$TMP/e"
	check "cha lookup unanswered, no type asked: plain source" \
		grep -q 'source 2001:db8:c0::10' "$TMP/o2"
	check "and the agent hears of the fallback" \
		wait_for 3 grep -q "\"op\": \"fallback\".*\"_pid\": $untyped_pid}" "$TMP/agent3.log"

	# The agent is gone: the app still works, plain.
	ODM_SOCKET=$TMP/nothing.sock "${pre[@]}" ODM_DEBUG=1 "$TMP/target_sock" connect cn.example.test \
		>"$TMP/o" 2>"$TMP/e"
	check "no agent, CHA known: plain source" grep -q 'source 2001:db8:c0::10' "$TMP/o"
	"${pre[@]}" ODM_SOCKET=$TMP/nothing.sock ODM_DEBUG=1 "$TMP/target_sock" closerange cn.example.test \
		>"$TMP/o" 2>"$TMP/e"
	check "no agent: both connects work" test "$(count 'source 2001:db8:c0::10' "$TMP/o")" = 2
	check "no agent: said once with ODM_DEBUG" test "$(count 'agent unreachable' "$TMP/e")" = 1
	# ...but a program that asked for the type itself gets the type or an error.
	ODM_SOCKET=$TMP/nothing.sock ODM_TYPE=session-lasting "${pre[@]}" ODM_DEBUG=1 \
		"$TMP/target_sock" connect cn.example.test >"$TMP/o" 2>"$TMP/e" || true
	check "no agent, type asked: connect fails with EADDRNOTAVAIL" \
		grep -q "connect: -1 $(python3 -c 'import os; print(os.strerror(99))')" "$TMP/o"
	check "no agent, type asked: debug names the error" grep -q 'failing with EADDRNOTAVAIL' "$TMP/e"
	# the cause is the failed connect's to the socket, not a made-up one,
	# also within the second the agent is not asked again
	check "no agent, type asked: debug names why (no such socket)" \
		grep -q "no lease ($(python3 -c 'import os; print(os.strerror(2))')), failing" "$TMP/e"
	# Graceful-replacement is the agent's to give (the access router's anchor).
	ODM_SOCKET=$TMP/agent3.sock ODM_TYPE=graceful-replacement "${pre[@]}" \
		"$TMP/target_sock" connect cn.example.test >"$TMP/o" 2>"$TMP/e" || true
	check "type graceful-replacement asked: the agent is asked for it" \
		grep -q '"op": "lease".*"type": "graceful-replacement"' "$TMP/agent3.log"
	check "and its plain answer is followed" grep -q 'source 2001:db8:c0::10' "$TMP/o"
	# Fixed: the host's Fixed address or its error, even with an agent that
	# answers (plain, which is never a Fixed address).
	for ty in fixed; do
		ODM_SOCKET=$TMP/agent3.sock ODM_TYPE=$ty "${pre[@]}" ODM_DEBUG=1 \
			"$TMP/target_sock" connect cn.example.test >"$TMP/o" 2>"$TMP/e" || true
		check "type $ty asked: connect fails with EADDRNOTAVAIL" \
			grep -q "connect: -1 $(python3 -c 'import os; print(os.strerror(99))')" "$TMP/o"
		case $ty in
		fixed) why='the agent answered plain' ;;
		*) why='no anchor offers this type here' ;;
		esac
		check "type $ty asked: debug says why ($why)" grep -q "no lease ($why), failing" "$TMP/e"
	done

	# A UDP server bound to [::] answers a request to a deprecated address
	# (as ODM's are) from it (replysrc.h), also with a control message of
	# its own whose msg_controllen runs past it by less than a header:
	# the kernel leaves that tail unread, and the shim's IPV6_PKTINFO must
	# not land in it (tests/shim/reply_ctl.c).
	ip -6 addr add 2001:db8:d5::1/128 dev lo preferred_lft 0 valid_lft forever
	for spare in 0 8; do
		"${pre[@]}" "$TMP/reply_ctl" 2001:db8:d5::1 "$spare" >"$TMP/o" 2>&1 || true
		cat "$TMP/o"
		check "udp server [::], own control data $spare bytes long past it: sent" \
			grep -qx 'sendmsg: 1' "$TMP/o"
		check "udp server [::], own control data $spare bytes long past it: answered from the address asked" \
			grep -qx 'answer from 2001:db8:d5::1' "$TMP/o"
	done

	kill "$agent_pid" "$dns_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	# the count of failed checks, for the outer verdict (at most 100;
	# a command that failed ends the run with 1)
	return $((FAILS > 100 ? 100 : FAILS))
}

if [[ ${1:-} = --inner ]]; then
	TMP=$2
	rc=0
	inner || rc=$?
	exit "$rc"
fi

[[ -f $LIB ]] || { echo "SKIP: $LIB not built (make BUILD=${ODM_BUILD:-build} $LIB)"; exit 77; }
for t in python3 "${CC:-gcc}"; do
	command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/odm-shim.XXXXXX")
AGENT_PID=
cleanup() {
	local rc=$?
	if [[ -n $AGENT_PID ]]; then
		kill "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT

"${CC:-gcc}" -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -o "$TMP/target_sock" "$SHIM/target_sock.c" \
	-lpthread -lanl
"${CC:-gcc}" -D_GNU_SOURCE -O2 -D_FORTIFY_SOURCE=2 -Wall -Wextra -Werror \
	-o "$TMP/target_sock_fortify" "$SHIM/target_sock.c" -lpthread -lanl
"${CC:-gcc}" -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -rdynamic -o "$TMP/target_sock_cares" \
	"$SHIM/target_sock.c" "$SHIM/own_cares.c" -lpthread -lanl
"${CC:-gcc}" -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -o "$TMP/reply_ctl" "$SHIM/reply_ctl.c"

# Same output and exit status with and without the shim, for every mode.
# $1: a label; the rest: environment for the shim run.
same_as_libc() {
	local label=$1 m rc
	shift
	for m in "gai localhost" "gai 127.0.0.1" "gai ::1" "gai 2001:db8::1" "connect ::1" \
		"connect 127.0.0.1" "connect ::1 nonblock" "errno ::1" "dupclose ::1" "fork ::1" \
		"closerange ::1" "closerange 127.0.0.1"; do
		rc=0
		"$TMP/target_sock" $m >"$TMP/plain" 2>&1 || rc=$?
		echo "exit $rc" >>"$TMP/plain"
		rc=0
		env "$@" LD_PRELOAD="$LIB" "$TMP/target_sock" $m >"$TMP/shim" 2>"$TMP/err" || rc=$?
		echo "exit $rc" >>"$TMP/shim"
		check "$label: $m same as libc" diff -u "$TMP/plain" "$TMP/shim"
		check "$label: $m silent on stderr" test ! -s "$TMP/err"
	done
}

# (1) No agent at all, the type asks for a CHA: everything works as libc.
same_as_libc "no agent" ODM_SOCKET="$TMP/none.sock" ODM_TYPE=session-lasting

# (2) A fake agent whose default type is session-lasting: loopback is never leased.
python3 "$SHIM/fake_agent.py" "$TMP/agent.sock" "$TMP/agent.log" --default-type session-lasting &
AGENT_PID=$!
wait_for 5 test -S "$TMP/agent.sock" || { echo "fake agent did not start"; exit 1; }
same_as_libc "agent" ODM_SOCKET="$TMP/agent.sock"
check "agent: no lease for loopback destinations" test "$(count '"op": "lease"' "$TMP/agent.log")" = 0

# (2a) close(), dup() and socket() of fds the shim holds nothing for cost
# no syscall of the shim's own, a UDP server bound to [::] open or not
# (tests/shim/close_cost.c counts the shim's getpid() calls).
"${CC:-gcc}" -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -rdynamic -o "$TMP/close_cost" \
	"$SHIM/close_cost.c"
env ODM_SOCKET="$TMP/agent.sock" LD_PRELOAD="$LIB" "$TMP/close_cost" >"$TMP/cost" 2>"$TMP/cost.err" || true
cat "$TMP/cost" "$TMP/cost.err"
check "cost: 100 dup/socket/close pairs under the shim make no getpid() syscall" \
	grep -qx 'getpid calls: 0' "$TMP/cost"
check "cost: 100 datagrams a UDP server bound to [::] receives and answers make no getpid() syscall" \
	grep -qx "server datagrams' getpid calls: 0" "$TMP/cost"
check "cost: the server socket got IPV6_RECVPKTINFO (the shim's table exists)" \
	test ! -s "$TMP/cost.err"

# A UDP socket bound to [::] and a port by a program that executes another
# with it (a service manager, inetd) before receiving on it is left as it
# was: the shim sets IPV6_RECVPKTINFO at the first receive, not the bind,
# and the other program gets no control message it did not ask for
# (tests/shim/bound_exec.c). One that received first keeps it (odm(7)).
"${CC:-gcc}" -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -o "$TMP/bound_exec" "$SHIM/bound_exec.c"
for m in bind recv; do
	env ODM_SOCKET="$TMP/agent.sock" LD_PRELOAD="$LIB" "$TMP/bound_exec" "$m" >"$TMP/exec.$m" 2>&1 || true
	cat "$TMP/exec.$m"
done
check "udp server [::] bound, executed before a receive: the executed program sees no IPV6_RECVPKTINFO" \
	grep -qx 'child: IPV6_RECVPKTINFO 0, control messages 0' "$TMP/exec.bind"
check "udp server [::] bound, received on, executed: the option is on (set at the first receive)" \
	grep -qx 'child: IPV6_RECVPKTINFO 1, control messages 1' "$TMP/exec.recv"

# (2b) An agent that takes connections but never answers (stopped, hung):
# the first connect of a process waits for it (4 s), the next ones within a
# second do not. In an empty network namespace, so nothing leaves the host.
if ((EUID == 0)) && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(64); time.sleep(30)' \
		"$TMP/silent.sock" &
	SILENT_PID=$!
	wait_for 5 test -S "$TMP/silent.sock" || { echo "silent agent did not start"; exit 1; }
	unshare -n env LD_PRELOAD="$LIB" ODM_SOCKET="$TMP/silent.sock" ODM_DEBUG=1 python3 -c '
import socket, time
for i in range(3):
    t = time.time()
    c = socket.socket(socket.AF_INET6)
    try:
        c.connect(("2001:db8::5", 80))
    except OSError:
        pass
    c.close()
    print("%.2f" % (time.time() - t))
' >"$TMP/silent.out" 2>"$TMP/silent.err" || true
	kill "$SILENT_PID" 2>/dev/null || true
	wait "$SILENT_PID" 2>/dev/null || true
	echo "# connects with a silent agent took $(tr '\n' ' ' <"$TMP/silent.out")s"
	check "silent agent: the first connect waited for it" \
		python3 -c 'import sys; v = open(sys.argv[1]).read().split(); sys.exit(not (len(v) == 3 and float(v[0]) >= 3))' "$TMP/silent.out"
	check "silent agent: the next ones did not" \
		python3 -c 'import sys; v = open(sys.argv[1]).read().split(); sys.exit(not (float(v[1]) < 1 and float(v[2]) < 1))' "$TMP/silent.out"
	check "silent agent: ODM_DEBUG says so" grep -q "did not answer hello within 4000 ms" "$TMP/silent.err"
else
	echo "# skipping the silent agent part: needs root and unshare"
fi

# (3) The CHA path in a private network namespace.
if ((EUID == 0)) && command -v unshare >/dev/null && command -v ip >/dev/null &&
	unshare -nm true 2>/dev/null; then
	rc=0
	unshare -nm -- bash "$0" --inner "$TMP" || rc=$?
	# its failed checks (a signal's death counts one)
	FAILS=$((FAILS + (rc > 100 ? 1 : rc)))
else
	echo "# skipping the namespace part: needs root, unshare and ip"
fi

check_summary test_shim
