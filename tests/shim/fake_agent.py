#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fake_agent.py - a stand-in for odmagent's IPC side in the shim tests.

Listens on a Unix socket (JSON lines, as libodm/core/ipc.h describes), answers
hello/lease/release/status (and cha-check: never silent; cha-result), and appends every request it receives (plus the
peer pid from SO_PEERCRED) to a log file, one JSON object per line, so the
test can count leases and releases.

usage: fake_agent.py SOCKET LOG [--default-type T] [--lease ADDR]... [--plain]
                     [--plain-after N] [--lease-delay SECONDS] [--refuse]
                     [--fail N]

--lease (2001:db8:c4a::2 if none): the addresses leases get, in turn.

--plain-after N: the first N lease requests get a lease, the later ones
plain (as --plain).

--fail N: the Nth lease request is answered with an error
(REQUIREDIPFAILED), as the agent answers one it could not provide.

--refuse: every connection is refused as the agent refuses one over its
user's share ({"id": null, "ok": false, "error": "EBUSY", ...}, then closed),
and logged as {"_refused": true, "_pid": PID, "_op": OP} (OP: the op of the
request the shim wrote on it, null if none came within a second).
"""
import argparse
import json
import os
import socket
import socketserver
import struct
import threading
import time

lock = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        creds = self.request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                        struct.calcsize("3i"))
        pid = struct.unpack("3i", creds)[0]
        if args.refuse:
            # refused at once, as the agent does before it reads anything;
            # the request the shim wrote meanwhile is read only for the
            # log, so that a test can tell a lease's tries from those of
            # the process's other calls (cha-check, cha-result)
            op = None
            try:
                self.wfile.write((json.dumps({"id": None, "ok": False, "error": "EBUSY",
                                              "message": "the user holds its whole share"})
                                  + "\n").encode())
                self.wfile.flush()
            except OSError:
                pass  # the shim gone first (its time up): refused all the same
            try:
                self.request.settimeout(1.0)
                op = json.loads(self.rfile.readline()).get("op")
            except (OSError, ValueError, AttributeError):
                pass  # no request came
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps({"_refused": True, "_pid": pid, "_op": op}) + "\n")
            return
        for raw in self.rfile:
            try:
                req = json.loads(raw)
            except ValueError:
                return
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps(dict(req, _pid=pid)) + "\n")
            rep = {"id": req.get("id"), "ok": True}
            op = req.get("op")
            if op == "hello":
                rep.update(role="mn", version=1, default_type=args.default_type)
            elif op == "lease":
                time.sleep(args.lease_delay)
                with lock:
                    Handler.asked += 1
                    plain = args.plain or (args.plain_after is not None
                                           and Handler.asked > args.plain_after)
                    failed = Handler.asked == args.fail
                if failed:
                    rep = {"id": req.get("id"), "ok": False, "error": "REQUIREDIPFAILED",
                           "message": "lease request %d refused (--fail)" % args.fail}
                elif plain:
                    rep["plain"] = True
                else:
                    Handler.n += 1
                    rep.update(addr=args.lease[(Handler.n - 1) % len(args.lease)],
                               lease=Handler.n, anchor=req.get("cha", ""))
            elif op == "release":
                rep["released"] = True
            elif op == "cha-check":
                rep["silent"] = False
            elif op == "cha-result":
                pass
            elif op == "status":
                rep.update(role="mn", leases=[], bindings=[])
            else:
                rep = {"id": req.get("id"), "ok": False, "error": "ENOSYS",
                       "message": "unknown op %s" % op}
            if req.get("noreply"):
                continue  # as the real agent: a hint gets no answer
            self.wfile.write((json.dumps(rep) + "\n").encode())
            self.wfile.flush()

    n = 0
    asked = 0


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


ap = argparse.ArgumentParser()
ap.add_argument("socket")
ap.add_argument("log")
ap.add_argument("--default-type", default="non-persistent")
ap.add_argument("--lease", action="append")
ap.add_argument("--plain", action="store_true")
ap.add_argument("--plain-after", type=int)
ap.add_argument("--lease-delay", type=float, default=0.0)
ap.add_argument("--refuse", action="store_true")
ap.add_argument("--fail", type=int)
args = ap.parse_args()
args.lease = args.lease or ["2001:db8:c4a::2"]
if os.path.exists(args.socket):
    os.unlink(args.socket)
srv = Server(args.socket, Handler)
open(args.log, "a").close()
srv.serve_forever()
