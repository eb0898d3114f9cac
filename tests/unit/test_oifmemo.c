/* SPDX-License-Identifier: MIT */
/* test_oifmemo.c — a reroute walk asks the kernel once per (local, remote)
 * pair, not once per binding (oifmemo.h). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "oifmemo.h"

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* A walk over n bindings from coa to one of the anchors, asking through
 * the memo as tunnel_bpf.c's out_of does: the questions the kernel got */
static unsigned walk(struct oifmemo *m, size_t n, const struct in6_addr *coa,
		     const struct in6_addr *anchors, size_t n_anchors)
{
	unsigned asked = 0;

	oifmemo_begin(m);
	for (size_t i = 0; i < n; i++) {
		const struct in6_addr *remote = &anchors[i % n_anchors];
		int oif;

		if (!oifmemo_get(m, coa, remote, &oif)) {
			asked++;
			oif = 7 + (int)(i % n_anchors); /* the kernel's answer */
			oifmemo_put(m, coa, remote, oif);
		}
		cr_assert_eq(oif, 7 + (int)(i % n_anchors), "binding %zu: the answer for its own pair", i);
	}
	oifmemo_end(m);
	return asked;
}

Test(oifmemo, thousands_of_bindings_cost_one_question_per_pair)
{
	struct oifmemo m = { 0 };
	struct in6_addr coa = a6("2001:db8:a1::10");
	struct in6_addr anchors[3] = { a6("2001:db8:ca::10"), a6("2001:db8:40::10"),
				       a6("2001:db8:a1::1") };

	cr_assert_eq(walk(&m, 4000, &coa, anchors, 1), 1);
	cr_assert_eq(walk(&m, 4000, &coa, anchors, 3), 3, "each walk asks again, once a pair");
}

Test(oifmemo, pairs_differ_by_either_end)
{
	struct oifmemo m = { 0 };
	struct in6_addr c1 = a6("2001:db8:a1::10"), c2 = a6("2001:db8:a2::10");
	struct in6_addr an = a6("2001:db8:ca::10"), an2 = a6("2001:db8:ca::11");
	int oif = 0;

	oifmemo_begin(&m);
	oifmemo_put(&m, &c1, &an, 3);
	cr_assert(oifmemo_get(&m, &c1, &an, &oif));
	cr_assert_eq(oif, 3);
	cr_assert_not(oifmemo_get(&m, &c2, &an, &oif), "another care-of address");
	cr_assert_not(oifmemo_get(&m, &c1, &an2, &oif), "another anchor");
	oifmemo_put(&m, &c2, &an, -101);
	cr_assert(oifmemo_get(&m, &c2, &an, &oif));
	cr_assert_eq(oif, -101, "no route is an answer too");
	oifmemo_end(&m);
}

Test(oifmemo, nothing_outlives_its_walk)
{
	struct oifmemo m = { 0 };
	struct in6_addr coa = a6("2001:db8:a1::10"), an = a6("2001:db8:ca::10");
	int oif = 0;

	oifmemo_put(&m, &coa, &an, 3);
	cr_assert_not(oifmemo_get(&m, &coa, &an, &oif), "no walk: nothing kept");
	oifmemo_begin(&m);
	oifmemo_put(&m, &coa, &an, 3);
	oifmemo_end(&m);
	cr_assert_not(oifmemo_get(&m, &coa, &an, &oif), "the walk ended: routes may change");
	oifmemo_begin(&m);
	cr_assert_not(oifmemo_get(&m, &coa, &an, &oif), "a new walk asks again");
	oifmemo_end(&m);
}

Test(oifmemo, a_full_memo_asks_the_kernel_as_before)
{
	struct oifmemo m = { 0 };
	struct in6_addr coa = a6("2001:db8:a1::10"), an = a6("2001:db8:ca::10");
	int oif = 0;

	oifmemo_begin(&m);
	for (unsigned i = 0; i < OIFMEMO_MAX + 1; i++) {
		an.s6_addr[15] = (uint8_t)i;
		oifmemo_put(&m, &coa, &an, (int)i + 1);
	}
	cr_assert_not(oifmemo_get(&m, &coa, &an, &oif), "past the room: not kept");
	an.s6_addr[15] = OIFMEMO_MAX - 1;
	cr_assert(oifmemo_get(&m, &coa, &an, &oif));
	cr_assert_eq(oif, OIFMEMO_MAX);
	oifmemo_end(&m);
}
