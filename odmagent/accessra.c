/* SPDX-License-Identifier: MIT */
/* accessra.c — access anchors learned from Router Advertisements (see accessra.h). */
#include <stdio.h>
#include <string.h>

#include "accessra.h"

/* the index of anchor a, or t->n */
static size_t index_of(const struct accessra *t, const struct in6_addr *a)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&t->e[i].addr, a))
			break;
	return i;
}

static void drop(struct accessra *t, size_t i)
{
	t->e[i] = t->e[--t->n];
}

int accessra_from_ra(struct accessra *t, const struct ra_info *ra, const char *ifname,
		     uint64_t now_ms)
{
	int changed = 0;

	for (size_t k = 0; k < ra->n_router_addrs; k++) {
		const struct in6_addr *a = &ra->router_addrs[k];
		size_t i = index_of(t, a);
		struct accessra_entry *e = i < t->n ? &t->e[i] : NULL;

		if (!ra->home_agent || ra->ha_lifetime == 0) {
			if (e) {
				drop(t, i);
				changed = 1;
			}
			continue;
		}
		if (!e) {
			if (t->n < ACCESSRA_MAX) {
				e = &t->e[t->n++];
			} else {
				e = &t->e[0];
				for (size_t v = 1; v < t->n; v++)
					if (t->e[v].expires_ms < e->expires_ms)
						e = &t->e[v];
			}
			memset(e, 0, sizeof(*e));
			e->addr = *a;
			changed = 1;
		}
		e->heard_ms = now_ms;
		e->expires_ms = now_ms + (uint64_t)ra->ha_lifetime * 1000;
		snprintf(e->ifname, sizeof(e->ifname), "%s", ifname);
	}
	return changed;
}

size_t accessra_expire(struct accessra *t, uint64_t now_ms)
{
	size_t n = 0;

	for (size_t i = t->n; i-- > 0;)
		if (t->e[i].expires_ms <= now_ms) {
			drop(t, i);
			n++;
		}
	return n;
}

const struct accessra_entry *accessra_find(const struct accessra *t, const struct in6_addr *addr)
{
	size_t i = index_of(t, addr);

	return i < t->n ? &t->e[i] : NULL;
}

const struct accessra_entry *accessra_pick(const struct accessra *t, const struct in6_addr *host,
					   size_t nh)
{
	const struct accessra_entry *best = NULL;

	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; j < nh; j++)
			/* the /64 SLAAC gives a link (RFC 4291 §2.5.1) */
			if (memcmp(t->e[i].addr.s6_addr, host[j].s6_addr, 8) == 0 &&
			    (!best || t->e[i].heard_ms > best->heard_ms))
				best = &t->e[i];
	return best;
}
