# SPDX-License-Identifier: MIT
# ctlholder.py SOCK STATE KEEPALIVE - hold as many connections to an agent's
# control socket as it allows, as the calling user (tests/net/test_ctlshare.sh).
#
# Opens connections and says hello on each until the agent answers one with
# EBUSY (or MAX is reached), writes "held N by HOW" to STATE (HOW: the
# error that ended it, "reset" for a connection dropped without an answer,
# or "max"), then says hello on
# every held connection every second for as long as the file KEEPALIVE
# exists (so does it while it opens them): each stays in use, none ever
# spare for a new one of the same user (odmagent(8), Fair shares).
# Once it is gone it sends nothing and watches the connections: when all
# have been closed by the agent (or after 30 s) it writes "closed K after S s"
# to STATE and exits.
import json, os, select, socket, sys, time

MAX = 2000
sock_path, state, keepalive = sys.argv[1:4]


def hello(c, i):
    try:
        c.sendall(json.dumps({"op": "hello", "id": i}).encode() + b"\n")
    except OSError:
        pass  # refused and closed before it heard us: its answer is still there
    return json.loads(c.makefile("rb").readline() or b"null")


held = []
how = "max"
n = 0
last = time.monotonic()
for i in range(MAX):
    if time.monotonic() - last >= 1:
        for h in held:
            n += 1
            hello(h, 100000 + n)
        last = time.monotonic()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(sock_path)
        r = hello(c, i)
    except OSError:
        r = None
    if not r or not r.get("ok"):
        how = r.get("error", "?") if r else "reset"
        c.close()
        break
    held.append(c)
with open(state, "w") as f:
    f.write("held %d by %s\n" % (len(held), how))

while os.path.exists(keepalive):
    for c in held:
        n += 1
        hello(c, 100000 + n)
    time.sleep(1)

t0 = time.monotonic()
open_ = set(held)
while open_ and time.monotonic() - t0 < 30:
    ready, _, _ = select.select(list(open_), [], [], 1)
    for c in ready:
        if not c.recv(1):
            open_.discard(c)
with open(state, "a") as f:
    f.write("closed %d after %.1f s\n" % (len(held) - len(open_), time.monotonic() - t0))
