/* SPDX-License-Identifier: MIT */
/*
 * mhparam.h — the ICMPv6 Parameter Problem that a malformed Mobility Header
 * message draws (RFC 6275 §9.2 and §6.1.1; RFC 4443 §3.4). No I/O.
 *
 * Both agents read Mobility Headers on a raw IPPROTO_MH socket, so the
 * kernel answers none of them: a Payload Proto other than 59 (IPPROTO_NONE),
 * or a Header Len below the least its message type allows, would be dropped
 * without a word. mhparam_build writes the answer the RFC asks for: type 4,
 * code 0 (erroneous header field), the pointer to the field, counted from
 * the start of the invoking packet's IPv6 header, then that packet, as much
 * of it as keeps the error within the minimum MTU (1280 bytes).
 *
 * A raw IPv6 socket hands over the Mobility Header alone: the invoking
 * packet's IPv6 header is rebuilt from what the socket tells besides
 * (mhparam_rx: the addresses, the hop limit and the flow information word).
 * Its extension headers cannot be rebuilt, nor the field's offset known
 * behind them, so a message that came after any (the socket said so, or
 * could not say: its control data was cut) draws nothing, as before: a
 * pointer into the wrong octet would mislead the sender more than silence.
 * A message that came in fragments reaches the socket reassembled, with no
 * sign of it: it is quoted as one packet and pointed into as such.
 */
#ifndef ODM_MHPARAM_H
#define ODM_MHPARAM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define MHPARAM_AT_PROTO 0  /* Payload Proto: the message's first octet */
#define MHPARAM_AT_HDRLEN 1 /* Header Len: its second */
#define MHPARAM_IP6_HDR 40
#define MHPARAM_ICMP_HDR 8
/* the ICMPv6 message at most: with its own IPv6 header, 1280 octets */
#define MHPARAM_MAX_LEN (1280 - MHPARAM_IP6_HDR)

/* what the socket told of the invoking packet's IPv6 header */
struct mhparam_rx {
	int told;          /* 1: hoplimit and flowinfo are the packet's */
	uint8_t hoplimit;
	uint32_t flowinfo; /* traffic class and flow label (host order, the
			    * header's first word without the version) */
	int ext;           /* extension headers came before the message, or
			    * the socket could not say */
};

/*
 * The field of the message mh (len octets, as received) that is wrong:
 * MHPARAM_AT_PROTO when Payload Proto is not 59, else MHPARAM_AT_HDRLEN
 * when Header Len is less than the least the type (one ODM knows) allows;
 * -1 for anything else, and for a message shorter than its Header Len
 * says (not all of it came: dropped without an answer). Pure.
 */
int mhparam_field(const uint8_t *mh, size_t len);

/*
 * 1 if src may be answered at all: a single node's address (not
 * unspecified, multicast, or v4-mapped; loopback only from loopback), and
 * the message was sent to dst, one address of this node (not a group, not
 * unspecified): RFC 4443 §2.4(e). Pure.
 */
int mhparam_may_answer(const struct in6_addr *src, const struct in6_addr *dst);

/*
 * Writes into out the Parameter Problem that mh (from src to dst, rx) draws,
 * checksum 0 (a raw ICMPv6 socket fills it): its length; 0 when it draws
 * none (mhparam_field -1, mhparam_may_answer 0, rx not told, or extension
 * headers); -ENOSPC when cap is too small for it.
 */
int mhparam_build(const uint8_t *mh, size_t len, const struct in6_addr *src,
		  const struct in6_addr *dst, const struct mhparam_rx *rx, uint8_t *out,
		  size_t cap);

#endif
