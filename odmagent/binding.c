/* SPDX-License-Identifier: MIT */
/*
 * binding.c — binding cache (see binding.h): two chained hash tables over
 * the same entries plus a binary min-heap for expiry. The heap index lives
 * in the entry so a refresh re-sorts one entry in O(log n) (the classic
 * timer-heap layout, as in libuv's timer heap).
 */
#include "binding.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define BUCKETS_MIN 64

/* FNV-1a with a per-cache seed: the keys come from authenticated hosts, so
 * flooding a chain is not a worry, but a seed costs nothing. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t bcache_hash(const struct bcache *bc, const void *p, size_t n)
{
	return hash_bytes(bc->seed, p, n);
}

static size_t slot_hoa(const struct bcache *bc, const struct in6_addr *hoa, size_t nb)
{
	return (size_t)hash_bytes(bc->seed, hoa, sizeof *hoa) & (nb - 1);
}

static size_t slot_id(const struct bcache *bc, const char *nai, uint16_t bid, size_t nb)
{
	uint64_t h = hash_bytes(bc->seed ^ 0x9e3779b97f4a7c15ull, nai, strlen(nai));

	return (size_t)hash_bytes(h, &bid, sizeof bid) & (nb - 1);
}

int bcache_init(struct bcache *bc)
{
	memset(bc, 0, sizeof *bc);
	bc->nbuckets = BUCKETS_MIN;
	bc->by_hoa = calloc(bc->nbuckets, sizeof *bc->by_hoa);
	bc->by_id = calloc(bc->nbuckets, sizeof *bc->by_id);
	if (!bc->by_hoa || !bc->by_id) {
		free(bc->by_hoa);
		free(bc->by_id);
		memset(bc, 0, sizeof *bc);
		return -ENOMEM;
	}
	if (getrandom(&bc->seed, sizeof bc->seed, GRND_NONBLOCK) != sizeof bc->seed)
		bc->seed = 0xcbf29ce484222325ull;
	return 0;
}

void bcache_destroy(struct bcache *bc, void (*fn)(struct binding *b, void *arg), void *arg)
{
	for (size_t i = 0; bc->by_hoa && i < bc->nbuckets; i++) {
		struct binding *b = bc->by_hoa[i], *next;

		for (; b; b = next) {
			next = b->next_hoa;
			if (fn)
				fn(b, arg);
			free(b);
		}
	}
	free(bc->by_hoa);
	free(bc->by_id);
	free(bc->heap);
	memset(bc, 0, sizeof *bc);
}

struct binding *bcache_find_hoa(const struct bcache *bc, const struct in6_addr *hoa)
{
	struct binding *b = bc->by_hoa[slot_hoa(bc, hoa, bc->nbuckets)];

	while (b && memcmp(&b->hoa, hoa, sizeof *hoa) != 0)
		b = b->next_hoa;
	return b;
}

struct binding *bcache_find_id(const struct bcache *bc, const char *nai, uint16_t bid)
{
	struct binding *b = bc->by_id[slot_id(bc, nai, bid, bc->nbuckets)];

	while (b && (b->bid != bid || strcmp(b->nai, nai) != 0))
		b = b->next_id;
	return b;
}

/* ---- heap ---- */

static void heap_put(struct bcache *bc, size_t i, struct binding *b)
{
	bc->heap[i] = b;
	b->heap_idx = i;
}

static void heap_up(struct bcache *bc, size_t i)
{
	struct binding *b = bc->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (bc->heap[parent]->expires_ms <= b->expires_ms)
			break;
		heap_put(bc, i, bc->heap[parent]);
		i = parent;
	}
	heap_put(bc, i, b);
}

static void heap_down(struct bcache *bc, size_t i)
{
	struct binding *b = bc->heap[i];
	size_t n = bc->count;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && bc->heap[c + 1]->expires_ms < bc->heap[c]->expires_ms)
			c++;
		if (b->expires_ms <= bc->heap[c]->expires_ms)
			break;
		heap_put(bc, i, bc->heap[c]);
		i = c;
	}
	heap_put(bc, i, b);
}

/* ---- insert / remove ---- */

static int grow(struct bcache *bc)
{
	size_t nb = bc->nbuckets * 2;
	struct binding **h = calloc(nb, sizeof *h), **d = calloc(nb, sizeof *d);

	if (!h || !d) {
		free(h);
		free(d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < bc->nbuckets; i++) {
		struct binding *b, *next;

		for (b = bc->by_hoa[i]; b; b = next) {
			size_t s = slot_hoa(bc, &b->hoa, nb);

			next = b->next_hoa;
			b->next_hoa = h[s];
			h[s] = b;
		}
		for (b = bc->by_id[i]; b; b = next) {
			size_t s = slot_id(bc, b->nai, b->bid, nb);

			next = b->next_id;
			b->next_id = d[s];
			d[s] = b;
		}
	}
	free(bc->by_hoa);
	free(bc->by_id);
	bc->by_hoa = h;
	bc->by_id = d;
	bc->nbuckets = nb;
	return 0;
}

int bcache_add(struct bcache *bc, const struct binding *tmpl, struct binding **out)
{
	struct binding *b;
	size_t s, n;
	char *nai;

	if (!tmpl->nai)
		return -EINVAL;
	if (bcache_find_hoa(bc, &tmpl->hoa) || bcache_find_id(bc, tmpl->nai, tmpl->bid))
		return -EEXIST;
	/* a failed grow only makes chains longer; carry on */
	if (bc->count >= bc->nbuckets)
		(void)grow(bc);
	if (bc->count == bc->heap_cap) {
		size_t cap = bc->heap_cap ? bc->heap_cap * 2 : BUCKETS_MIN;
		struct binding **heap = realloc(bc->heap, cap * sizeof *heap);

		if (!heap)
			return -ENOMEM;
		bc->heap = heap;
		bc->heap_cap = cap;
	}
	n = strnlen(tmpl->nai, MH_NAI_MAX);
	b = malloc(sizeof *b + n + 1);
	if (!b)
		return -ENOMEM;
	*b = *tmpl;
	nai = (char *)(b + 1);
	memcpy(nai, tmpl->nai, n);
	nai[n] = '\0';
	b->nai = nai;
	s = slot_hoa(bc, &b->hoa, bc->nbuckets);
	b->next_hoa = bc->by_hoa[s];
	bc->by_hoa[s] = b;
	s = slot_id(bc, b->nai, b->bid, bc->nbuckets);
	b->next_id = bc->by_id[s];
	bc->by_id[s] = b;
	bc->heap[bc->count] = b;
	b->heap_idx = bc->count;
	bc->count++;
	heap_up(bc, b->heap_idx);
	*out = b;
	return 0;
}

void bcache_set_expiry(struct bcache *bc, struct binding *b, uint64_t expires_ms)
{
	uint64_t old = b->expires_ms;

	b->expires_ms = expires_ms;
	if (expires_ms < old)
		heap_up(bc, b->heap_idx);
	else
		heap_down(bc, b->heap_idx);
}

static void unlink_chain(struct binding **head, struct binding *b, int by_hoa)
{
	struct binding **pp = head;

	while (*pp && *pp != b)
		pp = by_hoa ? &(*pp)->next_hoa : &(*pp)->next_id;
	if (*pp)
		*pp = by_hoa ? b->next_hoa : b->next_id;
}

void bcache_remove(struct bcache *bc, struct binding *b)
{
	size_t i = b->heap_idx;

	unlink_chain(&bc->by_hoa[slot_hoa(bc, &b->hoa, bc->nbuckets)], b, 1);
	unlink_chain(&bc->by_id[slot_id(bc, b->nai, b->bid, bc->nbuckets)], b, 0);
	bc->count--;
	if (i != bc->count) {
		struct binding *last = bc->heap[bc->count];

		heap_put(bc, i, last);
		/* the moved entry may belong above or below its new slot */
		heap_up(bc, i);
		heap_down(bc, last->heap_idx);
	}
	free(b);
}

struct binding *bcache_first_expiry(const struct bcache *bc)
{
	return bc->count ? bc->heap[0] : NULL;
}

void bcache_foreach(const struct bcache *bc, void (*fn)(const struct binding *b, void *arg),
		    void *arg)
{
	for (size_t i = 0; i < bc->nbuckets; i++)
		for (const struct binding *b = bc->by_hoa[i]; b; b = b->next_hoa)
			fn(b, arg);
}
