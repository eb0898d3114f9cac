/* SPDX-License-Identifier: MIT */
/* shim_policy.c — type choice and eligibility rules of the shim (see shim_policy.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addrscope.h"
#include "odm.h"
#include "shim_policy.h"

int shim_policy_type(const char *env_value, int agent_default, int *env_bad)
{
	int t;

	if (env_bad)
		*env_bad = 0;
	if (env_value && *env_value) {
		t = odm_type_parse(env_value);
		if (t > 0)
			return t;
		if (env_bad)
			*env_bad = 1;
	}
	if (agent_default >= ODM_TYPE_FIXED && agent_default <= ODM_TYPE_GRACEFUL_REPLACEMENT)
		return agent_default;
	return ODM_TYPE_NONE;
}

int shim_policy_wants_cha(int type)
{
	return type == ODM_TYPE_SESSION_LASTING;
}

int shim_policy_wants_lease(int type)
{
	return type == ODM_TYPE_SESSION_LASTING || type == ODM_TYPE_GRACEFUL_REPLACEMENT;
}

#ifndef SIN6_LEN_RFC2133
#define SIN6_LEN_RFC2133 24 /* the kernel's (include/uapi/linux/in6.h): no scope id */
#endif

int shim_policy_dst_eligible(const struct sockaddr *sa, socklen_t len)
{
	const struct in6_addr *a;

	/* 24 bytes, without the scope id, is RFC 2133's length, which Linux
	 * still takes (SIN6_LEN_RFC2133): the address is all read here */
	if (!sa || len < SIN6_LEN_RFC2133 || sa->sa_family != AF_INET6)
		return 0;
	a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
	    IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
		return 0;
	return 1;
}

int shim_policy_cha_pick(const struct in6_addr *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (addr_is_routable(&a[i]))
			return (int)i;
	return -1;
}

int shim_policy_dst_ipv4(const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < (socklen_t)sizeof(sa->sa_family))
		return 0;
	if (sa->sa_family == AF_INET)
		return len >= (socklen_t)sizeof(struct sockaddr_in);
	return sa->sa_family == AF_INET6 && len >= SIN6_LEN_RFC2133 &&
	       IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

const char *shim_policy_dst_local(const struct sockaddr *sa, socklen_t len)
{
	const struct in6_addr *a;

	if (!sa || len < SIN6_LEN_RFC2133 || sa->sa_family != AF_INET6)
		return NULL;
	a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return "unspecified";
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "loopback";
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return "link-local";
	if (IN6_IS_ADDR_MULTICAST(a))
		return "multicast";
	return IN6_IS_ADDR_V4COMPAT(a) ? "IPv4-compatible" : NULL;
}

int shim_policy_bind_chooses_nothing(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	/* (the kernel takes RFC 2133's 24 bytes here too) */
	if (!sa || len < SIN6_LEN_RFC2133 || sa->sa_family != AF_INET6)
		return 0;
	return s6->sin6_port == 0 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
}

/*
 * 1 if node is surely a host name: no colon, and before any white space
 * (inet_aton ignores what follows one) a character that no numeric form
 * has (digits, hex digits, '.', 'x'). Most names are told at once by their
 * letters, without calling the parsers (no libc call at all: this runs in
 * the first getaddrinfo of a process, where each new function costs).
 */
static int surely_a_name(const char *node)
{
	int name_char = 0, space = 0;

	for (const char *p = node; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ':')
			return 0;
		if (c == ' ' || (c >= '\t' && c <= '\r'))
			space = 1;
		else if (!space && !((c >= '0' && c <= '9') || c == '.' || c == 'x' || c == 'X' ||
				     ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')))
			name_char = 1;
	}
	return name_char;
}

/* Numeric the way getaddrinfo sees it: inet_aton forms ("127.1") and IPv6 with %scope. */
static int is_numeric(const char *node)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN + 1];
	const char *pct;

	if (surely_a_name(node))
		return 0;
	if (inet_aton(node, &a4))
		return 1;
	if (inet_pton(AF_INET6, node, &a6) == 1)
		return 1;
	pct = strchr(node, '%');
	if (pct && (size_t)(pct - node) < sizeof(buf)) {
		memcpy(buf, node, (size_t)(pct - node));
		buf[pct - node] = '\0';
		return inet_pton(AF_INET6, buf, &a6) == 1;
	}
	/* Anything with a colon is no host name, whatever it is. */
	return strchr(node, ':') != NULL;
}

static int is_localhost(const char *node, size_t n)
{
	static const char lh[] = "localhost";
	const size_t l = sizeof(lh) - 1;

	if (n > 0 && node[n - 1] == '.')
		n--;
	if (n == l && strncasecmp(node, lh, l) == 0)
		return 1;
	/* RFC 6761: *.localhost is loopback too. */
	return n > l && node[n - l - 1] == '.' && strncasecmp(node + n - l, lh, l) == 0;
}

int shim_policy_name_eligible(const char *node, const struct addrinfo *hints)
{
	size_t n;

	if (!node || !*node)
		return 0;
	if (hints && (hints->ai_flags & AI_NUMERICHOST))
		return 0;
	if (hints && hints->ai_family == AF_INET)
		return 0; /* only IPv6 destinations are anchored */
	n = strlen(node);
	/* "cha." and the name, the root's dot of a rooted one not counted,
	 * within a DNS name's 253 octets (RFC 1035 §2.3.4) */
	if (n + 4 - (node[n - 1] == '.') > 253)
		return 0;
	if (is_localhost(node, n) || is_numeric(node))
		return 0;
	return 1;
}
