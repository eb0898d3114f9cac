#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cha.sh - session continuity through a Corresponding Home Agent, end to
# end, on the namespace test network: an unmodified curl on mn, run with the
# shim, downloads BIGFILE from cn.example.test; the shim finds cha.cn, the
# agent leases a CHoA from the anchor on cha, the download goes through the
# IPv6-in-IPv6 tunnel, mn moves from ar1 to ar2 in the middle, and the
# download completes with the right sha256. Then: deregistration and clean
# state after curl exits, kill -9 releases the lease, cn2 (no cha record) is
# reached plainly without any BU, UDP works and its lease ends when idle (not
# before udp-inactivity, not long after), the captured BU/BA decode in
# tshark, and the control socket survives garbage.
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
# run-all: long (about 40 s: paced downloads across moves)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_cha "network namespaces, TUN, raw sockets" ip tcpdump tshark curl nginx named radvd python3

# an inactivity time clearly apart from the 3 s hand-out grace (section 5)
export ODM_UDP_INACTIVITY=${ODM_UDP_INACTIVITY:-8}
# a download long enough to span the move (section 1)
export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-128}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

# The state ODM touches, without the ageing lifetimes; a missing table or an
# empty list is state too (empty), not an error.
snapshot_mn() {
	echo "## addr $ODM_TUN_MN"
	nsq mn ip -6 addr show dev "$ODM_TUN_MN" 2>&1 | grep -v valid_lft || true
	echo "## rules"
	nsq mn ip -6 rule show
	echo "## table $ODM_TABLE"
	nsq mn ip -6 route show table "$ODM_TABLE" 2>/dev/null || true
}
snapshot_cha() {
	echo "## addr"
	nsq cha ip -6 addr show | grep -v valid_lft || true
	echo "## rules"
	nsq cha ip -6 rule show
	echo "## routes"
	nsq cha ip -6 route show table all | grep -v -e '^local' -e '^multicast' -e 'expires' || true
}

topo_up
odm_agents_up
echo "agents up: anchor on cha ($CHA_ADDR, pool $CHA_POOL), host agent on mn"
echo "# tunnel backends: cha $(odm_tunnel_backend cha), mn $(odm_tunnel_backend mn)"
echo "# tunnel why: $(odm_status mn | json 'j["tunnel"]["why"]')"
snapshot_mn >"$ODM_DIR/mn.before"
snapshot_cha >"$ODM_DIR/cha.before"

# Captures: signalling and tunnel traffic on mn (both links), tunnel traffic
# on core toward ar1 (the path before the move), inner packets on mn's tunnel
# device for the stall measurement.
odm_capture mn any "$ODM_DIR/mn-mh.pcap" 'ip6 proto 135'
CAP_MH=$ODM_CAP_PID
odm_capture core ar1 "$ODM_DIR/core.pcap" 'ip6 proto 41' 128
CAP_CORE=$ODM_CAP_PID
odm_capture_tunnel "$ODM_DIR/inner.pcap" "tcp src port $HTTP_PORT" 128
CAP_INNER=$ODM_CAP_PID

# ---------------------------------------------------------------- 1. download + move
# The server paces the download (nginx limit_rate) so that it is still
# running when mn moves: 128 MiB at 40 MB/s takes about 3.4 s, the move
# comes after a quarter of it, and 2.5 s of it are still to come.
URL="http://cn.example.test${BIGFILE_URL_PATH}?rate=40m"
OUT=$ODM_DIR/download.bin
CURL_T0=$(date +%s%N)
odm_shim_bg curl -6 -sS --max-time 120 -o "$OUT" "$URL" >"$ODM_DIR/curl.log" 2>&1
CURL_PID=$ODM_BG_PID

check "a lease exists while curl runs" wait_for 10 odm_has_lease
CHOA=$(odm_status mn | json 'j["leases"][0]["addr"]')
echo "CHoA leased to curl's socket: $CHOA"
check "the CHoA $CHOA is in the CHA pool $CHA_POOL" in_prefix "$CHOA" "$CHA_POOL"
OWNER=$(odm_status mn | json '"%s/%s" % (j["leases"][0]["uid"], j["leases"][0]["pid"])')
check "the lease belongs to curl's user and process (uid/pid $OWNER, curl $CURL_PID)" \
	test "$OWNER" = "$(id -u)/$CURL_PID"
half_done() { [[ -f $OUT ]] && (($(stat -c %s "$OUT") > TOPO_BIGFILE_MB / 4 * 1024 * 1024)); }
check "the download is under way through the tunnel" wait_for 20 half_done
COA1=$(topo_mn_addr)
topo_move ar2
COA2=$(topo_mn_addr)
MOVE_T0=$TOPO_MOVE_T0
echo "moved: CoA $COA1 -> $COA2"
check "the anchor's binding follows the host to $COA2" wait_for 5 odm_bindings_at "$COA2"
REPLAYED=$(odm_status cha | json 'j["tunnel"]["replayed"]')
echo "the anchor sent $REPLAYED packets again to the new CoA (replay after a move)"
BACKEND_CHA=$(odm_tunnel_backend cha)
if [[ $BACKEND_CHA == userspace ]]; then
	# what the anchor sent toward the old CoA once its link was down, seen
	# on the way (core): lost, and the host's BU names the last packet it
	# had, so each is replayed. None on a loaded machine whose download
	# paused over the move: then nothing is owed either. (Read now, in the
	# background: the shell must see curl's exit when it comes, section 6.)
	tshark -r "$ODM_DIR/core.pcap" -Y "ipv6.dst == $COA1" -T fields \
		-e frame.time_epoch 2>/dev/null | awk -v t0="$MOVE_T0" '$1 * 1e9 >= t0' | wc -l \
		>"$ODM_DIR/lost.count" &
	LOST_PID=$!
fi
rc=0
wait "$CURL_PID" || rc=$?
CURL_T1=$(date +%s%N)
if [[ $BACKEND_CHA == userspace ]]; then
	wait "$LOST_PID" || true
	LOST=$(cat "$ODM_DIR/lost.count")
	echo "the anchor sent $LOST tunnel packets toward the old CoA after its link went down"
	check "the anchor replayed what it had sent toward the old CoA ($REPLAYED packets, $LOST lost on the way)" \
		test "$REPLAYED" -ge "$LOST"
	check "and some were, or none was sent to be lost" test "$REPLAYED" -gt 0 -o "$LOST" -eq 0
else
	echo "# a kernel backend's anchor replays from its capture ring, which test_replay checks (odmagent(8), Replay after a move)"
fi
check "curl exits 0 after the move (rc $rc)" test "$rc" -eq 0
SUM=$(topo_sha256 "$OUT")
check "the sha256 of the download matches ($SUM)" test "$SUM" = "$BIGFILE_SHA256"
check "nginx on cn logged the CHoA as the client" \
	grep -q "^$CHOA $HTTP_PORT .*GET ${BIGFILE_URL_PATH}" "$ODM_RUNDIR/cn/nginx-tcp/access.log"
echo "download: $(((CURL_T1 - CURL_T0) / 1000000)) ms for $(stat -c %s "$OUT") bytes"

# ---------------------------------------------------------------- 2. release on exit
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
no_binding() { [[ $(odm_binding_count) -eq 0 ]]; }
check "the host agent drops the lease within 2 s of curl's exit" wait_for 2 no_lease
check "the anchor's binding is gone (the CHoA is back in the pool)" wait_for 2 no_binding
odm_capture_stop "$CAP_INNER"
odm_capture_stop "$CAP_CORE"
sleep 0.2
snapshot_mn >"$ODM_DIR/mn.after"
snapshot_cha >"$ODM_DIR/cha.after"
check "mn's tunnel addresses, rules and routes are as before" diff -u "$ODM_DIR/mn.before" "$ODM_DIR/mn.after"
check "cha's addresses, rules and routes are as before" diff -u "$ODM_DIR/cha.before" "$ODM_DIR/cha.after"

# The stall: the longest time without a data segment from cn around the
# move (inner packets on mn's tunnel device).
STALL_MS=$(odm_stall_ms "$ODM_DIR/inner.pcap" "$MOVE_T0")
echo "stall across the move (longest gap between data segments): ${STALL_MS} ms"
check "data flowed again within 5 s of the move" test "$STALL_MS" -ge 0

# Tunnel on the wire, seen on core: outer CHA <-> CoA, protocol 41.
TUN_PKTS=$(tshark -r "$ODM_DIR/core.pcap" -T fields -e ipv6.src -e ipv6.dst -e ipv6.nxt 2>/dev/null |
	awk -v cha="$CHA_ADDR" -v coa="$COA1" '$1 ~ "^" cha "," && $2 ~ "^" coa "," && $3 ~ /^41,/ { n++ } END { print n + 0 }')
check "core saw IPv6-in-IPv6 from the CHA to the CoA ($TUN_PKTS packets)" test "$TUN_PKTS" -gt 100

# ---------------------------------------------------------------- 3. kill -9 releases
odm_shim_bg curl -6 -sS --max-time 60 -o /dev/null "http://cn.example.test${BIGFILE_URL_PATH}?rate=5m" \
	>/dev/null 2>&1
CURL_PID=$ODM_BG_PID
check "a second curl gets a lease" wait_for 10 odm_has_lease
KILLED_CHOA=$(odm_lease_addr)
sleep 1
kill -9 "$CURL_PID"
wait "$CURL_PID" 2>/dev/null || true
K0=$(date +%s%N)
if wait_for 10 no_binding; then
	K1=$(date +%s%N)
	KILL_MS=$(((K1 - K0) / 1000000))
	echo "kill -9: binding released at the anchor after $KILL_MS ms"
	check "kill -9 of the client releases the lease within 5 s ($KILL_MS ms)" test "$KILL_MS" -le 5000
else
	not_ok "kill -9 of the client releases the lease"
fi

# ---------------------------------------------------------------- 4. cn2: no CHA
BU_BEFORE=$(tshark -r "$ODM_DIR/mn-mh.pcap" -Y 'mip6.mhtype == 5' 2>/dev/null | wc -l)
rc=0
odm_shim env ODM_DEBUG=1 curl -6 -sS --max-time 20 -o /dev/null "http://cn2.example.test/" \
	>"$ODM_DIR/cn2.log" 2>&1 || rc=$?
check "curl to cn2 (no cha.cn2 record) succeeds (rc $rc)" test "$rc" -eq 0
sleep 0.3
BU_AFTER=$(tshark -r "$ODM_DIR/mn-mh.pcap" -Y 'mip6.mhtype == 5' 2>/dev/null | wc -l)
check "no BU was sent for cn2 ($BU_BEFORE -> $BU_AFTER)" test "$BU_AFTER" -eq "$BU_BEFORE"
check "nginx on cn2 logged mn's plain address $COA2" \
	grep -q "^$COA2 $HTTP_PORT " "$ODM_RUNDIR/cn2/nginx-tcp/access.log"

# ---------------------------------------------------------------- 5. UDP
# The kill -9 above leaves cn's end of curl's connection sending to that
# CHoA for a while (its data and FIN sent again as TCP backs off). The
# anchor lets a released address cool (4 minutes) before anyone else gets
# it, so the UDP lease below gets another one, and those late segments do
# not reach its host or count as its traffic: they once kept an idle lease
# a whole udp-inactivity longer (a FIN 8.4 s after the exchange).
check "the anchor counts the killed curl's CHoA as cooling" \
	test "$(odm_status cha | json 'j["pool_cooling"]')" -ge 1
UDP_PORT=7777
topo_spawn cn udp-echo "$ODM_DIR/udp-echo.log" /usr/bin/python3 -u -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 7777))
for _ in range(100):
    data, peer = s.recvfrom(2048)
    print("from", peer[0], flush=True)
    s.sendto(b"echo " + peer[0].encode(), peer)
'
UDP_PID=$TOPO_SPAWNED_PID
udp_listening() { grep -q . <<<"$(nsq cn ss -Hlun "sport = :$UDP_PORT")"; }
wait_for 5 udp_listening
# Every packet through mn's tunnel device in this section: a stray one for
# the client's CHoA (e.g. a late segment of an earlier connection from that
# address) is traffic too and rightly keeps the lease.
odm_capture_tunnel "$ODM_DIR/udp-tun.pcap" ip6 128
CAP_UDP=$ODM_CAP_PID
# The client keeps its socket open well past the inactivity time, waiting
# to receive; when the lease ends, the socket is ended (not left to send
# from an address the host no longer has), which its receive does not see;
# then it waits a little more.
odm_shim_bg /usr/bin/python3 -u -c '
import errno, socket, sys, time
ai = socket.getaddrinfo("cn.example.test", 7777, socket.AF_INET6, socket.SOCK_DGRAM)[0]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"ping", ai[4])
print(s.recvfrom(2048)[0].decode(), flush=True)
print("silent since", int(time.time() * 1000), flush=True)
s.settimeout(float(sys.argv[1]))
try:
    s.recvfrom(2048)
    print("recv: data", flush=True)
except socket.timeout:
    print("recv: timed out", flush=True)
except OSError as e:
    print("recv:", errno.errorcode.get(e.errno, e.errno), flush=True)
time.sleep(5)
' "$((ODM_UDP_INACTIVITY + 6))" >"$ODM_DIR/udp-client.log" 2>&1
UDPC_PID=$ODM_BG_PID
udp_answered() { grep -q '^silent since ' "$ODM_DIR/udp-client.log"; }
check "a UDP exchange with cn works" wait_for 10 udp_answered
T_LAST=$(sed -n 's/^silent since //p' "$ODM_DIR/udp-client.log")
UDP_SRC=$(sed -n 's/^echo //p' "$ODM_DIR/udp-client.log")
check "cn saw the UDP datagram from a CHoA ($UDP_SRC)" in_prefix "${UDP_SRC:-::}" "$CHA_POOL"
check "not the killed curl's, which cools ($KILLED_CHOA)" \
	other_addr "${UDP_SRC:-::}" "${KILLED_CHOA:-::}"
odm_check_udp_idle "$T_LAST" "$ODM_DIR/udp-tun.pcap"
odm_capture_stop "$CAP_UDP"
check "the client was still running when its lease ended" kill -0 "$UDPC_PID"
# ended by the agent (SOCK_DESTROY): off the UDP table, its port given back
udp_ended() { [[ -z $(nsq mn ss -Hua "src [$UDP_SRC]") ]]; }
check "its socket, still open, was ended: none is on $UDP_SRC any more" wait_for 3 udp_ended
# which its program does not see as an error (the shim takes the
# kernel's ECONNABORTED, odm(7)): its receive only times out
udp_quiet() { grep -qx 'recv: timed out' "$ODM_DIR/udp-client.log"; }
# (its timeout, inactivity + 6 s after its last packet, is up to 6.3 s
# after the lease's end, which comes from 7.7 s on)
check "and its receive saw no error, only silence (it timed out)" wait_for 10 udp_quiet
echo "udp client: $(grep '^recv' "$ODM_DIR/udp-client.log" || echo 'no receive returned')"
check "the anchor's binding for the UDP lease is gone too" wait_for 2 no_binding
# its sleep only had to outlast the lease
kill "$UDPC_PID" 2>/dev/null || true
wait "$UDPC_PID" 2>/dev/null || true

# ---------------------------------------------------------------- resolved once (started)
# A program that resolves a name once and connects again to the address it
# kept, after the cha answer's TTL (5 s) ran out: the shim asks cha.<name>
# again, and the second connection is anchored like the first rather than
# going out plain. Its 11 s wait
# runs beside the sections below up to "connect again", which look only at
# their own leases or wait for every lease to end; its checks come there.
timeout 30 ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
	ODM_TYPE=session-lasting ODM_DEBUG=1 /usr/bin/python3 -c '
import socket, time
ai = socket.getaddrinfo("cnttl.example.test", 80, socket.AF_INET6, socket.SOCK_STREAM)[0]
for wait in (0, 11):
    time.sleep(wait)
    s = socket.create_connection(ai[4][:2], timeout=5)
    print(s.getsockname()[0])
    s.close()
' >"$ODM_DIR/ttl.out" 2>"$ODM_DIR/ttl.err" &
TTL_PID=$!
# (its first connection made before the next ones)
ttl_first() { [[ -s $ODM_DIR/ttl.out ]]; }
wait_for 10 ttl_first || true

# ---------------------------------------------------------------- 5. UDP (continued)
# The first datagram of an unconnected socket sent with sendmsg() and with
# sendmmsg() (Python has no sendmmsg: libc's, through ctypes, which finds
# the shim's first as any program would): each leases a CHoA, and every
# datagram of the batch leaves from it. Each prints the sources cn echoed.
for how in sendmsg sendmmsg; do
	rc=0
	OUT=$(timeout 20 ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" \
		ODM_SOCKET="$MN_SOCK" ODM_TYPE=session-lasting /usr/bin/python3 -c '
import ctypes, socket, struct, sys
how = sys.argv[1]
ai = socket.getaddrinfo("cn.example.test", 7777, socket.AF_INET6, socket.SOCK_DGRAM)[0]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(3)
if how == "sendmsg":
    s.sendmsg([b"one"], [], 0, ai[4])
    n = 1
else:
    class iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
    class msghdr(ctypes.Structure):
        _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                    ("iov", ctypes.POINTER(iovec)), ("iovlen", ctypes.c_size_t),
                    ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                    ("flags", ctypes.c_int)]
    class mmsghdr(ctypes.Structure):
        _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint)]
    sa = struct.pack("!HHI16sI", socket.AF_INET6, 7777, 0,
                     socket.inet_pton(socket.AF_INET6, ai[4][0]), 0)
    sa = struct.pack("=H", socket.AF_INET6) + sa[2:]
    name = ctypes.create_string_buffer(sa, len(sa))
    bufs = [ctypes.create_string_buffer(b"batch%d" % i, 6) for i in range(3)]
    iovs = (iovec * 3)(*[iovec(ctypes.cast(b, ctypes.c_void_p), 6) for b in bufs])
    vec = (mmsghdr * 3)()
    for i in range(3):
        vec[i].hdr.name = ctypes.cast(name, ctypes.c_void_p)
        vec[i].hdr.namelen = len(sa)
        vec[i].hdr.iov = ctypes.pointer(iovs[i])
        vec[i].hdr.iovlen = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.sendmmsg.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    n = libc.sendmmsg(s.fileno(), vec, 3, 0)
    if n != 3:
        sys.exit("sendmmsg: %d (%s)" % (n, ctypes.get_errno()))
for _ in range(n):
    print(s.recvfrom(2048)[0].decode().split()[1], flush=True)
' "$how" 2>&1) || rc=$?
	echo "$how: rc $rc, cn saw: $(tr '\n' ' ' <<<"$OUT")"
	want=1
	[[ $how == sendmmsg ]] && want=3
	check "$how from an unconnected socket: $want datagram(s) echoed, all from one address" \
		test "$rc" -eq 0 -a "$(grep -c . <<<"$OUT")" -eq "$want" -a "$(sort -u <<<"$OUT" | wc -l)" -eq 1
	check "$how: that address is a CHoA ($(head -n1 <<<"$OUT"))" in_prefix "$(head -n1 <<<"$OUT")" "$CHA_POOL"
done
# (that their leases end when they exit is checked with the example's below)
# A UDP socket bound to a port that sends with an address (a server's
# replies) sends as it is, even with ODM_TYPE: only a connect() of such a
# socket is judged (section "bound to a port" below)
rc=0
timeout 20 ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
	ODM_TYPE=session-lasting /usr/bin/python3 -c '
import socket
ai = socket.getaddrinfo("cn.example.test", 7777, socket.AF_INET6, socket.SOCK_DGRAM)[0]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 40124))
s.settimeout(3)
s.sendto(b"from a bound port", ai[4])
print(s.recvfrom(2048)[0].decode())
' >"$ODM_DIR/port-udp.out" 2>&1 || rc=$?
cat "$ODM_DIR/port-udp.out"
check "a UDP socket bound to a port sends and hears back (rc $rc)" test "$rc" -eq 0
topo_kill "$UDP_PID"

# ---------------------------------------------------------------- 5b. odmctl run
# The launcher: examples/srcaddr gets a CHoA through it, and env shows that
# it appends libodm.so to an LD_PRELOAD that is already set.
RUN_OUT=$(nsq mn "$ODM_BUILD/odmctl" -s "$MN_SOCK" run --type session-lasting -- \
	"$ODM_BUILD/examples/srcaddr" cn.example.test "$HTTP_PORT" 2>&1) || true
echo "odmctl run srcaddr: $RUN_OUT"
check "odmctl run --type session-lasting gives examples/srcaddr a CHoA" \
	in_prefix "${RUN_OUT%% *}" "$CHA_POOL"
PRELOAD=$(nsq mn env LD_PRELOAD=libm.so.6 "$ODM_BUILD/odmctl" -s "$MN_SOCK" run -- \
	/usr/bin/env 2>/dev/null | sed -n 's/^LD_PRELOAD=//p') || true
echo "LD_PRELOAD under odmctl run: $PRELOAD"
check "odmctl run appends libodm.so to LD_PRELOAD, keeping what was there" \
	bash -c "[[ '$PRELOAD' == libm.so.6[\ :]*/libodm.so ]]"
check "the example's lease ends after it exits" wait_for 8 no_binding
check "and sendmsg's and sendmmsg's end when they exit" wait_for 8 no_binding

# ---------------------------------------------------------------- 6. BU/BA in tshark
odm_capture_stop "$CAP_MH"
tshark -r "$ODM_DIR/mn-mh.pcap" -Y mipv6 -T fields -e mip6.mhtype -e mip6.mnid.identifier \
	-e mip6.nemo.mnp.mnp -e mip6.acoa.acoa -e mip6.auth.mobility_spi -e mip6.bu.lifetime \
	-e mip6.ba.status >"$ODM_DIR/mh.txt" 2>/dev/null || true
BU_LINE=$(awk -F'\t' '$1 == 5 && $6 != 0' "$ODM_DIR/mh.txt" | head -1)
BA_LINE=$(awk -F'\t' '$1 == 6' "$ODM_DIR/mh.txt" | head -1)
echo "first BU in tshark: $BU_LINE"
echo "first BA in tshark: $BA_LINE"
check "BU decodes with MN-ID $ODM_NAI" grep -qP "^5\t\Q$ODM_NAI\E\t" <<<"$BU_LINE"
check "BU carries the HNP, the alternate CoA and SPI $ODM_SPI" \
	awk -F'\t' -v coa="$COA1" -v spi="$ODM_SPI" '$3 == "::" && $4 == coa && $5 == spi { f = 1 } END { exit !f }' <<<"$BU_LINE"
check "BA decodes with status 0, the CHoA as HNP and SPI $ODM_SPI" \
	awk -F'\t' -v spi="$ODM_SPI" '$2 != "" && $3 != "" && $3 != "::" && $5 == spi && $7 == 0 { f = 1 } END { exit !f }' <<<"$BA_LINE"
# curl closes its socket just before it exits, and the shim's release hint
# makes the agent deregister at once: the BU may precede the moment the shell
# sees curl gone by a few ms. Take the first deregistration after the move.
DEREG_MS=$(tshark -r "$ODM_DIR/mn-mh.pcap" -Y 'mip6.mhtype == 5 && mip6.bu.lifetime == 0' \
	-T fields -e frame.time_epoch 2>/dev/null | /usr/bin/python3 -c '
import sys
move, exit_ = int(sys.argv[1]) / 1e9, int(sys.argv[2]) / 1e9
after = [float(x) for x in sys.stdin.read().split() if float(x) > move]
print(round((after[0] - exit_) * 1000) if after else "none")' "$MOVE_T0" "$CURL_T1")
echo "first deregistration BU after the move: ${DEREG_MS} ms relative to curl's exit"
check "a deregistration BU (lifetime 0) comes with curl's exit, within 2 s" \
	/usr/bin/python3 -c 'import sys; v = sys.argv[1]; sys.exit(0 if v != "none" and -1000 <= int(v) <= 2000 else 1)' "$DEREG_MS"
MALFORMED=$(tshark -r "$ODM_DIR/mn-mh.pcap" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
check "tshark finds nothing malformed in the signalling" test "$MALFORMED" -eq 0

# ---------------------------------------------------------------- 7. control socket
rc=0
/usr/bin/python3 - "$MN_SOCK" >"$ODM_DIR/ctl.log" 2>&1 <<'EOF' || rc=$?
import json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(sys.argv[1])
    return s, s.makefile("rb")
s, f = conn()
s.sendall(b"{this is not json\n")
r = json.loads(f.readline())
assert r["ok"] is False and r["error"] == "EINVAL", r
print("garbage ->", r["error"], r.get("message"))
s.sendall(b'{"op":"hello","id":7}\n')
r = json.loads(f.readline())
assert r["ok"] is True and r["id"] == 7, r
print("hello on the same connection -> ok")
s2, f2 = conn()
# The agent answers once its buffer is full and shuts the connection
# (control.c): the rest of the line may meet a closed socket, and the
# answer is still there to read.
try:
    s2.sendall(b'{"op":"hello","id":1,"pad":"' + b"x" * 40000 + b'"}\n')
except (BrokenPipeError, ConnectionResetError) as e:
    print("oversized: the agent shut the connection before the line ended:", e)
r = json.loads(f2.readline())
assert r["ok"] is False and r["error"] == "ETOOBIG", r
print("oversized ->", r["error"])
s3, f3 = conn()
s3.sendall(b'{"op":"hello","id":2}\n')
assert json.loads(f3.readline())["ok"] is True
print("the agent still answers")
EOF
cat "$ODM_DIR/ctl.log"
check "the control socket answers garbage and oversized input with errors and stays up" test "$rc" -eq 0
check "the host agent is still running" kill -0 "$MN_AGENT_PID"
check "the anchor is still running" kill -0 "$CHA_AGENT_PID"

# ---------------------------------------------------------------- bound to a port
# A socket bound to a port on :: before it connects (curl --local-port, nc
# -p) can no longer take a CHoA: a program that named its type gets
# EADDRNOTAVAIL and ODM_DEBUG says why, never a quiet plain address.
rc=0
timeout 20 ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
	ODM_TYPE=session-lasting ODM_DEBUG=1 /usr/bin/python3 -c '
import errno, socket
ai = socket.getaddrinfo("cn.example.test", 80, socket.AF_INET6, socket.SOCK_STREAM)[0]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind(("::", 40123))
try:
    s.connect(ai[4])
    print("connected from", s.getsockname()[0])
except OSError as e:
    print("refused", errno.errorcode[e.errno])
' >"$ODM_DIR/port.out" 2>"$ODM_DIR/port.err" || rc=$?
cat "$ODM_DIR/port.out"
grep 'odm:' "$ODM_DIR/port.err" | tail -2 || true
check "a socket bound to a port gets EADDRNOTAVAIL, not a plain address" \
	grep -qx "refused EADDRNOTAVAIL" "$ODM_DIR/port.out"
check "and ODM_DEBUG names the port" grep -q "bound to port 40123 before it connected" \
	"$ODM_DIR/port.err"
# The same for TCP Fast Open's sendto (a connect with data); and a connect
# with RFC 2133's 24-byte sockaddr_in6 (no scope id, which Linux takes) is
# leased like any other.
timeout 20 ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
	ODM_TYPE=session-lasting /usr/bin/python3 -c '
import ctypes, errno, socket, struct
ai = socket.getaddrinfo("cn.example.test", 80, socket.AF_INET6, socket.SOCK_STREAM)[0]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind(("::", 40124))
try:
    s.sendto(b"GET / HTTP/1.0\r\n\r\n", socket.MSG_FASTOPEN, ai[4])
    print("tfo sent from", s.getsockname()[0])
except OSError as e:
    print("tfo refused", errno.errorcode[e.errno])
libc = ctypes.CDLL(None, use_errno=True)
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
sa = struct.pack("=H", socket.AF_INET6) + struct.pack("!H", 80) + b"\0" * 4 + \
    socket.inet_pton(socket.AF_INET6, ai[4][0])
r = libc.connect(t.fileno(), ctypes.c_char_p(sa), len(sa))
print("connect24", len(sa), r, t.getsockname()[0])
' >"$ODM_DIR/port2.out" 2>&1 || true
cat "$ODM_DIR/port2.out"
check "a TCP Fast Open sendto on a socket bound to a port: EADDRNOTAVAIL too" \
	grep -qx "tfo refused EADDRNOTAVAIL" "$ODM_DIR/port2.out"
check "a connect with a 24-byte sockaddr_in6 gets a CHoA" \
	in_prefix "$(sed -n 's/^connect24 24 0 //p' "$ODM_DIR/port2.out")" "$CHA_POOL"

# ---------------------------------------------------------------- a short name
# "cn" through the search list (LOCALDOMAIN, as resolv.conf's search):
# libc resolves cn.example.test, and the cha answer is looked up in the
# same order, cha.cn.example.test first, not cha.cn as it is (which this
# test's DNS refuses, ending the search, and which on the Internet would
# be a name under a top-level domain).
rc=0
odm_shim env LOCALDOMAIN=example.test ODM_DEBUG=1 curl -6 -sS --max-time 10 -o /dev/null \
	-w '%{local_ip}\n' "http://cn/" >"$ODM_DIR/short.out" 2>"$ODM_DIR/short.err" || rc=$?
grep 'odm:.*cha' "$ODM_DIR/short.err" | head -2 || true
check "curl http://cn/ with the search list: rc $rc, from a CHoA ($(cat "$ODM_DIR/short.out"))" \
	in_prefix "$(cat "$ODM_DIR/short.out" 2>/dev/null || echo ::)" "$CHA_POOL"

# ---------------------------------------------------------------- bound to a device
# curl --interface binds its socket to the device (SO_BINDTODEVICE): its
# packets leave there whatever the rules say, never through the tunnel. A
# program that named its type gets EADDRNOTAVAIL at once; one that did not
# goes out plain from that link, and is answered.
rc=0
odm_shim env ODM_DEBUG=1 curl -6 -sS --max-time 10 --interface "$MN_IF2" -o /dev/null \
	"http://cn.example.test/" >"$ODM_DIR/dev.out" 2>"$ODM_DIR/dev.err" || rc=$?
grep -E 'odm:|curl:' "$ODM_DIR/dev.err" | tail -2 || true
check "curl --interface with ODM_TYPE=session-lasting fails (rc $rc), not by a timeout" \
	test "$rc" -ne 0 -a "$rc" -ne 28
check "ODM_DEBUG names the device" grep -q "bound to device $MN_IF2 (SO_BINDTODEVICE)" \
	"$ODM_DIR/dev.err"
rc=0
nsx mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" curl -6 -sS --max-time 10 \
	--interface "$MN_IF2" -o /dev/null -w '%{local_ip}\n' "http://cn.example.test/" \
	>"$ODM_DIR/dev2.out" 2>&1 || rc=$?
check "without ODM_TYPE it goes out plain from $MN_IF2 and is answered (rc $rc, from $(cat "$ODM_DIR/dev2.out"))" \
	test "$rc" -eq 0 -a "$(cat "$ODM_DIR/dev2.out")" = "$COA2"

# ---------------------------------------------------------------- resolved once (checked)
# (before the next section, whose lease its connections could share)
rc=0
wait "$TTL_PID" || rc=$?
cat "$ODM_DIR/ttl.out"
grep 'odm:' "$ODM_DIR/ttl.err" | tail -4 || true
check "a program that resolved once connected twice (rc $rc)" test "$rc" -eq 0
check "its first connection came from a CHoA" in_prefix "$(sed -n 1p "$ODM_DIR/ttl.out")" "$CHA_POOL"
check "and its second, after the cha answer expired, too" \
	in_prefix "$(sed -n 2p "$ODM_DIR/ttl.out")" "$CHA_POOL"
check "the shim asked cha.cnttl again" grep -q 'has expired: asking cha.cnttl' "$ODM_DIR/ttl.err"

# ---------------------------------------------------------------- connect again
# A connect() that failed (refused here) may be tried again on the same
# socket (Linux allows it). The socket kept its leased source, while the
# agent, which cannot see a closed socket, ended that lease after the
# grace: the retry leases anew and connects from a CHoA the host has;
# no SYN leaves from the old one outside the tunnel.
# (plain TCP on mn's access link since the move; the tunnel's packets, IPv6
# in IPv6, are not)
odm_capture mn "$MN_IF2" "$ODM_DIR/retry-link.pcap" "ip6 proto 6" 128
CAP_RETRY=$ODM_CAP_PID
# The program connects again once the agent has ended that lease and taken
# its address off the host (the log line and the device say so), or after
# the grace, a tick and 2 s when they do not: then the checks below fail.
rm -f "$ODM_DIR/retry.go"
timeout 30 ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
	ODM_TYPE=session-lasting ODM_DEBUG=1 /usr/bin/python3 -c '
import errno, os, socket, sys, time
ai = socket.getaddrinfo("cn.example.test", 80, socket.AF_INET6, socket.SOCK_STREAM)[0]
# a blocking socket: the first connect after the failed one must do it
# (one with a timeout is non-blocking, and the kernel answers its first
# connect after a failure with ECONNABORTED, taking the next)
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
e = s.connect_ex((ai[4][0], 7999, 0, 0))
print("first", errno.errorcode.get(e, e), s.getsockname()[0], flush=True)
end = time.monotonic() + float(sys.argv[1])
while not os.path.exists(sys.argv[2]) and time.monotonic() < end:
    time.sleep(0.05)
e = s.connect_ex(ai[4])
print("again", errno.errorcode.get(e, e), s.getsockname()[0], flush=True)
s.settimeout(5)
s.sendall(b"GET / HTTP/1.0\r\nHost: cn.example.test\r\n\r\n")
print("answer", s.recv(64).split(b"\r\n")[0].decode(), flush=True)
' "$((ODM_GRACE_S + ODM_TICK_S + 2))" "$ODM_DIR/retry.go" >"$ODM_DIR/retry.out" 2>"$ODM_DIR/retry.err" &
RETRY_PID=$!
retry_first() { grep -q '^first ' "$ODM_DIR/retry.out"; }
OLD=
wait_for 10 retry_first && OLD=$(sed -n 's/^first ECONNREFUSED //p' "$ODM_DIR/retry.out")
old_ended() {
	grep -q "lease [0-9]* $OLD at $CHA_ADDR ended (no sockets)" "$MN_AGENT_LOG" &&
		! nsq mn ip -6 addr show | grep -qF " $OLD/"
}
[[ -z $OLD ]] || wait_for $((ODM_GRACE_S + ODM_TICK_S + 2)) old_ended || true
touch "$ODM_DIR/retry.go"
rc=0
wait "$RETRY_PID" || rc=$?
odm_capture_stop "$CAP_RETRY"
cat "$ODM_DIR/retry.out"
grep 'odm:' "$ODM_DIR/retry.err" | tail -3 || true
OLD=$(sed -n 's/^first ECONNREFUSED //p' "$ODM_DIR/retry.out")
NEW=$(sed -n 's/^again 0 //p' "$ODM_DIR/retry.out")
check "the first connect is refused from a CHoA (${OLD:-none})" in_prefix "${OLD:-::}" "$CHA_POOL"
check "the agent ended that lease meanwhile" \
	grep -q "lease [0-9]* ${OLD:-none} at $CHA_ADDR ended (no sockets)" "$MN_AGENT_LOG"
check "connect again on the same socket works, from a CHoA (${NEW:-none})" \
	in_prefix "${NEW:-::}" "$CHA_POOL"
check "and the server answers it" grep -q '^answer HTTP/1.1 200' "$ODM_DIR/retry.out"
LEAKED=$(tshark -r "$ODM_DIR/retry-link.pcap" -Y "ipv6.src == ${OLD:-::} && tcp.flags.syn == 1" 2>/dev/null | wc -l)
check "no SYN from the ended CHoA left on the access link ($LEAKED)" test "$LEAKED" -eq 0

echo "summary: stall ${STALL_MS} ms, dereg ${DEREG_MS} ms after exit, kill -9 release ${KILL_MS:-?} ms, move ${TOPO_MOVE_MS} ms"
check_summary test_cha
