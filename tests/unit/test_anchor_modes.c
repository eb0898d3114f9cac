/* SPDX-License-Identifier: MIT */
/*
 * test_anchor_modes.c — the anchor's modes through anchor_handle_bu() with
 * the time passed in: home (the same address for an identity at every
 * registration and after a restart, whatever the order of the identities;
 * collisions), access (claimed from the link only, tunnelled after a move
 * with a /128 route, native again on return, another identity refused
 * with nothing changed, graceful-replacement released at its deadline, its
 * grace period begun only by a move the tunnel takes),
 * and how a BU's Service Selection picks the mode.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor_fixture.h"
#include "anchor_mode.h"
#include "log.h"
#include "tunnel_guard.h"

#define AR_ADDR "2001:db8:a1::1"
#define AR_PREFIX "2001:db8:a1::"
#define X1 "2001:db8:a1::10"      /* the host's address on the access link */
#define X2 "2001:db8:a1::20"
#define OFF_LINK "2001:db8:a2::10" /* another router's prefix */

/* ---- the route hook (anchor.h: a /128 into the tunnel device) ---- */

static unsigned routes_added, routes_deleted;
static struct in6_addr route_last;

static int fake_route(void *arg, const struct in6_addr *hoa, int add)
{
	if (add)
		routes_added++;
	else
		routes_deleted++;
	route_last = *hoa;
	return 0;
}

static void setup_modes(unsigned modes, int swap_idents)
{
	memset(&ft, 0, sizeof ft);
	memset(&cfg, 0, sizeof cfg);
	memset(idents, 0, sizeof idents);
	routes_added = routes_deleted = 0;
	cfg.role = ODM_ROLE_ANCHOR;
	cfg.modes = modes;
	cfg.mode = (modes & ODM_MODE_BIT(ODM_MODE_HOME)) ? ODM_MODE_HOME
		   : (modes & ODM_MODE_BIT(ODM_MODE_CHA)) ? ODM_MODE_CHA : ODM_MODE_ACCESS;
	cfg.address = A((modes & ODM_MODE_BIT(ODM_MODE_ACCESS)) ? AR_ADDR : A_ADDR);
	if (modes & (ODM_MODE_BIT(ODM_MODE_CHA) | ODM_MODE_BIT(ODM_MODE_HOME))) {
		cfg.pool = A(A_POOL);
		cfg.pool_plen = 64;
	}
	if (modes & ODM_MODE_BIT(ODM_MODE_ACCESS)) {
		cfg.access_prefixes[0].addr = A(AR_PREFIX);
		cfg.access_prefixes[0].plen = 64;
		cfg.n_access_prefixes = 1;
	}
	cfg.grace_period = 20;
	cfg.max_lifetime = 600;
	cfg.max_bindings = 4;
	cfg.answer_rate = 100000;
	cfg.answer_burst = 100000;
	fixture_start(swap_idents);
	an.route = fake_route;
}

static void fini(void)
{
	anchor_fini(&an);
}

/* One BU; the BA's status (the BA itself in *ba) */
static uint8_t bu_status(const char *nai, uint16_t seq, const char *coa, const char *hnp,
			 uint16_t lifetime, const char *service, uint64_t now_ms, struct mh_msg *ba)
{
	struct bu b = bu_default(seq);

	b.nai = nai;
	b.spi = strcmp(nai, NAI2) == 0 ? SPI2 : SPI1;
	b.key = config_identity(&cfg, nai)->key; /* wherever the identity sits */
	b.coa = coa;
	b.hnp = hnp;
	b.lifetime = lifetime;
	b.service = service;
	b.bid = (uint16_t)(seq % 7 + 1);
	send_bu(&b, now_ms, ba);
	return ba->status;
}

static struct binding *bound(const char *hoa)
{
	struct in6_addr h = A(hoa);

	return bcache_find_hoa(&an.bc, &h);
}

static uint64_t host_offset(const struct in6_addr *a)
{
	uint64_t v = 0;

	for (int i = 8; i < 16; i++)
		v = v << 8 | a->s6_addr[i];
	return v;
}

/* ---- home ---- */

TestSuite(home, .fini = fini);

static struct in6_addr home_register(uint16_t seq, const char *hnp, uint64_t now_ms)
{
	struct mh_msg ba;

	cr_assert_eq(bu_status(NAI1, seq, COA1, hnp, 100, "fixed", now_ms, &ba), 0);
	cr_assert(ba.present & MH_HAS_HNP);
	cr_assert_eq(ba.lifetime, 100);
	assert_ba_auth(&ba, config_identity(&cfg, NAI1)->key, COA1);
	return ba.hnp;
}

Test(home, same_address_at_every_registration)
{
	struct in6_addr h, again, pool = A(A_POOL);
	struct mh_msg ba;
	char t[INET6_ADDRSTRLEN];

	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME), 0);
	h = home_register(1, NULL, 1000);
	cr_assert(tunnel_prefix_contains(&pool, 64, &h), "not in the pool");
	cr_assert_gt(host_offset(&h), ANCHOR_POOL_MAX, "inside the dynamic range");
	cr_assert_eq(ft.binds, 1, "tunnelled to the CoA");
	/* deregistered: the binding goes, the address stays the identity's */
	cr_assert_eq(bu_status(NAI1, 2, COA1, NULL, 0, "fixed", 2000, &ba), 0);
	cr_assert_eq(ba.lifetime, 0);
	cr_assert_eq(an.bc.count, 0);
	again = home_register(3, NULL, 3000);
	cr_assert_eq(memcmp(&h, &again, 16), 0, "another address after a deregistration");
	/* the host that knows its address may name it */
	again = home_register(4, inet_ntop(AF_INET6, &h, t, sizeof t), 4000);
	cr_assert_eq(memcmp(&h, &again, 16), 0);
	cr_assert_eq(an.bc.count, 1, "refreshed, not a second binding");
}

Test(home, same_address_after_anchor_restart_whatever_the_order)
{
	struct in6_addr h1, h2;

	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME), 0);
	h1 = home_register(1, NULL, 1000);
	anchor_fini(&an);
	/* a fresh anchor, no state, the identities the other way round */
	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME), 1);
	h2 = home_register(2, NULL, 1000);
	cr_assert_eq(memcmp(&h1, &h2, 16), 0, "home address changed across a restart");
	cr_assert_neq(memcmp(anchor_home_addr(&an, 0), anchor_home_addr(&an, 1), 16), 0,
		      "two identities share a home address");
}

Test(home, another_identitys_address_133_changes_nothing)
{
	char t[INET6_ADDRSTRLEN];
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME), 0);
	inet_ntop(AF_INET6, anchor_home_addr(&an, 1), t, sizeof t);
	cr_assert_eq(bu_status(NAI1, 1, COA1, t, 100, "fixed", 1000, &ba), MH_BA_NOT_HA_FOR_MN);
	cr_assert_eq(an.bc.count, 0);
	cr_assert_eq(ft.binds, 0);
}

Test(home, session_lasting_at_a_home_anchor_comes_from_the_dynamic_range)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME), 0);
	cr_assert_eq(bu_status(NAI1, 1, COA1, NULL, 100, "session-lasting", 1000, &ba), 0);
	assert_addr(&ba.hnp, "2001:db8:c4a::1");
	cr_assert_neq(memcmp(&ba.hnp, anchor_home_addr(&an, 0), 16), 0);
}

struct cand {
	uint64_t off;
	unsigned i;
};

static int by_off(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

Test(home, colliding_identities_lower_nai_keeps_the_first_candidate)
{
	enum { N = 300000 };
	struct in6_addr pfx = A("2001:db8:40e::"), c;
	struct cand *v = calloc(N, sizeof *v);
	char a[32], b[32];
	unsigned n = 0, found = 0;

	cr_assert_not_null(v);
	/* a /96 has 2^32 points: among 300000 names two share a first
	 * candidate (birthday bound), which the anchor must tell apart */
	for (unsigned i = 0; i < N; i++) {
		snprintf(a, sizeof a, "h%u@example.org", i);
		if (anchor_home_candidate(&pfx, 96, a, 0, NULL, &c) == 0) {
			v[n].off = host_offset(&c);
			v[n++].i = i;
		}
	}
	qsort(v, n, sizeof *v, by_off);
	for (unsigned j = 1; j < n && !found; j++)
		if (v[j].off == v[j - 1].off) {
			snprintf(a, sizeof a, "h%u@example.org", v[j - 1].i);
			snprintf(b, sizeof b, "h%u@example.org", v[j].i);
			found = 1;
		}
	free(v);
	cr_assert(found, "no collision among %u names", n);
	if (strcmp(a, b) > 0) {
		char t[32];

		memcpy(t, a, sizeof t);
		memcpy(a, b, sizeof t);
		memcpy(b, t, sizeof t);
	}
	cr_assert_eq(anchor_home_candidate(&pfx, 96, a, 0, NULL, &c), 0);
	for (int order = 0; order < 2; order++) {
		memset(&cfg, 0, sizeof cfg);
		memset(idents, 0, sizeof idents);
		cfg.modes = ODM_MODE_BIT(ODM_MODE_HOME);
		cfg.mode = ODM_MODE_HOME;
		cfg.pool = pfx;
		cfg.pool_plen = 96;
		cfg.address = A("2001:db8:40e::1");
		snprintf(idents[order].nai, sizeof idents[0].nai, "%s", a);
		snprintf(idents[!order].nai, sizeof idents[0].nai, "%s", b);
		cfg.identities = idents;
		cfg.n_identities = 2;
		cr_assert_eq(anchor_init(&an, &cfg, NULL), 0);
		cr_assert_eq(memcmp(anchor_home_addr(&an, (size_t)order), &c, 16), 0,
			     "%s (lower NAI) lost its first candidate", a);
		cr_assert_neq(memcmp(anchor_home_addr(&an, (size_t)!order), &c, 16), 0,
			      "%s shares the address", b);
		anchor_fini(&an);
	}
	memset(&an, 0, sizeof an);
}

Test(home, candidates_are_deterministic_and_skip_what_home_never_hands_out)
{
	struct in6_addr pfx = A(A_POOL), c1, c2, c3;

	cr_assert_eq(anchor_home_candidate(&pfx, 64, NAI1, 0, NULL, &c1), 0);
	cr_assert_eq(anchor_home_candidate(&pfx, 64, NAI1, 0, NULL, &c2), 0);
	cr_assert_eq(memcmp(&c1, &c2, 16), 0);
	cr_assert_eq(anchor_home_candidate(&pfx, 64, NAI1, 1, NULL, &c3), 0);
	cr_assert_neq(memcmp(&c1, &c3, 16), 0, "k does not change the candidate");
	cr_assert_eq(anchor_home_candidate(&pfx, 64, NAI1, 0, &c1, &c2), -EINVAL,
		     "the excluded address was handed out");
	cr_assert_eq(anchor_home_candidate(&pfx, 112, NAI1, 0, NULL, &c2), -EINVAL);
	cr_assert_eq(anchor_home_candidate(&pfx, 64, NAI2, 0, NULL, &c2), 0);
	cr_assert_neq(memcmp(&c1, &c2, 16), 0, "the NAI does not change the candidate");
	memset(&an, 0, sizeof an);
}

Test(home, an_identitys_address_does_not_depend_on_the_others)
{
	struct in6_addr both;

	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME), 0);
	both = *anchor_home_addr(&an, 1); /* NAI2, next to NAI1 */
	anchor_fini(&an);
	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME), 1);
	cfg.n_identities = 1;     /* NAI2 alone (at index 0) */
	anchor_fini(&an);
	cr_assert_eq(anchor_init(&an, &cfg, &tun), 0);
	cr_assert_eq(memcmp(anchor_home_addr(&an, 0), &both, 16), 0,
		     "adding an identity moved another's home address");
}

/* ---- access ---- */

TestSuite(access, .fini = fini);

/* NAI1 claims X1 from the link at now_ms */
static void claim(uint16_t seq, const char *service, uint64_t now_ms)
{
	struct mh_msg ba;

	cr_assert_eq(bu_status(NAI1, seq, X1, X1, 100, service, now_ms, &ba), 0,
		     "claim: %u", ba.status);
	assert_addr(&ba.hnp, X1);
	assert_ba_auth(&ba, idents[0].key, X1);
}

Test(access, claimed_on_link_tunnelled_after_a_move_native_on_return)
{
	struct mh_msg ba;
	struct in6_addr x = A(X1), coa2 = A(COA2);

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, NULL, 1000);
	cr_assert_not_null(bound(X1));
	cr_assert_eq(ft.binds + routes_added, 0, "a host on its link needs no tunnel");
	/* moved: the old address follows it */
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, "session-lasting", 2000, &ba), 0);
	cr_assert_eq(ba.lifetime, 100);
	cr_assert_eq(ft.binds, 1);
	cr_assert_eq(memcmp(&ft.inner, &x, 16), 0);
	cr_assert_eq(memcmp(&ft.remote, &coa2, 16), 0);
	cr_assert_eq(routes_added, 1, "no /128 route into the tunnel");
	cr_assert_eq(memcmp(&route_last, &x, 16), 0);
	cr_assert_eq(memcmp(&bound(X1)->coa, &coa2, 16), 0);
	/* back on the link (RFC 6275 §11.5.4): native again, claim kept */
	cr_assert_eq(bu_status(NAI1, 3, X1, X1, 100, NULL, 3000, &ba), 0);
	cr_assert_eq(ba.lifetime, 100);
	cr_assert_eq(ft.unbinds, 1, "tunnel entry left behind");
	cr_assert_eq(routes_deleted, 1, "route left behind");
	cr_assert_not_null(bound(X1), "the claim must outlive the return");
	/* the last socket closed */
	cr_assert_eq(bu_status(NAI1, 4, X1, X1, 0, NULL, 4000, &ba), 0);
	cr_assert_eq(ba.lifetime, 0);
	cr_assert_null(bound(X1));
}

Test(access, deregistration_while_away_ends_the_tunnel)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, NULL, 1000);
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, NULL, 2000, &ba), 0);
	cr_assert_eq(bu_status(NAI1, 3, COA2, X1, 0, NULL, 3000, &ba), 0);
	cr_assert_null(bound(X1));
	cr_assert_eq(ft.unbinds, 1);
	cr_assert_eq(routes_deleted, 1);
}

Test(access, address_outside_its_prefixes_132)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	cr_assert_eq(bu_status(NAI1, 1, OFF_LINK, OFF_LINK, 100, NULL, 1000, &ba),
		     MH_BA_NOT_HOME_SUBNET);
	cr_assert_eq(bu_status(NAI1, 2, COA1, NULL, 100, NULL, 1000, &ba), MH_BA_NOT_HOME_SUBNET,
		     "an access anchor has nothing to allocate");
	cr_assert_eq(an.bc.count, 0);
}

Test(access, another_identity_never_takes_a_claimed_address)
{
	struct mh_msg ba;
	struct snap before, after;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, NULL, 1000);
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, NULL, 2000, &ba), 0);
	before = take();
	/* from the link, as if it had the address too, and from elsewhere */
	cr_assert_eq(bu_status(NAI2, 10, X1, X1, 100, NULL, 3000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP);
	assert_ba_auth(&ba, idents[1].key, X1);
	cr_assert_eq(bu_status(NAI2, 11, COA1, X1, 100, NULL, 3000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP);
	cr_assert_eq(bu_status(NAI2, 12, COA1, X1, 0, NULL, 3000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP, "another identity deregistered it");
	after = take();
	assert_same(&before, &after);
}

Test(access, unclaimed_address_from_off_the_link_155)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	cr_assert_eq(bu_status(NAI1, 1, COA2, X2, 100, NULL, 1000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP);
	cr_assert_eq(an.bc.count, 0);
	cr_assert_eq(ft.binds + routes_added, 0);
}

/* The BU's source is anyone's to forge: one from the address, arriving on
 * another interface than the address's link (across the core, out of the
 * tunnel), claims nothing, nor brings a binding home, nor lifts its grace
 * period; its holder may still end it from anywhere */
static int link_if = 7;
static int fake_from_link(const struct anchor *a, const struct in6_addr *src)
{
	(void)src;
	return a->rx_ifindex == link_if;
}

Test(access, a_claim_from_off_the_address_link_155)
{
	struct mh_msg ba;
	struct snap before, after;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	an.from_link = fake_from_link;
	an.rx_ifindex = 3; /* the core side */
	cr_assert_eq(bu_status(NAI2, 1, X1, X1, 100, NULL, 1000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP, "another subscriber's forged claim");
	cr_assert_eq(bu_status(NAI1, 2, X1, X1, 100, NULL, 1000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP, "nor the holder's own, from there");
	cr_assert_eq(an.bc.count, 0);
	an.rx_ifindex = link_if;
	claim(3, "graceful-replacement", 1000);
	cr_assert_eq(bu_status(NAI1, 4, COA2, X1, 100, "graceful-replacement", 2000, &ba), 0,
		     "a move: from anywhere");
	cr_assert_neq(bound(X1)->deadline_ms, 0);
	before = take();
	an.rx_ifindex = 3;
	cr_assert_eq(bu_status(NAI1, 5, X1, X1, 100, "graceful-replacement", 3000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP, "a return forged from off the link");
	after = take();
	assert_same(&before, &after);
	cr_assert_neq(bound(X1)->deadline_ms, 0, "the grace period goes on");
	cr_assert_eq(bu_status(NAI1, 6, X1, X1, 0, NULL, 3000, &ba), 0,
		     "its holder ends it from anywhere");
	cr_assert_null(bound(X1));
}

Test(access, the_routers_own_address_129)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	cr_assert_eq(bu_status(NAI1, 1, COA2, AR_ADDR, 100, NULL, 1000, &ba), MH_BA_PROHIBITED);
	cr_assert_eq(an.bc.count, 0);
}

Test(access, graceful_replacement_released_at_its_deadline)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, "graceful-replacement", 1000);
	/* on the link there is no deadline */
	cr_assert_eq(bound(X1)->deadline_ms, 0);
	cr_assert_eq(bound(X1)->expires_ms, 1000 + 400000);
	/* the move starts the 20-s grace period: 400 s asked, 20 s granted */
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, "graceful-replacement", 5000, &ba), 0);
	cr_assert_eq(ba.lifetime, 5);
	cr_assert_eq(bound(X1)->deadline_ms, 25000);
	cr_assert_eq(bound(X1)->expires_ms, 25000);
	/* a refresh does not push the deadline */
	cr_assert_eq(bu_status(NAI1, 3, COA2, X1, 100, "graceful-replacement", 15000, &ba), 0);
	cr_assert_eq(ba.lifetime, 3, "10 s left, rounded up to 3 units");
	cr_assert_eq(bound(X1)->expires_ms, 25000);
	cr_assert_eq(anchor_next_expiry(&an), 25000);
	cr_assert_eq(anchor_expire(&an, 24999), 0);
	cr_assert_eq(anchor_expire(&an, 25000), 1);
	cr_assert_null(bound(X1));
	cr_assert_eq(ft.unbinds, 1);
	cr_assert_eq(routes_deleted, 1);
	/* and the host cannot have it back from off the link */
	cr_assert_eq(bu_status(NAI1, 4, COA2, X1, 100, "graceful-replacement", 26000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP);
}

/* The BA tells a lifetime in units of 4 s, and the host takes its end for
 * the deadline: a grace period that is not a multiple of 4 s runs to the
 * end of the units it is told in (rounded up), not before it */
Test(access, graceful_deadline_is_the_end_of_the_lifetime_told)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	cfg.grace_period = 10;
	claim(1, "graceful-replacement", 1000);
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, "graceful-replacement", 5000, &ba), 0);
	cr_assert_eq(ba.lifetime, 3, "10 s, in units of 4 s rounded up");
	cr_assert_eq(bound(X1)->deadline_ms, 5000 + 12000);
	cr_assert_eq(anchor_expire(&an, 5000 + 11999), 0, "kept for the 12 s told");
	cr_assert_not_null(bound(X1));
	/* a refresh is told what is left, and ends no earlier */
	cr_assert_eq(bu_status(NAI1, 3, COA2, X1, 100, "graceful-replacement", 13000, &ba), 0);
	cr_assert_eq(ba.lifetime, 1);
	cr_assert_eq(bound(X1)->expires_ms, 17000);
	cr_assert_eq(anchor_expire(&an, 17000), 1, "and released at its end");
}

/* A grace period longer than max-lifetime: the host takes the end of the
 * first BA after the move for the deadline, so that BA tells the whole
 * grace period (the host asks for the longest lifetime) rather than
 * max-lifetime, which would end the claim early; a refresh is told what is
 * left of it, and one asking for less gets what it asked for */
Test(access, graceful_deadline_is_told_past_max_lifetime)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	cfg.grace_period = 1200; /* max-lifetime 600 */
	claim(1, "graceful-replacement", 1000);
	cr_assert_eq(bound(X1)->expires_ms, 1000 + 400000, "on the link max-lifetime caps");
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, UINT16_MAX, "graceful-replacement", 5000, &ba), 0);
	cr_assert_eq(ba.lifetime, 300, "the grace period told: %u units", ba.lifetime);
	cr_assert_eq(bound(X1)->deadline_ms, 5000 + 1200000);
	cr_assert_eq(bound(X1)->expires_ms, 5000 + 1200000);
	cr_assert_eq(bu_status(NAI1, 3, COA2, X1, UINT16_MAX, "graceful-replacement", 605000, &ba),
		     0);
	cr_assert_eq(ba.lifetime, 150, "what is left of it");
	cr_assert_eq(bound(X1)->expires_ms, 5000 + 1200000);
	cr_assert_eq(bu_status(NAI1, 4, COA2, X1, 10, "graceful-replacement", 705000, &ba), 0);
	cr_assert_eq(ba.lifetime, 10, "no more than asked");
	cr_assert_eq(bound(X1)->expires_ms, 705000 + 40000);
	cr_assert_eq(bound(X1)->deadline_ms, 5000 + 1200000);
}

/* A move the tunnel refuses (130) starts no grace period: the binding
 * stays as it was, and the move the tunnel takes later starts it then */
Test(access, graceful_move_the_tunnel_refuses_changes_nothing)
{
	struct mh_msg ba;
	struct snap s, s2;
	char line[4096];
	size_t n;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, "graceful-replacement", 1000);
	s = take();
	ft.fail_bind = 1;
	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, "graceful-replacement", 5000, &ba),
		     MH_BA_INSUFFICIENT_RESOURCES);
	fflush(stderr);
	n = fread(line, 1, sizeof line - 1, cr_get_redirected_stderr());
	line[n] = '\0';
	cr_assert(strstr(line, "tunnel for identity " NAI1 " failed"), "names the NAI: %s", line);
	s2 = take();
	assert_same(&s, &s2);
	cr_assert_eq(bound(X1)->deadline_ms, 0, "no grace period began");
	ft.fail_bind = 0;
	cr_assert_eq(bu_status(NAI1, 3, COA2, X1, 100, "graceful-replacement", 9000, &ba), 0);
	cr_assert_eq(bound(X1)->deadline_ms, 29000);
	cr_assert_eq(bound(X1)->expires_ms, 29000);
}

Test(access, graceful_deadline_holds_before_the_timer_runs)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, "graceful-replacement", 1000);
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, "graceful-replacement", 5000, &ba), 0);
	/* no anchor_expire() call in between */
	cr_assert_eq(bu_status(NAI1, 3, COA2, X1, 100, "graceful-replacement", 25001, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP);
	cr_assert_null(bound(X1));
}

Test(access, return_ends_the_grace_period_and_a_new_move_starts_another)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, "graceful-replacement", 1000);
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, "graceful-replacement", 5000, &ba), 0);
	cr_assert_eq(bu_status(NAI1, 3, X1, X1, 100, "graceful-replacement", 10000, &ba), 0);
	cr_assert_eq(bound(X1)->deadline_ms, 0);
	cr_assert_eq(ba.lifetime, 100);
	cr_assert_eq(bu_status(NAI1, 4, COA1, X1, 100, "graceful-replacement", 30000, &ba), 0);
	cr_assert_eq(bound(X1)->deadline_ms, 50000);
}

Test(access, the_type_of_a_claim_cannot_change_139)
{
	struct mh_msg ba;
	struct snap before, after;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, "graceful-replacement", 1000);
	before = take();
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, "session-lasting", 2000, &ba),
		     MH_BA_REG_TYPE_CHANGE);
	after = take();
	/* the identity's last sequence number moved on: compare the rest */
	cr_assert_eq(before.count, after.count);
	cr_assert_eq(before.binds, after.binds);
	cr_assert_eq(memcmp(before.b, after.b, sizeof before.b), 0);
}

/* From the link the host may turn its claim Session-lasting (another socket
 * of that type shares it): no grace period runs after the next move. */
Test(access, the_type_of_a_claim_changes_from_the_link)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, "graceful-replacement", 1000);
	cr_assert(bound(X1)->graceful);
	cr_assert_eq(bu_status(NAI1, 2, X1, X1, 100, "session-lasting", 2000, &ba), 0);
	cr_assert_not(bound(X1)->graceful);
	cr_assert_eq(bu_status(NAI1, 3, COA2, X1, 100, "session-lasting", 5000, &ba), 0);
	cr_assert_eq(ba.lifetime, 100, "no grace period caps it");
	cr_assert_eq(bound(X1)->deadline_ms, 0);
}

/* ---- which mode a BU is for ---- */

TestSuite(modes, .fini = fini);

Test(modes, service_selection_no_mode_provides_151)
{
	struct mh_msg ba;
	static const char *const refused[] = { "non-persistent", "bogus", "fixed",
					       "graceful-replacement" };

	setup_modes(ODM_MODE_BIT(ODM_MODE_CHA), 0);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(bu_status(NAI1, (uint16_t)(i + 1), COA1, NULL, 100, refused[i], 1000,
				       &ba), MH_BA_SERVICE_AUTH_FAILED, "%s", refused[i]);
	cr_assert_eq(an.bc.count, 0);
	cr_assert_eq(bu_status(NAI1, 9, COA1, NULL, 100, "session-lasting", 1000, &ba), 0);
}

Test(modes, one_anchor_serving_all_three)
{
	struct mh_msg ba;
	struct in6_addr home;

	setup_modes(ODM_MODE_BIT(ODM_MODE_CHA) | ODM_MODE_BIT(ODM_MODE_HOME) |
		    ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	cr_assert_eq(bu_status(NAI1, 1, COA1, NULL, 100, "fixed", 1000, &ba), 0);
	home = ba.hnp;
	cr_assert_eq(memcmp(&home, anchor_home_addr(&an, 0), 16), 0);
	cr_assert_eq(bu_status(NAI1, 2, COA1, NULL, 100, NULL, 1000, &ba), 0);
	assert_addr(&ba.hnp, "2001:db8:c4a::1"); /* cha: the anchor sits in the access prefix */
	claim(3, NULL, 1000);
	cr_assert_eq(an.bc.count, 3);
	cr_assert_eq(bound(X1)->mode, ODM_MODE_ACCESS);
	cr_assert_eq(bcache_find_hoa(&an.bc, &home)->mode, ODM_MODE_HOME);
	cr_assert_eq(bu_status(NAI1, 4, COA1, NULL, 100, "graceful-replacement", 1000, &ba),
		     MH_BA_NOT_HOME_SUBNET, "graceful outside the access prefixes");
}

/* A Session-lasting BU by BID (no home address) whose BID holds another
 * mode's binding on the same anchor (an access claim) neither ends nor
 * refreshes it: a deregistration by BID ends only what that BID holds in
 * the BU's mode */
Test(modes, a_cha_deregistration_by_bid_leaves_another_modes_binding)
{
	struct mh_msg ba;

	setup_modes(ODM_MODE_BIT(ODM_MODE_CHA) | ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(3, NULL, 1000); /* sequence numbers 3, 10 and 17 carry BID 4 (bu_status) */
	cr_assert_eq(bound(X1)->mode, ODM_MODE_ACCESS);
	cr_assert_eq(bu_status(NAI1, 10, COA1, NULL, 0, "session-lasting", 2000, &ba),
		     MH_BA_NOT_HA_FOR_MN);
	cr_assert_not_null(bound(X1), "the claim stays");
	cr_assert_eq(bu_status(NAI1, 17, COA1, NULL, 100, "session-lasting", 3000, &ba),
		     MH_BA_NOT_HA_FOR_MN, "nor is it refreshed as a CHA binding");
	cr_assert_eq(bound(X1)->mode, ODM_MODE_ACCESS);
	cr_assert_eq(an.bc.count, 1);
}

/* The Service Selection option (RFC 5149 §3) in the codec */
Test(modes, service_selection_option_codec)
{
	struct mh_msg m, d;
	uint8_t buf[MH_MAX_LEN];
	static const uint8_t empty[16] = { 59, 1, 5, 0, 0, 0, 0, 1, 0, 0, 0, 0,
					   MH_OPT_SERVICE, 0, MH_OPT_PADN, 0 };
	int n;

	memset(&m, 0, sizeof m);
	m.type = MH_TYPE_BU;
	m.seq = 7;
	m.present = MH_HAS_SERVICE;
	m.service_len = 20;
	memcpy(m.service, "graceful-replacement", 20);
	n = mh_encode(&m, buf, sizeof buf, NULL, NULL, NULL, NULL, NULL);
	cr_assert_gt(n, 0, "%s", mh_strerror(n));
	cr_assert_eq(mh_decode(buf, (size_t)n, &d, NULL, NULL), 0);
	cr_assert(d.present & MH_HAS_SERVICE);
	cr_assert_eq(d.service_len, 20);
	cr_assert_eq(memcmp(d.service, "graceful-replacement", 20), 0);
	/* an empty identifier is no service: refused both ways */
	m.service_len = 0;
	cr_assert_eq(mh_encode(&m, buf, sizeof buf, NULL, NULL, NULL, NULL, NULL), MH_E_INVAL);
	cr_assert_eq(mh_decode(empty, sizeof empty, &d, NULL, NULL), MH_E_OPT_LEN);
	memset(&an, 0, sizeof an);
}

/* An anchor restarted with its state: each binding back in its mode, the
 * tunnelled ones tunnelled and routed again */
Test(modes, restart_restores_each_binding_in_its_mode)
{
	struct state_anchor st;
	struct in6_addr home, coa2 = A(COA2);
	struct mh_msg ba;
	const int64_t wall = 1700000000000;

	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME) | ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, NULL, 1000);
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, NULL, 2000, &ba), 0);
	cr_assert_eq(bu_status(NAI1, 3, COA1, NULL, 100, "fixed", 2000, &ba), 0);
	home = ba.hnp;
	cr_assert_eq(anchor_state_snapshot(&an, wall, 3000, &st), 0);
	anchor_fini(&an);
	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME) | ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	cr_assert_eq(anchor_state_restore(&an, &st, wall + 1000, 500), 2);
	state_anchor_free(&st);
	cr_assert_eq(bound(X1)->mode, ODM_MODE_ACCESS);
	cr_assert_eq(memcmp(&bound(X1)->coa, &coa2, 16), 0);
	cr_assert_eq(bcache_find_hoa(&an.bc, &home)->mode, ODM_MODE_HOME);
	cr_assert_eq(ft.binds, 2, "both tunnelled again");
	cr_assert_eq(routes_added, 1, "the access address routed again");
	/* and the claim is still the host's alone */
	cr_assert_eq(bu_status(NAI2, 10, COA1, X1, 100, NULL, 1000, &ba),
		     MH_BA_NOT_AUTHORIZED_FOR_HNP);
}

/* max-bindings counts a home binding like any other: an identity that holds
 * its quota already is refused a new one (130, nothing changes), so the
 * anchor never holds more than a restart takes back (the restore counts
 * every mode's bindings against it, in the state file's order) */
Test(modes, a_home_binding_counts_against_max_bindings)
{
	struct state_anchor st;
	struct mh_msg ba;
	const int64_t wall = 1700000000000;
	size_t held;

	setup_modes(ODM_MODE_BIT(ODM_MODE_CHA) | ODM_MODE_BIT(ODM_MODE_HOME), 0);
	cfg.max_bindings = 1;
	cr_assert_eq(bu_status(NAI1, 1, COA1, NULL, 100, "session-lasting", 1000, &ba), 0);
	cr_assert_eq(bu_status(NAI1, 2, COA1, NULL, 100, "fixed", 1000, &ba),
		     MH_BA_INSUFFICIENT_RESOURCES, "over the quota");
	held = an.bc.count;
	cr_assert_eq(held, 1);
	cr_assert_eq(an.ids[0].nbindings, 1);
	cr_assert_eq(anchor_state_snapshot(&an, wall, 2000, &st), 0);
	anchor_fini(&an);
	setup_modes(ODM_MODE_BIT(ODM_MODE_CHA) | ODM_MODE_BIT(ODM_MODE_HOME), 0);
	cfg.max_bindings = 1;
	cr_assert_eq(anchor_state_restore(&an, &st, wall + 1000, 500), (int)held,
		     "a restart takes back all the anchor held");
	state_anchor_free(&st);
	/* the quota's room again: the home binding is made */
	cr_assert_eq(bu_status(NAI1, 8, COA1, NULL, 0, "session-lasting", 3000, &ba), 0);
	cr_assert_eq(an.bc.count, 0);
	cr_assert_eq(bu_status(NAI1, 10, COA1, NULL, 100, "fixed", 3000, &ba), 0);
	cr_assert_eq(an.bc.count, 1);
}

/* SIGHUP with the identities in another order: the home binding stays,
 * its address is still its identity's */
Test(home, reload_keeps_home_bindings_and_addresses)
{
	struct odm_identity old[2], swapped[2];
	struct in6_addr h;

	setup_modes(ODM_MODE_BIT(ODM_MODE_HOME), 0);
	h = home_register(1, NULL, 1000);
	memcpy(old, idents, sizeof old);
	swapped[0] = idents[1];
	swapped[1] = idents[0];
	memcpy(idents, swapped, sizeof idents); /* the new file, as config_reload swaps it */
	cr_assert_eq(anchor_state_rekey(&an, old, 2), 0, "a binding ended");
	cr_assert_eq(an.bc.count, 1);
	cr_assert_eq(memcmp(anchor_home_addr(&an, 1), &h, 16), 0, "NAI1's address moved");
	cr_assert_eq(bcache_find_hoa(&an.bc, &h)->ident, 1);
	/* NAI1 gone from the file: its binding goes with it */
	cfg.n_identities = 1; /* only NAI2 (index 0) left */
	memcpy(old, idents, sizeof old);
	cr_assert_eq(anchor_state_rekey(&an, old, 2), 1);
	cr_assert_eq(an.bc.count, 0);
}

/* Graceful-replacement survives a restart: same type, same deadline */
Test(access, restart_keeps_the_grace_period)
{
	struct state_anchor st;
	struct mh_msg ba;
	const int64_t wall = 1700000000000;
	char *text;
	char err[128];

	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	claim(1, "graceful-replacement", 1000);
	cr_assert_eq(bu_status(NAI1, 2, COA2, X1, 100, "graceful-replacement", 5000, &ba), 0);
	cr_assert_eq(bound(X1)->deadline_ms, 25000);
	/* saved at monotonic 6000, through the text of the state file */
	cr_assert_eq(anchor_state_snapshot(&an, wall, 6000, &st), 0);
	text = state_anchor_encode(&st);
	state_anchor_free(&st);
	cr_assert_not_null(text);
	cr_assert_eq(state_anchor_decode(text, strlen(text), &st, err, sizeof err), 0, "%s", err);
	free(text);
	anchor_fini(&an);
	/* back 1 s later (wall), monotonic clock restarted at 500 */
	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	/* as if the file said it expires after its deadline: the deadline wins */
	st.bindings[0].expires_ms += 5000;
	cr_assert_eq(anchor_state_restore(&an, &st, wall + 1000, 500), 1);
	state_anchor_free(&st);
	cr_assert_eq(bound(X1)->graceful, 1);
	cr_assert_eq(bound(X1)->deadline_ms, 500 + 19000 - 1000);
	cr_assert_eq(bound(X1)->expires_ms, 18500);
	/* the host's refresh is still graceful, and still capped */
	cr_assert_eq(bu_status(NAI1, 3, COA2, X1, 100, "graceful-replacement", 10500, &ba), 0);
	cr_assert_eq(ba.lifetime, 2, "8 s left: 2 units");
	cr_assert_eq(bound(X1)->expires_ms, 18500);
}

/* The state file's optional binding keys are as strict as the others */
Test(access, state_grace_keys_are_strict)
{
	static const char *const bad[] = {
		"\"graceful\":false",
		"\"deadline\":1700000000000",
		"\"graceful\":true,\"deadline\":0",
		"\"graceful\":true,\"deadline\":\"1\"",
		"\"graceful\":1",
	};
	char text[512], err[128];
	struct state_anchor st;

	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text,
			 "{\"version\":1,\"role\":\"anchor\",\"pool\":\"::/0\",\"identities\":[],"
			 "\"bindings\":[{\"hoa\":\"" X1 "\",\"coa\":\"" COA2 "\",\"nai\":\"" NAI1
			 "\",\"bid\":1,\"seq\":1,\"lifetime\":5,\"expires\":1700000000000,%s}]}",
			 bad[i]);
		cr_assert_eq(state_anchor_decode(text, strlen(text), &st, err, sizeof err), -EINVAL,
			     "accepted %s", bad[i]);
	}
	snprintf(text, sizeof text,
		 "{\"version\":1,\"role\":\"anchor\",\"pool\":\"::/0\",\"identities\":[],"
		 "\"bindings\":[{\"hoa\":\"" X1 "\",\"coa\":\"" COA2 "\",\"nai\":\"" NAI1
		 "\",\"bid\":1,\"seq\":1,\"lifetime\":5,\"expires\":1700000000000,"
		 "\"graceful\":true,\"deadline\":1700000000001}]}");
	cr_assert_eq(state_anchor_decode(text, strlen(text), &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(st.bindings[0].graceful, 1);
	cr_assert_eq(st.bindings[0].deadline_ms, 1700000000001);
	state_anchor_free(&st);
	memset(&an, 0, sizeof an);
}

/* A host holding a key may send refused claims as fast as it can: each
 * one's own line (off its link, another identity's address) is held to
 * the identity's lines (ANCHOR_BU_LOG_BURST at once, ANCHOR_BU_LOG_RATE a
 * second), as its BU line is, not written once per BU. */
Test(access, a_flood_of_refused_claims_is_said_at_a_bounded_rate)
{
	static char buf[1 << 20];
	const char *off = "claims " X1 " from off its link: refused";
	const char *held = "asks for " X1 ", which another identity holds: refused";
	struct mh_msg ba;
	int n_off = 0, n_held = 0;
	size_t n;

	cr_redirect_stderr();
	odm_log_init("t", ODM_LOG_INFO, 0);
	setup_modes(ODM_MODE_BIT(ODM_MODE_ACCESS), 0);
	an.from_link = fake_from_link;
	an.rx_ifindex = 3; /* the core side */
	/* 300 BUs in 75 ms (seq stays below 700: bu_default's timestamp
	 * is seq * 10 ms ahead, ANCHOR_REPLAY_WINDOW_MS at most) */
	for (uint16_t seq = 1; seq <= 300; seq++)
		cr_assert_eq(bu_status(NAI2, seq, X1, X1, 100, NULL, 1000 + seq / 4, &ba),
			     MH_BA_NOT_AUTHORIZED_FOR_HNP, "seq %u answered %u", seq, ba.status);
	/* NAI1 holds X1 (from its link); NAI2 asks for it from elsewhere */
	an.rx_ifindex = link_if;
	claim(1, NULL, 2000);
	for (uint16_t seq = 301; seq <= 600; seq++)
		cr_assert_eq(bu_status(NAI2, seq, COA2, X1, 100, NULL, 2000 + seq / 4, &ba),
			     MH_BA_NOT_AUTHORIZED_FOR_HNP, "seq %u answered %u", seq, ba.status);
	fflush(stderr);
	n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	for (const char *p = buf; (p = strstr(p, off)); p++)
		n_off++;
	for (const char *p = buf; (p = strstr(p, held)); p++)
		n_held++;
	cr_assert_leq(n_off, ANCHOR_BU_LOG_BURST, "%d lines at info level for 300 BUs", n_off);
	/* a second later: the bucket was spent, a second refilled it */
	cr_assert_leq(n_held, ANCHOR_BU_LOG_RATE * 2, "%d lines at info level for 300 more BUs",
		      n_held);
}
