/* SPDX-License-Identifier: MIT */
/*
 * test_tunnel_guard.c — the loop checks of tunnel_guard.h on hand-built
 * packets: prefix membership at every length, and the nesting count through
 * extension headers, cut-short headers and the limit.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testaddr.h"
#include "tunnel_guard.h"

Test(tunnel_guard, prefix_contains)
{
	struct in6_addr p = A("2001:db8:c4a::"), in = A("2001:db8:c4a::5"),
			out = A("2001:db8:c4b::5"), odd = A("2001:db8:c4a:0:8000::1");

	cr_assert(tunnel_prefix_contains(&p, 64, &in));
	cr_assert_not(tunnel_prefix_contains(&p, 64, &out));
	cr_assert(tunnel_prefix_contains(&p, 47, &out), "c4a and c4b share 47 bits");
	cr_assert_not(tunnel_prefix_contains(&p, 48, &out));
	cr_assert_not(tunnel_prefix_contains(&p, 65, &odd), "bit 64 differs");
	cr_assert(tunnel_prefix_contains(&p, 64, &odd));
	cr_assert(tunnel_prefix_contains(&p, 0, &out), "/0 holds everything");
	cr_assert(tunnel_prefix_contains(&in, 128, &in));
	cr_assert_not(tunnel_prefix_contains(&p, 128, &in));
	cr_assert_not(tunnel_prefix_contains(&p, 129, &in), "no such length");
}

/* depth IPv6 headers each carrying the next (NH 41), the last one ICMPv6;
 * ext: a Destination Options header before each NH 41 */
static size_t build(uint8_t *buf, unsigned depth, int ext)
{
	size_t off = 0;

	for (unsigned i = 0; i <= depth; i++) {
		memset(buf + off, 0, 40);
		buf[off] = 0x60;
		buf[off + 6] = i == depth ? 58 : (ext ? 60 : 41);
		off += 40;
		if (i < depth && ext) {
			memset(buf + off, 0, 8);
			buf[off] = 41; /* next header; length 0 = 8 octets */
			off += 8;
		}
	}
	memset(buf + off, 0, 8);
	return off + 8;
}

Test(tunnel_guard, nesting_counts_levels)
{
	uint8_t buf[600];

	for (unsigned d = 0; d <= 6; d++) {
		size_t n = build(buf, d, 0);

		cr_assert_eq(tunnel_nesting(buf, n, 10), d, "depth %u", d);
		n = build(buf, d, 1);
		cr_assert_eq(tunnel_nesting(buf, n, 10), d, "depth %u through DSTOPTS", d);
	}
	cr_assert_eq(tunnel_nesting(buf, build(buf, 6, 0), 2), 3, "stops at limit + 1");
}

Test(tunnel_guard, too_deep_at_the_limit)
{
	uint8_t buf[600];

	cr_assert_not(tunnel_too_deep(buf, build(buf, 0, 0)), "a plain packet");
	cr_assert_not(tunnel_too_deep(buf, build(buf, TUNNEL_NEST_MAX - 1, 0)));
	cr_assert(tunnel_too_deep(buf, build(buf, TUNNEL_NEST_MAX, 0)));
	cr_assert(tunnel_too_deep(buf, build(buf, TUNNEL_NEST_MAX, 1)));
}

Test(tunnel_guard, short_and_foreign_headers)
{
	uint8_t buf[600];
	size_t n = build(buf, 2, 1);

	cr_assert_eq(tunnel_nesting(buf, 39, 10), 0, "shorter than a header");
	cr_assert_eq(tunnel_nesting(buf, 40 + 4, 10), 0, "extension header cut short");
	cr_assert_eq(tunnel_nesting(buf, 48 + 20, 10), 1, "inner header cut short");
	buf[48] = 0x40; /* the second header is IPv4-looking */
	cr_assert_eq(tunnel_nesting(buf, n, 10), 1);
	/* an extension header claiming more than the packet holds */
	n = build(buf, 1, 1);
	buf[41] = 200;
	cr_assert_eq(tunnel_nesting(buf, n, 10), 0);
}

/* An IPv6 packet of next header nh, after n Destination Options headers of
 * 8 bytes, with an ICMPv6 type (or a first payload byte) of type */
static size_t inner(uint8_t *buf, int n, uint8_t nh, uint8_t type)
{
	size_t off = 40;

	memset(buf, 0, 40 + 8 * (size_t)n + 8);
	buf[0] = 0x60;
	buf[6] = n ? 60 : nh;
	buf[7] = 255;
	for (int i = 0; i < n; i++, off += 8)
		buf[off] = i + 1 < n ? 60 : nh;
	buf[off] = type;
	return off + 8;
}

/* No Neighbor Discovery message comes out of the tunnel: RS, RA, NS, NA and
 * Redirect (133-137), also behind extension headers; what cannot be read
 * through is refused too; other ICMPv6 and other protocols pass */
Test(tunnel_guard, neighbor_discovery_is_refused_in_the_tunnel)
{
	uint8_t b[40 + 8 * 12 + 8];
	size_t n;

	for (uint8_t t = 133; t <= 137; t++)
		cr_assert_eq(tunnel_inner_nd(b, inner(b, 0, 58, t)), 1, "type %u", t);
	cr_assert_eq(tunnel_inner_nd(b, inner(b, 0, 58, 132)), 0);
	cr_assert_eq(tunnel_inner_nd(b, inner(b, 0, 58, 138)), 0);
	cr_assert_eq(tunnel_inner_nd(b, inner(b, 0, 58, 128)), 0, "an echo request");
	cr_assert_eq(tunnel_inner_nd(b, inner(b, 0, 6, 134)), 0, "TCP whose first byte is 134");
	cr_assert_eq(tunnel_inner_nd(b, inner(b, 2, 58, 134)), 1, "an RA behind two headers");
	cr_assert_eq(tunnel_inner_nd(b, inner(b, 2, 58, 129)), 0);
	cr_assert_eq(tunnel_inner_nd(b, inner(b, 9, 17, 0)), 1, "more headers than walked");
	n = inner(b, 1, 58, 134);
	cr_assert_eq(tunnel_inner_nd(b, 44), 1, "cut short in its extension header");
	cr_assert_eq(tunnel_inner_nd(b, n - 8), 0, "no ICMPv6 byte after the header");
	cr_assert_eq(tunnel_inner_nd(b, 20), 1, "shorter than an IPv6 header");
	b[0] = 0x45;
	cr_assert_eq(tunnel_inner_nd(b, n), 1, "not IPv6");
}

/* Nothing comes out of the tunnel from or to an address no router passes
 * on; global unicast, unique local and NAT64 (64:ff9b::/96) ones pass */
Test(tunnel_guard, addresses_no_router_passes_on_are_refused_in_the_tunnel)
{
	static const char *bad[] = { "::", "::1", "::ffff:192.0.2.1", "fe80::1", "febf::1",
				     "ff02::1", "ff0e::1", "ff02::1:ff00:1" };
	static const char *good[] = { "2001:db8::1", "fd00::1", "64:ff9b::c000:201", "::2",
				      "fec0::1", "::ffff:0:c000:201" };
	uint8_t b[40 + 8];
	struct in6_addr g;

	inet_pton(AF_INET6, "2001:db8:c4a::1", &g);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		for (int at = 8; at <= 24; at += 16) {
			inner(b, 0, 17, 0);
			memcpy(b + 8, &g, 16);
			memcpy(b + 24, &g, 16);
			cr_assert_eq(inet_pton(AF_INET6, bad[i], b + at), 1);
			cr_assert_eq(tunnel_inner_scoped(b, sizeof b), 1, "%s at %d", bad[i], at);
		}
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		inner(b, 0, 17, 0);
		memcpy(b + 8, &g, 16);
		cr_assert_eq(inet_pton(AF_INET6, good[i], b + 24), 1);
		cr_assert_eq(tunnel_inner_scoped(b, sizeof b), 0, "%s", good[i]);
	}
	cr_assert_eq(tunnel_inner_scoped(b, 39), 1, "shorter than an IPv6 header");
}
