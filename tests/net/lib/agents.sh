# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/agents.sh - start ODM's own daemons on the test network made
# by topo.sh: an anchor (mode cha) on the cha host and the host agent on mn,
# with a host identity and key generated for this run (never stored in the
# repository). Source it after topo.sh; call odm_agents_up after topo_up.
#
#   odm_agents_up            start both agents, wait for their control sockets
#   odm_agent_start HOST [ARG...]  start HOST's agent (mn or cha) again with its
#                            config and state directory, ARGs added to its
#                            command line; wait for its control socket
#   odm_agent_kill9 HOST     kill -9 HOST's agent (no clean-up: a crash) and reap it
#   odm_ctl HOST ARGS...     odmctl against HOST's agent (mn or cha)
#   odm_status HOST          its status as JSON
#   odm_agent_logs_clean     0 when no sanitizer report is in the agents' logs
#   odm_has_lease, odm_lease_addr, odm_reg_counter NAME   mn's leases and
#                            registration counters (see there)
#   odm_as UID CMD...        run CMD on mn as UID (group nogroup, no other groups)
#   odm_shim CMD...          run CMD on mn under libodm.so (Session-lasting)
#   odm_shim_bg CMD...       the same in the background; ODM_BG_PID is CMD's pid
#   odm_capture HOST IF FILE FILTER [SNAPLEN]   tcpdump in the background
#   odm_capture_tunnel FILE FILTER [SNAPLEN]    what passes mn's tunnel, either backend
#   odm_tunnel_backend HOST  the backend HOST's agent uses (userspace or kernel)
#   odm_socket_families PID  the address families of the sockets PID holds
#   odm_check_udp_idle T_LAST_MS  checks on an idle UDP lease (see there)
#   odm_udp_sink PORT [HOST] a UDP sink on cn (or HOST) logging to $ODM_DIR/udp-sink.log
#   odm_udp_holder PORT SECS a shimmed UDP client on mn holding a CHoA lease
#
# Variables: ODM_BUILD (build dir, default <repo>/build), ODM_DIR (this run's
# agent files), ODM_NAI, ODM_SPI, MN_SOCK, CHA_SOCK, MN_AGENT_LOG, CHA_AGENT_LOG,
# MN_STATE_DIR, CHA_STATE_DIR (each agent's state, kept across its restarts).
# Set ODM_CONF=samples before odm_agents_up to start the agents from the
# sample configurations of odmagent/dist instead (odm__conf_samples), and
# ODM_AGENT_CAPS (e.g. net_admin,net_raw) to start them with only those
# capabilities (setpriv --bounding-set), as a systemd unit would.
# ODM_AGENT_WRAP (a command's words, e.g. "prlimit --nofile=1024:1024")
# runs the agent odm_agent_start starts under that command.
# ODM_TUNNEL (user, the default, kernel or auto) is both agents' tunnel
# backend (odmagent.conf(5) "tunnel"); ODM_TUNNEL_ENCAP (ip6ip6, the
# default, or udp) their "tunnel-encap".
# Set ODM_CTL_GROUP (a group name) before odm_agents_up to let users other
# than root reach mn's agent: its socket then lives in $ODM_RUNDIR/ctl (0755)
# with that control-group; the key files stay in ODM_DIR (0700).
# ODM_MN_EXTRA (lines of odmagent.conf) is appended to mn's configuration.
# ODM_MN_LIFETIME (seconds, default 300) is the binding lifetime mn asks for.
# Set ODM_POLICY_FILE (an absolute path) before odm_agents_up to give mn's
# agent that policy file (policy-file, odm-policy(5)).
# mn's agent runs with home-discovery off unless ODM_MN_HOME_DISCOVERY=on:
# the zone's SRV record names ha, where nothing runs unless a test starts a
# home anchor, and an agent that knows a home anchor holds a Fixed lease
# there from its start (odmagent.conf(5)), which tests of other types would
# see among their leases.

ODM_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export ODM_BUILD=${ODM_BUILD:-$ODM_REPO/build}
export ODM_NAI=mn@example.test ODM_SPI=1000
export ODM_TUN_MN=odm0 ODM_TUN_CHA=odmt0 ODM_TABLE=1000
ODM_UDP_INACTIVITY=${ODM_UDP_INACTIVITY:-3}
export ODM_TUNNEL=${ODM_TUNNEL:-user}
export ODM_TUNNEL_ENCAP=${ODM_TUNNEL_ENCAP:-ip6ip6}
# The host agent's fixed timing (odmagent/mn.c): no verdict on a lease within
# the grace after a hand-out (MN_GRACE_MS), and a usage check per tick
# (MN_TICK_MS).
ODM_GRACE_S=3 ODM_TICK_S=1

odm__need_build() {
	local f
	for f in odmagent odmctl libodm.so; do
		if [[ ! -x $ODM_BUILD/$f && ! -f $ODM_BUILD/$f ]]; then
			echo "agents: $ODM_BUILD/$f is missing: run make first" >&2
			return 1
		fi
	done
}

# odm__wait_socket PATH - poll until an agent answers on PATH (5 s at most).
odm__wait_socket() {
	local i
	for ((i = 0; i < 250; i++)); do
		if [[ -S $1 ]] && "$ODM_BUILD/odmctl" -s "$1" hello >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.02
	done
	echo "agents: no agent answers on $1 after 5 s" >&2
	return 1
}

odm_agents_up() {
	odm__need_build || return 1
	odm__dir
	odm_keygen mn
	export MN_SOCK=$ODM_DIR/mn.sock CHA_SOCK=$ODM_DIR/cha.sock
	local mn_group=''
	if [[ -n ${ODM_CTL_GROUP:-} ]]; then
		mkdir -p "$ODM_RUNDIR/ctl"
		chmod 0755 "$ODM_RUNDIR/ctl"
		chmod o+x "$ODM_RUNDIR"
		MN_SOCK=$ODM_RUNDIR/ctl/mn.sock
		mn_group="control-group $ODM_CTL_GROUP"
	fi
	export MN_AGENT_LOG=$ODM_DIR/mn-agent.log CHA_AGENT_LOG=$ODM_DIR/cha-agent.log
	export MN_STATE_DIR=$ODM_DIR/state-mn CHA_STATE_DIR=$ODM_DIR/state-cha

	cat >"$ODM_DIR/cha.conf" <<-EOF
		# anchor near cn: a Corresponding Home Agent
		role anchor
		mode cha
		control $CHA_SOCK
		state-dir $CHA_STATE_DIR
		tunnel $ODM_TUNNEL
		tunnel-encap $ODM_TUNNEL_ENCAP
		tunnel-device $ODM_TUN_CHA
		log-level ${ODM_LOG_LEVEL:-info}
		address $CHA_ADDR
		pool $CHA_POOL
		max-lifetime 600
		identity $ODM_NAI spi $ODM_SPI key-file $ODM_DIR/mn.key
	EOF
	cat >"$ODM_DIR/mn.conf" <<-EOF
		# the moving host
		role mn
		control $MN_SOCK
		$mn_group
		state-dir $MN_STATE_DIR
		tunnel $ODM_TUNNEL
		tunnel-encap $ODM_TUNNEL_ENCAP
		tunnel-device $ODM_TUN_MN
		log-level ${ODM_LOG_LEVEL:-info}
		identity $ODM_NAI spi $ODM_SPI key-file $ODM_DIR/mn.key
		default-type non-persistent
		lifetime ${ODM_MN_LIFETIME:-300}
		udp-inactivity $ODM_UDP_INACTIVITY
		table $ODM_TABLE
		rule-priority 1000
		home-discovery ${ODM_MN_HOME_DISCOVERY:-off}
		${ODM_MN_EXTRA:-}
		${ODM_POLICY_FILE:+policy-file $ODM_POLICY_FILE}
	EOF
	[[ ${ODM_CONF:-} != samples ]] || odm__conf_samples "$mn_group"
	odm_agent_start cha || return 1
	odm_agent_start mn || return 1
	# a test run for another encapsulation must not pass on the default
	if [[ $ODM_TUNNEL_ENCAP != ip6ip6 ]]; then
		local h enc
		for h in cha mn; do
			enc=$(odm_status "$h" | json 'j["tunnel"].get("encap", "")')
			if [[ $enc != "$ODM_TUNNEL_ENCAP" ]]; then
				echo "agents: $h runs tunnel-encap '$enc', not $ODM_TUNNEL_ENCAP" >&2
				return 1
			fi
		done
		echo "# agents: tunnel-encap $ODM_TUNNEL_ENCAP on both"
	fi
	# Agents stop before the topology goes (their tunnel devices, routes).
	topo_at_exit "odm_agents_down"
}

# odm__say_caps HOST PID - with ODM_AGENT_CAPS, the agent's effective
# capabilities as the kernel shows them (/proc/PID/status)
odm__say_caps() {
	[[ -n ${ODM_AGENT_CAPS:-} ]] || return 0
	echo "# agents: $1 agent capabilities: $(awk '$1 == "CapEff:" { print $2 }' "/proc/$2/status" 2>/dev/null)"
	echo "# agents: $1 agent socket families: $(odm_socket_families "$2")"
}

# odm_socket_families PID - the address families of the sockets PID holds
# open, sorted (AF_INET6 AF_NETLINK ...): each socket's inode looked up in
# the tables of PID's own network namespace (/proc/PID/net/*); one the
# tables do not list is AF_UNKNOWN
odm_socket_families() {
	/usr/bin/python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
fams, col = {}, {"unix": 6, "packet": 8, "netlink": 9}
for name, fam in (("unix", "AF_UNIX"), ("packet", "AF_PACKET"), ("netlink", "AF_NETLINK"),
                  ("tcp", "AF_INET"), ("udp", "AF_INET"), ("raw", "AF_INET"), ("icmp", "AF_INET"),
                  ("tcp6", "AF_INET6"), ("udp6", "AF_INET6"), ("raw6", "AF_INET6"),
                  ("icmp6", "AF_INET6")):
    try:
        lines = open("/proc/%s/net/%s" % (pid, name)).read().splitlines()[1:]
    except OSError:
        continue
    c = col.get(name, 9)
    for l in lines:
        f = l.split()
        if len(f) > c:
            fams[f[c]] = fam
got = set()
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        t = os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError:
        continue
    if t.startswith("socket:["):
        got.add(fams.get(t[8:-1], "AF_UNKNOWN"))
print(" ".join(sorted(got)))
PY
}

# odm__conf_set FILE DIRECTIVE VALUE - FILE's line of DIRECTIVE says VALUE
# (a line added when it has none)
odm__conf_set() {
	if grep -q "^$2 " "$1"; then
		sed -i "s|^$2 .*|$2 $3|" "$1"
	else
		echo "$2 $3" >>"$1"
	fi
}

# odm__conf_samples [CONTROL-GROUP-LINE] - with ODM_CONF=samples, the agents'
# configurations are the samples make install ships (odmagent/dist:
# anchor-cha.conf, odmagent.conf) with only this run's addresses, identity,
# key file, paths and device names filled in, and the test's udp-inactivity
# and home-discovery (see above).
odm__conf_samples() {
	local dist=$ODM_REPO/odmagent/dist id="$ODM_NAI spi $ODM_SPI key-file $ODM_DIR/mn.key" kv
	cp "$dist/anchor-cha.conf" "$ODM_DIR/cha.conf"
	for kv in "address=$CHA_ADDR" "pool=$CHA_POOL" "identity=$id" "control=$CHA_SOCK" \
		"state-dir=$CHA_STATE_DIR" "tunnel-device=$ODM_TUN_CHA"; do
		odm__conf_set "$ODM_DIR/cha.conf" "${kv%%=*}" "${kv#*=}"
	done
	cp "$dist/odmagent.conf" "$ODM_DIR/mn.conf"
	for kv in "identity=$id" "control=$MN_SOCK" "state-dir=$MN_STATE_DIR" \
		"tunnel-device=$ODM_TUN_MN" "table=$ODM_TABLE" "udp-inactivity=$ODM_UDP_INACTIVITY"; do
		odm__conf_set "$ODM_DIR/mn.conf" "${kv%%=*}" "${kv#*=}"
	done
	odm__conf_set "$ODM_DIR/mn.conf" home-discovery "${ODM_MN_HOME_DISCOVERY:-off}"
	[[ -z ${1:-} ]] || echo "$1" >>"$ODM_DIR/mn.conf"
	echo "# agents: configurations from the samples $dist/anchor-cha.conf and odmagent.conf"
}

# ODM_DIR: this run's agent files, root only
odm__dir() {
	export ODM_DIR=$ODM_RUNDIR/odm
	mkdir -p "$ODM_DIR"
	chmod 0700 "$ODM_DIR"
}

# odm_keygen NAME - an MN-HA key in $ODM_DIR/NAME.key: 16 random octets as
# 32 hex digits, readable by root only (made once per run).
odm_keygen() {
	[[ -s $ODM_DIR/$1.key ]] && return 0
	(umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$ODM_DIR/$1.key")
}

odm_agent_start() {
	local wrap=() host=$1
	shift
	[[ -z ${ODM_AGENT_CAPS:-} ]] || wrap=(setpriv "--bounding-set=-all,+${ODM_AGENT_CAPS//,/,+}")
	[[ -z ${ODM_AGENT_WRAP:-} ]] || read -ra wrap <<<"$ODM_AGENT_WRAP ${wrap[*]}"
	case $host in
	cha)
		topo_spawn cha odmagent-cha "$CHA_AGENT_LOG" "${wrap[@]}" "$ODM_BUILD/odmagent" -f "$ODM_DIR/cha.conf" "$@"
		export CHA_AGENT_PID=$TOPO_SPAWNED_PID
		odm__wait_socket "$CHA_SOCK"
		odm__say_caps cha "$CHA_AGENT_PID"
		;;
	mn)
		topo_spawn mn odmagent-mn "$MN_AGENT_LOG" "${wrap[@]}" "$ODM_BUILD/odmagent" -f "$ODM_DIR/mn.conf" "$@"
		export MN_AGENT_PID=$TOPO_SPAWNED_PID
		odm__wait_socket "$MN_SOCK"
		odm__say_caps mn "$MN_AGENT_PID"
		;;
	*) echo "odm_agent_start: mn or cha, not '$host'" >&2; return 2 ;;
	esac
}

odm_agent_kill9() {
	local pid
	case $1 in
	cha) pid=$CHA_AGENT_PID ;;
	mn) pid=$MN_AGENT_PID ;;
	*) echo "odm_agent_kill9: mn or cha, not '$1'" >&2; return 2 ;;
	esac
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
}

odm_agents_down() {
	[[ -n ${MN_AGENT_PID:-} ]] && topo_kill "$MN_AGENT_PID"
	[[ -n ${CHA_AGENT_PID:-} ]] && topo_kill "$CHA_AGENT_PID"
	MN_AGENT_PID='' CHA_AGENT_PID=''
	return 0
}

odm_ctl() {
	local h=$1 sock
	shift
	case $h in
	mn) sock=$MN_SOCK ;;
	cha) sock=$CHA_SOCK ;;
	*) echo "odm_ctl: mn or cha, not '$h'" >&2; return 2 ;;
	esac
	"$ODM_BUILD/odmctl" -s "$sock" "$@"
}

odm_status() { odm_ctl "$1" -j status; }
# odm_agent_logs_clean - 0 when neither agent's log holds a sanitizer report
# (agents built with SAN=1 print them there).
odm_agent_logs_clean() { ! grep -qE 'Sanitizer|runtime error' "$MN_AGENT_LOG" "$CHA_AGENT_LOG"; }
# odm_lease_count / odm_binding_count - leases on mn, bindings at the anchor
odm_lease_count() { odm_status mn | json 'len(j.get("leases", []))'; }
odm_binding_count() { odm_status cha | json 'len(j.get("bindings", []))'; }
# odm_has_lease - mn holds a lease; odm_lease_addr - the address of mn's
# first lease ("" if none); odm_reg_counter NAME - one of mn's registration
# counters (bu_sent, ba_in, ba_ignored)
odm_has_lease() { [[ $(odm_lease_count) -ge 1 ]]; }
# odm_mn_logged TEXT - mn's agent log has a line with TEXT (a grep pattern)
odm_mn_logged() { grep -q "$1" "$MN_AGENT_LOG"; }
# odm_leases - "addr,anchor,type" of each of mn's leases, space-separated
odm_leases() { odm_status mn | json "' '.join(l['addr'] + ',' + l['anchor'] + ',' + l['type'] for l in j['leases'])"; }
odm_lease_addr() { odm_status mn | json 'j["leases"][0]["addr"] if j["leases"] else ""'; }
odm_reg_counter() { odm_status mn | json "j['registration']['$1']"; }
# odm_bindings_at COA - 0 when the anchor on cha holds bindings, all at COA
odm_bindings_at() {
	[[ $(odm_status cha | json '" ".join(sorted(set(b["coa"] for b in j["bindings"])))') == "$1" ]]
}

# odm_as UID CMD... - CMD on mn as UID, group nogroup, no other groups.
odm_as() {
	local uid=$1
	shift
	ip netns exec "$NS_MN" setpriv --reuid="$uid" --regid=nogroup --clear-groups "$@"
}

# odm_shim CMD... - CMD on mn with the shim and Session-lasting policy.
odm_shim() {
	nsx mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		ODM_TYPE=session-lasting "$@"
}

# odm_shim_bg CMD... - odm_shim in the background. ip netns exec and env both
# exec, so $! is CMD's own pid (kill -9 reaches the program itself).
odm_shim_bg() {
	ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		ODM_TYPE=session-lasting "$@" &
	ODM_BG_PID=$!
}

# odm_connloop NAME SECONDS PERIOD - connloop.py on mn with the shim
# (Session-lasting, ODM_DEBUG), in the background: its lines in
# $ODM_RUNDIR/connloop.out (LOOP_LOG), the shim's in connloop.err; its pid
# in LOOP, killed at exit.
odm_connloop() {
	LOOP_LOG=$ODM_RUNDIR/connloop.out
	ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		ODM_TYPE=session-lasting ODM_DEBUG=1 python3 "$ODM_REPO/tests/net/lib/connloop.py" "$1" \
		"$HTTP_PORT" "$2" "$3" >"$LOOP_LOG" 2>"$ODM_RUNDIR/connloop.err" &
	LOOP=$!
	topo_at_exit "kill $LOOP 2>/dev/null || true"
}

# odm_capture HOST IF FILE FILTER [SNAPLEN] - background tcpdump; sets
# ODM_CAP_PID. SNAPLEN defaults to 0 (whole packets); bulk captures pass a
# small one. Returns once tcpdump is listening.
odm_capture() {
	local h=$1 ifc=$2 file=$3 filter=$4 snap=${5:-0} i
	topo_spawn "$h" "tcpdump-$ifc" "$file.log" tcpdump -Z root -U --immediate-mode -n -s "$snap" -i "$ifc" -w "$file" "$filter"
	ODM_CAP_PID=$TOPO_SPAWNED_PID
	for ((i = 0; i < 250; i++)); do
		grep -q 'listening on' "$file.log" 2>/dev/null && return 0
		sleep 0.02
	done
	echo "agents: tcpdump on $h $ifc did not start" >&2
	return 1
}

# odm_tunnel_backend HOST - the tunnel backend HOST's agent runs (status).
odm_tunnel_backend() { odm_status "$1" | json 'j["tunnel"]["backend"]'; }

# odm_capture_tunnel FILE FILTER [SNAPLEN] - odm_capture of the packets
# through mn's tunnel. The userspace backend passes them through its device:
# the inner packets are captured there, with FILTER. The kernel backends'
# (kernel, bpf) never pass the device: the IPv6-in-IPv6 packets are captured
# on all of mn's links instead (tshark decodes the inner packets; FILTER,
# written for inner packets, is not applied, and SNAPLEN grows by the outer
# header and the capture's link header).
odm_capture_tunnel() {
	local file=$1 filter=$2 snap=${3:-0} be
	be=$(odm_tunnel_backend mn)
	if [[ $be == kernel || $be == bpf ]]; then
		((snap)) && snap=$((snap + 60))
		odm_capture mn any "$file" 'ip6 proto 41' "$snap"
	else
		odm_capture mn "$ODM_TUN_MN" "$file" "$filter" "$snap"
	fi
}

# odm_stall_ms PCAP T0_NS [PORT] - the stall of a download across a move: the
# longest gap between consecutive data segments (tcp.len > 0, from source
# port PORT if given; tunnelled ones are read inside) in PCAP from
# 0.2 s before T0 (epoch ns, the old link going down) to 5 s after it, in ms.
# The first segment after T0 is no measure: packets already queued in the
# tunnel arrive right after it, before the real gap. -1 if no data came
# after T0 within the window.
odm_stall_ms() {
	local f='tcp.len > 0'
	[[ -n ${3:-} ]] && f="$f && tcp.srcport == $3"
	tshark -r "$1" -T fields -e frame.time_epoch -Y "$f" 2>/dev/null | odm_stall_of_times "$2"
}
# odm_stall_of_times T0_NS - the same from the data segments' times (epoch
# seconds, one a line) on stdin, for a capture already read
odm_stall_of_times() {
	/usr/bin/python3 -c '
import sys
t0 = int(sys.argv[1]) / 1e9
ts = sorted(float(x) for x in sys.stdin.read().split() if t0 - 0.2 <= float(x) <= t0 + 5)
gaps = [b - a for a, b in zip(ts, ts[1:])]
resumed = any(t > t0 for t in ts)
print(round(max(gaps) * 1000) if gaps and resumed else -1)' "$1"
}

# odm_capture_stop PID - stop a capture and let it flush.
odm_capture_stop() {
	kill -INT "$1" 2>/dev/null || true
	topo_kill "$1"
}

# odm_check_udp_idle T_LAST_MS - the life of a UDP lease on mn whose socket
# stays open but fell silent at T_LAST_MS (ms since the epoch, as
# topo_now_ms: taken by the program right after its last packet). Checks that the lease outlives the grace and a tick (so the
# agent saw the socket through sock_diag: a lease without sockets ends right
# after the grace), that the agent counts the socket, and that it ends for
# idleness between udp-inactivity and udp-inactivity + a tick (plus 1.5 s for
# the deregistration and polling) after the last packet. Needs
# ODM_UDP_INACTIVITY >= ODM_GRACE_S + ODM_TICK_S + 3, so that the two ends
# cannot be confused. With PCAP (a capture on mn's tunnel device), a later
# packet for the lease's address seen there moves T_LAST_MS: the agent's
# measure of silence is the tunnel's. Sets ODM_UDP_IDLE_MS (the measured
# end, ms after T_LAST_MS).
odm_check_udp_idle() {
	local t_last=$1 pcap=${2:-} hold_at now addr socks idle lo hi t_end t_tun seen_at seen_idle seen_socks
	ODM__UDP_SEEN=
	if ((ODM_UDP_INACTIVITY < ODM_GRACE_S + ODM_TICK_S + 3)); then
		not_ok "udp-inactivity $ODM_UDP_INACTIVITY s is too close to the grace ($ODM_GRACE_S s) to tell them apart"
		return 0
	fi
	hold_at=$((t_last + (ODM_GRACE_S + ODM_TICK_S + 1) * 1000))
	now=$(topo_now_ms)
	((hold_at > now)) && sleep "$(printf '%d.%03d' $(((hold_at - now) / 1000)) $(((hold_at - now) % 1000)))"
	read -r addr socks idle < <(odm_status mn |
		json '" ".join("%s %s %s" % (l["addr"], l["sockets"], l.get("idle_ms", -1)) for l in j["leases"] if l["proto"] == "udp")') || true
	now=$(topo_now_ms)
	check "$((ODM_GRACE_S + ODM_TICK_S + 1)) s after its last packet (past grace and a tick) the UDP lease ${addr:-(none)} is held, its socket counted (sockets: ${socks:-none})" \
		test "${socks:-0}" = 1
	# the status says how long the lease has been silent, as the agent's
	# last look (once a tick) saw it: the time since the last packet
	check "its status says it has been idle ${idle:--1} ms, $((now - t_last)) ms after its last packet (within a tick and 500 ms)" \
		test "${idle:--1}" -ge $((now - t_last - ODM_TICK_S * 1000 - 500)) -a "${idle:--1}" -le $((now - t_last + 500))
	lo=$((ODM_UDP_INACTIVITY * 1000 - 300))
	hi=$(((ODM_UDP_INACTIVITY + ODM_TICK_S) * 1000 + 1500))
	ODM_UDP_IDLE_MS=-1
	if wait_for $((ODM_UDP_INACTIVITY + ODM_TICK_S + 3)) odm__no_udp_lease; then
		t_end=$(topo_now_ms)
		if [[ -n $pcap && -n ${addr:-} ]]; then
			t_tun=$(tshark -r "$pcap" -Y "ipv6.addr == $addr" -T fields -e frame.time_epoch 2>/dev/null |
				awk -v e="$t_end" '{ t = int($1 * 1000) } t <= e && t > m { m = t } END { printf "%.0f\n", m }')
			if ((t_tun > t_last)); then
				echo "the last packet through the tunnel for $addr came $((t_tun - t_last)) ms after the program's last one"
				t_last=$t_tun
			fi
		fi
		ODM_UDP_IDLE_MS=$((t_end - t_last))
	fi
	echo "UDP lease ended ${ODM_UDP_IDLE_MS} ms after its last packet (udp-inactivity $ODM_UDP_INACTIVITY s, grace $ODM_GRACE_S s)"
	if [[ -n ${ODM__UDP_SEEN:-} ]]; then
		read -r seen_at seen_idle seen_socks <<<"$ODM__UDP_SEEN"
		echo "the agent's last status before that, $((seen_at - t_last)) ms after the last packet: idle ${seen_idle} ms, ${seen_socks} socket(s)"
	fi
	check "the idle UDP lease ends between $lo and $hi ms after its last packet (${ODM_UDP_IDLE_MS} ms)" \
		test "$ODM_UDP_IDLE_MS" -ge "$lo" -a "$ODM_UDP_IDLE_MS" -le "$hi"
	check "the agent ended it for idleness, not for want of sockets" \
		grep -qF " ${addr:-(none)} at $CHA_ADDR ended (UDP idle)" "$MN_AGENT_LOG"
}
# (what the agent said of the UDP lease at the last poll, kept for the
# report: ms since the epoch, then its idle_ms and sockets)
odm__no_udp_lease() {
	local seen
	seen=$(odm_status mn | json '" ".join("%s %s" % (l.get("idle_ms", "-"), l["sockets"]) for l in j["leases"] if l["proto"] == "udp")') || return 1
	[[ -z $seen ]] && return 0
	ODM__UDP_SEEN="$(topo_now_ms) $seen"
	return 1
}

# ---- anchors of any mode on any host (test_anchor_modes.sh) ----
#   odm_anchor_up HOST ADDRESS [LINE]...  write $ODM_DIR/HOST.conf: role anchor at
#                     ADDRESS, the run's host identity, userspace tunnel
#                     odmt-HOST, control socket $ODM_DIR/HOST.sock, state in
#                     $ODM_DIR/state-HOST, then each LINE as given ("mode access",
#                     "access-prefix ..."); start it (log $ODM_DIR/HOST-agent.log)
#   odm_anchor_start HOST / odm_anchor_stop HOST   again with its config / SIGTERM
#   odm_anchor_status HOST                         its status as JSON
declare -A ODM_ANCHOR_PIDS=()
odm_anchor_up() {
	local h=$1 addr=$2 line
	shift 2
	odm__need_build || return 1
	[[ -n ${ODM_DIR:-} ]] || odm__dir
	odm_keygen mn
	{
		echo "# anchor on $h (tests/net/lib/agents.sh)"
		echo "role anchor"
		echo "control $ODM_DIR/$h.sock"
		echo "state-dir $ODM_DIR/state-$h"
		echo "tunnel userspace"
		echo "tunnel-device odmt-$h"
		echo "log-level info"
		echo "address $addr"
		echo "identity $ODM_NAI spi $ODM_SPI key-file $ODM_DIR/mn.key"
		for line; do echo "$line"; done
	} >"$ODM_DIR/$h.conf"
	odm_anchor_start "$h"
}
odm_anchor_start() {
	local h=$1
	topo_spawn "$h" "odmagent-$h" "$ODM_DIR/$h-agent.log" "$ODM_BUILD/odmagent" -f "$ODM_DIR/$h.conf"
	ODM_ANCHOR_PIDS[$h]=$TOPO_SPAWNED_PID
	[[ ${#ODM_ANCHOR_PIDS[@]} -gt 1 ]] || topo_at_exit "odm__anchors_down"
	odm__wait_socket "$ODM_DIR/$h.sock"
}
odm_anchor_stop() {
	[[ -n ${ODM_ANCHOR_PIDS[$1]:-} ]] && topo_kill "${ODM_ANCHOR_PIDS[$1]}"
	ODM_ANCHOR_PIDS[$1]=''
}
odm__anchors_down() {
	local h
	for h in "${!ODM_ANCHOR_PIDS[@]}"; do odm_anchor_stop "$h"; done
	return 0
}
odm_anchor_status() { "$ODM_BUILD/odmctl" -s "$ODM_DIR/$1.sock" -j status; }

# ---- DNS registration (test_dnspub.sh, test_fixed.sh) ----
#   odm_mn_dns_conf MODE NAME TTL   before odm_agents_up: ODM_MN_EXTRA for
#                               dns-publish MODE of NAME with TTL, signed with a
#                               copy of the test network's TSIG key in $KEY
#                               (private to root, as the agent wants it)
odm_mn_dns_conf() {
	KEY=$ODM_RUNDIR/dns-mn.key
	(umask 077 && cp "$TSIG_KEYFILE" "$KEY")
	ODM_MN_EXTRA="dns-publish $1
dns-server $DNS_ADDR
dns-name $2
dns-ttl $3
dns-key $KEY"
	export ODM_MN_EXTRA KEY
}

# ---- access anchors (test_access.sh, test_graceful.sh) ----
#   odm_anchor_bindings HOST    "hoa,coa,nai" of each binding at HOST's anchor, sorted
#   odm_mn_access_conf AR...    ODM_MN_EXTRA for the access anchors of AR...,
#                               before odm_agents_up: "access-anchor ra" (learned
#                               from their RAs); ODM_ACCESS_FROM=config: lines
#                               with their addresses instead
#   odm_access_anchor_is ADDR SRC   mn's status names ADDR (from SRC: config|ra)
#                               as the current link's access anchor
#   odm_craft_bu NAI SPI KEYFILE ANCHOR COA DEV ARGS...   one BU crafted by
#                               mhcraft.py from mn; prints the answer line
odm_anchor_bindings() {
	odm_anchor_status "$1" |
		json '" ".join(sorted("%s,%s,%s" % (b["hoa"], b["coa"], b["nai"]) for b in j["bindings"]))'
}
odm_mn_access_conf() {
	local h addr
	ODM_MN_EXTRA=''
	if [[ ${ODM_ACCESS_FROM:-ra} == ra ]]; then
		ODM_MN_EXTRA="access-anchor ra"$'\n'
		export ODM_MN_EXTRA
		return 0
	fi
	for h; do
		case $h in
		ar1) addr=$AR1_ADDR ;;
		ar2) addr=$AR2_ADDR ;;
		*) echo "odm_mn_access_conf: ar1 or ar2, not '$h'" >&2; return 2 ;;
		esac
		ODM_MN_EXTRA+="access-anchor $addr"$'\n'
	done
	export ODM_MN_EXTRA
}
odm_access_anchor_is() {
	[[ $(odm_status mn | json "'%s %s' % (j['access_anchor']['addr'], j['access_anchor']['source'])") == "$1 $2" ]]
}
# odm_binding_seq - the sequence number of the anchor's first binding on cha
# (-1: none); odm_seq_moved OLD [NOW] - it has one, and not OLD
odm_binding_seq() { odm_status cha | json 'j["bindings"][0]["seq"] if j["bindings"] else -1'; }
odm_seq_moved() { local n=${2:-$(odm_binding_seq)}; [[ $n =~ ^[0-9]+$ && $n != "$1" ]]; }
# odm_brr_bg - a Binding Refresh Request (RFC 6275 11.7.4) crafted on cha,
# from the anchor's address to mn's: the host refreshes its bindings there
# at once. In the background (ODM_BRR_PID): mhcraft waits for an answer a
# host never sends.
odm_brr_bg() {
	nsq cha /usr/bin/python3 "$ODM_REPO/tests/net/lib/mhcraft.py" --coa "$CHA_ADDR" \
		--cha "$(topo_mn_addr)" --keyfile "$ODM_DIR/mn.key" --raw-type 0 >/dev/null 2>&1 &
	ODM_BRR_PID=$!
}
odm_craft_bu() {
	local nai=$1 spi=$2 key=$3 anchor=$4 coa=$5 dev=$6 seq
	shift 6
	# the sequence number in a file: callers run this in $(...)
	seq=$(($(cat "$ODM_DIR/craft-seq" 2>/dev/null || echo 0) + 1))
	echo "$seq" >"$ODM_DIR/craft-seq"
	nsq mn /usr/bin/python3 "$ODM_REPO/tests/net/lib/mhcraft.py" --coa "$coa" --cha "$anchor" \
		--dev "$dev" --nai "$nai" --spi "$spi" --keyfile "$key" --seq "$seq" "$@"
}

# odm_udp_sink PORT [HOST] - a UDP sink on cn (or HOST) at PORT that logs
# "TEXT ecn=E PEER" per datagram to $ODM_DIR/udp-sink.log (udp-sink-HOST.log),
# E the ECN field it arrived with (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE);
# returns once it listens.
# odm_udp_holder PORT SECS [EVERY] - a program under the shim on mn that
# sends "hello" to cn.example.test PORT (so it holds a CHoA lease) and stays
# quiet for SECS, or with EVERY says hello again every EVERY s for SECS (so
# the lease never falls idle); its pid in ODM_UDP_HOLDER.
# odm_addr_holder ADDR SECS - a TCP socket on mn listening on ADDR for SECS,
# so that the agent counts a socket on a lease taken with odmctl (which has
# none: it would end 3 s later, HE_GRACE_MS); returns once it listens, its
# pid in ODM_ADDR_HOLDER.
odm_udp_sink() {
	local h=${2:-cn}
	topo_spawn "$h" udp-sink "$ODM_DIR/udp-sink${2:+-$2}.log" /usr/bin/python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
s.bind(("::", int(sys.argv[1])))
while True:
    data, anc, _, peer = s.recvmsg(2048, 64)
    tclass = [int.from_bytes(d[:4], sys.byteorder) for l, t, d in anc
              if l == socket.IPPROTO_IPV6 and t == socket.IPV6_TCLASS]
    print(data.decode(errors="replace"), "ecn=%d" % ((tclass or [0])[0] & 3), peer[0], flush=True)
' "$1"
	odm__udp_listening() { grep -q . <<<"$(nsq "$2" ss -Hlun "sport = :$1")"; }
	wait_for 5 odm__udp_listening "$1" "$h"
}
odm_addr_holder() {
	topo_spawn mn addr-holder "$ODM_DIR/addr-holder.log" /usr/bin/python3 -u -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind((sys.argv[1], 0))
s.listen(1)
time.sleep(float(sys.argv[2]))
' "$1" "$2"
	ODM_ADDR_HOLDER=$TOPO_SPAWNED_PID
	odm__tcp_listening_on() { grep -q . <<<"$(nsq mn ss -Hltn "src [$1]")"; }
	wait_for 5 odm__tcp_listening_on "$1"
}
odm_udp_holder() {
	odm_shim_bg /usr/bin/python3 -u -c '
import socket, sys, time
ai = socket.getaddrinfo("cn.example.test", int(sys.argv[1]), socket.AF_INET6, socket.SOCK_DGRAM)[0]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
end, every = time.monotonic() + float(sys.argv[2]), float(sys.argv[3])
s.sendto(b"hello", ai[4])
while every and time.monotonic() + every < end:
    time.sleep(every)
    s.sendto(b"hello", ai[4])
time.sleep(max(0.0, end - time.monotonic()))
' "$1" "$2" "${3:-0}" >"$ODM_DIR/udp-client.log" 2>&1
	ODM_UDP_HOLDER=$ODM_BG_PID
}
