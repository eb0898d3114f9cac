#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# gailoop.py NAME SECONDS getaddrinfo|addrconfig|gethostbyname2 - one
# process looking NAME up (getaddrinfo, IPv6, UDP; addrconfig: with
# AI_ADDRCONFIG; or gethostbyname2(NAME, AF_INET6), the process's own: the
# shim's when it is preloaded) every 2 ms for
# SECONDS, and a line per lookup that failed or took 20 ms or more,
#   <epoch s at its start> <ms it took> ok|<the error's words>
# then the summary, its last line:
#   lookups <n> failed <n> longest <ms>
# (a program's name lookups across a move, or while the host is offline).
import ctypes
import socket
import sys
import time

name, dur = sys.argv[1], float(sys.argv[2])
mode = sys.argv[3]
if mode not in ("getaddrinfo", "addrconfig", "gethostbyname2"):
    sys.exit("gailoop.py: getaddrinfo, addrconfig or gethostbyname2, not %r" % mode)
flags = socket.AI_ADDRCONFIG if mode == "addrconfig" else 0
libc = ctypes.CDLL(None)
libc.gethostbyname2.restype = ctypes.c_void_p
libc.gethostbyname2.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.__h_errno_location.restype = ctypes.POINTER(ctypes.c_int)
libc.hstrerror.restype = ctypes.c_char_p


def lookup():
    if mode != "gethostbyname2":
        socket.getaddrinfo(name, 7, socket.AF_INET6, socket.SOCK_DGRAM, 0, flags)
    elif not libc.gethostbyname2(name.encode(), socket.AF_INET6):
        raise socket.gaierror(libc.hstrerror(libc.__h_errno_location()[0]).decode())


end = time.time() + dur
n = failed = 0
longest = 0.0
while time.time() < end:
    t = time.time()
    try:
        lookup()
        what = "ok"
    except socket.gaierror as e:
        what = str(e)
        failed += 1
    ms = (time.time() - t) * 1000
    longest = max(longest, ms)
    n += 1
    if what != "ok" or ms >= 20:
        print("%.3f %.1f %s" % (t, ms, what), flush=True)
    time.sleep(0.002)
print("lookups %d failed %d longest %.0f" % (n, failed, longest), flush=True)
