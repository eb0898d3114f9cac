#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/bench/handover_timeline.py - where the milliseconds of one hand-over
go, from what handover.sh recorded on mn: its capture (any interface), the
kernel's address and route events (ip -ts monitor) and the agent's log.

  handover_timeline.py PCAP T0_NS NEW_ADDR ANCHOR PORT IPMON_LOG AGENT_LOG [CMD_NS]

Prints one line "phase=ms ..." (ms after T0, the old link going down; -1
when a phase was not seen) and, with --field NAME, only that phase's value:

  cmd       just before ip link set down was run (CMD_NS from topo_move;
            -1 without it): the link cannot have gone down before
  down      the kernel took the old link's address away (the link went
            down: at or before T0, which is taken after ip link set down)
  addr      the kernel announced the new address usable (not tentative, or
            optimistic: RFC 4429)
  route     the default route through the new router appeared
  agent     the agent logged the move (the CoA changed)
  bu        the first Binding Update from the new address left mn
  ba        its Binding Acknowledgement arrived
  tun       the first tunnelled packet to the new CoA arrived
  data      the first data segment after the gap (the stall's end)
  gapstart  the last data segment before the gap
  stall     data - gapstart: the longest gap between data segments that
            spans the move (ends after T0, begins before the address)
  retx      data segments seen again at mn after T0 (TCP retransmissions)
  rtt       one BU/BA round trip before the move (the lease's registration;
            not a ms after T0)
"""
import re
import subprocess
import sys
from datetime import datetime, timezone


def tshark(pcap, flt, fields):
    out = subprocess.run(["tshark", "-r", pcap, "-Y", flt, "-T", "fields"] +
                         [a for f in fields for a in ("-e", f)],
                         capture_output=True, text=True, check=False).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def first_after(times, t0):
    later = sorted(t for t in times if t >= t0)
    return later[0] if later else None


def stamp(text):
    """ISO UTC stamp (ip -ts: microseconds, the agent: milliseconds, Z)."""
    text = text.rstrip("Z")
    fmt = "%Y-%m-%dT%H:%M:%S.%f"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()


def ipmon(path, t0, prefix):
    addr = route = down = None
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return None, None, None
    for line in lines:
        m = re.match(r"\[([0-9T:.-]+)\]\s*(.*)", line)
        if not m:
            continue
        t, rest = stamp(m.group(1)), m.group(2)
        # the old link went down: its access address left (ip link set
        # down returns after it, so this is before T0)
        if down is None and t >= t0 - 0.5 and rest.startswith("Deleted") and \
                re.search(r"inet6 2001:db8:", rest) and f"inet6 {prefix}" not in rest and \
                "nodad" not in rest:
            down = t
        if t < t0 or rest.startswith("Deleted"):
            continue
        if addr is None and f"inet6 {prefix}" in rest and "dadfailed" not in rest and \
                ("tentative" not in rest or "optimistic" in rest):
            addr = t
        if route is None and rest.startswith("default via") :
            route = t
    return addr, route, down


def agent_move(path, t0):
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return None
    for line in lines:
        m = re.match(r"(\d{4}-\d\d-\d\dT[0-9:.]+Z)\s.*move: CoA", line)
        if m and stamp(m.group(1)) >= t0 - 0.001:
            return stamp(m.group(1))
    return None


def main(argv):
    field = None
    if len(argv) > 2 and argv[1] == "--field":
        field, argv = argv[2], [argv[0]] + argv[3:]
    pcap, t0n, new, anchor, port, ipmon_log, agent_log = argv[1:8]
    t0 = int(t0n) / 1e9
    cmd = int(argv[8]) / 1e9 if len(argv) > 8 and argv[8] else None
    prefix = ":".join(new.split(":")[:3]) + ":"
    ph = {}
    ph["addr"], ph["route"], ph["down"] = ipmon(ipmon_log, t0, prefix)
    ph["agent"] = agent_move(agent_log, t0)
    mh = tshark(pcap, f"mipv6 && ipv6.src == {new}", ["frame.time_epoch"])
    ph["bu"] = first_after([float(r[0]) for r in mh], t0)
    ba = tshark(pcap, f"mipv6 && ipv6.src == {anchor} && ipv6.dst == {new}",
                ["frame.time_epoch"])
    ph["ba"] = first_after([float(r[0]) for r in ba], t0)
    # one BU/BA round trip without a move: the lease's registration at the
    # download's start (first BU from mn, first BA to mn after it)
    allbu = sorted(float(r[0]) for r in tshark(pcap, f"mip6.mhtype == 5 && ipv6.dst == {anchor}",
                                                ["frame.time_epoch"]))
    allba = sorted(float(r[0]) for r in tshark(pcap, f"mip6.mhtype == 6 && ipv6.src == {anchor}",
                                                ["frame.time_epoch"]))
    rtt = -1
    if allbu and allbu[0] < t0:
        later = [t for t in allba if t >= allbu[0]]
        if later and later[0] < t0:
            rtt = round((later[0] - allbu[0]) * 1000, 2)
    tun = tshark(pcap, f"ipv6.nxt == 41 && ipv6.dst == {new}", ["frame.time_epoch"])
    ph["tun"] = first_after([float(r[0]) for r in tun], t0)
    # the data as the host's TCP got it: the userspace backend's tunnel
    # device shows it decapsulated (and the access link tunnelled, the
    # same segment again); the bpf backend decapsulates in the access
    # link's tc ingress, after the capture, so there only the tunnelled
    # segments are seen, and they are taken
    fields = ["frame.time_epoch", "tcp.seq_raw", "tcp.analysis.retransmission"]
    data = tshark(pcap, f"tcp.len > 0 && tcp.srcport == {port} && !(ipv6.nxt == 41)", fields)
    if not any(float(r[0]) >= t0 for r in data):
        data = tshark(pcap, f"tcp.len > 0 && tcp.srcport == {port}", fields)
    ts = sorted(float(r[0]) for r in data if t0 - 0.2 <= float(r[0]) <= t0 + 5)
    # the stall: the longest gap that spans the move (ends after the old
    # link went down, begins before the new address was usable); a gap
    # elsewhere is the sender's, not the move's
    until = ph["addr"] if ph["addr"] is not None else t0
    gaps = [(b - a, a, b) for a, b in zip(ts, ts[1:]) if b > t0 and a <= max(until, t0)]
    if gaps:
        _, ph["gapstart"], ph["data"] = max(gaps)
    seen, retx = set(), 0
    for r in data:
        seq = r[1] if len(r) > 1 else ""
        if float(r[0]) >= t0 and seq in seen:
            retx += 1
        seen.add(seq)
    out = {k: (round((v - t0) * 1000, 1) if v is not None else -1)
           for k, v in ph.items()}
    out["cmd"] = round((cmd - t0) * 1000, 1) if cmd is not None else -1
    out["retx"] = retx
    out["rtt"] = rtt
    out["stall"] = round(out["data"] - out["gapstart"], 1) if "data" in ph else -1
    order = ["stall", "cmd", "down", "addr", "route", "agent", "bu", "ba", "tun", "gapstart", "data", "retx", "rtt"]
    if field:
        print(out.get(field, -1))
    else:
        print(" ".join(f"{k}={out.get(k, -1)}" for k in order))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
