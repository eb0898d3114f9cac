/* SPDX-License-Identifier: MIT */
/*
 * test_binding.c — binding.c: lookups by home address and by (NAI, BID),
 * duplicates refused, growth past the initial buckets, expiry order kept by
 * the heap through inserts, refreshes and removals.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "binding.h"

/* the identities of the templates (bcache_add copies the NAI) */
static const char *const nais[7] = {
	"host0@example.org", "host1@example.org", "host2@example.org", "host3@example.org",
	"host4@example.org", "host5@example.org", "host6@example.org",
};

static struct binding tmpl_for(unsigned i, uint64_t exp)
{
	struct binding b;

	memset(&b, 0, sizeof b);
	inet_pton(AF_INET6, "2001:db8:c4a::", &b.hoa);
	b.hoa.s6_addr[14] = (uint8_t)(i >> 8);
	b.hoa.s6_addr[15] = (uint8_t)i;
	inet_pton(AF_INET6, "2001:db8:1::100", &b.coa);
	b.nai = nais[i % 7];
	b.bid = (uint16_t)(i + 1);
	b.expires_ms = exp;
	return b;
}

Test(binding, add_find_remove)
{
	struct bcache bc;
	struct binding t = tmpl_for(1, 100), *b, *b2;

	cr_assert_eq(bcache_init(&bc), 0);
	cr_assert_eq(bcache_add(&bc, &t, &b), 0);
	cr_assert_eq(bcache_find_hoa(&bc, &t.hoa), b);
	cr_assert_eq(bcache_find_id(&bc, t.nai, t.bid), b);
	cr_assert_null(bcache_find_id(&bc, t.nai, (uint16_t)(t.bid + 1)));
	cr_assert_null(bcache_find_id(&bc, "other@example.org", t.bid));
	cr_assert_eq(bcache_add(&bc, &t, &b2), -EEXIST, "same hoa");
	t.hoa.s6_addr[15] ^= 0xff;
	cr_assert_eq(bcache_add(&bc, &t, &b2), -EEXIST, "same (nai, bid)");
	bcache_remove(&bc, b);
	t = tmpl_for(1, 100);
	cr_assert_null(bcache_find_hoa(&bc, &t.hoa));
	cr_assert_null(bcache_find_id(&bc, t.nai, t.bid));
	cr_assert_eq(bc.count, 0);
	bcache_destroy(&bc, NULL, NULL);
}

static uint64_t pseudo(unsigned i)
{
	return (uint64_t)((i * 2654435761u) % 10007u);
}

static void count_cb(struct binding *b, void *arg)
{
	(void)b;
	(*(unsigned *)arg)++;
}

Test(binding, many_and_expiry_order)
{
	struct bcache bc;
	struct binding *b, *all[1000];
	uint64_t last = 0;
	unsigned n = 0;

	cr_assert_eq(bcache_init(&bc), 0);
	for (unsigned i = 0; i < 1000; i++) {
		struct binding t = tmpl_for(i, pseudo(i));

		cr_assert_eq(bcache_add(&bc, &t, &all[i]), 0);
	}
	cr_assert_gt(bc.nbuckets, 64, "grew");
	for (unsigned i = 0; i < 1000; i++) {
		struct binding t = tmpl_for(i, 0);

		cr_assert_eq(bcache_find_hoa(&bc, &t.hoa), all[i]);
		cr_assert_eq(bcache_find_id(&bc, t.nai, t.bid), all[i]);
	}
	/* refresh some (later and earlier), remove some from the middle */
	for (unsigned i = 0; i < 1000; i += 3)
		bcache_set_expiry(&bc, all[i], pseudo(i) + 5000);
	for (unsigned i = 1; i < 1000; i += 10)
		bcache_set_expiry(&bc, all[i], 1);
	for (unsigned i = 5; i < 1000; i += 7) {
		bcache_remove(&bc, all[i]);
		all[i] = NULL;
	}
	while ((b = bcache_first_expiry(&bc))) {
		cr_assert_geq(b->expires_ms, last, "heap order");
		last = b->expires_ms;
		bcache_remove(&bc, b);
		n++;
	}
	cr_assert_eq(n, 1000 - 143);
	bcache_destroy(&bc, NULL, NULL);

	cr_assert_eq(bcache_init(&bc), 0);
	for (unsigned i = 0; i < 10; i++) {
		struct binding t = tmpl_for(i, i);

		cr_assert_eq(bcache_add(&bc, &t, &b), 0);
	}
	n = 0;
	bcache_destroy(&bc, count_cb, &n);
	cr_assert_eq(n, 10, "destroy visits every entry");
}

Test(binding, nai_is_copied)
{
	struct bcache bc;
	struct binding t = tmpl_for(3, 1000), *b;
	char nai[32];

	cr_assert_eq(bcache_init(&bc), 0);
	snprintf(nai, sizeof nai, "%s", "copied@example.org");
	t.nai = nai;
	cr_assert_eq(bcache_add(&bc, &t, &b), 0);
	/* the caller's buffer changes: the entry keeps its own copy */
	snprintf(nai, sizeof nai, "%s", "other@example.org");
	cr_assert_str_eq(b->nai, "copied@example.org");
	cr_assert_eq(bcache_find_id(&bc, "copied@example.org", t.bid), b);
	cr_assert_null(bcache_find_id(&bc, "other@example.org", t.bid));
	t.nai = NULL;
	cr_assert_eq(bcache_add(&bc, &t, &b), -EINVAL);
	bcache_destroy(&bc, NULL, NULL);
}
