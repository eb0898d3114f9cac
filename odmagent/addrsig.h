/* SPDX-License-Identifier: MIT */
/*
 * addrsig.h — a signature of the host's access addresses, to tell a
 * netlink burst that changed them (a move) from one that left them as
 * they were (a lease's address on the tunnel device, a route).
 */
#ifndef ODM_ADDRSIG_H
#define ODM_ADDRSIG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* FNV-1a over the addresses, in their order; never 0 (0 means "not known
 * yet") */
static inline uint64_t addrs_signature(const struct in6_addr *addrs, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < 16; k++)
			h = (h ^ addrs[i].s6_addr[k]) * 1099511628211ull;
	return h ? h : 1;
}

#endif
