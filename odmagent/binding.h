/* SPDX-License-Identifier: MIT */
/*
 * binding.h — the anchor's binding cache: one entry per home address, found
 * by home address (data plane, refresh by HNP) and by identity + Binding
 * Identifier (NAI, BID) (idempotent allocation: a retransmitted allocation
 * BU finds the entry it created). A min-heap on the expiry time gives the
 * next binding to expire in O(1), so one timer serves the whole cache.
 */
#ifndef ODM_BINDING_H
#define ODM_BINDING_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "mh.h"

struct binding {
	struct in6_addr hoa;       /* the anchored /128 (key) */
	struct in6_addr coa;       /* current care-of address */
	/* identity (key with bid); in the cache it points into the entry's own
	 * allocation, sized to the NAI: most NAIs are a tenth of MH_NAI_MAX, and
	 * inline they were most of an entry (344 of 384 bytes at 1 000 000). */
	const char *nai;
	uint16_t bid;
	uint16_t seq;              /* of the last BU accepted for it */
	uint16_t lifetime;         /* granted, 4-s units */
	uint64_t created_ms;       /* monotonic ms */
	uint64_t expires_ms;       /* monotonic ms */
	size_t ident;              /* owner's index in the identity table */
	uint8_t mode;              /* enum odm_anchor_mode it belongs to */
	uint8_t graceful;          /* access: Graceful-replacement */
	/* the last replay of an outage, in ms after created_ms (0 = none):
	 * one with the same care-of address replays only a later loss
	 * (anchor.c same_coa_loss); in the padding before deadline_ms */
	uint32_t replayed_at;
	uint64_t deadline_ms;      /* access: released then whatever the host asks
				    * (monotonic ms; 0 = none) */
	/* cache internals */
	struct binding *next_hoa, *next_id;
	size_t heap_idx;
};

struct bcache {
	struct binding **by_hoa, **by_id;
	size_t nbuckets;           /* power of two */
	size_t count;
	struct binding **heap;     /* min-heap on expires_ms */
	size_t heap_cap;
	uint64_t seed;
};

int bcache_init(struct bcache *bc);
/* Free every entry (fn, if given, is called on each first) and the cache */
void bcache_destroy(struct bcache *bc, void (*fn)(struct binding *b, void *arg), void *arg);

struct binding *bcache_find_hoa(const struct bcache *bc, const struct in6_addr *hoa);
struct binding *bcache_find_id(const struct bcache *bc, const char *nai, uint16_t bid);

/*
 * Insert a copy of tmpl (hoa, coa, nai, bid, seq, lifetime, created_ms,
 * expires_ms, ident, mode, graceful, deadline_ms); the NAI (at most MH_NAI_MAX
 * bytes are used) is copied too, so tmpl->nai need only live for the call.
 * Returns 0 with *out set, -EEXIST if hoa or (nai, bid)
 * is taken, -ENOMEM.
 */
int bcache_add(struct bcache *bc, const struct binding *tmpl, struct binding **out);
/* Change when b expires (keeps the heap in order) */
void bcache_set_expiry(struct bcache *bc, struct binding *b, uint64_t expires_ms);
/* Unlink and free b */
void bcache_remove(struct bcache *bc, struct binding *b);
/* The binding that expires first, NULL if the cache is empty */
struct binding *bcache_first_expiry(const struct bcache *bc);
/* Call fn on every entry; fn must not add or remove entries */
void bcache_foreach(const struct bcache *bc, void (*fn)(const struct binding *b, void *arg),
		    void *arg);

/* FNV-1a over n bytes at p, keyed with bc's random seed: the one hash of
 * the anchor's tables (the binding cache's chains, anchor_lost_be's
 * slots) */
uint64_t bcache_hash(const struct bcache *bc, const void *p, size_t n);

#endif
