# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # (API variables are used by the tests)
# tests/net/lib/topo.sh - the ODM test network: real hosts in network
# namespaces, real daemons (radvd, BIND9, nginx, iperf3), no mocks.
#
# Source it from a test (bash, `set -euo pipefail`), then call topo_up:
#
#   . "$(dirname "$0")/lib/topo.sh"
#   topo_up            # builds everything, installs the EXIT/INT/TERM trap
#   nsx mn curl -6 http://cn.example.test/
#   topo_move ar2
#
#                                  2001:db8:f1::/64        2001:db8:c0::/64
#        eth1 (SLAAC)   +-----+ eth0    core:ar1    +------+ cn   eth0 +----+
#   +----+-- a1::/64 ---| ar1 |-----------------------|      |-----------| cn |  nginx, iperf3
#   |    |  lan0 ::1    +-----+ f1::2        f1::1    |      |           +----+
#   | mn |              radvd (H, HA info, pref high) |      | cn2       +-----+
#   |    |                                             |      |-----------| cn2 |  nginx, iperf3
#   |    |  lan0 ::1    +-----+ f2::2        f2::1    | core |  c2::/64  +-----+
#   +----+-- a2::/64 ---| ar2 |-----------------------|      | cha       +-----+
#        eth2 (SLAAC)   +-----+ eth0    core:ar2    |      |-----------| cha |  pool c4a::/64
#                        radvd (H, HA info, pref low)|      |  ca::/64  +-----+
#                                  2001:db8:f2::/64  |      | ha        +----+
#                                                    |      |-----------| ha |  pool 40e::/64
#                                                    |      |  40::/64  +----+
#                                                    |      | dns       +-----+
#                                                    |      |-----------| dns |  BIND9 (TSIG)
#                                                    +------+  53::/64  +-----+
#
#   All prefixes are 2001:db8:<x>::/64; the host side is ::10 (dns: ::53),
#   the core side ::1; the routers' uplinks are ::2. IPv4 on every link from
#   198.18.0.0/15 (see the table in topo__links). core routes the access
#   prefixes to ar1/ar2 and the anchor pools to cha (2001:db8:c4a::/64) and
#   ha (2001:db8:40e::/64). mn starts attached to ar1 (eth2 down).
#
# Namespaces are named odm<RUNID>-<host>; RUNID is unique per run, so runs
# can go on side by side. Everything lives under ODM_RUNDIR (a temp dir) and
# /etc/netns/<ns>/ (resolv.conf, hosts); topo_down removes it all.
#
# Settings for the environment (all optional):
#   ODM_RUNID        use this run id instead of a fresh one (the runner sets it
#                    so it can sweep after a killed test)
#   TOPO_MN_DAD      how mn configures addresses: fast (the default: no DAD,
#                    RS at once, unsolicited NA, 100 ms ND retransmit),
#                    optimistic (RFC 4429 optimistic DAD + the same fast RS/ND),
#                    or default (kernel defaults: realistic, ~2-3 s per move)
#   TOPO_BIGFILE_MB  size of BIGFILE in MiB (default 256)
#   TOPO_VERBOSE=1   also print every traced command on stderr
#   TOPO_KEEP=1      on failure, leave everything in place for a look
#
# API (see each function): topo_up topo_down nsx topo_move topo_move_mbb topo_mn_addr
# topo_start_nginx topo_start_iperf topo_check_clean topo_shape topo_unshape topo_spawn
# topo_kill topo_wait_listen topo_diag topo_log topo_die topo_now_ms topo_sha256
# topo_random_file topo_gro topo_relink
# topo_at_exit topo_sweep.

# ---------------------------------------------------------------- constants
TOPO_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

TOPO_HOSTS=(mn ar1 ar2 core cn cn2 cha ha dns)

if [[ -z ${ODM_RUNID:-} ]]; then
	ODM_RUNID=$(printf '%04x%04x' $(($$ & 0xffff)) $((RANDOM ^ (RANDOM << 1) & 0xffff)))
fi
export ODM_RUNID
export ODM_RUNDIR=${ODM_RUNDIR:-}

export NS_MN=odm$ODM_RUNID-mn NS_AR1=odm$ODM_RUNID-ar1 NS_AR2=odm$ODM_RUNID-ar2
export NS_CORE=odm$ODM_RUNID-core NS_CN=odm$ODM_RUNID-cn NS_CN2=odm$ODM_RUNID-cn2
export NS_CHA=odm$ODM_RUNID-cha NS_HA=odm$ODM_RUNID-ha NS_DNS=odm$ODM_RUNID-dns

export CN_ADDR=2001:db8:c0::10 CN2_ADDR=2001:db8:c2::10
export CHA_ADDR=2001:db8:ca::10 HA_ADDR=2001:db8:40::10 DNS_ADDR=2001:db8:53::53
export CORE_CN=2001:db8:c0::1 CORE_CN2=2001:db8:c2::1 CORE_CHA=2001:db8:ca::1
export CORE_HA=2001:db8:40::1 CORE_DNS=2001:db8:53::1
export CORE_AR1=2001:db8:f1::1 CORE_AR2=2001:db8:f2::1
export AR1_UP=2001:db8:f1::2 AR2_UP=2001:db8:f2::2
export AR1_ADDR=2001:db8:a1::1 AR2_ADDR=2001:db8:a2::1
export AR1_PREFIX=2001:db8:a1::/64 AR2_PREFIX=2001:db8:a2::/64
export CHA_POOL=2001:db8:c4a::/64 HA_POOL=2001:db8:40e::/64
export MN_IF1=eth1 MN_IF2=eth2
# Fixed MACs, so the EUI-64 SLAAC addresses are known in advance.
export MN_MAC1=02:0d:00:00:00:01 MN_MAC2=02:0d:00:00:00:02
# (RFC 5952 text form, as ip prints them: a single zero group is not '::')
export MN_ADDR1=2001:db8:a1:0:d:ff:fe00:1 MN_ADDR2=2001:db8:a2:0:d:ff:fe00:2
# IPv4 (198.18.0.0/15): one /24 per link.
export CN_ADDR4=198.18.10.10 CN2_ADDR4=198.18.12.10 CHA_ADDR4=198.18.20.10
export HA_ADDR4=198.18.40.10 DNS_ADDR4=198.18.53.53
export AR1_ADDR4=198.18.1.1 AR2_ADDR4=198.18.2.1
export MN_ADDR4_1=198.18.1.100 MN_ADDR4_2=198.18.2.100
export DNS_ZONE=example.test
export HTTP_PORT=80 MPTCP_HTTP_PORT=8080 IPERF_PORT=5201
export BIGFILE_URL_PATH=/big.bin
export TSIG_NAME=odm-test-key
export TSIG_KEYFILE='' TSIG_SECRET='' BIGFILE='' BIGFILE_SHA256=''

TOPO_PIDS=()          # every daemon we started, "pid:host:name"
TOPO_EXIT_HOOKS=()    # run before topo_down on exit
TOPO_UP=0
TOPO_MN_AT=ar1
TOPO_MN_DAD=${TOPO_MN_DAD:-fast}

# ---------------------------------------------------------------- helpers
topo_now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

# topo_sha256 FILE - its SHA-256 in hex. openssl uses the CPU's SHA
# instructions: a 256 MiB download is checked in 0.4 s, not sha256sum's 2.8.
topo_sha256() { openssl dgst -sha256 -r "$1" | awk '{print $1}'; }

# topo_random_file FILE MIB - MIB MiB that do not compress: AES-128-CTR of
# zeros under a random key (0.3 s for 256 MiB; /dev/urandom takes 2.3).
topo_random_file() {
	head -c "$(($2 * 1024 * 1024))" /dev/zero |
		openssl enc -aes-128-ctr -K "$(openssl rand -hex 16)" -iv "$(openssl rand -hex 16)" >"$1"
}

# topo_log MSG... - a progress line on stderr (and in the trace).
topo_log() {
	echo "# $*" >&2
	[[ -n $ODM_RUNDIR && -d $ODM_RUNDIR ]] && echo "# $*" >>"$ODM_RUNDIR/trace.log"
	return 0
}

# topo_die MSG... - print and exit 1 (the trap dumps diagnostics).
topo_die() { echo "FAIL: $*" >&2; exit 1; }

topo__trace() {
	[[ -n $ODM_RUNDIR && -d $ODM_RUNDIR ]] && echo "+ $*" >>"$ODM_RUNDIR/trace.log"
	[[ ${TOPO_VERBOSE:-0} == 1 ]] && echo "+ $*" >&2
	return 0
}

topo__ns() { # host -> namespace name
	case $1 in
	mn | ar1 | ar2 | core | cn | cn2 | cha | ha | dns) echo "odm$ODM_RUNID-$1" ;;
	*) echo "topo: unknown host '$1'" >&2; return 1 ;;
	esac
}

# nsx HOST CMD... - run CMD in HOST's namespace (traced).
nsx() {
	local ns
	ns=$(topo__ns "$1") || return 2
	shift
	topo__trace "[${ns#odm"$ODM_RUNID"-}] $*"
	ip netns exec "$ns" "$@"
}

# nsq HOST CMD... - like nsx but not traced (polling loops).
nsq() {
	local ns
	ns=$(topo__ns "$1") || return 2
	shift
	ip netns exec "$ns" "$@"
}

# topo_spawn HOST NAME LOGFILE CMD... - start a long-running CMD in HOST's
# namespace in the background, tracked for clean-up. Sets TOPO_SPAWNED_PID.
topo_spawn() {
	local host=$1 name=$2 log=$3 ns
	shift 3
	ns=$(topo__ns "$host") || return 2
	topo__trace "[$host] $* & (log $log)"
	ip netns exec "$ns" "$@" </dev/null >>"$log" 2>&1 &
	TOPO_SPAWNED_PID=$!
	TOPO_PIDS+=("$TOPO_SPAWNED_PID:$host:$name")
	[[ -d $ODM_RUNDIR ]] && echo "$TOPO_SPAWNED_PID $host $name" >>"$ODM_RUNDIR/pids"
	return 0
}

# topo_kill PID - TERM, wait at most 3 s, then KILL. Only our own pids.
topo_kill() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

# topo_wait_listen HOST PORT [TIMEOUT_S] - poll until a TCP listener is up.
topo_wait_listen() {
	local host=$1 port=$2 tmo=${3:-10} i
	for ((i = 0; i < tmo * 50; i++)); do
		if nsq "$host" ss -Hltn "sport = :$port" 2>/dev/null | grep LISTEN >/dev/null; then
			return 0
		fi
		sleep 0.02
	done
	echo "topo: nothing listens on $host port $port after ${tmo}s" >&2
	return 1
}

# topo_at_exit CMD - run CMD (a string, eval'd) on exit before topo_down.
topo_at_exit() { TOPO_EXIT_HOOKS+=("$1"); }

# ---------------------------------------------------------------- building
topo__sysctl() { # host key=value...
	local host=$1
	shift
	nsx "$host" sysctl -q -w "$@" >/dev/null
}

topo__ns_setup() {
	local h=$1 ns common
	ns=$(topo__ns "$h")
	topo__trace "ip netns add $ns"
	ip netns add "$ns"
	mkdir -p "/etc/netns/$ns"
	printf 'nameserver %s\nsearch %s\noptions timeout:1 attempts:2\n' \
		"$DNS_ADDR" "$DNS_ZONE" >"/etc/netns/$ns/resolv.conf"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		>"/etc/netns/$ns/hosts"
	common=(net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
		net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1)
	case $h in
	ar1 | ar2 | core | cha | ha)
		topo__sysctl "$h" "${common[@]}" net.ipv6.conf.all.forwarding=1 \
			net.ipv6.conf.default.forwarding=1 net.ipv4.ip_forward=1
		;;
	mn)
		# The moving host: SLAAC on, forwarding off.
		# keep_addr_on_down=0: a link that goes down loses its addresses.
		common=(net.ipv6.conf.all.forwarding=0 net.ipv6.conf.default.forwarding=0
			net.ipv6.conf.all.accept_ra=1 net.ipv6.conf.default.accept_ra=1
			net.ipv6.conf.all.keep_addr_on_down=0 net.ipv6.conf.default.keep_addr_on_down=0)
		# Fast attachment (not in "default" mode): send the RS at once and
		# every second until an RA comes; announce a new address with an
		# unsolicited NA (so a router whose neighbour entry for it went
		# stale or INCOMPLETE delivers at once instead of after its next
		# 1 s probe); per-device neigh retrans_time_ms=100 (set when the
		# links are made) shortens DAD and address resolution.
		local fast=(net.ipv6.conf.default.router_solicitation_delay=0
			net.ipv6.conf.default.router_solicitation_interval=1
			net.ipv6.conf.default.router_solicitations=-1
			net.ipv6.conf.all.ndisc_notify=1 net.ipv6.conf.default.ndisc_notify=1)
		case $TOPO_MN_DAD in
		fast) common+=("${fast[@]}" net.ipv6.conf.all.accept_dad=0
			net.ipv6.conf.default.accept_dad=0) ;;
		optimistic) common+=("${fast[@]}" net.ipv6.conf.all.accept_dad=1
			net.ipv6.conf.default.accept_dad=1 net.ipv6.conf.all.optimistic_dad=1
			net.ipv6.conf.default.optimistic_dad=1 net.ipv6.conf.all.use_optimistic=1
			net.ipv6.conf.default.use_optimistic=1 net.ipv6.conf.default.dad_transmits=1) ;;
		default) common+=(net.ipv6.conf.all.accept_dad=1 net.ipv6.conf.default.accept_dad=1) ;;
		*) echo "topo: TOPO_MN_DAD must be fast, optimistic or default" >&2; return 1 ;;
		esac
		topo__sysctl "$h" "${common[@]}"
		;;
	*)
		topo__sysctl "$h" "${common[@]}" net.ipv6.conf.all.forwarding=0 net.ipv4.ip_forward=0
		;;
	esac
	nsx "$h" ip link set lo up
}

# One line per link: hostA ifA addrA6/len addrA4/len hostB ifB addrB6/len addrB4/len
topo__links() {
	cat <<'EOF'
core ar1 2001:db8:f1::1/64 198.18.241.1/24 ar1 eth0 2001:db8:f1::2/64 198.18.241.2/24
core ar2 2001:db8:f2::1/64 198.18.242.1/24 ar2 eth0 2001:db8:f2::2/64 198.18.242.2/24
core cn 2001:db8:c0::1/64 198.18.10.1/24 cn eth0 2001:db8:c0::10/64 198.18.10.10/24
core cn2 2001:db8:c2::1/64 198.18.12.1/24 cn2 eth0 2001:db8:c2::10/64 198.18.12.10/24
core cha 2001:db8:ca::1/64 198.18.20.1/24 cha eth0 2001:db8:ca::10/64 198.18.20.10/24
core ha 2001:db8:40::1/64 198.18.40.1/24 ha eth0 2001:db8:40::10/64 198.18.40.10/24
core dns 2001:db8:53::1/64 198.18.53.1/24 dns eth0 2001:db8:53::53/64 198.18.53.53/24
ar1 lan0 2001:db8:a1::1/64 198.18.1.1/24 mn eth1 - 198.18.1.100/24
ar2 lan0 2001:db8:a2::1/64 198.18.2.1/24 mn eth2 - 198.18.2.100/24
EOF
}

# topo__link HA IA A6 A4 HB IB B6 B4 - one line of topo__links made: the veth
# pair, its addresses, up
topo__link() {
	local ha=$1 ia=$2 a6=$3 a4=$4 hb=$5 ib=$6 b6=$7 b4=$8 nsa nsb
	nsa=$(topo__ns "$ha")
	nsb=$(topo__ns "$hb")
	topo__trace "ip link add $ia netns $nsa type veth peer name $ib netns $nsb"
	ip link add "$ia" netns "$nsa" type veth peer name "$ib" netns "$nsb"
	if [[ $hb == mn ]]; then
		if [[ $ib == eth1 ]]; then nsx mn ip link set eth1 address "$MN_MAC1"; fi
		if [[ $ib == eth2 ]]; then nsx mn ip link set eth2 address "$MN_MAC2"; fi
		# neigh.default exists only in the initial namespace: per device.
		if [[ $TOPO_MN_DAD != default ]]; then
			topo__sysctl mn "net.ipv6.neigh.$ib.retrans_time_ms=100"
		fi
	fi
	nsx "$ha" ip link set "$ia" up
	nsx "$ha" ip addr add "$a6" dev "$ia" nodad
	nsx "$ha" ip addr add "$a4" dev "$ia"
	[[ $b6 != - ]] && nsx "$hb" ip addr add "$b6" dev "$ib" nodad
	nsx "$hb" ip addr add "$b4" dev "$ib"
	# mn's eth2 stays down: mn starts attached to ar1.
	if [[ $ib != eth2 ]]; then nsx "$hb" ip link set "$ib" up; fi
}

topo__build_links() {
	local line
	while read -r line; do
		# shellcheck disable=SC2086 # (the line's eight words)
		topo__link $line
	done < <(topo__links)
}

# topo_relink HOST - HOST's link to core (cn, cn2, cha, ha or dns) deleted
# and made again, as a NIC unplugged and plugged back: an interface of the
# same name with a new index, its addresses, HOST's default routes through
# core and core's route to HOST's pool (cha, ha)
topo_relink() {
	local h=$1 ha ia a6 a4 hb ib b6 b4
	while read -r ha ia a6 a4 hb ib b6 b4; do
		[[ $ha == core && $hb == "$h" ]] || continue
		nsx "$h" ip link del "$ib"
		topo__link "$ha" "$ia" "$a6" "$a4" "$hb" "$ib" "$b6" "$b4"
		nsx "$h" ip -6 route add default via "${a6%/*}"
		nsx "$h" ip -4 route add default via "${a4%/*}"
		case $h in
		cha) nsx core ip -6 route add "$CHA_POOL" via "$CHA_ADDR" ;;
		ha) nsx core ip -6 route add "$HA_POOL" via "$HA_ADDR" ;;
		esac
		return 0
	done < <(topo__links)
	echo "topo_relink: no link between core and '$h'" >&2
	return 2
}

topo__build_routes() {
	local h
	for h in cn cn2 cha ha dns ar1 ar2; do
		local up6 up4
		case $h in
		cn) up6=$CORE_CN up4=198.18.10.1 ;;
		cn2) up6=$CORE_CN2 up4=198.18.12.1 ;;
		cha) up6=$CORE_CHA up4=198.18.20.1 ;;
		ha) up6=$CORE_HA up4=198.18.40.1 ;;
		dns) up6=$CORE_DNS up4=198.18.53.1 ;;
		ar1) up6=$CORE_AR1 up4=198.18.241.1 ;;
		ar2) up6=$CORE_AR2 up4=198.18.242.1 ;;
		esac
		nsx "$h" ip -6 route add default via "$up6"
		nsx "$h" ip -4 route add default via "$up4"
	done
	nsx core ip -6 route add "$AR1_PREFIX" via "$AR1_UP"
	nsx core ip -6 route add "$AR2_PREFIX" via "$AR2_UP"
	nsx core ip -6 route add "$CHA_POOL" via "$CHA_ADDR"
	nsx core ip -6 route add "$HA_POOL" via "$HA_ADDR"
	nsx core ip -4 route add 198.18.1.0/24 via 198.18.241.2
	nsx core ip -4 route add 198.18.2.0/24 via 198.18.242.2
	nsx mn ip -4 route add default via "$AR1_ADDR4" dev eth1
}

# ---------------------------------------------------------------- daemons
topo__radvd() {
	local h=$1 pfx pref hapref dir
	dir=$ODM_RUNDIR/$h
	mkdir -p "$dir"
	case $h in
	# With AdvRouterAddr radvd sends the prefix as written: written as the
	# router's own address, it tells hosts that address (RFC 6275 §7.2).
	ar1) pfx=$AR1_ADDR/64 pref=high hapref=20 ;;
	ar2) pfx=$AR2_ADDR/64 pref=low hapref=10 ;;
	esac
	sed -e "s|@IF@|lan0|g" -e "s|@PREFIX@|$pfx|g" -e "s|@PREF@|$pref|g" \
		-e "s|@HAPREF@|$hapref|g" -e "s|@DNS@|$DNS_ADDR|g" -e "s|@ZONE@|$DNS_ZONE|g" \
		"$TOPO_LIB_DIR/radvd.conf.in" >"$dir/radvd.conf"
	chmod 644 "$dir/radvd.conf"
	topo_spawn "$h" radvd "$dir/radvd.log" radvd -n -C "$dir/radvd.conf" \
		-p "$dir/radvd.pid" -m stderr
}

topo__named() {
	local dir=$ODM_RUNDIR/dns
	mkdir -p "$dir"
	TSIG_KEYFILE=$dir/tsig.key
	tsig-keygen -a hmac-sha256 "$TSIG_NAME" >"$TSIG_KEYFILE"
	chmod 600 "$TSIG_KEYFILE"
	TSIG_SECRET=$(sed -n 's/.*secret "\([^"]*\)".*/\1/p' "$TSIG_KEYFILE")
	[[ -n $TSIG_SECRET ]] || { echo "topo: no secret in $TSIG_KEYFILE" >&2; return 1; }
	export TSIG_KEYFILE TSIG_SECRET
	sed -e "s|@DIR@|$dir|g" -e "s|@KEYFILE@|$TSIG_KEYFILE|g" -e "s|@KEY@|$TSIG_NAME|g" \
		-e "s|@ZONE@|$DNS_ZONE|g" "$TOPO_LIB_DIR/named.conf.in" >"$dir/named.conf"
	sed -e "s|@DNS@|$DNS_ADDR|g" -e "s|@CN@|$CN_ADDR|g" -e "s|@CN2@|$CN2_ADDR|g" \
		-e "s|@CHA@|$CHA_ADDR|g" -e "s|@HA@|$HA_ADDR|g" \
		-e "s|@CN4@|$CN_ADDR4|g" -e "s|@CHA4@|$CHA_ADDR4|g" \
		"$TOPO_LIB_DIR/example.test.zone.in" >"$dir/$DNS_ZONE.zone"
	rm -f "$dir/$DNS_ZONE.zone.jnl"
	topo_spawn dns named "$dir/named.log" named -g -c "$dir/named.conf"
}

topo__nginx() {
	local h=$1 port=$2 tag=$3 dir
	shift 3
	dir=$ODM_RUNDIR/$h/nginx-$tag
	mkdir -p "$dir/tmp"
	sed -e "s|@DIR@|$dir|g" -e "s|@ROOT@|$ODM_RUNDIR/www|g" -e "s|@PORT@|$port|g" \
		"$TOPO_LIB_DIR/nginx.conf.in" >"$dir/nginx.conf"
	# "$@" is an optional wrapper (mptcpize run).
	topo_spawn "$h" "nginx-$tag" "$dir/stderr.log" "$@" nginx -p "$dir" -c "$dir/nginx.conf"
}

# topo_start_nginx HOST [PORT] - a real nginx on HOST (cn's configuration and
# files: index.html, BIGFILE, ?rate= pacing) listening on [::]:PORT (default
# HTTP_PORT) and 0.0.0.0:PORT; its logs in $ODM_RUNDIR/HOST/nginx-tcp-PORT/.
# Returns once it listens; sets TOPO_SPAWNED_PID.
topo_start_nginx() {
	local h=$1 port=${2:-$HTTP_PORT} pid
	mkdir -p "$ODM_RUNDIR/$h"
	topo__nginx "$h" "$port" "tcp-$port"
	pid=$TOPO_SPAWNED_PID
	topo_wait_listen "$h" "$port" 10
	TOPO_SPAWNED_PID=$pid
}

# topo_gro HOST IF - HOST's end IF of a veth link takes packets in as a NIC
# with GRO (the default on physical links) does: coalesced, IPv6-in-IPv6
# included. veth hands a packet to NAPI, and so to GRO, only when its peer
# does no TSO (drivers/net/veth.c, veth_skb_is_eligible_for_gro), and starts
# NAPI when GRO is switched on; gro_flush_timeout (50 us) holds segments
# across polls, as a NIC's interrupt moderation does, so that bursts
# coalesce (Documentation/networking/napi.rst). Needs ethtool.
topo_gro() {
	local h=$1 i=$2 ha ia hb ib ph='' pi=''
	while read -r ha ia _ _ hb ib _ _; do
		if [[ $ha == "$h" && $ia == "$i" ]]; then ph=$hb pi=$ib; fi
		if [[ $hb == "$h" && $ib == "$i" ]]; then ph=$ha pi=$ia; fi
	done < <(topo__links)
	[[ -n $ph ]] || topo_die "topo_gro: no link at $h $i"
	nsx "$ph" ethtool -K "$pi" tso off
	nsx "$h" ethtool -K "$i" gro off
	nsx "$h" ethtool -K "$i" gro on
	nsx "$h" sh -c "echo 50000 >/sys/class/net/$i/gro_flush_timeout"
}

# topo_start_iperf HOST - (re)start a fresh one-shot-free iperf3 server on
# HOST port IPERF_PORT; returns once it listens. The server's pid is kept
# in a file of the run's, not only in a variable: a caller in a subshell
# (make bench's rounds run in process substitutions) would otherwise leave
# its server holding the port, unseen by the next start, whose own server
# then fails to bind while the old one serves on (and, still in a test the
# client ended, answers the next "the server is busy running a test").
topo_start_iperf() {
	local h=$1 var=TOPO_IPERF_PID_$1 old pidf
	pidf=$ODM_RUNDIR/$h/iperf3.pid
	mkdir -p "$ODM_RUNDIR/$h"
	old=${!var:-}
	[[ -z $old && -s $pidf ]] && old=$(<"$pidf")
	[[ -s $pidf && $(<"$pidf") != "$old" ]] && topo__kill_iperf "$(<"$pidf")"
	[[ -n $old ]] && topo__kill_iperf "$old"
	topo_spawn "$h" iperf3 "$ODM_RUNDIR/$h/iperf3.log" iperf3 -s -p "$IPERF_PORT"
	printf -v "$var" '%s' "$TOPO_SPAWNED_PID"
	echo "$TOPO_SPAWNED_PID" >"$pidf"
	topo_wait_listen "$h" "$IPERF_PORT" 10 || return
	if ! kill -0 "$TOPO_SPAWNED_PID" 2>/dev/null; then
		echo "topo: iperf3 on $h ended at its start (another holds port $IPERF_PORT?):" \
			"$(tail -n 2 "$ODM_RUNDIR/$h/iperf3.log" 2>/dev/null)" >&2
		return 1
	fi
}
# topo__kill_iperf PID - stop the iperf3 server this run started as PID, if
# that pid is still that server (a pid read back from a file may have been
# given to another process since)
topo__kill_iperf() {
	local cmd
	cmd=$({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null) || return 0
	[[ $cmd == "iperf3 -s -p $IPERF_PORT "* ]] || return 0
	topo_kill "$1"
}

# ---------------------------------------------------------------- mn state
# topo_mn_addr [IF] - print mn's current usable (non-tentative) global IPv6
# address (on IF, default: the interface mn is attached to).
topo_mn_addr() {
	local ifc=${1:-}
	if [[ -z $ifc ]]; then
		if [[ $TOPO_MN_AT == ar1 ]]; then ifc=$MN_IF1; else ifc=$MN_IF2; fi
	fi
	# ip -n (setns only) is much cheaper than ip netns exec: used when polling.
	# Usable: not tentative (or tentative but optimistic, RFC 4429), not
	# dadfailed, not deprecated.
	ip -n "$NS_MN" -6 -o addr show dev "$ifc" scope global 2>/dev/null |
		awk '/dadfailed|deprecated/ { next }
		     / tentative/ && !/optimistic/ { next }
		     { split($4, a, "/"); print a[1]; exit }'
}

# topo_host_addr HOST [6|4] - print HOST's main address (mn: its current one).
topo_host_addr() {
	local h=$1 f=${2:-6}
	if [[ $f == 6 ]]; then
		case $h in
		mn) topo_mn_addr ;;
		ar1) echo "$AR1_UP" ;;
		ar2) echo "$AR2_UP" ;;
		core) echo "$CORE_CN" ;;
		cn) echo "$CN_ADDR" ;;
		cn2) echo "$CN2_ADDR" ;;
		cha) echo "$CHA_ADDR" ;;
		ha) echo "$HA_ADDR" ;;
		dns) echo "$DNS_ADDR" ;;
		*) return 1 ;;
		esac
	else
		case $h in
		mn) if [[ $TOPO_MN_AT == ar1 ]]; then echo "$MN_ADDR4_1"; else echo "$MN_ADDR4_2"; fi ;;
		ar1) echo 198.18.241.2 ;;
		ar2) echo 198.18.242.2 ;;
		core) echo 198.18.10.1 ;;
		cn) echo "$CN_ADDR4" ;;
		cn2) echo "$CN2_ADDR4" ;;
		cha) echo "$CHA_ADDR4" ;;
		ha) echo "$HA_ADDR4" ;;
		dns) echo "$DNS_ADDR4" ;;
		*) return 1 ;;
		esac
	fi
}

# topo_mn_attached - print ar1 or ar2.
topo_mn_attached() { echo "$TOPO_MN_AT"; }

topo__wait_mn_ready() { # ar1|ar2 timeout_ms -> 0 when addr + default route
	local r=$1 tmo=$2 ifc pfx t0 i a
	if [[ $r == ar1 ]]; then ifc=$MN_IF1 pfx=2001:db8:a1:; else ifc=$MN_IF2 pfx=2001:db8:a2:; fi
	t0=$(topo_now_ms)
	for ((i = 0; i < 100000; i++)); do
		a=$(topo_mn_addr "$ifc")
		if [[ $a == "$pfx"* ]] &&
			ip -n "$NS_MN" -6 route show default dev "$ifc" 2>/dev/null | grep . >/dev/null; then
			return 0
		fi
		(($(topo_now_ms) - t0 > tmo)) && return 1
		sleep 0.002
	done
	return 1
}

# topo_move ar1|ar2 - move mn: the old link goes down, then the new one comes
# up; returns when mn has a usable global address from the new router's
# prefix and a default route through it. Prints the time taken in ms and
# sets TOPO_MOVE_MS, TOPO_MOVE_T0 (epoch ns just after the old link went
# down, CLOCK_REALTIME like packet captures).
# topo__move_ifs FN TO - sets old/new (mn's interfaces) of a move to TO
topo__move_ifs() {
	case $2 in
	ar1) old=$MN_IF2 new=$MN_IF1 ;;
	ar2) old=$MN_IF1 new=$MN_IF2 ;;
	*) echo "$1: ar1 or ar2, not '$2'" >&2; return 2 ;;
	esac
}

# topo__v4_default TO IF - mn's IPv4 default route through TO's router
topo__v4_default() {
	if [[ $1 == ar1 ]]; then
		nsx mn ip -4 route replace default via "$AR1_ADDR4" dev "$2"
	else
		nsx mn ip -4 route replace default via "$AR2_ADDR4" dev "$2"
	fi
}

topo_move() {
	local to=$1 old new t0 t1
	topo__move_ifs topo_move "$to" || return
	# ip -n: no mount namespace to set up, so the move starts at once.
	topo__trace "[mn] ip link set $old down; ip link set $new up"
	# TOPO_MOVE_TCMD: epoch ns just before the command (no process started
	# in between but ip itself): the link cannot have gone down before it
	TOPO_MOVE_TCMD=${EPOCHREALTIME/./}000
	ip -n "$NS_MN" link set "$old" down
	t0=$(date +%s%N)
	TOPO_MOVE_T0=$t0
	ip -n "$NS_MN" link set "$new" up
	TOPO_MN_AT=$to
	if ! topo__wait_mn_ready "$to" 10000; then
		echo "topo_move: mn got no usable address from $to within 10 s" >&2
		return 1
	fi
	t1=$(date +%s%N)
	topo__v4_default "$to" "$new"
	TOPO_MOVE_MS=$(((t1 - t0) / 1000000))
	echo "move to $to: $TOPO_MOVE_MS ms (mn address $(topo_mn_addr))"
}

# topo_move_mbb ar1|ar2 - move mn make-before-break: the new link comes up
# while the old one still works; once mn has a usable address and a default
# route there, the old link goes down. Sets TOPO_MOVE_T0 (epoch ns just after
# the old link went down) and TOPO_MOVE_MS (new link up -> usable address,
# the part of the move the old link covered).
topo_move_mbb() {
	local to=$1 old new t0 t1
	topo__move_ifs topo_move_mbb "$to" || return
	topo__trace "[mn] ip link set $new up; (address usable) ip link set $old down"
	t0=$(date +%s%N)
	ip -n "$NS_MN" link set "$new" up
	if ! topo__wait_mn_ready "$to" 10000; then
		echo "topo_move_mbb: mn got no usable address from $to within 10 s" >&2
		return 1
	fi
	t1=$(date +%s%N)
	ip -n "$NS_MN" link set "$old" down
	TOPO_MOVE_T0=$(date +%s%N)
	TOPO_MOVE_TCMD=''
	TOPO_MN_AT=$to
	topo__v4_default "$to" "$new"
	TOPO_MOVE_MS=$(((t1 - t0) / 1000000))
	echo "make-before-break move to $to: new link usable after $TOPO_MOVE_MS ms, then the old one went down"
}

# topo_shape RATE - tc tbf on core's links toward ar1 and ar2 (downlink to
# mn), e.g. topo_shape 400mbit. topo_unshape removes it.
topo_shape() {
	local ifc
	for ifc in ar1 ar2; do
		nsx core tc qdisc replace dev "$ifc" root tbf rate "$1" burst 64kb latency 50ms
	done
}
topo_unshape() {
	local ifc
	for ifc in ar1 ar2; do
		nsx core tc qdisc del dev "$ifc" root 2>/dev/null || true
	done
}

# ---------------------------------------------------------------- up/down
# topo__system_python DIR - python3 in the tests (and in the programs they
# run in the namespaces) is the system's, /usr/bin/python3, when there is
# one and something else comes first on PATH: the tests need its Debian
# modules (scapy), and a version manager's shim (pyenv's is a bash script)
# costs about 0.4 s a start against 0.05 (tests start it in their waits).
# DIR/system-python is put first on PATH.
topo__system_python() {
	[[ -x /usr/bin/python3 && $(command -v python3 || true) != /usr/bin/python3 ]] || return 0
	mkdir -p "$1/system-python"
	ln -sfn /usr/bin/python3 "$1/system-python/python3"
	PATH=$1/system-python:$PATH
	export PATH
}

topo_up() {
	local t0 t1 h i bigpid
	if ((EUID != 0)); then
		echo "topo_up: needs root" >&2
		return 1
	fi
	if ! command -v openssl >/dev/null; then
		echo "topo_up: needs openssl (the big file and its sha256; make deps-net installs it)" >&2
		return 1
	fi
	t0=$(topo_now_ms)
	ODM_RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/odm-$ODM_RUNID.XXXXXX")
	export ODM_RUNDIR
	chmod 755 "$ODM_RUNDIR"
	topo__system_python "$ODM_RUNDIR"
	: >"$ODM_RUNDIR/trace.log"
	: >"$ODM_RUNDIR/pids"
	trap 'topo__on_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	TOPO_UP=1
	topo_log "run $ODM_RUNID, rundir $ODM_RUNDIR, mn DAD mode $TOPO_MN_DAD"

	# The big file is made in the background while the network is built.
	mkdir -p "$ODM_RUNDIR/www"
	BIGFILE=$ODM_RUNDIR/www${BIGFILE_URL_PATH}
	export BIGFILE
	(topo_random_file "$BIGFILE" "${TOPO_BIGFILE_MB:-256}" &&
		topo_sha256 "$BIGFILE" >"$BIGFILE.sha256") &
	bigpid=$!
	echo "hello from ODM test net" >"$ODM_RUNDIR/www/index.html"

	for h in "${TOPO_HOSTS[@]}"; do topo__ns_setup "$h"; done
	topo__build_links
	topo__build_routes

	topo__radvd ar1
	topo__radvd ar2
	topo__named
	for h in cn cn2; do
		mkdir -p "$ODM_RUNDIR/$h"
		topo__nginx "$h" "$HTTP_PORT" tcp
		topo__nginx "$h" "$MPTCP_HTTP_PORT" mptcp mptcpize run
		nsx "$h" ip mptcp limits set subflows 8 add_addr_accepted 8
		topo_start_iperf "$h"
	done

	# Readiness, by polling.
	topo_wait_listen dns 53 10
	for ((i = 0; i < 500; i++)); do
		if nsq dns dig +time=1 +tries=1 +short @"$DNS_ADDR" SOA "$DNS_ZONE" 2>/dev/null | grep ns1 >/dev/null; then
			break
		fi
		sleep 0.02
	done
	((i < 500)) || { echo "topo_up: named does not answer" >&2; return 1; }
	for h in cn cn2; do
		topo_wait_listen "$h" "$HTTP_PORT" 10
		topo_wait_listen "$h" "$MPTCP_HTTP_PORT" 10
	done
	topo__wait_mn_ready ar1 10000 || { echo "topo_up: mn has no address from ar1" >&2; return 1; }
	# (under set -e a bare failing wait would exit before any message)
	wait "$bigpid" || { echo "topo_up: making BIGFILE failed" >&2; return 1; }
	BIGFILE_SHA256=$(cat "$BIGFILE.sha256")
	export BIGFILE_SHA256
	t1=$(topo_now_ms)
	TOPO_UP_MS=$((t1 - t0))
	echo "topology up in $TOPO_UP_MS ms (run $ODM_RUNID, mn $(topo_mn_addr))"
}

topo__on_exit() {
	local rc=$? h
	trap - EXIT INT TERM
	for h in "${TOPO_EXIT_HOOKS[@]}"; do eval "$h" || true; done
	if ((rc != 0)) && ((TOPO_UP)); then
		topo_diag >&2 || true
		if [[ ${TOPO_KEEP:-0} == 1 ]]; then
			echo "TOPO_KEEP=1: left run $ODM_RUNID in place (clean with topo_sweep $ODM_RUNID)" >&2
			exit "$rc"
		fi
	fi
	topo_down
	exit "$rc"
}

# topo_diag - dump state useful after a failure.
topo_diag() {
	local h f nslist
	echo "======== diagnostics for run $ODM_RUNID ========"
	nslist=$(ip netns list 2>/dev/null | awk '{print $1}' | tr '\n' ' ')
	for h in "${TOPO_HOSTS[@]}"; do
		[[ " $nslist " == *" $(topo__ns "$h") "* ]] || continue
		echo "---- $h: addresses"
		nsq "$h" ip -br addr 2>&1 || true
		echo "---- $h: routes"
		nsq "$h" ip -6 route 2>&1 || true
		nsq "$h" ip -4 route 2>&1 || true
		echo "---- $h: sockets (ss -tinp)"
		nsq "$h" ss -tinp 2>&1 | head -40 || true
	done
	echo "---- mn: mptcp endpoints"
	nsq mn ip mptcp endpoint show 2>&1 || true
	if [[ -d $ODM_RUNDIR ]]; then
		while IFS= read -r f; do
			echo "---- log ${f#"$ODM_RUNDIR"/} (last 20 lines)"
			tail -n 20 "$f" || true
		done < <(find "$ODM_RUNDIR" -name '*.log' ! -name trace.log -size +0 | sort)
		echo "---- trace (last 30 commands)"
		tail -n 30 "$ODM_RUNDIR/trace.log" || true
	fi
	echo "======== end of diagnostics ========"
}

# topo_sweep RUNID [RUNDIR] - remove everything of run RUNID: processes in its
# namespaces, the namespaces, /etc/netns entries, its run dirs.
topo_sweep() {
	local id=$1 dir=${2:-} ns pid i
	[[ $id =~ ^[0-9a-zA-Z]+$ ]] || { echo "topo_sweep: bad run id '$id'" >&2; return 1; }
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^odm$id-" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
	done
	for ((i = 0; i < 30; i++)); do
		local left=0
		for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^odm$id-" || true); do
			[[ -n $(ip netns pids "$ns" 2>/dev/null) ]] && left=1
		done
		((left)) || break
		sleep 0.1
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^odm$id-" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	for ns in /etc/netns/odm"$id"-*; do
		[[ -e $ns ]] && rm -rf -- "$ns"
	done
	for dir in "$dir" "${TMPDIR:-/tmp}"/odm-"$id".*; do
		[[ -n $dir && -d $dir && $dir == *odm-"$id".* ]] && rm -rf -- "$dir"
	done
	return 0
}

# topo_down - stop everything of this run and remove it. Idempotent.
topo_down() {
	local e pid
	for e in "${TOPO_PIDS[@]}"; do
		pid=${e%%:*}
		kill -TERM "$pid" 2>/dev/null || true
	done
	for e in "${TOPO_PIDS[@]}"; do topo_kill "${e%%:*}"; done
	topo_sweep "$ODM_RUNID" "$ODM_RUNDIR"
	TOPO_UP=0
	return 0
}

# topo_check_clean - 0 when nothing of this run is left (namespaces,
# processes, /etc/netns entries, run dir); else lists what is left.
topo_check_clean() {
	local bad=0 e pid
	if ip netns list 2>/dev/null | grep "^odm$ODM_RUNID-" >/dev/null; then
		echo "left: namespaces $(ip netns list | grep "^odm$ODM_RUNID-" | awk '{print $1}' | tr '\n' ' ')" >&2
		bad=1
	fi
	if compgen -G "/etc/netns/odm$ODM_RUNID-*" >/dev/null; then
		echo "left: /etc/netns/odm$ODM_RUNID-*" >&2
		bad=1
	fi
	if [[ -n $ODM_RUNDIR && -e $ODM_RUNDIR ]] || compgen -G "${TMPDIR:-/tmp}/odm-$ODM_RUNID.*" >/dev/null; then
		echo "left: run dir $ODM_RUNDIR" >&2
		bad=1
	fi
	for e in "${TOPO_PIDS[@]}"; do
		pid=${e%%:*}
		if kill -0 "$pid" 2>/dev/null; then
			echo "left: process $e" >&2
			bad=1
		fi
	done
	return "$bad"
}
