/* SPDX-License-Identifier: MIT */
/*
 * test_gaipending.c — a getaddrinfo_a() request's result is noted once:
 * after its first "done", gai_error() may go on saying 0 about a request
 * whose result the program freed, and the shim must not read it again.
 */
#include <criterion/criterion.h>

#include "gaipending.h"

Test(gaipending, a_request_is_taken_once_per_submission)
{
	struct gaicb a = { 0 }, b = { 0 };

	cr_assert_eq(gaipending_take(&a), 0, "never submitted");
	gaipending_add(&a);
	gaipending_add(&a); /* submitted twice before it was seen done: one entry */
	cr_assert_eq(gaipending_take(&b), 0, "another request");
	cr_assert_eq(gaipending_take(&a), 1, "done the first time");
	cr_assert_eq(gaipending_take(&a), 0, "not again: its result may be freed by now");
	gaipending_add(&a); /* the program reuses the request */
	cr_assert_eq(gaipending_take(&a), 1, "a new submission is noted again");
	cr_assert_eq(gaipending_take(NULL), 0);
}

Test(gaipending, the_oldest_give_way_when_full)
{
	static struct gaicb r[GAIPENDING_MAX + 8];

	for (size_t i = 0; i < GAIPENDING_MAX + 8; i++)
		gaipending_add(&r[i]);
	for (size_t i = 0; i < 8; i++)
		cr_assert_eq(gaipending_take(&r[i]), 0, "the 8 oldest gave way (%zu)", i);
	for (size_t i = 8; i < GAIPENDING_MAX + 8; i++)
		cr_assert_eq(gaipending_take(&r[i]), 1, "kept (%zu)", i);
}
