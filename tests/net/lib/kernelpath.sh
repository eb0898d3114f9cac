# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/kernelpath.sh - which kernel tunnel backends run here, and
# their state in a namespace. Source after check.sh.
#
#   local_rule_at_0 HOST - the IPv6 rule to the local table is at priority
#       0 (where the kernel puts it; the backend moves it while it
#       decapsulates, odmagent/tunnel_lwt.h)
#   kernel_backends - the kernel tunnel backends this kernel runs (below)

local_rule_at_0() { # (the whole output read first: grep -q and pipefail race)
	local rules
	rules=$(nsq "$1" ip -6 rule show)
	grep -q '^0:[[:space:]]*from all lookup local' <<<"$rules"
}

# kernel_backends - which kernel tunnel backends this kernel runs, in
# "tunnel auto"'s order: KERNEL_BACKENDS gets their names ("kernel": seg6
# lightweight tunnels, tried by lib/seg6.sh; "bpf": tc programs, tried by
# the agent itself, odmagent --probe-tunnel), KERNEL_BACKENDS_WHY what kept
# the others out (KERNEL_SEG6_WHY and KERNEL_BPF_WHY each backend's own,
# empty where it runs).
# Returns 1 if there is none. Needs root and ODM_BUILD.
kernel_backends() {
	local why out
	KERNEL_BACKENDS='' KERNEL_BACKENDS_WHY=''
	. "$(dirname "${BASH_SOURCE[0]}")/seg6.sh"
	KERNEL_SEG6_WHY='' KERNEL_BPF_WHY=''
	if why=$(kernel_seg6); then
		KERNEL_BACKENDS=kernel
	else
		KERNEL_SEG6_WHY=$why
		KERNEL_BACKENDS_WHY="kernel: $why"
	fi
	if out=$("$ODM_BUILD/odmagent" --probe-tunnel bpf 2>&1); then
		KERNEL_BACKENDS+="${KERNEL_BACKENDS:+ }bpf"
	else
		out=$(tail -n 1 <<<"$out")
		KERNEL_BPF_WHY=${out#odmagent: }
		KERNEL_BPF_WHY=${KERNEL_BPF_WHY:-the probe failed}
		KERNEL_BACKENDS_WHY+="${KERNEL_BACKENDS_WHY:+; }bpf: $KERNEL_BPF_WHY"
	fi
	[[ -n $KERNEL_BACKENDS ]]
}

# Run as a program: the names on standard output (nothing if none), what
# kept the others out on standard error; exit 0 (for the Makefile).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	kernel_backends || true
	[[ -n $KERNEL_BACKENDS_WHY ]] && echo "not: $KERNEL_BACKENDS_WHY" >&2
	echo "$KERNEL_BACKENDS"
fi
