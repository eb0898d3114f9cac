#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""udpask.py - ask a UDP echo server once and say where the answer came from.

usage: udpask.py ADDR PORT [TRIES] [tclass]

Sends a datagram to [ADDR]:PORT from an unconnected socket and prints the
address its echo came from ("none" if no echo came within a second, after
TRIES tries, default 3); with "tclass", that and the echo's traffic class
(IPV6_RECVTCLASS) in hex. A connected client would drop an answer from
another address; this one reports it.
"""
import os
import socket
import sys

addr, port = sys.argv[1], int(sys.argv[2])
tries = int(sys.argv[3]) if len(sys.argv) > 3 else 3
tclass = len(sys.argv) > 4 and sys.argv[4] == "tclass"
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(1)
if tclass:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
token = os.urandom(8).hex().encode()
for _ in range(tries):
    s.sendto(token, (addr, port))
    try:
        while True:
            d, anc, _, a = s.recvmsg(2048, 64)
            if d == token:
                tc = [int.from_bytes(x[:4], sys.byteorder) for lvl, t, x in anc
                      if lvl == socket.IPPROTO_IPV6 and t == socket.IPV6_TCLASS]
                print(a[0], *(["%#x" % tc[0] if tc else "none"] if tclass else []))
                sys.exit(0)
    except socket.timeout:
        continue
print("none")
