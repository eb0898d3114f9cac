/* SPDX-License-Identifier: MIT */
/* anchor_routewatch.c — an access anchor's per-address routes, watched
 * (see anchor_routewatch.h). */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "addrtext.h"
#include "anchor.h"
#include "anchor_mode.h"
#include "anchor_routewatch.h"
#include "devwatch.h"
#include "log.h"
#include "netconf.h"
#include "tunnel.h"

struct addrs {
	struct in6_addr *v;
	size_t n, cap;
	int failed; /* no memory for one */
};

static void push(struct addrs *a, const struct in6_addr *x)
{
	if (a->failed)
		return;
	if (a->n == a->cap) {
		size_t c = a->cap ? 2 * a->cap : 16;
		struct in6_addr *w = realloc(a->v, c * sizeof(*w));

		if (!w) {
			a->failed = 1;
			return;
		}
		a->v = w;
		a->cap = c;
	}
	a->v[a->n++] = *x;
}

/* bcache_foreach: a binding tunnelled with a route of its own */
static void routed(const struct binding *b, void *arg)
{
	if (anchor_mode_ops(b->mode)->per_address_route && memcmp(&b->coa, &b->hoa, 16) != 0)
		push(arg, &b->hoa);
}

/* netconf_route_each128: a /128 route out of the device */
static void present(void *arg, const struct in6_addr *dst)
{
	push(arg, dst);
}

static int cmp6(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in6_addr));
}

size_t anchor_routewatch_missing(const struct in6_addr *want, size_t nwant,
				 struct in6_addr *have, size_t nhave, size_t *missing)
{
	size_t n = 0;

	if (nhave)
		qsort(have, nhave, sizeof(*have), cmp6);
	for (size_t i = 0; i < nwant; i++)
		if (!nhave || !bsearch(&want[i], have, nhave, sizeof(*have), cmp6))
			missing[n++] = i;
	return n;
}

/* hoa's route into the device is missing, or leads elsewhere: put back,
 * and where packets to hoa go then asked. 0, or -1 when it still does not
 * lead into the device (said once a streak: an->routes_told). */
static int put_back(struct anchor *an, const struct in6_addr *hoa)
{
	char h[INET6_ADDRSTRLEN], name[IF_NAMESIZE] = "no route";
	int rc = an->route(an->route_arg, hoa, 1), oif;

	if (rc < 0) {
		if (!an->routes_told)
			log_warn(rc, "the route of %s/128 into %s is gone and cannot be put back "
				 "(tried again each second, said once): its packets go out on "
				 "the link instead of to its host", ntop6(hoa, h), an->tun->ifname);
		return -1;
	}
	oif = netconf_route_oif(hoa, NULL);
	if (oif == an->tun->ifindex) {
		log_warnx("the route of %s/128 into %s (a binding of the link's, its host "
			  "away) was deleted by someone else: put back", ntop6(hoa, h),
			  an->tun->ifname);
		return 0;
	}
	/* the add found one there (it takes EEXIST for done): someone
	 * else's, of the same length, sends them elsewhere */
	if (!an->routes_told) {
		if (oif > 0)
			if_indextoname((unsigned)oif, name);
		log_warnx("packets to %s (a binding of the link's, its host away) leave by %s, "
			  "not %s: a route of someone else's sends them there (said once)",
			  ntop6(hoa, h), name, an->tun->ifname);
	}
	return -1;
}

void anchor_routewatch_look(struct anchor *an)
{
	struct addrs want = { 0 }, have = { 0 };
	size_t *miss = NULL, n = 0;
	int rc, failed = 0;

	if (!an->route || !an->tun || !an->nc)
		return;
	bcache_foreach(&an->bc, routed, &want);
	/* nothing routed (the usual case): nothing asked of the kernel; and
	 * nothing put back while a down of the device is being told (its
	 * routes went with it: the agent starts again in place) */
	if (!want.n || want.failed || !devwatch_quiet(an->devw))
		goto out;
	if (want.n <= ANCHOR_ROUTEWATCH_LOOKUPS) {
		/* a few: where packets to each go, one lookup each */
		for (size_t i = 0; i < want.n; i++)
			if (netconf_route_oif(&want.v[i], NULL) != an->tun->ifindex &&
			    put_back(an, &want.v[i]) < 0)
				failed = 1;
		an->routes_told = failed;
		goto out;
	}
	/* many: one dump of the /128 routes out of the device */
	rc = netconf_route_each128(an->nc, an->tun->ifindex, 0, present, &have);
	miss = malloc(want.n * sizeof(*miss));
	if (rc < 0 || have.failed || !miss)
		goto out;
	n = anchor_routewatch_missing(want.v, want.n, have.v, have.n, miss);
	for (size_t i = 0; i < n; i++)
		if (put_back(an, &want.v[miss[i]]) < 0)
			failed = 1;
	an->routes_told = failed;
out:
	free(miss);
	free(want.v);
	free(have.v);
}
