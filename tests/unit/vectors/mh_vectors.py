#!/usr/bin/env python3
"""Independent Mobility Header byte vectors for tests/unit/test_mh_vectors.c.

Builds a BU and a BA carrying every option the codec supports, using only the
Python standard library (struct, hmac, hashlib, ipaddress), from the wire
layouts of RFC 6275 §6, RFC 4283, RFC 4285 and RFC 5648 -- never from the C codec. Prints one line per message:

    <name> <hex bytes>

The inputs below are mirrored in test_mh_vectors.c; change both together.
"""
import hashlib
import hmac
import ipaddress
import struct
import sys

KEY = bytes(range(16))          # MN-HA key 00 01 .. 0f
SPI = 0x00000100
COA = "2001:db8:1::100"         # care-of address (BU source)
HOA = "2001:db8:2::5"           # home address (the MN-HA input)
HA = "2001:db8:2::1"            # anchor (BU destination)
NAI = b"mn1@example.org"

# option type: (alignment modulus, remainder), the "xn+y" of each option's RFC
ALIGN = {2: (2, 0), 3: (8, 6), 22: (8, 4), 35: (2, 0), 8: (1, 0),
         27: (8, 2), 10: (8, 2), 9: (4, 1)}


def a6(text):
    return ipaddress.IPv6Address(text).packed


def padding(length):
    """Pad1 for one byte, else a PadN whose body is length-2 zero bytes."""
    if length == 0:
        return b""
    if length == 1:
        return b"\x00"
    return bytes([1, length - 2]) + bytes(length - 2)


def append_option(msg, otype, body):
    mod, rem = ALIGN[otype]
    need = (rem - len(msg)) % mod
    msg += padding(need)
    start = len(msg)
    msg += bytes([otype, len(body)]) + body
    return msg, start


def inet_checksum(data):
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def finish(msg, auth_start, src, dst):
    """Pad to 8, set Header Len, then the authenticator, then the checksum."""
    msg += padding((-len(msg)) % 8)
    msg[1] = len(msg) // 8 - 1
    spi_end = auth_start + 7
    mac = hmac.new(KEY, a6(COA) + a6(HOA) + bytes(msg[:spi_end]),
                   hashlib.sha1).digest()[:12]
    msg[spi_end:spi_end + 12] = mac
    pseudo = a6(src) + a6(dst) + struct.pack("!I3xB", len(msg), 135)
    struct.pack_into("!H", msg, 4, inet_checksum(pseudo + bytes(msg)))
    return bytes(msg)


def options(msg, hnp_len, hnp):
    """Every option, in the codec's emission order."""
    msg, _ = append_option(msg, 2, struct.pack("!H", 75))             # BRA
    msg, _ = append_option(msg, 3, a6(COA))                            # ALTCOA
    msg, _ = append_option(msg, 22, struct.pack("!BB", 0, hnp_len) + a6(hnp))
    msg, _ = append_option(msg, 35, struct.pack("!HBB", 1, 0, 0x80))  # BID
    msg, _ = append_option(msg, 8, b"\x01" + NAI)                      # MN-ID
    # PMIPv6 timestamp: 48-bit seconds since 1970, 16-bit fraction
    msg, _ = append_option(msg, 27, struct.pack("!Q", (1700000000 << 16) | 0x8000))
    # NTP 32.32: 1700000000 Unix seconds + 0.25 s
    ntp = ((1700000000 + 2208988800) << 32) | 0x40000000
    msg, _ = append_option(msg, 10, struct.pack("!Q", ntp))
    msg, auth = append_option(msg, 9, struct.pack("!BI", 1, SPI) + bytes(12))
    return msg, auth


def bu():
    # Payload Proto 59, Header Len (later), type 5, reserved, checksum 0,
    # sequence, flags A|H, lifetime 150 units (600 s)
    msg = bytearray(struct.pack("!BBBBHHHH", 59, 0, 5, 0, 0, 0x1234, 0xC000, 150))
    msg, auth = options(msg, 128, "::")
    return finish(msg, auth, COA, HA)


def ba():
    # status 0, flags 0, sequence copied, lifetime 150 units
    msg = bytearray(struct.pack("!BBBBHBBHH", 59, 0, 6, 0, 0, 0, 0, 0x1234, 150))
    msg, auth = options(msg, 64, "2001:db8:100::")
    return finish(msg, auth, HA, COA)


def main():
    for name, data in (("bu", bu()), ("ba", ba())):
        sys.stdout.write("%s %s\n" % (name, data.hex()))


if __name__ == "__main__":
    main()
