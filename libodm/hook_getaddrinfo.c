/* SPDX-License-Identifier: MIT */
/*
 * hook_getaddrinfo.c — getaddrinfo() and the cha.<host> answer for its result.
 *
 * The real getaddrinfo runs first and alone. If the name's cha answer is
 * cached (by name, within its TTL), every eligible IPv6 address of the
 * result is recorded as destination -> CHA (or "none") in the cache
 * connect() reads. If not, the name and those addresses are noted and the
 * first connect() to one of them asks (chalookup.h): the caller of
 * getaddrinfo waits for libc's lookup only, and a process that never
 * connects to the name never asks. Nor is the agent asked for the
 * process's type here: without ODM_TYPE or an earlier answer, the
 * addresses are noted and connect() decides. The result is exactly what libc built:
 * the torsocks way (our bookkeeping, then the real call; no freeaddrinfo
 * hook).
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
#include "ownpid.h"
#include "shim_connect.h"
#include "shim_log.h"
#include "shim_policy.h"

/* The eligible IPv6 addresses of the result, each once, at most max. */
static size_t dsts_of(const struct addrinfo *ai, struct in6_addr *dst, size_t max)
{
	size_t n = 0;

	for (; ai && n < max; ai = ai->ai_next) {
		const struct sockaddr_in6 *d;
		if (!shim_policy_dst_eligible(ai->ai_addr, ai->ai_addrlen))
			continue;
		d = (const struct sockaddr_in6 *)ai->ai_addr;
		/* The same address comes once per socktype: record it once. */
		if (n > 0 && IN6_ARE_ADDR_EQUAL(&dst[n - 1], &d->sin6_addr))
			continue;
		dst[n++] = d->sin6_addr;
	}
	return n;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	struct in6_addr cha, dst[CHALOOKUP_MAX_DSTS];
	struct chacache *names;
	uint32_t ttl = 0;
	size_t ndst;
	int saved = errno, ret, ret_errno, known, type;

	if (guard_active() || !shim_policy_name_eligible(node, hints) || ownpid_foreign())
		return REAL(getaddrinfo)(node, service, hints, res);
	/* From here on the resolver's sockets go straight to libc. */
	guard_enter();
	errno = saved;
	ret = REAL(getaddrinfo)(node, service, hints, res);
	ret_errno = errno;
	if (ret != 0)
		goto out;
	/* A type not known yet is not asked for here (that would make the
	 * caller wait for the agent): the destinations are noted, and connect(),
	 * which asks anyway, decides whether the cha answer is wanted. */
	type = shim_process_type_known();
	if (type >= 0 && !shim_policy_wants_cha(type))
		goto out;
	ndst = dsts_of(*res, dst, CHALOOKUP_MAX_DSTS);
	if (ndst == 0)
		goto out; /* nothing to attach a CHA to */
	/* the name cache is made by the first answer: none yet, nothing to read */
	names = chacache_by_name_if_made();
	known = names ? chacache_get_name(names, node, &cha, &ttl, chacache_now_ms()) : CHA_MISS;
	if (known == CHA_MISS)
		chalookup_defer(node, dst, ndst);
	else
		chalookup_record(node, dst, ndst, known, &cha, ttl, chacache_now_ms());
out:
	guard_leave();
	errno = ret_errno;
	return ret;
}
