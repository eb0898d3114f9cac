/* SPDX-License-Identifier: MIT */
/* test_addr_usable.c — waits for just-added addresses, and their verdicts. */
#include <criterion/criterion.h>
#include <errno.h>

#include "addr_usable.h"
#include "testaddr.h"

static struct addr_waits W;

static void setup(void)
{
	addr_waits_init(&W);
}

static void teardown(void)
{
	addr_waits_clear(&W);
}

TestSuite(addr_usable, .init = setup, .fini = teardown);

Test(addr_usable, verdicts)
{
	struct addr_wait e = { .key = &W, .addr = A("2001:db8:1::1"), .since_ms = 1000 };

	cr_assert_eq(addr_wait_judge(&e, 1, 1000), ADDR_READY);
	cr_assert_eq(addr_wait_judge(&e, 0, 1000), ADDR_WAIT);
	cr_assert_eq(addr_wait_judge(&e, 0, 1000 + ADDR_USABLE_BOUND_MS - 1), ADDR_WAIT);
	cr_assert_eq(addr_wait_judge(&e, 0, 1000 + ADDR_USABLE_BOUND_MS), ADDR_FAILED);
	/* a question that failed is no answer: the bound still decides */
	cr_assert_eq(addr_wait_judge(&e, -ENOBUFS, 1001), ADDR_WAIT);
	cr_assert_eq(addr_wait_judge(&e, -ENOBUFS, 1000 + ADDR_USABLE_BOUND_MS), ADDR_FAILED);
	/* usable on the last look counts, late as it is */
	cr_assert_eq(addr_wait_judge(&e, 1, 1000 + 10 * ADDR_USABLE_BOUND_MS), ADDR_READY);
	/* a reading before since (cannot happen, monotonic) is no time spent */
	cr_assert_eq(addr_wait_judge(&e, 0, 10), ADDR_WAIT);
	cr_assert_str_eq(addr_verdict_name(ADDR_FAILED), "failed");
}

Test(addr_usable, one_entry_per_key_in_order)
{
	int k[20];
	struct in6_addr a = A("2001:db8:1::1"), b = A("2001:db8:1::2");
	const struct addr_wait *e;

	for (int i = 0; i < 20; i++)
		cr_assert_eq(addr_waits_add(&W, &k[i], &a, (uint64_t)i), 0);
	cr_assert_eq(W.n, 20);
	/* again for k[3]: the same entry, its wait restarted */
	cr_assert_eq(addr_waits_add(&W, &k[3], &b, 100), 0);
	cr_assert_eq(W.n, 20);
	e = addr_waits_find(&W, &k[3]);
	cr_assert_not_null(e);
	cr_assert_eq(e->since_ms, 100);
	assert_addr(&e->addr, "2001:db8:1::2");
	/* deleting keeps the others in their order */
	cr_assert_eq(addr_waits_del(&W, &k[3]), 1);
	cr_assert_eq(addr_waits_del(&W, &k[3]), 0);
	cr_assert_null(addr_waits_find(&W, &k[3]));
	cr_assert_eq(W.n, 19);
	cr_assert_eq(W.v[2].key, &k[2]);
	cr_assert_eq(W.v[3].key, &k[4]);
	cr_assert_eq(W.v[18].key, &k[19]);
	cr_assert_eq(addr_waits_del(&W, &k[19]), 1);
	cr_assert_eq(W.n, 18);
	cr_assert_eq(addr_waits_add(&W, NULL, &a, 0), -EINVAL);
}
