#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/net/test_topology.sh - self-test of the ODM test network (lib/topo.sh).
#
# Checks: reachability (IPv6 and IPv4, every host to every other), DNS from
# mn (names, cha.cn, NXDOMAIN for cha.cn2, SRV), TSIG dynamic update (and an
# unsigned update refused), a plain TCP download that does NOT survive a move,
# the same download over MPTCP that does (sha256 checked, stall measured from
# a packet capture), the direct-path iperf3 throughput, and that nothing is
# left afterwards. Exit 0 pass, 77 skip, anything else fail.
#
#   mn =eth1= ar1 --\                         /-- cn  (nginx :80 TCP, :8080 MPTCP, iperf3)
#   mn =eth2= ar2 ---+-- core (tbf toward ar*) +-- cn2, cha, ha
#                                               \-- dns (BIND9)
# run-all: alone (it compares ODM's, MPTCP's and plain TCP's transfers across one move)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

if ((EUID != 0)); then
	echo "SKIP: test_topology needs root (network namespaces)"
	exit 77
fi
for tool in ip tc radvd named tsig-keygen nsupdate dig nginx iperf3 tcpdump \
	mptcpize curl ping sha256sum timeout getent awk; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: test_topology needs '$tool' (tests/install-deps.sh net)"
		exit 77
	fi
done

# 64 MiB: at the shaped 400 Mbit/s the MPTCP download still runs 1 s past
# its move (16 MiB in), and the test does not wait 5 s for a 256 MiB one
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-64}
# shellcheck source-path=SCRIPTDIR source=lib/topo.sh
. "$here/lib/topo.sh"
. "$here/lib/mptcp.sh"

SHAPE_RATE=${SHAPE_RATE:-400mbit}
RESULTS=()
result() { RESULTS+=("$*"); echo ">>> $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

topo_up
result "set-up time: $TOPO_UP_MS ms"

# ------------------------------------------------------------ reachability
# Every host pings every other host (IPv6 and IPv4), one source at a time,
# the destinations in parallel; one retry for a lost first packet.
check_reach() {
	local fam=$1 src dst addr pid rc n=0 bad=()
	local -A job=()
	for src in "${TOPO_HOSTS[@]}"; do
		job=()
		for dst in "${TOPO_HOSTS[@]}"; do
			[[ $src == "$dst" ]] && continue
			addr=$(topo_host_addr "$dst" "$fam")
			[[ -n $addr ]] || fail "no address for $dst"
			nsq "$src" sh -c "ping -$fam -n -q -c1 -W1 $addr >/dev/null 2>&1 ||
				ping -$fam -n -q -c1 -W1 $addr >/dev/null 2>&1" &
			job[$!]="$src->$dst($addr)"
		done
		for pid in "${!job[@]}"; do
			rc=0
			wait "$pid" || rc=$?
			n=$((n + 1))
			((rc == 0)) || bad+=("${job[$pid]}")
		done
	done
	((${#bad[@]} == 0)) || fail "IPv$fam unreachable: ${bad[*]}"
	echo "IPv$fam: all $n host pairs reach each other"
}
check_reach 6
check_reach 4
result "reachability: every host reaches every other (IPv6 and IPv4)"

# ------------------------------------------------------------ DNS
expect_aaaa() { # name expected-address
	local got
	got=$(nsx mn dig +short +search +ndots=3 +time=2 +tries=2 "$1" AAAA)
	[[ $got == "$2" ]] || fail "dig $1 AAAA from mn: got '$got', want '$2'"
}
dns_status() { # name type -> NOERROR/NXDOMAIN/...
	nsx mn dig +time=2 +tries=2 "$1" "$2" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}
expect_aaaa cn "$CN_ADDR"
expect_aaaa cn2 "$CN2_ADDR"
expect_aaaa cha "$CHA_ADDR"
expect_aaaa ha "$HA_ADDR"
expect_aaaa dns "$DNS_ADDR"
expect_aaaa ns1.example.test "$DNS_ADDR"
expect_aaaa cha.cn "$CHA_ADDR"
expect_aaaa cha.cn.example.test "$CHA_ADDR"
st=$(dns_status cha.cn2.example.test AAAA)
[[ $st == NXDOMAIN ]] || fail "cha.cn2.example.test: status '$st', want NXDOMAIN"
srv=$(nsx mn dig +short +time=2 +tries=2 _mip6._ipv6.example.test SRV)
[[ $srv == "0 0 0 ha.example.test." ]] || fail "SRV _mip6._ipv6: got '$srv'"
# libc resolver (search list from /etc/netns/<ns>/resolv.conf)
got=$(nsx mn getent ahostsv6 cn | awk 'NR == 1 {print $1}')
[[ $got == "$CN_ADDR" ]] || fail "getent ahostsv6 cn from mn: '$got'"
result "DNS: cn cn2 cha ha dns cha.cn resolve from mn, cha.cn2 NXDOMAIN, SRV ok"

# TSIG-signed update adds and removes a record; an unsigned one is refused.
upd() { # [-k keyfile] -- commands on stdin
	nsx mn timeout 10 nsupdate "$@"
}
name=mn-test.$DNS_ZONE
rc=0
upd -k "$TSIG_KEYFILE" <<EOF || rc=$?
server $DNS_ADDR
zone $DNS_ZONE
update add $name 30 AAAA $MN_ADDR1
send
EOF
((rc == 0)) || fail "signed nsupdate add: rc $rc"
expect_aaaa "$name" "$MN_ADDR1"
rc=0
upd -k "$TSIG_KEYFILE" <<EOF || rc=$?
server $DNS_ADDR
zone $DNS_ZONE
update delete $name AAAA
send
EOF
((rc == 0)) || fail "signed nsupdate delete: rc $rc"
st=$(dns_status "$name" AAAA)
[[ $st == NXDOMAIN ]] || fail "$name after delete: $st"
rc=0
out=$(printf 'server %s\nzone %s\nupdate add unsigned.%s 30 AAAA %s\nsend\n' \
	"$DNS_ADDR" "$DNS_ZONE" "$DNS_ZONE" "$MN_ADDR1" | upd 2>&1) || rc=$?
((rc != 0)) || fail "unsigned nsupdate was accepted"
[[ $out == *REFUSED* ]] || fail "unsigned nsupdate: '$out' (want REFUSED)"
st=$(dns_status "unsigned.$DNS_ZONE" AAAA)
[[ $st == NXDOMAIN ]] || fail "unsigned update took effect ($st)"
result "DNS update: TSIG add+delete ok, unsigned update REFUSED"

# ------------------------------------------------------------ direct iperf3
topo_start_iperf cn
rc=0
out=$(nsx mn timeout 20 iperf3 -6 -c "$CN_ADDR" -p "$IPERF_PORT" -t 3 -f m 2>&1) || rc=$?
((rc == 0)) || { echo "$out" >&2; fail "iperf3 mn->cn: rc $rc"; }
mbps=$(awk '/receiver/ {print $(NF-2)}' <<<"$out" | tail -n1)
[[ -n $mbps ]] || { echo "$out" >&2; fail "iperf3: no receiver line"; }
result "direct-path iperf3 mn->cn: $mbps Mbit/s (3 s, one flow)"

# ------------------------------------------------------------ downloads
other_ar() { if [[ $(topo_mn_attached) == ar1 ]]; then echo ar2; else echo ar1; fi; }

# received PORT - the most bytes one of mn's TCP connections (or MPTCP
# subflows) to cn port PORT has received ("" when there is none)
received() {
	nsq mn ss -Htin dst "[$CN_ADDR]:$1" 2>/dev/null |
		grep -o 'bytes_received:[0-9]*' | cut -d: -f2 | sort -n | tail -n1
}
# wait_bytes PORT N - poll until received PORT reaches N bytes
wait_bytes() {
	local port=$1 want=$2 i got
	for ((i = 0; i < 200; i++)); do
		got=$(received "$port") || true
		if [[ -n $got ]] && ((got >= want)); then return 0; fi
		sleep 0.05
	done
	echo "download did not reach $want bytes (got ${got:-0})" >&2
	return 1
}

# start_capture FILE - tcpdump on mn (all interfaces) of what cn sends from
# the MPTCP server port (not the dead plain-TCP flow, which cn still
# retransmits and which reaches mn again after a move back).
CAP_PID=
start_capture() {
	local i
	topo_spawn mn tcpdump "$ODM_RUNDIR/tcpdump.log" \
		tcpdump -i any -n -s 200 -B 8192 -w "$1" "ip6 src $CN_ADDR and tcp src port $MPTCP_HTTP_PORT"
	CAP_PID=$TOPO_SPAWNED_PID
	for ((i = 0; i < 200; i++)); do
		grep -q 'listening on' "$ODM_RUNDIR/tcpdump.log" 2>/dev/null && return 0
		sleep 0.02
	done
	fail "tcpdump did not start"
}
stop_capture() {
	[[ -n $CAP_PID ]] && kill -INT "$CAP_PID" 2>/dev/null
	topo_kill "$CAP_PID"
	CAP_PID=
	: >"$ODM_RUNDIR/tcpdump.log"
}

# stall_ms PCAP T0_NS NEW_IF - from mn's capture of cn's TCP segments:
# "STALL GAP": STALL = ms from T0 (old link down) to the first data segment
# on NEW_IF; GAP = ms between the last data segment before T0 and that one
# (the time without goodput). The capture is read in mn's namespace so the
# interface indexes map to mn's names.
stall_ms() {
	nsq mn tcpdump -r "$1" -tt -n 2>/dev/null | awk -v t0="$2" -v nif="$3" '
		BEGIN { t0s = t0 / 1e9 }
		{ n = split($0, f, "length "); len = f[n] + 0; if (len <= 0) next
		  ts = $1 + 0
		  if (ts < t0s) { last = ts; next }
		  if ($2 == nif && !first) first = ts }
		END { if (!first || !last) { print "none none"; exit }
		      printf "%d %d\n", (first - t0s) * 1000, (first - last) * 1000 }'
}

topo_shape "$SHAPE_RATE"
url=http://cn.$DNS_ZONE$BIGFILE_URL_PATH
# MPTCP gives up after 10 s without progress (lib/mptcp.sh).
curl_opts=(-sS -6 -o - --max-time 60)

# 1. Plain TCP, no ODM: must NOT survive the move. Once the segments in
# flight have come in, not one byte more arrives: the server sends to an
# address mn no longer has. (curl's own low-speed limit would say so only
# 5 s later, its speed being an average over its last 5 s.)
to=$(other_ar)
nsx mn curl "${curl_opts[@]}" "$url" >/dev/null 2>"$ODM_RUNDIR/curl-tcp.err" &
curl_pid=$!
wait_bytes "$HTTP_PORT" $((16 * 1024 * 1024))
# it stalls at the move, not before it
kill -0 "$curl_pid" 2>/dev/null || fail "plain TCP download ended before the move"
topo_move "$to"
move_ms=$TOPO_MOVE_MS
sleep 0.5
b0=$(received "$HTTP_PORT")
sleep 2
b1=$(received "$HTTP_PORT")
kill -0 "$curl_pid" 2>/dev/null || fail "plain TCP download ended after the move (it should hang)"
kill "$curl_pid" 2>/dev/null || true
wait "$curl_pid" 2>/dev/null || true
[[ -n $b0 && $b0 == "$b1" ]] ||
	fail "plain TCP download still receiving after the move ($b0 -> $b1 bytes in 2 s; it cannot without ODM)"
result "move time (link down -> usable address): $move_ms ms"
result "no ODM: plain TCP download stalled at the move (not a byte in 2 s, stuck at $b1 bytes)"

# 2. MPTCP: mn's links are subflow endpoints; must survive, bytes intact.
to=$(other_ar)
if [[ $to == ar1 ]]; then cur_if=$MN_IF2 new_if=$MN_IF1; else cur_if=$MN_IF1 new_if=$MN_IF2; fi
mptcp_download_start "http://cn.$DNS_ZONE:$MPTCP_HTTP_PORT$BIGFILE_URL_PATH" "$ODM_RUNDIR/mptcp.sha"
curl_pid=$MPTCP_PID
wait_bytes "$MPTCP_HTTP_PORT" $((16 * 1024 * 1024))
nsq mn ss -HtinM 2>/dev/null | grep . >/dev/null || echo "warning: no MPTCP socket seen on mn" >&2
start_capture "$ODM_RUNDIR/mptcp.pcap"
topo_move "$to"
t_down=$TOPO_MOVE_T0
mptcp_follow_move "$cur_if" "$new_if"
rc=0
wait "$curl_pid" || rc=$?
stop_capture
((rc == 0)) || fail "MPTCP download failed across the move (rc $rc: $(cat "$ODM_RUNDIR/mptcp.sha.err"))"
got=$(awk '{print $1}' "$ODM_RUNDIR/mptcp.sha")
[[ $got == "$BIGFILE_SHA256" ]] || fail "MPTCP download: sha256 $got, want $BIGFILE_SHA256"
read -r stall gap < <(stall_ms "$ODM_RUNDIR/mptcp.pcap" "$t_down" "$new_if") || true
[[ -n ${stall:-} && $stall != none ]] || fail "no data on $new_if after the move in the capture"
result "MPTCP download survived the move, sha256 ok"
result "MPTCP stall: $stall ms from old link down to data on the new link ($gap ms without data; move $TOPO_MOVE_MS ms; downlink shaped to $SHAPE_RATE)"
mptcp_stop
topo_unshape

# ------------------------------------------------------------ clean-up
topo_down
rc=0
topo_check_clean || rc=$?
((rc == 0)) || fail "topo_down left things behind"
result "clean-up: nothing left"

echo "==== test_topology summary (run $ODM_RUNID) ===="
printf '  %s\n' "${RESULTS[@]}"
echo "PASS: test_topology"
