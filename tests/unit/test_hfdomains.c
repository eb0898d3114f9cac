/* SPDX-License-Identifier: MIT */
/* test_hfdomains.c — the domains home anchor discovery asks about
 * (odmagent/hfdomains.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hfdomains.h"

static char gone_names[16][RA_DOMAIN_MAX + 1];
static int n_gone;

static void gone(void *arg, const char *name)
{
	(void)arg;
	cr_assert_lt(n_gone, 16);
	snprintf(gone_names[n_gone++], sizeof(gone_names[0]), "%s", name);
}

static int has(const struct hfdomains *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->e[i].name, name) == 0)
			return 1;
	return 0;
}

/* The resolver's search list is kept; an RA's domain for its lifetime. */
Test(hfdomains, the_resolvers_stay_an_ras_expire)
{
	struct hfdomains d = { 0 };

	cr_assert_eq(hfd_add_resolver(&d, "example.test."), 1);
	cr_assert_eq(hfd_add_resolver(&d, "EXAMPLE.test"), 0, "known, whatever the case");
	cr_assert_eq(hfd_add_ra(&d, "example.test", 0, 1000, gone, NULL), 0);
	cr_assert(has(&d, "example.test"), "an RA removed a resolver's domain");
	cr_assert_eq(hfd_add_ra(&d, "site.test", 60, 1000, gone, NULL), 1);
	cr_assert_eq(hfd_add_ra(&d, "site.test", 60, 30000, gone, NULL), 0, "refreshed");
	cr_assert_eq(hfd_expire(&d, 61000, gone, NULL), 0, "expired before its new lifetime");
	cr_assert_eq(hfd_expire(&d, 90000, gone, NULL), 1);
	cr_assert(!has(&d, "site.test"));
	cr_assert(has(&d, "example.test"));
	/* lifetime 0 removes it at once (RFC 8106 §5.2) */
	n_gone = 0;
	cr_assert_eq(hfd_add_ra(&d, "site.test", 60, 100000, gone, NULL), 1);
	cr_assert_eq(hfd_add_ra(&d, "site.test", 0, 100001, gone, NULL), 0);
	cr_assert(!has(&d, "site.test"));
	cr_assert_eq(n_gone, 1);
	cr_assert_str_eq(gone_names[0], "site.test");
	cr_assert_eq(hfd_add_ra(&d, "", 60, 1, gone, NULL), 0, "an empty name");
}

/* A neighbour's RA of eight domains filled the list for good before: a
 * later router's domain was never asked about. Now a new RA domain takes
 * the place of the RA domain expiring first, never a resolver's. */
Test(hfdomains, a_full_list_takes_a_later_routers_domain)
{
	struct hfdomains d = { 0 };
	char name[32];

	n_gone = 0;
	cr_assert_eq(hfd_add_resolver(&d, "example.test"), 1);
	for (int i = 0; i < HFD_MAX - 1; i++) {
		snprintf(name, sizeof(name), "rogue%d.test", i);
		cr_assert_eq(hfd_add_ra(&d, name, (uint32_t)(3600 + i), 1000, gone, NULL), 1);
	}
	cr_assert_eq(d.n, HFD_MAX);
	cr_assert_eq(n_gone, 0);
	cr_assert_eq(hfd_add_ra(&d, "site.test", 600, 2000, gone, NULL), 1,
		     "a router's domain kept out by a full list");
	cr_assert(has(&d, "site.test"));
	cr_assert(has(&d, "example.test"), "the resolver's domain replaced");
	cr_assert_eq(n_gone, 1);
	cr_assert_str_eq(gone_names[0], "rogue0.test", "not the one expiring first");
	cr_assert_eq(d.n, HFD_MAX);

	/* the resolver's alone: nothing is replaced */
	memset(&d, 0, sizeof(d));
	for (int i = 0; i < HFD_MAX; i++) {
		snprintf(name, sizeof(name), "r%d.test", i);
		hfd_add_resolver(&d, name);
	}
	cr_assert_eq(hfd_add_ra(&d, "site.test", 600, 2000, gone, NULL), 0);
	cr_assert(!has(&d, "site.test"));
}

/* hfd_has says what is listed: an answer about a domain dropped while it
 * was asked is none (homefind.c) */
Test(hfdomains, has_says_what_is_listed)
{
	struct hfdomains d = { 0 };

	cr_assert_eq(hfd_add_resolver(&d, "Example.Test."), 1);
	cr_assert(hfd_has(&d, "example.test"));
	cr_assert(hfd_has(&d, "example.test."));
	cr_assert(!hfd_has(&d, "example"));
	cr_assert(!hfd_has(&d, "test"));
	cr_assert(!hfd_has(&d, ""));
	cr_assert_eq(hfd_add_ra(&d, "site.test", 60, 1000, NULL, NULL), 1);
	cr_assert(hfd_has(&d, "site.test"));
	cr_assert_eq(hfd_add_ra(&d, "site.test", 0, 2000, NULL, NULL), 0);
	cr_assert(!hfd_has(&d, "site.test"), "a domain removed is still listed");
}

/* A name longer than RA_DOMAIN_MAX is none, wherever its dots are: not
 * its first RA_DOMAIN_MAX bytes (a bounded look at the name, cut after two
 * inner dots, took "a...a..b" for "a...a"). */
Test(hfdomains, a_name_too_long_is_none)
{
	struct hfdomains d = { 0 };
	char name[RA_DOMAIN_MAX + 8];

	memset(name, 'a', RA_DOMAIN_MAX);
	strcpy(name + RA_DOMAIN_MAX, "..b");
	cr_assert_eq(hfd_add_resolver(&d, name), 0, "a name of %zu bytes taken", strlen(name));
	cr_assert_eq(hfd_add_ra(&d, name, 60, 1000, NULL, NULL), 0);
	cr_assert_eq(d.n, 0);
	cr_assert(!hfd_has(&d, name));
	name[RA_DOMAIN_MAX] = '.'; /* the longest, with its final dot */
	name[RA_DOMAIN_MAX + 1] = '\0';
	cr_assert_eq(hfd_add_ra(&d, name, 60, 1000, NULL, NULL), 1);
	cr_assert(hfd_has(&d, name));
}

/*
 * resolv.conf read again names another search list (a move to a network
 * with another DNSSL): the resolver's domains it no longer names go, each
 * told to gone; its new ones come; an RA's stays; a domain named by both
 * lists stays, not told gone (its candidates stay).
 */
Test(hfdomains, a_new_resolver_list_replaces_the_old)
{
	struct hfdomains d = { .n = 0 };
	const char *before[] = { "old.test", "both.test" };
	const char *after[] = { "BOTH.test.", "new.test", NULL };

	n_gone = 0;
	cr_assert_eq(hfd_set_resolver(&d, before, 2, gone, NULL), 2);
	cr_assert_eq(hfd_add_ra(&d, "ra.test", 600, 0, gone, NULL), 1);
	cr_assert_eq(hfd_set_resolver(&d, after, 3, gone, NULL), 1);
	cr_assert_eq(d.n, 3);
	cr_assert(has(&d, "both.test") && has(&d, "new.test") && has(&d, "ra.test"));
	cr_assert_not(has(&d, "old.test"));
	cr_assert_eq(n_gone, 1);
	cr_assert_str_eq(gone_names[0], "old.test");
	/* an empty list: the resolver's all go, the RA's stays */
	cr_assert_eq(hfd_set_resolver(&d, NULL, 0, gone, NULL), 0);
	cr_assert_eq(d.n, 1);
	cr_assert(has(&d, "ra.test"));
	cr_assert_eq(n_gone, 3);
}
