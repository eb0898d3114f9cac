#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""echo.py - a TCP echo server for the network tests, on one thread.

usage: echo.py ADDR PORT [SECONDS]

Sends back what each connection sends, for any number of connections at
once (selectors), and exits after SECONDS (default 120) so a test that dies
leaves nothing behind.
"""
import selectors
import socket
import sys
import time

addr, port = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 120)
sel = selectors.DefaultSelector()
lst = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lst.bind((addr, port))
lst.listen(1024)
lst.setblocking(False)
sel.register(lst, selectors.EVENT_READ)
while time.monotonic() < deadline:
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        if s is lst:
            try:
                c, _ = lst.accept()
            except BlockingIOError:
                continue
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ)
            continue
        try:
            data = s.recv(65536)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            data = b""
        if not data:
            sel.unregister(s)
            s.close()
            continue
        try:
            s.sendall(data)  # small test payloads: the send buffer takes them
        except OSError:
            sel.unregister(s)
            s.close()
