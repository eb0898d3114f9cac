/* SPDX-License-Identifier: MIT */
/* test_ptbrelay.c — a Packet Too Big passed on inside (odmagent/ptbrelay.h). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "ptbrelay.h"

static void put_addr(uint8_t *p, const char *s)
{
	cr_assert_eq(inet_pton(AF_INET6, s, p), 1);
}

/* A PTB (MTU mtu) quoting an outer header (src, dst, next header nh) and an
 * inner one of a packet of inner_size bytes, quoted whole up to 1232. */
static size_t ptb(uint8_t *m, uint32_t mtu, uint8_t nh, unsigned inner_size)
{
	size_t quote = 40 + inner_size > 1232 - 8 ? 1232 - 8 : 40 + inner_size;

	memset(m, 0, 8 + quote);
	m[0] = 2;
	m[4] = (uint8_t)(mtu >> 24), m[5] = (uint8_t)(mtu >> 16);
	m[6] = (uint8_t)(mtu >> 8), m[7] = (uint8_t)mtu;
	m[8] = 0x60, m[8 + 6] = nh, m[8 + 7] = 64;
	m[8 + 4] = (uint8_t)(inner_size >> 8), m[8 + 5] = (uint8_t)inner_size;
	put_addr(m + 8 + 8, "2001:db8:ca::10");
	put_addr(m + 8 + 24, "2001:db8:a2::5");
	m[48] = 0x60, m[48 + 6] = 6, m[48 + 7] = 63;
	m[48 + 4] = (uint8_t)((inner_size - 40) >> 8), m[48 + 5] = (uint8_t)(inner_size - 40);
	put_addr(m + 48 + 8, "2001:db8:c0::10");
	put_addr(m + 48 + 24, "2001:db8:c4a::1");
	return 8 + quote;
}

Test(ptbrelay, parses_the_tunnel_packet_and_tells_the_inner_source)
{
	uint8_t m[1280], out[1280];
	struct ptb_about a;
	size_t n = ptb(m, 1350, 41, 1400);
	struct in6_addr want;
	int len;

	cr_assert_eq(ptbrelay_parse(m, n, &a), 0);
	cr_assert_eq(a.mtu, 1350);
	inet_pton(AF_INET6, "2001:db8:ca::10", &want);
	cr_assert_eq(memcmp(&a.outer_src, &want, 16), 0);
	inet_pton(AF_INET6, "2001:db8:c0::10", &want);
	cr_assert_eq(memcmp(&a.inner_src, &want, 16), 0);
	inet_pton(AF_INET6, "2001:db8:c4a::1", &want);
	cr_assert_eq(memcmp(&a.inner_dst, &want, 16), 0);
	cr_assert_eq(ptbrelay_inner_mtu(&a), 1310, "the link's, less the outer header");
	len = ptbrelay_build(&a, 1310, out, sizeof(out));
	cr_assert_eq(len, (int)(n - 40), "the inner packet quoted as the outer one was");
	cr_assert_eq(out[0], 2);
	cr_assert_eq(out[1], 0);
	cr_assert_eq(out[4] << 24 | out[5] << 16 | out[6] << 8 | out[7], 1310);
	cr_assert_eq(memcmp(out + 8, m + 48, (size_t)len - 8), 0);
	cr_assert_eq(ptbrelay_build(&a, 1310, out, 100), -ENOSPC);
}

Test(ptbrelay, refuses_what_is_not_about_a_tunnelled_packet)
{
	uint8_t m[1280];
	struct ptb_about a;
	size_t n = ptb(m, 1350, 41, 1400);

	cr_assert_eq(ptbrelay_parse(m, 87, &a), -EINVAL, "no whole inner header");
	m[0] = 1;
	cr_assert_eq(ptbrelay_parse(m, n, &a), -EINVAL, "not a Packet Too Big");
	m[0] = 2, m[1] = 1;
	cr_assert_eq(ptbrelay_parse(m, n, &a), -EINVAL, "code 1");
	n = ptb(m, 1350, 17, 1400);
	cr_assert_eq(ptbrelay_parse(m, n, &a), -EINVAL, "UDP, not IPv6-in-IPv6");
	n = ptb(m, 1350, 41, 1400);
	m[48] = 0x40;
	cr_assert_eq(ptbrelay_parse(m, n, &a), -EINVAL, "the inner packet is no IPv6");
	cr_assert_eq(ptbrelay_parse(NULL, n, &a), -EINVAL);
}

Test(ptbrelay, no_error_about_an_error_nor_to_an_odd_source)
{
	uint8_t m[1280];
	struct ptb_about a;

	cr_assert_eq(ptbrelay_parse(m, ptb(m, 1350, 41, 1400), &a), 0);
	cr_assert(ptbrelay_may_tell(&a));
	m[48 + 6] = 58, m[88] = 1; /* an ICMPv6 Destination Unreachable */
	cr_assert_eq(ptbrelay_parse(m, ptb(m, 1350, 41, 1400), &a), 0);
	m[48 + 6] = 58, m[88] = 1;
	cr_assert_not(ptbrelay_may_tell(&a), "no error about an error");
	m[88] = 128; /* an Echo Request is told */
	cr_assert(ptbrelay_may_tell(&a));
	ptb(m, 1350, 41, 1400);
	put_addr(m + 48 + 8, "ff02::1");
	cr_assert_eq(ptbrelay_parse(m, 1280 - 48, &a), 0);
	cr_assert_not(ptbrelay_may_tell(&a), "multicast");
	put_addr(m + 48 + 8, "::1");
	cr_assert_eq(ptbrelay_parse(m, 1280 - 48, &a), 0);
	cr_assert_not(ptbrelay_may_tell(&a), "loopback");
	put_addr(m + 48 + 8, "fd00::5");
	cr_assert_eq(ptbrelay_parse(m, 1280 - 48, &a), 0);
	cr_assert(ptbrelay_may_tell(&a), "unique local");
}

Test(ptbrelay, inner_mtu_is_bounded_and_only_a_reduction)
{
	uint8_t m[1280];
	struct ptb_about a;

	cr_assert_eq(ptbrelay_parse(m, ptb(m, 1000, 41, 1400), &a), 0);
	cr_assert_eq(ptbrelay_inner_mtu(&a), PTBRELAY_MIN_MTU, "a link that says less lies");
	cr_assert_eq(ptbrelay_parse(m, ptb(m, 1500, 41, 1300), &a), 0);
	cr_assert_eq(ptbrelay_inner_mtu(&a), 0, "the inner packet fits: nothing to tell");
}
