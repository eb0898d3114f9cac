#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_programs2.sh - more real programs through the shim, as a user would
# run them (ODM_TYPE=session-lasting in the environment, nothing else
# changed), with servers of their own on cn. Each must get a CHoA (seen by
# its server) and, in part 1, keep its session across a move.
#
#   1. at the same time, across one move of mn from ar1 to ar2:
#      - ssh running a loop on cn that answers each line it reads with
#        $SSH_CLIENT: a line before the move and one after, on one session;
#      - scp of BIGFILE from cn's sshd (paced with -l);
#      - ssh -f -N -L: a forward the process that connected hands to the
#        child it forks before it exits; fetched through before and after;
#      - tnftp, passive (EPSV) and active (EPRT: the client names its own
#        address, and vsftpd's data connection must reach it), each
#        downloading BIGFILE paced by vsftpd;
#      - psql in one session with postgres: a query before, one that is
#        under way during the move, one after; the server names the
#        client's address (inet_client_addr) and its backend;
#      - bash connecting with /dev/tcp, then exec'ing cat on the socket: the
#        program that holds the leased socket after the exec is not the one
#        that got it;
#      - curl --http2 --parallel against a second nginx on cn (TLS): two
#        paced downloads and twenty small ones, all streams of one
#        connection;
#      - tftp (tftp-hpa) from in.tftpd, which answers from a port of its
#        own, in lockstep, unpaced.
#   2. one exchange each: rsync from an rsync daemon and over ssh; a Rust
#      program using std::net; python's urllib, http.client and requests;
#      wget -r; curl --parallel; a program that connects, then closes
#      every fd (with close_range() and with close() in a loop), after
#      daemonizing (fork, setsid, fork) or not, and connects again;
#      apt-get update and download from a tiny repository on cn: its http
#      method drops root to _apt, who cannot open the control socket, and
#      fails (odm(7)); with APT::Sandbox::User=root it is leased; dig +tcp
#      and +notcp, to the name server's address (no name: no CHoA,
#      odm(7)), which must answer as without the shim.
#   Then every lease ends once the programs are gone.
#
# A program that is not installed is said and left out (# skip); with none
# of them the test is skipped. sshd wants its privilege separation
# directory, /run/sshd: made if missing. Exit 0 pass, 1 fail, 77 skip.
# run-all: alone (it makes /run/sshd and postgres's directory in /tmp outside its namespaces, and compiles a Rust program while seven servers run)
set -eEuo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_programs2 "network namespaces, TUN, raw sockets" ip ss nginx named radvd python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-16}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"
. "$HERE/lib/download.sh"
. "$HERE/lib/programs.sh"
trap 'check_on_err test_programs2' ERR

PG_BINS=(/usr/lib/postgresql/*/bin)
PG_BIN=${PG_BINS[-1]}
pg_here() { [[ -x $PG_BIN/initdb && -x $PG_BIN/postgres ]] && command -v psql && id postgres; }
py_requests() { python3 -c 'import requests'; }
HAVE_SSH=0 HAVE_FTP=0 HAVE_PG=0 HAVE_RSYNC=0 HAVE_RUST=0 HAVE_CC=0 HAVE_REQ=0 HAVE_DIG=0 HAVE_APT=0 HAVE_H2=0 HAVE_TFTP=0
have "ssh, scp and sshd" have_all ssh scp ssh-keygen /usr/sbin/sshd && HAVE_SSH=1
have "tnftp and vsftpd" test -x /usr/bin/tnftp -a -x /usr/sbin/vsftpd && HAVE_FTP=1
have "postgresql and psql" pg_here && HAVE_PG=1
have rsync command -v rsync && HAVE_RSYNC=1
have rustc command -v rustc && HAVE_RUST=1
have "a C compiler" command -v cc && HAVE_CC=1
have "python3 requests" py_requests && HAVE_REQ=1
have dig command -v dig && HAVE_DIG=1
curl_h2() { grep -qw HTTP2 <<<"$(curl -V)" && grep -q http_v2_module <<<"$(nginx -V 2>&1)"; }
have "curl and nginx with HTTP/2" curl_h2 && HAVE_H2=1
tftp_hpa() { [[ -x /usr/sbin/in.tftpd ]] && grep -q tftp-hpa <<<"$(tftp -V 2>&1)"; }
have "tftp-hpa and tftpd-hpa" tftp_hpa && HAVE_TFTP=1
have "apt-get and dpkg-scanpackages" have_all apt-get dpkg-deb dpkg-scanpackages && HAVE_APT=1
if ((HAVE_SSH + HAVE_FTP + HAVE_PG + HAVE_RSYNC + HAVE_RUST + HAVE_CC + HAVE_REQ + HAVE_DIG + HAVE_APT + HAVE_H2 + HAVE_TFTP == 0)); then
	echo "SKIP: test_programs2: none of ssh, tnftp, psql, rsync, rustc, cc, requests, dig, apt-get, HTTP/2, tftp is installed"
	exit 77
fi

topo_up
odm_agents_up
P=$ODM_DIR/programs
mkdir -p "$P"
BIG_BYTES=$((TOPO_BIGFILE_MB * 1024 * 1024))
# 2 MB/s: 8 s for the 16 MiB, the move in the middle
RATE=2m
L=$ODM_RUNDIR/cn/nginx-tcp/access.log

# session NAME CMD... - CMD on mn under the shim, in the background, reading
# lines from the fifo $P/NAME that fd 7 of this shell keeps open (so that no
# open of it waits), writing $P/NAME.out and .err; sets SESSION_PID. The
# program alone holds the fifo: it sees its end when the shell closes fd 7.
session() {
	local f=$P/$1
	shift
	mkfifo "$f"
	exec 7<>"$f"
	# shellcheck disable=SC2016 # (for sh -c)
	odm_shim_bg sh -c 'exec "$@" <"$0" >"$0.out" 2>"$0.err"' "$f" "$@" 7>&-
	SESSION_PID=$ODM_BG_PID
}
# session_say NAME LINE - one more line to session NAME
session_say() { echo "$2" >"$P/$1"; }
# session_end PID - close the session's input; SESSION_RC is its rc when
# it exits
session_end() {
	exec 7>&-
	SESSION_RC=0
	wait "$1" || SESSION_RC=$?
}

# ---------------------------------------------------------------- servers on cn
if ((HAVE_SSH)); then
	S=$P/ssh
	sshd_files "$S"
	cat >"$S/ssh_config" <<-EOF
		Host *
		  Port 2222
		  IdentityFile $S/user
		  IdentitiesOnly yes
		  StrictHostKeyChecking no
		  UserKnownHostsFile /dev/null
		  LogLevel ERROR
		  BatchMode yes
	EOF
	topo_spawn cn sshd "$S/sshd.log" /usr/sbin/sshd -D -e -f "$S/sshd_config"
	topo_wait_listen cn 2222 10
	# the addresses sshd accepted connections from, in order
	ssh_from() { sed -n 's/^Accepted publickey for root from \([0-9a-f:]*\) port .*/\1/p' "$S/sshd.log"; }
fi
if ((HAVE_FTP)); then
	F=$P/ftp
	mkdir -p "$F/pub"
	cp "$BIGFILE" "$F/pub/big.bin"
	# run as root, anonymous, read-only; data from port 2020 in active mode
	cat >"$F/vsftpd.conf" <<-EOF
		listen=NO
		listen_ipv6=YES
		listen_port=2121
		ftp_data_port=2020
		connect_from_port_20=YES
		anonymous_enable=YES
		no_anon_password=YES
		anon_root=$F/pub
		anon_max_rate=2000000
		local_enable=NO
		write_enable=NO
		background=NO
		seccomp_sandbox=NO
		secure_chroot_dir=/var/run/vsftpd/empty
		run_as_launching_user=YES
		xferlog_enable=YES
		log_ftp_protocol=YES
		vsftpd_log_file=$F/vsftpd.log
	EOF
	mkdir -p /var/run/vsftpd/empty
	topo_spawn cn vsftpd "$F/run.log" /usr/sbin/vsftpd "$F/vsftpd.conf"
	topo_wait_listen cn 2121 10
fi
if ((HAVE_PG)); then
	# postgres runs as its own user, who cannot enter the run directory;
	# a fast shutdown (SIGINT) before the run ends, then its files go
	PG_DIR=$(mktemp -d /tmp/odm-pg.XXXXXX)
	PG_PID=
	pg_down() {
		if [[ -n $PG_PID ]]; then
			kill -INT "$PG_PID" 2>/dev/null || true
			timeout 10 tail --pid="$PG_PID" -f /dev/null || true
		fi
		rm -rf "$PG_DIR"
	}
	topo_at_exit pg_down
	chown postgres "$PG_DIR"
	setpriv --reuid=postgres --regid=postgres --clear-groups \
		"$PG_BIN/initdb" -A trust -U postgres -D "$PG_DIR/data" >"$P/initdb.log" 2>&1 ||
		{ cat "$P/initdb.log" >&2; false; }
	echo "host all all ::/0 trust" >>"$PG_DIR/data/pg_hba.conf"
	topo_spawn cn postgres "$P/postgres.log" setpriv --reuid=postgres --regid=postgres \
		--clear-groups "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_DIR" -h :: -p 5433
	PG_PID=$TOPO_SPAWNED_PID
	topo_wait_listen cn 5433 20
fi
if ((HAVE_H2)); then
	# a second nginx: HTTP/2 over TLS, each response paced at RATE
	H=$P/h2
	mkdir -p "$H/tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=cn.example.test -keyout "$H/tls.key" -out "$H/tls.crt" 2>/dev/null
	cat >"$H/nginx.conf" <<-EOF
		worker_processes 1;
		pid $H/nginx.pid;
		error_log $H/error.log;
		daemon off;
		events {}
		http {
		  access_log $H/access.log;
		  client_body_temp_path $H/tmp; proxy_temp_path $H/tmp; fastcgi_temp_path $H/tmp;
		  uwsgi_temp_path $H/tmp; scgi_temp_path $H/tmp;
		  server {
		    listen [::]:8443 ssl http2;
		    ssl_certificate $H/tls.crt;
		    ssl_certificate_key $H/tls.key;
		    root $ODM_RUNDIR/www;
		    location / { limit_rate $RATE; }
		  }
		}
	EOF
	topo_spawn cn nginx-h2 "$H/run.log" nginx -c "$H/nginx.conf"
	topo_wait_listen cn 8443 10
fi
if ((HAVE_TFTP)); then
	TF=$P/tftp
	mkdir -p "$TF/files"
	chmod 755 "$TF" "$TF/files"
	cp "$BIGFILE" "$TF/files/big.bin"
	chmod 644 "$TF/files/big.bin"
	topo_spawn cn tftpd "$TF/run.log" /usr/sbin/in.tftpd -L -6 -a '[::]:6969' -u root -s "$TF/files"
	udp6969() { grep -q . <<<"$(nsq cn ss -Hlun 'sport = :6969')"; }
	wait_for 5 udp6969
	# the client address of in.tftpd's transfer socket (its own port, the
	# client's: RFC 1350 section 4)
	tftp_peer() {
		nsq cn ss -Hunp | awk '/"in\.tftpd"/ && $(NF-1) != "*" && $(NF-1) !~ /^\*/ { print $(NF-1) }' |
			sed -n 's/^\[\(.*\)\]:[0-9]*$/\1/p' | head -n1
	}
fi

# ---------------------------------------------------------------- 1. sessions across a move
declare -A PID=()
if ((HAVE_SSH)); then
	# shellcheck disable=SC2016 # ($SSH_CLIENT is cn's)
	session sshloop ssh -F "$S/ssh_config" root@cn.example.test \
		'while read -r l; do echo "got $l $SSH_CLIENT"; done'
	PID[sshloop]=$SESSION_PID
	session_say sshloop one
	odm_shim_bg timeout 60 scp -F "$S/ssh_config" -l 16000 "root@cn.example.test:$BIGFILE" \
		"$P/scp.bin" >"$P/scp.log" 2>&1 7>&-
	PID[scp]=$ODM_BG_PID
	rc=0
	odm_shim timeout 20 ssh -F "$S/ssh_config" -f -N -L '18080:[::1]:80' root@cn.example.test \
		>"$P/sshf.log" 2>&1 7>&- || rc=$?
	check "ssh -f -N -L: forks into the background (rc $rc)" test "$rc" -eq 0
	fwd() { nsq mn curl -sf -m 5 -o /dev/null "http://[::1]:18080/index.html?who=$1"; }
	check "ssh -f: a fetch through its forward, before the move" fwd sshf1
	SSHF_PID=$(nsq mn ss -Hltnp 'sport = :18080' | sed -n 's/.*pid=\([0-9]*\),.*/\1/p' | head -n1)
	[[ -n $SSHF_PID ]] && topo_at_exit "kill $SSHF_PID 2>/dev/null"
fi
if ((HAVE_FTP)); then
	for m in p A; do
		odm_shim_bg timeout 60 tnftp -$m -o "$P/ftp-$m.bin" ftp://cn.example.test:2121/big.bin \
			>"$P/ftp-$m.log" 2>&1 7>&-
		PID[ftp-$m]=$ODM_BG_PID
	done
fi
if ((HAVE_PG)); then
	# the fifo of the ssh session is fd 7's: this one has it after that one
	# ended; psql waits on its own
	PG_FIFO=$P/psql
	mkfifo "$PG_FIFO"
	exec 8<>"$PG_FIFO"
	# shellcheck disable=SC2016 # (for sh -c)
	odm_shim_bg sh -c 'exec "$@" <"$0" >"$0.out" 2>"$0.err"' "$PG_FIFO" \
		psql -h cn.example.test -p 5433 -U postgres -At 7>&- 8>&-
	PID[psql]=$ODM_BG_PID
	echo "select 'one', inet_client_addr(), pg_backend_pid();" >&8
fi
# shellcheck disable=SC2016 # (for bash -c)
odm_shim_bg timeout 60 bash -c 'exec 3<>"/dev/tcp/$1/80"
	printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$1" >&3
	exec cat <&3' devtcp cn.example.test "${BIGFILE_URL_PATH}?rate=$RATE&who=devtcp" \
	>"$P/devtcp.out" 2>"$P/devtcp.err" 7>&- 8>&-
PID[devtcp]=$ODM_BG_PID
if ((HAVE_H2)); then
	# two paced downloads and twenty small ones, streams of one connection
	H2_ARGS=()
	for i in 1 2; do H2_ARGS+=(-o "$P/h2-$i.bin" "https://cn.example.test:8443${BIGFILE_URL_PATH}?s=$i"); done
	for i in $(seq 20); do H2_ARGS+=(-o /dev/null "https://cn.example.test:8443/index.html?s=$i"); done
	odm_shim_bg timeout 60 curl -sS -k --http2 --parallel --parallel-max 30 \
		-w '%{http_version} %{num_connects} %{response_code}\n' "${H2_ARGS[@]}" \
		>"$P/h2.out" 2>"$P/h2.err" 7>&- 8>&-
	PID[h2]=$ODM_BG_PID
fi

under_way() {
	local f
	for f in "$P/devtcp.out" ${PID[scp]:+"$P/scp.bin"} ${PID[ftp-p]:+"$P/ftp-p.bin" "$P/ftp-A.bin"} \
		${PID[h2]:+"$P/h2-1.bin" "$P/h2-2.bin"}; do
		odm_got_mb "$f" $((TOPO_BIGFILE_MB / 4)) || return 1
	done
	[[ -z ${PID[sshloop]:-} ]] || grep -q '^got one ' "$P/sshloop.out" || return 1
	[[ -z ${PID[psql]:-} ]] || grep -q '^one|' "$P/psql.out"
}
check "every transfer and session is under way before the move" wait_for 30 under_way
echo "# leases before the move: $(odm_leases)"
if ((HAVE_TFTP)); then
	# unpaced, as fast as lockstep goes: started last, the move once it
	# has its first MiB
	odm_shim_bg timeout 60 tftp -6 cn.example.test 6969 -c get big.bin "$P/tftp.bin" \
		>"$P/tftp.log" 2>&1 7>&- 8>&-
	PID[tftp]=$ODM_BG_PID
	wait_for 10 odm_got_mb "$P/tftp.bin" 1 || true
	TFTP_PEER=$(tftp_peer || true)
	TFTP_RUNNING=0
	kill -0 "${PID[tftp]}" 2>/dev/null && TFTP_RUNNING=1
fi
if ((HAVE_PG)); then
	echo "select 'slow', pg_sleep(2);" >&8
	sleep 0.5
fi
topo_move ar2
if ((HAVE_PG)); then
	echo "select 'two', inet_client_addr(), pg_backend_pid();" >&8
	echo '\q' >&8
	exec 8>&-
fi
if ((HAVE_SSH)); then
	session_say sshloop two
	wait_for 10 grep -q '^got two ' "$P/sshloop.out" || true
	session_end "${PID[sshloop]}"
	rc=$SESSION_RC
	# got LINE ADDR PORT 2222
	read -r _ _ a1 p1 _ < <(grep '^got one ' "$P/sshloop.out" || echo "- - - -")
	read -r _ _ a2 p2 _ < <(grep '^got two ' "$P/sshloop.out" || echo "- - - -")
	check "ssh session: exits 0 when its input ends (rc $rc)" test "$rc" -eq 0
	check "ssh session: sshd saw it from a CHoA (${a1:--})" is_choa "$a1"
	check "ssh session: a line after the move answered on the same connection (${a2:--} port ${p2:--})" \
		test "$a2 $p2" = "$a1 $p1"
	rc=0
	wait "${PID[scp]}" || rc=$?
	check "scp: exits 0 after the move (rc $rc, $(tail -n1 "$P/scp.log"))" test "$rc" -eq 0
	check "scp: the sha256 of its copy matches" \
		test "$(topo_sha256 "$P/scp.bin" 2>/dev/null)" = "$BIGFILE_SHA256"
	a=$(ssh_from)
	check "ssh, scp and ssh -f: sshd accepted three connections ($(wc -l <<<"$a"))" \
		test "$(wc -l <<<"$a")" -eq 3
	check "ssh, scp and ssh -f: all from CHoAs ($(tr '\n' ' ' <<<"$a"))" all_choas "$a"
	check "ssh -f: a fetch through its forward, after the move" fwd sshf2
fi
if ((HAVE_FTP)); then
	for m in p A; do
		rc=0
		wait "${PID[ftp-$m]}" || rc=$?
		check "tnftp -$m: exits 0 after the move (rc $rc)" test "$rc" -eq 0
		check "tnftp -$m: the sha256 of its download matches" \
			test "$(topo_sha256 "$P/ftp-$m.bin" 2>/dev/null)" = "$BIGFILE_SHA256"
	done
	c=$(sed -n 's/.*CONNECT: Client "\([0-9a-f:]*\)".*/\1/p' "$F/vsftpd.log" | sort -u)
	check "tnftp: vsftpd saw both from CHoAs ($(tr '\n' ' ' <<<"$c"))" all_choas "$c"
	e=$(sed -n 's/.*"EPRT |2|\([0-9a-f:]*\)|[0-9]*|".*/\1/p' "$F/vsftpd.log")
	check "tnftp -A: its EPRT named a CHoA (${e:-none})" is_choa "$e"
	check "tnftp -p: it asked EPSV" grep -q '"EPSV"' "$F/vsftpd.log"
fi
if ((HAVE_PG)); then
	rc=0
	wait "${PID[psql]}" || rc=$?
	IFS='|' read -r _ a1 b1 < <(grep '^one|' "$P/psql.out" || echo "-|-|-")
	IFS='|' read -r _ a2 b2 < <(grep '^two|' "$P/psql.out" || echo "-|-|-")
	check "psql: exits 0 after the move (rc $rc, $(tr '\n' ' ' <"$P/psql.err"))" test "$rc" -eq 0
	check "psql: postgres saw it from a CHoA (${a1:--})" is_choa "$a1"
	check "psql: the query under way during the move answered" grep -q '^slow|' "$P/psql.out"
	check "psql: one after it, in the same session (${a2:--}, backend ${b2:--} was ${b1:--})" \
		test "$a2 $b2" = "$a1 $b1"
fi
rc=0
wait "${PID[devtcp]}" || rc=$?
check "bash /dev/tcp, then exec cat: exits 0 after the move (rc $rc)" test "$rc" -eq 0
check "exec cat: the download after the headers matches" \
	test "$(tail -c "$BIG_BYTES" "$P/devtcp.out" | sha256sum | cut -d' ' -f1 || true)" = "$BIGFILE_SHA256"
c=$(client_of devtcp)
check "bash /dev/tcp: from a CHoA (${c:-none})" is_choa "$c"
if ((HAVE_TFTP)); then
	rc=0
	wait "${PID[tftp]}" || rc=$?
	check "tftp: under way when the move began" test "$TFTP_RUNNING" -eq 1
	check "tftp: exits 0 after the move (rc $rc, $(tail -n1 "$P/tftp.log"))" test "$rc" -eq 0
	check "tftp: the sha256 of its download matches" \
		test "$(topo_sha256 "$P/tftp.bin" 2>/dev/null)" = "$BIGFILE_SHA256"
	check "tftp: in.tftpd's transfer socket, on a port of its own, sent to a CHoA (${TFTP_PEER:-none})" \
		is_choa "$TFTP_PEER"
fi
if ((HAVE_H2)); then
	rc=0
	wait "${PID[h2]}" || rc=$?
	check "curl --http2 --parallel: exits 0 after the move (rc $rc$(grep -m1 '^curl:' "$P/h2.err" | sed 's/^/, /' || true))" test "$rc" -eq 0
	for i in 1 2; do
		check "curl HTTP/2 stream $i: the sha256 of its download matches" \
			test "$(topo_sha256 "$P/h2-$i.bin" 2>/dev/null)" = "$BIGFILE_SHA256"
	done
	n=$(grep -c '^2 [01] 200$' "$P/h2.out" || true)
	check "curl HTTP/2: all 22 answered 200 over HTTP/2 ($n)" test "$n" -eq 22
	n=$(awk '{ c += $2 } END { print c + 0 }' "$P/h2.out")
	check "curl HTTP/2: on one connection ($n made)" test "$n" -eq 1
	choas=$(awk '{ print $1 }' "$H/access.log" | sort -u)
	check "curl HTTP/2: nginx saw it from a CHoA ($(tr '\n' ' ' <<<"$choas"))" all_choas "$choas"
fi

# ---------------------------------------------------------------- 2. one exchange each
if ((HAVE_RSYNC)); then
	R=$P/rsyncd
	mkdir -p "$R"
	cat >"$R/rsyncd.conf" <<-EOF
		use chroot = no
		log file = $R/log
		[www]
		path = $ODM_RUNDIR/www
		read only = yes
	EOF
	topo_spawn cn rsyncd "$R/run.log" rsync --daemon --no-detach --ipv6 --address=:: --port=8873 \
		--config="$R/rsyncd.conf"
	topo_wait_listen cn 8873 10
	rc=0
	odm_shim timeout 20 rsync rsync://cn.example.test:8873/www/index.html "$P/rsync1.html" || rc=$?
	check "rsync from a daemon: rc $rc, the same file" cmp -s "$ODM_RUNDIR/www/index.html" "$P/rsync1.html"
	c=$(sed -n 's/.*connect from .*(\([0-9a-f:]*\))$/\1/p' "$R/log" | tail -n1)
	check "rsync: the daemon saw a CHoA (${c:-none})" is_choa "$c"
	if ((HAVE_SSH)); then
		rc=0
		odm_shim timeout 20 rsync -e "ssh -F $S/ssh_config" \
			"root@cn.example.test:$ODM_RUNDIR/www/index.html" "$P/rsync2.html" || rc=$?
		check "rsync over ssh: rc $rc, the same file" cmp -s "$ODM_RUNDIR/www/index.html" "$P/rsync2.html"
		c=$(ssh_from | tail -n1)
		check "rsync over ssh: sshd saw a CHoA (${c:-none})" is_choa "$c"
	fi
fi
if ((HAVE_RUST)); then
	cat >"$P/get.rs" <<-'EOF'
		// std::net: GET PATH from HOST:80 over one TcpStream; prints the bytes read
		use std::io::{Read, Write};
		use std::net::TcpStream;
		fn main() {
		    let a: Vec<String> = std::env::args().collect();
		    let mut s = TcpStream::connect((a[1].as_str(), 80)).expect("connect");
		    write!(s, "GET {} HTTP/1.0\r\nHost: {}\r\n\r\n", a[2], a[1]).expect("write");
		    let mut v = Vec::new();
		    s.read_to_end(&mut v).expect("read");
		    println!("read {}", v.len());
		}
	EOF
	rustc -O -o "$P/get_rs" "$P/get.rs"
	rc=0
	odm_shim timeout 10 "$P/get_rs" cn.example.test "/index.html?who=rust" >"$P/rust.out" 2>&1 || rc=$?
	c=$(client_of rust)
	check "rust std::net: rc $rc, from a CHoA (${c:-none})" is_choa "$c"
fi
# py WHO CODE - python3 CODE (which fetches URL=...who=WHO) under the shim;
# the address nginx saw
py() {
	odm_shim timeout 10 python3 -c "URL='http://cn.example.test/index.html?who=$1'; $2" \
		>"$P/$1.out" 2>&1 || echo "# $1: rc $?, $(tail -n1 "$P/$1.out")" >&2
	client_of "$1"
}
c=$(py urllib 'import urllib.request as u; u.urlopen(URL).read()')
check "python urllib: from a CHoA (${c:-none})" is_choa "$c"
c=$(py httpclient 'import http.client as h, urllib.parse as p
c = h.HTTPConnection("cn.example.test"); c.request("GET", p.urlsplit(URL).path + "?" + p.urlsplit(URL).query); c.getresponse().read()')
check "python http.client: from a CHoA (${c:-none})" is_choa "$c"
if ((HAVE_REQ)); then
	c=$(py requests 'import requests; requests.get(URL).raise_for_status()')
	check "python requests: from a CHoA (${c:-none})" is_choa "$c"
fi
# a page that links to two more, for wget -r
mkdir -p "$ODM_RUNDIR/www/r"
echo '<a href="a.html?who=wgetr">a</a> <a href="b.html?who=wgetr">b</a>' >"$ODM_RUNDIR/www/r/index.html"
echo a >"$ODM_RUNDIR/www/r/a.html"
echo b >"$ODM_RUNDIR/www/r/b.html"
rc=0
odm_shim timeout 20 wget -q -r -l1 -P "$P/wget" "http://cn.example.test/r/index.html?who=wgetr" || rc=$?
choas=$(awk '/who=wgetr/ { print $1 }' "$L" | sort -u)
n=$(grep -c 'who=wgetr' "$L" || true)
check "wget -r: rc $rc, the page and the two it links to ($n requests)" test "$n" -eq 3
check "wget -r: all from CHoAs ($(tr '\n' ' ' <<<"$choas"))" all_choas "$choas"
rc=0
odm_shim timeout 20 curl -sS --parallel --parallel-max 8 -o '/dev/null' \
	"http://cn.example.test/index.html?who=par[1-8]" >/dev/null 2>"$P/par.err" || rc=$?
choas=$(awk '/who=par[1-8] / { print $1 }' "$L" | sort -u)
n=$(grep -c 'who=par[1-8] ' "$L" || true)
check "curl --parallel: rc $rc, eight requests ($n)" test "$rc" -eq 0 -a "$n" -eq 8
check "curl --parallel: all from CHoAs ($(tr '\n' ' ' <<<"$choas"))" all_choas "$choas"
if ((HAVE_CC)); then
	cat >"$P/daemonize.c" <<-'EOF'
		/* daemonize HOW HOST WHO OUT: GET /index.html?who=WHO-before from
		 * HOST:80; then unless HOW starts with "stay", fork, setsid and
		 * fork; close every fd (HOW ends in "range": close_range(), else
		 * close() on each), stdio on /dev/null; GET ?who=WHO again. Writes
		 * to OUT the bytes the second read and how its read ended. */
		#define _GNU_SOURCE
		#include <fcntl.h>
		#include <netdb.h>
		#include <stdio.h>
		#include <string.h>
		#include <sys/socket.h>
		#include <unistd.h>

		static const char *host;

		/* GET ?who=WHO; the bytes read, -1 if the connection failed, and
		 * the last read's return in *end */
		static long long get(const char *who, ssize_t *end)
		{
			struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;
			char buf[65536];
			long long total = 0;
			int s;

			if (getaddrinfo(host, "80", &hints, &ai) != 0)
				return -1;
			s = socket(AF_INET6, SOCK_STREAM, 0);
			if (s < 0 || connect(s, ai->ai_addr, ai->ai_addrlen) < 0)
				return -1;
			freeaddrinfo(ai);
			dprintf(s, "GET /index.html?who=%s HTTP/1.0\r\nHost: %s\r\n\r\n", who, host);
			while ((*end = read(s, buf, sizeof(buf))) > 0)
				total += *end;
			close(s);
			return total;
		}

		int main(int argc, char **argv)
		{
			char before[64];
			long long n;
			ssize_t end;
			int o;

			if (argc != 5)
				return 2;
			host = argv[2];
			snprintf(before, sizeof(before), "%s-before", argv[3]);
			if (get(before, &end) < 0)
				return 1;
			if (strncmp(argv[1], "stay", 4) != 0) {
				if (fork() != 0)
					return 0;
				setsid();
				if (fork() != 0)
					return 0;
			}
			if (strstr(argv[1], "range"))
				close_range(0, ~0U, 0);
			else
				for (int fd = 0; fd < 1024; fd++)
					close(fd);
			if (open("/dev/null", O_RDWR) != 0 || dup(0) != 1 || dup(0) != 2)
				return 1;
			o = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
			n = get(argv[3], &end);
			dprintf(o, "read %lld end %zd\n", n, end);
			return 0;
		}
	EOF
	cc -O2 -Wall -o "$P/daemonize" "$P/daemonize.c"
	# forked off (the child leases anew) or not (the shim's connection to
	# the agent is among the fds closed, and its number is taken again)
	HOWS="range loop stay-range stay-loop"
	for how in $HOWS; do
		odm_shim "$P/daemonize" "$how" cn.example.test "daemon-$how" "$P/daemon-$how.out"
	done
	for how in $HOWS; do
		wait_for 10 grep -q ' end 0$' "$P/daemon-$how.out" || true
		c=$(client_of "daemon-$how")
		check "$how: connects after closing every fd, reads to the end ($(cat "$P/daemon-$how.out" 2>/dev/null || true))" \
			grep -q ' end 0$' "$P/daemon-$how.out"
		check "$how: nginx saw a CHoA (${c:-none})" is_choa "$c"
	done
fi
if ((HAVE_APT)); then
	# a repository of one tiny package on cn's nginx, trusted unsigned;
	# apt's own files under the run directory, where _apt may go
	A=$ODM_RUNDIR/apt
	mkdir -p "$A/pkg/DEBIAN" "$A/lists/partial" "$A/cache/archives/partial" "$ODM_RUNDIR/www/apt"
	printf 'Package: odmtiny\nVersion: 1.0\nArchitecture: all\nMaintainer: odm <odm@example.test>\nDescription: tiny\n' \
		>"$A/pkg/DEBIAN/control"
	dpkg-deb -b "$A/pkg" "$ODM_RUNDIR/www/apt/odmtiny_1.0_all.deb" >/dev/null
	(cd "$ODM_RUNDIR/www/apt" && dpkg-scanpackages . 2>/dev/null >Packages)
	chown _apt "$A" "$A/lists/partial" "$A/cache/archives/partial"
	echo "deb [trusted=yes] http://cn.example.test/apt ./" >"$A/sources.list"
	APT_O=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache" -o Debug::NoLocking=1)
	apt_reqs() { grep -c ' "GET /apt/' "$L" || true; }
	# its http method drops root to _apt, who cannot open this test's
	# control socket: no agent, so connecting fails (odm(7))
	n0=$(apt_reqs)
	rc=0
	(cd "$A" && LC_ALL=C odm_shim timeout 30 apt-get "${APT_O[@]}" update) >"$P/apt1.log" 2>&1 || rc=$?
	check "apt-get update, its method as _apt, who cannot reach the agent: fails (rc $rc)" \
		grep -q 'Cannot assign requested address' "$P/apt1.log"
	check "and nothing went out plain instead ($(($(apt_reqs) - n0)) requests)" test "$(apt_reqs)" -eq "$n0"
	# the remedy odm(7) names: the method stays root
	rc=0
	(cd "$A" && odm_shim timeout 30 apt-get "${APT_O[@]}" -o APT::Sandbox::User=root update &&
		odm_shim timeout 30 apt-get "${APT_O[@]}" -o APT::Sandbox::User=root download odmtiny) \
		>"$P/apt2.log" 2>&1 || rc=$?
	check "apt-get update and download, APT::Sandbox::User=root: rc $rc, the package came" \
		cmp -s "$ODM_RUNDIR/www/apt/odmtiny_1.0_all.deb" "$A/odmtiny_1.0_all.deb"
	choas=$(awk '/"GET \/apt\// { print $1 }' "$L" | sort -u)
	check "apt-get: all its requests from CHoAs ($(tr '\n' ' ' <<<"$choas"))" all_choas "$choas"
fi
if ((HAVE_DIG)); then
	for how in +tcp +notcp; do
		want=$(nsq mn dig +short "$how" "@$DNS_ADDR" cn.example.test AAAA 2>&1 || true)
		got=$(odm_shim dig +short "$how" "@$DNS_ADDR" cn.example.test AAAA 2>&1 || true)
		check "dig $how under the shim: as without it (${got:-nothing})" test -n "$want" -a "$got" = "$want"
	done
fi

if [[ -n ${SSHF_PID:-} ]]; then topo_kill "$SSHF_PID"; fi
no_lease() { [[ $(odm_lease_count) -eq 0 ]]; }
check "every lease ends once the programs are gone" wait_for 15 no_lease
check_summary test_programs2
