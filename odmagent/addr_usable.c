/* SPDX-License-Identifier: MIT */
/*
 * addr_usable.c — who waits for which just-added address, and the verdict
 * on each wait (see addr_usable.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr_usable.h"

void addr_waits_init(struct addr_waits *w)
{
	memset(w, 0, sizeof(*w));
}

void addr_waits_clear(struct addr_waits *w)
{
	free(w->v);
	addr_waits_init(w);
}

static struct addr_wait *find(const struct addr_waits *w, const void *key)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].key == key)
			return &w->v[i];
	return NULL;
}

int addr_waits_add(struct addr_waits *w, const void *key, const struct in6_addr *addr,
		   uint64_t now_ms)
{
	struct addr_wait *e;

	if (!w || !key || !addr)
		return -EINVAL;
	e = find(w, key);
	if (!e) {
		if (w->n == w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 8;
			struct addr_wait *v = realloc(w->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			w->v = v;
			w->cap = cap;
		}
		e = &w->v[w->n++];
		e->key = key;
	}
	e->addr = *addr;
	e->since_ms = now_ms;
	return 0;
}

const struct addr_wait *addr_waits_find(const struct addr_waits *w, const void *key)
{
	return find(w, key);
}

int addr_waits_del(struct addr_waits *w, const void *key)
{
	struct addr_wait *e = find(w, key);
	size_t i;

	if (!e)
		return 0;
	i = (size_t)(e - w->v);
	memmove(e, e + 1, (w->n - i - 1) * sizeof(*e));
	w->n--;
	return 1;
}

enum addr_verdict addr_wait_judge(const struct addr_wait *e, int local, uint64_t now_ms)
{
	if (local > 0)
		return ADDR_READY;
	/* a clock that went backwards (it cannot, monotonic) counts as no time */
	if (now_ms > e->since_ms && now_ms - e->since_ms >= ADDR_USABLE_BOUND_MS)
		return ADDR_FAILED;
	return ADDR_WAIT;
}

const char *addr_verdict_name(enum addr_verdict v)
{
	switch (v) {
	case ADDR_WAIT:
		return "wait";
	case ADDR_READY:
		return "ready";
	case ADDR_FAILED:
		return "failed";
	}
	return "?";
}
