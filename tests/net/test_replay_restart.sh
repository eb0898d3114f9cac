#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_replay_restart.sh - on a kernel tunnel backend (the one "tunnel auto"
# takes here: kernel, seg6; or bpf, tc programs) the anchor's capture
# (odmagent/replaycap.h) belongs to the anchor process, not to the data
# path: cn sends a UDP stream (500 datagrams/s, lib/udpstream.py) to a
# Session-lasting address of mn through the CHA, the anchor is killed with
# kill -9 and started again while it flows, then mn moves. Checks: the
# datagrams sent while the anchor was dead arrived (the kernel forwards
# without it), the anchor started again restored the binding and replayed
# the move's outage from its new capture, with at most the datagrams sent
# during the outage + 10 % and the replay's stated margin in duplicates.
# The restart is hitless: the anchor started again adopts the device,
# routes and nftables table the killed one left, or (bpf) lets the killed
# one's programs run until it restored its bindings (odmagent(8)), so not one
# datagram sent from the kill until the binding is restored is lost; a
# binding the earlier run had and the state file has not (a route, and on
# the kernel backend nftables elements, put in place before the kill) is gone after the
# restart. Then a paced download across a second kill -9 and restart of
# the anchor completes with the right sha256; last, an anchor killed with
# a live binding and started again without its state (and no host to bind
# again) removes everything the killed run left, and so does the host
# agent, started again without its state (the lease's address and rule).
#
#    cn --- core --- cha (odmagent anchor, kernel backend: killed, restarted)
#             |
#           ar1/ar2 --- mn (udpstream receiver under the shim; moves)
#
# Exit 0 pass, 1 fail, 77 skip (not root, a tool missing, or no kernel backend).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_replay_restart "network namespaces, seg6, packet sockets" ip tcpdump named radvd \
	python3 nft curl nginx
. "$HERE/lib/kernelpath.sh"
if ! kernel_backends; then
	echo "SKIP: test_replay_restart: no kernel tunnel backend runs here: $KERNEL_BACKENDS_WHY"
	exit 77
fi
# ODM_TUNNEL's if it names one the kernel runs (make net-kernel runs each),
# else the one "tunnel auto" takes
KBE=${KERNEL_BACKENDS%% *}
[[ " $KERNEL_BACKENDS " == *" ${ODM_TUNNEL:-} "* ]] && KBE=$ODM_TUNNEL
echo "# kernel backend: $KBE"
export ODM_TUNNEL=$KBE TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-24}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/replay.sh"
. "$HERE/lib/download.sh"
trap 'check_on_err test_replay_restart' ERR

mono_ns() { /usr/bin/python3 -c 'import time; print(time.monotonic_ns())'; }
# a binding of the anchor's data path that its state file does not have
# (one removed from it, or expired while the anchor was down): a route
# (seg6 on the kernel backend, into the device on the bpf one) and, on the
# kernel backend, nftables elements for an address of the pool, to a
# care-of address nobody has
STALE_HOA=2001:db8:c4a::dead STALE_COA=2001:db8:ffff::1
STALE_KEY=0x20010db80c4a0000000000000000dead
NFT_TABLE=odm_$ODM_TUN_CHA
# the route to HOA/128 an anchor's binding has on $KBE (the output read
# first: grep -q and pipefail race)
binding_route() {
	local r
	r=$(nsq cha ip -6 route show "$1/128")
	if [[ $KBE == kernel ]]; then grep -q seg6 <<<"$r"; else grep -q "dev $ODM_TUN_CHA" <<<"$r"; fi
}
stale_route() { binding_route "$STALE_HOA"; }
stale_elems() { nsq cha nft list table ip6 "$NFT_TABLE" | grep -e "$STALE_COA" -e "$STALE_HOA"; }
no_stale_route() { ! stale_route; }
no_stale_elems() { ! stale_elems; }
restored_route() { binding_route "$1"; }
plant_stale() {
	if [[ $KBE == bpf ]]; then # its binding element would need bpftool
		nsx cha ip -6 route add "$STALE_HOA/128" dev "$ODM_TUN_CHA" proto static
		return
	fi
	nsx cha ip -6 route add "$STALE_HOA/128" encap seg6 mode encap.red segs "$STALE_COA" \
		dev "$ODM_TUN_CHA" proto static
	nsx cha nft add element ip6 "$NFT_TABLE" peers "{ $CHA_ADDR . $STALE_COA . $STALE_KEY }"
	nsx cha nft add element ip6 "$NFT_TABLE" txk "{ $STALE_HOA }"
}
# the hook of replay_stream_move: once the anchor saved the new binding
# (within 50 ms, anchor.h), it dies; the stream goes on without it for
# 400 ms; the anchor comes back and restores the binding. Every datagram
# cn sends from the kill until the binding is restored must arrive.
crash_anchor() {
	sleep 0.3
	plant_stale
	check "the stale binding's route is in place before the kill" stale_route
	[[ $KBE == kernel ]] &&
		check "the stale binding's nftables elements are in place before the kill" stale_elems
	DEAD_FROM=$(mono_ns)
	odm_agent_kill9 cha
	sleep 0.4
	DEAD_TO=$(mono_ns)
	odm_agent_start cha
	RESTORED=0
	wait_for 5 at_least 1 odm_binding_count && RESTORED=1
	RESTORED_AT=$(mono_ns)
	# (bpf: a pooled binding is a map element behind the pool's route; the
	# traffic checks below show it restored)
	[[ $KBE == bpf ]] || check "the restored binding's route is in place" \
		restored_route "$(odm_status cha | json 'j["bindings"][0]["hoa"]')"
	check "the stale binding's route is gone after the restart" no_stale_route
	[[ $KBE == kernel ]] &&
		check "the stale binding's nftables elements are gone after the restart" no_stale_elems
	return 0
}

topo_up
odm_agents_up
check "the anchor runs the $KBE tunnel backend" test "$(odm_tunnel_backend cha)" = "$KBE"

REPLAY_HOOK=crash_anchor replay_stream_move ar2 500 5
check "the stream went on after the move" test "$REPLAY_RESUMED" -eq 1

# sent LO HI: how many datagrams cn sent between the monotonic times LO
# and HI (ns), and how many of those arrived
sent_got() {
	/usr/bin/python3 - "$ODM_DIR/udpstream.txt" "$1" "$2" <<'PY'
import sys
rows = [tuple(int(x) for x in l.split()) for l in open(sys.argv[1]) if l.strip()]
lo, hi = int(sys.argv[2]), int(sys.argv[3])
got = {seq for seq, sent, _ in rows if lo <= sent <= hi}
# the sequence numbers cn sent in that time: between the last one before
# it and the first one after it that arrived
before = max((seq for seq, sent, _ in rows if sent < lo), default=-1)
after = min((seq for seq, sent, _ in rows if sent > hi), default=before + 1)
print(after - before - 1, len(got))
PY
}
read -r DEAD_SENT DEAD_GOT < <(sent_got "$DEAD_FROM" "$DEAD_TO")
echo "while the anchor was dead ($(((DEAD_TO - DEAD_FROM) / 1000000)) ms): cn sent $DEAD_SENT, mn got $DEAD_GOT"
check "the kernel forwarded without the anchor ($DEAD_GOT of $DEAD_SENT datagrams)" \
	test "$DEAD_SENT" -ge 100 -a "$DEAD_GOT" -eq "$DEAD_SENT"
check "the anchor started again restored the binding" test "$RESTORED" -eq 1
# from the kill until the binding was restored: the restart itself
read -r RST_SENT RST_GOT < <(sent_got "$DEAD_FROM" "$RESTORED_AT")
echo "from the kill until the binding was restored ($(((RESTORED_AT - DEAD_FROM) / 1000000)) ms):" \
	"cn sent $RST_SENT, mn got $RST_GOT"
check "the anchor's restart lost no datagram ($RST_GOT of $RST_SENT)" \
	test "$RST_SENT" -gt "$DEAD_SENT" -a "$RST_GOT" -eq "$RST_SENT"
REPLAYED=$(grep 'replayed .* packets' "$CHA_AGENT_LOG" | tail -n 1 || true)
echo "anchor: ${REPLAYED#*info: }"
N_REPLAYED=$(sed -n 's/.*replayed \([0-9]*\) of .*kernel path.*/\1/p' <<<"$REPLAYED")
check "the anchor started again replayed the outage from its capture (${N_REPLAYED:-no} packets)" \
	test "${N_REPLAYED:-0}" -ge 1
# the bound of test_replay: the outage's datagrams + 10 %, and those of the
# replay's stated margin before it (REPLAY_MARGIN_MS in replay.h)
MARGIN_MS=$(sed -n 's/^#define REPLAY_MARGIN_MS \([0-9]*\).*/\1/p' "$ODM_REPO/odmagent/replay.h")
MARGIN_SENT=$(((500 * MARGIN_MS + 999) / 1000))
BOUND=$(((REPLAY_OUTAGE_SENT * 11 + 9) / 10 + MARGIN_SENT))
check "duplicates $REPLAY_DUPS <= datagrams sent during the outage + 10 % + $MARGIN_SENT of the $MARGIN_MS ms margin ($BOUND)" \
	test "$REPLAY_DUPS" -le "$BOUND"
# The loss of the move itself is test_replay's to bound.
echo "lost: $REPLAY_LOST of $REPLAY_SENT (the move's: the restart's is checked above)"

# a paced download across another kill -9 and restart of the anchor
odm_download across 8m 40
check "download: 4 MiB through the tunnel" wait_for 20 odm_got_mb "$OUT" 4
odm_agent_kill9 cha
sleep 0.3
odm_agent_start cha
check "download: the anchor started again restored the binding" \
	wait_for 5 at_least 1 odm_binding_count
odm_download_ok "download across the anchor's restart"

# an anchor killed with a live binding and started again without its state
# (the host agent dead too, so nothing binds again): what the killed run
# left goes, the rule to the local table back at priority 0 with it
cha_leftovers() {
	nsq cha ip -6 route show table all | grep seg6 || true
	nsq cha ip -6 rule show | grep ipproto || true
	nsq cha nft list set ip6 "$NFT_TABLE" peers | grep elements || true
}
odm_download orphan 1m 40
check "orphan: a binding at the anchor" wait_for 10 at_least 1 odm_binding_count
[[ $KBE == bpf ]] || check "orphan: the anchor tunnels it" test -n "$(cha_leftovers)"
ORPHAN=$(odm_lease_addr)
odm_agent_kill9 mn
odm_agent_kill9 cha
rm -f "$CHA_STATE_DIR"/*
odm_agent_start cha
check "orphan: the anchor started without state has no binding" test "$(odm_binding_count)" -eq 0
if [[ $KBE == bpf ]]; then
	# its binding was a map element of the killed run's programs, replaced
	# at the start: the orphan's packets are dropped and counted now (a
	# ping from cn to its address, as curl's own may have stopped coming)
	cha_dropped() { odm_status cha | json 'j["tunnel"]["dropped"]'; }
	dropping() {
		nsq cn ping -6 -c 1 -W 1 "$ORPHAN" >/dev/null 2>&1 || true
		(($(cha_dropped) > 0))
	}
	check "orphan: the anchor drops the killed run's binding's packets" wait_for 5 dropping
else
	LEFT=$(cha_leftovers)
	echo "left on cha: ${LEFT:-nothing}"
	check "orphan: nothing of the killed run is left (no seg6 route, no decapsulation rule, no peer)" \
		test -z "$LEFT"
fi
check "orphan: the rule to the local table is back at priority 0" local_rule_at_0 cha
# the host agent too, started without its state: the killed run's lease
# address, which a kernel backend's device keeps, goes with its rule
on_dev() { grep -q " $ORPHAN/128 " <<<"$(nsq mn ip -6 addr show dev "$ODM_TUN_MN" 2>/dev/null)"; }
on_dev && echo "the killed host agent left $ORPHAN on $ODM_TUN_MN" ||
	echo "the killed host agent's device took $ORPHAN with it"
rm -f "$MN_STATE_DIR"/*
odm_agent_start mn
check "orphan: the host agent started without state removed $ORPHAN from $ODM_TUN_MN" \
	bash -c "! ip netns exec $NS_MN ip -6 addr show dev $ODM_TUN_MN | grep -q ' $ORPHAN/128 '"
check "orphan: and its rule" bash -c "! ip netns exec $NS_MN ip -6 rule show | grep -q 'from $ORPHAN '"
kill "$CURL_PID" 2>/dev/null || true
wait "$CURL_PID" 2>/dev/null || true
check "no sanitizer report in the agents' logs" odm_agent_logs_clean
check_summary test_replay_restart
