#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_programs3.sh - still more real programs through the shim, as a user
# would run them (ODM_TYPE=session-lasting in the environment, nothing else
# changed), with servers of their own on cn; ha is the host's home anchor,
# so mn has a Fixed address too.
#
#   1. at the same time, across one move of mn from ar1 to ar2, each on one
#      connection that must stay, from a CHoA its server names:
#      - redis-cli in one session with redis-server: CLIENT INFO before
#        and after (the server's id and address of the client);
#      - mosquitto_sub (MQTT, QoS 1) subscribed on cn's mosquitto: a
#        message published before the move and one after, both received,
#        the broker seeing one connection;
#      - ncat in one session with an ncat server that answers each line
#        with the client's address and port;
#      - php's HTTP stream wrapper copying BIGFILE paced by nginx;
#      - a C program on one connected UDP socket that sends four datagrams
#        with sendmmsg() and reads the four answers with recvmmsg(), before
#        and after: cn's echo names the same source both times (the
#        lease idles meanwhile: udp-inactivity is 30 s here);
#      - lighttpd on mn, on [::] with the Fixed address, sending BIGFILE
#        (paced) to curl on cn, which fetched it by that address.
#   2. one exchange each: 64 threads connecting at once to cn (through its
#      CHA) and 64 to cn2 (no CHA: the home anchor), each thread from the
#      one address of its destination's lease; lftp, which resolves in a
#      child it forks, gets an address of the home anchor, not a CHoA
#      (odm(7)); busybox (statically linked) and a Go program go plain,
#      and odmctl run warns of both (odm(7)).
#   3. UDP servers on mn, asked at the Fixed address by cn: in.tftpd and
#      socat UDP6-RECVFROM on [::] answer from the access address (the
#      kernel's pick, odm(7) CAVEATS); socat bound to the Fixed address
#      answers from it.
#   Then every Session-lasting lease ends once the programs are gone.
#
# A program that is not installed is said and left out (# skip); with none
# of them the test is skipped. Exit 0 pass, 1 fail, 77 skip.
# run-all: alone (eight servers and six programs under way at once across the move)
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_programs3 "network namespaces, TUN, raw sockets" ip ss nginx named radvd python3 curl

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-16}
# the UDP session idles for longer than the 3 s the other tests give
# (udp-inactivity in odmagent.conf(5)) while the move is made ready
export ODM_UDP_INACTIVITY=30
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"
. "$HERE/lib/programs.sh"
trap 'check_on_err test_programs3' ERR

HAVE_REDIS=0 HAVE_MQTT=0 HAVE_NCAT=0 HAVE_PHP=0 HAVE_CC=0 HAVE_LIGHTTPD=0 HAVE_LFTP=0 HAVE_BB=0 HAVE_GO=0 HAVE_TFTP=0 HAVE_SOCAT=0
have "redis-server and redis-cli" have_all redis-server redis-cli && HAVE_REDIS=1
have "mosquitto and its clients" have_all /usr/sbin/mosquitto mosquitto_sub mosquitto_pub && HAVE_MQTT=1
ncat_nmap() { grep -q nmap <<<"$(ncat --version 2>&1)"; }
have "ncat (nmap's)" ncat_nmap && HAVE_NCAT=1
have php command -v php && HAVE_PHP=1
have "a C compiler" command -v cc && HAVE_CC=1
have lighttpd command -v lighttpd && HAVE_LIGHTTPD=1
have lftp command -v lftp && HAVE_LFTP=1
bb_static() { command -v busybox && ! ldd "$(command -v busybox)"; }
have "busybox (static)" bb_static && HAVE_BB=1
have "go" command -v go && HAVE_GO=1
have "in.tftpd (tftpd-hpa)" test -x /usr/sbin/in.tftpd && HAVE_TFTP=1
have socat command -v socat && HAVE_SOCAT=1
if ((HAVE_REDIS + HAVE_MQTT + HAVE_NCAT + HAVE_PHP + HAVE_CC + HAVE_LIGHTTPD + HAVE_LFTP + HAVE_BB + HAVE_GO + HAVE_TFTP + HAVE_SOCAT == 0)); then
	echo "SKIP: test_programs3: none of redis, mosquitto, ncat, php, cc, lighttpd, lftp, busybox, go, in.tftpd, socat is installed"
	exit 77
fi

topo_up
export ODM_MN_HOME_DISCOVERY=on
odm__dir
odm_keygen mn
odm_anchor_up ha "$HA_ADDR" "mode home" "pool $HA_POOL"
odm_agents_up
P=$ODM_DIR/programs
mkdir -p "$P"
RATE=2m
L=$ODM_RUNDIR/cn/nginx-tcp/access.log
is_home() { [[ -n $1 ]] && in_prefix "$1" "$HA_POOL"; }
# one_home "A..." - one address (one a line), one of the home anchor's
# other than the Fixed one
one_home() { [[ $1 != *$'\n'* && $1 != "$F" ]] && is_home "$1"; }

# Sessions: a program on mn under the shim reading lines from a fifo that
# this shell holds open on a descriptor of its own (SFD[NAME]); no other
# program started here inherits it, so a session sees its end when its
# descriptor is closed here.
declare -A SFD=() PID=()
# bg NAME CMD... - CMD on mn under the shim, in the background, stdin from
# $BG_IN (default /dev/null), writing $P/NAME.out and .err; PID[NAME]
bg() {
	local n=$1 fd
	shift
	(
		for fd in "${SFD[@]}"; do eval "exec $fd>&-"; done
		exec ip netns exec "$NS_MN" env LD_PRELOAD="$ODM_BUILD/libodm.so" ODM_SOCKET="$MN_SOCK" \
			ODM_TYPE=session-lasting "$@" <"${BG_IN:-/dev/null}" >"$P/$n.out" 2>"$P/$n.err"
	) &
	PID[$n]=$!
}
# session NAME CMD... - bg NAME CMD with its input from the fifo $P/NAME
session() {
	local f=$P/$1 fd
	mkfifo "$f"
	exec {fd}<>"$f"
	SFD[$1]=$fd
	BG_IN=$f bg "$@"
}
say() { echo "$2" >&"${SFD[$1]}"; }
# session_end NAME - close its input; RC is its rc once it exits
session_end() {
	eval "exec ${SFD[$1]}>&-"
	unset "SFD[$1]"
	RC=0
	wait "${PID[$1]}" || RC=$?
}
# rc_of NAME - wait for bg NAME; RC is its rc
rc_of() {
	RC=0
	wait "${PID[$1]}" || RC=$?
}

# ---------------------------------------------------------------- servers on cn
if ((HAVE_REDIS)); then
	mkdir -p "$P/redis-data"
	topo_spawn cn redis "$P/redis.log" redis-server --port 6380 --bind :: --protected-mode no \
		--save '' --appendonly no --dir "$P/redis-data"
	topo_wait_listen cn 6380 10
fi
if ((HAVE_MQTT)); then
	cat >"$P/mosquitto.conf" <<-EOF
		user root
		listener 1883 ::
		allow_anonymous true
		persistence false
		log_dest file $P/mosquitto.log
		log_type all
		connection_messages true
	EOF
	topo_spawn cn mosquitto "$P/mosquitto.run" /usr/sbin/mosquitto -c "$P/mosquitto.conf"
	topo_wait_listen cn 1883 10
	# the addresses the broker saw the client ID connect from, in order
	mqtt_from() { sed -n "s/.*New client connected from \([0-9a-f:]*\):[0-9]* as $1 .*/\1/p" "$P/mosquitto.log"; }
fi
if ((HAVE_NCAT)); then
	# shellcheck disable=SC2016 # (ncat's variables, for its shell)
	topo_spawn cn ncat "$P/ncat-server.log" ncat -6 -l -k 7100 \
		--sh-exec 'while read -r l; do echo "got $l $NCAT_REMOTE_ADDR $NCAT_REMOTE_PORT"; done'
	topo_wait_listen cn 7100 10
fi
if ((HAVE_CC)); then
	# a UDP echo that answers each datagram with "DATAGRAM <source address>"
	topo_spawn cn udp-echo "$P/udp-echo.log" python3 -u -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 7777))
while True:
    d, p = s.recvfrom(2048)
    s.sendto(d + b" " + p[0].encode(), p)
'
	udp7777() { grep -q . <<<"$(nsq cn ss -Hlun 'sport = :7777')"; }
	wait_for 5 udp7777
	cat >"$P/mmsg.c" <<-'EOF'
		/* mmsg HOST PORT: one UDP socket connected to HOST PORT; for each
		 * line read, sends "LINE-0".."LINE-3" with one sendmmsg() and reads
		 * the answers with recvmmsg() (2 s at most in all); prints "LINE
		 * SENT GOT ANSWER..." */
		#define _GNU_SOURCE
		#include <netdb.h>
		#include <poll.h>
		#include <stdio.h>
		#include <string.h>
		#include <sys/socket.h>
		#include <time.h>
		#include <unistd.h>

		int main(int argc, char **argv)
		{
			struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_DGRAM }, *ai;
			char line[64], out[4][96], in[4][160];
			struct mmsghdr v[4];
			struct iovec io[4];
			int s;

			if (argc != 3 || getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
				return 2;
			s = socket(AF_INET6, SOCK_DGRAM, 0);
			if (s < 0 || connect(s, ai->ai_addr, ai->ai_addrlen) < 0)
				return 1;
			setvbuf(stdout, NULL, _IOLBF, 0);
			while (fgets(line, sizeof(line), stdin)) {
				int sent, got = 0;
				time_t end = time(NULL) + 2;

				line[strcspn(line, "\n")] = 0;
				memset(v, 0, sizeof(v));
				for (int i = 0; i < 4; i++) {
					io[i].iov_base = out[i];
					io[i].iov_len = snprintf(out[i], sizeof(out[i]), "%s-%d", line, i);
					v[i].msg_hdr.msg_iov = &io[i];
					v[i].msg_hdr.msg_iovlen = 1;
				}
				sent = sendmmsg(s, v, 4, 0);
				printf("%s %d", line, sent);
				while (got < 4 && time(NULL) < end) {
					struct pollfd p = { .fd = s, .events = POLLIN };
					int n;

					if (poll(&p, 1, 500) <= 0)
						continue;
					memset(v, 0, sizeof(v));
					for (int i = 0; i < 4; i++) {
						io[i].iov_base = in[i];
						io[i].iov_len = sizeof(in[i]) - 1;
						v[i].msg_hdr.msg_iov = &io[i];
						v[i].msg_hdr.msg_iovlen = 1;
					}
					n = recvmmsg(s, v, 4 - got, MSG_DONTWAIT, NULL);
					for (int i = 0; i < n; i++) {
						in[i][v[i].msg_len] = 0;
						printf(" %s", in[i]);
					}
					if (n > 0)
						got += n;
				}
				printf(" got %d\n", got);
			}
			return 0;
		}
	EOF
	mkdir -p "$P/bin"
	cc -O2 -Wall -o "$P/bin/mmsg" "$P/mmsg.c"
fi

# ---------------------------------------------------------------- lighttpd on mn
check "mn holds a Fixed address from ha" wait_for 8 has_fixed
F=$(fixed)
if ((HAVE_LIGHTTPD)); then
	mkdir -p "$P/lighttpd"
	cat >"$P/lighttpd/lighttpd.conf" <<-EOF
		server.document-root = "$ODM_RUNDIR/www"
		server.port = 8081
		server.bind = "[::]"
		server.errorlog = "$P/lighttpd/error.log"
		server.modules = ("mod_accesslog")
		accesslog.filename = "$P/lighttpd/access.log"
		connection.kbytes-per-second = 2048
	EOF
	topo_spawn mn lighttpd "$P/lighttpd.run" lighttpd -D -f "$P/lighttpd/lighttpd.conf"
	topo_wait_listen mn 8081 10
fi

# ---------------------------------------------------------------- 1. sessions across a move
if ((HAVE_REDIS)); then
	session redis redis-cli -h cn.example.test -p 6380
	say redis "CLIENT INFO"
fi
if ((HAVE_MQTT)); then
	bg mqttsub timeout 60 mosquitto_sub -h cn.example.test -p 1883 -i odmsub -q 1 -t odm/t -C 2 -v
	check "mosquitto_sub: the broker has its subscription" wait_for 10 grep -q 'Sending SUBACK to odmsub' "$P/mosquitto.log"
	nsq cn mosquitto_pub -h ::1 -p 1883 -q 1 -t odm/t -m one
fi
if ((HAVE_NCAT)); then
	session ncat ncat cn.example.test 7100
	say ncat one
fi
if ((HAVE_PHP)); then
	bg php timeout 60 php -r \
		"copy('http://cn.example.test${BIGFILE_URL_PATH}?rate=$RATE&who=php', '$P/php.bin') or exit(1);"
fi
if ((HAVE_CC)); then
	session mmsg "$P/bin/mmsg" cn.example.test 7777
	say mmsg one
fi
if ((HAVE_LIGHTTPD)); then
	nsq cn curl -sS -g --max-time 60 -o "$P/lighttpd.bin" "http://[$F]:8081${BIGFILE_URL_PATH}" \
		>"$P/lighttpd-curl.log" 2>&1 &
	PID[lighttpd]=$!
fi

under_way() {
	[[ -z ${PID[php]:-} ]] || odm_got_mb "$P/php.bin" $((TOPO_BIGFILE_MB / 4)) || return 1
	[[ -z ${PID[lighttpd]:-} ]] || odm_got_mb "$P/lighttpd.bin" $((TOPO_BIGFILE_MB / 4)) || return 1
	[[ -z ${PID[redis]:-} ]] || grep -q '^id=' "$P/redis.out" || return 1
	[[ -z ${PID[mqttsub]:-} ]] || grep -q '^odm/t one$' "$P/mqttsub.out" || return 1
	[[ -z ${PID[ncat]:-} ]] || grep -q '^got one ' "$P/ncat.out" || return 1
	[[ -z ${PID[mmsg]:-} ]] || grep -q '^one ' "$P/mmsg.out"
}
check "every transfer and session is under way before the move" wait_for 30 under_way
echo "# leases before the move: $(odm_leases)"
topo_move ar2
if ((HAVE_REDIS)); then
	say redis "CLIENT INFO"
	wait_for 10 test "$(grep -c '^id=' "$P/redis.out")" -ge 2 || true
	session_end redis
	# id=N addr=[ADDR]:PORT ...
	ci() {
		local l
		l=$(grep '^id=' "$P/redis.out" | sed -n "${1}s/^id=\([0-9]*\) addr=\[\(.*\)\]:\([0-9]*\) laddr=.*/\1 \2 \3/p")
		echo "${l:-- - -}"
	}
	read -r id1 a1 p1 <<<"$(ci 1)"
	read -r id2 a2 p2 <<<"$(ci 2)"
	check "redis-cli: exits 0 when its input ends (rc $RC)" test "$RC" -eq 0
	check "redis-cli: redis-server saw it from a CHoA (${a1:--})" is_choa "$a1"
	check "redis-cli: CLIENT INFO after the move, on the same connection (id ${id2:--} ${a2:--} port ${p2:--})" \
		test "$id2 $a2 $p2" = "$id1 $a1 $p1"
fi
if ((HAVE_MQTT)); then
	nsq cn mosquitto_pub -h ::1 -p 1883 -q 1 -t odm/t -m two
	rc_of mqttsub
	check "mosquitto_sub: exits 0 after the move (rc $RC, $(tail -n1 "$P/mqttsub.err" 2>/dev/null))" test "$RC" -eq 0
	check "mosquitto_sub: received the message published after the move" grep -q '^odm/t two$' "$P/mqttsub.out"
	a=$(mqtt_from odmsub)
	check "mosquitto: one connection from odmsub, from a CHoA ($(tr '\n' ' ' <<<"$a"))" \
		one_choa "$a"
fi
if ((HAVE_NCAT)); then
	say ncat two
	wait_for 10 grep -q '^got two ' "$P/ncat.out" || true
	session_end ncat
	read -r _ _ a1 p1 < <(grep '^got one ' "$P/ncat.out" || echo "- - - -")
	read -r _ _ a2 p2 < <(grep '^got two ' "$P/ncat.out" || echo "- - - -")
	check "ncat: exits 0 when its input ends (rc $RC)" test "$RC" -eq 0
	check "ncat: its server saw it from a CHoA (${a1:--})" is_choa "$a1"
	check "ncat: a line after the move answered on the same connection (${a2:--} port ${p2:--})" \
		test "$a2 $p2" = "$a1 $p1"
fi
if ((HAVE_PHP)); then
	rc_of php
	check "php: exits 0 after the move (rc $RC$(tail -n1 "$P/php.err" | sed 's/^/, /'))" test "$RC" -eq 0
	check "php: the sha256 of its copy matches" test "$(topo_sha256 "$P/php.bin" 2>/dev/null)" = "$BIGFILE_SHA256"
	c=$(client_of php)
	check "php: nginx saw it from a CHoA (${c:-none})" is_choa "$c"
fi
if ((HAVE_CC)); then
	say mmsg two
	wait_for 10 grep -q '^two ' "$P/mmsg.out" || true
	session_end mmsg
	# LINE SENT ANSWER-0 SRC ... got N
	src() { awk -v l="$1" '$1 == l { s = ""; for (i = 4; i < NF - 1; i += 2) s = s " " $i; print $2 " " $NF s }' "$P/mmsg.out"; }
	s1=$(src one) s2=$(src two)
	check "sendmmsg/recvmmsg: exits 0 when its input ends (rc $RC)" test "$RC" -eq 0
	check "sendmmsg/recvmmsg: four sent and four answered before the move ($s1)" grep -q '^4 4 ' <<<"$s1"
	check "and after it ($s2)" grep -q '^4 4 ' <<<"$s2"
	u=$(tr ' ' '\n' <<<"${s1#4 4 } ${s2#4 4 }" | sort -u)
	check "the echo saw every datagram from one CHoA ($(tr '\n' ' ' <<<"$u"))" \
		one_choa "$u"
fi
if ((HAVE_LIGHTTPD)); then
	rc_of lighttpd
	check "lighttpd on mn's Fixed address: curl on cn completes after the move (rc $RC)" test "$RC" -eq 0
	check "lighttpd: the sha256 of cn's copy matches" \
		test "$(topo_sha256 "$P/lighttpd.bin" 2>/dev/null)" = "$BIGFILE_SHA256"
	check "lighttpd: the Fixed address is the one cn fetched from ($F)" is_home "$F"
fi

# ---------------------------------------------------------------- 2. one exchange each
if ((HAVE_CC)); then
	cat >"$P/threads.c" <<-'EOF'
		/* threads N HOST WHO: N threads, let go at once by a barrier, each
		 * resolving HOST, connecting to port 80, fetching
		 * /index.html?who=WHO and reading to the end; prints for each
		 * thread its local address and the bytes read, or its error */
		#define _GNU_SOURCE
		#include <arpa/inet.h>
		#include <errno.h>
		#include <netdb.h>
		#include <pthread.h>
		#include <stdio.h>
		#include <stdlib.h>
		#include <string.h>
		#include <sys/socket.h>
		#include <unistd.h>

		static pthread_barrier_t bar;
		static const char *host, *who;

		static void *run(void *arg)
		{
			long i = (long)arg;
			struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;
			struct sockaddr_in6 me;
			socklen_t ml = sizeof(me);
			char buf[4096], a[INET6_ADDRSTRLEN] = "-";
			long long total = 0;
			ssize_t r;
			int s, e;

			pthread_barrier_wait(&bar);
			if ((e = getaddrinfo(host, "80", &hints, &ai)) != 0) {
				printf("%ld gai %s\n", i, gai_strerror(e));
				return NULL;
			}
			s = socket(AF_INET6, SOCK_STREAM, 0);
			if (s < 0 || connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
				printf("%ld connect %s\n", i, strerror(errno));
				return NULL;
			}
			freeaddrinfo(ai);
			getsockname(s, (struct sockaddr *)&me, &ml);
			inet_ntop(AF_INET6, &me.sin6_addr, a, sizeof(a));
			dprintf(s, "GET /index.html?who=%s HTTP/1.0\r\nHost: %s\r\n\r\n", who, host);
			while ((r = read(s, buf, sizeof(buf))) > 0)
				total += r;
			close(s);
			printf("%ld %s %lld\n", i, a, total);
			return NULL;
		}

		int main(int argc, char **argv)
		{
			int n = argc == 4 ? atoi(argv[1]) : 0;
			pthread_t t[256];

			if (n < 1 || n > 256)
				return 2;
			host = argv[2];
			who = argv[3];
			setvbuf(stdout, NULL, _IOLBF, 0);
			pthread_barrier_init(&bar, NULL, n);
			for (long i = 0; i < n; i++)
				pthread_create(&t[i], NULL, run, (void *)i);
			for (int i = 0; i < n; i++)
				pthread_join(t[i], NULL);
			return 0;
		}
	EOF
	cc -O2 -Wall -pthread -o "$P/bin/threads" "$P/threads.c"
	bg thr-cn timeout 30 "$P/bin/threads" 64 cn.example.test thr
	bg thr-cn2 timeout 30 "$P/bin/threads" 64 cn2.example.test thr2
	rc_of thr-cn
	rc1=$RC
	rc_of thr-cn2
	a=$(awk 'NF == 3 && $3 > 0 { print $2 }' "$P/thr-cn.out" | sort -u)
	n=$(awk 'NF == 3 && $3 > 0' "$P/thr-cn.out" | wc -l)
	check "64 threads connecting to cn at once: rc $rc1, all read an answer ($n)" test "$n" -eq 64
	check "all from one CHoA ($(tr '\n' ' ' <<<"$a"))" one_choa "$a"
	a=$(awk 'NF == 3 && $3 > 0 { print $2 }' "$P/thr-cn2.out" | sort -u)
	n=$(awk 'NF == 3 && $3 > 0' "$P/thr-cn2.out" | wc -l)
	check "64 threads to cn2 (no CHA) at the same time: rc $RC, all read an answer ($n)" test "$n" -eq 64
	check "all from one address of the home anchor ($(tr '\n' ' ' <<<"$a"))" \
		one_home "$a"
	n=$(grep -c 'who=thr ' "$L" || true)
	check "nginx on cn answered the 64 ($n)" test "$n" -eq 64
fi
if ((HAVE_LFTP)); then
	RC=0
	odm_shim timeout 20 lftp -c "get -O $P http://cn.example.test/index.html?who=lftp" \
		>"$P/lftp.log" 2>&1 || RC=$?
	c=$(client_of lftp)
	check "lftp (resolves in a child): rc $RC, from the home anchor's pool, no CHoA (${c:-none})" is_home "$c"
fi
if ((HAVE_BB)); then
	RC=0
	nsx mn "$ODM_BUILD/odmctl" -s "$MN_SOCK" run --type session-lasting busybox wget -q -O /dev/null \
		"http://cn.example.test/index.html?who=busybox" >"$P/busybox.log" 2>&1 || RC=$?
	c=$(client_of busybox)
	check "busybox wget (static) under odmctl run: rc $RC, plain as odm(7) says (${c:-none})" \
		test "$RC" -eq 0 -a "$c" = "$MN_ADDR2"
	check "odmctl run warned that it is statically linked" grep -q 'statically linked' "$P/busybox.log"
fi
if ((HAVE_GO)); then
	mkdir -p "$P/goget"
	cat >"$P/goget/main.go" <<-'EOF'
		// GET /index.html?who=go from HOST:80 with net.Dial; prints the bytes read
		package main

		import (
			"fmt"
			"io"
			"net"
			"os"
		)

		func main() {
			c, err := net.Dial("tcp", net.JoinHostPort(os.Args[1], "80"))
			if err != nil {
				fmt.Println(err)
				os.Exit(1)
			}
			fmt.Fprintf(c, "GET /index.html?who=go HTTP/1.0\r\nHost: %s\r\n\r\n", os.Args[1])
			b, _ := io.ReadAll(c)
			fmt.Println("read", len(b))
		}
	EOF
	(cd "$P/goget" && GO111MODULE=off GOCACHE=$P/gocache go build -o goget .)
	RC=0
	nsx mn "$ODM_BUILD/odmctl" -s "$MN_SOCK" run --type session-lasting "$P/goget/goget" cn.example.test \
		>"$P/go.log" 2>&1 || RC=$?
	c=$(client_of go)
	check "a Go program under odmctl run: rc $RC, plain as odm(7) says (${c:-none})" \
		test "$RC" -eq 0 -a "$c" = "$MN_ADDR2"
	check "odmctl run warned that it is a Go program" grep -q 'is a Go program' "$P/go.log"
fi

# ---------------------------------------------------------------- 3. UDP servers on the Fixed address
# udp_from PORT PAYLOAD - cn sends PAYLOAD (python bytes) to mn's Fixed
# address and PORT from an unconnected socket; the address the answer
# came from (none)
udp_from() {
	nsq cn python3 -c "import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto($2, ('$F', $1))
try: print(s.recvfrom(4096)[1][0])
except OSError: print('none')"
}
if ((HAVE_TFTP)); then
	mkdir -p "$P/tftp"
	echo hello >"$P/tftp/f.txt"
	chmod 755 "$P/tftp"
	chmod 644 "$P/tftp/f.txt"
	topo_spawn mn tftpd "$P/tftpd.log" /usr/sbin/in.tftpd -L -6 -a '[::]:6969' -u root -s "$P/tftp"
	udp6969() { grep -q . <<<"$(nsq mn ss -Hlun 'sport = :6969')"; }
	wait_for 5 udp6969
	a=$(udp_from 6969 "b'\\0\\1f.txt\\0octet\\0'")
	check "in.tftpd on [::] answers from the access address, not the Fixed one, as odm(7) says ($a)" \
		test "$a" = "$MN_ADDR2"
fi
if ((HAVE_SOCAT)); then
	topo_spawn mn socat-any "$P/socat-any.log" socat UDP6-RECVFROM:7001,fork EXEC:cat
	topo_spawn mn socat-fixed "$P/socat-fixed.log" socat "UDP6-RECVFROM:7002,fork,bind=[$F]" EXEC:cat
	udp7002() { grep -q . <<<"$(nsq mn ss -Hlun 'sport = :7002')"; }
	wait_for 5 udp7002
	a=$(udp_from 7001 "b'hi'")
	check "socat UDP6-RECVFROM on [::] answers from the access address, not the Fixed one, as odm(7) says ($a)" \
		test "$a" = "$MN_ADDR2"
	a=$(udp_from 7002 "b'hi'")
	check "socat UDP6-RECVFROM bound to the Fixed address answers from it ($a)" test "$a" = "$F"
fi

no_lease() { [[ $(odm_status mn | json "len([l for l in j['leases'] if l['type'] != 'fixed'])") -eq 0 ]]; }
check "every Session-lasting lease ends once the programs are gone" wait_for 15 no_lease
check "the Fixed address stays ($(fixed))" test "$(fixed)" = "$F"
check_summary test_programs3
