/* SPDX-License-Identifier: MIT */
/*
 * hadisc.c — the home anchor candidates and the choice (see hadisc.h).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "addrscope.h"
#include "hadisc.h"


const char *hadisc_source_name(enum hadisc_source s)
{
	switch (s) {
	case HADISC_CONFIG:
		return "config";
	case HADISC_DNS:
		return "dns-srv";
	case HADISC_RA:
		return "ra";
	default:
		return "none";
	}
}

void hadisc_init(struct hadisc *h, const struct in6_addr *config, int discover)
{
	memset(h, 0, sizeof(*h));
	h->discover = discover;
	if (config) {
		h->c[0].addr = *config;
		h->c[0].src = HADISC_CONFIG;
		snprintf(h->c[0].origin, sizeof(h->c[0].origin), "home-anchor");
		h->n = 1;
	}
}

static void drop(struct hadisc *h, size_t i)
{
	h->c[i] = h->c[--h->n];
}

/*
 * A slot for a candidate of src: a free one, else the one of the worst
 * source no better than src that expires first (never a better source's:
 * the configured anchor stays, and a flood of RAs, which any neighbour may
 * send, cannot keep the DNS's answers out). NULL if there is none.
 */
static struct hadisc_cand *slot(struct hadisc *h, enum hadisc_source src)
{
	struct hadisc_cand *victim = NULL;

	if (h->n < HADISC_CANDS_MAX)
		return &h->c[h->n++];
	for (size_t i = 0; i < h->n; i++) {
		const struct hadisc_cand *c = &h->c[i];

		if (c->src < src)
			continue;
		if (!victim || c->src > victim->src ||
		    (c->src == victim->src && c->expires_ms < victim->expires_ms))
			victim = &h->c[i];
	}
	return victim;
}

void hadisc_from_ra(struct hadisc *h, const struct ra_info *ra, const char *ifname,
		    uint64_t now_ms)
{
	if (!h->discover)
		return;
	for (size_t k = 0; k < ra->n_router_addrs; k++) {
		const struct in6_addr *a = &ra->router_addrs[k];
		struct hadisc_cand *c = NULL;

		for (size_t i = 0; i < h->n; i++)
			if (h->c[i].src == HADISC_RA && memcmp(&h->c[i].addr, a, 16) == 0)
				c = &h->c[i];
		/* a router that stops being a home agent, or says lifetime 0, is
		 * removed at once (RFC 6275 §10.5.1) */
		if (!ra->home_agent || ra->ha_lifetime == 0) {
			if (c)
				drop(h, (size_t)(c - h->c));
			continue;
		}
		if (!c && !(c = slot(h, HADISC_RA)))
			continue;
		c->addr = *a;
		c->src = HADISC_RA;
		c->rank = -ra->ha_preference;
		c->weight = 0;
		c->heard_ms = now_ms;
		c->expires_ms = now_ms + (uint64_t)ra->ha_lifetime * 1000;
		snprintf(c->origin, sizeof(c->origin), "router on %s", ifname);
	}
}

size_t hadisc_from_dns(struct hadisc *h, const char *domain, const struct hadisc_srv *srv,
		       size_t n, uint64_t now_ms)
{
	char origin[sizeof(h->c[0].origin)];
	size_t unfit = 0;

	if (!h->discover)
		return 0;
	snprintf(origin, sizeof(origin), "_mip6._ipv6.%s", domain);
	for (size_t i = h->n; i-- > 0;)
		if (h->c[i].src == HADISC_DNS && strcmp(h->c[i].origin, origin) == 0)
			drop(h, i);
	for (size_t k = 0; k < n; k++) {
		struct hadisc_cand *c;

		/* Binding Updates would go there */
		if (!addr_is_routable(&srv[k].addr)) {
			unfit++;
			continue;
		}
		c = slot(h, HADISC_DNS);
		if (!c)
			break;
		c->addr = srv[k].addr;
		c->src = HADISC_DNS;
		c->rank = srv[k].priority;
		c->weight = srv[k].weight;
		c->heard_ms = now_ms;
		c->expires_ms = now_ms + (uint64_t)(srv[k].ttl_s ? srv[k].ttl_s : 1) * 1000;
		memcpy(c->origin, origin, sizeof(origin));
	}
	return unfit;
}

/* a before b: source order, then rank, then weight, then the newest */
static int better(const struct hadisc_cand *a, const struct hadisc_cand *b)
{
	if (a->src != b->src)
		return a->src < b->src;
	if (a->rank != b->rank)
		return a->rank < b->rank;
	if (a->weight != b->weight)
		return a->weight > b->weight;
	if (a->heard_ms != b->heard_ms)
		return a->heard_ms > b->heard_ms;
	return memcmp(&a->addr, &b->addr, 16) < 0;
}

const struct hadisc_cand *hadisc_choose(struct hadisc *h, uint64_t now_ms, hadisc_held_fn held,
					void *arg, struct hadisc_passed *passed)
{
	const struct hadisc_cand *best = NULL, *avail = NULL;

	if (passed)
		*passed = (struct hadisc_passed){ 0 };
	for (size_t i = h->n; i-- > 0;)
		if (h->c[i].expires_ms && h->c[i].expires_ms <= now_ms)
			drop(h, i);
	for (size_t i = 0; i < h->n; i++) {
		if (!best || better(&h->c[i], best))
			best = &h->c[i];
		if ((!avail || better(&h->c[i], avail)) && !(held && held(arg, &h->c[i].addr, now_ms)))
			avail = &h->c[i];
	}
	/* the best not on hold; none (every one on hold): the best stays */
	if (avail && avail != best) {
		if (passed) {
			passed->c = best;
			passed->left_ms = held(arg, &best->addr, now_ms);
		}
		best = avail;
	}
	if (best && best->src == HADISC_RA && !h->chosen && now_ms < h->dns_wait_until) {
		if (passed)
			passed->c = NULL;
		return NULL; /* the DNS may still name one */
	}
	if (best)
		h->chosen = 1;
	return best;
}

void hadisc_dns_wait(struct hadisc *h, uint64_t until_ms)
{
	h->dns_wait_until = until_ms;
}

int hadisc_dns_failure_said(unsigned failures, unsigned *next)
{
	unsigned p = 1;

	while (p <= failures && p <= UINT_MAX / 2)
		p *= 2;
	if (next)
		*next = p > failures ? p : failures < UINT_MAX ? failures + 1 : UINT_MAX;
	return failures && (failures & (failures - 1)) == 0;
}

uint64_t hadisc_requery_in(const struct hadisc *h, uint64_t now_ms, unsigned failures)
{
	uint64_t first = 0, in;

	if (failures) {
		in = HADISC_REQUERY_MIN_MS;
		for (unsigned i = 1; i < failures && in < HADISC_RETRY_MAX_MS; i++)
			in *= 2;
		return in < HADISC_RETRY_MAX_MS ? in : HADISC_RETRY_MAX_MS;
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->c[i].src == HADISC_DNS && (!first || h->c[i].expires_ms < first))
			first = h->c[i].expires_ms;
	if (!first)
		return HADISC_REQUERY_MAX_MS;
	in = first > now_ms + HADISC_DNS_WAIT_MS ? first - now_ms - HADISC_DNS_WAIT_MS : 0;
	if (in < HADISC_REQUERY_MIN_MS)
		return HADISC_REQUERY_MIN_MS;
	return in < HADISC_REQUERY_MAX_MS ? in : HADISC_REQUERY_MAX_MS;
}
