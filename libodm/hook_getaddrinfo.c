/*
 * hook_getaddrinfo.c — getaddrinfo() with the cha.<host> lookup beside it.
 *
 * The c-ares query for AAAA cha.<node> starts first, then the real
 * getaddrinfo runs (so both are in flight at once), then the cha answer is
 * collected, waiting at most until CHALOOKUP_MAX_WAIT_MS after the start:
 * the caller waits for the slower of the two, not their sum. Every IPv6
 * address of the result is then recorded as destination -> CHA (or "none")
 * in the cache connect() reads. The result is exactly what libc built:
 * the torsocks way (our lookup, then the real call; no freeaddrinfo hook).
 * Answers are cached by name too, so a repeat within the TTL sends nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "chacache.h"
#include "chalookup.h"
#include "guard.h"
#include "libc_real.h"
#include "shim_connect.h"
#include "shim_log.h"
#include "shim_policy.h"

static int has_v6(const struct addrinfo *ai)
{
	for (; ai; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6 && ai->ai_addr)
			return 1;
	return 0;
}

/* dst -> cha (or none) for every eligible IPv6 address of the result. */
static void record(const char *node, const struct addrinfo *ai, int found,
		   const struct in6_addr *cha, uint32_t ttl, uint64_t now)
{
	struct chacache *c = chacache_by_addr();
	char dbuf[INET6_ADDRSTRLEN], cbuf[INET6_ADDRSTRLEN];
	const struct in6_addr *last = NULL;

	if (found)
		inet_ntop(AF_INET6, cha, cbuf, sizeof(cbuf));
	for (; ai; ai = ai->ai_next) {
		const struct sockaddr_in6 *d;
		if (!shim_policy_dst_eligible(ai->ai_addr, ai->ai_addrlen))
			continue;
		d = (const struct sockaddr_in6 *)ai->ai_addr;
		/* The same address comes once per socktype: record it once. */
		if (last && IN6_ARE_ADDR_EQUAL(last, &d->sin6_addr))
			continue;
		last = &d->sin6_addr;
		chacache_put_addr(c, &d->sin6_addr, found ? cha : NULL, ttl, now);
		inet_ntop(AF_INET6, &d->sin6_addr, dbuf, sizeof(dbuf));
		if (found)
			shim_debug("getaddrinfo %s: %s has cha %s (ttl %u s)", node, dbuf, cbuf, ttl);
		else
			shim_debug("getaddrinfo %s: %s has no cha (ttl %u s)", node, dbuf, ttl);
	}
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	struct cha_query *q = NULL;
	struct in6_addr cha;
	uint64_t start, done_real, now;
	uint32_t ttl = 0;
	int saved = errno, ret, ret_errno, known;

	if (guard_active() || !shim_policy_name_eligible(node, hints))
		return REAL(getaddrinfo)(node, service, hints, res);
	/* From here on the resolver's and c-ares's sockets go straight to libc. */
	guard_enter();
	if (!shim_policy_wants_cha(shim_process_type())) {
		errno = saved;
		ret = REAL(getaddrinfo)(node, service, hints, res);
		guard_leave();
		return ret;
	}
	start = chacache_now_ms();
	known = chacache_get_name(chacache_by_name(), node, &cha, &ttl, start);
	if (known == CHA_MISS)
		q = chalookup_start(node);

	errno = saved;
	ret = REAL(getaddrinfo)(node, service, hints, res);
	ret_errno = errno;
	done_real = chacache_now_ms();

	if (q && (ret != 0 || !has_v6(*res))) {
		/* Nothing to attach a CHA to: do not make the caller wait for it. */
		chalookup_abandon(q);
		q = NULL;
	}
	if (q) {
		int r = chalookup_finish(q, start + CHALOOKUP_MAX_WAIT_MS, &cha, &ttl);
		now = chacache_now_ms();
		shim_debug("getaddrinfo %s: resolver %llu ms, cha.%s %s after %llu ms (+%llu ms)",
			   node, (unsigned long long)(done_real - start), node,
			   r == CHA_FOUND ? "found" : r == CHA_NONE ? "absent" : "unknown",
			   (unsigned long long)(now - start),
			   (unsigned long long)(now > done_real ? now - done_real : 0));
		if (r >= 0) {
			chacache_put_name(chacache_by_name(), node, r == CHA_FOUND ? &cha : NULL, ttl, now);
			known = r;
		}
	}
	if (ret == 0 && known >= 0)
		record(node, *res, known == CHA_FOUND, &cha, ttl, chacache_now_ms());
	guard_leave();
	errno = ret_errno;
	return ret;
}
