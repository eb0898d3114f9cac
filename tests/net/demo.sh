#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/net/demo.sh - `make demo`: a real host moves between two networks
# while an unmodified curl downloads a file through a Session-lasting
# address from a Corresponding Home Agent; the download survives the move.
# Then the four address types side by side across one more move: one
# download of each at once (lib/fourtypes.sh), and a table of each one's
# address, the anchor it came from, its stall and whether it survived.
# Everything happens in network namespaces made for the run and removed
# afterwards. Needs root.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
if ((EUID != 0)); then
	echo "demo: needs root (it builds network namespaces); try: sudo make demo" >&2
	exit 1
fi
# 64 MiB paced at 20 MB/s: long enough to move during the download, short enough to
# read the captures quickly
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-64}
# the backend an installed agent takes by default (odmagent.conf(5) "tunnel
# auto": a kernel data path where the kernel has one), not the tests' own
export ODM_TUNNEL=${ODM_TUNNEL:-auto}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/check.sh"
. "$HERE/lib/fourtypes.sh"

say() { printf '%-9s %s\n' "[$1]" "$2"; }
# mh_lines PCAP FROM_EPOCH_S - the BUs to and BAs from cha in PCAP after FROM,
# one line each
mh_lines() {
	tshark -r "$1" -Y "mipv6 && ipv6.addr == $CHA_ADDR" -T fields -e frame.time_epoch -e mip6.mhtype -e mip6.bu.seqnr \
		-e mip6.ba.seqnr -e mip6.bu.lifetime -e mip6.ba.lifetime -e mip6.ba.status \
		-e mip6.nemo.mnp.mnp -e mip6.acoa.acoa 2>/dev/null |
		awk -F'\t' -v from="$2" '$1 >= from {
			if ($2 == 5) printf "BU  mn->cha  seq %s  lifetime %s s  HNP %s/128%s  CoA %s\n", $3, $5 * 4, $8, ($8 == "::" ? " (allocate)" : ""), $9;
			else if ($2 == 6) printf "BA  cha->mn  seq %s  status %s%s  lifetime %s s  HNP %s/128\n", $4, $7, ($7 == 0 ? " (accepted)" : ""), $6 * 4, $8;
		}'
}
now_s() { date +%s.%N; }

echo "== ODM demo: a live download survives a move of its host =="
UPLOG=$(mktemp "${TMPDIR:-/tmp}/odm-demo-up.XXXXXX")
topo_up >"$UPLOG" 2>&1 || { cat "$UPLOG"; rm -f "$UPLOG"; exit 1; }
rm -f "$UPLOG"
say net "9 namespaces, radvd, BIND9, nginx up in ${TOPO_UP_MS} ms; mn on ar1, CoA $(topo_mn_addr)"
ft_conf
ft_anchors_up
odm_agents_up
BACKEND=$(odm_status mn | json 'j.get("tunnel", {}).get("backend", "?")')
say agents "anchor (mode cha) on cha $CHA_ADDR with pool $CHA_POOL; host agent on mn, tunnel backend $BACKEND"
odm_capture mn any "$ODM_DIR/mh.pcap" 'ip6 proto 135'
CAP=$ODM_CAP_PID
# what passes the tunnel, on either backend (a kernel one's packets never
# pass the tunnel device's taps)
odm_capture_tunnel "$ODM_DIR/inner.pcap" "tcp src port $HTTP_PORT" 128
CAP_IN=$ODM_CAP_PID

CHA_NAME=$(nsq mn dig +short AAAA cha.cn.example.test | head -1)
say dns "cn.example.test has a Corresponding Home Agent: cha.cn.example.test -> $CHA_NAME"
MB=$(($(stat -c %s "$BIGFILE") / 1048576))
say app "curl (unmodified) under libodm.so, type session-lasting, fetches $MB MiB from cn.example.test"
T_START=$(now_s)
OUT=$ODM_DIR/download.bin
odm_shim_bg curl -6 -sS --max-time 120 -o "$OUT" "http://cn.example.test${BIGFILE_URL_PATH}?rate=20m" \
	>"$ODM_DIR/curl.log" 2>&1
CURL=$ODM_BG_PID
cha_lease() { odm_status mn | json "' '.join(l['addr'] for l in j['leases'] if l['anchor'] == '$CHA_ADDR')"; }
has_lease() { [[ -n $(cha_lease) ]]; }
wait_for 10 has_lease || { say error "no lease appeared; agent log:"; tail "$MN_AGENT_LOG"; exit 1; }
CHOA=$(cha_lease)
sleep 0.2
mh_lines "$ODM_DIR/mh.pcap" "$T_START" | while IFS= read -r l; do say signal "$l"; done
say data "curl's socket is bound to the CHoA $CHOA; cn sees that address as its client"
half() { [[ -f $OUT ]] && (($(stat -c %s "$OUT") > $(stat -c %s "$BIGFILE") / 4)); }
wait_for 20 half || true
say data "$(($(stat -c %s "$OUT") / 1048576)) MiB received through the tunnel cha <-> $(topo_mn_addr)"

T_MOVE=$(now_s)
topo_move ar2 >/dev/null
say move "eth1 (ar1) down, eth2 (ar2) up: new CoA $(topo_mn_addr) usable after ${TOPO_MOVE_MS} ms"
sleep 0.5
mh_lines "$ODM_DIR/mh.pcap" "$T_MOVE" | while IFS= read -r l; do say signal "$l"; done
say data "cha re-sent $(odm_status cha | json 'j["tunnel"]["replayed"]') packets that had gone toward the old CoA during the outage"
# the gap is long over 2 s after the move: the capture of the data stops
# then (less to decode)
sleep "$(awk -v m="$T_MOVE" -v n="$(now_s)" 'BEGIN { d = m + 2 - n; print (d > 0 ? d : 0) }')"
odm_capture_stop "$CAP_IN"
T_SHOWN=$(now_s)
rc=0
wait "$CURL" || rc=$?
T_END=$(now_s)
if ((rc != 0)); then
	say error "curl failed (rc $rc): $(cat "$ODM_DIR/curl.log")"
	exit 1
fi
SUM=$(topo_sha256 "$OUT")
STALL=$(odm_stall_ms "$ODM_DIR/inner.pcap" "$TOPO_MOVE_T0")
# nginx's limit_rate sends in bursts: the longest gap in the second before
# the move is what the pacing alone leaves (the paced downloads of step 5
# have 10 ms slots, and show the stall itself)
BASE=$(tshark -r "$ODM_DIR/inner.pcap" -T fields -e frame.time_epoch -Y 'tcp.len > 0' 2>/dev/null |
	awk -v m="$TOPO_MOVE_T0" '$1 * 1e9 < m - 50e6' | odm_stall_of_times "$((TOPO_MOVE_T0 - 1000000000))")
say data "download done in $(awk -v a="$T_START" -v b="$T_END" 'BEGIN { printf "%.1f", b - a }') s; no data for ${STALL} ms across the move (nginx's pacing alone left gaps of up to ${BASE} ms in the second before it)"
if [[ $SUM == "$BIGFILE_SHA256" ]]; then
	say check "sha256 $SUM matches the file on cn"
else
	say check "sha256 MISMATCH: got $SUM, want $BIGFILE_SHA256"
	exit 1
fi
gone() { [[ $(odm_binding_count) -eq 0 ]]; }
wait_for 5 gone || true
sleep 0.2
# (the deregistration goes out as curl closes its socket, a moment before
# the shell sees it exit: show what came after the move's lines)
mh_lines "$ODM_DIR/mh.pcap" "$T_SHOWN" | while IFS= read -r l; do say signal "$l"; done
odm_capture_stop "$CAP"
if gone; then
	say end "curl exited, no socket uses $CHOA any more: deregistered, the address is back in cha's pool"
else
	say end "the binding is still at the anchor (unexpected)"
	exit 1
fi

echo "== the four address types side by side, across one move back to ar1 =="
fixed_held() { [[ -n $(odm_status mn | json "' '.join(l['addr'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')") ]]; }
wait_for 8 fixed_held || { say error "no Fixed address from ha; agent log:"; tail "$MN_AGENT_LOG"; exit 1; }
say agents "odmagent as home anchor on ha (pool $HA_POOL), as access anchor on ar1 and ar2 (grace period $FT_GRACE s)"
say app "four downloads of $((FT_FILE_KB / 1024)) MiB at once, each a chunk of $FT_CHUNK bytes every $FT_EVERY ms:"
say app "  Fixed: cn fetches from a server on mn at mn's Fixed address"
say app "  Session-lasting: curl on mn from cn.example.test (cha.cn names the CHA) and from cn2 (no cha. record)"
say app "  Graceful-replacement: curl on mn with ODM_TYPE=graceful-replacement, from cn2"
ft_run ar1 >"$ODM_DIR/fourtypes-move.log"
say move "eth2 (ar2) down, eth1 (ar1) up: new CoA $(topo_mn_addr) usable after ${TOPO_MOVE_MS} ms"
say signal "BUs to $FT_BU_SEEN left within $FT_BU_SPREAD ms of each other; the last BA came $FT_LAST_BA ms after the old link went down"
# anchor_of ADDRESS - the anchor's host and mode
anchor_of() {
	local n
	n=$(ft_anchor_name "$1")
	case $n in
	cha) echo "cha (CHA)" ;; ha) echo "ha (home)" ;; ar1 | ar2) echo "$n (access)" ;; *) echo "$n" ;;
	esac
}
printf '\n  %-21s %-8s %-34s %-13s %8s  %s\n' type peer address anchor "stall ms" survived
bad=0
for k in "${FT_KINDS[@]}"; do
	case $k in fixed) peer="cn (in)" ;; sl-cha) peer=cn ;; *) peer=cn2 ;; esac
	if ((FT_RC[$k] == 0 && FT_SHA[$k])) && [[ ${FT_USED[$k]} == "${FT_ADDR[$k]:-}" ]]; then
		ok="yes (sha256 ok)"
	else
		ok="NO (curl rc ${FT_RC[$k]}, sha256 $([[ ${FT_SHA[$k]} == 1 ]] && echo ok || echo wrong), used ${FT_USED[$k]:-none})"
		bad=1
	fi
	printf '  %-21s %-8s %-34s %-13s %8s  %s\n' "${FT_LABEL[$k]}" "$peer" "${FT_ADDR[$k]:-none}" \
		"$(anchor_of "${FT_ANCHOR[$k]:-}")" "${FT_STALL[$k]}" "$ok"
done
echo
say data "stall: the longest gap in the data reaching the downloader across the move; in the second before it"
say data "  gaps of at most $(printf '%s\n' "${FT_PACE[@]}" | sort -n | tail -1) ms, data in at least $(printf '%s\n' "${FT_STEADY[@]}" | sort -n | head -1) % of the 10 ms slots"
((bad == 0)) || { say error "a download did not survive; agent log: $MN_AGENT_LOG"; tail "$MN_AGENT_LOG"; exit 1; }
echo "== every session survived its move; cleaning up =="
