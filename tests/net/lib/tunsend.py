#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tunsend.py - tunnelled UDP datagrams (UDP 40000 -> 7777, inner source
# INNER_SRC, inner destination INNER_DST) sent to an anchor from OUTER_SRC,
# one per TEXT, in order, each with its outer and inner traffic class (0
# when not given), for the tunnel tests' spoofing and ECN (RFC 6040) checks:
#
#   tunsend.py ip6ip6 OUTER_SRC ANCHOR INNER_SRC INNER_DST TEXT [OTC ITC [TEXT OTC ITC]...]
#   tunsend.py udp SPORT OUTER_SRC ANCHOR INNER_SRC INNER_DST TEXT [OTC ITC [TEXT OTC ITC]...]
#
# ip6ip6: the inner packet on a raw protocol-41 socket bound to OUTER_SRC
# (the kernel writes the outer header, as the userspace backend sends);
# udp: inside a UDP datagram from OUTER_SRC:SPORT to the anchor's port 4191
# (tunnel-encap udp), on a raw UDP socket (the agent may hold port 4191).
# Built with struct, not scapy, which takes seconds to load on a busy machine.
import socket, struct, sys


def udp(src, dst, sport, dport, data):
    # a UDP header and data, checksummed over the RFC 8200 section 8.1
    # pseudo-header
    s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    b = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    p = s6 + d6 + struct.pack("!I3xB", len(b), 17) + b + b"\0" * (len(b) % 2)
    c = sum(struct.unpack("!%dH" % (len(p) // 2), p))
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    return b[:6] + struct.pack("!H", (~c & 0xffff) or 0xffff) + b[8:]


def ip6udp(src, dst, tc, data):
    # an IPv6 packet of traffic class tc carrying UDP 40000 -> 7777
    u = udp(src, dst, 40000, 7777, data)
    return (struct.pack("!IHBB", 6 << 28 | tc << 20, len(u), 17, 64) +
            socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + u)


def main(argv):
    mode, sport = argv[0], 0
    if mode == "udp":
        sport, argv = int(argv[1]), argv[1:]
    elif mode != "ip6ip6":
        sys.exit("tunsend.py: mode %r is neither ip6ip6 nor udp" % mode)
    osrc, anchor, isrc, idst = argv[1:5]
    rest = argv[5:]
    if not rest:
        sys.exit("tunsend.py: no TEXT to send")
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 41 if mode == "ip6ip6" else socket.IPPROTO_UDP)
    s.bind((osrc, 0))
    while rest:
        text, otc, itc = (rest + ["0", "0"])[:3]
        rest = rest[3:]
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, int(otc))
        inner = ip6udp(isrc, idst, int(itc), text.encode())
        s.sendto(inner if mode == "ip6ip6" else udp(osrc, anchor, sport, 4191, inner), (anchor, 0))


main(sys.argv[1:])
