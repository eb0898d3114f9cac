/* SPDX-License-Identifier: MIT */
/* test_ratelimit.c — the token bucket of ratelimit.h with a hand-driven clock. */
#include <criterion/criterion.h>

#include "ratelimit.h"

Test(ratelimit, burst_then_refusal)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 10, 5, 1000);
	for (int i = 0; i < 5; i++)
		cr_assert(ratelimit_allow(&rl, 1000), "token %d of the burst", i);
	cr_assert_not(ratelimit_allow(&rl, 1000), "bucket empty");
	cr_assert_eq(rl.passed, 5);
	cr_assert_eq(rl.limited, 1);
}

Test(ratelimit, refills_at_the_rate)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 10, 1, 0); /* one token every 100 ms */
	cr_assert(ratelimit_allow(&rl, 0));
	cr_assert_not(ratelimit_allow(&rl, 99), "99 ms: 0.99 token");
	cr_assert(ratelimit_allow(&rl, 100), "the fraction earned before is kept");
	cr_assert_not(ratelimit_allow(&rl, 150));
	cr_assert(ratelimit_allow(&rl, 200));
}

Test(ratelimit, bounded_over_a_flood)
{
	struct ratelimit rl;
	unsigned n = 0;

	/* 5000 requests over 2 s: at most rate * 2 + burst answers */
	ratelimit_init(&rl, 20, 10, 0);
	for (uint64_t i = 0; i < 5000; i++)
		n += (unsigned)ratelimit_allow(&rl, i * 2000 / 5000);
	cr_assert_leq(n, 20 * 2 + 10);
	cr_assert_geq(n, 20 * 2 + 10 - 1, "the bucket was used: %u", n);
}

Test(ratelimit, idle_time_fills_no_more_than_burst)
{
	struct ratelimit rl;
	int n = 0;

	ratelimit_init(&rl, 1000, 3, 0);
	while (ratelimit_allow(&rl, 0) && n < 100)
		n++;
	cr_assert_eq(n, 3);
	n = 0;
	while (ratelimit_allow(&rl, UINT64_MAX / 2) && n < 100)
		n++;
	cr_assert_eq(n, 3, "a long idle time gives one burst, not more");
}

Test(ratelimit, clock_going_back_earns_nothing)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 1, 1, 5000);
	cr_assert(ratelimit_allow(&rl, 5000));
	cr_assert_not(ratelimit_allow(&rl, 1000));
	cr_assert_not(ratelimit_allow(&rl, 1999), "999 ms after the new mark");
	cr_assert(ratelimit_allow(&rl, 2000));
}

Test(ratelimit, rate_zero_never_answers_after_the_burst)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 0, 0, 0);
	cr_assert(ratelimit_allow(&rl, 0), "burst 0 is taken as 1");
	cr_assert_not(ratelimit_allow(&rl, 1000000));
}

Test(ratelimit, a_new_rate_keeps_the_tokens_up_to_the_new_burst)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 10, 10, 0);
	cr_assert(ratelimit_allow(&rl, 0));
	ratelimit_set(&rl, 0, 2); /* a reload: no refill, a bucket of 2 */
	cr_assert(ratelimit_allow(&rl, 0));
	cr_assert(ratelimit_allow(&rl, 0));
	cr_assert_not(ratelimit_allow(&rl, 0), "the new burst bounds the tokens held");
	cr_assert_not(ratelimit_allow(&rl, 60000), "rate 0 refills nothing");
	cr_assert_eq(rl.passed, 3, "the counts are kept");
	ratelimit_set(&rl, 1000, 0);
	cr_assert_eq(rl.burst, 1, "burst 0 is taken as 1");
	cr_assert(ratelimit_allow(&rl, 60001));
}
