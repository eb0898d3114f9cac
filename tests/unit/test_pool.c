/* SPDX-License-Identifier: MIT */
/*
 * test_pool.c — pool.c: lowest-free allocation, the addresses that are never
 * handed out (subnet-router anycast, RFC 2526 anycast, the anchor's own),
 * the bound, release/reserve errors, and the cooling of released addresses.
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

static int same(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

Test(pool, released_cools_then_is_next)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::"), a, b, c, d;

	cr_assert_eq(pool_init(&p, &pre, 64, NULL, 0), 0);
	pool_clock(&p, 1000);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	cr_assert_eq(pool_alloc(&p, &b), 0);
	cr_assert_eq(pool_cool_until(&p), UINT64_MAX, "nothing cools yet");
	cr_assert_eq(pool_release(&p, &a), 0);
	cr_assert_eq(pool_release(&p, &a), -EINVAL, "double release");
	cr_assert_not(pool_is_allocated(&p, &a));
	cr_assert_eq(pool_cooling_count(&p), 1);
	cr_assert_eq(pool_free_count(&p), POOL_MAX_DEFAULT - 1, "cooling counts as free");
	cr_assert_eq(pool_cool_until(&p), 1000 + POOL_COOL_MS);
	/* the next host gets a fresh address, not the one just given back */
	cr_assert_eq(pool_alloc(&p, &c), 0);
	assert_addr(&c, "2001:db8:c4a::3");
	pool_clock(&p, 1000 + POOL_COOL_MS - 1);
	cr_assert_eq(pool_cooling_count(&p), 1, "one ms short");
	cr_assert_eq(pool_alloc(&p, &d), 0);
	assert_addr(&d, "2001:db8:c4a::4");
	pool_clock(&p, 1000 + POOL_COOL_MS);
	cr_assert_eq(pool_cooling_count(&p), 0);
	cr_assert_eq(pool_cool_until(&p), UINT64_MAX);
	cr_assert_eq(pool_alloc(&p, &d), 0);
	cr_assert(same(&a, &d), "cooled: the lowest free again");
	pool_free_all(&p);
}

/* A pool of 2001:db8:c4a::/plen (at most max), with n addresses taken */
static void pool_with(struct pool *p, uint8_t plen, uint32_t max, struct in6_addr *a, int n)
{
	struct in6_addr pre = A("2001:db8:c4a::");

	cr_assert_eq(pool_init(p, &pre, plen, NULL, max), 0);
	for (int i = 0; i < n; i++)
		cr_assert_eq(pool_alloc(p, &a[i]), 0);
}

Test(pool, only_cooling_ones_free_the_longest_cooled_goes)
{
	struct pool p;
	struct in6_addr a[15], x;

	pool_with(&p, 124, 0, a, 15);
	pool_clock(&p, 5000);
	cr_assert_eq(pool_release(&p, &a[9]), 0);
	pool_clock(&p, 6000);
	cr_assert_eq(pool_release(&p, &a[2]), 0);
	cr_assert_eq(pool_free_count(&p), 2);
	/* a full pool hands out a cooling address rather than refuse */
	cr_assert_eq(pool_alloc(&p, &x), 0);
	cr_assert(same(&x, &a[9]), "released first");
	cr_assert_eq(pool_cooling_count(&p), 1);
	cr_assert_eq(pool_alloc(&p, &x), 0);
	cr_assert(same(&x, &a[2]));
	cr_assert_eq(pool_cooling_count(&p), 0);
	cr_assert_eq(pool_alloc(&p, &x), -ENOSPC);
	/* their ring entries, emptied, do not free them when their time is up */
	pool_clock(&p, 6000 + POOL_COOL_MS);
	cr_assert(pool_is_allocated(&p, &a[9]));
	cr_assert_eq(pool_alloc(&p, &x), -ENOSPC);
	pool_free_all(&p);
}

Test(pool, reserve_takes_a_cooling_one_and_release_cools_it_anew)
{
	struct pool p;
	struct in6_addr pre = A("2001:db8:c4a::"), a, x;

	cr_assert_eq(pool_init(&p, &pre, 64, NULL, 0), 0);
	pool_clock(&p, 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	cr_assert_eq(pool_release(&p, &a), 0);
	cr_assert_eq(pool_reserve(&p, &a), 0, "named (a refresh after a crash): taken");
	cr_assert_eq(pool_cooling_count(&p), 0);
	pool_clock(&p, POOL_COOL_MS / 2);
	cr_assert_eq(pool_release(&p, &a), 0);
	/* the first release's time comes: it was taken since, so the second
	 * release's cooling goes on */
	pool_clock(&p, POOL_COOL_MS);
	cr_assert_eq(pool_cooling_count(&p), 1);
	cr_assert_eq(pool_alloc(&p, &x), 0);
	cr_assert_not(same(&x, &a));
	pool_clock(&p, POOL_COOL_MS / 2 + POOL_COOL_MS);
	cr_assert_eq(pool_cooling_count(&p), 0);
	cr_assert_eq(pool_alloc(&p, &x), 0);
	cr_assert(same(&x, &a));
	pool_free_all(&p);
}

/* What a restart restores: addresses cooling since a given time, in
 * release order; each listed once, longest cooled first */
static void list_one(uint32_t off, uint64_t at_ms, void *arg)
{
	uint64_t *l = arg;

	l[2 * l[0] + 1] = off;
	l[2 * l[0] + 2] = at_ms;
	l[0]++;
}

Test(pool, cooling_restored_from_given_times_and_listed_in_order)
{
	struct pool p;
	struct in6_addr a[4], x;
	uint64_t l[1 + 2 * 8] = { 0 };

	pool_with(&p, 64, 0, a, 0);
	pool_clock(&p, 10000);
	cr_assert_eq(pool_cool_from(&p, 5, 10001), -EINVAL, "after the pool's clock");
	cr_assert_eq(pool_cool_from(&p, 5, 2000), 0);
	cr_assert_eq(pool_cool_from(&p, 7, 1999), -EINVAL, "before the last one");
	cr_assert_eq(pool_cool_from(&p, 5, 3000), -EEXIST, "cooling already");
	cr_assert_eq(pool_cool_from(&p, 0, 3000), -EINVAL);
	cr_assert_eq(pool_cool_from(&p, POOL_MAX_DEFAULT + 1, 3000), -EINVAL);
	cr_assert_eq(pool_cool_from(&p, 2, 9000), 0);
	cr_assert_eq(pool_cooling_count(&p), 2);
	cr_assert_eq(pool_alloc(&p, &a[0]), 0);
	cr_assert_eq(pool_cool_from(&p, 1, 9000), -EEXIST, "allocated");
	pool_clock(&p, 2000 + POOL_COOL_MS);
	cr_assert_eq(pool_cool_from(&p, 9, 9000 - POOL_COOL_MS + POOL_COOL_MS / 2), -EINVAL,
		     "before the last one, still");
	/* a time already up cools nothing */
	pool_free_all(&p);
	pool_with(&p, 64, 0, a, 0);
	pool_clock(&p, POOL_COOL_MS + 10);
	cr_assert_eq(pool_cool_from(&p, 3, 10), 0);
	cr_assert_eq(pool_cooling_count(&p), 0);
	cr_assert_eq(pool_cool_from(&p, 4, 11), 0);
	cr_assert_eq(pool_cool_from(&p, 2, 12), 0);
	cr_assert_eq(pool_cooling_count(&p), 2);
	/* ::4 taken again: its emptied entry is not listed */
	cr_assert_eq(pool_alloc(&p, &a[0]), 0);
	assert_addr(&a[0], "2001:db8:c4a::1");
	pool_addr_at(&p, 4, &x);
	cr_assert_eq(pool_reserve(&p, &x), 0);
	cr_assert_eq(pool_release(&p, &a[0]), 0);
	pool_cooling_each(&p, list_one, l);
	cr_assert_eq(l[0], 2);
	cr_assert_eq(l[1], 2);
	cr_assert_eq(l[2], 12);
	cr_assert_eq(l[3], 1);
	cr_assert_eq(l[4], POOL_COOL_MS + 10);
	/* they end in that order */
	pool_clock(&p, POOL_COOL_MS + 12);
	cr_assert_eq(pool_alloc(&p, &a[1]), 0);
	assert_addr(&a[1], "2001:db8:c4a::2");
	pool_free_all(&p);
}

Test(pool, many_releases_grow_the_ring)
{
	struct pool p;
	struct in6_addr a[300], x;

	pool_with(&p, 64, 400, a, 300);
	for (int i = 0; i < 300; i++) {
		pool_clock(&p, (uint64_t)i);
		cr_assert_eq(pool_release(&p, &a[i]), 0);
	}
	cr_assert_eq(pool_cooling_count(&p), 300);
	/* 100 fresh ones first, then the cooling ones in release order */
	for (int i = 0; i < 100; i++)
		cr_assert_eq(pool_alloc(&p, &x), 0);
	cr_assert_eq(pool_cooling_count(&p), 300, "the fresh ones went first");
	for (int i = 0; i < 300; i++) {
		cr_assert_eq(pool_alloc(&p, &x), 0);
		cr_assert(same(&x, &a[i]), "the %dth released", i);
	}
	cr_assert_eq(pool_alloc(&p, &x), -ENOSPC);
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
	pool_clock(&p, POOL_COOL_MS);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::67");
	/* one above it does, once cooled */
	cr_assert_eq(pool_release(&p, &above), 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::68");
	pool_clock(&p, 2 * POOL_COOL_MS);
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
	/* a cooling address is handed out when nothing else is, not a held one */
	struct in6_addr low = A("2001:db8:c4a::5"), top = A("2001:db8:c4a::46");

	cr_assert_eq(pool_reserve(&p, &low), 0);
	cr_assert_eq(pool_release(&p, &low), 0);
	cr_assert_eq(pool_alloc(&p, &a), -ENOSPC);
	cr_assert_eq(pool_release(&p, &top), 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::46");
	cr_assert_eq(pool_cooling_count(&p), 1, "the held one still cools");
	pool_hold(&p, 1000); /* more than the pool: all held */
	cr_assert_eq(pool_alloc(&p, &a), -ENOSPC);
	pool_hold(&p, 0);
	cr_assert_eq(pool_alloc(&p, &a), 0);
	assert_addr(&a, "2001:db8:c4a::1");
	pool_free_all(&p);
}
