/* SPDX-License-Identifier: MIT */
/* chacache.c — bounded TTL cache of CHA answers (see chacache.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chacache.h"
#include "dnsname.h"

struct cha_entry {
	int used;
	int found;
	uint64_t hash;
	uint64_t expires_ms;
	struct in6_addr cha;
	size_t keylen;
	unsigned char key[CHACACHE_KEY_MAX];
};

/*
 * Slots point to entries allocated when first filled: a lookup in a nearly
 * empty cache reads one small array instead of touching every entry's page
 * (what the first getaddrinfo of a process paid for).
 */
struct chacache {
	pthread_mutex_t lock;
	size_t cap, count;
	struct cha_entry **e;
};

/* FNV-1a: cheap, and collisions are resolved by comparing the key. */
static uint64_t hash_key(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct chacache *chacache_new(size_t capacity)
{
	struct chacache *c;

	if (capacity == 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->e = calloc(capacity, sizeof(*c->e));
	if (!c->e) {
		free(c);
		return NULL;
	}
	c->cap = capacity;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void chacache_free(struct chacache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	for (size_t i = 0; i < c->cap; i++)
		free(c->e[i]);
	free(c->e);
	free(c);
}

static struct cha_entry *find_locked(struct chacache *c, const void *key, size_t keylen,
				     uint64_t h)
{
	for (size_t i = 0; i < c->cap; i++) {
		struct cha_entry *e = c->e[i];
		if (e && e->used && e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
			return e;
	}
	return NULL;
}

/* A free slot, else an expired one, else the one expiring soonest; NULL: no memory. */
static struct cha_entry *victim_locked(struct chacache *c, uint64_t now_ms)
{
	struct cha_entry *best = NULL;

	for (size_t i = 0; i < c->cap; i++) {
		struct cha_entry *e = c->e[i];
		if (!e)
			return c->e[i] = calloc(1, sizeof(*e));
		if (!e->used)
			return e;
		if (e->expires_ms <= now_ms)
			return e;
		if (!best || e->expires_ms < best->expires_ms)
			best = e;
	}
	return best;
}

int chacache_put(struct chacache *c, const void *key, size_t keylen, const struct in6_addr *cha,
		 uint32_t ttl_s, uint64_t now_ms)
{
	struct cha_entry *e;
	uint64_t h;

	if (!c || keylen == 0 || keylen > CHACACHE_KEY_MAX)
		return -EINVAL;
	if (ttl_s == 0)
		return 0;
	if (ttl_s > CHACACHE_MAX_TTL)
		ttl_s = CHACACHE_MAX_TTL;
	h = hash_key(key, keylen);
	pthread_mutex_lock(&c->lock);
	e = find_locked(c, key, keylen, h);
	if (!e) {
		e = victim_locked(c, now_ms);
		if (!e) {
			pthread_mutex_unlock(&c->lock);
			return -ENOMEM;
		}
		if (!e->used)
			c->count++;
	}
	e->used = 1;
	e->hash = h;
	e->keylen = keylen;
	memcpy(e->key, key, keylen);
	e->found = cha != NULL;
	if (cha)
		e->cha = *cha;
	else
		memset(&e->cha, 0, sizeof(e->cha));
	e->expires_ms = now_ms + (uint64_t)ttl_s * 1000;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int chacache_get(struct chacache *c, const void *key, size_t keylen, struct in6_addr *cha,
		 uint32_t *ttl_left_s, uint64_t now_ms)
{
	struct cha_entry *e;
	int ret = CHA_MISS;

	if (!c || keylen == 0 || keylen > CHACACHE_KEY_MAX)
		return CHA_MISS;
	pthread_mutex_lock(&c->lock);
	e = find_locked(c, key, keylen, hash_key(key, keylen));
	if (e && e->expires_ms <= now_ms) {
		e->used = 0;
		c->count--;
	} else if (e) {
		ret = e->found ? CHA_FOUND : CHA_NONE;
		if (e->found && cha)
			*cha = e->cha;
		if (ttl_left_s)
			*ttl_left_s = (uint32_t)((e->expires_ms - now_ms + 999) / 1000);
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int chacache_del(struct chacache *c, const void *key, size_t keylen)
{
	struct cha_entry *e;

	if (!c || keylen == 0 || keylen > CHACACHE_KEY_MAX)
		return 0;
	pthread_mutex_lock(&c->lock);
	e = find_locked(c, key, keylen, hash_key(key, keylen));
	if (e) {
		e->used = 0;
		c->count--;
	}
	pthread_mutex_unlock(&c->lock);
	return e != NULL;
}

int chacache_same_answer(int r1, const struct in6_addr *cha1, int r2,
			 const struct in6_addr *cha2)
{
	if (r1 != r2)
		return 0;
	return r1 != CHA_FOUND || IN6_ARE_ADDR_EQUAL(cha1, cha2);
}

size_t chacache_count(struct chacache *c)
{
	size_t n;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}

int chacache_put_addr(struct chacache *c, const struct in6_addr *dst, const struct in6_addr *cha,
		      uint32_t ttl_s, uint64_t now_ms)
{
	return chacache_put(c, dst, sizeof(*dst), cha, ttl_s, now_ms);
}

int chacache_del_addr(struct chacache *c, const struct in6_addr *dst)
{
	return chacache_del(c, dst, sizeof(*dst));
}

int chacache_get_addr(struct chacache *c, const struct in6_addr *dst, struct in6_addr *cha,
		      uint32_t *ttl_left_s, uint64_t now_ms)
{
	return chacache_get(c, dst, sizeof(*dst), cha, ttl_left_s, now_ms);
}


int chacache_put_name(struct chacache *c, const char *name, const struct in6_addr *cha,
		      uint32_t ttl_s, uint64_t now_ms)
{
	char key[CHACACHE_KEY_MAX + 1]; /* (dnsname_fold's NUL) */
	size_t n = dnsname_fold(name, key, CHACACHE_KEY_MAX);

	return n ? chacache_put(c, key, n, cha, ttl_s, now_ms) : -EINVAL;
}

int chacache_get_name(struct chacache *c, const char *name, struct in6_addr *cha,
		      uint32_t *ttl_left_s, uint64_t now_ms)
{
	char key[CHACACHE_KEY_MAX + 1]; /* (dnsname_fold's NUL) */
	size_t n = dnsname_fold(name, key, CHACACHE_KEY_MAX);

	return n ? chacache_get(c, key, n, cha, ttl_left_s, now_ms) : CHA_MISS;
}

#define PROCESS_CACHE_SIZE 512

static pthread_once_t caches_once = PTHREAD_ONCE_INIT;
static struct chacache *cache_addr, *cache_name;

static void caches_init(void)
{
	cache_addr = chacache_new(PROCESS_CACHE_SIZE);
	/* read without pthread_once by chacache_by_name_if_made */
	__atomic_store_n(&cache_name, chacache_new(PROCESS_CACHE_SIZE), __ATOMIC_RELEASE);
}

struct chacache *chacache_by_addr(void)
{
	pthread_once(&caches_once, caches_init);
	return cache_addr;
}

struct chacache *chacache_by_name(void)
{
	pthread_once(&caches_once, caches_init);
	return cache_name;
}

struct chacache *chacache_by_name_if_made(void)
{
	return __atomic_load_n(&cache_name, __ATOMIC_ACQUIRE);
}

uint64_t chacache_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_BOOTTIME: a DNS TTL runs on while the machine is suspended,
	 * CLOCK_MONOTONIC stands still (clock_gettime(2)), and an answer
	 * cached an hour before a night's sleep was served for an hour after
	 * the wake */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void chacache_atfork_child(void)
{
	if (cache_addr)
		pthread_mutex_init(&cache_addr->lock, NULL);
	if (cache_name)
		pthread_mutex_init(&cache_name->lock, NULL);
}
