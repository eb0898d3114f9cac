/* SPDX-License-Identifier: MIT */
/*
 * test_anchor_routewatch.c — which per-address routes of an access anchor
 * are missing from the kernel's (the comparison behind the once-a-second
 * look; the look itself is exercised by tests/net/test_access.sh, which
 * deletes such a route on a live anchor).
 */
#include <criterion/criterion.h>

#include "anchor_routewatch.h"
#include "testaddr.h"

Test(anchor_routewatch, names_the_routes_the_kernel_does_not_have)
{
	struct in6_addr want[4] = { A("2001:db8:a1::5"), A("2001:db8:a1::1"),
				    A("2001:db8:a1::9"), A("2001:db8:a1::3") };
	/* unsorted, with one of someone else's */
	struct in6_addr have[3] = { A("2001:db8:a1::9"), A("2001:db8:ff::1"),
				    A("2001:db8:a1::5") };
	size_t miss[4];

	cr_assert_eq(anchor_routewatch_missing(want, 4, have, 3, miss), 2);
	cr_assert_eq(miss[0], 1, "2001:db8:a1::1");
	cr_assert_eq(miss[1], 3, "2001:db8:a1::3");
}

Test(anchor_routewatch, all_there_or_none_there)
{
	struct in6_addr want[2] = { A("2001:db8:a1::1"), A("2001:db8:a1::2") };
	struct in6_addr have[2] = { A("2001:db8:a1::2"), A("2001:db8:a1::1") };
	size_t miss[2];

	cr_assert_eq(anchor_routewatch_missing(want, 2, have, 2, miss), 0);
	cr_assert_eq(anchor_routewatch_missing(want, 2, NULL, 0, miss), 2);
	cr_assert_eq(miss[0], 0);
	cr_assert_eq(miss[1], 1);
	cr_assert_eq(anchor_routewatch_missing(NULL, 0, have, 2, miss), 0);
}
