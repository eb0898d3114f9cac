/* SPDX-License-Identifier: MIT */
/* tunnel_table.c — the bindings of a tunnel backend (see tunnel_table.h). */
#include "tunnel_table.h"

#include "tunnel_guard.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS_MIN 16

static size_t slot(const struct in6_addr *a, size_t nb)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < 16; i++) {
		h ^= a->s6_addr[i];
		h *= 0x100000001b3ull;
	}
	return (size_t)h & (nb - 1);
}

/* st's packets, bytes and replays added into *sum */
static void add_traffic(struct odm_tunnel_stats *sum, const struct odm_tunnel_stats *st)
{
	sum->rx_packets += st->rx_packets;
	sum->rx_bytes += st->rx_bytes;
	sum->tx_packets += st->tx_packets;
	sum->tx_bytes += st->tx_bytes;
	sum->replayed += st->replayed;
}

int tunnel_table_init(struct tunnel_table *tt)
{
	tt->count = 0;
	memset(&tt->ended, 0, sizeof tt->ended);
	tt->nbuckets = BUCKETS_MIN;
	tt->tab = calloc(tt->nbuckets, sizeof *tt->tab);
	return tt->tab ? 0 : -ENOMEM;
}

void tunnel_table_free(struct tunnel_table *tt)
{
	for (size_t i = 0; tt->tab && i < tt->nbuckets; i++) {
		struct tunnel_entry *e = tt->tab[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(tt->tab);
	tt->tab = NULL;
	tt->count = 0;
}

struct tunnel_entry *tunnel_table_find(const struct tunnel_table *tt,
				       const struct in6_addr *inner)
{
	struct tunnel_entry *e;

	if (!tt->tab)
		return NULL;
	e = tt->tab[slot(inner, tt->nbuckets)];
	while (e && memcmp(&e->inner, inner, sizeof *inner) != 0)
		e = e->next;
	return e;
}

static void grow(struct tunnel_table *tt)
{
	size_t nb = tt->nbuckets * 2;
	struct tunnel_entry **tab = calloc(nb, sizeof *tab);

	if (!tab)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < tt->nbuckets; i++) {
		struct tunnel_entry *e, *next;

		for (e = tt->tab[i]; e; e = next) {
			size_t s = slot(&e->inner, nb);

			next = e->next;
			e->next = tab[s];
			tab[s] = e;
		}
	}
	free(tt->tab);
	tt->tab = tab;
	tt->nbuckets = nb;
}

struct tunnel_entry *tunnel_table_add(struct tunnel_table *tt, const struct in6_addr *inner)
{
	struct tunnel_entry *e;
	size_t s;

	if (!tt->tab)
		return NULL;
	e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->inner = *inner;
	if (tt->count >= tt->nbuckets)
		grow(tt);
	s = slot(inner, tt->nbuckets);
	e->next = tt->tab[s];
	tt->tab[s] = e;
	tt->count++;
	return e;
}

int tunnel_table_del(struct tunnel_table *tt, const struct in6_addr *inner)
{
	struct tunnel_entry **pp;

	if (!tt->tab)
		return -ENOENT;
	for (pp = &tt->tab[slot(inner, tt->nbuckets)]; *pp; pp = &(*pp)->next) {
		struct tunnel_entry *e = *pp;

		if (memcmp(&e->inner, inner, sizeof *inner) == 0) {
			*pp = e->next;
			add_traffic(&tt->ended, &e->st);
			free(e);
			tt->count--;
			return 0;
		}
	}
	return -ENOENT;
}

size_t tunnel_table_count_local(const struct tunnel_table *tt, const struct in6_addr *local)
{
	size_t n = 0;

	for (size_t i = 0; tt->tab && i < tt->nbuckets; i++)
		for (const struct tunnel_entry *e = tt->tab[i]; e; e = e->next)
			n += memcmp(&e->local, local, sizeof *local) == 0;
	return n;
}

int tunnel_table_stats(const struct tunnel_table *tt, const struct odm_tunnel_stats *total,
		       const struct in6_addr *inner, struct odm_tunnel_stats *st)
{
	const struct tunnel_entry *e;

	if (!inner) {
		*st = *total;
		return 0;
	}
	e = tunnel_table_find(tt, inner);
	if (!e)
		return -ENOENT;
	*st = e->st;
	return 0;
}

int tunnel_table_loops(const struct tunnel_table *tt, const struct odm_tunnel *t,
		       const struct in6_addr *inner, const struct in6_addr *local,
		       const struct in6_addr *remote)
{
	return memcmp(inner, remote, sizeof *remote) == 0 ||
	       memcmp(local, remote, sizeof *remote) == 0 ||
	       (t->has_guard && tunnel_prefix_contains(&t->guard, t->guard_plen, remote)) ||
	       tunnel_table_find(tt, remote) != NULL;
}

void tunnel_table_sum(const struct tunnel_table *tt, struct odm_tunnel_stats *sum)
{
	add_traffic(sum, &tt->ended);
	for (size_t i = 0; i < tt->nbuckets; i++)
		for (const struct tunnel_entry *e = tt->tab[i]; e; e = e->next) {
			add_traffic(sum, &e->st);
			if (e->st.last_rx_ms > sum->last_rx_ms)
				sum->last_rx_ms = e->st.last_rx_ms;
			if (e->st.last_tx_ms > sum->last_tx_ms)
				sum->last_tx_ms = e->st.last_tx_ms;
		}
}

void tunnel_table_replayed(void *tt, const struct in6_addr *inner, size_t sent)
{
	struct tunnel_entry *e = tunnel_table_find(tt, inner);

	if (e)
		e->st.replayed += sent;
}
