#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# tests/net/lib/mhcraft.py — Mobility Header messages crafted byte by byte,
# independently of the codec in the agent, for tests that play the host or
# an attacker against a real odmagent. scapy 2.5 has no classes for the HNP
# (22) and BID (35) options; a second encoder is also the better check.
#
# Sends one BU (or raw bytes) from --coa to --cha over a raw socket and
# prints the answer as "BA status=.. seq=.. ..." or "BE status=..".
import argparse, hmac, hashlib, os, socket, struct, sys, time
from ipaddress import IPv6Address

def ntp_now(offset=0.0):
    t = time.time() + offset + 2208988800
    return (int(t) << 32) | int((t % 1) * (1 << 32))

def pad_to(b, x, y):
    n = (y - len(b)) % x
    if n == 1:
        b += b"\x00"
    elif n >= 2:
        b += bytes([1, n - 2]) + bytes(n - 2)
    return b

def encode_bu(a, key):
    coa = IPv6Address(a.coa).packed
    hnp = IPv6Address(a.hnp).packed
    b = bytearray([59, 0, 5, 0, 0, 0]) + struct.pack("!HHH", a.seq, 0xC000, a.lifetime)
    b = pad_to(b, 8, 6); b += bytes([3, 16]) + coa                          # Alternate CoA
    b = pad_to(b, 8, 4); b += bytes([22, 18, 0, 128]) + hnp                 # HNP
    b = pad_to(b, 2, 0); b += bytes([35, 4]) + struct.pack("!HBB", a.bid, 0, 0)  # BID
    if a.service:                                                          # RFC 5149
        s = a.service.encode(); b += bytes([20, len(s)]) + s
    nai = a.nai.encode(); b += bytes([8, 1 + len(nai), 1]) + nai             # MN-ID
    b = pad_to(b, 8, 2); b += bytes([10, 8]) + struct.pack("!Q", ntp_now(a.ts_offset))
    if a.lost_ms is not None:  # ODM's "care-of address lost" (type 19, sub-type 1)
        b = pad_to(b, 4, 0); b += bytes([19, 6, 1, 0]) + struct.pack("!I", a.lost_ms)
    b = pad_to(b, 4, 1); auth_off = len(b)
    b += bytes([9, 17, 1]) + struct.pack("!I", a.spi) + bytes(12)          # MN-HA auth
    b = pad_to(b, 8, 0)
    b[1] = len(b) // 8 - 1
    mac = hmac.new(key, coa + hnp + bytes(b[:auth_off + 7]), hashlib.sha1).digest()[:12]
    if a.badauth:
        mac = bytes([mac[0] ^ 0xff]) + mac[1:]
    b[auth_off + 7:auth_off + 19] = mac
    return bytes(b)

def parse(b):
    m = {"type": b[2]}
    if b[2] == 6:
        m.update(status=b[6], flags=b[7], seq=struct.unpack("!H", b[8:10])[0],
                 lifetime=struct.unpack("!H", b[10:12])[0])
        off = 12
    elif b[2] == 7:
        m.update(status=b[6]); return m
    else:
        return m
    while off < len(b):
        t = b[off]
        if t == 0:
            off += 1; continue
        l = b[off + 1]; body = b[off + 2:off + 2 + l]
        if t == 22: m["hnp"] = str(IPv6Address(body[2:18]))
        if t == 2: m["bra"] = struct.unpack("!H", body)[0]
        if t == 35: m["bid"] = struct.unpack("!H", body[:2])[0]
        if t == 8: m["nai"] = body[1:].decode()
        if t == 10: m["replay"] = struct.unpack("!Q", body)[0]
        if t == 9:
            m["spi"] = struct.unpack("!I", body[1:5])[0]; m["auth"] = body[5:17]; m["auth_off"] = off
        off += 2 + l
    return m

def ba_auth_ok(b, m, key, coa):
    if "auth" not in m:
        return "none"
    hoa = IPv6Address(m.get("hnp", "::")).packed
    d = bytearray(b[:m["auth_off"] + 7]); d[4:6] = b"\x00\x00"
    mac = hmac.new(key, IPv6Address(coa).packed + hoa + bytes(d), hashlib.sha1).digest()[:12]
    return "ok" if hmac.compare_digest(mac, m["auth"]) else "bad"

def mhsock(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
    src = a.src or a.coa
    if a.src:  # a source this host does not own (IPV6_TRANSPARENT = 75)
        s.setsockopt(socket.IPPROTO_IPV6, 75, 1)
    scope = socket.if_nametoindex(a.dev) if src.lower().startswith("fe80") else 0
    s.bind((src, 0, 0, scope))
    return s

def flood(a, datas):
    # send every BU as fast as the socket takes it, then count the answers
    # that arrive until a.wait seconds after the last one went out
    s = mhsock(a); s.setblocking(False)
    answers, t0 = 0, time.time()
    for i, d in enumerate(datas):
        if a.rate and i % 20 == 0:  # paced: a.rate a second, 20 at a time
            time.sleep(max(0.0, t0 + i / a.rate - time.time()))
        while True:
            try:
                s.sendto(d, (a.cha, 0)); break
            except BlockingIOError:
                time.sleep(0.0005)
        try:
            while True:
                b, peer = s.recvfrom(4096)
                answers += peer[0] == a.cha and len(b) >= 8 and b[2] in (6, 7)
        except BlockingIOError:
            pass
    t1 = time.time(); s.settimeout(0.05)
    while time.time() < t1 + a.wait:
        try:
            b, peer = s.recvfrom(4096)
            answers += peer[0] == a.cha and len(b) >= 8 and b[2] in (6, 7)
        except socket.timeout:
            pass
    print("sent=%d answers=%d seconds=%.3f" % (len(datas), answers, t1 - t0))

def flip(a, n):
    # n BUs in turn from a.flip and a.coa (the first from a.flip), each a
    # move of the binding, each sent once its predecessor's BA is in
    socks, accepted, coas = {}, 0, (a.flip, a.coa)
    for i in range(n):
        a.coa = coas[i % 2]; a.seq = (a.seq + 1) & 0xffff
        if a.coa not in socks:
            socks[a.coa] = mhsock(a); socks[a.coa].settimeout(3)
        s = socks[a.coa]
        s.sendto(encode_bu(a, key), (a.cha, 0))
        while True:
            b, peer = s.recvfrom(4096)
            if peer[0] == a.cha and len(b) >= 12 and b[2] == 6:
                accepted += b[6] < 128; break
    print("sent=%d accepted=%d" % (n, accepted))

def exchange(a, data):
    # the answer to this BU: a BA that echoes its number (135 carries the
    # anchor's last one instead), not one to another BU from this address
    seq = struct.unpack("!H", data[6:8])[0] if len(data) >= 8 and data[2] == 5 else None
    s = mhsock(a)
    s.settimeout(3)
    s.sendto(data, (a.cha, 0))
    end = time.time() + 3
    while time.time() < end:
        try:
            b, peer = s.recvfrom(4096)
        except socket.timeout:
            break
        if peer[0] != a.cha or len(b) < 8 or b[2] not in (6, 7):
            continue
        if b[2] == 6 and seq is not None and len(b) >= 10 and b[6] != 135 and \
                struct.unpack("!H", b[8:10])[0] != seq:
            continue
        return b
    raise SystemExit("no answer")

# ---- the host's side: BAs crafted and sent to a host, MH read back from a
# capture (test_strayba.sh). Sub-commands, before the BU options below:
#   mhcraft.py send-ba --from A --to H --status N --seq N [--bid N] [--hnp A]
#       [--lifetime S] [--ts NTP|none [--ts-delta N]] [--keyfile F --auth-coa C]
#       [--spi N]
#     one BA from A to H; signed (RFC 4285 MN-HA over C ‖ HNP-or-:: ‖ MH)
#     when --keyfile is given, unauthenticated otherwise; more BAs, each
#     with all its options, after "--then" (all built first, then sent)
#   mhcraft.py answer-bu --from A --to H --status N [--wait S] [--keyfile F
#       --auth-coa C] [--spi N]
#     waits (S seconds, 10) for the next BU from H to A on a raw socket in
#     this namespace, answers it from A with a BA of status N echoing its
#     number, BID and timestamp (signed as send-ba); prints "listening" once
#     its socket is bound, then the BU as a pcap line; exits 1 if none came
#   mhcraft.py send-raw --from A --to H --hex BYTES [--dev IF]
#     MH bytes as they are; H may be a multicast group (ff02::1), sent out
#     of IF
#   mhcraft.py pcap FILE [--type N] [--src A] [--dst A]
#     one line per MH message in an Ethernet capture: type= src= dst= seq=
#     status= lifetime= bid= ts= spi= hex= (fields a message lacks are -)
def mh_options(b, off):
    o = {}
    while off + 1 < len(b):
        t = b[off]
        if t == 0:
            off += 1; continue
        l = b[off + 1]; body = b[off + 2:off + 2 + l]
        o[t] = (off, body)
        off += 2 + l
    return o

def encode_ba(a, key):
    hoa = IPv6Address(a.hnp).packed if a.hnp else bytes(16)
    b = bytearray([59, 0, 6, 0, 0, 0, a.status, 0]) + struct.pack("!HH", a.seq, a.lifetime // 4)
    if a.hnp:
        b = pad_to(b, 8, 4); b += bytes([22, 18, 0, 128]) + hoa             # HNP
    if a.bid is not None:
        b = pad_to(b, 2, 0); b += bytes([35, 4]) + struct.pack("!HBB", a.bid, a.status, 0)
    if a.ts != "none":
        b = pad_to(b, 8, 2); b += bytes([10, 8]) + struct.pack("!Q", (int(a.ts, 0) + a.ts_delta) % (1 << 64))
    auth_off = None
    if key:
        b = pad_to(b, 4, 1); auth_off = len(b)
        b += bytes([9, 17, 1]) + struct.pack("!I", a.spi) + bytes(12)
    b = pad_to(b, 8, 0)
    b[1] = len(b) // 8 - 1
    if key:
        coa = IPv6Address(a.auth_coa).packed
        mac = hmac.new(key, coa + hoa + bytes(b[:auth_off + 7]), hashlib.sha1).digest()[:12]
        b[auth_off + 7:auth_off + 19] = mac
    return bytes(b)

def send_mh(src, dst, data, dev=None):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)  # the kernel sums it
    s.bind((src, 0))
    scope = socket.if_nametoindex(dev) if dev else 0
    if dev and IPv6Address(dst).is_multicast:  # a group: out of dev
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, scope)
    s.sendto(data, (dst, 0, 0, scope))

def pcap_ipv6(path):
    # the IPv6 packets of an Ethernet capture with 8 octets or more of payload
    d = open(path, "rb").read()
    if len(d) < 24 or struct.unpack("<I", d[:4])[0] != 0xa1b2c3d4:
        raise SystemExit("pcap: %s is not a little-endian pcap" % path)
    off = 24
    while off + 16 <= len(d):
        incl = struct.unpack("<I", d[off + 8:off + 12])[0]
        pkt = d[off + 16:off + 16 + incl]; off += 16 + incl
        if len(pkt) >= 14 + 40 + 8 and pkt[12:14] == b"\x86\xdd":
            yield pkt

def pcap_lines(path, want):
    for pkt in pcap_ipv6(path):
        if pkt[14 + 6] != 135:
            continue
        ip, mh = pkt[14:54], pkt[54:]
        mh = mh[:(mh[1] + 1) * 8]
        m = {"type": mh[2], "src": str(IPv6Address(ip[8:24])), "dst": str(IPv6Address(ip[24:40])),
             "seq": "-", "status": "-", "lifetime": "-", "bid": "-", "ts": "-", "spi": "-"}
        if mh[2] == 5:
            m["seq"], _, lt = struct.unpack("!HHH", mh[6:12]); m["lifetime"] = lt * 4
        elif mh[2] == 6:
            m["status"] = mh[6]; m["seq"], lt = struct.unpack("!HH", mh[8:12]); m["lifetime"] = lt * 4
        if mh[2] in (5, 6):
            o = mh_options(mh, 12)
            if 35 in o: m["bid"] = struct.unpack("!H", o[35][1][:2])[0]
            if 10 in o: m["ts"] = struct.unpack("!Q", o[10][1])[0]
            if 9 in o: m["spi"] = struct.unpack("!I", o[9][1][1:5])[0]
        if any(v is not None and str(m[k]) != str(v) for k, v in want.items()):
            continue
        print(" ".join("%s=%s" % (k, m[k]) for k in
                       ("type", "src", "dst", "seq", "status", "lifetime", "bid", "ts", "spi"))
              + " hex=" + mh.hex())

def pcap_pp(path):
    # each Mobility Header packet ("mh") and ICMPv6 Parameter Problem ("pp")
    # of an Ethernet capture, whole from its IPv6 header, as hex
    for pkt in pcap_ipv6(path):
        ip = pkt[14:14 + 40 + struct.unpack("!H", pkt[18:20])[0]]
        kind = "mh" if ip[6] == 135 else "pp" if ip[6] == 58 and ip[40] == 4 else None
        if kind:
            print(kind, IPv6Address(ip[8:24]), IPv6Address(ip[24:40]), ip.hex())

def host_main(argv):
    hp = argparse.ArgumentParser(prog="mhcraft.py " + argv[0])
    if argv[0] == "pcap-pp":
        pcap_pp(argv[1])
        return 0
    if argv[0] == "pcap":
        hp.add_argument("file"); hp.add_argument("--type", type=int)
        hp.add_argument("--src"); hp.add_argument("--dst")
        h = hp.parse_args(argv[1:])
        pcap_lines(h.file, {"type": h.type, "src": h.src, "dst": h.dst})
        return 0
    hp.add_argument("--from", dest="src", required=True); hp.add_argument("--to", required=True)
    if argv[0] == "answer-bu":
        hp.add_argument("--status", type=int, required=True); hp.add_argument("--wait", type=float, default=10)
        hp.add_argument("--keyfile"); hp.add_argument("--auth-coa"); hp.add_argument("--spi", type=int, default=0)
        h = hp.parse_args(argv[1:])
        key = bytes.fromhex(open(h.keyfile).read().strip()) if h.keyfile else None
        return answer_bu(h, key)
    if argv[0] == "send-raw":
        hp.add_argument("--hex", required=True); hp.add_argument("--dev")
        h = hp.parse_args(argv[1:])
        send_mh(h.src, h.to, bytes.fromhex(h.hex), h.dev)
        return 0
    hp.add_argument("--status", type=int, required=True); hp.add_argument("--seq", type=int, required=True)
    hp.add_argument("--bid", type=int); hp.add_argument("--hnp")
    hp.add_argument("--lifetime", type=int, default=0); hp.add_argument("--ts", default="none")
    hp.add_argument("--ts-delta", type=int, default=0)
    hp.add_argument("--keyfile"); hp.add_argument("--auth-coa"); hp.add_argument("--spi", type=int, default=0)
    # several BAs, one after the other, each with its own arguments between
    # "--then"s: one process for them all, so that they all come within an
    # exchange's time on a loaded machine too
    segs, seg = [], []
    for x in argv[1:] + ["--then"]:
        if x != "--then":
            seg.append(x)
        elif seg:
            segs.append(seg); seg = []
    msgs = []
    for seg in segs:
        h = hp.parse_args(seg)
        key = bytes.fromhex(open(h.keyfile).read().strip()) if h.keyfile else None
        msgs.append((h.src, h.to, encode_ba(h, key)))
    for src, to, data in msgs:
        send_mh(src, to, data)
    return 0

def answer_bu(h, key):
    # the answer leaves within a millisecond of the BU: an exchange's time
    # (an allocation's 2.9 s) holds on a loaded machine too
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
    s.bind((h.src, 0))
    print("listening", flush=True)
    end = time.time() + h.wait
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            mh, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        if IPv6Address(peer[0]) != IPv6Address(h.to) or len(mh) < 12 or mh[2] != 5:
            continue
        mh = mh[:(mh[1] + 1) * 8]
        o = mh_options(mh, 12)
        a = argparse.Namespace(status=h.status, seq=struct.unpack("!H", mh[6:8])[0], hnp=None,
                               lifetime=0, ts="none", ts_delta=0, auth_coa=h.auth_coa, spi=h.spi,
                               bid=struct.unpack("!H", o[35][1][:2])[0] if 35 in o else None)
        if 10 in o:
            a.ts = str(struct.unpack("!Q", o[10][1])[0])
        send_mh(h.src, h.to, encode_ba(a, key))
        print("type=5 src=%s dst=%s seq=%d bid=%s ts=%s" % (h.to, h.src, a.seq, a.bid, a.ts), flush=True)
        return 0
    print("answer-bu: no BU from %s within %g s" % (h.to, h.wait), file=sys.stderr)
    return 1

if len(sys.argv) > 1 and sys.argv[1] in ("send-ba", "answer-bu", "send-raw", "pcap", "pcap-pp"):
    sys.exit(host_main(sys.argv[1:]))

p = argparse.ArgumentParser()
p.add_argument("--coa"); p.add_argument("--cha"); p.add_argument("--nai")
p.add_argument("--spi", type=int); p.add_argument("--keyfile")
p.add_argument("--seq", type=int, default=1); p.add_argument("--bid", type=int, default=1)
p.add_argument("--hnp", default="::"); p.add_argument("--lifetime", type=int, default=100)
p.add_argument("--ts-offset", type=float, default=0.0)
# Service Selection (RFC 5149): the odm.h address type asked for, e.g. fixed
p.add_argument("--service")
# a move's "lost N ms ago" (mh.h), which makes the anchor replay N ms
p.add_argument("--lost-ms", type=int)
# --flood N --flip A: N moves of the binding, in turn to A and to --coa
p.add_argument("--flip")
p.add_argument("--badauth", action="store_true")
p.add_argument("--save"); p.add_argument("--resend"); p.add_argument("--raw-type", type=int)
# attacker's options (test_anchor): packet source other than --coa, an NAI
# given in hex (any bytes), many BUs at once, the answer's bytes, no wait
p.add_argument("--src"); p.add_argument("--dev", default="h0")
p.add_argument("--nai-hex"); p.add_argument("--flood", type=int)
p.add_argument("--rate", type=float)  # --flood paced to this many a second
p.add_argument("--wait", type=float, default=0.5)
p.add_argument("--hex", action="store_true"); p.add_argument("--no-answer", action="store_true")
a = p.parse_args()
if a.nai_hex:
    a.nai = bytes.fromhex(a.nai_hex).decode("latin-1")
key = bytes.fromhex(open(a.keyfile).read().strip())
if a.resend:
    data = open(a.resend, "rb").read()
elif a.raw_type is not None:
    data = bytes([59, 1, a.raw_type, 0]) + bytes(12)
else:
    data = encode_bu(a, key)
if a.save:
    open(a.save, "wb").write(data)
if a.flood and a.flip:
    flip(a, a.flood); sys.exit(0)
if a.flood and a.resend:  # the same bytes again and again (a replayer)
    flood(a, [data] * a.flood); sys.exit(0)
if a.flood:
    datas = []
    for i in range(a.flood):
        a.seq = (a.seq + 1) & 0xffff; datas.append(encode_bu(a, key))
    flood(a, datas); sys.exit(0)
if a.no_answer:
    mhsock(a).sendto(data, (a.cha, 0)); print("sent"); sys.exit(0)
b = exchange(a, data)
if a.hex:
    print(b.hex()); sys.exit(0)
m = parse(b)
if m["type"] == 7:
    print("BE status=%d" % m["status"]); sys.exit(0)
print("BA status=%d seq=%d lifetime=%d hnp=%s bid=%s nai=%s bra=%s auth=%s p=%d" % (
    m["status"], m["seq"], m["lifetime"], m.get("hnp", "-"), m.get("bid", "-"),
    m.get("nai", "-"), m.get("bra", "-"), ba_auth_ok(b, m, key, a.coa),
    1 if m["flags"] & 0x20 else 0))
