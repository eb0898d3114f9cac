/* SPDX-License-Identifier: MIT */
/* test_movepace.c — when the host looks at its addresses after netlink
 * events (movepace.h), with a hand-driven clock. */
#include <criterion/criterion.h>

#include "movepace.h"

Test(movepace, first_event_is_looked_at_at_once)
{
	struct movepace p = { 0 };

	cr_assert_eq(movepace_event(&p, 1000), 0, "nothing before: look now");
	cr_assert_eq(movepace_burst_ms(&p), 1000);
	movepace_looked(&p, 1000);
	cr_assert_not(movepace_pending(&p));
}

Test(movepace, rest_of_a_burst_shares_one_later_look)
{
	struct movepace p = { 0 };

	cr_assert_eq(movepace_event(&p, 1000), 0);
	movepace_looked(&p, 1000);
	/* the link's other messages, right after: one look at the hold's end */
	cr_assert_eq(movepace_event(&p, 1000), MOVEPACE_HOLD_MS);
	cr_assert_eq(movepace_event(&p, 1001), MOVEPACE_HOLD_MS - 1);
	cr_assert(movepace_pending(&p));
	cr_assert_eq(movepace_burst_ms(&p), 1000, "the burst began with its first event");
	movepace_looked(&p, 1000 + MOVEPACE_HOLD_MS);
	cr_assert_not(movepace_pending(&p));
}

Test(movepace, new_address_after_the_link_down_burst_is_not_held)
{
	struct movepace p = { 0 };

	/* link down at 1000 (looked at once), its burst, then the new
	 * router's address 12 ms later: looked at when it comes, not after a
	 * debounce */
	cr_assert_eq(movepace_event(&p, 1000), 0);
	movepace_looked(&p, 1000);
	(void)movepace_event(&p, 1001);
	movepace_looked(&p, 1000 + MOVEPACE_HOLD_MS);
	cr_assert_eq(movepace_event(&p, 1012), 0, "the end of the move waits for nothing");
	cr_assert_eq(movepace_burst_ms(&p), 1012, "a new burst");
}

Test(movepace, a_storm_costs_one_look_per_hold)
{
	struct movepace p = { 0 };
	unsigned looks = 0;
	uint64_t due = 0;

	/* an event every 100 us for 1 s, the caller looking when due */
	for (uint64_t us = 0; us < 1000000; us += 100) {
		uint64_t now = 5000 + us / 1000, w = movepace_event(&p, now);

		if (w == 0 || (due && now >= due)) {
			movepace_looked(&p, now);
			looks++;
			due = 0;
		} else if (!due) {
			due = now + w;
		}
	}
	cr_assert_leq(looks, 1000 / MOVEPACE_HOLD_MS + 1, "%u looks", looks);
	cr_assert_geq(looks, 1000 / MOVEPACE_HOLD_MS - 1, "%u looks: events were left waiting",
		      looks);
	cr_assert_eq(movepace_burst_ms(&p), 5000, "one long burst");
}
