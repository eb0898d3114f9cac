/* SPDX-License-Identifier: MIT */
/*
 * test_mhparam.c — the ICMPv6 Parameter Problem a malformed Mobility Header
 * draws (mhparam.h): which field, to whom, and the bytes of the answer.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "mh.h"
#include "mhparam.h"
#include "testaddr.h"

static const struct mhparam_rx RX = { .told = 1, .hoplimit = 61, .flowinfo = 0x0a12345 };

/* a BU of 16 octets: Payload Proto 59, Header Len 1, type 5 */
static void bu16(uint8_t *b)
{
	memset(b, 0, 16);
	b[0] = 59;
	b[1] = 1;
	b[2] = MH_TYPE_BU;
}

Test(mhparam, the_field_at_fault)
{
	uint8_t b[64];

	bu16(b);
	cr_assert_eq(mhparam_field(b, 16), -1, "a well-formed BU");
	b[0] = 6;
	cr_assert_eq(mhparam_field(b, 16), MHPARAM_AT_PROTO);
	b[0] = 59;
	b[1] = 0; /* 8 octets: a BU needs 12 */
	cr_assert_eq(mhparam_field(b, 8), MHPARAM_AT_HDRLEN);
	cr_assert_eq(mhparam_field(b, 16), MHPARAM_AT_HDRLEN, "leftover octets after it");
	b[2] = MH_TYPE_BA;
	cr_assert_eq(mhparam_field(b, 8), MHPARAM_AT_HDRLEN);
	b[2] = MH_TYPE_BRR; /* 8 is enough for a BRR */
	cr_assert_eq(mhparam_field(b, 8), -1);
	b[2] = MH_TYPE_BE;
	b[1] = 1; /* 16: a BE needs 24 */
	cr_assert_eq(mhparam_field(b, 16), MHPARAM_AT_HDRLEN);
	b[1] = 2;
	cr_assert_eq(mhparam_field(b, 24), -1);
	b[2] = 42; /* a type with no known least: a Binding Error's matter */
	b[1] = 0;
	cr_assert_eq(mhparam_field(b, 8), -1);
	/* Payload Proto first, whatever the type and length */
	b[0] = 0;
	cr_assert_eq(mhparam_field(b, 8), MHPARAM_AT_PROTO);
	/* a message shorter than its Header Len says: not all of it came */
	bu16(b);
	b[0] = 6;
	b[1] = 3;
	cr_assert_eq(mhparam_field(b, 16), -1);
	cr_assert_eq(mhparam_field(b, 7), -1);
	cr_assert_eq(mhparam_field(NULL, 16), -1);
}

Test(mhparam, whom_it_answers)
{
	struct in6_addr me = A("2001:db8:ca::1"), peer = A("2001:db8:1::100");
	struct in6_addr any = A("::"), grp = A("ff02::1"), lo = A("::1"),
			mapped = A("::ffff:192.0.2.1");

	cr_assert(mhparam_may_answer(&peer, &me));
	cr_assert_not(mhparam_may_answer(&any, &me));
	cr_assert_not(mhparam_may_answer(&grp, &me));
	cr_assert_not(mhparam_may_answer(&mapped, &me));
	cr_assert_not(mhparam_may_answer(&peer, &grp), "a message sent to a group");
	cr_assert_not(mhparam_may_answer(&peer, &any), "the address it came to is not known");
	cr_assert_not(mhparam_may_answer(&lo, &me), "loopback from outside");
	cr_assert(mhparam_may_answer(&lo, &lo));
}

Test(mhparam, the_answer_bytes)
{
	struct in6_addr me = A("2001:db8:ca::1"), peer = A("2001:db8:1::100");
	uint8_t b[16], out[MHPARAM_MAX_LEN];
	struct mhparam_rx rx = RX;
	int n;

	bu16(b);
	b[0] = 6;
	b[12] = 0xab;
	n = mhparam_build(b, 16, &peer, &me, &rx, out, sizeof out);
	cr_assert_eq(n, 8 + 40 + 16);
	cr_assert_eq(out[0], 4, "type Parameter Problem");
	cr_assert_eq(out[1], 0, "code 0");
	cr_assert_eq(out[2] | out[3], 0, "checksum left to the kernel");
	cr_assert_eq(out[4] | out[5] | out[6], 0);
	cr_assert_eq(out[7], 40, "pointer at Payload Proto");
	/* the invoking packet's IPv6 header as it came */
	cr_assert_eq(out[8], 0x60 | 0x0);
	cr_assert_eq(out[8] >> 4, 6);
	cr_assert_eq(((uint32_t)out[8] << 24 | (uint32_t)out[9] << 16 | (uint32_t)out[10] << 8 |
		      out[11]) & 0x0fffffffu, 0x0a12345u);
	cr_assert_eq(out[12] << 8 | out[13], 16, "payload length");
	cr_assert_eq(out[14], 135, "next header: Mobility Header");
	cr_assert_eq(out[15], 61, "hop limit");
	cr_assert_arr_eq(out + 16, &peer, 16);
	cr_assert_arr_eq(out + 32, &me, 16);
	cr_assert_arr_eq(out + 48, b, 16);

	b[0] = 59;
	b[1] = 0;
	n = mhparam_build(b, 8, &peer, &me, &rx, out, sizeof out);
	cr_assert_eq(n, 8 + 40 + 8);
	cr_assert_eq(out[7], 41, "pointer at Header Len");

	cr_assert_eq(mhparam_build(b, 8, &peer, &me, &rx, out, 8 + 40 + 7), -ENOSPC);
	cr_assert_eq(mhparam_build(b, 8, &me, &peer, &rx, out, sizeof out), 56);
	bu16(b);
	cr_assert_eq(mhparam_build(b, 16, &peer, &me, &rx, out, sizeof out), 0,
		     "a well-formed message");
}

Test(mhparam, none_without_the_header_or_behind_extension_headers)
{
	struct in6_addr me = A("2001:db8:ca::1"), peer = A("2001:db8:1::100"),
			grp = A("ff02::2");
	uint8_t b[16], out[MHPARAM_MAX_LEN];
	struct mhparam_rx rx = RX;

	bu16(b);
	b[0] = 6;
	rx.ext = 1;
	cr_assert_eq(mhparam_build(b, 16, &peer, &me, &rx, out, sizeof out), 0,
		     "the pointer would be wrong behind extension headers");
	rx = RX;
	rx.told = 0;
	cr_assert_eq(mhparam_build(b, 16, &peer, &me, &rx, out, sizeof out), 0,
		     "the hop limit is not known");
	cr_assert_eq(mhparam_build(b, 16, &peer, &me, NULL, out, sizeof out), 0);
	rx = RX;
	cr_assert_eq(mhparam_build(b, 16, &peer, &grp, &rx, out, sizeof out), 0);
}

Test(mhparam, the_quote_fits_in_1280)
{
	struct in6_addr me = A("2001:db8:ca::1"), peer = A("2001:db8:1::100");
	static uint8_t b[MH_MAX_LEN], out[MHPARAM_MAX_LEN + 100];
	struct mhparam_rx rx = RX;
	int n;

	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)i;
	b[0] = 17;
	b[1] = (uint8_t)(sizeof b / 8 - 1);
	b[2] = MH_TYPE_BU;
	n = mhparam_build(b, sizeof b, &peer, &me, &rx, out, sizeof out);
	cr_assert_eq(n, 1280 - 40, "the error with its IPv6 header is 1280 octets");
	cr_assert_eq(out[12] << 8 | out[13], (int)sizeof b, "payload length as it came");
	cr_assert_arr_eq(out + 48, b, (size_t)n - 48);
}
