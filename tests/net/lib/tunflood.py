#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tunflood.py - forged IPv6-in-IPv6 packets, sent as fast as a raw socket
# takes them (IPPROTO_RAW: the outer header is ours, so is its source), for
# the attack tests. Bounded: COUNT packets or SECONDS, whichever ends first.
#
#   tunflood.py --to ANCHOR --outer PREFIX --inner PREFIX --inner-dst ADDR
#               --count N --seconds S [--size BYTES]
#
# Every packet's outer source is a random address of --outer (a /64 or
# wider: the low 64 bits and the bits below the prefix length are drawn),
# its inner source likewise in --inner, its inner packet a UDP datagram to
# --inner-dst port 9 (checksummed) padded to --size bytes in all (outer
# header included).
# Prints "sent=N seconds=S" at the end.
import argparse, os, socket, struct, sys, time
from ipaddress import IPv6Network

p = argparse.ArgumentParser()
p.add_argument("--to", required=True); p.add_argument("--outer", required=True)
p.add_argument("--inner", required=True); p.add_argument("--inner-dst", required=True)
p.add_argument("--count", type=int, required=True); p.add_argument("--seconds", type=float, required=True)
p.add_argument("--size", type=int, default=128)
a = p.parse_args()

def drawer(prefix):
    n = IPv6Network(prefix, strict=False)
    base, host_bits = int(n.network_address), 128 - n.prefixlen
    def draw(rnd):
        return (base | (int.from_bytes(rnd, "big") & ((1 << host_bits) - 1))).to_bytes(16, "big")
    return draw

def udp_sum(src, dst, const):
    # the UDP checksum (RFC 8200 §8.1 pseudo-header), the datagram's own
    # words summed beforehand into const: its payload is zeros
    t = const + sum(struct.unpack("!8H", src)) + sum(struct.unpack("!8H", dst))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return (~t & 0xffff) or 0xffff

outer, inner = drawer(a.outer), drawer(a.inner)
to = socket.inet_pton(socket.AF_INET6, a.to)
idst = socket.inet_pton(socket.AF_INET6, a.inner_dst)
size = max(a.size, 40 + 40 + 8)
ulen = size - 80
const = 17 + ulen + 4191 + 9 + ulen  # next header, length; ports, length
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
# packets built ahead in batches: random bytes from one read per batch
sent, t0, end = 0, time.time(), time.time() + a.seconds
while sent < a.count and time.time() < end:
    batch = min(1024, a.count - sent)
    rnd = os.urandom(32 * batch)
    for i in range(batch):
        osrc, isrc = outer(rnd[32 * i:32 * i + 16]), inner(rnd[32 * i + 16:32 * i + 32])
        udp = struct.pack("!HHHH", 4191, 9, ulen, udp_sum(isrc, idst, const)) + bytes(ulen - 8)
        ip_in = struct.pack("!IHBB", 6 << 28, ulen, 17, 64) + isrc + idst
        ip_out = struct.pack("!IHBB", 6 << 28, size - 40, 41, 64) + osrc + to
        try:
            s.sendto(ip_out + ip_in + udp, (a.to, 0))
            sent += 1
        except (BlockingIOError, OSError):
            time.sleep(0.0002)
print("sent=%d seconds=%.3f" % (sent, time.time() - t0))
