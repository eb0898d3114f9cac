#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages that ODM's build, tests and demo need, only
# when they are missing. Idempotent and non-interactive.
#   tests/install-deps.sh build   - compilers and libraries, and iproute2:
#                                   unit tests make devices with ip
#   tests/install-deps.sh net     - plus the daemons and tools of tests/net
#   tests/install-deps.sh programs - plus the real programs test_programs,
#                                   test_programs2, test_programs3 and
#                                   test_programs4 run under the shim, and
#                                   their servers (make net, make check)
#   tests/install-deps.sh bench   - plus what make bench draws its chart with
set -eu

build_pkgs="gcc make pkg-config libuv1-dev libc-ares-dev libnl-3-dev
libnl-route-3-dev libjansson-dev libcriterion-dev libssl-dev libldns-dev libnftables-dev
libbpf-dev clang libclang-rt-14-dev tshark python3 systemd dpkg-dev man-db mandoc libcap2-bin
iproute2"
net_pkgs="iputils-ping radvd bind9 bind9-dnsutils nginx-light iperf3
tcpdump mptcpize curl procps openssl python3-scapy nftables ethtool"
programs_pkgs="nodejs openjdk-17-jdk-headless perl ruby aria2 socat netcat-openbsd git
openssh-client openssh-server tnftp vsftpd rsync tftp-hpa tftpd-hpa postgresql
python3-requests redis-server redis-tools mosquitto mosquitto-clients ncat php-cli lighttpd
lftp haproxy stunnel4 memcached wrk httpie wget2 nghttp2-client inetutils-telnet nmap
python3-httpx python3-aiohttp python3-grpcio ngtcp2-client ngtcp2-server
dnsmasq-base"
bench_pkgs="gnuplot-nox"

want=$build_pkgs
[ "${1:-build}" = net ] && want="$build_pkgs $net_pkgs"
[ "${1:-build}" = programs ] && want="$build_pkgs $net_pkgs $programs_pkgs"
[ "${1:-build}" = bench ] && want="$build_pkgs $net_pkgs $bench_pkgs"

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: not root, cannot install them; run as root or install them by hand" >&2
	exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The servers among them (sshd, vsftpd, tftpd, postgresql) are started by
# the tests inside their namespaces, never by their packages on the host:
# where no policy-rc.d(8) says otherwise, one that refuses every start is
# put in place for the install and taken away after it.
rcd=/usr/sbin/policy-rc.d
if [ ! -e "$rcd" ]; then
	printf '#!/bin/sh\n# tests/install-deps.sh: no daemon starts while it installs\nexit 101\n' >"$rcd"
	chmod 755 "$rcd"
	trap 'rm -f "$rcd"' EXIT
	trap 'rm -f "$rcd"; exit 1' INT TERM HUP
fi
# A fresh machine may have empty package lists; refresh at most once per run.
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "install-deps: done"
