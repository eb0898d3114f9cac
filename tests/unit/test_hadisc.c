/* SPDX-License-Identifier: MIT */
/*
 * test_hadisc.c — home anchor discovery without the network: Router
 * Advertisements as bytes on the wire (odmagent/raopt.c) and the choice
 * among configured, DNS and RA candidates (odmagent/hadisc.c).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hadisc.h"
#include "raopt.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1, "%s", s);
	return a;
}

static struct in6_addr LL;

static void init(void)
{
	LL = A("fe80::1");
}

TestSuite(raopt, .init = init);

/* An RA as radvd sends it with AdvHomeAgentFlag, AdvHomeAgentInfo
 * (preference 10, lifetime 1800), a prefix with AdvRouterAddr, RDNSS and
 * DNSSL example.test. Built by hand from RFC 4861 §4.2, RFC 6275 §7. */
static const uint8_t RA[] = {
	134, 0, 0, 0, 64, 0x20, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0,
	/* Prefix Information: /64, flags L A R, valid 300, preferred 120 */
	3, 4, 64, 0xe0, 0, 0, 1, 44, 0, 0, 0, 120, 0, 0, 0, 0,
	0x20, 0x01, 0x0d, 0xb8, 0, 0xa1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	/* Home Agent Information: preference 10, lifetime 1800 */
	8, 1, 0, 0, 0, 10, 0x07, 0x08,
	/* RDNSS (skipped) */
	25, 3, 0, 0, 0, 0, 5, 20, 0x20, 0x01, 0x0d, 0xb8, 0, 0x53, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	/* DNSSL: lifetime 1300, "example.test", padded to 24 bytes */
	31, 3, 0, 0, 0, 0, 5, 20, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 0,
};

Test(raopt, an_ra_of_a_home_agent)
{
	struct ra_info ra;

	cr_assert_eq(ra_parse(RA, sizeof(RA), 255, &LL, &ra), 0);
	cr_assert(ra.home_agent);
	cr_assert_eq(ra.router_lifetime, 30);
	cr_assert(ra.has_ha_info);
	cr_assert_eq(ra.ha_preference, 10);
	cr_assert_eq(ra.ha_lifetime, 1800);
	cr_assert_eq(ra.n_router_addrs, 1);
	{
		struct in6_addr want = A("2001:db8:a1::1");

		cr_assert_eq(memcmp(&ra.router_addrs[0], &want, 16), 0);
	}
	cr_assert_eq(ra.n_domains, 1);
	cr_assert_str_eq(ra.domains[0], "example.test");
	cr_assert_eq(ra.dnssl_lifetime, 1300);
	cr_assert_eq(ra.bad_options, 0);
}

Test(raopt, refused_whole)
{
	struct ra_info ra;
	struct in6_addr global = A("2001:db8:a1::1");
	uint8_t m[sizeof(RA)];

	cr_assert_eq(ra_parse(RA, sizeof(RA), 254, &LL, &ra), -EINVAL, "hop limit 254");
	cr_assert_eq(ra_parse(RA, sizeof(RA), 255, &global, &ra), -EINVAL, "global source");
	cr_assert_eq(ra_parse(RA, 15, 255, &LL, &ra), -EINVAL, "short");
	cr_assert_eq(ra_parse(RA, sizeof(RA) - 1, 255, &LL, &ra), -EINVAL, "option past the end");
	memcpy(m, RA, sizeof(m));
	m[1] = 1;
	cr_assert_eq(ra_parse(m, sizeof(m), 255, &LL, &ra), -EINVAL, "code 1");
	memcpy(m, RA, sizeof(m));
	m[16 + 1] = 0;
	cr_assert_eq(ra_parse(m, sizeof(m), 255, &LL, &ra), -EINVAL, "option length 0");
	memcpy(m, RA, sizeof(m));
	m[48 + 1] = 2; /* HA info claims 16 bytes: the RDNSS becomes its tail */
	cr_assert_eq(ra_parse(m, sizeof(m), 255, &LL, &ra), -EINVAL, "HA info of 16 bytes");
}

Test(raopt, a_bad_dnssl_is_ignored_alone)
{
	struct ra_info ra;
	uint8_t m[sizeof(RA)];
	size_t dnssl = sizeof(RA) - 24;

	memcpy(m, RA, sizeof(m));
	m[dnssl + 8] = 0xc0; /* a compression pointer: not allowed (RFC 8106 §5.2) */
	cr_assert_eq(ra_parse(m, sizeof(m), 255, &LL, &ra), 0);
	cr_assert_eq(ra.n_domains, 0);
	cr_assert_eq(ra.bad_options, 1);
	cr_assert(ra.has_ha_info, "the rest of the RA was lost");
	memcpy(m, RA, sizeof(m));
	m[dnssl + 10] = '/';
	cr_assert_eq(ra_parse(m, sizeof(m), 255, &LL, &ra), 0);
	cr_assert_eq(ra.n_domains, 0);
	memcpy(m, RA, sizeof(m));
	m[sizeof(m) - 1] = 1; /* padding that is not zero */
	cr_assert_eq(ra_parse(m, sizeof(m), 255, &LL, &ra), 0);
	cr_assert_eq(ra.bad_options, 1);
}

Test(raopt, a_router_without_the_h_flag)
{
	struct ra_info ra;
	uint8_t m[sizeof(RA)];

	memcpy(m, RA, sizeof(m));
	m[5] = 0;
	cr_assert_eq(ra_parse(m, sizeof(m), 255, &LL, &ra), 0);
	cr_assert_not(ra.home_agent);
}

static struct ra_info ra_of(const char *router, int pref, uint16_t lifetime, int h)
{
	struct ra_info ra = { .home_agent = h, .has_ha_info = 1, .ha_preference = (int16_t)pref,
			      .ha_lifetime = lifetime, .n_router_addrs = 1 };

	ra.router_addrs[0] = A(router);
	return ra;
}

Test(hadisc, configuration_then_dns_then_routers)
{
	struct hadisc h;
	struct in6_addr cfg = A("2001:db8:40::10");
	struct hadisc_srv srv = { A("2001:db8:40::11"), 0, 0, 30 };
	struct ra_info ra = ra_of("2001:db8:a1::1", 10, 1800, 1);
	const struct hadisc_cand *c;

	hadisc_init(&h, NULL, 1);
	cr_assert_null(hadisc_choose(&h, 1000, NULL, NULL, NULL));
	hadisc_from_ra(&h, &ra, "eth1", 1000);
	c = hadisc_choose(&h, 1000, NULL, NULL, NULL);
	cr_assert_eq(c->src, HADISC_RA);
	cr_assert_str_eq(c->origin, "router on eth1");
	hadisc_from_dns(&h, "example.test", &srv, 1, 1000);
	c = hadisc_choose(&h, 1000, NULL, NULL, NULL);
	cr_assert_eq(c->src, HADISC_DNS, "DNS comes before routers");
	cr_assert_str_eq(c->origin, "_mip6._ipv6.example.test");
	/* the SRV record's TTL runs out: back to the router */
	c = hadisc_choose(&h, 31000, NULL, NULL, NULL);
	cr_assert_eq(c->src, HADISC_RA);
	/* and the router's lifetime */
	cr_assert_null(hadisc_choose(&h, 1000 + 1800 * 1000, NULL, NULL, NULL));

	hadisc_init(&h, &cfg, 1);
	hadisc_from_dns(&h, "example.test", &srv, 1, 1000);
	c = hadisc_choose(&h, 1000, NULL, NULL, NULL);
	cr_assert_eq(c->src, HADISC_CONFIG, "the configuration comes first");
	cr_assert_eq(memcmp(&c->addr, &cfg, 16), 0);
	cr_assert_not_null(hadisc_choose(&h, UINT64_MAX / 2, NULL, NULL, NULL), "a configured anchor expired");

	hadisc_init(&h, NULL, 0);
	hadisc_from_ra(&h, &ra, "eth1", 1000);
	hadisc_from_dns(&h, "example.test", &srv, 1, 1000);
	cr_assert_null(hadisc_choose(&h, 1000, NULL, NULL, NULL), "home-discovery off still discovered");
}

Test(hadisc, dns_answers_that_can_be_no_anchor_are_passed_over)
{
	struct hadisc h;
	struct hadisc_srv srv[6] = {
		{ A("::1"), 0, 0, 60 },        { A("ff02::2"), 0, 0, 60 },
		{ A("fe80::1"), 0, 0, 60 },    { A("::ffff:198.18.40.10"), 0, 0, 60 },
		{ A("::"), 0, 0, 60 },         { A("2001:db8:40::10"), 1, 0, 60 },
	};
	const struct hadisc_cand *c;

	hadisc_init(&h, NULL, 1);
	cr_assert_eq(hadisc_from_dns(&h, "example.test", srv, 5, 1000), 5, "each one counted");
	cr_assert_null(hadisc_choose(&h, 1000, NULL, NULL, NULL), "a home anchor at ::1 and the like");
	cr_assert_eq(hadisc_from_dns(&h, "example.test", srv, 6, 1000), 5);
	c = hadisc_choose(&h, 1000, NULL, NULL, NULL);
	cr_assert_not_null(c);
	cr_assert_eq(memcmp(&c->addr, &srv[5].addr, 16), 0,
		     "the one that can be an anchor, though ranked after the others");
}

Test(hadisc, orders_within_a_source)
{
	struct hadisc h;
	struct hadisc_srv srv[3] = {
		{ A("2001:db8::1"), 10, 5, 60 },
		{ A("2001:db8::2"), 5, 1, 60 },
		{ A("2001:db8::3"), 5, 9, 60 },
	};
	struct ra_info lo = ra_of("2001:db8:a2::1", -5, 1800, 1);
	struct ra_info hi = ra_of("2001:db8:a1::1", 10, 1800, 1);
	struct in6_addr want;

	hadisc_init(&h, NULL, 1);
	hadisc_from_dns(&h, "example.test", srv, 3, 0);
	want = A("2001:db8::3");
	cr_assert_eq(memcmp(&hadisc_choose(&h, 0, NULL, NULL, NULL)->addr, &want, 16), 0,
		     "lowest priority, then highest weight (RFC 2782)");
	/* a new answer for the domain replaces the old one */
	hadisc_from_dns(&h, "example.test", &srv[0], 1, 0);
	want = A("2001:db8::1");
	cr_assert_eq(memcmp(&hadisc_choose(&h, 0, NULL, NULL, NULL)->addr, &want, 16), 0);
	hadisc_from_dns(&h, "example.test", NULL, 0, 0);
	cr_assert_null(hadisc_choose(&h, 0, NULL, NULL, NULL));

	hadisc_from_ra(&h, &lo, "eth2", 0);
	hadisc_from_ra(&h, &hi, "eth1", 0);
	want = A("2001:db8:a1::1");
	cr_assert_eq(memcmp(&hadisc_choose(&h, 0, NULL, NULL, NULL)->addr, &want, 16), 0,
		     "the highest preference (RFC 6275 §10.5.1)");
	/* that router stops being a home agent: removed at once */
	hi.home_agent = 0;
	hadisc_from_ra(&h, &hi, "eth1", 5);
	want = A("2001:db8:a2::1");
	cr_assert_eq(memcmp(&hadisc_choose(&h, 5, NULL, NULL, NULL)->addr, &want, 16), 0);
	lo.ha_lifetime = 0;
	hadisc_from_ra(&h, &lo, "eth2", 6);
	cr_assert_null(hadisc_choose(&h, 6, NULL, NULL, NULL), "lifetime 0 did not remove the router");
}

Test(hadisc, a_full_table_keeps_the_configured_anchor)
{
	struct hadisc h;
	struct in6_addr cfg = A("2001:db8:40::10");

	hadisc_init(&h, &cfg, 1);
	for (int i = 0; i < 40; i++) {
		char s[40];
		struct ra_info ra;

		snprintf(s, sizeof(s), "2001:db8:%x::1", i + 1);
		ra = ra_of(s, i, 1800, 1);
		hadisc_from_ra(&h, &ra, "eth1", (uint64_t)i);
	}
	cr_assert_eq(h.n, HADISC_CANDS_MAX);
	cr_assert_eq(hadisc_choose(&h, 100, NULL, NULL, NULL)->src, HADISC_CONFIG);
}

/* A neighbour's RAs, each naming another home agent, fill the table; the
 * DNS's answer still gets a slot (a router's, the one expiring first) and
 * comes first. Before, a table full of routers had no slot for it: one RA
 * flood kept the DNS's home anchor out for the routers' lifetime (up to
 * 18 h). And a router never takes a DNS answer's slot. */
Test(hadisc, a_table_full_of_routers_still_takes_the_dns_answer)
{
	struct hadisc h;
	struct hadisc_srv srv[2] = { { A("2001:db8:40::10"), 0, 0, 600 },
				     { A("2001:db8:40::11"), 1, 0, 600 } };
	const struct hadisc_cand *c;
	struct ra_info ra;
	size_t n_dns = 0;

	hadisc_init(&h, NULL, 1);
	for (int i = 0; i < 40; i++) {
		char s[40];

		snprintf(s, sizeof(s), "2001:db8:a1::%x", i + 1);
		ra = ra_of(s, 100 + i, (uint16_t)(65535 - i), 1);
		hadisc_from_ra(&h, &ra, "eth1", (uint64_t)i);
	}
	cr_assert_eq(h.n, HADISC_CANDS_MAX);
	hadisc_from_dns(&h, "example.test", srv, 2, 5000);
	c = hadisc_choose(&h, 5000, NULL, NULL, NULL);
	cr_assert_not_null(c);
	cr_assert_eq(c->src, HADISC_DNS, "the DNS's answer kept out by the routers");
	cr_assert_eq(memcmp(&c->addr, &srv[0].addr, 16), 0);
	/* more RAs take routers' slots only */
	for (int i = 40; i < 80; i++) {
		char s[40];

		snprintf(s, sizeof(s), "2001:db8:a1::%x", i + 1);
		ra = ra_of(s, 100 + i, 65535, 1);
		hadisc_from_ra(&h, &ra, "eth1", 6000 + (uint64_t)i);
	}
	for (size_t i = 0; i < h.n; i++)
		n_dns += h.c[i].src == HADISC_DNS;
	cr_assert_eq(n_dns, 2, "a router took a DNS answer's slot");
	cr_assert_eq(hadisc_choose(&h, 7000, NULL, NULL, NULL)->src, HADISC_DNS);
}

/* A table full of the DNS's answers (and the configured anchor) has no
 * slot for a router's candidate: a flood of RAs takes none of theirs. The
 * test above fills the table with routers first, so its routers always
 * find a router's slot; this one has none. */
Test(hadisc, a_router_never_takes_a_dns_answers_slot)
{
	struct in6_addr cfg = A("2001:db8:40::99");
	struct hadisc h;
	struct ra_info ra;
	size_t n_dns = 0, n_ra = 0;

	hadisc_init(&h, &cfg, 1);
	for (int d = 0; d < 4; d++) {
		struct hadisc_srv srv[4];
		char dom[32];

		for (int k = 0; k < 4; k++) {
			char s[40];

			snprintf(s, sizeof(s), "2001:db8:40::%x:%x", d + 1, k + 1);
			srv[k] = (struct hadisc_srv){ A(s), (uint16_t)k, 0, (uint32_t)(600 + d) };
		}
		snprintf(dom, sizeof(dom), "d%d.test", d);
		hadisc_from_dns(&h, dom, srv, 4, 1000);
	}
	cr_assert_eq(h.n, HADISC_CANDS_MAX);
	for (int i = 0; i < 40; i++) {
		char s[40];

		snprintf(s, sizeof(s), "2001:db8:a1::%x", i + 1);
		ra = ra_of(s, 100 + i, 65535, 1);
		hadisc_from_ra(&h, &ra, "eth1", 2000 + (uint64_t)i);
	}
	for (size_t i = 0; i < h.n; i++) {
		n_dns += h.c[i].src == HADISC_DNS;
		n_ra += h.c[i].src == HADISC_RA;
	}
	cr_assert_eq(n_ra, 0, "a router took a DNS answer's slot");
	cr_assert_eq(n_dns, HADISC_CANDS_MAX - 1);
	cr_assert_eq(hadisc_choose(&h, 3000, NULL, NULL, NULL)->src, HADISC_CONFIG);
}

Test(hadisc, a_start_waits_for_the_dns_before_a_router)
{
	struct hadisc h;
	struct hadisc_srv srv = { A("2001:db8:40::11"), 0, 0, 30 };
	struct ra_info ra = ra_of("2001:db8:a1::1", 10, 1800, 1);
	const struct hadisc_cand *c;

	/* the DNS answers within the wait: the router is never chosen */
	hadisc_init(&h, NULL, 1);
	hadisc_dns_wait(&h, 1000 + HADISC_DNS_WAIT_MS);
	hadisc_from_ra(&h, &ra, "eth1", 1010);
	cr_assert_null(hadisc_choose(&h, 1010, NULL, NULL, NULL), "a router chosen while the DNS may still answer");
	hadisc_from_dns(&h, "example.test", &srv, 1, 1200);
	hadisc_dns_wait(&h, 0);
	c = hadisc_choose(&h, 1200, NULL, NULL, NULL);
	cr_assert_eq(c->src, HADISC_DNS);

	/* the DNS says nothing (all questions failed or found nothing) */
	hadisc_init(&h, NULL, 1);
	hadisc_dns_wait(&h, 1000 + HADISC_DNS_WAIT_MS);
	hadisc_from_ra(&h, &ra, "eth1", 1010);
	hadisc_dns_wait(&h, 0);
	cr_assert_eq(hadisc_choose(&h, 1100, NULL, NULL, NULL)->src, HADISC_RA, "the answers are in: the router");

	/* the DNS never answers: the router once the wait is over, not later */
	hadisc_init(&h, NULL, 1);
	hadisc_dns_wait(&h, 1000 + HADISC_DNS_WAIT_MS);
	hadisc_from_ra(&h, &ra, "eth1", 1010);
	cr_assert_null(hadisc_choose(&h, 1000 + HADISC_DNS_WAIT_MS - 1, NULL, NULL, NULL));
	c = hadisc_choose(&h, 1000 + HADISC_DNS_WAIT_MS, NULL, NULL, NULL);
	cr_assert_not_null(c, "c-ares's timeouts hold the choice past the wait");
	cr_assert_eq(c->src, HADISC_RA);

	/* once something was chosen, a new wait does not take it away */
	hadisc_dns_wait(&h, 9000 + HADISC_DNS_WAIT_MS);
	cr_assert_not_null(hadisc_choose(&h, 9000, NULL, NULL, NULL), "a move's questions left no home anchor");
}

Test(hadisc, when_to_ask_the_dns_again)
{
	struct hadisc h;
	struct hadisc_srv srv = { A("2001:db8:40::11"), 0, 0, 30 };

	hadisc_init(&h, NULL, 1);
	cr_assert_eq(hadisc_requery_in(&h, 0, 0), HADISC_REQUERY_MAX_MS, "nothing to refresh");
	hadisc_from_dns(&h, "example.test", &srv, 1, 1000);
	/* TTL 30 s: asked again with time to answer before it runs out */
	cr_assert_eq(hadisc_requery_in(&h, 1000, 0), 30000 - HADISC_DNS_WAIT_MS);
	cr_assert_eq(hadisc_requery_in(&h, 29000, 0), HADISC_REQUERY_MIN_MS, "not a busy loop");
	srv.ttl_s = 86400;
	hadisc_from_dns(&h, "example.test", &srv, 1, 1000);
	cr_assert_eq(hadisc_requery_in(&h, 1000, 0), HADISC_REQUERY_MAX_MS);
	/* no answer: 5 s, doubling, at most a minute */
	cr_assert_eq(hadisc_requery_in(&h, 1000, 1), 5000);
	cr_assert_eq(hadisc_requery_in(&h, 1000, 2), 10000);
	cr_assert_eq(hadisc_requery_in(&h, 1000, 4), 40000);
	cr_assert_eq(hadisc_requery_in(&h, 1000, 5), HADISC_RETRY_MAX_MS);
	cr_assert_eq(hadisc_requery_in(&h, 1000, 4000000000u), HADISC_RETRY_MAX_MS);
}

/* A host whose DNS does not answer (offline) asks every minute after the
 * fourth round: each failed round was said at the info level, a line a
 * minute for as long as it lasts (480 in 8 h). Now the first, then each
 * power of two in a row: 9 lines in 8 h (484 rounds), each naming the
 * next; the others at debug level. */
Test(hadisc, dns_failures_said_at_each_power_of_two)
{
	unsigned next, said = 0, n;

	cr_assert_not(hadisc_dns_failure_said(0, NULL), "an answer is no failure");
	cr_assert(hadisc_dns_failure_said(1, &next));
	cr_assert_eq(next, 2);
	cr_assert(hadisc_dns_failure_said(2, &next));
	cr_assert_eq(next, 4);
	cr_assert_not(hadisc_dns_failure_said(3, &next));
	cr_assert_eq(next, 4);
	cr_assert(hadisc_dns_failure_said(64, &next));
	cr_assert_eq(next, 128);
	cr_assert_not(hadisc_dns_failure_said(100, &next));
	cr_assert_eq(next, 128);
	for (n = 1; n <= 484; n++) /* 8 h: 4 rounds in 75 s, then one a minute */
		said += (unsigned)hadisc_dns_failure_said(n, NULL);
	cr_assert_eq(said, 9, "1 2 4 8 16 32 64 128 256");
	cr_assert(hadisc_dns_failure_said(1u << 31, &next));
	cr_assert_eq(next, (1u << 31) + 1, "no overflow");
	cr_assert_not(hadisc_dns_failure_said(UINT_MAX, &next));
	cr_assert_eq(next, UINT_MAX);
}

/* Anchors on hold for the choice: each until its end (monotonic ms) */
struct holds {
	struct in6_addr addr[4];
	uint64_t until[4];
	size_t n;
	unsigned asked;
};

static uint64_t held(void *arg, const struct in6_addr *addr, uint64_t now_ms)
{
	struct holds *hs = arg;

	hs->asked++;
	for (size_t i = 0; i < hs->n; i++)
		if (memcmp(&hs->addr[i], addr, 16) == 0 && now_ms < hs->until[i])
			return hs->until[i] - now_ms;
	return 0;
}

static void hold(struct holds *hs, const char *addr, uint64_t until)
{
	cr_assert_lt(hs->n, 4);
	hs->addr[hs->n] = A(addr);
	hs->until[hs->n++] = until;
}

static int is(const struct hadisc_cand *c, const char *addr)
{
	struct in6_addr a = A(addr);

	return c && memcmp(&c->addr, &a, 16) == 0;
}

/* A rogue DNSSL domain's SRV names a better candidate where no anchor
 * answers: once it is on hold the real home anchor is chosen again, until
 * the hold ends */
Test(hadisc, a_candidate_on_hold_is_passed_over_until_its_hold_ends)
{
	struct hadisc h;
	struct hadisc_srv real = { A("2001:db8:40::11"), 0, 0, 600 };
	struct hadisc_srv bogus = { A("2001:db8:c2::66"), 0, 100, 600 };
	struct holds hs = { .n = 0 };
	struct hadisc_passed p;
	const struct hadisc_cand *c;

	hadisc_init(&h, NULL, 1);
	hadisc_from_dns(&h, "example.test", &real, 1, 1000);
	hadisc_from_dns(&h, "evil.example.test", &bogus, 1, 1000);
	c = hadisc_choose(&h, 1000, held, &hs, &p);
	cr_assert(is(c, "2001:db8:c2::66"), "the higher weight first");
	cr_assert_null(p.c, "nothing passed over");
	cr_assert_gt(hs.asked, 0, "the predicate is asked");

	/* its allocation timed out at 4000: on hold for 10 s */
	hold(&hs, "2001:db8:c2::66", 14000);
	c = hadisc_choose(&h, 4000, held, &hs, &p);
	cr_assert(is(c, "2001:db8:40::11"), "the one on hold is passed over");
	cr_assert_str_eq(c->origin, "_mip6._ipv6.example.test");
	cr_assert(is(p.c, "2001:db8:c2::66"), "and said to be passed over");
	cr_assert_str_eq(p.c->origin, "_mip6._ipv6.evil.example.test");
	cr_assert_eq(p.left_ms, 10000, "with its hold's rest");
	c = hadisc_choose(&h, 13999, held, &hs, &p);
	cr_assert(is(c, "2001:db8:40::11"));
	cr_assert_eq(p.left_ms, 1);

	/* the hold ends: the better candidate is tried again */
	c = hadisc_choose(&h, 14000, held, &hs, &p);
	cr_assert(is(c, "2001:db8:c2::66"), "the hold ended and it is not chosen again");
	cr_assert_null(p.c);
	/* without a predicate nothing is passed over */
	hs.until[0] = 60000;
	c = hadisc_choose(&h, 20000, NULL, NULL, &p);
	cr_assert(is(c, "2001:db8:c2::66"));
	cr_assert_null(p.c);
	c = hadisc_choose(&h, 20000, held, &hs, NULL);
	cr_assert(is(c, "2001:db8:40::11"), "passed may be NULL");
}

Test(hadisc, every_candidate_on_hold_keeps_the_best)
{
	struct hadisc h;
	struct in6_addr cfg = A("2001:db8:40::10");
	struct hadisc_srv srv[2] = {
		{ A("2001:db8:40::11"), 0, 0, 600 },
		{ A("2001:db8:40::12"), 1, 0, 600 },
	};
	struct ra_info ra = ra_of("2001:db8:a1::1", 10, 1800, 1);
	struct holds hs = { .n = 0 };
	struct hadisc_passed p;
	const struct hadisc_cand *c;

	hadisc_init(&h, &cfg, 1);
	hadisc_from_dns(&h, "example.test", srv, 2, 0);
	hadisc_from_ra(&h, &ra, "eth1", 0);
	/* passed over in the order of the choice, the configured one too */
	hold(&hs, "2001:db8:40::10", 50000);
	c = hadisc_choose(&h, 1000, held, &hs, &p);
	cr_assert(is(c, "2001:db8:40::11"));
	cr_assert_eq(p.c->src, HADISC_CONFIG);
	hold(&hs, "2001:db8:40::11", 50000);
	c = hadisc_choose(&h, 1000, held, &hs, &p);
	cr_assert(is(c, "2001:db8:40::12"), "the next DNS candidate");
	cr_assert(is(p.c, "2001:db8:40::10"), "the best one is said to be passed over");
	hold(&hs, "2001:db8:40::12", 50000);
	c = hadisc_choose(&h, 1000, held, &hs, &p);
	cr_assert(is(c, "2001:db8:a1::1"), "then the router");
	hold(&hs, "2001:db8:a1::1", 50000);
	c = hadisc_choose(&h, 1000, held, &hs, &p);
	cr_assert(is(c, "2001:db8:40::10"), "every one on hold: the best, as without holds");
	cr_assert_null(p.c, "none passed over");
	/* one hold ends: that one */
	hs.until[2] = 2000;
	c = hadisc_choose(&h, 2000, held, &hs, &p);
	cr_assert(is(c, "2001:db8:40::12"));
	cr_assert(is(p.c, "2001:db8:40::10"));
}

Test(hadisc, a_router_passed_to_still_waits_for_the_dns)
{
	struct hadisc h;
	struct in6_addr cfg = A("2001:db8:40::10");
	struct ra_info ra = ra_of("2001:db8:a1::1", 10, 1800, 1);
	struct holds hs = { .n = 0 };
	struct hadisc_passed p;

	hadisc_init(&h, &cfg, 1);
	hadisc_dns_wait(&h, 1000 + HADISC_DNS_WAIT_MS);
	hadisc_from_ra(&h, &ra, "eth1", 1000);
	hold(&hs, "2001:db8:40::10", 60000);
	/* the start's wait for the DNS applies to the candidate the passing
	 * leaves: a router only once the DNS had its time */
	cr_assert_null(hadisc_choose(&h, 1000, held, &hs, &p),
		       "a router chosen while the DNS may still answer");
	cr_assert_null(p.c, "nothing is said passed over when nothing is chosen");
	cr_assert(is(hadisc_choose(&h, 1000 + HADISC_DNS_WAIT_MS, held, &hs, &p), "2001:db8:a1::1"));
}
