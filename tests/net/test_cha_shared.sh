#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cha_shared.sh - a DNS server that drops the cha.<host> queries costs
# one process of a user the shim's 2 s wait, not every new one: the shim
# whose lookup got no answer tells the host agent, and the next processes
# of that user, told so by the agent while their own query is out, do not
# wait for it (odm(7), odmagent(8) cha-check and cha-result). mn's
# resolver is tests/shim/fake_dns.py on cn2, which drops every question
# about cha.silent; the server's names are in mn's /etc/hosts:
#   1. the first process's typed connect to silent.example.test waits the
#      whole lookup (about 2 s), and fails (no CHA known, no other anchor
#      for session-lasting here: EADDRNOTAVAIL);
#   2. the next process's connect ends the same way at once (well under a
#      second), and ODM_DEBUG says it did not wait; so does a third;
#   3. a name whose cha answers is not concerned: its CHA is taken, and
#      another user's process (nobody) is not told root's memory: it waits
#      its own lookup;
#   4. once the agent's memory is over (10 s), of two processes started
#      0.5 s apart one looks again (it waits the 2 s), the other does not.
#
#    mn (shim, odmagent mn) -- ar1 -- core -- cn  (nginx)
#                                       |-- cn2 (fake_dns.py: cha.* records)
#                                       `-- cha (anchor, mode cha)
#
# Exit 0 pass, 1 fail, 77 skip (not root, or a tool is missing).
set -eEuo pipefail
trap 'check_on_err test_cha_shared' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/check.sh"
net_need test_cha_shared "network namespaces, TUN, raw sockets, other uids" ip named radvd nginx \
	curl python3 setpriv

export TOPO_BIGFILE_MB=${TOPO_BIGFILE_MB:-1}
export ODM_CTL_GROUP=nogroup # nobody's process reaches the agent too (3.)
. "$HERE/lib/topo.sh"
. "$HERE/lib/agents.sh"

topo_up
odm_agents_up

DNSLOG=$ODM_RUNDIR/fakedns.log
topo_spawn cn2 fakedns "$ODM_RUNDIR/fakedns.out" python3 "$HERE/../shim/fake_dns.py" \
	"$CN2_ADDR" 53 "$DNSLOG" cha.silent.example.test=drop "cha.found.example.test=$CHA_ADDR"
dns_up() { nsq cn2 ss -lun | grep -q "\[$CN2_ADDR\]:53 "; }
check "the fake DNS listens on cn2" wait_for 5 dns_up
# mn's resolver is the fake DNS from here on (ip netns exec mounts these)
printf '127.0.0.1\tlocalhost\n%s silent.example.test found.example.test\n' "$CN_ADDR" \
	>"/etc/netns/$NS_MN/hosts"
printf 'nameserver %s\nsearch %s\noptions timeout:1 attempts:2\n' "$CN2_ADDR" "$DNS_ZONE" \
	>"/etc/netns/$NS_MN/resolv.conf"

# connect NAME [ERRFILE [UID]] - one process under the shim (session-lasting,
# a named type) with ODM_DEBUG, as UID if given (else root): NAME resolved,
# then a TCP connect to it on port 80; "MS RESULT": how long connect() took,
# and the socket's source address or the error's name
ERR=$ODM_RUNDIR/connect.err
connect() {
	local as=()
	[[ -z ${3:-} ]] || as=(setpriv --reuid="$3" --regid=nogroup --clear-groups)
	odm_shim "${as[@]}" env ODM_DEBUG=1 python3 "$HERE/lib/connect1.py" "$1" 2>"${2:-$ERR}" ||
		echo "-1 failed"
}
debug_says() { grep -q -- "$1" "${2:-$ERR}"; }
asked() { grep -c '^cha.silent.example.test 28' "$DNSLOG" || true; }

# ------------------------------------------------------------ 1. the first process waits
read -r MS1 OUT1 < <(connect silent.example.test)
# (the agent's memory of that lookup's silence, 10 s, starts before this)
T_SILENT=$(topo_now_ms)
echo "1: first process: connect took $MS1 ms: $OUT1"
check "1: its connect waited for the lookup ($MS1 ms)" test "$MS1" -ge 1500 -a "$MS1" -lt 4000
check "1: and failed as a session-lasting one with no CHA known ($OUT1)" \
	test "$OUT1" = EADDRNOTAVAIL
check "1: cha.silent was asked" test "$(asked)" -ge 1
check "1: ODM_DEBUG says the lookup got no answer" debug_says 'cha.silent.example.test unknown'

# ------------------------------------------------------------ 2. the next ones do not
for n in 2 3; do
	read -r MS OUT < <(connect silent.example.test)
	echo "2: process $n: connect took $MS ms: $OUT"
	check "2: process $n's connect did not wait ($MS ms)" test "$MS" -ge 0 -a "$MS" -lt 700
	check "2: and ended as the first one's did ($OUT)" test "$OUT" = "$OUT1"
	check "2: ODM_DEBUG says another process got no answer for it" \
		debug_says 'another process of this user got no answer for it lately'
done

# ------------------------------------------------------------ 3. other names as they were
read -r MS OUT < <(connect found.example.test)
echo "3: found.example.test: connect took $MS ms: $OUT"
check "3: a name whose cha answers gets its CHA's address ($OUT)" in_prefix "$OUT" "$CHA_POOL"
# root's processes skip cha.silent still; nobody's did not report it
read -r MS OUT < <(connect silent.example.test "$ODM_RUNDIR/other.err" 65534)
echo "3: another user's process: connect took $MS ms: $OUT"
check "3: another user's process waited its own lookup ($MS ms)" \
	test "$MS" -ge 1500 -a "$MS" -lt 4000
check "3: and was not told of root's processes' lookups" \
	bash -c "! grep -q 'another process of this user' '$ODM_RUNDIR/other.err'"

# ------------------------------------------------------------ 4. looked at again later
# two processes 0.5 s apart once the memory is over (10 s from the first
# process's report, and 1 s more): one (the first to ask the agent,
# normally the first started) looks again and waits, the other does not
LEFT=$((T_SILENT + 11000 - $(topo_now_ms)))
((LEFT <= 0)) || sleep "$((LEFT / 1000)).$(printf '%03d' $((LEFT % 1000)))"
A0=$(asked)
for n in 1 2; do
	connect silent.example.test "$ODM_RUNDIR/probe$n.err" >"$ODM_RUNDIR/probe$n.out" &
	PIDS[n]=$!
	sleep 0.5
done
wait "${PIDS[1]}" "${PIDS[2]}" || true
PMS=() POUT=()
for n in 1 2; do
	read -r "PMS[n]" "POUT[n]" <"$ODM_RUNDIR/probe$n.out"
done
echo "4: after the memory: one process took ${PMS[1]} ms (${POUT[1]}), one started 0.5 s" \
	"later ${PMS[2]} ms (${POUT[2]})"
W=1 Q=2
((PMS[1] >= PMS[2])) || { W=2 Q=1; }
check "4: one of them looked again, and waited (${PMS[W]} ms)" \
	test "${PMS[W]}" -ge 1500 -a "${PMS[W]}" -lt 4000
check "4: ODM_DEBUG says it was asked again by it" \
	debug_says 'asked again by this one' "$ODM_RUNDIR/probe$W.err"
check "4: the other did not wait (${PMS[Q]} ms)" test "${PMS[Q]}" -ge 0 -a "${PMS[Q]}" -lt 700
check "4: both ended as before (${POUT[1]}, ${POUT[2]})" \
	test "${POUT[1]}" = EADDRNOTAVAIL -a "${POUT[2]}" = EADDRNOTAVAIL
check "4: cha.silent was asked again ($A0 -> $(asked))" test "$(asked)" -gt "$A0"

check "mn's agent logged no error" bash -c "! grep -q ' err:' '$MN_AGENT_LOG'"
check "no sanitizer report in the agents' logs (when built with SAN=1)" odm_agent_logs_clean
check_summary test_cha_shared
