/* SPDX-License-Identifier: MIT */
/* test_carrierlook.c — a carrier loss between two looks (carrierlook.h),
 * the time given by hand. */
#include <criterion/criterion.h>

#include "carrierlook.h"

Test(carrierlook, the_first_look_and_an_unchanged_count_are_no_loss)
{
	struct carrierlook c = { 0 };
	uint64_t up = 7;

	cr_assert_not(carrierlook_seen(&c, 3, 5, 1000, &up), "nothing to compare with");
	cr_assert_not(carrierlook_seen(&c, 3, 5, 2000, &up), "the same count");
	/* the agent stopped 30 s, the carrier never lost */
	cr_assert_not(carrierlook_seen(&c, 3, 5, 32000, &up), "a stop alone");
	cr_assert_eq(up, 7, "not written");
}

Test(carrierlook, a_count_that_grew_is_a_loss_after_the_last_look)
{
	struct carrierlook c = { 0 };
	uint64_t up = 0;

	carrierlook_seen(&c, 3, 5, 1000, &up);
	carrierlook_seen(&c, 3, 5, 2000, &up);
	cr_assert(carrierlook_seen(&c, 3, 6, 4500, &up), "lost and back between the looks");
	cr_assert_eq(up, 2000, "the last look that found it as it was: %llu",
		     (unsigned long long)up);
	/* once: the next look compares with this one */
	cr_assert_not(carrierlook_seen(&c, 3, 6, 5500, &up));
	cr_assert(carrierlook_seen(&c, 3, 9, 6500, &up), "three more");
	cr_assert_eq(up, 5500);
}

Test(carrierlook, another_link_a_new_device_or_a_move_starts_afresh)
{
	struct carrierlook c = { 0 };
	uint64_t up = 0;

	carrierlook_seen(&c, 3, 5, 1000, &up);
	cr_assert_not(carrierlook_seen(&c, 4, 9, 2000, &up), "another link: a move's");
	cr_assert_not(carrierlook_seen(&c, 4, 2, 3000, &up), "a count that went back");
	cr_assert(carrierlook_seen(&c, 4, 3, 4000, &up), "compared with the new one's");
	cr_assert_eq(up, 3000);
	/* a move on the same link (another address of it) */
	carrierlook_forget(&c);
	cr_assert_not(carrierlook_seen(&c, 4, 6, 5000, &up), "afresh after the move");
	cr_assert(carrierlook_seen(&c, 4, 7, 6000, &up));
	cr_assert_eq(up, 5000);
}

Test(carrierlook, a_look_dated_before_the_last_gives_no_later_moment)
{
	struct carrierlook c = { 0 };
	uint64_t up = 0;

	carrierlook_seen(&c, 3, 5, 2000, &up);
	cr_assert(carrierlook_seen(&c, 3, 6, 1500, &up));
	cr_assert_eq(up, 1500, "the loss is no later than the look that found it");
}
