/* SPDX-License-Identifier: MIT */
/*
 * pool.c — bounded /128 address pool inside a prefix (see pool.h).
 *
 * An address maps to an offset (its host bits); offsets above `size` are
 * outside the pool even when they are inside the prefix. The bitmap idea is
 * the usual one from DHCP servers' lease ranges; the lowest-free search
 * keeps a word hint so that a full pool does not cost a scan per call.
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

static int bit_get(const struct pool *p, uint32_t off)
{
	uint32_t b = off - 1;

	return (int)(p->bits[b / WORD_BITS] >> (b % WORD_BITS) & 1);
}

static void bit_set(struct pool *p, uint32_t off, int v)
{
	uint32_t b = off - 1;
	uint64_t m = 1ull << (b % WORD_BITS);

	if (v)
		p->bits[b / WORD_BITS] |= m;
	else
		p->bits[b / WORD_BITS] &= ~m;
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
	if (!p->bits)
		return -ENOMEM;
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
	memset(p, 0, sizeof *p);
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
		uint64_t freeb = ~p->bits[w];
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
	uint32_t words = (p->size + WORD_BITS - 1) / WORD_BITS;

	for (uint32_t w = words; w-- > 0;) {
		uint64_t b = p->bits[w];

		if (p->excl && (p->excl - 1) / WORD_BITS == w)
			b &= ~(1ull << ((p->excl - 1) % WORD_BITS));
		if (b)
			return w * WORD_BITS + (uint32_t)(63 - __builtin_clzll(b)) + 1;
	}
	return 0;
}

int pool_reserve(struct pool *p, const struct in6_addr *addr)
{
	uint32_t off = offset_of(p, addr);

	if (!off || off == p->excl)
		return -EINVAL;
	if (bit_get(p, off))
		return -EEXIST;
	bit_set(p, off, 1);
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
	if ((off - 1) / WORD_BITS < p->hint)
		p->hint = (off - 1) / WORD_BITS;
	if ((off - 1) / WORD_BITS < p->hint_held)
		p->hint_held = (off - 1) / WORD_BITS;
	return 0;
}

uint32_t pool_free_count(const struct pool *p)
{
	return p->avail - p->used;
}
