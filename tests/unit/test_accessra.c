/* SPDX-License-Identifier: MIT */
/*
 * test_accessra.c — access anchors learned from Router Advertisements
 * (odmagent/accessra.c): the rule (H flag and the router's own address in
 * an R-flag prefix option), lifetimes, withdrawal, the bound, and which
 * one is the current link's.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "accessra.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1, "%s", s);
	return a;
}

/* what raopt.c makes of a router's RA: H flag, HA lifetime, its address */
static struct ra_info ra_of(const char *router, uint16_t lifetime, int h)
{
	struct ra_info ra = { .home_agent = h, .ha_lifetime = lifetime, .n_router_addrs = 1 };

	ra.router_addrs[0] = A(router);
	return ra;
}

Test(accessra, a_home_agent_router_offers_an_anchor_for_its_lifetime)
{
	struct accessra t = { 0 };
	struct ra_info ra = ra_of("2001:db8:a1::1", 1800, 1);
	struct in6_addr ar1 = A("2001:db8:a1::1");
	const struct accessra_entry *e;

	cr_assert_eq(accessra_from_ra(&t, &ra, "eth1", 1000), 1, "a new anchor is a change");
	e = accessra_find(&t, &ar1);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->ifname, "eth1");
	cr_assert_eq(e->expires_ms, 1000 + 1800 * 1000);
	cr_assert_eq(accessra_from_ra(&t, &ra, "eth1", 5000), 0, "a refresh is no change");
	cr_assert_eq(accessra_find(&t, &ar1)->expires_ms, 5000 + 1800 * 1000);
	cr_assert_eq(accessra_expire(&t, 5000 + 1800 * 1000 - 1), 0);
	cr_assert_eq(accessra_expire(&t, 5000 + 1800 * 1000), 1, "kept past its lifetime");
	cr_assert_null(accessra_find(&t, &ar1));
}

Test(accessra, no_h_flag_or_lifetime_0_offers_nothing_and_withdraws)
{
	struct accessra t = { 0 };
	struct ra_info plain = ra_of("2001:db8:a1::1", 1800, 0);
	struct ra_info ha = ra_of("2001:db8:a1::1", 1800, 1);
	struct ra_info gone = ra_of("2001:db8:a1::1", 0, 1);
	struct ra_info none = ra_of("2001:db8:a1::1", 1800, 1);

	none.n_router_addrs = 0; /* H flag, no R-flag prefix: no address to use */
	cr_assert_eq(accessra_from_ra(&t, &plain, "eth1", 0), 0);
	cr_assert_eq(accessra_from_ra(&t, &none, "eth1", 0), 0);
	cr_assert_eq(t.n, 0, "an anchor from a router that is no home agent");
	accessra_from_ra(&t, &ha, "eth1", 0);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(accessra_from_ra(&t, &gone, "eth1", 10), 1);
	cr_assert_eq(t.n, 0, "lifetime 0 did not withdraw the offer");
	accessra_from_ra(&t, &ha, "eth1", 20);
	cr_assert_eq(accessra_from_ra(&t, &plain, "eth1", 30), 1);
	cr_assert_eq(t.n, 0, "dropping the H flag did not withdraw the offer");
}

Test(accessra, bounded_a_new_router_replaces_the_one_expiring_first)
{
	struct accessra t = { 0 };
	char s[64];

	for (int i = 0; i < ACCESSRA_MAX + 4; i++) {
		struct ra_info ra;

		snprintf(s, sizeof(s), "2001:db8:%x::1", 0x100 + i);
		ra = ra_of(s, 1800, 1);
		accessra_from_ra(&t, &ra, "eth1", (uint64_t)i * 1000);
		cr_assert_leq(t.n, ACCESSRA_MAX);
	}
	cr_assert_eq(t.n, ACCESSRA_MAX);
	for (int i = 0; i < ACCESSRA_MAX + 4; i++) {
		struct in6_addr a;

		snprintf(s, sizeof(s), "2001:db8:%x::1", 0x100 + i);
		a = A(s);
		if (i < 4)
			cr_assert_null(accessra_find(&t, &a), "oldest %d kept", i);
		else
			cr_assert_not_null(accessra_find(&t, &a), "newer %d lost", i);
	}
}

Test(accessra, the_current_link_is_the_64_holding_a_host_address)
{
	struct accessra t = { 0 };
	struct ra_info r1 = ra_of("2001:db8:a1::1", 1800, 1), r2 = ra_of("2001:db8:a2::1", 1800, 1);
	struct in6_addr on1 = A("2001:db8:a1::5"), on2 = A("2001:db8:a2::5");
	struct in6_addr other = A("2001:db8:a1:1::5"); /* same /48, another /64 */
	struct in6_addr ar2 = A("2001:db8:a2::1");
	const struct accessra_entry *e;

	accessra_from_ra(&t, &r1, "eth1", 0);
	cr_assert_null(accessra_pick(&t, &on2, 1), "another link's anchor picked");
	cr_assert_null(accessra_pick(&t, &other, 1));
	cr_assert_not_null(accessra_pick(&t, &on1, 1));
	/* moved: the new link's router is heard, the old one stays known */
	accessra_from_ra(&t, &r2, "eth2", 100);
	e = accessra_pick(&t, &on2, 1);
	cr_assert_not_null(e);
	cr_assert(IN6_ARE_ADDR_EQUAL(&e->addr, &ar2));
	cr_assert_str_eq(e->ifname, "eth2");
	cr_assert_eq(t.n, 2, "the link left's anchor forgotten");
}
