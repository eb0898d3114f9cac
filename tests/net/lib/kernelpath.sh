# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/kernelpath.sh - looks at the kernel tunnel backend's state
# in a namespace. Source after topo.sh.
#
#   local_rule_at_0 HOST - the IPv6 rule to the local table is at priority
#       0 (where the kernel puts it; the backend moves it while it
#       decapsulates, odmagent/tunnel_lwt.h)

local_rule_at_0() { # (the whole output read first: grep -q and pipefail race)
	local rules
	rules=$(nsq "$1" ip -6 rule show)
	grep -q '^0:[[:space:]]*from all lookup local' <<<"$rules"
}
