# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tests/net/lib/seg6.sh - whether this kernel runs the kernel tunnel backend:
# seg6 lightweight tunnels (CONFIG_IPV6_SEG6_LWTUNNEL). A kernel can have
# seg6 (/proc/sys/net/ipv6/seg6_flowlabel) and still refuse every route
# with "encap seg6" ("lwt encapsulation type not supported"), so the routes
# the backend makes are tried (an anchor's, and a host's source route), in a
# network namespace made for it and gone with it (addresses of the
# discard-only prefix 100::/64, RFC 6666).
#
#   kernel_seg6 - 0 if the kernel takes them all; otherwise prints why
#       and returns 1. Needs root (unshare -n).
# Run as a program it exits the same way (for the Makefile).

kernel_seg6() {
	local out
	if [[ ! -e /proc/sys/net/ipv6/seg6_flowlabel ]]; then
		echo "this kernel has no seg6 (no /proc/sys/net/ipv6/seg6_flowlabel)"
		return 1
	fi
	if ! out=$(unshare -n true 2>&1); then
		echo "the seg6 routes could not be tried: no network namespace (unshare -n: ${out//$'\n'/ })"
		return 1
	fi
	if ! out=$(unshare -n sh -c 'ip link set lo up &&
		ip -6 route add 100::1/128 encap seg6 mode encap.red segs 100::2 dev lo &&
		ip -6 route add ::/0 from 100::5/128 encap seg6 mode encap.red segs 100::2 dev lo &&
		ip -6 route add 100::3/128 encap seg6local action End.DT6 table 255 dev lo &&
		ip -6 route add 100::4/128 encap seg6local action End.DX6 nh6 :: dev lo' 2>&1); then
		out=${out//$'\n'/ }
		if [[ $out == *"not supported"* ]]; then
			echo "this kernel has no seg6 lightweight tunnels (ip route ... encap seg6: $out)"
		else
			echo "this kernel refused a seg6 route the kernel backend makes (ip route: $out)"
		fi
		return 1
	fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	kernel_seg6
fi
