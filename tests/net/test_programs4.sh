#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_programs4.sh - servers and daemons on the moving host under the shim
# (ODM_TYPE=session-lasting and ODM_SOCKET in the environment, nothing else
# changed), reached by cn at mn's Fixed address (ha is the home anchor),
# and more clients on mn; all across one move of mn from ar1 to ar2.
#
#   1. at the same time, across the move, each on one connection that must
#      stay, its data whole:
#      - nginx on mn, two worker processes on SO_REUSEPORT sockets,
#        sendfile on: curl on cn downloads BIGFILE from it (paced by
#        limit_rate), the stall across the move measured on cn; and through
#        its proxy_pass to cn's nginx by name: nginx's workers clear their
#        environment (only TZ is kept, nginx's env directive), so the shim
#        must have kept ODM_SOCKET and ODM_TYPE as they were when it was loaded, or the
#        worker looks for the agent at the default path and its upstream
#        connect fails (odm(7) ENVIRONMENT); with its workers as
#        www-data (Debian's user directive), who may not open the agent's
#        control socket here, the proxy_pass fails (502), as odm(7) says;
#      - haproxy (TCP) and stunnel (TLS in, plain out) on mn, each relaying
#        a paced download from cn's nginx, whose upstream connection takes
#        a CHoA;
#      - sshd on mn: a session from cn answering before and after;
#      - systemd-socket-activate handing its listening socket to a python
#        server (LISTEN_FDS): a line before and after on one connection;
#      - memcached: a key set before, read after, on one connection;
#      - socat inetd-style (fork, then a shell per connection): a line
#        before and after answered by the same child;
#      - dnsmasq: a question before and after on one TCP connection; one
#        over UDP answered from the Fixed address it came to;
#      - wrk on mn, four connections to cn's nginx: no error, all from one
#        CHoA.
#   2. one exchange each, from a CHoA: httpie, wget2, h2load (HTTP/1.1),
#      telnet, python's httpx and aiohttp (Debian's python3), and a python
#      program that empties its environment (os.environ.clear()) before it
#      resolves and connects; gRPC (python3-grpcio) to a server on cn
#      with GRPC_DNS_RESOLVER=native (getaddrinfo): without it gRPC
#      resolves with a c-ares of its own, and its Session-lasting socket
#      gets an address of the home anchor, as odm(7) says; ngtcp2's QUIC
#      client, which binds its UDP socket to the source its route names,
#      keeps it (plain, odm(7)) and ODM_DEBUG says so; curl
#      --tcp-fastopen twice to an nginx on cn with fastopen: the second
#      SYN carries the request, from a CHoA; nmap -6 -sT of three ports of cn finds the open one. A program that resolves, then chroots to an empty
#      directory, then connects fails with EADDRNOTAVAIL (odm(7) CAVEATS:
#      the shim's libraries and the agent are out of its reach).
#   Then every Session-lasting lease ends once the programs are gone.
#
# nginx, named, radvd, python3, curl and tshark are needed (the test is
# skipped without them); any other program that is not installed is said
# and left out (# skip). Each client is bounded in time (timeout, or its
# own limit), so a hang fails its check rather than the run. sshd wants its privilege separation
# directory, /run/sshd: made if missing. Exit 0 pass, 1 fail, 77 skip.
# run-all: alone (it makes /run/sshd outside its namespaces, and seven servers on mn and six clients run across a move)
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_programs4 "network namespaces, TUN, raw sockets" ip ss nginx named radvd python3 curl tshark

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-16}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/programs.sh"
trap 'check_on_err test_programs4' ERR

# Debian's python, with Debian's python3-httpx and python3-aiohttp
PY=/usr/bin/python3
py_has() { "$PY" -c "import $1"; }
HAVE_HAPROXY=0 HAVE_STUNNEL=0 HAVE_SSH=0 HAVE_SACT=0 HAVE_MC=0 HAVE_WRK=0 HAVE_SOCAT=0 HAVE_DNSMASQ=0
have haproxy command -v haproxy && HAVE_HAPROXY=1
have stunnel4 command -v stunnel4 && HAVE_STUNNEL=1
have "ssh and sshd" have_all ssh ssh-keygen /usr/sbin/sshd && HAVE_SSH=1
have systemd-socket-activate command -v systemd-socket-activate && HAVE_SACT=1
have memcached command -v memcached && HAVE_MC=1
have socat command -v socat && HAVE_SOCAT=1
have "dnsmasq (dnsmasq-base)" test -x /usr/sbin/dnsmasq && HAVE_DNSMASQ=1
have wrk command -v wrk && HAVE_WRK=1
declare -A ONE=()
have httpie command -v http && ONE[httpie]="http --ignore-stdin -b GET http://cn.example.test/index.html?who=httpie"
have wget2 command -v wget2 && ONE[wget2]="wget2 -q -O /dev/null http://cn.example.test/index.html?who=wget2"
have "h2load (nghttp2-client)" command -v h2load &&
	ONE[h2load]="h2load --h1 -n 4 -c 1 http://cn.example.test/index.html?who=h2load"
have telnet command -v telnet &&
	ONE[telnet]="sh -c '(printf \"GET /index.html?who=telnet HTTP/1.0\\r\\n\\r\\n\"; sleep 1) | telnet cn.example.test 80'"
have "python3-httpx" py_has httpx &&
	ONE[httpx]="$PY -c 'import httpx; print(httpx.get(\"http://cn.example.test/index.html?who=httpx\").status_code)'"
have "python3-aiohttp" py_has aiohttp &&
	ONE[aiohttp]="$PY -c 'import aiohttp, asyncio
async def get():
    async with aiohttp.ClientSession() as s:
        async with s.get(\"http://cn.example.test/index.html?who=aiohttp\") as r:
            print(r.status)
asyncio.run(get())'"
HAVE_NMAP=0 HAVE_GRPC=0 HAVE_QUIC=0
have nmap command -v nmap && HAVE_NMAP=1
have "python3-grpcio" py_has grpc && HAVE_GRPC=1
have "ngtcp2's gtlsclient and gtlsserver" have_all gtlsclient /usr/sbin/gtlsserver && HAVE_QUIC=1

topo_up
export ODM_MN_HOME_DISCOVERY=on
odm__dir
odm_keygen mn
odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL"
odm_agents_up
P=$ODM_DIR/programs
mkdir -p "$P"
RATE=2m
check "mn holds a Fixed address from ha" wait_for 8 has_fixed
F=$(fixed)
sha_ok() { [[ $(topo_sha256 "$1" 2>/dev/null) == "$BIGFILE_SHA256" ]]; }
# rc_choa RC ADDR - a program exited 0 and its server saw it from ADDR, a CHoA
rc_choa() { [[ $1 -eq 0 ]] && is_choa "$2"; }

# serve NAME CMD... - a server on mn under the shim, as a user starts one
serve() {
	local n=$1
	shift
	topo_spawn mn "$n" "$P/$n.log" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
		ODM_TYPE=session-lasting "$@"
}
# from_cn NAME CMD... - CMD on cn in the background, writing $P/NAME.out
# and .err; PID[NAME]
declare -A PID=()
from_cn() {
	local n=$1
	shift
	nsq cn "$@" >"$P/$n.out" 2>"$P/$n.err" &
	PID[$n]=$!
}
rc_of() {
	RC=0
	wait "${PID[$1]}" || RC=$?
}

# ---------------------------------------------------------------- servers on mn
N=$P/nginx
mkdir -p "$N/tmp"
cat >"$N/nginx.conf" <<EOF
user root;
worker_processes 2;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log info;
events { worker_connections 64; }
http {
	access_log $N/access.log;
	client_body_temp_path $N/tmp;
	proxy_temp_path $N/tmp;
	fastcgi_temp_path $N/tmp;
	uwsgi_temp_path $N/tmp;
	scgi_temp_path $N/tmp;
	sendfile on;
	server {
		listen [::]:8082 reuseport;
		root $ODM_RUNDIR/www;
		# limit_rate paces by sleeping between chunks: sendfile's 2 MiB
		# chunks would leave gaps of a second, hiding the move's stall
		sendfile_max_chunk 16k;
		location / { limit_rate $RATE; }
		location /px/ { proxy_pass http://cn.example.test/; proxy_buffering off; }
	}
}
EOF
serve nginx nginx -p "$N" -c "$N/nginx.conf"
topo_wait_listen mn 8082 10
# the same proxy with nginx's workers as www-data (Debian's user directive),
# who may not open the agent's control socket here (odm(7) CAVEATS)
HAVE_WWW=0
if id www-data >/dev/null 2>&1; then
	HAVE_WWW=1
	W=$P/nginx-www
	mkdir -p "$W/tmp"
	sed -e "s|^user root;|user www-data;|" -e "s|worker_processes 2;|worker_processes 1;|" \
		-e "s|$N|$W|g" -e "s|listen \[::\]:8082 reuseport;|listen [::]:8083;|" \
		"$N/nginx.conf" >"$W/nginx.conf"
	serve nginx-www nginx -p "$W" -c "$W/nginx.conf"
	topo_wait_listen mn 8083 10
fi
if ((HAVE_HAPROXY)); then
	cat >"$P/haproxy.cfg" <<-EOF
		defaults
		  mode tcp
		  timeout connect 5s
		  timeout client 60s
		  timeout server 60s
		frontend f
		  bind [::]:8090
		  default_backend b
		backend b
		  server cn cn.example.test:80
	EOF
	serve haproxy haproxy -db -f "$P/haproxy.cfg"
	topo_wait_listen mn 8090 10
fi
if ((HAVE_STUNNEL)); then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=mn -keyout "$P/stunnel.key" -out "$P/stunnel.crt" 2>/dev/null
	cat >"$P/stunnel.conf" <<-EOF
		foreground = yes
		pid =
		[relay]
		accept = :::8443
		connect = cn.example.test:80
		cert = $P/stunnel.crt
		key = $P/stunnel.key
	EOF
	serve stunnel stunnel4 "$P/stunnel.conf"
	topo_wait_listen mn 8443 10
fi
if ((HAVE_SSH)); then
	S=$P/ssh
	sshd_files "$S"
	serve sshd /usr/sbin/sshd -D -e -f "$S/sshd_config"
	topo_wait_listen mn 2222 10
fi
if ((HAVE_SACT)); then
	# the server gets its listening socket as fd 3 (sd_listen_fds(3))
	cat >"$P/activated.py" <<-'EOF'
		import os, socket
		assert os.environ["LISTEN_FDS"] == "1"
		s = socket.socket(fileno=3)
		while True:
		    c, _ = s.accept()
		    f = c.makefile("rwb", buffering=0)
		    for line in f:
		        f.write(b"activated " + line.strip() + b"\n")
		    c.close()
	EOF
	serve activate systemd-socket-activate -l '[::]:7300' "$PY" "$P/activated.py"
	topo_wait_listen mn 7300 10
fi
if ((HAVE_MC)); then
	serve memcached memcached -u root -l :: -p 11211 -U 0
	topo_wait_listen mn 11211 10
fi
if ((HAVE_SOCAT)); then
	# inetd-style: a child forked per connection runs a shell that answers
	# each line with its own pid
	# shellcheck disable=SC2016 # (the server's shell's variables)
	serve socat socat TCP6-LISTEN:7200,fork,reuseaddr 'SYSTEM:while read -r l; do echo "inetd $l $$"; done'
	topo_wait_listen mn 7200 10
fi
if ((HAVE_DNSMASQ)); then
	serve dnsmasq /usr/sbin/dnsmasq -k --user=root --no-resolv --no-hosts --port 5353 \
		--address=/x.test/2001:db8::99
	topo_wait_listen mn 5353 10
fi

# ---------------------------------------------------------------- 1. across a move
# A client on cn that says LINE1, waits for $P/moved, says LINE2, printing
# each answer (one line, or the memcached answers the request asks for)
cat >"$P/twice.py" <<'EOF'
import os, socket, sys, time
host, port, one, two, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
s = socket.create_connection((host, port), timeout=20)
f = s.makefile("rwb", buffering=0)
def ask(req):
    f.write(req.encode().replace(b"|", b"\r\n"))
    print(f.readline().decode().strip(), flush=True)
    if req.startswith("get"):
        print(f.readline().decode().strip(), flush=True)
        f.readline()
ask(one)
while not os.path.exists(stop):
    time.sleep(0.05)
ask(two)
EOF
# A DNS client on cn: a question for NAME on one TCP connection, another
# once $P/moved is there, printing "tcp N ANSWER LOCALPORT" for each, then
# one over UDP: "udp ANSWER-SOURCE"
cat >"$P/dnsq.py" <<'EOF'
import os, socket, struct, sys, time
host, port, name, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def q(i):
    return struct.pack(">6H", i, 0x0100, 1, 0, 0, 0) + b"".join(
        bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 28, 1)
def full(n):
    d = b""
    while len(d) < n:
        d += s.recv(n - len(d))
    return d
s = socket.create_connection((host, port), timeout=10)
def ask(i):
    m = q(i)
    s.sendall(struct.pack(">H", len(m)) + m)
    d = full(struct.unpack(">H", full(2))[0])
    print("tcp", i, socket.inet_ntop(socket.AF_INET6, d[-16:]), s.getsockname()[1], flush=True)
ask(1)
while not os.path.exists(stop):
    time.sleep(0.05)
ask(2)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.settimeout(3)
u.sendto(q(3), (host, port))
print("udp", u.recvfrom(512)[1][0])
EOF
MOVED=$P/moved
odm_capture cn eth0 "$P/cn.pcap" "tcp src port 8082" 96
from_cn nginx curl -fsS -g --max-time 60 -o "$P/nginx.bin" "http://[$F]:8082${BIGFILE_URL_PATH}"
from_cn proxy curl -fsS -g --max-time 60 -o "$P/proxy.bin" "http://[$F]:8082/px${BIGFILE_URL_PATH}?rate=$RATE&who=proxy"
((HAVE_HAPROXY)) && from_cn haproxy curl -fsS -g --max-time 60 -o "$P/haproxy.bin" \
	"http://[$F]:8090${BIGFILE_URL_PATH}?rate=$RATE&who=haproxy"
((HAVE_STUNNEL)) && from_cn stunnel curl -fsS -g -k --max-time 60 -o "$P/stunnel.bin" \
	"https://[$F]:8443${BIGFILE_URL_PATH}?rate=$RATE&who=stunnel"
# shellcheck disable=SC2016 # (the remote shell's variables)
((HAVE_SSH)) && from_cn ssh ssh -F /dev/null -p 2222 -i "$S/user" -o IdentitiesOnly=yes -o BatchMode=yes \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "root@$F" \
	"echo one \$SSH_CLIENT; while [ ! -e $MOVED ]; do sleep 0.05; done; echo two \$SSH_CLIENT"
((HAVE_SACT)) && from_cn activate "$PY" "$P/twice.py" "$F" 7300 $'one\n' $'two\n' "$MOVED"
((HAVE_SOCAT)) && from_cn socat "$PY" "$P/twice.py" "$F" 7200 $'one\n' $'two\n' "$MOVED"
((HAVE_DNSMASQ)) && from_cn dnsmasq "$PY" "$P/dnsq.py" "$F" 5353 a.x.test "$MOVED"
((HAVE_MC)) && from_cn memcached "$PY" "$P/twice.py" "$F" 11211 'set k 0 0 3|abc|' 'get k|' "$MOVED"
((HAVE_WRK)) && { nsq mn env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" ODM_TYPE=session-lasting \
	timeout 30 wrk -t1 -c4 -d6s 'http://cn.example.test/index.html?who=wrk' >"$P/wrk.out" 2>&1 & PID[wrk]=$!; }

got_mb() { [[ -f $1 ]] && (($(stat -c %s "$1") >= $2 * 1024 * 1024)); }
under_way() {
	local n
	for n in nginx proxy haproxy stunnel; do
		[[ -z ${PID[$n]:-} ]] || got_mb "$P/$n.bin" $((TOPO_BIGFILE_MB / 8)) || return 1
	done
	[[ -z ${PID[ssh]:-} ]] || grep -q '^one ' "$P/ssh.out" || return 1
	[[ -z ${PID[activate]:-} ]] || grep -q '^activated one' "$P/activate.out" || return 1
	[[ -z ${PID[socat]:-} ]] || grep -q '^inetd one' "$P/socat.out" || return 1
	[[ -z ${PID[dnsmasq]:-} ]] || grep -q '^tcp 1 ' "$P/dnsmasq.out" || return 1
	[[ -z ${PID[memcached]:-} ]] || grep -q '^STORED' "$P/memcached.out"
}
check "every transfer and session is under way before the move" wait_for 30 under_way
echo "# leases before the move: $(odm_leases)"
topo_move ar2
T0=$TOPO_MOVE_T0
touch "$MOVED"

rc_of nginx
check "nginx on mn (2 workers, reuseport, sendfile): curl on cn completes after the move (rc $RC)" test "$RC" -eq 0
check "nginx: the sha256 of cn's copy matches" sha_ok "$P/nginx.bin"
odm_capture_stop "$ODM_CAP_PID"
stall=$(odm_stall_ms "$P/cn.pcap" "$T0" 8082)
# the longest gap in the second before the move is what nginx's pacing
# alone leaves
base=$(tshark -r "$P/cn.pcap" -T fields -e frame.time_epoch -Y 'tcp.len > 0' 2>/dev/null |
	awk -v m="$T0" '$1 * 1e9 < m - 50e6' | odm_stall_of_times "$((T0 - 1000000000))")
echo "# nginx on mn: no data for $stall ms across the move (its pacing alone left gaps of up to $base ms in the second before)"
check "nginx: data from mn's Fixed address resumed after the move, stall ${stall} ms (under 1 s)" \
	test "$stall" -ge 0 -a "$stall" -lt 1000
# relayed NAME WHAT - the download through NAME on mn: curl on cn completed
# after the move, its copy whole, and NAME's upstream connection to cn's
# nginx came from a CHoA
relayed() {
	rc_of "$1"
	check "$2: curl on cn completes after the move (rc $RC)" test "$RC" -eq 0
	check "$2: the sha256 of cn's copy matches" sha_ok "$P/$1.bin"
	c=$(client_of "$1")
	check "$2: cn's nginx saw its upstream connection from a CHoA (${c:-none})" is_choa "$c"
}
relayed proxy "nginx's proxy_pass from a worker (environment cleared, $(grep -c 'connect() to' "$N/error.log" || true) upstream connect errors)"
((HAVE_HAPROXY)) && relayed haproxy "haproxy on mn"
((HAVE_STUNNEL)) && relayed stunnel "stunnel on mn"
if ((HAVE_SSH)); then
	rc_of ssh
	read -r _ a1 p1 _ < <(grep '^one ' "$P/ssh.out" || echo "- - - -")
	read -r _ a2 p2 _ < <(grep '^two ' "$P/ssh.out" || echo "- - - -")
	check "sshd on mn: the session from cn exits 0 (rc $RC$(tail -n1 "$P/ssh.err" | sed 's/^/, /'))" test "$RC" -eq 0
	check "sshd: answered after the move on the same connection ($a2 port $p2)" \
		test "$a2 $p2" = "$a1 $p1" -a "$p1" != -
fi
if ((HAVE_SACT)); then
	rc_of activate
	check "socket-activated server on mn: a line after the move on the same connection (rc $RC, $(tr '\n' ' ' <"$P/activate.out"))" \
		test "$RC" -eq 0 -a "$(cat "$P/activate.out")" = $'activated one\nactivated two'
fi
if ((HAVE_SOCAT)); then
	rc_of socat
	read -r _ _ p1 < <(grep '^inetd one ' "$P/socat.out" || echo "- - -")
	read -r _ _ p2 < <(grep '^inetd two ' "$P/socat.out" || echo "- - -")
	check "socat inetd-style (fork, SYSTEM) on mn: a line after the move answered by the same child (rc $RC, pid $p1 then $p2)" \
		test "$RC" -eq 0 -a "$p1" = "$p2" -a "$p1" != -
fi
if ((HAVE_DNSMASQ)); then
	rc_of dnsmasq
	check "dnsmasq on mn: a question after the move answered on the same TCP connection, and one over UDP from the Fixed address (rc $RC, $(tr '\n' ' ' <"$P/dnsmasq.out"))" \
		test "$RC" -eq 0 -a "$(awk '/^tcp/ { printf "%s ", $3 } /^udp/ { printf "udp %s", $2 }' "$P/dnsmasq.out")" = \
		"2001:db8::99 2001:db8::99 udp $F" -a \
		"$(awk '/^tcp/ { print $4 }' "$P/dnsmasq.out" | sort -u | wc -l)" = 1
fi
if ((HAVE_MC)); then
	rc_of memcached
	check "memcached on mn: the key set before the move read after it on the same connection (rc $RC, $(tr '\n' ' ' <"$P/memcached.out"))" \
		test "$RC" -eq 0 -a "$(cat "$P/memcached.out")" = $'STORED\nVALUE k 0 3\nabc'
fi
if ((HAVE_WRK)); then
	rc_of wrk
	n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$P/wrk.out")
	check "wrk across the move: rc $RC, ${n:-no} requests, no socket error or non-2xx" \
		test "$RC" -eq 0 -a "${n:-0}" -gt 0 -a -z "$(grep -E 'Socket errors|Non-2xx' "$P/wrk.out" || true)"
	a=$(awk '/who=wrk/ { print $1 }' "$ODM_RUNDIR/cn/nginx-tcp/access.log" | sort -u)
	check "wrk: every request from one CHoA ($(tr '\n' ' ' <<<"$a"))" \
		one_choa "$a"
fi

# ---------------------------------------------------------------- 2. one exchange each
for n in "${!ONE[@]}"; do
	RC=0
	eval "odm_shim timeout 20 ${ONE[$n]}" >"$P/$n.out" 2>&1 || RC=$?
	c=$(client_of "$n")
	check "$n: rc $RC, from a CHoA (${c:-none})" rc_choa "$RC" "$c"
done
if ((HAVE_WWW)); then
	code=$(nsq cn curl -sS -g --max-time 10 -o /dev/null -w '%{http_code}' "http://[$F]:8083/px/index.html?who=www" || true)
	check "nginx's workers as www-data: proxy_pass fails, 502 and errno 99 logged, as odm(7) says (HTTP $code)" \
		test "$code" = 502 -a "$(grep -c '(99: Cannot assign requested address)' "$W/error.log" || true)" -ge 1
fi
# a program that empties its environment before its first lookup keeps
# the type and the agent it was started with (odm(7) ENVIRONMENT)
RC=0
odm_shim timeout 20 "$PY" -c '
import os, socket
os.environ.clear()
s = socket.create_connection(("cn.example.test", 80))
s.sendall(b"GET /index.html?who=envclear HTTP/1.0\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode())' >"$P/envclear.out" 2>&1 || RC=$?
c=$(client_of envclear)
check "a program that clears its environment first: rc $RC, from a CHoA all the same (${c:-none})" \
	rc_choa "$RC" "$c"
if ((HAVE_GRPC)); then
	# a gRPC server on cn answering with the peer it sees, and a client
	# on mn; gRPC resolves with a c-ares of its own unless told otherwise
	cat >"$P/grpc-server.py" <<-'EOF'
		from concurrent import futures
		import grpc
		def peer(req, ctx):
		    return ctx.peer().encode()
		h = grpc.method_handlers_generic_handler("odm.T", {"Peer": grpc.unary_unary_rpc_method_handler(peer)})
		s = grpc.server(futures.ThreadPoolExecutor(2))
		s.add_generic_rpc_handlers((h,))
		s.add_insecure_port("[::]:50051")
		s.start()
		s.wait_for_termination()
	EOF
	topo_spawn cn grpc "$P/grpc-server.log" "$PY" "$P/grpc-server.py"
	topo_wait_listen cn 50051 10
	# grpc_peer [ENV...] - the address cn's server saw the client on mn from
	grpc_peer() {
		odm_shim env "$@" timeout 20 "$PY" -c '
import grpc, urllib.parse
f = grpc.insecure_channel("cn.example.test:50051").unary_unary("/odm.T/Peer")
print(urllib.parse.unquote(f(b"", timeout=10).decode()).split("[")[1].split("]")[0])' 2>"$P/grpc.err" || echo none
	}
	c=$(grpc_peer GRPC_DNS_RESOLVER=native)
	check "gRPC (python3-grpcio) resolving with getaddrinfo: from a CHoA (${c:-none})" is_choa "$c"
	c=$(grpc_peer)
	check "gRPC with its own c-ares resolver: no cha lookup, an address of the home anchor, as odm(7) says (${c:-none})" \
		in_prefix "$c" "$HA_POOL"
fi
# TCP Fast Open (RFC 7413): curl --tcp-fastopen twice to an nginx on cn
# that takes it; the second connection's SYN carries the request, from a
# CHoA (the shim binds the socket before the kernel sends its SYN)
nsq mn sysctl -qw net.ipv4.tcp_fastopen=3
nsq cn sysctl -qw net.ipv4.tcp_fastopen=3
T=$P/nginx-tfo
mkdir -p "$T/tmp"
sed -e "s|$N|$T|g" -e "s|listen \[::\]:8082 reuseport;|listen [::]:8084 fastopen=16;|" \
	-e "s|worker_processes 2;|worker_processes 1;|" "$N/nginx.conf" >"$T/nginx.conf"
topo_spawn cn nginx-tfo "$T/stderr.log" nginx -p "$T" -c "$T/nginx.conf"
topo_wait_listen cn 8084 10
odm_capture cn eth0 "$P/tfo.pcap" "tcp dst port 8084" 200
RC=0
for i in 1 2; do
	odm_shim curl --tcp-fastopen -fsS --max-time 10 -o /dev/null "http://cn.example.test:8084/index.html" ||
		RC=$?
done
odm_capture_stop "$ODM_CAP_PID"
syns=$(tshark -r "$P/tfo.pcap" -Y 'tcp.flags.syn == 1' -T fields -e ipv6.src -e tcp.len 2>/dev/null |
	tr '\t\n' '  ')
# tfo_ok RC "SRC1 LEN1 SRC2 LEN2" - both SYNs from a CHoA, the first
# empty (it asks for a cookie), the second with data
tfo_ok() {
	local s1 l1 s2 l2 more
	read -r s1 l1 s2 l2 more <<<"$2"
	[[ $1 -eq 0 && -z $more && $l1 == 0 && $l2 =~ ^[0-9]+$ && $l2 -gt 0 ]] &&
		is_choa "$s1" && is_choa "$s2"
}
check "curl --tcp-fastopen: rc $RC; its second SYN carries the request, both from a CHoA ($syns)" \
	tfo_ok "$RC" "$syns"
if ((HAVE_QUIC)); then
	# ngtcp2's QUIC client binds its UDP socket to the source address its
	# route to the server names: it keeps it, plain, and ODM_DEBUG says so
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-subj /CN=cn.example.test -keyout "$P/quic.key" -out "$P/quic.crt" 2>/dev/null
	topo_spawn cn quic "$P/quic-server.log" /usr/sbin/gtlsserver -q -d "$ODM_RUNDIR/www" :: 4433 \
		"$P/quic.key" "$P/quic.crt"
	udp4433() { grep -q . <<<"$(nsq cn ss -Hlun 'sport = :4433')"; }
	wait_for 5 udp4433
	RC=0
	odm_shim env ODM_DEBUG=1 timeout 20 gtlsclient -q --exit-on-all-streams-close --timeout=5s \
		--download="$P" cn.example.test 4433 https://cn.example.test:4433/index.html \
		>"$P/quic.out" 2>&1 || RC=$?
	a=$(topo_mn_addr)
	check "gtlsclient (QUIC): rc $RC, the page whole, and the shim says it keeps the address it bound ($a)" \
		test "$RC" -eq 0 -a "$(topo_sha256 "$P/index.html")" = "$(topo_sha256 "$ODM_RUNDIR/www/index.html")" \
		-a "$(grep -c "bound by the program to $a, which it keeps: plain" "$P/quic.out" || true)" -eq 1
fi
# a program that resolves, then chroots, then connects finds neither the
# shim's libraries nor the agent under its new root: with its type named,
# its connect fails (odm(7) CAVEATS)
mkdir -p "$P/empty-root"
RC=0
odm_shim timeout 20 "$PY" -c '
import os, socket, sys
ai = socket.getaddrinfo("cn.example.test", 80, socket.AF_INET6, socket.SOCK_STREAM)[0]
os.chroot(sys.argv[1])
s = socket.socket(socket.AF_INET6)
try:
    s.connect(ai[4])
    print("connected from", s.getsockname()[0])
except OSError as e:
    print("errno", e.errno)' "$P/empty-root" >"$P/chroot.out" 2>&1 || RC=$?
check "a program that chroots before it connects: EADDRNOTAVAIL, as odm(7) says (rc $RC, $(tr '\n' ' ' <"$P/chroot.out"))" \
	test "$RC" -eq 0 -a "$(cat "$P/chroot.out")" = "errno 99"
if ((HAVE_NMAP)); then
	RC=0
	odm_shim timeout 30 nmap -6 -sT -Pn -n -p 79-81 cn.example.test >"$P/nmap.out" 2>&1 || RC=$?
	check "nmap -6 -sT: rc $RC, port 80 open, 79 and 81 closed" \
		test "$RC" -eq 0 -a "$(grep -cE '^(80/tcp +open|79/tcp +closed|81/tcp +closed) ' "$P/nmap.out")" -eq 3
fi

no_lease() { [[ $(odm_status mn | json "len([l for l in j['leases'] if l['type'] != 'fixed'])") -eq 0 ]]; }
# the servers hold no connection now; their upstream leases end with them
check "every Session-lasting lease ends once the connections are gone" wait_for 15 no_lease
check "the Fixed address stays ($(fixed))" test "$(fixed)" = "$F"
check_summary test_programs4
