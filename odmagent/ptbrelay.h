/* SPDX-License-Identifier: MIT */
/*
 * ptbrelay.h — a Packet Too Big about the tunnel, passed on to the sender
 * inside, as a tunnel entry point does (RFC 2473 §7.1).
 *
 * The anchor tunnels a packet from a correspondent (inner source) to a
 * host's care-of address; a link on the way that cannot carry it sends the
 * anchor an ICMPv6 Packet Too Big (RFC 4443 §3.2) quoting the outer packet.
 * The correspondent, whose packet it really was, hears nothing and goes on
 * sending packets too large: a download stalls. So the anchor answers the
 * correspondent with a Packet Too Big of its own, for the inner packet,
 * with the MTU the link gave less the outer header.
 *
 * ptbrelay_parse takes the error (the ICMPv6 message as received) strictly:
 * type 2 code 0, an MTU, and a quoted outer IPv6 header with next header
 * 41 followed by at least a whole inner IPv6 header. The caller then checks
 * that the outer packet was its own (source its address, destination the
 * care-of address the inner destination is bound to): anyone can forge an
 * error. ptbrelay_build writes the Packet Too Big for the inner source. No
 * I/O.
 */
#ifndef ODM_PTBRELAY_H
#define ODM_PTBRELAY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define PTBRELAY_MIN_MTU 1280 /* RFC 8200 §5: no link carries less */
#define PTBRELAY_MAX_LEN 1232 /* an ICMPv6 error fits in 1280 (RFC 4443 §2.4(c)) */

struct ptb_about {
	uint32_t mtu;                     /* what the link said */
	struct in6_addr outer_src, outer_dst;
	struct in6_addr inner_src, inner_dst;
	const uint8_t *inner;             /* the quoted inner packet, within the input */
	size_t inner_len;
};

/* 0 and *out, or -EINVAL for anything else than described above */
int ptbrelay_parse(const uint8_t *icmp, size_t len, struct ptb_about *out);

/*
 * 1 if the inner packet's source may be told at all: a unicast address of
 * the Internet (2000::/3) or a unique local one (fc00::/7), and the inner
 * packet no ICMPv6 error message itself (RFC 4443 §2.4(e): no error about
 * an error). Pure.
 */
int ptbrelay_may_tell(const struct ptb_about *a);

/*
 * The inner MTU to tell: a->mtu less the outer header, never below
 * PTBRELAY_MIN_MTU (a link that says less lies, RFC 8201 §4), 0 if that
 * is no reduction at all for a packet of the size quoted (nothing to tell).
 */
uint32_t ptbrelay_inner_mtu(const struct ptb_about *a);

/*
 * Write into buf the ICMPv6 Packet Too Big for the inner source: type 2,
 * code 0, mtu, then as much of the inner packet as fits in
 * PTBRELAY_MAX_LEN; the checksum is left 0 for the kernel (a raw ICMPv6
 * socket fills it). Returns the length, or -ENOSPC.
 */
int ptbrelay_build(const struct ptb_about *a, uint32_t mtu, uint8_t *buf, size_t cap);

#endif
