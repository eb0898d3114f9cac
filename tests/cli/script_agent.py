#!/usr/bin/env python3
"""script_agent.py - a stand-in host agent for odmctl's tests.

Serves JSON lines on a Unix socket (libodm/core/ipc.h) with fixed answers:
  hello              role mn, version 1, default type session-lasting
  status             two leases (2001:db8:1::1 tcp, 2001:db8:1::2 udp)
  lease              session-lasting: 2001:db8:1::3; any other type: the
                     error REQUIREDIPNOTSUPPORTED
  release            released true for 2001:db8:1::1, false for any other
                     (2001:db8:1::2 as if in its hand-out grace)
anything else gets the error ENOSYS. Writes "ready" to READY once listening.

usage: script_agent.py SOCKET READY
"""
import json
import os
import socketserver
import sys

LEASES = [
    {"addr": "2001:db8:1::1", "type": "session-lasting", "anchor": "2001:db8:2::1",
     "sockets": 1, "state": "bound", "proto": "tcp"},
    {"addr": "2001:db8:1::2", "type": "session-lasting", "anchor": "2001:db8:2::1",
     "sockets": 0, "state": "bound", "proto": "udp"},
]


def answer(req):
    op = req.get("op")
    if op == "hello":
        return {"role": "mn", "version": 1, "default_type": "session-lasting"}
    if op == "status":
        return {"role": "mn", "coa": "2001:db8:3::9", "leases": LEASES, "bindings": []}
    if op == "lease":
        if req.get("type") == "session-lasting":
            return {"addr": "2001:db8:1::3", "lease": 3, "anchor": req.get("cha", "")}
        return {"ok": False, "error": "REQUIREDIPNOTSUPPORTED",
                "message": "type \"%s\" is not offered yet" % req.get("type")}
    if op == "release":
        return {"released": req.get("addr") == LEASES[0]["addr"]}
    return {"ok": False, "error": "ENOSYS", "message": "unknown op %s" % op}


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            req = json.loads(raw)
            rep = {"id": req.get("id"), "ok": True}
            rep.update(answer(req))
            self.wfile.write((json.dumps(rep) + "\n").encode())
            self.wfile.flush()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    sock, ready = sys.argv[1], sys.argv[2]
    if os.path.exists(sock):
        os.unlink(sock)
    with Server(sock, Handler) as srv:
        with open(ready, "w") as f:
            f.write("ready\n")
        srv.serve_forever()
