/* SPDX-License-Identifier: MIT */
/* test_reexec.c — odmagent/reexec.h: how many starts in place, and when to stop. */
#include <criterion/criterion.h>

#include "reexec.h"

Test(reexec, at_most_max_starts_within_the_window)
{
	struct reexec_count c = { 0 };
	uint64_t t = 1000000;

	for (int i = 0; i < REEXEC_MAX; i++)
		cr_assert_eq(reexec_count_take(&c, t + (uint64_t)i * 1000), 1, "start %d", i + 1);
	cr_assert_eq(reexec_count_take(&c, t + 10000), 0, "one more within the window");
	cr_assert_eq(c.n, REEXEC_MAX);
	/* the window over: counted afresh */
	cr_assert_eq(reexec_count_take(&c, t + REEXEC_WINDOW_MS), 1);
	cr_assert_eq(c.n, 1);
	cr_assert_eq(c.first_ms, t + REEXEC_WINDOW_MS);
}

Test(reexec, the_count_from_the_last_image)
{
	struct reexec_count c;

	reexec_count_parse(&c, "3 123456");
	cr_assert_eq(c.n, 3);
	cr_assert_eq(c.first_ms, 123456);
	cr_assert_eq(reexec_count_take(&c, 123456 + 5000), 1);
	cr_assert_eq(reexec_count_take(&c, 123456 + 6000), 1);
	cr_assert_eq(reexec_count_take(&c, 123456 + 7000), 0, "the 6th within the window");
	/* anything else is a fresh start */
	const char *bad[] = { NULL, "", "3", "3 ", " 3 123", "3 123 4", "-1 5", "9 123456",
			      "3 0", "3 12x", "x 1", "3 99999999999999999999999", "00512",
			      "3\t123", "3  123", "3 +123", "3 -123", "003 123", "3 123\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reexec_count_parse(&c, bad[i]);
		cr_assert_eq(c.n, 0, "\"%s\"", bad[i] ? bad[i] : "(null)");
		cr_assert_eq(c.first_ms, 0);
	}
	/* a clock before the count (another boot's): counted afresh */
	reexec_count_parse(&c, "5 900000");
	cr_assert_eq(reexec_count_take(&c, 1000), 1);
	cr_assert_eq(c.n, 1);
}
