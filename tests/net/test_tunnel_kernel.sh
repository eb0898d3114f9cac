#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_tunnel_kernel.sh - the kernel tunnel backends (where this kernel runs
# them: "kernel", seg6 + nftables; "bpf", tc programs) against the userspace
# one, on the namespace test network. For each kernel backend KBE:
#   1. wire: the same paced download through the userspace backend and
#      through KBE in turn, captured on core; the outer headers are the
#      same: next header 41, no routing header (no SRH), the same outer
#      addresses each way;
#   2. spoofing: an IPv6-in-IPv6 packet for the CHoA from an outer source
#      that is not the CoA is dropped at the anchor (and counted), while the
#      same packet from the CoA gets through; (bpf) a CE mark on the outer
#      header reaches the inner packet (RFC 6040);
#   2b. a refresh (a crafted Binding Refresh Request makes the host send
#      one) changes nothing in either kernel: no route, no nftables event;
#   3. kill -9 of the host agent during a kernel-path download: the download
#      goes on while the agent is dead, the restarted agent takes the lease
#      over, the download completes with the right sha256;
#   4. a clean stop leaves nothing: no device, nftables table, decapsulation
#      rule, route, tc filter or clsact qdisc, and the rule to the local
#      table is back at priority 0 (after a kill -9 and a restart too, 3.);
#   5. (bpf) both agents killed mid-download, then started on the userspace
#      backend: it removes the bpf filters, and its tunnel carries the
#      download on.
#
# Exit 0 pass, 1 fail, 77 skip (not root, a tool or both kernel paths missing).
set -euo pipefail
trap 'echo "FAIL: test_tunnel_kernel.sh line $LINENO: $BASH_COMMAND" >&2' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_tunnel_kernel "network namespaces, seg6 or BPF, nftables" ip tc tcpdump tshark \
	curl nginx named radvd python3 nft
. "$HERE/lib/kernelpath.sh"
if ! kernel_backends; then
	echo "SKIP: test_tunnel_kernel: no kernel tunnel backend runs here: $KERNEL_BACKENDS_WHY"
	exit 77
fi
KBES=$KERNEL_BACKENDS
echo "# kernel backends this kernel runs: $KBES${KERNEL_BACKENDS_WHY:+ (not $KERNEL_BACKENDS_WHY)}"

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-64}
# the UDP lease of section 2 must outlive its quiet holder's checks
export ODM_UDP_INACTIVITY=${ODM_UDP_INACTIVITY:-30}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"

no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
no_binding() { [[ $(odm_binding_count) -eq 0 ]]; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

# outer_fields PCAP - the outer header fields of each tunnelled packet in
# PCAP, read once for the two below: source, destination, next header,
# routing header type, hop limit (tab-separated, the first of each)
outer_fields() {
	tshark -r "$1" -T fields -E occurrence=f -e ipv6.src -e ipv6.dst -e ipv6.nxt \
		-e ipv6.routing.type -e ipv6.hlim 2>/dev/null
}
# the outer headers of the tunnelled packets in FIELDS (outer_fields), one
# line per distinct combination of source, destination, next header and
# routing header type (none: no routing header anywhere, so no SRH; 43: a
# routing header, as seg6 would put with an SRH)
outer_headers() {
	awk -F'\t' '{ print $1, $2, "nh=" $3, "rh=" ($4 == "" ? "none" : $4) }' "$1" | sort -u
}
# the outer hop limits seen in FIELDS, per direction (printed, not compared:
# seg6 copies the inner packet's hop limit to the outer header, RFC 8986
# §5.1, while the userspace backend's raw socket starts at 64)
outer_hlims() {
	awk -F'\t' '{ print $1 "\t" $5 }' "$1" | sort | uniq -c |
		awk '{ printf "%s from %s: hop limit %s\n", $1, $2, $3 }'
}

# leftover STATE of a kernel backend on HOST: device, nft tables, rules,
# seg6 routes, tc filters of ours, clsact qdiscs (the network has none of
# its own: each is one the bpf backend made)
kernel_leftovers() {
	local h=$1 dev=$2 ifs i
	nsq "$h" ip link show "$dev" 2>/dev/null | head -n 1 || true
	nsq "$h" nft list tables 2>/dev/null | grep odm_ || true
	nsq "$h" ip -6 rule show | grep -e ipproto -e '^1:' || true
	nsq "$h" ip -6 route show table all | grep -e seg6 || true
	ifs=$(nsq "$h" ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
	for i in $ifs; do
		nsq "$h" tc filter show dev "$i" ingress 2>/dev/null | grep -e odm_ || true
	done
	nsq "$h" tc qdisc show 2>/dev/null | grep -e clsact || true
}

# the bpf backend's filters on HOST (any interface's ingress, DEV's egress)
bpf_filters() {
	local h=$1 dev=$2 ifs i
	ifs=$(nsq "$h" ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
	for i in $ifs; do
		nsq "$h" tc filter show dev "$i" ingress 2>/dev/null | grep -e odm_ || true
	done
	nsq "$h" tc filter show dev "$dev" egress 2>/dev/null | grep -e odm_ || true
}

topo_up

# IPv6-in-IPv6 to the anchor from OUTER_SRC, inner CHoA -> cn, the outer
# header by the kernel (as the userspace backend sends), one per TEXT, in
# order, with those traffic classes (tests/net/lib/tunsend.py)
inject() { # HOST OUTER_SRC TEXT [OUTER_TC INNER_TC [TEXT OUTER_TC INNER_TC]...]
	nsq "$1" /usr/bin/python3 "$HERE/lib/tunsend.py" ip6ip6 "$2" "$CHA_ADDR" "$CHOA" "$CN_ADDR" "${@:3}"
}
for KBE in $KBES; do
	# ---------------------------------------------------------------- 1. wire
	for be in user $KBE; do
		ODM_TUNNEL=$be odm_agents_up
		check "$be: both agents run the $be backend" \
			test "$(odm_tunnel_backend mn)/$(odm_tunnel_backend cha)" = \
			"$([[ $be == user ]] && echo userspace/userspace || echo "$be/$be")"
		WHY=$(odm_status mn | json 'j["tunnel"]["why"]')
		check "$be: the status says why ($WHY)" test "$WHY" = "configured (tunnel $be)"
		odm_capture core ar1 "$ODM_DIR/wire-$be.pcap" 'ip6 proto 41 or ip6 proto 43' 200
		CAP=$ODM_CAP_PID
		odm_download "wire-$be" 20m
		check "$be: a lease for curl" wait_for 10 odm_has_lease
		CHOA=$(odm_status mn | json 'j["leases"][0]["addr"]')
		check "$be: 8 MiB through the tunnel" wait_for 20 odm_got_mb "$OUT" 8
		odm_download_ok "$be"
		check "$be: the lease ends after curl" wait_for 5 no_lease
		odm_capture_stop "$CAP"
		outer_fields "$ODM_DIR/wire-$be.pcap" >"$ODM_DIR/wire-$be.fields"
		outer_headers "$ODM_DIR/wire-$be.fields" >"$ODM_DIR/wire-$be.txt"
		echo "$be backend, outer headers on core (source destination next-header routing-header):"
		sed 's/^/    /' "$ODM_DIR/wire-$be.txt"
		outer_hlims "$ODM_DIR/wire-$be.fields" | sed 's/^/    /' 
		odm_agents_down
	done
	check "the userspace backend's tunnel was captured both ways" \
		test "$(wc -l <"$ODM_DIR/wire-user.txt")" -ge 2
	check "the userspace backend's outer headers are IPv6-in-IPv6 without a routing header" \
		bash -c "! grep -qv 'nh=41 rh=none' '$ODM_DIR/wire-user.txt'"
	check "$KBE: the two backends' outer headers are identical (nh 41, no SRH, same addresses)" \
		diff -u "$ODM_DIR/wire-user.txt" "$ODM_DIR/wire-$KBE.txt"

	# ---------------------------------------------------------------- 4. clean stop (of section 1)
	check "$KBE: mn: the backend left nothing after a clean stop" \
		test -z "$(kernel_leftovers mn "$ODM_TUN_MN")"
	check "$KBE: cha: the backend left nothing after a clean stop" \
		test -z "$(kernel_leftovers cha "$ODM_TUN_CHA")"
	check "$KBE: mn: the rule to the local table is back at priority 0" local_rule_at_0 mn
	check "$KBE: cha: the rule to the local table is back at priority 0" local_rule_at_0 cha

	# ---------------------------------------------------------------- 2. spoofing
	ODM_TUNNEL=$KBE odm_agents_up
	: >"$ODM_DIR/udp-sink.log" # (topo_spawn appends: the last backend's lines go)
	odm_udp_sink 7777
	SINK=$TOPO_SPAWNED_PID
	# a client that holds a CHoA (one datagram, then quiet) for the section
	# (killed at its end; 120 s so that the lease outlives the injections
	# on a loaded machine, scapy taking seconds each)
	odm_udp_holder 7777 120
	HOLDER=$ODM_UDP_HOLDER
	got() { grep -q "^$1 " "$ODM_DIR/udp-sink.log"; }
	check "$KBE: the lease holder's datagram reaches cn through the kernel tunnel" wait_for 10 got hello
	CHOA=$(odm_status mn | json 'j["leases"][0]["addr"]')
	COA=$(topo_mn_addr)
	DROPPED0=$(odm_status cha | json 'j["tunnel"]["dropped"]')
	inject core "$CORE_CHA" spoofed
	inject mn "$COA" genuine
	check "a packet from the CoA $COA with the CHoA inside reaches cn" wait_for 5 got genuine
	sleep 0.3
	check "the same packet from another outer source ($CORE_CHA) does not" bash -c "! grep -q '^spoofed ' '$ODM_DIR/udp-sink.log'"
	odm_ctl cha status >/dev/null # the counters are read at most every 100 ms
	sleep 0.2
	DROPPED1=$(odm_status cha | json 'j["tunnel"]["dropped"]')
	check "the anchor counted the spoofed packet as dropped ($DROPPED0 -> $DROPPED1)" \
		test "$DROPPED1" -gt "$DROPPED0"
	# RFC 6040 section 4.2: a congestion mark a router put on the outer
	# header reaches the inner packet; marked, one that is not ECN-capable
	# is dropped. Not the kernel backend's to do: seg6 decapsulation leaves
	# the inner header as it is.
	if [[ $KBE == bpf ]]; then
		# (ce-notect first: its absence means something once ce-ect0 came)
		inject mn "$COA" ce-notect 3 0 ce-ect0 3 2
		check "$KBE: an outer CE mark reaches the inner ECT(0) packet as CE" \
			wait_for 5 grep -q '^ce-ect0 ecn=3 ' "$ODM_DIR/udp-sink.log"
		check "$KBE: a CE-marked packet whose inner header is Not-ECT is dropped (ce-ect0, sent after it, came)" \
			bash -c "grep -q '^ce-ect0 ' '$ODM_DIR/udp-sink.log' && ! grep -q '^ce-notect ' '$ODM_DIR/udp-sink.log'"
	fi

	# ---------------------------------------------------------------- 2b. a refresh
	# A Binding Refresh Request makes the host refresh at once. The binding is
	# as it was: neither agent may touch a route or an nftables element for it
	# (a route replace and an nftables transaction per refresh held an anchor
	# to 9 000 refreshes a second, make bench).
	MONS=()
	for h in mn cha; do
		topo_spawn "$h" "monitor-$h" "$ODM_DIR/refresh-$h.log" ip -6 monitor route
		MONS+=("$TOPO_SPAWNED_PID")
		: >"$ODM_DIR/refresh-nft-$h.log"
		if [[ $KBE == kernel ]]; then # the bpf backend keeps no nftables
			topo_spawn "$h" "nft-monitor-$h" "$ODM_DIR/refresh-nft-$h.log" nft monitor
			MONS+=("$TOPO_SPAWNED_PID")
		fi
	done
	sleep 0.3 # the monitors are listening
	SEQ0=$(odm_binding_seq)
	odm_brr_bg
	check "refresh: a Binding Refresh Request makes the host refresh its binding" wait_for 3 odm_seq_moved "$SEQ0"
	sleep 0.3 # anything the refresh did is in the monitors' logs
	kill "$ODM_BRR_PID" 2>/dev/null || true
	wait "$ODM_BRR_PID" 2>/dev/null || true
	for pid in "${MONS[@]}"; do topo_kill "$pid"; done
	# ip monitor, as it starts, asks the kernel the id of every named
	# namespace of the machine: one that a test beside this one removes
	# meanwhile draws a line of its own, not an event ("Error: Peer netns
	# reference is invalid."). Those lines are left out; every other is
	# an event.
	for h in mn cha; do
		grep -v '^Error: Peer netns reference is invalid\.$' "$ODM_DIR/refresh-$h.log" \
			>"$ODM_DIR/refresh-$h.events" || true
		mv "$ODM_DIR/refresh-$h.events" "$ODM_DIR/refresh-$h.log"
	done
	echo "refresh: binding seq $SEQ0 -> $(odm_binding_seq); route events mn $(wc -l <"$ODM_DIR/refresh-mn.log")," \
		"cha $(wc -l <"$ODM_DIR/refresh-cha.log"); nftables events mn $(wc -l <"$ODM_DIR/refresh-nft-mn.log")," \
		"cha $(wc -l <"$ODM_DIR/refresh-nft-cha.log")"
	for h in mn cha; do
		check "refresh: $h's agent touched no route ($(head -c 200 "$ODM_DIR/refresh-$h.log"))" \
			test ! -s "$ODM_DIR/refresh-$h.log"
		check "refresh: $h's agent touched no nftables element ($(head -c 200 "$ODM_DIR/refresh-nft-$h.log"))" \
			test ! -s "$ODM_DIR/refresh-nft-$h.log"
	done
	inject mn "$COA" after-refresh
	check "refresh: the binding still carries the host's packets to cn" wait_for 5 got after-refresh

	kill "$HOLDER" 2>/dev/null || true
	wait "$HOLDER" 2>/dev/null || true
	check "the holder's lease ends" wait_for 8 no_lease

	# ---------------------------------------------------------------- 3. kill -9 of the host agent
	odm_download kill9 10m
	check "kill -9: a lease for curl" wait_for 10 odm_has_lease
	check "kill -9: 8 MiB through the tunnel" wait_for 20 odm_got_mb "$OUT" 8
	odm_agent_kill9 mn
	S0=$(size_of "$OUT")
	sleep 1.5
	S1=$(size_of "$OUT")
	echo "while the host agent was dead: $(((S1 - S0) / 1024)) KiB in 1.5 s"
	check "the download goes on while the host agent is dead ($S0 -> $S1 bytes)" \
		test "$S1" -gt $((S0 + 4 * 1024 * 1024))
	TAKEN0=$(grep -c "taken over" "$MN_AGENT_LOG" || true)
	odm_agent_start mn
	check "the restarted agent takes the lease over" \
		test "$(grep -c "taken over" "$MN_AGENT_LOG" || true)" -gt "$TAKEN0"
	check "$KBE: it runs that backend again" test "$(odm_tunnel_backend mn)" = "$KBE"
	odm_download_ok "kill -9"
	check "the lease ends after curl" wait_for 5 no_lease
	check "the anchor's binding is gone" wait_for 5 no_binding
	odm_agents_down
	check "$KBE: mn: nothing left after the restarted agent stopped" \
		test -z "$(kernel_leftovers mn "$ODM_TUN_MN")"
	topo_kill "$SINK"

	# ------------------------------------------------------------ 5. bpf, then another backend
	# Both agents killed with their programs in place, then started on the
	# userspace backend on the same devices (the configuration changed
	# after a crash): the filters must go, or the old egress program would
	# take the packets routed into the device before the agent reads them.
	[[ $KBE == bpf ]] || continue
	ODM_TUNNEL=bpf odm_agents_up
	# paced to last 16 s: the killed agents' programs go on carrying it,
	# and at 40 MB/s a loaded machine's two restarts outlasted the file
	# (it had ended before the check that it grows)
	odm_download sweep 4m 40
	check "sweep: 2 MiB through the bpf tunnel" wait_for 20 odm_got_mb "$OUT" 2
	odm_agent_kill9 mn
	odm_agent_kill9 cha
	check "sweep: the killed agents' filters are in place" test -n "$(bpf_filters mn "$ODM_TUN_MN")"
	sed -i 's/^tunnel bpf$/tunnel user/' "$ODM_DIR/mn.conf" "$ODM_DIR/cha.conf"
	odm_agent_start cha
	odm_agent_start mn
	check "sweep: both agents run the userspace backend now" \
		test "$(odm_tunnel_backend mn)/$(odm_tunnel_backend cha)" = userspace/userspace
	check "sweep: no bpf filter is left on mn" test -z "$(bpf_filters mn "$ODM_TUN_MN")"
	check "sweep: no bpf filter is left on cha" test -z "$(bpf_filters cha "$ODM_TUN_CHA")"
	S0=$(size_of "$OUT")
	user_tx() { (($(odm_status mn | json 'j["tunnel"]["tx"]') > 0)); }
	check "sweep: the download goes on through the userspace tunnel" wait_for 5 user_tx
	sleep 1
	check "sweep: and grows ($S0 -> $(size_of "$OUT") bytes)" test "$(size_of "$OUT")" -gt "$S0"
	kill "$CURL_PID" 2>/dev/null || true
	wait "$CURL_PID" 2>/dev/null || true
	odm_agents_down
done

check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_tunnel_kernel
