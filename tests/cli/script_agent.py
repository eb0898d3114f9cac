#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""script_agent.py - a stand-in host agent for odmctl's tests.

Serves JSON lines on a Unix socket (libodm/core/ipc.h) with fixed answers:
  hello              role mn, version 1, default type session-lasting
  status             two leases (2001:db8:1::1 tcp, 2001:db8:1::2 udp), one
                     anchor without a route from the CoA (no_route); with
                     ODM_SCRIPT_ROLE=anchor, an anchor's: modes cha and
                     access, one access prefix, no binding
  lease              session-lasting: 2001:db8:1::3; any other type: the
                     error REQUIREDIPNOTSUPPORTED
  release            released true for 2001:db8:1::1, false for any other:
                     reason "grace" for 2001:db8:1::2 (as if in its hand-out
                     grace), "no-lease" for the rest
  monitor            monitor true, then three events (lease-granted, move,
                     lost),
                     then: the connection is closed (the agent "goes away"),
                     or with ODM_SCRIPT_MONITOR=hold kept open until the
                     client leaves, or with =garbage a line that is no event
anything else gets the error ENOSYS. Writes "ready" to READY once listening;
with ODM_SCRIPT_OPS=FILE, appends the op of every request to FILE.

usage: script_agent.py SOCKET READY
"""
import ipaddress
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

MONITOR_EVENTS = [
    {"id": 7, "addr": "2001:db8:1::3", "type": "session-lasting", "proto": "tcp",
     "anchor": "2001:db8:2::1", "uid": 0, "pid": 42, "reused": False,
     "event": "lease-granted", "ms": 1500},
    {"from": "2001:db8:3::9", "to": "2001:db8:4::9", "ifname": "eth2",
     "event": "move", "ms": 2750},
    {"event": "lost", "ms": 3000, "count": 5, "kinds": {"lease-refused": 4, "fallback": 1}},
]


def answer(req):
    op = req.get("op")
    if op == "hello":
        return {"role": "mn", "version": 1, "default_type": "session-lasting"}
    if op == "status" and os.environ.get("ODM_SCRIPT_ROLE") == "anchor":
        return {"role": "anchor", "mode": "cha", "modes": ["cha", "access"],
                "address": "2001:db8:2::1", "access_prefixes": ["2001:db8:a1::/64"],
                "pool_free": 65536, "bindings": []}
    if op == "status":
        return {"role": "mn", "coa": "2001:db8:3::9", "leases": LEASES, "bindings": [],
                "no_route": [{"anchor": "2001:db8:2::1", "coa": "2001:db8:3::9",
                              "for_ms": 2500}]}
    if op == "lease":
        if req.get("type") == "session-lasting":
            return {"addr": "2001:db8:1::3", "lease": 3, "anchor": req.get("cha", "")}
        return {"ok": False, "error": "REQUIREDIPNOTSUPPORTED",
                "message": "type \"%s\" is not offered yet" % req.get("type")}
    if op == "release":
        addr = ipaddress.ip_address(req.get("addr"))
        if addr == ipaddress.ip_address(LEASES[0]["addr"]):
            return {"released": True}
        grace = addr == ipaddress.ip_address(LEASES[1]["addr"])
        return {"released": False, "reason": "grace" if grace else "no-lease"}
    if op == "monitor":
        return {"monitor": True}
    return {"ok": False, "error": "ENOSYS", "message": "unknown op %s" % op}


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            req = json.loads(raw)
            if os.environ.get("ODM_SCRIPT_OPS"):
                with open(os.environ["ODM_SCRIPT_OPS"], "a") as f:
                    f.write(req.get("op", "") + "\n")
            rep = {"id": req.get("id"), "ok": True}
            rep.update(answer(req))
            self.wfile.write((json.dumps(rep) + "\n").encode())
            self.wfile.flush()
            if req.get("op") == "monitor":
                self.monitor()
                return

    def monitor(self):
        for ev in MONITOR_EVENTS:
            self.wfile.write((json.dumps(ev) + "\n").encode())
        mode = os.environ.get("ODM_SCRIPT_MONITOR", "")
        if mode == "garbage":
            self.wfile.write(b"{\"not\": \"an event\"}\n")
        self.wfile.flush()
        if mode == "hold":
            self.rfile.read()  # until the client closes


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
