# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # (FT_* results are read by the callers)
# tests/net/lib/fourtypes.sh - one download of each address type on mn at
# once, across one move (tests/net/test_fourtypes.sh, make demo). Source it
# after topo.sh and agents.sh.
#
#   ft_conf            before odm_agents_up: mn's agent names ha as its home
#                      anchor and ar1's and ar2's access anchors
#   ft_anchors_up      (before odm_agents_up too, so that mn finds ha up)
#                      odmagent as home anchor on ha (pool HA_POOL)
#                      and as access anchor on ar1 and ar2 (grace-period
#                      FT_GRACE s); paced servers (lib/pacedhttp.py) on mn,
#                      cn and cn2, and FT_FILE (FT_FILE_KB KiB) to serve
#   ft_run TO          the four downloads, paced at FT_CHUNK bytes every
#                      FT_EVERY ms, started at once; once each has data, mn
#                      moves to TO (topo_move); returns when all are over
#   ft_anchor_name A   which host of the test network anchor address A is
#
# The downloads (FT_KINDS; each on its own server port, so captures tell
# them apart):
#   fixed     cn fetches from mn's server at mn's Fixed address (held at ha)
#   sl-cha    curl on mn under libodm.so, Session-lasting, from cn (whose
#             cha.cn record names the CHA)
#   sl-access the same from cn2 (no cha. record): via the access anchor
#   graceful  the same with ODM_TYPE=graceful-replacement, from cn2
# What ft_run leaves, per kind K: FT_ADDR[K] FT_ANCHOR[K] (mn's lease for it,
# from the agent's status, as the downloads ran), FT_USED[K] (the address
# the connection really used: curl's local address on mn, the one cn
# connected to for fixed), FT_RC[K] (curl's exit status), FT_SHA[K] (1 when
# the sha256 of what arrived is FT_FILE's), FT_STALL[K] (odm_stall_ms of the
# data as it reached the downloader, in ms; -1 when nothing came after the
# move), FT_PACE[K] and FT_STEADY[K] (the longest gap in the same data
# during the second before the move, in ms, and the share of its 10 ms
# slots, in %, that saw data: what that stall figure is worth). Signalling after the move, from a capture on mn: FT_BU_SPREAD (ms
# between the first and the last anchor's first BU), FT_LAST_BA (ms from the
# old link going down to the last anchor's first accepted BA), FT_BU_SEEN
# (the anchors, by name, whose BU and accepted BA were both seen).

FT_KINDS=(fixed sl-cha sl-access graceful)
declare -A FT_PORT=([fixed]=8000 [sl-cha]=8001 [sl-access]=8002 [graceful]=8003)
declare -A FT_LABEL=([fixed]="Fixed" [sl-cha]="Session-lasting" [sl-access]="Session-lasting"
	[graceful]="Graceful-replacement")
declare -A FT_ADDR=() FT_ANCHOR=() FT_USED=() FT_RC=() FT_SHA=() FT_STALL=() FT_PACE=() FT_STEADY=()
FT_GRACE=${FT_GRACE:-20}
FT_FILE_KB=${FT_FILE_KB:-3072}
FT_CHUNK=${FT_CHUNK:-2048} FT_EVERY=${FT_EVERY:-2}
FT_BU_SPREAD=-1 FT_LAST_BA=-1 FT_BU_SEEN=''

ft_conf() {
	odm_mn_access_conf ar1 ar2
	ODM_MN_EXTRA+="home-anchor $HA_ADDR"$'\n'
	export ODM_MN_EXTRA
}

ft_anchors_up() {
	local h port
	odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL"
	odm_anchor_up ar1 "$AR1_ADDR" "mode access" "access-prefix $AR1_PREFIX" "grace-period $FT_GRACE"
	odm_anchor_up ar2 "$AR2_ADDR" "mode access" "access-prefix $AR2_PREFIX" "grace-period $FT_GRACE"
	FT_FILE=$ODM_RUNDIR/www/paced.bin
	head -c "$((FT_FILE_KB * 1024))" /dev/urandom >"$FT_FILE"
	FT_FILE_SHA256=$(topo_sha256 "$FT_FILE")
	for h in mn cn cn2; do mkdir -p "$ODM_RUNDIR/$h"; done
	ft__server mn "${FT_PORT[fixed]}"
	ft__server cn "${FT_PORT[sl-cha]}"
	ft__server cn2 "${FT_PORT[sl-access]}"
	ft__server cn2 "${FT_PORT[graceful]}"
	for port in "${FT_PORT[@]}"; do
		case $port in
		"${FT_PORT[fixed]}") h=mn ;; "${FT_PORT[sl-cha]}") h=cn ;; *) h=cn2 ;;
		esac
		topo_wait_listen "$h" "$port" 10
	done
}
ft__server() {
	topo_spawn "$1" "paced-$2" "$ODM_RUNDIR/$1/paced-$2.log" \
		/usr/bin/python3 "$TOPO_LIB_DIR/pacedhttp.py" "$2" "$ODM_RUNDIR/www" 300
}

ft_anchor_name() {
	case $1 in
	"$CHA_ADDR") echo cha ;;
	"$HA_ADDR") echo ha ;;
	"$AR1_ADDR") echo ar1 ;;
	"$AR2_ADDR") echo ar2 ;;
	*) echo "${1:-none}" ;;
	esac
}

# ft__leases - "kind addr anchor" for each download, from mn's leases: the
# Fixed one, the one at the CHA, and the claim of the access address, which
# both downloads from cn2 use (one claim or one each: the address and the
# anchor are the same)
ft__leases() {
	odm_status mn | /usr/bin/python3 -c '
import json, sys
cha, access = sys.argv[1], sys.argv[2:]
for l in json.load(sys.stdin)["leases"]:
    if l["type"] == "fixed":
        kinds = ["fixed"]
    elif l["anchor"] == cha:
        kinds = ["sl-cha"]
    elif l["anchor"] in access:
        kinds = ["sl-access", "graceful"]
    else:
        continue
    for k in kinds:
        print(k, l["addr"], l["anchor"])' "$CHA_ADDR" "$AR1_ADDR" "$AR2_ADDR"
}
# ft__flowing - 0 once each download has had data for half a second (or has ended: a failed one
# does not hold the others back)
ft__flowing() {
	local k
	for k in "${FT_KINDS[@]}"; do
		kill -0 "${FT_PID[$k]}" 2>/dev/null || continue
		# half a second's worth
		[[ -f $FT_DIR/$k.bin ]] && (($(stat -c %s "$FT_DIR/$k.bin") >= FT_CHUNK * 500 / FT_EVERY)) || return 1
	done
}

ft_run() {
	local to=$1 k url q cap_mn cap_cn kind addr anchor fixed tsv anchors
	FT_DIR=$ODM_DIR/fourtypes
	mkdir -p "$FT_DIR"
	q="?chunk=$FT_CHUNK&every=$FT_EVERY"
	# on mn: the BUs and BAs, and the data of the three downloads made there
	# (inner packets on the tunnel device, native ones on the links; the
	# kernel backend's tunnelled packets are decoded inside by tshark)
	odm_capture mn any "$FT_DIR/mn.pcap" \
		"ip6 proto 135 or ip6 proto 41 or tcp src portrange ${FT_PORT[sl-cha]}-${FT_PORT[graceful]}" 256
	cap_mn=$ODM_CAP_PID
	# on cn: the Fixed download's data, from mn's server
	odm_capture cn eth0 "$FT_DIR/cn.pcap" "tcp src port ${FT_PORT[fixed]}" 128
	cap_cn=$ODM_CAP_PID
	declare -gA FT_PID=()
	fixed=$(odm_status mn | json "' '.join(l['addr'] for l in j['leases'] if l['type'] == 'fixed' and l['state'] == 'registered')")
	nsq cn curl -6 -sS -g --max-time 60 -o "$FT_DIR/fixed.bin" -w '%{remote_ip}' \
		"http://[$fixed]:${FT_PORT[fixed]}/paced.bin$q" >"$FT_DIR/fixed.used" 2>"$FT_DIR/fixed.err" &
	FT_PID[fixed]=$!
	for k in "${FT_KINDS[@]}"; do
		case $k in
		fixed) continue ;;
		sl-cha) url="http://cn.$DNS_ZONE:${FT_PORT[$k]}/paced.bin$q" ;;
		*) url="http://cn2.$DNS_ZONE:${FT_PORT[$k]}/paced.bin$q" ;;
		esac
		odm_shim_bg env ODM_TYPE="$([[ $k == graceful ]] && echo graceful-replacement || echo session-lasting)" \
			curl -6 -sS --max-time 60 -o "$FT_DIR/$k.bin" -w '%{local_ip}' "$url" \
			>"$FT_DIR/$k.used" 2>"$FT_DIR/$k.err"
		FT_PID[$k]=$ODM_BG_PID
	done
	wait_for 10 ft__flowing || topo_log "fourtypes: not every download had data after 10 s"
	while read -r kind addr anchor; do
		FT_ADDR[$kind]=$addr FT_ANCHOR[$kind]=$anchor
	done < <(ft__leases)
	topo_move "$to"
	for k in "${FT_KINDS[@]}"; do
		FT_RC[$k]=0
		wait "${FT_PID[$k]}" || FT_RC[$k]=$?
		FT_USED[$k]=$(cat "$FT_DIR/$k.used" 2>/dev/null || true)
		FT_SHA[$k]=0
		[[ -f $FT_DIR/$k.bin && $(topo_sha256 "$FT_DIR/$k.bin") == "$FT_FILE_SHA256" ]] && FT_SHA[$k]=1
	done
	odm_capture_stop "$cap_mn"
	odm_capture_stop "$cap_cn"
	# each capture read once (tshark is slow), both at once
	ft__fields "$FT_DIR/mn.pcap" >"$FT_DIR/mn.tsv" &
	ft__fields "$FT_DIR/cn.pcap" >"$FT_DIR/cn.tsv"
	wait $!
	for k in "${FT_KINDS[@]}"; do
		tsv=$FT_DIR/mn.tsv
		[[ $k == fixed ]] && tsv=$FT_DIR/cn.tsv
		awk -F'\t' -v p="${FT_PORT[$k]}" '$2 == p && $3 > 0 { print $1 }' "$tsv" >"$FT_DIR/$k.times"
		FT_STALL[$k]=$(odm_stall_of_times "$TOPO_MOVE_T0" <"$FT_DIR/$k.times")
		read -r "FT_PACE[$k]" "FT_STEADY[$k]" < <(ft__pace "$TOPO_MOVE_T0" <"$FT_DIR/$k.times")
	done
	# every anchor one of the leases came from, once
	mapfile -t anchors < <(printf '%s\n' "${FT_ANCHOR[@]}" | sort -u)
	read -r FT_BU_SPREAD FT_LAST_BA FT_BU_SEEN < <(ft__signalling "$FT_DIR/mn.tsv" "$TOPO_MOVE_T0" \
		"${anchors[@]}")
}

# ft__fields PCAP - one line per packet: time (epoch s), TCP source port and
# payload length (of the inner packet when tunnelled), IPv6 source and
# destination, MH type, BA status; tab-separated, empty when absent
ft__fields() {
	tshark -r "$1" -T fields -e frame.time_epoch -e tcp.srcport -e tcp.len -e ipv6.src -e ipv6.dst \
		-e mip6.mhtype -e mip6.ba.status 2>/dev/null
}

# ft__pace T0_NS - how steady the data whose times (epoch s, one a line) are
# on stdin was during the second before T0 (epoch ns): "GAP SHARE", the
# longest gap in ms and the share (%) of the 10 ms slots from its first
# segment in that second to T0 that saw data; "-1 0" without two segments
ft__pace() {
	/usr/bin/python3 -c '
import sys
t0 = int(sys.argv[1]) / 1e9
ts = sorted(float(x) for x in sys.stdin.read().split() if t0 - 1 <= float(x) < t0)
if len(ts) < 2:
    print(-1, 0)
else:
    gap = max(b - a for a, b in zip(ts, ts[1:]))
    slots = {int((t0 - t) * 100) for t in ts}
    print(round(gap * 1000), round(100 * len(slots) / (int((t0 - ts[0]) * 100) + 1)))' "$1"
}

# ft__signalling TSV T0_NS ANCHOR... - from ft__fields' lines: "spread last_ba
# names", the ms between the first and the last of the anchors' first BU
# after T0, the ms from T0 to the last of their first accepted BAs (both -1
# unless every anchor's BU and BA were seen), and the anchors (by name,
# comma-separated) whose were
ft__signalling() {
	local tsv=$1 t0=$2 a names=()
	shift 2
	for a; do names+=("$a=$(ft_anchor_name "$a")"); done
	/usr/bin/python3 -c '
import sys
t0 = int(sys.argv[2]) / 1e9
names = dict(a.split("=") for a in sys.argv[3:])
bu, ba = {}, {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) < 7 or not f[5] or float(f[0]) < t0:
        continue
    t, src, dst, kind, status = float(f[0]), f[3], f[4], f[5], f[6]
    if kind == "5" and dst in names:
        bu.setdefault(dst, t)
    if kind == "6" and src in names and status == "0":
        ba.setdefault(src, t)
seen = [names[a] for a in names if a in bu and a in ba]
if len(seen) == len(names):
    print(round((max(bu.values()) - min(bu.values())) * 1000, 1), round((max(ba.values()) - t0) * 1000),
          ",".join(seen))
else:
    print(-1, -1, ",".join(seen) or "none")' "$tsv" "$t0" "${names[@]}"
}
