/* SPDX-License-Identifier: MIT */
/* hfdomains.c — the domains home anchor discovery asks about (see hfdomains.h). */
#include "hfdomains.h"

#include <string.h>
#include <strings.h>

/* the length of name without its final dots, or 0 if it is none (empty,
 * or longer than RA_DOMAIN_MAX: the whole of it, not a bounded prefix,
 * whose final dots may be inner ones) */
static size_t name_len(const char *name)
{
	size_t n = strlen(name);

	while (n && name[n - 1] == '.')
		n--;
	return n > RA_DOMAIN_MAX ? 0 : n;
}

/* the index of name (n bytes) in the list, or d->n */
static size_t index_of(const struct hfdomains *d, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strncasecmp(d->e[i].name, name, n) == 0 && d->e[i].name[n] == '\0')
			break;
	return i;
}

static struct hfd_entry *find(struct hfdomains *d, const char *name, size_t n)
{
	size_t i = index_of(d, name, n);

	return i < d->n ? &d->e[i] : NULL;
}

int hfd_has(const struct hfdomains *d, const char *name)
{
	size_t n = name_len(name);

	return n && index_of(d, name, n) < d->n;
}

static void drop(struct hfdomains *d, struct hfd_entry *e, hfd_gone_fn gone, void *arg)
{
	char name[RA_DOMAIN_MAX + 1];

	memcpy(name, e->name, sizeof(name));
	*e = d->e[--d->n];
	if (gone)
		gone(arg, name);
}

static void put(struct hfd_entry *e, const char *name, size_t n, uint64_t expires_ms)
{
	memcpy(e->name, name, n);
	e->name[n] = '\0';
	e->expires_ms = expires_ms;
}

int hfd_add_resolver(struct hfdomains *d, const char *name)
{
	size_t n = name_len(name);

	if (!n || find(d, name, n) || d->n == HFD_MAX)
		return 0;
	put(&d->e[d->n++], name, n, 0);
	return 1;
}

/* 1 if names[0..n) holds e's name */
static int named(const struct hfd_entry *e, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = names[i] ? name_len(names[i]) : 0;

		if (l && strncasecmp(e->name, names[i], l) == 0 && e->name[l] == '\0')
			return 1;
	}
	return 0;
}

size_t hfd_set_resolver(struct hfdomains *d, const char *const *names, size_t n, hfd_gone_fn gone,
			void *arg)
{
	size_t added = 0;

	for (size_t i = d->n; i-- > 0;)
		if (!d->e[i].expires_ms && !named(&d->e[i], names, n))
			drop(d, &d->e[i], gone, arg);
	for (size_t i = 0; i < n; i++)
		if (names[i])
			added += (size_t)hfd_add_resolver(d, names[i]);
	return added;
}

int hfd_add_ra(struct hfdomains *d, const char *name, uint32_t lifetime_s, uint64_t now_ms,
	       hfd_gone_fn gone, void *arg)
{
	size_t n = name_len(name);
	uint64_t until = now_ms + (uint64_t)lifetime_s * 1000;
	struct hfd_entry *e, *victim = NULL;

	if (!n)
		return 0;
	if ((e = find(d, name, n))) {
		if (e->expires_ms && !lifetime_s)
			drop(d, e, gone, arg); /* RFC 8106 §5.2: no longer to be used */
		else if (e->expires_ms)
			e->expires_ms = until;
		return 0;
	}
	if (!lifetime_s)
		return 0;
	if (d->n < HFD_MAX) {
		put(&d->e[d->n++], name, n, until);
		return 1;
	}
	for (size_t i = 0; i < d->n; i++)
		if (d->e[i].expires_ms && (!victim || d->e[i].expires_ms < victim->expires_ms))
			victim = &d->e[i];
	if (!victim)
		return 0; /* the resolver's alone */
	drop(d, victim, gone, arg);
	put(&d->e[d->n++], name, n, until);
	return 1;
}

size_t hfd_expire(struct hfdomains *d, uint64_t now_ms, hfd_gone_fn gone, void *arg)
{
	size_t k = 0;

	for (size_t i = d->n; i-- > 0;)
		if (d->e[i].expires_ms && d->e[i].expires_ms <= now_ms) {
			drop(d, &d->e[i], gone, arg);
			k++;
		}
	return k;
}
