#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# connloop.py NAME PORT SECONDS PERIOD - one long-lived process resolving
# NAME (getaddrinfo, IPv6) and connecting a TCP socket to its first address
# every PERIOD seconds for SECONDS: a line per round on stdout,
#   <epoch s> ok <source address the socket got>
#   <epoch s> err <errno name>
# (a process under the shim that looks names up before and after a move).
import errno
import socket
import sys
import time

name, port, dur, period = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
end = time.time() + dur
while time.time() < end:
    try:
        ai = socket.getaddrinfo(name, port, socket.AF_INET6, socket.SOCK_STREAM)
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(ai[0][4])
            line = "ok " + s.getsockname()[0]
        finally:
            s.close()
    except socket.gaierror as e:
        line = "err EAI_%d" % -e.errno
    except OSError as e:
        line = "err " + (errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__)
    print("%.3f %s" % (time.time(), line), flush=True)
    time.sleep(period)
