/* SPDX-License-Identifier: MIT */
/* anchor_routewatch.c — an access anchor's per-address routes, watched
 * (see anchor_routewatch.h). */
#include <errno.h>
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

void anchor_routewatch_look(void *arg)
{
	struct anchor *an = arg;
	struct addrs want = { 0 }, have = { 0 };
	char h[INET6_ADDRSTRLEN];
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
	rc = netconf_route_each128(an->nc, an->tun->ifindex, 0, present, &have);
	miss = malloc(want.n * sizeof(*miss));
	if (rc < 0 || have.failed || !miss)
		goto out;
	n = anchor_routewatch_missing(want.v, want.n, have.v, have.n, miss);
	for (size_t i = 0; i < n; i++) {
		const struct in6_addr *hoa = &want.v[miss[i]];

		rc = an->route(an->route_arg, hoa, 1);
		if (rc == 0 || rc == -EEXIST) {
			/* EEXIST: made again meanwhile (a dump and a change raced) */
			if (rc == 0)
				log_warnx("the route of %s/128 into %s (a binding of the link's, "
					  "its host away) was deleted by someone else: put back",
					  ntop6(hoa, h), an->tun->ifname);
			continue;
		}
		if (!an->routes_told)
			log_warn(rc, "the route of %s/128 into %s is gone and cannot be put back "
				 "(tried again each second, said once): its packets go out on "
				 "the link instead of to its host", ntop6(hoa, h), an->tun->ifname);
		failed = 1;
	}
	an->routes_told = failed;
out:
	free(miss);
	free(want.v);
	free(have.v);
}
