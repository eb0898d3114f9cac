# SPDX-License-Identifier: MIT
"""syslog_sink.py SOCKET OUT READY - a stand-in for the system logger: binds
a Unix datagram socket at SOCKET (as syslog(3) writes to /dev/log), writes
each datagram received to OUT as one line, and writes READY once bound.
Stops after 60 s or on SIGTERM."""
import signal
import socket
import sys
import time

sock_path, out_path, ready_path = sys.argv[1:4]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
s.settimeout(0.2)
with open(ready_path, "w") as r:
    r.write("ready\n")
end = time.monotonic() + 60
with open(out_path, "a", buffering=1) as out:
    while time.monotonic() < end:
        try:
            msg = s.recv(65536)
        except socket.timeout:
            continue
        out.write(msg.decode("utf-8", "backslashreplace").rstrip("\n").replace("\n", "\\n") + "\n")
