/* SPDX-License-Identifier: MIT */
/*
 * hook_getaddrinfo.c — the name lookups the shim learns destinations' names
 * from, getaddrinfo(), gethostbyname2() (and its _r form) and the requests
 * of getaddrinfo_a() once done, and the cha.<host> answer for their results.
 *
 * The real lookup runs first and alone. If the name's cha answer is
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
 *
 * A program's lookup that failed as a move's gap makes one fail (no route
 * to the nameserver: lookupgap.h) is asked about (any name, any family):
 * when the agent says the host is in a move's gap, it answers when the new
 * link is up (bounded, odm(7)) and the lookup is made once more; the
 * program sees that answer, or the first failure. Only a failure pays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "agent_client.h"
#include "chacache.h"
#include "chalookup.h"
#include "gaipending.h"
#include "guard.h"
#include "libc_real.h"
#include "lookupgap.h"
#include "ownpid.h"
#include "shim_connect.h"
#include "shim_log.h"
#include "shim_policy.h"

/* dst[0..n) and sa's address if it is eligible and not among them yet:
 * the new n (the same address comes once per socktype, and may come again) */
static size_t add_dst(struct in6_addr *dst, size_t n, const struct sockaddr *sa, socklen_t len)
{
	const struct in6_addr *a;

	if (!shim_policy_dst_eligible(sa, len))
		return n;
	a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	for (size_t i = 0; i < n; i++)
		if (IN6_ARE_ADDR_EQUAL(&dst[i], a))
			return n;
	dst[n] = *a;
	return n + 1;
}

/* The eligible IPv6 addresses of the result, each once, at most max. */
static size_t dsts_of(const struct addrinfo *ai, struct in6_addr *dst, size_t max)
{
	size_t n = 0;

	for (; ai && n < max; ai = ai->ai_next)
		n = add_dst(dst, n, ai->ai_addr, ai->ai_addrlen);
	return n;
}

/* The same of an AF_INET6 hostent */
static size_t dsts_of_hostent(const struct hostent *h, struct in6_addr *dst, size_t max)
{
	size_t n = 0;

	if (!h || h->h_addrtype != AF_INET6 || h->h_length != (int)sizeof(struct in6_addr) ||
	    !h->h_addr_list)
		return 0;
	for (char *const *p = h->h_addr_list; *p && n < max; p++) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

		memcpy(&sa.sin6_addr, *p, sizeof(sa.sin6_addr));
		n = add_dst(dst, n, (const struct sockaddr *)&sa, sizeof(sa));
	}
	return n;
}

/* Whether a program's lookup of node is one to note (and to run inside
 * the guard): not the shim's own, nor a name no destination can have a
 * cha for, nor in a process the shim does not serve */
static int lookup_to_note(const char *node, const struct addrinfo *hints)
{
	return !guard_active() && shim_policy_name_eligible(node, hints) && !ownpid_foreign();
}

/* Whether a lookup's result is to be noted: not when the process's type,
 * already known, wants no cha answer. A type not known yet is not asked
 * for here (that would make the caller wait for the agent): the
 * destinations are noted, and connect(), which asks anyway, decides
 * whether the cha answer is wanted. */
static int cha_wanted(void)
{
	int type = shim_process_type_known();

	return type < 0 || shim_policy_wants_cha(type);
}

/* node resolved to dst[0..ndst): record its cha answer for them if it is
 * cached, else note them for the first connect() to ask. */
static void note_result(const char *node, const struct in6_addr *dst, size_t ndst)
{
	struct in6_addr cha;
	struct chacache *names;
	uint32_t ttl = 0;
	int known;

	if (ndst == 0)
		return; /* nothing to attach a CHA to */
	/* the name cache is made by the first answer: none yet, nothing to read */
	names = chacache_by_name_if_made();
	known = names ? chacache_get_name(names, node, &cha, &ttl, chacache_now_ms()) : CHA_MISS;
	if (known == CHA_MISS)
		chalookup_defer(node, dst, ndst);
	else
		chalookup_record(node, dst, ndst, known, &cha, ttl, chacache_now_ms());
}

/* A lookup the program made, outside the guard: not the shim's own, nor
 * in a process the shim does not serve */
static int programs_lookup(void)
{
	return !guard_active() && !ownpid_foreign();
}

/*
 * A lookup of name failed with what (its words) as a move's gap makes one
 * fail. Asked of the agent (bounded) when the lookup is the program's
 * (guarded: made inside the guard already, a lookup being noted; else one
 * made outside it, in a process the shim serves). 1 when the gap is over:
 * errno put back to saved for the call again; else 0, errno as it was.
 * h_errno is left as it was either way.
 */
static int gap_retry(const char *name, const char *what, int guarded, int saved)
{
	char clean[64];
	unsigned waited = 0;
	int e = errno, he = h_errno, r;

	if (!guarded && !programs_lookup())
		return 0;
	if (!guarded)
		guard_enter();
	r = agent_move_wait(LOOKUPGAP_CALL_MS, 0, &waited);
	if (r > 0 || waited)
		shim_debug("lookup of %s failed (%s) in a move's gap: waited %u ms for the new "
			   "link, %s", shim_log_clean(clean, sizeof(clean), name ? name : ""), what,
			   waited, r > 0 ? "asking again" : "none came: the failure stands");
	if (!guarded)
		guard_leave();
	errno = r > 0 ? saved : e;
	h_errno = he;
	return r > 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	struct in6_addr dst[CHALOOKUP_MAX_DSTS];
	int saved = errno, ret, ret_errno;

	if (!lookup_to_note(node, hints)) {
		ret = REAL(getaddrinfo)(node, service, hints, res);
		if (ret != 0 && lookupgap_gai_failure(ret, hints) &&
		    gap_retry(node, gai_strerror(ret), 0, saved))
			ret = REAL(getaddrinfo)(node, service, hints, res);
		return ret;
	}
	/* From here on the resolver's sockets go straight to libc. */
	guard_enter();
	errno = saved;
	ret = REAL(getaddrinfo)(node, service, hints, res);
	if (ret != 0 && lookupgap_gai_failure(ret, hints) &&
	    gap_retry(node, gai_strerror(ret), 1, saved))
		ret = REAL(getaddrinfo)(node, service, hints, res);
	ret_errno = errno;
	if (ret == 0 && cha_wanted())
		note_result(node, dst, dsts_of(*res, dst, CHALOOKUP_MAX_DSTS));
	guard_leave();
	errno = ret_errno;
	return ret;
}

/* After the real call, inside the guard: note h's addresses for name,
 * errno and h_errno left as the real call left them */
static void note_hostent(const char *name, const struct hostent *h)
{
	struct in6_addr dst[CHALOOKUP_MAX_DSTS];
	int e = errno, he = h_errno;

	if (h && cha_wanted())
		note_result(name, dst, dsts_of_hostent(h, dst, CHALOOKUP_MAX_DSTS));
	errno = e;
	h_errno = he;
}

/* The old interface, still used (lftp, older programs): the same noting */
struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *h;
	int saved = errno, note = af == AF_INET6 && lookup_to_note(name, NULL);

	if (note)
		guard_enter();
	errno = saved;
	h = REAL(gethostbyname2)(name, af);
	if (!h && lookupgap_h_failure(h_errno) && gap_retry(name, hstrerror(h_errno), note, saved))
		h = REAL(gethostbyname2)(name, af);
	if (note) {
		note_hostent(name, h);
		guard_leave();
	}
	return h;
}

int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen,
		     struct hostent **result, int *h_errnop)
{
	int saved = errno, note = af == AF_INET6 && lookup_to_note(name, NULL), r;

	if (note)
		guard_enter();
	errno = saved;
	r = REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, h_errnop);
	if (result && !*result && h_errnop && lookupgap_h_failure(*h_errnop) &&
	    gap_retry(name, hstrerror(*h_errnop), note, saved))
		r = REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, h_errnop);
	if (note) {
		note_hostent(name, r == 0 && result ? *result : NULL);
		guard_leave();
	}
	return r;
}

/*
 * getaddrinfo_a(): glibc resolves its requests with an internal
 * getaddrinfo no hook sees, in threads of its own. A request's result is
 * noted where the program is sure to hold it: when GAI_WAIT returns, when
 * gai_suspend() returns (the requests it was handed are the program's
 * until then: one done among them is read before the program can free
 * it), and when gai_error() says the request is done (how a program
 * learns that, in a notification too). Its notification itself is left
 * as it is: the shim reading a request there could race with a program
 * that freed it once gai_suspend() woke it.
 *
 * Noted once, the first time it is seen done (gaipending.h).
 */
static void note_gaicb(const struct gaicb *g)
{
	struct in6_addr dst[CHALOOKUP_MAX_DSTS];
	int saved = errno;

	/* (a vfork child shares the parent's slots: it takes nothing) */
	if (ownpid_foreign() || !gaipending_take(g))
		return; /* noted already, or never handed to getaddrinfo_a here */
	if (!g->ar_result || !lookup_to_note(g->ar_name, g->ar_request))
		return;
	guard_enter();
	if (cha_wanted())
		note_result(g->ar_name, dst, dsts_of(g->ar_result, dst, CHALOOKUP_MAX_DSTS));
	guard_leave();
	errno = saved;
}

int getaddrinfo_a(int mode, struct gaicb *list[], int n, struct sigevent *sev)
{
	int (*real)(int, struct gaicb **, int, struct sigevent *) = REAL(getaddrinfo_a);
	int (*real_error)(struct gaicb *) = REAL(gai_error);
	int ret;

	if (!real) {
		errno = ENOSYS;
		return EAI_SYSTEM;
	}
	for (int i = 0; i < n; i++)
		if (list[i])
			gaipending_add(list[i]);
	ret = real(mode, list, n, sev);
	/* (GAI_WAIT interrupted by a signal: the requests done so far) */
	if (mode == GAI_WAIT && real_error)
		for (int i = 0; i < n; i++)
			if (list[i] && real_error(list[i]) == 0)
				note_gaicb(list[i]);
	return ret;
}

int gai_suspend(const struct gaicb *const list[], int n, const struct timespec *timeout)
{
	int (*real)(const struct gaicb *const[], int, const struct timespec *) = REAL(gai_suspend);
	int (*real_error)(struct gaicb *) = REAL(gai_error);
	int ret, saved;

	if (!real) {
		errno = ENOSYS;
		return EAI_SYSTEM;
	}
	ret = real(list, n, timeout);
	saved = errno;
	/* done or not, woken or timed out: a request done is read now (a
	 * program that handed one alone may take its return for done and
	 * read ar_result without gai_error) */
	if (real_error)
		for (int i = 0; i < n; i++)
			if (list[i] && real_error((struct gaicb *)list[i]) == 0)
				note_gaicb(list[i]);
	errno = saved;
	return ret;
}

int gai_error(struct gaicb *req)
{
	int (*real)(struct gaicb *) = REAL(gai_error);
	int ret;

	if (!real)
		return EAI_SYSTEM;
	ret = real(req);
	if (ret == 0)
		note_gaicb(req);
	return ret;
}
