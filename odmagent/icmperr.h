/* SPDX-License-Identifier: MIT */
/*
 * icmperr.h — what an ICMPv6 error tells the host role about an anchor:
 * a Destination Unreachable (RFC 4443 §3.1) or a Parameter Problem with
 * code 1, "unrecognized Next Header" (§3.4), about a packet of the data
 * path this host sent to the anchor: tunnelled (IPv6-in-IPv6, next header
 * 41) or UDP-encapsulated (17). An anchor host whose agent is not running
 * answers them that way (no handler for the protocol, RFC 8200 §4; no
 * socket on the port), a router that cannot reach it sends the
 * Unreachable. Errors about Mobility Header messages (135) are not taken:
 * a lost BU is sent again anyway, and where the kernel carries the tunnel
 * the data path works without the anchor's agent.
 *
 * Such an error proves nothing (anyone can send one); the host role only
 * asks the anchor at once whether it still holds the bindings instead of
 * trusting them until the next refresh. Strict and bounded: the invoking
 * packet must hold its whole IPv6 header and, after at most
 * ICMPERR_EXT_MAX extension headers that fit in what the error carries,
 * one of those two protocols. No I/O.
 */
#ifndef ODM_ICMPERR_H
#define ODM_ICMPERR_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define ICMPERR_EXT_MAX 4 /* extension headers walked in the invoking packet */

struct icmperr {
	uint8_t type, code;
	struct in6_addr src, dst; /* of the packet that caused the error */
	uint8_t proto;            /* 41 or 17 */
};

/*
 * msg: the ICMPv6 message (type first), as a raw ICMPv6 socket reads it.
 * 0 and out filled, or -EINVAL (not such an error: out is not to be used).
 */
int icmperr_parse(const uint8_t *msg, size_t len, struct icmperr *out);

#endif
