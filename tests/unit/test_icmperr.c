/* SPDX-License-Identifier: MIT */
/*
 * test_icmperr.c — ICMPv6 errors about packets to an anchor (icmperr.h):
 * the two protocols of the data path taken, a BU's Mobility Header only
 * in a Parameter Problem, everything else refused, every cut refused.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "icmperr.h"
#include "testaddr.h"
#include "tunnel_udp.h"

/* An ICMPv6 error of type/code whose invoking packet goes from COA to the
 * anchor with next header nh, then `ext` bytes of extension headers (the
 * caller fills them) and 8 bytes of payload: a UDP header to TUDP_PORT.
 * Returns the length. */
static size_t build(uint8_t *m, uint8_t type, uint8_t code, uint8_t nh, size_t ext)
{
	struct in6_addr src = A("2001:db8:a1::5"), dst = A("2001:db8:ca::10");
	size_t len = 8 + 40 + ext + 8;

	memset(m, 0, len);
	m[0] = type;
	m[1] = code;
	m[8] = 0x60;
	m[8 + 4] = (uint8_t)((ext + 8) >> 8);
	m[8 + 5] = (uint8_t)(ext + 8);
	m[8 + 6] = nh;
	m[8 + 7] = 64;
	memcpy(m + 8 + 8, &src, 16);
	memcpy(m + 8 + 24, &dst, 16);
	m[8 + 40 + ext + 2] = TUDP_PORT >> 8;
	m[8 + 40 + ext + 3] = TUDP_PORT & 0xff;
	return len;
}

Test(icmperr, parameter_problem_about_a_tunnelled_packet)
{
	uint8_t m[256];
	struct icmperr e;
	size_t n = build(m, 4, 1, 41, 0);

	cr_assert_eq(icmperr_parse(m, n, &e), 0);
	cr_assert_eq(e.type, 4);
	cr_assert_eq(e.code, 1);
	cr_assert_eq(e.proto, 41);
	assert_addr(&e.src, "2001:db8:a1::5");
	assert_addr(&e.dst, "2001:db8:ca::10");
}

Test(icmperr, unreachable_about_tunnelled_or_udp)
{
	uint8_t m[256];
	struct icmperr e;

	for (uint8_t code = 0; code <= 7; code++) {
		cr_assert_eq(icmperr_parse(m, build(m, 1, code, 41, 0), &e), 0, "code %u", code);
		cr_assert_eq(e.proto, 41);
	}
	cr_assert_eq(icmperr_parse(m, build(m, 1, 4, 17, 0), &e), 0);
	cr_assert_eq(e.proto, 17);
	cr_assert_eq(icmperr_parse(m, build(m, 1, 8, 41, 0), &e), -EINVAL, "unknown code");
}

/* A UDP datagram to another port than the encapsulation's (a DNS query or a
 * traceroute from the care-of address to the anchor's address) is no packet
 * of the data path: before, its port unreachable made the host confirm all
 * its bindings at that anchor. Nor is one whose quote ends before the port. */
Test(icmperr, udp_to_another_port_or_cut_before_it_is_refused)
{
	uint8_t m[256];
	struct icmperr e;
	size_t n = build(m, 1, 4, 17, 0);

	m[8 + 40 + 2] = 0;
	m[8 + 40 + 3] = 53;
	cr_assert_eq(icmperr_parse(m, n, &e), -EINVAL, "port 53");
	m[8 + 40 + 2] = TUDP_PORT >> 8;
	m[8 + 40 + 3] = TUDP_PORT & 0xff;
	cr_assert_eq(icmperr_parse(m, n, &e), 0);
	cr_assert_eq(icmperr_parse(m, 8 + 40 + 3, &e), -EINVAL, "cut inside the port");
	cr_assert_eq(icmperr_parse(m, 8 + 40 + 4, &e), 0, "the port and no more");
}

Test(icmperr, other_messages_and_protocols_are_refused)
{
	static const uint8_t types[][2] = { { 2, 0 }, { 3, 0 }, { 4, 0 }, { 4, 2 }, { 4, 3 },
					    { 128, 0 }, { 129, 0 }, { 134, 0 }, { 0, 0 } };
	static const uint8_t protos[] = { 6, 58, 59, 4, 44, 50, 51 };
	uint8_t m[256];
	struct icmperr e;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		cr_assert_eq(icmperr_parse(m, build(m, types[i][0], types[i][1], 41, 0), &e),
			     -EINVAL, "type %u code %u", types[i][0], types[i][1]);
	for (size_t i = 0; i < sizeof(protos); i++)
		cr_assert_eq(icmperr_parse(m, build(m, 4, 1, protos[i], 0), &e), -EINVAL,
			     "next header %u", protos[i]);
	build(m, 4, 1, 41, 0);
	m[8] = 0x40; /* IPv4 inside */
	cr_assert_eq(icmperr_parse(m, 56, &e), -EINVAL);
	cr_assert_eq(icmperr_parse(NULL, 56, &e), -EINVAL);
	cr_assert_eq(icmperr_parse(m, 56, NULL), -EINVAL);
}

/* a BU's next header: its anchor's host has no handler for it (the
 * agent is not running) says only a Parameter Problem; an Unreachable
 * about a BU tells nothing a lost BU's retransmission does not */
Test(icmperr, a_bu_counts_only_in_a_parameter_problem)
{
	uint8_t m[256];
	struct icmperr e;

	cr_assert_eq(icmperr_parse(m, build(m, 4, 1, ICMPERR_PROTO_MH, 0), &e), 0);
	cr_assert_eq(e.proto, ICMPERR_PROTO_MH);
	assert_addr(&e.dst, "2001:db8:ca::10");
	for (uint8_t code = 0; code <= 7; code++)
		cr_assert_eq(icmperr_parse(m, build(m, 1, code, ICMPERR_PROTO_MH, 0), &e), -EINVAL,
			     "Unreachable code %u", code);
	cr_assert_eq(icmperr_parse(m, build(m, 4, 0, ICMPERR_PROTO_MH, 0), &e), -EINVAL);
}

Test(icmperr, extension_headers_are_walked_within_bounds)
{
	uint8_t m[256];
	struct icmperr e;
	size_t n;

	/* Destination Options (8 bytes), then Routing (16 bytes), then UDP */
	n = build(m, 4, 1, 60, 24);
	m[48] = 43;
	m[49] = 0;
	m[56] = 17;
	m[57] = 1;
	cr_assert_eq(icmperr_parse(m, n, &e), 0);
	cr_assert_eq(e.proto, 17);
	/* a header said to be longer than what the error carries */
	m[57] = 3;
	cr_assert_eq(icmperr_parse(m, n, &e), -EINVAL);
	/* a fragment header ends the walk: not taken */
	n = build(m, 4, 1, 44, 8);
	m[48] = 41;
	cr_assert_eq(icmperr_parse(m, n, &e), -EINVAL);
	/* ICMPERR_EXT_MAX headers are walked, one more is refused */
	n = build(m, 4, 1, 0, 8 * (ICMPERR_EXT_MAX + 1));
	for (int i = 0; i <= ICMPERR_EXT_MAX; i++)
		m[48 + 8 * i] = 60;
	m[48 + 8 * (ICMPERR_EXT_MAX - 1)] = 41;
	cr_assert_eq(icmperr_parse(m, n, &e), 0, "%d headers", ICMPERR_EXT_MAX);
	m[48 + 8 * (ICMPERR_EXT_MAX - 1)] = 60;
	m[48 + 8 * ICMPERR_EXT_MAX] = 41;
	cr_assert_eq(icmperr_parse(m, n, &e), -EINVAL, "%d headers", ICMPERR_EXT_MAX + 1);
}

Test(icmperr, every_cut_is_refused_or_read_within_it)
{
	uint8_t m[256];
	struct icmperr e;
	size_t n = build(m, 4, 1, 60, 8);

	m[48] = 41;
	for (size_t len = 0; len < n; len++) {
		int want = len >= 56 ? 0 : -EINVAL; /* the whole header chain is there */

		cr_assert_eq(icmperr_parse(m, len, &e), want, "cut at %zu", len);
	}
	/* with no extension header, the IPv6 header alone is enough */
	n = build(m, 1, 3, 41, 0);
	cr_assert_eq(icmperr_parse(m, 47, &e), -EINVAL);
	cr_assert_eq(icmperr_parse(m, 48, &e), 0);
}
