/* SPDX-License-Identifier: MIT */
/* tunnel_guard.c — loop and content checks for the tunnel backends (see
 * tunnel_guard.h). */
#include "tunnel_guard.h"

#include <string.h>

#define IP6_HDR_LEN 40
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_DSTOPTS 60
#define NH_IPV6 41
#define NH_ICMPV6 58
#define EXT_MAX 8 /* extension headers walked per IPv6 header */
#define ND_FIRST 133 /* Router Solicitation ... */
#define ND_LAST 137  /* ... Redirect (RFC 4861 §4) */

int tunnel_prefix_contains(const struct in6_addr *prefix, uint8_t plen,
			   const struct in6_addr *addr)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (plen > 128)
		return 0;
	for (unsigned i = 0; i < full; i++)
		if (prefix->s6_addr[i] != addr->s6_addr[i])
			return 0;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		if ((prefix->s6_addr[full] & m) != (addr->s6_addr[full] & m))
			return 0;
	}
	return 1;
}

/*
 * The IPv6 header at *off and its Hop-by-Hop, Routing and Destination
 * Options headers: *off moved past them, the next header's type into *nh.
 * 0, or -1 if pkt is not IPv6 there, is cut short, or has more than
 * EXT_MAX of them.
 */
static int past_headers(const uint8_t *pkt, size_t len, size_t *off, uint8_t *nh)
{
	int ext = 0;

	if (len - *off < IP6_HDR_LEN || (pkt[*off] >> 4) != 6)
		return -1;
	*nh = pkt[*off + 6];
	*off += IP6_HDR_LEN;
	while (*nh == NH_HOPOPTS || *nh == NH_ROUTING || *nh == NH_DSTOPTS) {
		size_t hl;

		if (ext++ == EXT_MAX || len - *off < 8)
			return -1;
		hl = ((size_t)pkt[*off + 1] + 1) * 8;
		if (len - *off < hl)
			return -1;
		*nh = pkt[*off];
		*off += hl;
	}
	return 0;
}

unsigned tunnel_nesting(const uint8_t *pkt, size_t len, unsigned limit)
{
	size_t off = 0;
	unsigned depth = 0;

	while (depth <= limit) {
		uint8_t nh;

		if (past_headers(pkt, len, &off, &nh) < 0 || nh != NH_IPV6)
			return depth;
		depth++;
	}
	return depth;
}

int tunnel_inner_nd(const uint8_t *pkt, size_t len)
{
	size_t off = 0;
	uint8_t nh;

	if (past_headers(pkt, len, &off, &nh) < 0)
		return 1; /* what the stack would read of it is not known */
	return nh == NH_ICMPV6 && len - off >= 1 && pkt[off] >= ND_FIRST && pkt[off] <= ND_LAST;
}

/* 1 if the 16 bytes at a are an address tunnel_inner_scoped refuses */
static int scoped(const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	size_t i = 0;

	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return 1; /* multicast, link-local fe80::/10 */
	if (memcmp(a, mapped, sizeof mapped) == 0)
		return 1;
	while (i < 15 && a[i] == 0)
		i++;
	return i == 15 && a[15] <= 1; /* ::, ::1 */
}

int tunnel_inner_scoped(const uint8_t *pkt, size_t len)
{
	if (len < IP6_HDR_LEN)
		return 1;
	return scoped(pkt + 8) || scoped(pkt + 24);
}

int tunnel_too_deep(const uint8_t *pkt, size_t len)
{
	return tunnel_nesting(pkt, len, TUNNEL_NEST_MAX - 1) >= TUNNEL_NEST_MAX;
}
