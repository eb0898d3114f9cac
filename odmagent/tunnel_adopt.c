/* SPDX-License-Identifier: MIT */
/* tunnel_adopt.c — the reconcile plan of a restarted anchor (see tunnel_adopt.h). */
#include "tunnel_adopt.h"

#include <string.h>

static int same(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

static void put(struct adopt_action *out, size_t cap, size_t *k, enum adopt_op op,
		enum adopt_kind kind, const struct in6_addr *inner, const struct in6_addr *local,
		const struct in6_addr *remote)
{
	if (*k < cap) {
		out[*k].op = op;
		out[*k].kind = kind;
		out[*k].inner = *inner;
		out[*k].local = *local;
		out[*k].remote = *remote;
	}
	(*k)++;
}

/* Does the route of a restored binding appear among what was found? */
static int route_found(const struct adopt_found *found, size_t n, const struct in6_addr *inner)
{
	for (size_t i = 0; i < n; i++)
		if (found[i].kind == ADOPT_ROUTE && same(&found[i].inner, inner))
			return 1;
	return 0;
}

size_t tunnel_adopt_plan(const struct adopt_found *found, size_t n,
			 const struct tunnel_table *tt, struct adopt_action *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct adopt_found *f = &found[i];
		const struct tunnel_entry *e;

		if (f->kind == ADOPT_LOCAL) {
			if (tunnel_table_count_local(tt, &f->local) == 0)
				put(out, cap, &k, ADOPT_DEL, f->kind, &f->inner, &f->local, &f->remote);
			continue;
		}
		e = tunnel_table_find(tt, &f->inner);
		if (!e)
			put(out, cap, &k, ADOPT_DEL, f->kind, &f->inner, &f->local, &f->remote);
		else if ((!IN6_IS_ADDR_UNSPECIFIED(&f->local) && !same(&e->local, &f->local)) ||
			 !same(&e->remote, &f->remote))
			put(out, cap, &k, ADOPT_REPLACE, f->kind, &f->inner, &f->local, &f->remote);
	}
	for (size_t b = 0; tt->tab && b < tt->nbuckets; b++)
		for (const struct tunnel_entry *e = tt->tab[b]; e; e = e->next)
			if (!route_found(found, n, &e->inner))
				put(out, cap, &k, ADOPT_ADD, ADOPT_ROUTE, &e->inner, &e->local,
				    &e->remote);
	return k;
}
