/* SPDX-License-Identifier: MIT */
/*
 * chacache.h — what the shim knows about Corresponding Home Agents:
 * destination address -> CHA address (or "none"), and name -> CHA answer,
 * each with an expiry from the DNS TTL. Negative answers (no cha.<host>)
 * are cached too, so a host without a CHA costs one query per TTL, not one
 * per getaddrinfo. Bounded: when full, an expired entry or else the one
 * expiring soonest is evicted. Thread-safe (one mutex). Time is passed in
 * (monotonic milliseconds) so tests control it.
 */
#ifndef ODM_CHACACHE_H
#define ODM_CHACACHE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define CHACACHE_KEY_MAX 256   /* a DNS name (253) with room to spare */
#define CHACACHE_NEG_TTL 30    /* seconds a "no cha" answer is kept at most */
#define CHACACHE_MAX_TTL 86400 /* cap on any TTL (seconds) */

enum { CHA_MISS = -1, CHA_NONE = 0, CHA_FOUND = 1 };

struct chacache;

struct chacache *chacache_new(size_t capacity);
void chacache_free(struct chacache *c);

/*
 * Store key -> cha (cha NULL: a negative entry) for ttl_s seconds from
 * now_ms; replaces an entry with the same key. A TTL of 0 stores nothing.
 * Returns 0, -EINVAL for an empty or too long key, or -ENOMEM.
 */
int chacache_put(struct chacache *c, const void *key, size_t keylen, const struct in6_addr *cha,
		 uint32_t ttl_s, uint64_t now_ms);

/*
 * CHA_FOUND (and *cha, *ttl_left_s if non-NULL), CHA_NONE (negative,
 * *ttl_left_s set) or CHA_MISS (absent or expired; an expired entry is
 * removed).
 */
int chacache_get(struct chacache *c, const void *key, size_t keylen, struct in6_addr *cha,
		 uint32_t *ttl_left_s, uint64_t now_ms);

/* Remove key's entry, if any: 1 if there was one, else 0. */
int chacache_del(struct chacache *c, const void *key, size_t keylen);

/* 1 if two answers (CHA_FOUND with cha, or CHA_NONE) say the same */
int chacache_same_answer(int r1, const struct in6_addr *cha1, int r2,
			 const struct in6_addr *cha2);

/* Entries held (expired ones included until looked up or evicted). */
size_t chacache_count(struct chacache *c);

/* Convenience keys: a destination address, a host name (case-folded). */
int chacache_put_addr(struct chacache *c, const struct in6_addr *dst, const struct in6_addr *cha,
		      uint32_t ttl_s, uint64_t now_ms);
int chacache_get_addr(struct chacache *c, const struct in6_addr *dst, struct in6_addr *cha,
		      uint32_t *ttl_left_s, uint64_t now_ms);
int chacache_del_addr(struct chacache *c, const struct in6_addr *dst);
int chacache_put_name(struct chacache *c, const char *name, const struct in6_addr *cha,
		      uint32_t ttl_s, uint64_t now_ms);
int chacache_get_name(struct chacache *c, const char *name, struct in6_addr *cha,
		      uint32_t *ttl_left_s, uint64_t now_ms);

/* The process's two caches (by address, by name), created on first use. */
struct chacache *chacache_by_addr(void);
struct chacache *chacache_by_name(void);
/* The name cache if it was made already, else NULL (which every get misses). */
struct chacache *chacache_by_name_if_made(void);

/* The shim's clock in milliseconds: monotonic, counting the time the
 * machine was suspended (CLOCK_BOOTTIME), as TTLs do. */
uint64_t chacache_now_ms(void);

/* In a forked child: reset the locks of the process's caches. */
void chacache_atfork_child(void);

#pragma GCC visibility pop

#endif
