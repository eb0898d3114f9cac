#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# connect1.py NAME [GO] - one process: NAME resolved (getaddrinfo, IPv6,
# TCP), then, once the file GO exists if it is given (GO.ready is made
# first, when NAME is resolved), one TCP connect to it on port 80 (10 s at
# most); one line: "MS RESULT", how long connect() took and the socket's
# source address or the error's name (under the shim: whether it had its
# lease, and how long the shim's part of the connect took).
import errno
import os
import socket
import sys
import time

name = sys.argv[1]
go = sys.argv[2] if len(sys.argv) > 2 else None
a = socket.getaddrinfo(name, 80, socket.AF_INET6, socket.SOCK_STREAM)[0][4][:2]
if go:
    open(go + ".ready", "w").close()
    while not os.path.exists(go):
        time.sleep(0.005)
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(10)
t0 = time.monotonic()
try:
    s.connect(a)
    out = s.getsockname()[0]
except OSError as e:
    out = errno.errorcode.get(e.errno, str(e.errno))
print(int((time.monotonic() - t0) * 1000), out)
