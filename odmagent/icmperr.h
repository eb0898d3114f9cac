/* SPDX-License-Identifier: MIT */
/*
 * icmperr.h — what an ICMPv6 error tells the host role about an anchor:
 * a Destination Unreachable (RFC 4443 §3.1) or a Parameter Problem with
 * code 1, "unrecognized Next Header" (§3.4), about a packet of the data
 * path this host sent to the anchor: tunnelled (IPv6-in-IPv6, next header
 * 41) or UDP-encapsulated (17, to port TUDP_PORT). An anchor host whose
 * agent is not running answers them that way (no handler for the protocol,
 * RFC 8200 §4; no socket on the port), a router that cannot reach it sends
 * the Unreachable. Of the errors about Mobility Header messages (135), only
 * the Parameter Problem is taken: the anchor's host itself says nothing
 * there handles them (its agent is not running), and the host role sends
 * its outstanding BUs at a steady pace rather than backing off
 * (reg_anchor_agent_away). A lost BU is sent again anyway, so an
 * Unreachable about one tells nothing new.
 *
 * Such an error proves nothing (anyone can send one); the host role only
 * asks the anchor at once whether it still holds the bindings instead of
 * trusting them until the next refresh. Strict and bounded: the invoking
 * packet must hold its whole IPv6 header and, after at most
 * ICMPERR_EXT_MAX extension headers that fit in what the error carries,
 * one of those two protocols (or, for a Parameter Problem, the Mobility
 * Header); a UDP datagram's destination port must be there. No I/O.
 */
#ifndef ODM_ICMPERR_H
#define ODM_ICMPERR_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define ICMPERR_EXT_MAX 4 /* extension headers walked in the invoking packet */
#define ICMPERR_PROTO_MH 135 /* Mobility Header (RFC 6275 §6.1) */

struct icmperr {
	uint8_t type, code;
	struct in6_addr src, dst; /* of the packet that caused the error */
	uint8_t proto;            /* 41, 17, or ICMPERR_PROTO_MH (Parameter Problem only) */
};

/*
 * msg: the ICMPv6 message (type first), as a raw ICMPv6 socket reads it.
 * 0 and out filled, or -EINVAL (not such an error: out is not to be used).
 */
int icmperr_parse(const uint8_t *msg, size_t len, struct icmperr *out);

#endif
