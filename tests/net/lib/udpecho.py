#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""udpecho.py - a UDP echo server bound to [::] for the network tests.

usage: udpecho.py MODE PORT [SECONDS]

Binds one AF_INET6 UDP socket to [::]:PORT and sends each datagram back to
its sender, the way MODE says, until SECONDS (default 120) have passed:

  from     recvfrom + sendto
  peek     recvfrom(MSG_PEEK) first, then recvfrom + sendto
  msg      recvmsg without room for control data + sendmsg
  msgctl   recvmsg with room for control data + sendmsg with none: the
           program asked for no control message and must see none
           (nor MSG_CTRUNC), and getsockopt says IPV6_RECVPKTINFO off
  mmsg     recvmmsg + sendmmsg (libc's, through ctypes: so a preloaded
           library sees them), up to 4 datagrams a call
  tclass   recvmsg + sendmsg with a control message of its own (traffic
           class 0x28, IPV6_TCLASS), which the answer must keep
  threads  recvfrom + sendto on 4 threads sharing the socket
  own      the program sets IPV6_RECVPKTINFO itself and answers with
           IPV6_PKTINFO from the address each datagram came to: it must
           get its control message as without any preloaded library

A check that fails prints "udpecho: BAD ..." on stderr and exits 3.
"""
import ctypes
import socket
import sys
import threading
import time

mode, port = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 120)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", port))
s.settimeout(0.5)


def bad(what):
    print("udpecho: BAD", what, file=sys.stderr, flush=True)
    sys.exit(3)


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(Iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class Mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", Msghdr), ("len", ctypes.c_uint)]


def mmsg_round(libc, n=4):
    """one recvmmsg (blocking for the first datagram) and one sendmmsg back"""
    vec = (Mmsghdr * n)()
    bufs = [ctypes.create_string_buffer(2048) for _ in range(n)]
    names = [ctypes.create_string_buffer(28) for _ in range(n)]
    iovs = [Iovec(ctypes.cast(bufs[i], ctypes.c_void_p), 2048) for i in range(n)]
    for i in range(n):
        vec[i].hdr.name = ctypes.cast(names[i], ctypes.c_void_p)
        vec[i].hdr.namelen = 28
        vec[i].hdr.iov = ctypes.pointer(iovs[i])
        vec[i].hdr.iovlen = 1
    got = libc.recvmmsg(s.fileno(), vec, n, 0x10000, None)  # MSG_WAITFORONE
    if got < 0:
        return
    for i in range(got):
        if vec[i].hdr.controllen != 0 or vec[i].hdr.flags != 0:
            bad("recvmmsg: control data %d bytes, flags %#x" % (vec[i].hdr.controllen,
                                                                 vec[i].hdr.flags))
        iovs[i].len = vec[i].len
    sent = libc.sendmmsg(s.fileno(), vec, got, 0)
    if sent != got:
        bad("sendmmsg sent %d of %d" % (sent, got))


def echo_thread():
    while time.monotonic() < deadline:
        try:
            d, a = s.recvfrom(2048)
            s.sendto(d, a)
        except socket.timeout:
            continue


libc = ctypes.CDLL(None, use_errno=True) if mode == "mmsg" else None
if mode == "threads":
    ts = [threading.Thread(target=echo_thread) for _ in range(4)]
    for t in ts:
        t.start()
    print("udpecho: ready", mode, port, flush=True)
    for t in ts:
        t.join()
    sys.exit(0)
if mode == "own":
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
print("udpecho: ready", mode, port, flush=True)
while time.monotonic() < deadline:
    try:
        if mode == "from":  # any size a datagram has (fragmented ones too)
            d, a = s.recvfrom(65535)
            s.sendto(d, a)
        elif mode == "peek":
            d, a = s.recvfrom(2048, socket.MSG_PEEK)
            d2, a2 = s.recvfrom(2048)
            if (d, a) != (d2, a2):
                bad("peek %r from %r, then %r from %r" % (d, a, d2, a2))
            s.sendto(d2, a2)
        elif mode == "msg":
            d, anc, fl, a = s.recvmsg(2048)
            if anc or fl:
                bad("recvmsg: control %r flags %#x" % (anc, fl))
            s.sendmsg([d], [], 0, a)
        elif mode == "msgctl":
            d, anc, fl, a = s.recvmsg(2048, 256)
            if anc or fl:
                bad("recvmsg: control %r flags %#x" % (anc, fl))
            if s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO) != 0:
                bad("getsockopt says IPV6_RECVPKTINFO on")
            s.sendmsg([d], [], 0, a)
        elif mode == "tclass":
            d, anc, fl, a = s.recvmsg(2048, 256)
            if anc or fl:
                bad("recvmsg: control %r flags %#x" % (anc, fl))
            s.sendmsg([d], [(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, (0x28).to_bytes(4, sys.byteorder))],
                      0, a)
        elif mode == "mmsg":
            s.settimeout(None)
            mmsg_round(libc)
        elif mode == "own":
            d, anc, fl, a = s.recvmsg(2048, 256)
            pi = [x for lvl, t, x in anc if lvl == socket.IPPROTO_IPV6 and t == socket.IPV6_PKTINFO]
            if len(pi) != 1:
                bad("own IPV6_RECVPKTINFO: control %r" % (anc,))
            s.sendmsg([d], [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, pi[0])], 0, a)
        else:
            bad("no mode " + mode)
    except socket.timeout:
        continue
