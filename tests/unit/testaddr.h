/* SPDX-License-Identifier: MIT */
/* testaddr.h — IPv6 address helpers shared by the unit tests. */
#ifndef ODM_TESTADDR_H
#define ODM_TESTADDR_H

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>

/* The address written s; the test fails if s is not one. */
static inline struct in6_addr A(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1, "bad test address %s", s);
	return a;
}

/* Fails the test unless a is written want (RFC 5952 form). */
static inline void assert_addr(const struct in6_addr *a, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, buf, sizeof buf);
	cr_assert_str_eq(buf, want);
}

#endif
