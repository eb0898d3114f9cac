#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tcpsyn.py - a TCP SYN with the options laid out as asked, and one seen.

usage: tcpsyn.py send SRC DST PORT OPTS
       tcpsyn.py catch SRC PORT SECONDS

send: from a raw socket bound to SRC (so the routes of SRC take it), one
SYN to [DST]:PORT from port 40000 whose options are OPTS, comma-separated:
"nop", "mss=N", "ws=N", "sackok", "eol"; padded to a multiple of 4 with
EOLs. The kernel sums it (IPV6_CHECKSUM, RFC 3542 section 3.1).

catch: a raw TCP socket sees every TCP segment as it came, before the
kernel checks its sum; waits up to SECONDS for a SYN from SRC to PORT and
prints "mss=N sum=ok|bad" (its MSS option, its checksum over the RFC 8200
section 8.1 pseudo-header), exit 0; exit 1 if none came.
"""
import select, socket, struct, sys, time

IPV6_CHECKSUM = 7


def opts(spec):
    b = b""
    for o in spec.split(","):
        k, _, v = o.partition("=")
        b += {"nop": lambda: b"\x01", "eol": lambda: b"\x00", "sackok": lambda: b"\x04\x02",
              "mss": lambda: struct.pack("!BBH", 2, 4, int(v)),
              "ws": lambda: struct.pack("!BBB", 3, 3, int(v))}[k]()
    return b + b"\x00" * (-len(b) % 4)


def csum(src, dst, seg):
    data = src + dst + struct.pack("!IxxxB", len(seg), 6) + seg + b"\x00" * (len(seg) & 1)
    t = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return t == 0xffff


def mss_of(seg):
    o, end = 20, (seg[12] >> 4) * 4
    while o < end and o < len(seg):
        k = seg[o]
        if k == 0:
            break
        if k == 1:
            o += 1
            continue
        if o + 1 >= len(seg) or seg[o + 1] < 2:
            break
        if k == 2 and seg[o + 1] == 4:
            return struct.unpack("!H", seg[o + 2:o + 4])[0]
        o += seg[o + 1]
    return None


if sys.argv[1] == "send":
    src, dst, port, spec = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    o = opts(spec)
    seg = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, (5 + len(o) // 4) << 4, 0x02, 64240, 0, 0) + o
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_CHECKSUM, 16)
    s.bind((src, 0))
    s.sendto(seg, (dst, 0))
    sys.exit(0)
src, port, secs = socket.inet_pton(socket.AF_INET6, sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
print("tcpsyn: ready", flush=True)
end = time.monotonic() + secs
while time.monotonic() < end:
    if not select.select([s], [], [], max(0.0, end - time.monotonic()))[0]:
        break
    seg, anc, _, frm = s.recvmsg(65535, 256)
    if socket.inet_pton(socket.AF_INET6, frm[0].split("%")[0]) != src or len(seg) < 20:
        continue
    if struct.unpack("!H", seg[2:4])[0] != port or not seg[13] & 0x02 or seg[13] & 0x10:
        continue
    dst = next(c[2][:16] for c in anc if c[0] == socket.IPPROTO_IPV6 and c[1] == socket.IPV6_PKTINFO)
    print("mss=%s sum=%s" % (mss_of(seg), "ok" if csum(src, dst, seg) else "bad"), flush=True)
    sys.exit(0)
print("tcpsyn: no SYN", flush=True)
sys.exit(1)
