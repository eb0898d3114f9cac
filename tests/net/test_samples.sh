#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_samples.sh - the sample configurations make install ships run a real
# network: test_cha.sh (session continuity through a CHA across a move, and
# the rest of that test) with both agents started from
# odmagent/dist/anchor-cha.conf and odmagent/dist/odmagent.conf, only the
# run's addresses, identity, key file, paths and device names filled in (and
# home-discovery off: see tests/net/lib/agents.sh)
# (ODM_CONF=samples, tests/net/lib/agents.sh), and with only the
# capabilities the systemd units give them: the CapabilityBoundingSet= of
# odmagent/dist/odmagent.service.in (ODM_AGENT_CAPS, setpriv); the address
# families of the sockets they hold once started must be among the unit's
# RestrictAddressFamilies= (systemd refuses any other socket(2)). The samples
# say "tunnel auto": where the kernel has seg6 lightweight tunnels both
# agents must run the kernel backend, and this is make check's run of
# test_cha on it; where it has not but runs BPF, the bpf backend (test_cha
# on it); elsewhere the userspace one.
#
# Exit 0 pass, 1 fail, 77 skip (as test_cha.sh).
# run-all: long (about 40 s: test_cha from the sample configurations)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# kernel_backends (lib/kernelpath.sh) runs the agent from ODM_BUILD, which
# the agents' lib would default only inside test_cha.sh
export ODM_BUILD=${ODM_BUILD:-$(cd "$HERE/../.." && pwd)/build}
LOG=$(mktemp "${TMPDIR:-/tmp}/odm-samples.XXXXXX")
trap 'rm -f "$LOG"' EXIT

# CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW -> net_admin,net_raw
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$HERE/../../odmagent/dist/odmagent.service.in" |
	tr 'A-Z ' 'a-z,' | sed 's/cap_//g')
[[ -n $caps ]] || { echo "test_samples: no CapabilityBoundingSet= in the unit template"; exit 1; }
# The same set as the kernel writes it in /proc/PID/status (CapEff), from capability(7)'s numbers
want=$(python3 -c '
import sys
bits = {"net_admin": 12, "net_raw": 13, "bpf": 39}
print("%016x" % sum(1 << bits[c] for c in sys.argv[1].split(",")))' "$caps")

# RestrictAddressFamilies=AF_UNIX AF_INET ... -> the same, sorted
families=$(sed -n 's/^RestrictAddressFamilies=//p' "$HERE/../../odmagent/dist/odmagent.service.in" |
	tr ' ' '\n' | sort | xargs)
[[ -n $families ]] || { echo "test_samples: no RestrictAddressFamilies= in the unit template"; exit 1; }

rc=0
ODM_CONF=samples ODM_AGENT_CAPS=$caps bash "$HERE/test_cha.sh" 2>&1 | tee "$LOG" || rc=${PIPESTATUS[0]}
((rc == 77)) && exit 77
if ! grep -q '^# agents: configurations from the samples ' "$LOG"; then
	echo "not ok - the agents did not start from the samples (ODM_CONF=samples ignored)"
	rc=1
fi
for h in cha mn; do
	held=$(sed -n "s/^# agents: $h agent socket families: //p" "$LOG" | tr ' ' '\n' | sort -u | xargs)
	extra=$(comm -23 <(tr ' ' '\n' <<<"$held" | sed '/^$/d') <(tr ' ' '\n' <<<"$families"))
	if [[ -z $held ]]; then
		echo "not ok - the $h agent's socket families were not read"
		rc=1
	elif [[ $extra == *AF_UNKNOWN* ]]; then
		echo "not ok - the $h agent holds a socket in none of its namespace's /proc/net tables (an unbound one, or a family this test does not read): its family is unknown"
		rc=1
	elif [[ -n $extra ]]; then
		echo "not ok - the $h agent holds sockets of $(xargs <<<"$extra"), which the unit's RestrictAddressFamilies=$families refuses"
		rc=1
	else
		echo "ok - the $h agent's sockets ($held) are all of families the unit allows"
	fi
	got=$(sed -n "s/^# agents: $h agent capabilities: //p" "$LOG" | sort -u | xargs)
	if [[ $got != "$want" ]]; then
		echo "not ok - the $h agent ran with capabilities '$got', not $want ($caps)"
		rc=1
	else
		echo "ok - the $h agent ran with $caps only (CapEff $got)"
	fi
done
# The samples say "tunnel auto", which prefers the kernel backends: where the
# kernel has seg6 lightweight tunnels this is make check's run of test_cha
# on it (net-kernel); where it has not but runs BPF, auto must have taken
# the bpf backend on both; elsewhere the userspace one (each kernel
# backend's probe tries what it makes).
backends=$(sed -n 's/^# tunnel backends: //p' "$LOG")
. "$HERE/lib/kernelpath.sh"
kernel_backends || true
seg6why=$KERNEL_SEG6_WHY
first=${KERNEL_BACKENDS%% *}
want="cha ${first:-userspace}, mn ${first:-userspace}"
[[ -n $KERNEL_BACKENDS_WHY ]] && echo "# not: $KERNEL_BACKENDS_WHY"
if [[ $backends == "$want" ]]; then
	echo "ok - tunnel auto: both agents ran the backend this kernel allows ($backends)"
else
	echo "not ok - tunnel auto: '$backends', not '$want'"
	rc=1
fi
# and odmctl status says why the kernel one is not in use: in so many words
# where the kernel has seg6 but refuses its lightweight tunnels
twhy=$(sed -n 's/^# tunnel why: //p' "$LOG")
wantwhy="auto: kernel unavailable on this host: ?*"
[[ -e /proc/sys/net/ipv6/seg6_flowlabel && $seg6why == "this kernel has no seg6 lightweight tunnels"* ]] &&
	wantwhy="auto: kernel unavailable on this host: no seg6 lightweight tunnels in this kernel"
# shellcheck disable=SC2053 # wantwhy is a pattern
if [[ -z $seg6why || $twhy == $wantwhy ]]; then
	echo "ok - the host agent's status says why: '$twhy'"
else
	echo "not ok - the host agent's status does not say the kernel has no seg6 lightweight tunnels: '$twhy'"
	rc=1
fi
if ((rc == 0)); then
	echo "test_samples: all checks passed (test_cha with the sample configurations)"
else
	echo "test_samples: failed (test_cha exit $rc with the sample configurations)"
	exit 1
fi
