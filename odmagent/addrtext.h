/* SPDX-License-Identifier: MIT */
/* addrtext.h — an IPv6 address as text for logs and status replies. */
#ifndef ODM_ADDRTEXT_H
#define ODM_ADDRTEXT_H

#include <arpa/inet.h>
#include <netinet/in.h>

/* buf holds at least INET6_ADDRSTRLEN bytes; returns buf */
static inline const char *ntop6(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* The same, an IPv4 address given v4-mapped in its dotted form (as ip(8)
 * and the programs using it print it) */
static inline const char *ntop46(const struct in6_addr *a, char *buf)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		return inet_ntop(AF_INET, &a->s6_addr[12], buf, INET6_ADDRSTRLEN);
	return ntop6(a, buf);
}

#endif
