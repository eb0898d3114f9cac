/* SPDX-License-Identifier: MIT */
/*
 * test_tunnel_ecn.c — tunnel_ecn.h against the decapsulation table of RFC
 * 6040 section 4.2, every pair of outer and inner ECN field, and the field
 * read and written in an IPv6 header without touching its neighbours (the
 * DSCP and the flow label share those bytes).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tunnel_ecn.h"

#define N TUNNEL_ECN_NOT_ECT
#define E0 TUNNEL_ECN_ECT0
#define E1 TUNNEL_ECN_ECT1
#define CE TUNNEL_ECN_CE
#define D TUNNEL_ECN_DROP

Test(tunnel_ecn, rfc6040_decapsulation_table)
{
	/* RFC 6040 Figure 4: rows the inner field, columns the outer one */
	static const struct {
		unsigned inner;
		int out[4]; /* by outer: Not-ECT, ECT(1), ECT(0), CE (field values 0-3) */
	} rows[] = {
		{ N, { N, N, N, D } },
		{ E0, { E0, E1, E0, CE } },
		{ E1, { E1, E1, E1, CE } },
		{ CE, { CE, CE, CE, CE } },
	};

	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
		for (unsigned outer = 0; outer < 4; outer++)
			cr_expect_eq(tunnel_ecn_decap(outer, rows[r].inner), rows[r].out[outer],
				     "inner %u outer %u: %d, want %d", rows[r].inner, outer,
				     tunnel_ecn_decap(outer, rows[r].inner), rows[r].out[outer]);
}

Test(tunnel_ecn, field_in_the_header)
{
	/* version 6, DSCP 46 (EF), ECT(0), flow label 0xabcde */
	unsigned char h[40] = { 0x6b, 0xaa, 0xbc, 0xde };

	cr_assert_eq(tunnel_ecn_of(h), E0);
	tunnel_ecn_set(h, CE);
	cr_assert_eq(tunnel_ecn_of(h), CE);
	cr_assert_eq(h[0], 0x6b, "version and DSCP high bits kept");
	cr_assert_eq(h[1], 0xba, "DSCP low bits and flow label high bits kept: %02x", h[1]);
	cr_assert_eq(h[2], 0xbc);
	tunnel_ecn_set(h, N);
	cr_assert_eq(tunnel_ecn_of(h), N);
	cr_assert_eq(h[1], 0x8a, "%02x", h[1]);
}
