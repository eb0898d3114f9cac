#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""udpstream.py - a receive-only UDP stream across a move, for the replay
tests (tests/net/test_replay.sh, make bench).

  udpstream.py send PORT RATE COUNT
      on cn: wait (at most 20 s) for one datagram on PORT, then send COUNT
      datagrams at RATE per second to its sender, each carrying its
      sequence number and its CLOCK_MONOTONIC send time; then a few END
      datagrams. Stops by itself.
  udpstream.py recv HOST PORT OUT [SILENCE]
      on mn: send one datagram to HOST:PORT (which gives the socket its
      address: under the shim, a lease), then only receive, writing one
      line "seq send_ns recv_ns" per datagram to OUT, until END or SILENCE
      seconds (3) of silence. Prints "receiving" at the first datagram.
  udpstream.py analyse OUT RATE [COUNT]
      the figures, as key=value lines: sent (COUNT, what the sender sent;
      without it the highest sequence received + 1),
      received, lost, dups (copies beyond the first), dup_age_max_ms and
      dup_age_med_ms (a copy's arrival after the first one's), outage_sent
      (the longest run of consecutive datagrams not delivered on time:
      lost, or arriving more than 5 ms after their send, as the replayed
      ones do; with those after it sent before the replay's first copy
      arrived and received only after that, the replay's last copies,
      which can come within 5 ms), outage_ms (from the send of the last
      datagram on time before that run to the first one after it),
      resumed (1 when datagrams sent after the run arrived, or with
      COUNT when there was no such run: the stream was never cut, as a
      move with no outage at all leaves it; datagrams not received at the
      end are a run too).

All hosts of the test network share one CLOCK_MONOTONIC (namespaces do
not change it), so send and receive times compare directly.
"""
import socket
import struct
import sys
import time

HDR = struct.Struct("!QQ")
PAD = 172  # a 200-byte datagram


def send(port, rate, count):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", port))
    s.settimeout(20)
    _, peer = s.recvfrom(2048)
    print("peer", peer[0], flush=True)
    gap = 1e9 / rate
    t0 = time.monotonic_ns()
    for i in range(count):
        due = t0 + int(i * gap)
        while True:
            left = due - time.monotonic_ns()
            if left <= 0:
                break
            time.sleep(left / 1e9)
        try:
            s.sendto(HDR.pack(i, time.monotonic_ns()) + bytes(PAD), peer)
        except OSError:
            pass  # no route for a moment: that datagram is lost, as on a wire
    for _ in range(5):
        s.sendto(b"END", peer)
        time.sleep(0.05)
    print("sent", count, flush=True)


RCVBUF = 8 << 20
SO_RCVBUFFORCE = 33  # Linux, asm-generic/socket.h (not in the socket module)


def recv(host, port, out, silence=3.0):
    ai = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_DGRAM)[0]
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    # room for seconds of the stream and the replay's burst: a receiver not
    # scheduled for a while on a loaded machine would otherwise lose
    # datagrams the tunnel delivered (its socket's Udp6RcvbufErrors), which
    # the figures would count as lost on the way (root, in the test's
    # namespace, may pass net.core.rmem_max)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    s.sendto(b"start", ai[4])
    print("source", s.getsockname()[0], flush=True)
    s.settimeout(silence)
    first = True
    with open(out, "w") as f:
        while True:
            try:
                data = s.recv(2048)
            except socket.timeout:
                break
            now = time.monotonic_ns()
            if data == b"END":
                break
            if len(data) < HDR.size:
                continue
            seq, sent = HDR.unpack_from(data)
            f.write("%d %d %d\n" % (seq, sent, now))
            if first:
                print("receiving", flush=True)
                first = False
    print("done", flush=True)


# A datagram whose first copy arrived later than this after it was sent was
# not delivered on its way: it came by the replay (or after a stall).
LATE_NS = 5_000_000


def analyse(out, rate, count=None):
    rows = [tuple(int(x) for x in l.split()) for l in open(out) if l.strip()]
    ages, seen = [], {}
    for seq, sent, rcv in rows:
        if seq in seen:
            ages.append((rcv - seen[seq][1]) / 1e6)
        else:
            seen[seq] = (sent, rcv)
    sent_total = max(seen) + 1 if seen else 0
    if count is not None:
        sent_total = max(sent_total, count)

    def on_time(seq):
        return seq in seen and seen[seq][1] - seen[seq][0] <= LATE_NS

    # the outage: the longest run of consecutive datagrams not delivered on
    # time (lost, or late by the replay), by sequence number, so a stall of
    # the sender (which then catches up) or of the receiver's clock reading
    # between two arrivals is not taken for it
    run, first, best = 0, 0, (0, 0)
    for seq in range(sent_total):
        if on_time(seq):
            run = 0
            continue
        if run == 0:
            first = seq
        run += 1
        if run > best[1] - best[0]:
            best = (first, seq + 1)
    a, b = best
    # the replay's last copies can come within LATE_NS of their send, as if
    # on time: a datagram sent before the replay's first copy arrived and
    # received only after that was lost on the old path too
    burst = min((seen[q][1] for q in range(a, b) if q in seen), default=None)
    while burst is not None and b in seen and seen[b][0] < burst <= seen[b][1]:
        b += 1
    # its length: from the send of the last datagram on time before it to
    # the send of the first one on time after it
    before = seen[a - 1][0] if a - 1 in seen else (seen[min(seen)][0] if seen else 0)
    after = seen[b][0] if b in seen else before
    if b > a:
        resumed = any(seq >= b for seq in seen)
    else:  # no run: uncut only if the sender's count says the end came
        resumed = count is not None and len(seen) > 0
    ages.sort()
    print("rate=%d" % rate)
    print("sent=%d" % sent_total)
    print("received=%d" % len(seen))
    print("lost=%d" % (sent_total - len(seen)))
    print("dups=%d" % len(ages))
    print("dup_age_max_ms=%.1f" % (ages[-1] if ages else 0))
    print("dup_age_med_ms=%.1f" % (ages[len(ages) // 2] if ages else 0))
    print("outage_ms=%.1f" % ((after - before) / 1e6 if b > a else 0))
    print("outage_sent=%d" % (b - a))
    print("resumed=%d" % (1 if resumed else 0))


def main(a):
    if len(a) == 4 and a[0] == "send":
        send(int(a[1]), float(a[2]), int(a[3]))
    elif len(a) in (4, 5) and a[0] == "recv":
        recv(a[1], int(a[2]), a[3], float(a[4]) if len(a) == 5 else 3.0)
    elif len(a) in (3, 4) and a[0] == "analyse":
        analyse(a[1], int(float(a[2])), int(a[3]) if len(a) == 4 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
