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
