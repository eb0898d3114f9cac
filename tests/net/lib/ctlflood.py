#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tests/net/lib/ctlflood.py - one control connection that sends the same
# request to the agent as fast as the socket takes it, while a second
# thread reads the answers, for SECONDS (a local user's attack on the
# agent's log, test_ctlflood.sh). Bounded by SECONDS; the agent's own caps
# (odmagent(8), Fair shares) pace it.
#
#   ctlflood.py SOCKET SECONDS JSON
#
# JSON is the request without its "id" (each one gets the next). Prints
# "sent=N answered=M errors=E" at the end (E: answers with "ok": false), and
# the first answer on a second line ("first=...").
import json, socket, sys, threading, time

path, secs, req = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(0.2)
end = time.monotonic() + secs
got = {"answered": 0, "errors": 0, "first": None}

def reader():
    buf = b""
    while time.monotonic() < end + 1:
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            continue
        if not d:
            return
        *done, buf = (buf + d).split(b"\n")
        for line in done:
            a = json.loads(line)
            got["answered"] += 1
            got["errors"] += not a.get("ok", False)
            got["first"] = got["first"] or line.decode()

t = threading.Thread(target=reader)
t.start()
sent = 0
while time.monotonic() < end:
    lines = b"".join((json.dumps(dict(req, id=sent + i + 1)) + "\n").encode() for i in range(64))
    try:
        s.sendall(lines)
        sent += 64
    except socket.timeout:
        break  # the agent stopped reading: its cap; what went counts below
t.join()
print("sent=%d answered=%d errors=%d" % (sent, got["answered"], got["errors"]))
print("first=%s" % got["first"])
