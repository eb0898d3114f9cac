#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_programs.sh - real programs other than curl through the shim, as a
# user would run them: ODM_TYPE=session-lasting in the environment, nothing
# else changed. Each must get a CHoA (an address of the CHA pool, seen by
# the server) and keep its transfer across a move.
#
#   1. at the same time, each downloading BIGFILE from cn paced by nginx,
#      while mn moves from ar1 to ar2: node (http.get: its own libuv
#      connect), Java (HttpURLConnection and java.net.http, dual-stack
#      sockets), perl (IO::Socket::IP), ruby (Net::HTTP), python asyncio,
#      aria2c (four connections, --async-dns=false: its own resolver is
#      out of the shim's reach, odm(7)); UDP streams from Java's
#      DatagramSocket and node's dgram, which bind every socket to [::]:0
#      before the first datagram; and node with ODM_TYPE=non-persistent,
#      which must fail at once, not hang.
#   2. two Java UDP sockets on one lease idle past udp-inactivity: their
#      receive sees no error when it ends, and they are leased anew (not
#      sent from the ended address) when they send again; four connected
#      python UDP sockets the same, sending with send(), write(), writev()
#      and sendmsg(), one more on which four threads send at once, and one
#      a thread waits on in a blocking recv() all along; one in a process
#      of one thread that polls it, then receives, and one the same in a
#      process whose second thread never sends; one whose answer, left
#      unread across the end, is received after it; node's dgram, one socket
#      connected and one not, with no 'error' handler.
#   3. one exchange each: socat TCP6 and UDP6-SENDTO, OpenBSD nc -6 over
#      TCP and UDP, openssl s_client to a TLS server (socat on cn), git
#      clone over dumb HTTP from nginx.
#   4. a name with both A and AAAA records (added with nsupdate): node,
#      perl, ruby and asyncio take IPv6 and are leased; Java and socat's
#      TCP: take IPv4 (not leased, odm(7)), and are leased with the
#      remedies odm(7) names.
#   5. the host agent stops under a Java UDP stream and a curl download:
#      nothing more leaves from the ended CHoA, the Java program is told,
#      and curl fails at once instead of at its timeout.
#
# A program that is not installed is said and left out (# skip); with none
# of them the test is skipped. Exit 0 pass, 1 fail, 77 skip.
# run-all: alone (three JVMs and six other programs start at once, and the UDP streams count their losses)
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_programs "network namespaces, TUN, raw sockets" ip ss nginx named radvd python3 openssl nsupdate

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-32}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"
. "$HERE/lib/programs.sh"
trap 'check_on_err test_programs' ERR

nc_openbsd() { command -v nc && grep -q OpenBSD <<<"$(nc -h 2>&1)"; }
HAVE_NODE=0 HAVE_JAVA=0 HAVE_PERL=0 HAVE_RUBY=0 HAVE_ARIA=0 HAVE_SOCAT=0 HAVE_NC=0 HAVE_GIT=0
have node command -v node && HAVE_NODE=1
have "java (and javac)" have_all java javac && HAVE_JAVA=1
have "perl IO::Socket::IP" perl -MIO::Socket::IP -e 1 && HAVE_PERL=1
have "ruby net/http" ruby -rnet/http -e 1 && HAVE_RUBY=1
have aria2c command -v aria2c && HAVE_ARIA=1
have socat command -v socat && HAVE_SOCAT=1
have "nc (OpenBSD)" nc_openbsd && HAVE_NC=1
have git command -v git && HAVE_GIT=1
if ((HAVE_NODE + HAVE_JAVA + HAVE_PERL + HAVE_RUBY + HAVE_ARIA + HAVE_SOCAT + HAVE_NC + HAVE_GIT == 0)); then
	echo "SKIP: test_programs: none of node, java, perl, ruby, aria2c, socat, nc, git is installed"
	exit 77
fi

topo_up
odm_agents_up
P=$ODM_DIR/programs
mkdir -p "$P"

# ---------------------------------------------------------------- servers on cn
# A UDP echo: answers each datagram with "echo <source address>".
UDP_PORT=7777
topo_spawn cn udp-echo "$ODM_DIR/udp-echo.log" /usr/bin/python3 -u -c '
import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 7777))
while True:
    data, peer = s.recvfrom(2048)
    print("from", peer[0], time.time(), flush=True)
    s.sendto(b"echo " + peer[0].encode(), peer)
'
udp_listening() { grep -q . <<<"$(nsq cn ss -Hlun "sport = :$UDP_PORT")"; }
wait_for 5 udp_listening

# ---------------------------------------------------------------- the programs' sources
cat >"$P/get.js" <<'EOF'
// node: http.get URL into FILE
const http = require('http'), fs = require('fs');
http.get(process.argv[2], (res) => {
	console.log('local', res.socket.localAddress);
	const f = fs.createWriteStream(process.argv[3]);
	res.pipe(f);
	f.on('finish', () => console.log('done'));
	res.on('error', (e) => { console.log('error', e.code); process.exit(1); });
}).on('error', (e) => { console.log('error', e.code); process.exit(1); });
EOF
cat >"$P/udp.js" <<'EOF'
// node: N datagrams to HOST:PORT, one each 20 ms, from one dgram socket
const s = require('dgram').createSocket('udp6');
const [host, port, n] = [process.argv[2], +process.argv[3], +process.argv[4]];
let i = 0, got = 0;
const srcs = new Set();
s.on('message', (m) => { got++; srcs.add(m.toString().split(' ')[1]); });
const t = setInterval(() => {
	if (i < n) { s.send('seq' + i++, port, host); return; }
	clearInterval(t);
	setTimeout(() => { console.log('sent', n, 'got', got, 'srcs', [...srcs].join(',')); s.close(); }, 500);
}, 20);
EOF
cat >"$P/idle.js" <<'EOF'
// node: two dgram sockets to HOST:PORT, one connected, each answered once;
// SECS of silence; then each answered again. No 'error' handler: an error
// event would end the program. Prints "first u|c SRC", "again u|c SRC".
const dgram = require('dgram');
const [host, port, secs] = [process.argv[2], +process.argv[3], +process.argv[4]];
const u = dgram.createSocket('udp6'), c = dgram.createSocket('udp6');
let round = 'first', left = 2;
const got = (name) => (m) => {
	console.log(round, name, m.toString().split(' ')[1]);
	if (--left > 0) return;
	if (round === 'again') { u.close(); c.close(); clearTimeout(giveup); return; }
	round = 'again'; left = 2;
	setTimeout(() => { u.send('u', port, host); c.send('c'); }, secs * 1000);
};
u.on('message', got('u'));
c.on('message', got('c'));
u.send('u', port, host);
c.connect(port, host, () => c.send('c'));
const giveup = setTimeout(() => { console.log('missing', round, left); process.exit(3); },
	(secs + 10) * 1000);
EOF
cat >"$P/Prog.java" <<'EOF'
import java.io.InputStream;
import java.net.*;
import java.net.http.*;
import java.nio.file.*;
import java.util.TreeSet;

// url URL FILE | client URL FILE | udp HOST PORT N | idle HOST PORT SECS
// (FILE is replaced: Files.copy deletes it first, so never /dev/null)
public class Prog {
	// one datagram to d:port and its echo's source ("-" if none came)
	static String ping(DatagramSocket s, InetAddress d, int port) throws Exception {
		s.send(new DatagramPacket("ping".getBytes(), 4, d, port));
		DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
		s.setSoTimeout(3000);
		try { s.receive(p); } catch (SocketTimeoutException e) { return "-"; }
		return new String(p.getData(), 0, p.getLength()).split(" ")[1];
	}

	public static void main(String[] a) throws Exception {
		if (a[0].equals("idle")) {
			// two sockets, which share one lease
			DatagramSocket s = new DatagramSocket(), t = new DatagramSocket();
			InetAddress d = InetAddress.getByName(a[1]);
			int port = Integer.parseInt(a[2]);
			System.out.println("first " + ping(s, d, port));
			System.out.println("first2 " + ping(t, d, port));
			// waits, receiving, for SECS: what the socket is told
			s.setSoTimeout(Integer.parseInt(a[3]) * 1000);
			try {
				s.receive(new DatagramPacket(new byte[2048], 2048));
				System.out.println("idle: data");
			} catch (SocketTimeoutException e) {
				System.out.println("idle: timed out");
			} catch (SocketException e) {
				System.out.println("idle: " + e.getMessage());
			}
			System.out.println("again " + ping(s, d, port));
			System.out.println("again2 " + ping(t, d, port));
		} else if (a[0].equals("url")) {
			HttpURLConnection c = (HttpURLConnection) new URL(a[1]).openConnection();
			try (InputStream in = c.getInputStream()) {
				Files.copy(in, Paths.get(a[2]), StandardCopyOption.REPLACE_EXISTING);
			}
		} else if (a[0].equals("client")) {
			HttpClient hc = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
			HttpResponse<Path> r = hc.send(HttpRequest.newBuilder(URI.create(a[1])).build(),
				HttpResponse.BodyHandlers.ofFile(Paths.get(a[2])));
			if (r.statusCode() != 200) System.exit(1);
		} else {
			DatagramSocket s = new DatagramSocket();
			InetAddress d = InetAddress.getByName(a[1]);
			int port = Integer.parseInt(a[2]), n = Integer.parseInt(a[3]), got = 0;
			TreeSet<String> srcs = new TreeSet<>();
			s.setSoTimeout(20);
			for (int i = 0; i < n + 25; i++) {
				if (i < n) {
					byte[] b = ("seq" + i).getBytes();
					s.send(new DatagramPacket(b, b.length, d, port));
				}
				long end = System.currentTimeMillis() + 20;
				while (System.currentTimeMillis() < end) {
					DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
					try { s.receive(p); } catch (SocketTimeoutException e) { break; }
					got++;
					srcs.add(new String(p.getData(), 0, p.getLength()).split(" ")[1]);
				}
			}
			System.out.println("sent " + n + " got " + got + " srcs " + String.join(",", srcs));
		}
	}
}
EOF
cat >"$P/get.pl" <<'EOF'
# perl: GET PATH from HOST with IO::Socket::IP into FILE (the body only)
use IO::Socket::IP;
my ($host, $path, $file) = @ARGV;
my $s = IO::Socket::IP->new(PeerHost => $host, PeerPort => 80) or die "connect: $@";
print $s "GET $path HTTP/1.0\r\nHost: $host\r\n\r\n";
open my $o, '>', $file or die; binmode $o;
my ($head, $buf) = ('', '');
while (1) {
	my $n = sysread($s, $buf, 65536);
	die "read: $!" unless defined $n;
	last if $n == 0;
	if (defined $head) {
		$head .= $buf;
		my $i = index($head, "\r\n\r\n");
		if ($i >= 0) { print $o substr($head, $i + 4); undef $head; }
	} else {
		print $o $buf;
	}
}
close $o or die;
EOF
cat >"$P/get.rb" <<'EOF'
# ruby: Net::HTTP GET URL into FILE
require 'net/http'
uri = URI(ARGV[0])
Net::HTTP.start(uri.host, uri.port) do |h|
  h.request_get(uri.request_uri) do |r|
    exit 1 unless r.code == '200'
    File.open(ARGV[1], 'wb') { |f| r.read_body { |c| f.write(c) } }
  end
end
EOF
cat >"$P/get_asyncio.py" <<'EOF'
# python asyncio: GET PATH from HOST (open_connection, happy eyeballs) into FILE
import asyncio, sys
async def main(host, path, out):
    r, w = await asyncio.open_connection(host, 80, happy_eyeballs_delay=0.25)
    w.write(b"GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path.encode(), host.encode()))
    await r.readuntil(b"\r\n\r\n")
    with open(out, "wb") as f:
        while (d := await r.read(1 << 16)):
            f.write(d)
asyncio.run(main(*sys.argv[1:4]))
EOF
cat >"$P/udp_idle.py" <<'EOF'
# python: four connected UDP sockets to HOST PORT, each sending its own way
# (send, write, writev, sendmsg without an address), each answered once;
# then SECS of silence; then each sends and waits for its answer again.
# Prints "first WAY SRC", "again_at TIME" (time.time()) and "again WAY SRC"
# (SRC: the address cn saw, or error-ERRNO; WAY also threads and blocked)
import errno, os, socket, sys, threading, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
dst = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_DGRAM)[0][4]
ways = {
    "send": lambda s: s.send(b"x"),
    "write": lambda s: os.write(s.fileno(), b"x"),
    "writev": lambda s: os.writev(s.fileno(), [b"x"]),
    "sendmsg": lambda s: s.sendmsg([b"x"]),
}
def ping(way, s):
    try:
        ways[way](s)
        return s.recv(2048).decode().split()[1]
    except OSError as e:
        return "error-" + errno.errorcode.get(e.errno, str(e.errno))
socks = {}
for way in ways:
    socks[way] = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    socks[way].settimeout(3)
    socks[way].connect(dst)
    print("first", way, ping(way, socks[way]), flush=True)
t = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
t.settimeout(3)
t.connect(dst)
print("first threads", ping("send", t), flush=True)
# one more, on which a thread waits in a blocking recv() all along: the
# lease's end is no error of its, and the answer to the next send reaches it
b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
b.settimeout(3)
b.connect(dst)
print("first blocked", ping("send", b), flush=True)
b.settimeout(None)
blocked = []
def wait_blocked():
    try:
        blocked.append(b.recv(2048).decode().split()[1])
    except OSError as e:
        blocked.append("error-" + errno.errorcode.get(e.errno, str(e.errno)))
bt = threading.Thread(target=wait_blocked, daemon=True)
bt.start()
time.sleep(secs)
print("again_at", time.time(), flush=True)
# four threads send on one socket at once, first (its lease is asked of
# the agent, which takes a while): one connects it again, the others must
# neither fail nor lease it a second time
errs, go = [], threading.Barrier(4)
def one():
    go.wait()
    try:
        t.send(b"t")
    except OSError as e:
        errs.append(errno.errorcode.get(e.errno, str(e.errno)))
ths = [threading.Thread(target=one) for _ in range(4)]
for th in ths: th.start()
for th in ths: th.join()
srcs = set()
try:
    for _ in range(4 - len(errs)):
        srcs.add(t.recv(2048).decode().split()[1])
except OSError as e:
    errs.append("recv-" + errno.errorcode.get(e.errno, str(e.errno)))
print("again threads", ",".join(sorted(srcs)) or "none", "errors", ",".join(errs) or "none",
      flush=True)
for way, s in socks.items():
    print("again", way, ping(way, s), flush=True)
try:
    b.send(b"b")
except OSError as e:
    print("again blocked-send error-" + errno.errorcode.get(e.errno, str(e.errno)), flush=True)
bt.join(5)
print("again blocked", blocked[0] if blocked else "none", flush=True)
EOF
cat >"$P/udp_poll.py" <<'EOF'
# python: a connected, blocking UDP socket to HOST PORT, answered once;
# then SECS of poll() (500 ms at a time) and a recv() each time poll says
# readable; then it sends and is answered again. Prints "first SRC",
# "woken ERRNO|data" for each readable poll, "again SRC". With "idle", one
# thread more that only sleeps: the socket's is still the only sender.
import errno, select, socket, sys, threading, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
if sys.argv[4:] == ["idle"]:
    threading.Thread(target=time.sleep, args=(secs + 30,), daemon=True).start()
dst = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_DGRAM)[0][4]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.connect(dst)
s.send(b"p")
print("first", s.recv(2048).decode().split()[1], flush=True)
p = select.poll()
p.register(s, select.POLLIN)
end = time.time() + secs
while time.time() < end:
    if p.poll(500):
        try:
            s.recv(2048)
            print("woken data", flush=True)
        except OSError as e:
            print("woken", errno.errorcode.get(e.errno, str(e.errno)), flush=True)
s.send(b"p")
if p.poll(3000):
    print("again", s.recv(2048).decode().split()[1], flush=True)
EOF
cat >"$P/udp_queued.py" <<'EOF'
# python, one thread: a connected UDP socket to HOST PORT sends once and
# leaves the answer unread for SECS; then a receive without waiting.
# Prints "queued SRC" (the answer's) or "queued ERRNO".
import errno, socket, sys, time
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
dst = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_DGRAM)[0][4]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.connect(dst)
s.send(b"q")
time.sleep(secs)
s.setblocking(False)
try:
    print("queued", s.recv(2048).decode().split()[1], flush=True)
except OSError as e:
    print("queued", errno.errorcode.get(e.errno, str(e.errno)), flush=True)
EOF
if ((HAVE_JAVA)); then
	javac -d "$P" "$P/Prog.java"
fi

# ---------------------------------------------------------------- 1. transfers across a move
# 32 MiB at 4 MB/s: 8 s a download, of which the move takes a moment in
# the middle; the UDP streams last 6 s.
RATE=4m
URL="http://cn.example.test${BIGFILE_URL_PATH}?rate=$RATE"
N_UDP=300
declare -A PID=() OUTF=()
# start NAME FILE CMD... - CMD on mn under the shim, in the background
start() {
	local name=$1 file=$2
	shift 2
	OUTF[$name]=$file
	odm_shim_bg "$@" >"$P/$name.log" 2>&1
	PID[$name]=$ODM_BG_PID
}
if ((HAVE_NODE)); then
	start node "$P/node.bin" node "$P/get.js" "$URL&who=node" "$P/node.bin"
	start node-udp "" node "$P/udp.js" cn.example.test "$UDP_PORT" "$N_UDP"
	# non-persistent: a plain address, whose socket fails when it goes
	OUTF[node-np]=$P/node-np.bin
	ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		ODM_TYPE=non-persistent node "$P/get.js" "$URL&who=node-np" "$P/node-np.bin" \
		>"$P/node-np.log" 2>&1 &
	PID[node-np]=$!
fi
if ((HAVE_JAVA)); then
	start java-url "$P/java-url.bin" java -cp "$P" Prog url "$URL&who=java-url" "$P/java-url.bin"
	start java-client "$P/java-client.bin" java -cp "$P" Prog client "$URL&who=java-client" \
		"$P/java-client.bin"
	start java-udp "" java -cp "$P" Prog udp cn.example.test "$UDP_PORT" "$N_UDP"
fi
if ((HAVE_PERL)); then
	start perl "$P/perl.bin" perl "$P/get.pl" cn.example.test \
		"${BIGFILE_URL_PATH}?rate=$RATE&who=perl" "$P/perl.bin"
fi
if ((HAVE_RUBY)); then
	start ruby "$P/ruby.bin" ruby "$P/get.rb" "$URL&who=ruby" "$P/ruby.bin"
fi
start asyncio "$P/asyncio.bin" /usr/bin/python3 "$P/get_asyncio.py" cn.example.test \
	"${BIGFILE_URL_PATH}?rate=$RATE&who=asyncio" "$P/asyncio.bin"
if ((HAVE_ARIA)); then
	# four connections of a quarter each: 1 MB/s each, as long as the others
	start aria2c "$P/aria2c.bin" aria2c -q --async-dns=false -x4 -s4 -k1M \
		--file-allocation=none --allow-overwrite=true -d "$P" -o aria2c.bin \
		"http://cn.example.test${BIGFILE_URL_PATH}?rate=1m&who=aria2c"
fi

# every download under way (a quarter in), every UDP stream answered
under_way() {
	local n f
	for n in "${!OUTF[@]}"; do
		f=${OUTF[$n]}
		if [[ -n $f ]]; then
			[[ -f $f ]] && (($(stat -c %s "$f") >= TOPO_BIGFILE_MB * 1024 * 1024 / 4)) || return 1
		fi
	done
	((HAVE_NODE + HAVE_JAVA == 0)) || [[ $(odm_lease_count) -ge 1 ]]
}
check "every transfer is under way before the move" wait_for 30 under_way
echo "# leases before the move: $(odm_leases)"
topo_move ar2
MOVE_T0=$TOPO_MOVE_T0

# The non-persistent download first: it must end right after the move.
if [[ -n ${PID[node-np]:-} ]]; then
	rc=0
	wait "${PID[node-np]}" || rc=$?
	NP_MS=$((($(date +%s%N) - MOVE_T0) / 1000000))
	check "node non-persistent: fails when the move takes its address (rc $rc, $(tr '\n' ' ' <"$P/node-np.log"))" \
		test "$rc" -ne 0
	check "node non-persistent: within 3 s of the move, not hung ($NP_MS ms)" test "$NP_MS" -le 3000
	src=$(sed -n 's/^local //p' "$P/node-np.log")
	check "node non-persistent: it had mn's access address on ar1 (${src:-none})" \
		same_addr "${src:-::}" "$MN_ADDR1"
	unset "PID[node-np]" "OUTF[node-np]"
fi
for n in $(printf '%s\n' "${!PID[@]}" | sort); do
	rc=0
	timeout 60 tail --pid="${PID[$n]}" -f /dev/null || true
	wait "${PID[$n]}" || rc=$?
	f=${OUTF[$n]}
	if [[ -n $f ]]; then
		check "$n: exits 0 after the move (rc $rc)" test "$rc" -eq 0
		check "$n: the sha256 of its download matches" \
			test "$(topo_sha256 "$f" 2>/dev/null)" = "$BIGFILE_SHA256"
		c=$(client_of "$n")
		check "$n: nginx on cn saw it from a CHoA (${c:-none})" is_choa "$c"
	else
		# sent N got G srcs A[,B]
		read -r _ sent _ got _ srcs < <(grep '^sent ' "$P/$n.log" || echo "sent 0 got 0 srcs -")
		echo "$n: sent $sent, got $got back, from $srcs"
		check "$n: exits 0 (rc $rc)" test "$rc" -eq 0
		check "$n: its datagrams came back across the move ($got of $N_UDP)" \
			test "$sent" -eq "$N_UDP" -a "$got" -ge $((N_UDP - 10))
		check "$n: cn saw them all from one CHoA ($srcs)" is_choa "${srcs%%,*}"
		check "$n: and from no other address" test "${srcs%%,*}" = "$srcs"
	fi
done
if ((HAVE_ARIA)); then
	n=$(grep -c 'who=aria2c' "$ODM_RUNDIR/cn/nginx-tcp/access.log" || true)
	choas=$(awk '/who=aria2c/ { print $1 }' "$ODM_RUNDIR/cn/nginx-tcp/access.log" | sort -u)
	check "aria2c: its $n requests all came from CHoAs ($(tr '\n' ' ' <<<"$choas"))" \
		all_choas "$choas"
	check "aria2c: and it made them over several connections" test "$n" -ge 2
fi

# ---------------------------------------------------------------- 2. a UDP lease that ends idle
# Java's socket falls silent past udp-inactivity: the agent ends the lease
# and its sockets, which the shim keeps from the program (a receive fails
# for no UDP program); the datagram it sends then is
# leased anew and answered, never sent from the ended address, which the
# host no longer has (the kernel would, outside the tunnel).
# Beside it, python's connected sockets fall silent too, not receiving:
# the agent's ending of the lease disconnects them, and each of their ways
# to send without an address must still work, leased anew (connected again
# by the shim), and be answered with no error left over.
IDLE_S=$((ODM_UDP_INACTIVITY + ODM_GRACE_S + ODM_TICK_S + 4))
# (in the background as odm_shim_bg runs them: a failure is the checks' to
# say, not the ERR trap's)
odm_shim_bg timeout 40 /usr/bin/python3 "$P/udp_idle.py" cn.example.test "$UDP_PORT" "$IDLE_S" \
	>"$P/py-idle.log" 2>&1
PY_IDLE_PID=$ODM_BG_PID
if ((HAVE_NODE)); then
	odm_shim_bg timeout 40 node "$P/idle.js" cn.example.test "$UDP_PORT" "$IDLE_S" \
		>"$P/node-idle.log" 2>&1
	NODE_IDLE_PID=$ODM_BG_PID
fi
odm_shim_bg timeout 40 /usr/bin/python3 "$P/udp_poll.py" cn.example.test "$UDP_PORT" "$IDLE_S" \
	>"$P/py-poll.log" 2>&1
PY_POLL_PID=$ODM_BG_PID
odm_shim_bg timeout 40 /usr/bin/python3 "$P/udp_poll.py" cn.example.test "$UDP_PORT" "$IDLE_S" idle \
	>"$P/py-poll2.log" 2>&1
PY_POLL2_PID=$ODM_BG_PID
odm_shim_bg timeout 40 /usr/bin/python3 "$P/udp_queued.py" cn.example.test "$UDP_PORT" "$IDLE_S" \
	>"$P/py-queued.log" 2>&1
PY_QUEUED_PID=$ODM_BG_PID
if ((HAVE_JAVA)); then
	rc=0
	odm_shim timeout 40 java -cp "$P" Prog idle cn.example.test "$UDP_PORT" \
		$((ODM_UDP_INACTIVITY + ODM_GRACE_S + ODM_TICK_S + 4)) >"$P/java-idle.log" 2>&1 || rc=$?
	first=$(sed -n 's/^first //p' "$P/java-idle.log")
	again=$(sed -n 's/^again //p' "$P/java-idle.log")
	echo "java idle: rc $rc, $(tr '\n' ' ' <"$P/java-idle.log")"
	check "java UDP: its first datagram came back from a CHoA (${first:-none})" is_choa "$first"
	check "java UDP idle past udp-inactivity: its receive saw no error, only silence" \
		grep -q '^idle: timed out' "$P/java-idle.log"
	check "java UDP: its next datagram was answered, from a CHoA (${again:-none})" is_choa "$again"
	check "java UDP: a new one, not the ended ${first:-none}" other_addr "${again:-::}" "${first:-::}"
	again2=$(sed -n 's/^again2 //p' "$P/java-idle.log")
	check "java UDP: its second socket, on the same lease, too (${again2:-none})" \
		is_choa "$again2"
	check "java UDP: and not from the ended address either" other_addr "${again2:-::}" "${first:-::}"
fi

rc=0
wait "$PY_IDLE_PID" || rc=$?
echo "python connected UDP idle: rc $rc, $(tr '\n' ' ' <"$P/py-idle.log")"
check "python connected UDP: exits 0 (rc $rc)" test "$rc" -eq 0
pfirst=$(awk '$1 == "first" && $2 == "send" { print $3 }' "$P/py-idle.log")
check "python connected UDP: answered first from a CHoA (${pfirst:-none})" is_choa "$pfirst"
for way in send write writev sendmsg; do
	f=$(awk -v w="$way" '$1 == "first" && $2 == w { print $3 }' "$P/py-idle.log")
	a=$(awk -v w="$way" '$1 == "again" && $2 == w { print $3 }' "$P/py-idle.log")
	check "python connected UDP, $way: its first datagram on the same lease (${f:-none})" \
		same_addr "${f:-::}" "${pfirst:-::1}"
	check "python connected UDP, $way: after the idle end, answered from a CHoA (${a:-none})" \
		is_choa "$a"
	check "python connected UDP, $way: a new one, not the ended ${pfirst:-none}" \
		other_addr "${a:-::}" "${pfirst:-::}"
done
b=$(awk '$1 == "again" && $2 == "blocked" { print $3 }' "$P/py-idle.log")
check "python connected UDP, a thread in a blocking recv() across the idle end: not failed, given the answer to the next send, from a CHoA (${b:-none})" \
	is_choa "$b"
check "not from the ended ${pfirst:-none}" other_addr "${b:-::}" "${pfirst:-::}"
read -r _ _ tsrc _ terrs < <(grep '^again threads ' "$P/py-idle.log") || true
check "python connected UDP, four threads sending at once after the idle end: none failed (${terrs:-none ran})" \
	test "${terrs:-x}" = none
check "and all answered from one new CHoA (${tsrc:-none})" is_choa "${tsrc:-}"
check "not the ended ${pfirst:-none}" other_addr "${tsrc:-::}" "${pfirst:-::}"
# (another process may have had the same lease meanwhile: Java's above)
again_at=$(awk '$1 == "again_at" { print $2 }' "$P/py-idle.log")
n=$(awk -v a="${pfirst:-none}" -v t="${again_at:-0}" '$1 == "from" && $2 == a && $3 >= t' \
	"$ODM_DIR/udp-echo.log" | wc -l)
check "after the idle end (${again_at:-never}), cn saw nothing from the ended ${pfirst:-none} ($n)" \
	test -n "$again_at" -a "$n" -eq 0
# polling a blocking socket: told readable by the agent's ending, its
# recv() returns (EAGAIN, as at a timeout) rather than wait for a datagram
# that cannot come before its own next send: in a process of one thread,
# and in one whose other thread never sends (the socket's lease was its
# thread's own)
poll_checks() { # PID LOG WHAT
	local rc=0 f a
	wait "$1" || rc=$?
	echo "python $3, poll() then a blocking recv(): rc $rc, $(tr '\n' ' ' <"$2")"
	f=$(sed -n 's/^first //p' "$2")
	a=$(sed -n 's/^again //p' "$2")
	check "python poll() then blocking recv(), $3: exits 0, no hang (rc $rc)" test "$rc" -eq 0
	check "its recv() after the idle end returned EAGAIN, not ECONNABORTED" \
		grep -qx 'woken EAGAIN' "$2"
	check "and its next send was answered from a new CHoA (${a:-none})" is_choa "$a"
	check "not the ended ${f:-none}" other_addr "${a:-::}" "${f:-::}"
}
poll_checks "$PY_POLL_PID" "$P/py-poll.log" "one thread"
poll_checks "$PY_POLL2_PID" "$P/py-poll2.log" "a second thread that never sends"
# an answer that came before the ending, unread: a receive gets it (the
# ending's error is taken in front of it), not EAGAIN as if none had come
rc=0
wait "$PY_QUEUED_PID" || rc=$?
echo "python answer left unread across the idle end: rc $rc, $(tr '\n' ' ' <"$P/py-queued.log")"
q=$(sed -n 's/^queued //p' "$P/py-queued.log")
check "python answer left unread across the idle end: received after it (${q:-none})" is_choa "$q"
if ((HAVE_NODE)); then
	rc=0
	wait "$NODE_IDLE_PID" || rc=$?
	echo "node dgram idle: rc $rc, $(tr '\n' ' ' <"$P/node-idle.log")"
	check "node dgram idle past udp-inactivity, no 'error' handler: it lived on (rc $rc)" \
		test "$rc" -eq 0
	for w in u c; do
		f=$(awk -v w="$w" '$1 == "first" && $2 == w { print $3 }' "$P/node-idle.log")
		a=$(awk -v w="$w" '$1 == "again" && $2 == w { print $3 }' "$P/node-idle.log")
		[[ $w = u ]] && what=unconnected || what=connected
		check "node dgram $what: answered first from a CHoA (${f:-none})" is_choa "$f"
		check "node dgram $what: after the idle end, from a new CHoA (${a:-none})" is_choa "$a"
		check "node dgram $what: not the ended ${f:-none}" other_addr "${a:-::}" "${f:-::}"
	done
fi

# ---------------------------------------------------------------- 3. one exchange each
GET='GET /index.html?who=%s HTTP/1.0\r\nHost: cn.example.test\r\n\r\n'
# udp_src CMD... - the source cn echoed to CMD (reads "echo ADDR")
udp_src() { odm_shim timeout 10 "$@" 2>/dev/null | sed -n 's/^echo //p' | head -n1; }
if ((HAVE_SOCAT)); then
	# shellcheck disable=SC2059 # (the format is ours)
	printf "$GET" socat | odm_shim timeout 10 socat - TCP6:cn.example.test:80 >"$P/socat.out" 2>&1 || true
	check "socat TCP6: answered" grep -q '^HTTP/1.1 200' "$P/socat.out"
	c=$(client_of socat)
	check "socat TCP6: from a CHoA (${c:-none})" is_choa "$c"
	src=$(echo ping | udp_src socat -T2 - UDP6-SENDTO:cn.example.test:$UDP_PORT)
	check "socat UDP6-SENDTO (unconnected): cn saw a CHoA (${src:-none})" is_choa "$src"
	src=$(echo ping | udp_src socat -T2 - UDP6:cn.example.test:$UDP_PORT)
	check "socat UDP6 (connected): cn saw a CHoA (${src:-none})" is_choa "$src"
fi
if ((HAVE_NC)); then
	# shellcheck disable=SC2059
	printf "$GET" nc | odm_shim timeout 10 nc -6 -N cn.example.test 80 >"$P/nc.out" 2>&1 || true
	check "nc -6: answered" grep -q '^HTTP/1.1 200' "$P/nc.out"
	c=$(client_of nc)
	check "nc -6: from a CHoA (${c:-none})" is_choa "$c"
	src=$(echo ping | udp_src nc -6 -u -w1 cn.example.test "$UDP_PORT")
	check "nc -6 -u: cn saw a CHoA (${src:-none})" is_choa "$src"
fi
if ((HAVE_SOCAT)); then
	# TLS: a socat server on cn answers each connection with the address it
	# came from; openssl s_client talks to it
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=cn.example.test -keyout "$P/tls.key" -out "$P/tls.crt" 2>/dev/null
	topo_spawn cn tls "$P/tls.log" socat \
		"OPENSSL-LISTEN:4433,pf=ip6,fork,reuseaddr,cert=$P/tls.crt,key=$P/tls.key,verify=0" \
		"SYSTEM:echo peer \$SOCAT_PEERADDR"
	TLS_PID=$TOPO_SPAWNED_PID
	topo_wait_listen cn 4433 10
	odm_shim timeout 10 openssl s_client -connect cn.example.test:4433 -quiet </dev/null \
		>"$P/tls.out" 2>&1 || true
	src=$(sed -n 's/^peer \[\{0,1\}\([0-9a-f:]*\)\]\{0,1\}$/\1/p' "$P/tls.out" | head -n1)
	check "openssl s_client: the TLS server saw a CHoA (${src:-none})" is_choa "$src"
	topo_kill "$TLS_PID"
fi
if ((HAVE_GIT)); then
	# a bare repository served as files (dumb HTTP), one commit of 1 MiB
	W=$P/work
	git init -q "$W"
	head -c 1048576 /dev/urandom >"$W/blob"
	git -C "$W" add blob
	git -C "$W" -c user.name=odm -c user.email=odm@example.test commit -qm one
	git clone -q --bare "$W" "$ODM_RUNDIR/www/r.git"
	git -C "$ODM_RUNDIR/www/r.git" update-server-info
	rc=0
	odm_shim timeout 30 git clone -q http://cn.example.test/r.git "$P/clone" >"$P/git.log" 2>&1 || rc=$?
	check "git clone over dumb HTTP: rc $rc, the same file" cmp -s "$W/blob" "$P/clone/blob"
	choas=$(awk '/GET \/r\.git\// { print $1 }' "$ODM_RUNDIR/cn/nginx-tcp/access.log" | sort -u)
	check "git clone: all its requests from CHoAs ($(tr '\n' ' ' <<<"$choas"))" \
		all_choas "$choas"
fi

# ---------------------------------------------------------------- 4. a dual-stack name
# cn46 has an A and an AAAA record (and a cha record): a program that
# takes getaddrinfo's order connects over IPv6 and is leased; Java, and
# socat's TCP: address, prefer IPv4 and are not, unless told otherwise
# (odm(7) CAVEATS): what odm(7) names as the remedy works.
nsq dns nsupdate -k "$TSIG_KEYFILE" <<EOF
server $DNS_ADDR
zone $DNS_ZONE
update add cn46.$DNS_ZONE 30 A $CN_ADDR4
update add cn46.$DNS_ZONE 30 AAAA $CN_ADDR
update add cha.cn46.$DNS_ZONE 30 AAAA $CHA_ADDR
send
EOF
# nginx logs an IPv4 client as itself
V4_SEEN=$MN_ADDR4_2
U46="http://cn46.$DNS_ZONE/index.html?who"
# get46 WHO CMD... - run CMD (which fetches U46=WHO); print the address
# cn saw the request come from
get46() {
	local who=$1
	shift
	odm_shim timeout 20 "$@" >"$P/$who.out" 2>&1 || true
	client_of "$who"
}
if ((HAVE_NODE)); then
	c=$(get46 node46 node -e "require('http').get('$U46=node46', (r) => r.resume())")
	check "node, dual-stack name: over IPv6, from a CHoA (${c:-none})" is_choa "$c"
fi
if ((HAVE_PERL)); then
	c=$(get46 perl46 perl "$P/get.pl" "cn46.$DNS_ZONE" "/index.html?who=perl46" "$P/perl46.body")
	check "perl, dual-stack name: from a CHoA (${c:-none})" is_choa "$c"
fi
if ((HAVE_RUBY)); then
	c=$(get46 ruby46 ruby "$P/get.rb" "$U46=ruby46" "$P/ruby46.body")
	check "ruby, dual-stack name: from a CHoA (${c:-none})" is_choa "$c"
fi
c=$(get46 asyncio46 /usr/bin/python3 "$P/get_asyncio.py" "cn46.$DNS_ZONE" \
	"/index.html?who=asyncio46" "$P/asyncio46.body")
check "python asyncio, dual-stack name: from a CHoA (${c:-none})" is_choa "$c"
if ((HAVE_JAVA)); then
	c=$(get46 java46 java -cp "$P" Prog url "$U46=java46" "$P/java46.body")
	check "java, dual-stack name: IPv4 by default, not leased (${c:-none})" test "$c" = "$V4_SEEN"
	c=$(get46 java46v6 java -Djava.net.preferIPv6Addresses=true -cp "$P" Prog url \
		"$U46=java46v6" "$P/java46v6.body")
	check "java -Djava.net.preferIPv6Addresses=true: from a CHoA (${c:-none})" is_choa "$c"
fi
if ((HAVE_SOCAT)); then
	for how in socat46:"" socat46pf:",pf=ip6"; do
		# shellcheck disable=SC2059 # (the format is ours)
		printf "${GET/cn.example.test/cn46.$DNS_ZONE}" "${how%%:*}" |
			odm_shim timeout 10 socat - "TCP:cn46.$DNS_ZONE:80${how#*:}" >/dev/null 2>&1 || true
	done
	c=$(client_of socat46)
	check "socat TCP:, dual-stack name: IPv4, not leased (${c:-none})" test "$c" = "$V4_SEEN"
	c=$(client_of socat46pf)
	check "socat TCP:...,pf=ip6: from a CHoA (${c:-none})" is_choa "$c"
fi

no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
check "every lease ends once the programs are gone" wait_for 15 no_lease

# ---------------------------------------------------------------- 5. the agent stops under a stream
# A clean stop ends every lease and takes its address off the host; a UDP
# socket still sending would go on from that address, which the kernel
# allows, outside the tunnel and unanswered. The agent ends the socket,
# the shim's next look finds the address gone, and the program, which
# named its type, gets errors: nothing more leaves from the ended CHoA.
# So does a TCP download on a leased address: its connection could only
# retransmit into the void until curl's own timeout; it is ended at once.
if ((HAVE_JAVA)); then
	start java-stop "" java -cp "$P" Prog udp cn.example.test "$UDP_PORT" 200
	wait_for 15 odm_has_lease || true
	STOPPED_CHOA=$(odm_lease_addr)
	odm_download stop-tcp 200k 40
	wait_for 10 test -s "$OUT" || true
	sleep 1
	STOP_T=$EPOCHREALTIME
	topo_kill "$MN_AGENT_PID"
	rc=0
	wait "${PID[java-stop]}" || rc=$?
	rc_tcp=0
	wait "$CURL_PID" || rc_tcp=$?
	tcp_ms=$(((${EPOCHREALTIME/./} - ${STOP_T/./}) / 1000))
	check "a TCP download on a lease the stop ended fails at once (curl rc $rc_tcp, $tcp_ms ms after)" \
		test "$rc_tcp" -ne 0 -a "$tcp_ms" -lt 10000
	late=$(awk -v a="${STOPPED_CHOA:-none}" -v t="$STOP_T" \
		'$1 == "from" && $2 == a && $3 > t + 0.05 { n++ } END { print n + 0 }' \
		"$ODM_DIR/udp-echo.log")
	echo "java stream when the agent stopped: rc $rc, $(grep -c "from ${STOPPED_CHOA:-none} " \
		"$ODM_DIR/udp-echo.log") datagrams from ${STOPPED_CHOA:-none} in all"
	check "the agent stopped under a UDP stream: no datagram left from its ended CHoA ($late)" \
		test -n "$STOPPED_CHOA" -a "$late" -eq 0
	check "and the program heard of it (rc $rc: its send failed)" test "$rc" -ne 0
fi
check_summary test_programs
