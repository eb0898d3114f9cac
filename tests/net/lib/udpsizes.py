#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""udpsizes.py - datagrams of the sizes given, each echoed back whole?

usage: udpsizes.py HOST PORT SIZE[,SIZE...] [TRIES]

From one socket connected to [HOST]:PORT (a udpecho.py in "from" mode),
sends for each SIZE a datagram of that many random bytes (one larger than
the path carries goes in the sender's fragments) and waits a second for
the same bytes to come back, up to TRIES times (default 3: the first may
draw a Packet Too Big and be lost). Prints one line per size,
"SIZE ok TRY" or "SIZE lost", and exits 1 if any was lost.
"""
import os
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
sizes = [int(x) for x in sys.argv[3].split(",")]
tries = int(sys.argv[4]) if len(sys.argv) > 4 else 3
ai = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_DGRAM)[0]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.connect(ai[4])
s.settimeout(1)
lost = 0
for size in sizes:
    data = os.urandom(size)
    got = 0
    for t in range(1, tries + 1):
        try:
            s.send(data)
        except OSError as e:  # a Packet Too Big taken as this socket's error
            print(size, "send:", e.strerror, file=sys.stderr)
            continue
        try:
            while not got:
                got = s.recv(65535) == data and t
        except (socket.timeout, OSError):
            pass
        if got:
            break
    print(size, "ok %d" % got if got else "lost", flush=True)
    lost += not got
sys.exit(1 if lost else 0)
