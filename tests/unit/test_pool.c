/* SPDX-License-Identifier: MIT */
/*
 * test_pool.c — pool.c: lowest-free allocation, the addresses that are never
 * handed out (subnet-router anycast, RFC 2526 anycast, the anchor's own),
 * the bound, release/reserve errors.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "pool.h"
#include "testaddr.h"

Test(pool, lowest_first_skips_anycast_and_own)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::"), own = A("2001:db8:c4a::2"), a;

	cr_assert_eq(pool_init(&p, &pre, 64, &own, 0), 0);
	cr_assert_eq(pool_free_count(&p), POOL_MAX_DEFAULT - 1);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::1"); /* never ::0 */
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::3"); /* ::2 is the anchor */
	cr_assert(pool_is_allocated(&p, &a));
	cr_assert_not(pool_is_allocated(&p, &own));
	cr_assert_eq(pool_release(&p, &own), -EINVAL);
	pool_free_all(&p);
}

Test(pool, release_makes_it_next)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::"), a, b, c;

	cr_assert_eq(pool_init(&p, &pre, 64, NULL, 0), 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	cr_assert_eq(pool_alloc(&p, &b), 0);
	cr_assert_eq(pool_release(&p, &a), 0);
	cr_assert_eq(pool_release(&p, &a), -EINVAL, "double release");
	cr_assert_eq(pool_alloc(&p, &c), 0);
	cr_assert_eq(memcmp(&a, &c, 16), 0);
	pool_free_all(&p);
}

Test(pool, bounded_and_exhausts)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::"), a;

	cr_assert_eq(pool_init(&p, &pre, 64, NULL, 100), 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::64");
	cr_assert_eq(pool_alloc(&p, &a), -ENOSPC);
	cr_assert_eq(pool_free_count(&p), 0);
	pool_free_all(&p);
}

Test(pool, small_prefix_has_no_rfc2526_top)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::10"), a;

	/* /124: 16 addresses, ::10 is the anycast, 15 usable */
	cr_assert_eq(pool_init(&p, &pre, 124, NULL, 0), 0);
	cr_assert_eq(pool_free_count(&p), 15);
	for (int i = 0; i < 15; i++)
		cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::1f");
	cr_assert_eq(pool_alloc(&p, &a), -ENOSPC);
	pool_free_all(&p);

	/* /120: 256 addresses, the top 128 are RFC 2526 anycast */
	cr_assert_eq(pool_init(&p, &pre, 120, NULL, 0), 0);
	cr_assert_eq(pool_free_count(&p), 127);
	pool_free_all(&p);
}

Test(pool, contains_reserve_and_bad_inputs)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::"), out = A("2001:db8:c4b::1"),
			far = A("2001:db8:c4a::1:0"), x = A("2001:db8:c4a::7"), a;

	cr_assert_eq(pool_init(&p, &pre, 128, NULL, 0), -EINVAL);
	cr_assert_eq(pool_init(&p, &pre, 127, &x, 0), 0, "a /127 has one usable address");
	pool_free_all(&p);
	cr_assert_eq(pool_init(&p, &pre, 64, NULL, 1000), 0);
	cr_assert(pool_contains(&p, &far));
	cr_assert_not(pool_contains(&p, &out));
	cr_assert_eq(pool_reserve(&p, &far), -EINVAL, "beyond the bound");
	cr_assert_eq(pool_reserve(&p, &out), -EINVAL);
	cr_assert_eq(pool_reserve(&p, &pre), -EINVAL, "subnet-router anycast");
	cr_assert_eq(pool_reserve(&p, &x), 0);
	cr_assert_eq(pool_reserve(&p, &x), -EEXIST);
	cr_assert_eq(pool_release(&p, &out), -EINVAL);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(pool_alloc(&p, &a), 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::8"); /* ::7 was reserved */
	pool_free_all(&p);
}

/* After a crash: held offsets go only to pool_reserve, the rest as before */
Test(pool, hold_keeps_the_lowest_for_reserve)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::"), own = A("2001:db8:c4a::ffff"), a,
			held = A("2001:db8:c4a::45"), above = A("2001:db8:c4a::65");

	cr_assert_eq(pool_init(&p, &pre, 64, &own, 0), 0);
	cr_assert_eq(pool_highest(&p), 0, "the excluded address is not allocated");
	cr_assert_eq(pool_alloc(&p, &a), 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	cr_assert_eq(pool_highest(&p), 2);
	pool_hold(&p, 100); /* offsets 1..100: 0x64 */
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::65");
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::66");
	cr_assert_eq(pool_highest(&p), 0x66);
	cr_assert_eq(pool_reserve(&p, &held), 0, "a held address is reserved on request");
	/* a release below the hold does not bring it back to allocation */
	cr_assert_eq(pool_release(&p, &held), 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::67");
	/* one above it does */
	cr_assert_eq(pool_release(&p, &above), 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::65");
	pool_hold(&p, 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::3");
	pool_free_all(&p);
}

Test(pool, only_held_ones_free_is_full)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::"), a;

	cr_assert_eq(pool_init(&p, &pre, 64, NULL, 70), 0);
	pool_hold(&p, 68);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::45");
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::46");
	cr_assert_eq(pool_alloc(&p, &a), -ENOSPC);
	cr_assert_eq(pool_free_count(&p), 68);
	pool_hold(&p, 1000); /* more than the pool: all held */
	cr_assert_eq(pool_alloc(&p, &a), -ENOSPC);
	pool_hold(&p, 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::1");
	pool_free_all(&p);
}
