#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fake_dns.py - a tiny authoritative DNS server for the shim tests.

Answers AAAA queries for the names given as NAME=ADDR (TTL 60), never
answers those given as NAME=drop (a DNS out of reach), and NXDOMAIN for
everything else; logs each question to LOG so the test can count cha
queries. UDP only, IPv6 only, no compression in questions (the shim's
c-ares never sends any).

usage: fake_dns.py ADDR PORT LOG NAME=ADDR|NAME=drop...
"""
import socket
import struct
import sys

addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
records, dropped = {}, set()
for spec in sys.argv[4:]:
    name, a = spec.split("=", 1)
    if a == "drop":
        dropped.add(name.lower().rstrip("."))
    else:
        records[name.lower().rstrip(".")] = socket.inet_pton(socket.AF_INET6, a)

s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((addr, port))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    question = q[12:i + 5]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    name = ".".join(labels).lower()
    with open(log, "a") as f:
        f.write("%s %d\n" % (name, qtype))
    if name in dropped:
        continue
    rcode, answer = 3, b""
    if name in records:
        rcode = 0
        if qtype == 28:
            answer = struct.pack("!HHHIH", 0xC00C, 28, 1, 60, 16) + records[name]
    hdr = struct.pack("!HHHHHH", qid, 0x8400 | rcode | (flags & 0x0100), 1,
                      1 if answer else 0, 0, 0)
    s.sendto(hdr + question + answer, peer)
