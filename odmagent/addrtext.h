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

#endif
