/* SPDX-License-Identifier: MIT */
/*
 * pool.c — bounded /128 address pool inside a prefix (see pool.h).
 *
 * An address maps to an offset (its host bits); offsets above `size` are
 * outside the pool even when they are inside the prefix. The bitmap idea is
 * the usual one from DHCP servers' lease ranges; the lowest-free search
 * keeps a word hint so that a full pool does not cost a scan per call.
 * Released addresses cool in a second bitmap, in release order in a ring
 * (a FIFO), which is all a cooled address costs while it cools.
 */
#include "pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WORD_BITS 64u

static void mask_prefix(struct in6_addr *a, uint8_t plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;

		if (plen >= lo + 8)
			continue;
		if (plen <= lo)
			a->s6_addr[i] = 0;
		else
			a->s6_addr[i] &= (uint8_t)(0xff00u >> (plen - lo));
	}
}

int pool_contains(const struct pool *p, const struct in6_addr *addr)
{
	struct in6_addr a = *addr;

	mask_prefix(&a, p->plen);
	return memcmp(&a, &p->prefix, sizeof a) == 0;
}

/* Host offset of addr if it is in the pool's range (1..size), else 0 */
static uint32_t offset_of(const struct pool *p, const struct in6_addr *addr)
{
	uint64_t off = 0;

	if (!pool_contains(p, addr))
		return 0;
	/* size <= 2^32 - 1, so any usable offset lives in the low 4 bytes;
	 * a set bit above them means "beyond the bounded range". */
	for (unsigned i = 0; i < 12; i++) {
		unsigned lo = i * 8;
		uint8_t host = p->plen >= lo + 8 ? 0
			       : p->plen <= lo ? addr->s6_addr[i]
			       : (uint8_t)(addr->s6_addr[i] & (0xffu >> (p->plen - lo)));
		if (host)
			return 0;
	}
	for (unsigned i = 12; i < 16; i++)
		off = off << 8 | addr->s6_addr[i];
	/* the prefix's own bits in bytes 12..15 are not part of the offset */
	if (p->plen > 96) {
		unsigned hb = 128u - p->plen;

		off &= hb >= 32 ? 0xffffffffull : ((1ull << hb) - 1);
	}
	return off >= 1 && off <= p->size ? (uint32_t)off : 0;
}

static void addr_of(const struct pool *p, uint32_t off, struct in6_addr *out)
{
	*out = p->prefix;
	for (int i = 15; i >= 12; i--) {
		out->s6_addr[i] |= (uint8_t)off;
		off >>= 8;
	}
}

/* The bit of offset off in one of the pool's maps (bits, cool) */
static int map_get(const uint64_t *map, uint32_t off)
{
	uint32_t b = off - 1;

	return (int)(map[b / WORD_BITS] >> (b % WORD_BITS) & 1);
}

static void map_set(uint64_t *map, uint32_t off, int v)
{
	uint32_t b = off - 1;
	uint64_t m = 1ull << (b % WORD_BITS);

	if (v)
		map[b / WORD_BITS] |= m;
	else
		map[b / WORD_BITS] &= ~m;
}

/* The highest offset set in map, leaving out skip (0: none); 0 if none */
static uint32_t map_highest(const struct pool *p, const uint64_t *map, uint32_t skip)
{
	uint32_t words = (p->size + WORD_BITS - 1) / WORD_BITS;

	for (uint32_t w = words; w-- > 0;) {
		uint64_t b = map[w];

		if (skip && (skip - 1) / WORD_BITS == w)
			b &= ~(1ull << ((skip - 1) % WORD_BITS));
		if (b)
			return w * WORD_BITS + (uint32_t)(63 - __builtin_clzll(b)) + 1;
	}
	return 0;
}

static int bit_get(const struct pool *p, uint32_t off)
{
	return map_get(p->bits, off);
}

static void bit_set(struct pool *p, uint32_t off, int v)
{
	map_set(p->bits, off, v);
}

static int cool_get(const struct pool *p, uint32_t off)
{
	return map_get(p->cool, off);
}

int pool_init(struct pool *p, const struct in6_addr *prefix, uint8_t plen,
	      const struct in6_addr *exclude, uint32_t max)
{
	unsigned hb = 128u - plen;
	uint64_t n; /* usable offsets 1..n */
	uint32_t ex;

	memset(p, 0, sizeof *p);
	if (plen > 127)
		return -EINVAL;
	if (max == 0)
		max = POOL_MAX_DEFAULT;
	n = hb >= 33 ? 0xffffffffull : (1ull << hb) - 1; /* minus offset 0 */
	/* RFC 2526: the top 128 identifiers of a subnet are reserved anycast
	 * addresses; only subnets with room for them have them. */
	if (hb >= 8)
		n -= 128;
	if (n > max)
		n = max;
	if (n == 0)
		return -EINVAL;
	p->prefix = *prefix;
	mask_prefix(&p->prefix, plen);
	p->plen = plen;
	p->size = (uint32_t)n;
	p->bits = calloc((n + WORD_BITS - 1) / WORD_BITS, sizeof *p->bits);
	p->cool = calloc((n + WORD_BITS - 1) / WORD_BITS, sizeof *p->cool);
	if (!p->bits || !p->cool) {
		pool_free_all(p);
		return -ENOMEM;
	}
	p->avail = p->size;
	if (exclude && (ex = offset_of(p, exclude)) != 0) {
		bit_set(p, ex, 1);
		p->excl = ex;
		p->avail--;
	}
	if (p->avail == 0) {
		pool_free_all(p);
		return -EINVAL;
	}
	return 0;
}

void pool_free_all(struct pool *p)
{
	free(p->bits);
	free(p->cool);
	free(p->ring);
	memset(p, 0, sizeof *p);
}

/* A free offset becomes allocatable: the hints may have to come down */
static void hint_lower(struct pool *p, uint32_t off)
{
	uint32_t w = (off - 1) / WORD_BITS;

	if (w < p->hint)
		p->hint = w;
	if (w < p->hint_held)
		p->hint_held = w;
}

/* off stops cooling: its time is up, or it is taken or handed out */
static void cool_end(struct pool *p, uint32_t off)
{
	map_set(p->cool, off, 0);
	p->cooling--;
	if (!bit_get(p, off))
		hint_lower(p, off);
}

/* The ring's i-th entry from its head (the ring's storage is never const) */
static struct pool_cooled *ring_at(const struct pool *p, uint32_t i)
{
	return &p->ring[(p->ring_head + i) % p->ring_cap];
}

/* The oldest entry leaves the ring; if it still stands for a cooling
 * address (off not 0), that address is free again */
static void ring_pop(struct pool *p)
{
	uint32_t off = p->ring[p->ring_head].off;

	if (off)
		cool_end(p, off);
	p->ring_head = (p->ring_head + 1) % p->ring_cap;
	p->ring_len--;
}

/* off, cooling, is taken before its time: its entry stays, emptied */
static void cool_take(struct pool *p, uint32_t off)
{
	for (uint32_t i = 0; i < p->ring_len; i++)
		if (ring_at(p, i)->off == off) {
			ring_at(p, i)->off = 0;
			break;
		}
	cool_end(p, off);
}

/* Stamp off as released at at_ms (not before the newest entry's); with no
 * room for it, the oldest ends first. Each cooling address has one entry,
 * so the ring needs at most size of them beside emptied ones. */
static void cool_start(struct pool *p, uint32_t off, uint64_t at_ms)
{
	if (p->ring_len == p->ring_cap) {
		uint64_t cap = p->ring_cap ? (uint64_t)p->ring_cap * 2 : 64;
		struct pool_cooled *r = NULL;

		if (cap > (uint64_t)p->size + 64)
			cap = (uint64_t)p->size + 64; /* room for every address, and some */
		if (p->ring_cap < p->size)
			r = malloc((size_t)cap * sizeof *r);
		if (r) {
			for (uint32_t i = 0; i < p->ring_len; i++)
				r[i] = *ring_at(p, i);
			free(p->ring);
			p->ring = r;
			p->ring_cap = (uint32_t)cap;
			p->ring_head = 0;
		} else if (p->ring_cap) {
			ring_pop(p);
		} else {
			return; /* not even one entry: it is free at once */
		}
	}
	*ring_at(p, p->ring_len) = (struct pool_cooled){ .at_ms = at_ms, .off = off };
	p->ring_len++;
	map_set(p->cool, off, 1);
	p->cooling++;
}

void pool_clock(struct pool *p, uint64_t now_ms)
{
	p->now_ms = now_ms;
	while (p->ring_len && (!p->ring[p->ring_head].off ||
			       now_ms >= p->ring[p->ring_head].at_ms + POOL_COOL_MS))
		ring_pop(p);
}

uint64_t pool_cool_until(const struct pool *p)
{
	return p->ring_len ? p->ring[p->ring_head].at_ms + POOL_COOL_MS : UINT64_MAX;
}

/* The ring index of the longest cooling address that may be handed out
 * (not held), or ring_len if there is none */
static uint32_t coolest(struct pool *p)
{
	uint32_t i;

	for (i = 0; i < p->ring_len; i++) {
		uint32_t off = ring_at(p, i)->off;

		if (off && off > p->held)
			break;
	}
	return i;
}

int pool_alloc(struct pool *p, struct in6_addr *out)
{
	uint32_t words = (p->size + WORD_BITS - 1) / WORD_BITS;
	/* bit index of the first offset past the held ones (offset held + 1) */
	uint32_t first = p->held, w0 = first / WORD_BITS;
	uint32_t h = p->held ? p->hint_held : p->hint;

	if (p->used >= p->avail)
		return -ENOSPC;
	for (uint32_t w = h > w0 ? h : w0; w < words; w++) {
		uint64_t freeb = ~(p->bits[w] | p->cool[w]);
		uint32_t off;

		if (w == w0)
			freeb &= ~0ull << (first % WORD_BITS);
		if (!freeb)
			continue;
		off = w * WORD_BITS + (uint32_t)__builtin_ctzll(freeb) + 1;
		if (off > p->size)
			break;
		bit_set(p, off, 1);
		p->used++;
		if (p->held)
			p->hint_held = w;
		else
			p->hint = w;
		addr_of(p, off, out);
		return 0;
	}
	/* only cooling ones (or held ones) are free: the one released longest
	 * ago, rather than refuse the host */
	uint32_t i = coolest(p);

	if (i < p->ring_len) {
		uint32_t off = ring_at(p, i)->off;

		ring_at(p, i)->off = 0;
		bit_set(p, off, 1);
		cool_end(p, off);
		p->used++;
		addr_of(p, off, out);
		return 0;
	}
	return -ENOSPC; /* free offsets, if any, are all held */
}

void pool_addr_at(const struct pool *p, uint32_t off, struct in6_addr *out)
{
	addr_of(p, off, out);
}

void pool_hold(struct pool *p, uint32_t through)
{
	p->held = through < p->size ? through : p->size;
	p->hint_held = 0;
}

int pool_is_held(const struct pool *p, const struct in6_addr *addr)
{
	uint32_t off = offset_of(p, addr);

	return off && off <= p->held;
}

uint32_t pool_highest(const struct pool *p)
{
	/* the excluded address has its bit set too but is never "allocated" */
	return map_highest(p, p->bits, p->excl);
}

int pool_reserve(struct pool *p, const struct in6_addr *addr)
{
	uint32_t off = offset_of(p, addr);

	if (!off || off == p->excl)
		return -EINVAL;
	if (bit_get(p, off))
		return -EEXIST;
	bit_set(p, off, 1);
	if (cool_get(p, off))
		cool_take(p, off);
	p->used++;
	return 0;
}

int pool_is_allocated(const struct pool *p, const struct in6_addr *addr)
{
	uint32_t off = offset_of(p, addr);

	/* the excluded address has its bit set too but is never "allocated" */
	return off && off != p->excl && bit_get(p, off) ? 1 : 0;
}

int pool_release(struct pool *p, const struct in6_addr *addr)
{
	uint32_t off = offset_of(p, addr);

	if (!off || off == p->excl || !bit_get(p, off) || p->used == 0)
		return -EINVAL;
	bit_set(p, off, 0);
	p->used--;
	cool_start(p, off, p->now_ms);
	if (!cool_get(p, off))
		hint_lower(p, off);
	return 0;
}

int pool_cool_from(struct pool *p, uint32_t off, uint64_t at_ms)
{
	const struct pool_cooled *newest;

	if (!off || off > p->size || off == p->excl || at_ms > p->now_ms)
		return -EINVAL;
	newest = p->ring_len ? ring_at(p, p->ring_len - 1) : NULL;
	if (newest && at_ms < newest->at_ms)
		return -EINVAL; /* the ring is in release order */
	if (bit_get(p, off) || cool_get(p, off))
		return -EEXIST;
	if (p->now_ms - at_ms >= POOL_COOL_MS)
		return 0; /* cooled already */
	cool_start(p, off, at_ms);
	return 0;
}

void pool_cooling_each(const struct pool *p, void (*fn)(uint32_t off, uint64_t at_ms, void *arg),
		       void *arg)
{
	for (uint32_t i = 0; i < p->ring_len; i++) {
		const struct pool_cooled *c = ring_at(p, i);

		if (c->off)
			fn(c->off, c->at_ms, arg);
	}
}

uint32_t pool_free_count(const struct pool *p)
{
	return p->avail - p->used;
}

uint32_t pool_cooling_count(const struct pool *p)
{
	return p->cooling;
}

int pool_is_cooling(const struct pool *p, const struct in6_addr *addr)
{
	uint32_t off = offset_of(p, addr);

	return off && cool_get(p, off);
}

uint32_t pool_highest_cooling(const struct pool *p)
{
	return p->cooling ? map_highest(p, p->cool, 0) : 0;
}
