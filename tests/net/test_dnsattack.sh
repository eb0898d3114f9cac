#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_dnsattack.sh - the shim's cha.<host> lookups, and the host agent that
# takes their answers, against a broken or hostile DNS server: mn's
# resolver here is tests/shim/fake_dns.py on cn2, which serves the cha.
# records only (the servers' names are in mn's /etc/hosts, all at cn):
#   1. cha answers no anchor can have (::1, ::, ff02::1, fe80::1,
#      ::ffff:198.18.20.10) count as no CHA: a curl of a named type
#      (session-lasting) connects from mn's plain address, and ODM_DEBUG
#      says why; of "::1 and the CHA" the CHA is taken (a lease from its
#      pool);
#   2. a cha answer naming mn itself is refused by the agent at once, with
#      a warning in its log, and no Binding Update goes out;
#   3. a name of 248 characters: its cha lookup ends with no CHA (with the
#      search list's example.test after it the name would be too long for
#      the DNS), and the program connects;
#   4. what c-ares guards, kept so: a CNAME chain is followed, a CNAME loop
#      is no CHA, 150 AAAA records give one CHA, a truncated answer is
#      asked again over TCP, answers under another ID or for another name
#      are not taken;
#   5. two names of one address, one with a cha record (anyone can point
#      a name of theirs at any address), one without: the address gets no
#      CHA while both answers are known, whichever name came first;
#   6. the same when both names are resolved before the connect (a program
#      that resolves the names of a page first): other's connection does
#      not go through evil's anchor, whichever name was resolved last, nor
#      when evil's answer was cached before; nor after a third name with
#      evil's answer (evil2: the same attacker's) is looked up;
#   7. setsc_to() naming evil for its address (setsc(3)) gets evil's CHA,
#      and other's connect to that address afterwards does not.
# The time a connect waits when the DNS is silent, or answers after 7 s, is
# printed (no assertion: make bench is for speed).
#
#    mn (shim, odmagent mn) -- ar1 -- core -- cn  (nginx)
#                                       |-- cn2 (fake_dns.py: cha.* records)
#                                       `-- cha (anchor, mode cha)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_dnsattack' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_dnsattack "network namespaces, TUN, raw sockets" ip named radvd nginx curl python3

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

topo_up
odm_agents_up
MN=$(topo_mn_addr)
check "mn has an address on ar1: $MN" test -n "$MN"

# A name of 248 characters: four labels and example.test
LONG=$(python3 -c 'print(".".join(["b" * 63] * 3 + ["b" * 43]) + ".example.test")')
check "the long name has 248 characters" test "${#LONG}" = 248

# cha.<name> answers, by name (fake_dns.py's specs)
NAMES=(lo=::1 any=:: mc=ff02::1 ll=fe80::1 v4m=::ffff:198.18.20.10 "mix=::1,$CHA_ADDR"
	"own=$MN" chain=cname:cha.chain2.example.test "chain2=$CHA_ADDR"
	loop=cname:cha.loop2.example.test loop2=cname:cha.loop.example.test
	many=many:150:2001:db8:ca:: "tc=tc:$CHA_ADDR" "wid=wrongid:$CHA_ADDR"
	"wname=wrongname:$CHA_ADDR" silent=drop "slow=delay:7:$CHA_ADDR" "evil=$CHA_ADDR"
	"evil2=$CHA_ADDR")
SPECS=() HOSTS=$'127.0.0.1\tlocalhost\n'
declare -A SPEC
for n in "${NAMES[@]}"; do
	SPEC[${n%%=*}]=${n#*=}
	SPECS+=("cha.${n%%=*}.example.test=${n#*=}")
	HOSTS+="$CN_ADDR ${n%%=*}.example.test"$'\n'
done
HOSTS+="$CN_ADDR $LONG other.example.test"$'\n'
DNSLOG=$ODM_RUNDIR/fakedns.log
topo_spawn cn2 fakedns "$ODM_RUNDIR/fakedns.out" python3 "$HERE/../shim/fake_dns.py" \
	"$CN2_ADDR" 53 "$DNSLOG" "${SPECS[@]}"
dns_up() { nsq cn2 ss -lun | grep -q "\[$CN2_ADDR\]:53 "; }
check "the fake DNS listens on cn2" wait_for 5 dns_up
# mn's resolver is the fake DNS from here on (ip netns exec mounts these)
printf '%s' "$HOSTS" >"/etc/netns/$NS_MN/hosts"
printf 'nameserver %s\nsearch %s\noptions timeout:1 attempts:2\n' "$CN2_ADDR" "$DNS_ZONE" \
	>"/etc/netns/$NS_MN/resolv.conf"

# fetch NAME - curl of http://NAME/ with the shim (session-lasting, a named
# type) and ODM_DEBUG: its source address, or "failed"; its stderr in $ERR
ERR=$ODM_RUNDIR/curl.err
fetch() {
	odm_shim env ODM_DEBUG=1 curl -6 -sS --max-time 20 -o /dev/null -w '%{local_ip}' \
		"http://$1/" 2>"$ERR" || echo failed
}
debug_says() { grep -q -- "$1" "$ERR"; }
# SRC came from mn's plain address, or from the CHA's pool
from_plain() { [[ $1 != failed ]] && same_addr "$1" "$MN"; }
from_cha() { [[ $1 != failed ]] && in_prefix "$1" "$CHA_POOL"; }

# ------------------------------------------------------------ 1. no anchor can have it
for h in lo any mc ll v4m; do
	SRC=$(fetch "$h.example.test")
	check "1: cha.$h answers ${SPEC[$h]}: curl connects from mn's plain address ($SRC)" \
		from_plain "$SRC"
	check "1: ODM_DEBUG says the answer can be no anchor" debug_says 'can be no anchor'
done
SRC=$(fetch mix.example.test)
check "1: cha.mix is ::1 and the CHA: the CHA is taken (source $SRC)" from_cha "$SRC"

# ------------------------------------------------------------ 2. the host itself
BU0=$(odm_reg_counter bu_sent)
SRC=$(fetch own.example.test)
check "2: cha.own is mn's own address: no lease ($SRC)" test "$SRC" = failed
check "2: the agent refused it (ODM_DEBUG)" debug_says 'is an address of this host'
check "2: the agent's log says so" odm_mn_logged "its cha $MN is an address of this host"
BU1=$(odm_reg_counter bu_sent)
check "2: no Binding Update went out ($BU0 -> $BU1)" test "$BU1" = "$BU0"

# ------------------------------------------------------------ 3. a long name
SRC=$(fetch "$LONG")
check "3: a name of 248 characters: curl connects ($SRC)" from_plain "$SRC"
check "3: its cha was asked" grep -q "^cha.$LONG 28" "$DNSLOG"
check "3: and not taken for a lookup that got no answer" bash -c "! grep -q 'got no answer' '$ERR'"

# ------------------------------------------------------------ 4. what c-ares guards
SRC=$(fetch chain.example.test)
check "4: a CNAME chain to the CHA is followed (source $SRC)" from_cha "$SRC"
SRC=$(fetch loop.example.test)
check "4: a CNAME loop is no CHA (source $SRC)" from_plain "$SRC"
SRC=$(fetch many.example.test)
check "4: 150 AAAA records: the first is taken" debug_says 'has cha 2001:db8:ca::1 '
SRC=$(fetch tc.example.test)
check "4: a truncated answer is asked again over TCP" grep -q '^cha.tc.example.test 28 tcp' "$DNSLOG"
check "4: and its CHA found (source $SRC)" from_cha "$SRC"
for h in wid wname; do
	SRC=$(fetch "$h.example.test")
	check "4: cha.$h, answered under another ${h/w/}: not taken ($SRC)" test "$SRC" = failed
	check "4: the lookup is said to have got no answer" debug_says "cha.$h.example.test unknown"
done

# ------------------------------------------------------------ 5. two names, one address
# evil.example.test (cha: the anchor on cha) and other.example.test (no cha
# record) are both cn's address. A connect names an address only: while
# the answers of both names are known, the address has no CHA, and
# other's connections never go through evil's anchor.
# connect NAME|again:NAME|resolve:NAME... - one process: each NAME resolved
# and connected to, again:NAME connected to NAME's address once more without
# resolving it, resolve:NAME resolved only; the source address of each
# connection, on one line
connect() {
	odm_shim env ODM_DEBUG=1 python3 -c '
import socket, sys
seen, out = {}, []
for n in sys.argv[1:]:
    if n.startswith("again:"):
        a = seen[n[6:]]
    elif n.startswith("resolve:"):
        seen[n[8:]] = socket.getaddrinfo(n[8:], 80, socket.AF_INET6, socket.SOCK_STREAM)[0][4][:2]
        continue
    else:
        a = seen[n] = socket.getaddrinfo(n, 80, socket.AF_INET6, socket.SOCK_STREAM)[0][4][:2]
    s = socket.create_connection(a, timeout=10)
    out.append(s.getsockname()[0])
    s.close()
print(" ".join(out))
' "$@" 2>"$ERR" || echo failed failed failed
}
read -r SRC1 SRC2 <<<"$(connect evil.example.test other.example.test)"
check "5: evil first: its connection goes through its cha ($SRC1)" from_cha "$SRC1"
check "5: then other's, at the same address, does not ($SRC2)" from_plain "$SRC2"
check "5: cha.other was asked" grep -q '^cha.other.example.test 28' "$DNSLOG"
check "5: ODM_DEBUG says the answers differ" \
	debug_says 'the cha answers of evil.example.test and of other.example.test differ'
read -r SRC1 SRC2 SRC3 <<<"$(connect other.example.test evil.example.test again:other.example.test)"
check "5: other first: plain ($SRC1)" from_plain "$SRC1"
check "5: then evil's, whose answer differs, has no CHA either ($SRC2)" from_plain "$SRC2"
check "5: and other's address connected again does not go through evil's anchor ($SRC3)" \
	from_plain "$SRC3"

# ------------------------------------------------------------ 6. both resolved, then a connect
SRC1=$(connect resolve:other.example.test resolve:evil.example.test again:other.example.test)
check "6: other then evil resolved, other's address connected to: plain ($SRC1)" \
	from_plain "$SRC1"
read -r SRC1 SRC2 <<<"$(connect evil.example.test resolve:other.example.test \
	resolve:evil.example.test again:other.example.test)"
check "6: evil connected first through its cha ($SRC1)" from_cha "$SRC1"
check "6: other then evil (cached) resolved, other's address connected to: plain ($SRC2)" \
	from_plain "$SRC2"
read -r SRC1 SRC2 SRC3 SRC4 <<<"$(connect other.example.test evil.example.test \
	evil2.example.test again:other.example.test)"
check "6: other, evil, then evil2 (evil's cha): evil2 has no CHA ($SRC3)" from_plain "$SRC3"
check "6: and other's address connected again is plain ($SRC4)" from_plain "$SRC4"

# ------------------------------------------------------------ 7. setsc_to names the host
# setsc_to(3) for evil's address naming evil, then other resolved and
# connected to: the lease's address, then the connection's source
setsc_then_connect() {
	odm_shim env ODM_DEBUG=1 python3 -c '
import ctypes, socket, struct
odm = ctypes.CDLL(None)  # the preloaded shim among the rest
a = socket.getaddrinfo("evil.example.test", 80, socket.AF_INET6, socket.SOCK_STREAM)[0][4][:2]
dst = struct.pack("!HH4s16sI", socket.AF_INET6, 80, bytes(4), socket.inet_pton(socket.AF_INET6, a[0]), 0)
dst = struct.pack("=H", socket.AF_INET6) + dst[2:]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
src = ctypes.create_string_buffer(16)
r = odm.setsc_to(s.fileno(), src, 2, dst, len(dst), b"evil.example.test")
print(socket.inet_ntop(socket.AF_INET6, src.raw) if r == 0 else "failed", end=" ")
s.close()
b = socket.getaddrinfo("other.example.test", 80, socket.AF_INET6, socket.SOCK_STREAM)[0][4][:2]
c = socket.create_connection(b, timeout=10)
print(c.getsockname()[0])
' 2>"$ERR" || { cat "$ERR" >&2; echo failed failed; }
}
read -r SRC1 SRC2 <<<"$(setsc_then_connect)"
check "7: setsc_to naming evil: evil's CHA's address ($SRC1)" from_cha "$SRC1"
check "7: then other's connect to the same address does not go through it ($SRC2)" \
	from_plain "$SRC2"

# ------------------------------------------------------------ how long a connect waits
for h in silent slow; do
	T0=$(topo_now_ms)
	SRC=$(fetch "$h.example.test")
	echo "# cha.$h: curl ended after $(($(topo_now_ms) - T0)) ms ($SRC): the shim waits 2 s at most"
done
T0=$(topo_now_ms)
nsx mn curl -6 -sS --max-time 20 -o /dev/null "http://silent.example.test/"
echo "# the same without the shim: $(($(topo_now_ms) - T0)) ms"

check "mn's agent logged no error" bash -c "! grep -q ' err:' '$MN_AGENT_LOG'"
check_summary test_dnsattack
