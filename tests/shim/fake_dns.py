#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fake_dns.py - a tiny authoritative DNS server for the shim tests, which
can also answer as a broken or hostile server would.

Each NAME=SPEC says how NAME is answered (any other name: NXDOMAIN):
  ADDR[,ADDR...]   AAAA records (TTL 60); other types: NODATA
  ADDR/TTL         one AAAA record with that TTL (0 to 2^32-1)
  many:N:PREFIX    N AAAA records PREFIX1, PREFIX2, ... (hex)
  cname:TARGET     a CNAME to TARGET, and TARGET's own answer after it
                   when TARGET is known here (a chain or a loop)
  rcode:N          an empty answer with rcode N (2 SERVFAIL, 5 REFUSED)
  delay:S:ADDR     ADDR, after S seconds (other questions meanwhile are
                   answered at once)
  tc:ADDR          over UDP an empty answer with TC set; over TCP ADDR
  wrongid:ADDR     ADDR under another message ID
  wrongname:ADDR   ADDR for another name than asked
  drop             never answered (a DNS out of reach)
Logs each question ("NAME QTYPE", "NAME QTYPE tcp" over TCP) to LOG so the
test can count cha queries. IPv6 only, no compression in questions (the
shim's c-ares never sends any).

usage: fake_dns.py ADDR PORT LOG NAME=SPEC...
"""
import socket
import struct
import sys
import threading
import time

addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
specs = {}
for spec in sys.argv[4:]:
    name, a = spec.split("=", 1)
    specs[name.lower().rstrip(".")] = a
log_lock = threading.Lock()


def a6(text):
    return socket.inet_pton(socket.AF_INET6, text)


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def aaaa(owner, text, ttl=60):
    return owner + struct.pack("!HHIH", 28, 1, ttl, 16) + a6(text)


def records_of(name, owner, qtype, seen):
    """(rcode, answer records, count) for name, following CNAMEs once each"""
    spec = specs.get(name)
    if spec is None:
        return 3, b"", 0
    kind, _, rest = spec.partition(":")
    if kind in ("delay", "tc", "wrongid", "wrongname"):
        spec = rest.split(":", 1)[-1] if kind == "delay" else rest
        kind = spec
    if kind == "rcode":
        return int(rest), b"", 0
    if kind == "cname":
        target = rest.lower().rstrip(".")
        rr = owner + struct.pack("!HHIH", 5, 1, 60, len(encode_name(target))) + \
            encode_name(target)
        if target in seen or target not in specs:
            return 0, rr, 1
        seen.add(target)
        rc, more, n = records_of(target, encode_name(target), qtype, seen)
        return rc, rr + more, n + 1
    if qtype != 28:
        return 0, b"", 0
    if kind == "many":
        n, prefix = rest.split(":", 1)
        return 0, b"".join(aaaa(owner, "%s%x" % (prefix, i + 1)) for i in range(int(n))), int(n)
    if "/" in spec:
        text, ttl = spec.split("/", 1)
        return 0, aaaa(owner, text, int(ttl)), 1
    addrs = spec.split(",")
    return 0, b"".join(aaaa(owner, t) for t in addrs), len(addrs)


def answer(q, tcp):
    """the answer to query q (None: no answer), and the seconds to wait first"""
    if len(q) < 12:
        return None, 0
    qid, flags = struct.unpack("!HH", q[:4])
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    question = q[12:i + 5]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    name = ".".join(labels).lower()
    with log_lock, open(log, "a") as f:
        f.write("%s %d%s\n" % (name, qtype, " tcp" if tcp else ""))
    spec = specs.get(name, "")
    kind = spec.split(":", 1)[0]
    if spec == "drop":
        return None, 0
    hflags = 0x8400 | (flags & 0x0100)
    if kind == "tc" and not tcp:
        return struct.pack("!HHHHHH", qid, hflags | 0x0200, 1, 0, 0, 0) + question, 0
    rcode, rrs, n = records_of(name, b"\xc0\x0c", qtype, {name})
    if kind == "wrongid":
        qid ^= 0x5555
    if kind == "wrongname":
        other = encode_name("x" + name)
        question = other + question[-4:]
        rrs = rrs.replace(b"\xc0\x0c", other)
    hdr = struct.pack("!HHHHHH", qid, hflags | rcode, 1, n, 0, 0)
    wait = float(spec.split(":")[1]) if kind == "delay" else 0
    return hdr + question + rrs, wait


def later(sock, msg, peer, wait):
    time.sleep(wait)
    sock.sendto(msg, peer)


def serve_tcp(conn):
    with conn:
        try:
            n = struct.unpack("!H", conn.recv(2))[0]
            q = b""
            while len(q) < n:
                part = conn.recv(n - len(q))
                if not part:
                    return
                q += part
            msg, wait = answer(q, True)
            if msg is not None:
                time.sleep(wait)
                conn.sendall(struct.pack("!H", len(msg)) + msg)
        except (OSError, struct.error):
            pass


def tcp_loop():
    t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(16)
    while True:
        conn, _ = t.accept()
        threading.Thread(target=serve_tcp, args=(conn,), daemon=True).start()


threading.Thread(target=tcp_loop, daemon=True).start()
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((addr, port))
while True:
    q, peer = s.recvfrom(512)
    msg, wait = answer(q, False)
    if msg is None:
        continue
    if wait:
        threading.Thread(target=later, args=(s, msg, peer, wait), daemon=True).start()
    else:
        s.sendto(msg, peer)
