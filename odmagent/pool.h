/* SPDX-License-Identifier: MIT */
/*
 * pool.h — the anchor's address pool: /128 home addresses handed out from
 * the configured prefix.
 *
 * The pool is bounded: only the first `max` host offsets of the prefix are
 * ever used, tracked in a bitmap, so a /64 costs max/8 bytes however large
 * the prefix is. Offset 0 (the Subnet-Router anycast address, RFC 4291
 * §2.6.1), the reserved subnet anycast addresses at the top of the prefix
 * (RFC 2526) and the anchor's own address are never handed out.
 *
 * Allocation takes the lowest free offset, which keeps the live set dense
 * (the crash hold, anchor.h ANCHOR_CRASH_HOLD, relies on it: the state
 * keeps the highest cooling offset for it, pool_highest_cooling). A released
 * address cools first: for POOL_COOL_MS it goes to nobody, so that the
 * late packets of its last holder's connections (a peer's retransmitted
 * data or FIN, which TCP sends for minutes) do not reach the next host, or
 * count as that host's traffic. Only when nothing else is free is a
 * cooling address handed out, the longest cooled first.
 */
#ifndef ODM_POOL_H
#define ODM_POOL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define POOL_MAX_DEFAULT 65536u
/* Twice the Maximum Segment Lifetime of RFC 9293 §3.4.2 (2 minutes): the
 * time TCP keeps a connection's 4-tuple from reuse, here the address */
#define POOL_COOL_MS (4u * 60u * 1000u)

struct pool_cooled {
	uint64_t at_ms; /* released then (the pool's clock) */
	uint32_t off;
};

struct pool {
	struct in6_addr prefix; /* host bits cleared */
	uint8_t plen;
	uint32_t size;     /* offsets 1..size are usable (bit i-1) */
	uint32_t used;     /* allocated, the excluded address not counted */
	uint32_t avail;    /* size minus the excluded address, if in range */
	uint64_t *bits;    /* 1 = allocated or excluded */
	uint32_t excl;     /* offset of the excluded address, 0 = none */
	uint32_t hint;     /* no free offset below this word index (ignoring
			    * held ones while some are held) */
	uint32_t held;     /* offsets 1..held: not handed out by pool_alloc */
	uint32_t hint_held; /* the same as hint, past the held offsets */
	uint64_t *cool;    /* 1 = released less than POOL_COOL_MS ago, free */
	uint32_t cooling;  /* bits set in cool */
	/* releases in order: a ring of cap entries from head; an entry whose
	 * cool bit is clear (taken again meanwhile) is skipped */
	struct pool_cooled *ring;
	uint32_t ring_cap, ring_head, ring_len;
	uint64_t now_ms;   /* the last pool_clock */
};

/*
 * Set up p for prefix/plen (plen 0..127), using at most max offsets (0 =
 * POOL_MAX_DEFAULT); exclude (may be NULL) is never handed out.
 * Returns 0, -EINVAL (plen out of range or nothing to hand out), -ENOMEM.
 */
int pool_init(struct pool *p, const struct in6_addr *prefix, uint8_t plen,
	      const struct in6_addr *exclude, uint32_t max);
void pool_free_all(struct pool *p);

/* 1 if addr lies in the prefix (whether or not it is usable), else 0 */
int pool_contains(const struct pool *p, const struct in6_addr *addr);
/*
 * The time is now_ms (monotonic): addresses released POOL_COOL_MS or more
 * before it are free again. Releases are stamped with the last time given.
 */
void pool_clock(struct pool *p, uint64_t now_ms);
/* When pool_clock next has something to do (UINT64_MAX: nothing cools) */
uint64_t pool_cool_until(const struct pool *p);
/* Allocate the lowest free address into out, else the longest cooling
 * one: 0 or -ENOSPC */
int pool_alloc(struct pool *p, struct in6_addr *out);
/* Take a specific address (e.g. restored state), cooling or not:
 * 0, -EEXIST, -EINVAL */
int pool_reserve(struct pool *p, const struct in6_addr *addr);
/* Give an address back, to cool: 0, or -EINVAL if it is not an allocated
 * one */
int pool_release(struct pool *p, const struct in6_addr *addr);
/*
 * Offset off (1..size), free, cools as if released at at_ms (the pool's
 * clock; not after its last pool_clock, nor before the last address that
 * began to cool): a restart restoring what the last run left cooling.
 * 0 (also when its time is already up), -EEXIST if it is allocated or
 * cooling, -EINVAL otherwise.
 */
int pool_cool_from(struct pool *p, uint32_t off, uint64_t at_ms);
/* fn(offset, released at) for each cooling address, the longest cooled first */
void pool_cooling_each(const struct pool *p, void (*fn)(uint32_t off, uint64_t at_ms, void *arg),
		       void *arg);
/* 1 if addr is currently allocated, else 0 */
int pool_is_allocated(const struct pool *p, const struct in6_addr *addr);
/*
 * Hold back offsets 1..through from pool_alloc (0: none held); pool_reserve
 * still takes them. An anchor that crashed holds the addresses it may have
 * handed out without saving, so that only their hosts' refreshes get them
 * (anchor.h ANCHOR_CRASH_HOLD). While some are held, pool_alloc returns
 * -ENOSPC when only held ones are free.
 */
void pool_hold(struct pool *p, uint32_t through);
/* 1 if addr is one of the held offsets (allocated or not), else 0 */
int pool_is_held(const struct pool *p, const struct in6_addr *addr);
/* The highest allocated offset (the excluded address not counted), 0 if none */
uint32_t pool_highest(const struct pool *p);
/* The address at offset off (1..size) */
void pool_addr_at(const struct pool *p, uint32_t off, struct in6_addr *out);
/* Addresses that can still be allocated (the cooling ones among them) */
uint32_t pool_free_count(const struct pool *p);
/* Of those, the ones released less than POOL_COOL_MS ago */
uint32_t pool_cooling_count(const struct pool *p);
/* 1 if addr is one of them, else 0 */
int pool_is_cooling(const struct pool *p, const struct in6_addr *addr);
/* The highest cooling offset, 0 if none: with pool_highest, where the
 * allocations of the next moments can be (past both, at the lowest) */
uint32_t pool_highest_cooling(const struct pool *p);

#endif
