#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pacedhttp.py - an HTTP/1.0 server that sends a file as a steady stream
of small chunks, so that a gap in a download across a move shows in a
capture to the millisecond (nginx's limit_rate sends in bursts up to a
second apart). For the network tests (tests/net/lib/fourtypes.sh).

  pacedhttp.py PORT ROOT [LIFETIME_S]

Listens on [::]:PORT (IPv6 only). GET /NAME?chunk=BYTES&every=MS sends the
regular file ROOT/NAME (NAME: one path component) in writes of BYTES
(64-65536, default 2048) every MS milliseconds (1-1000, default 2), on a
fixed schedule (a late chunk does not push the later ones back), with
TCP_NODELAY so that each write leaves at once. Anything else gets 400 or
404. Exits by itself after LIFETIME_S seconds (default 300), and never
serves more than 32 requests at a time.
"""
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIMITS = {"chunk": (64, 65536, 2048), "every": (1, 1000, 2)}
SLOTS = threading.BoundedSemaphore(32)


def parse(path):
    """(file name, chunk, every) of a request path, or None when malformed"""
    u = urllib.parse.urlsplit(path)
    name = urllib.parse.unquote(u.path)
    if not name.startswith("/") or "/" in name[1:] or name in ("/", "/.", "/.."):
        return None
    args = {}
    try:
        q = urllib.parse.parse_qs(u.query, strict_parsing=bool(u.query), max_num_fields=4)
    except ValueError:
        return None
    for k, v in q.items():
        if k not in LIMITS or len(v) != 1 or not v[0].isdigit() or len(v[0]) > 6:
            return None
        lo, hi, _ = LIMITS[k]
        if not lo <= int(v[0]) <= hi:
            return None
        args[k] = int(v[0])
    return name[1:], args.get("chunk", LIMITS["chunk"][2]), args.get("every", LIMITS["every"][2])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    root = "."

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))

    def do_GET(self):
        req = parse(self.path)
        if req is None:
            self.send_error(400)
            return
        name, chunk, every = req
        path = os.path.join(self.root, name)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        if not SLOTS.acquire(blocking=False):
            self.send_error(503)
            return
        try:
            self.stream(path, chunk, every / 1000.0)
        finally:
            SLOTS.release()

    def stream(self, path, chunk, every):
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.flush()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t0 = time.monotonic()
        with open(path, "rb") as f:
            i = 0
            while True:
                data = f.read(chunk)
                if not data:
                    break
                left = t0 + i * every - time.monotonic()
                if left > 0:
                    time.sleep(left)
                self.connection.sendall(data)
                i += 1


class Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: pacedhttp.py PORT ROOT [LIFETIME_S]")
    port, root = int(sys.argv[1]), sys.argv[2]
    life = float(sys.argv[3]) if len(sys.argv) == 4 else 300.0
    Handler.root = root
    srv = Server(("::", port), Handler)
    threading.Timer(life, srv.shutdown).start()
    print("listening on [::]:%d" % port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
