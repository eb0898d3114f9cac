/* SPDX-License-Identifier: MIT */
/*
 * vanished.c — the set difference that decides which addresses of the host
 * went away on a move (see vanished.h). Linear scans: both snapshots are
 * bounded by VANISHED_MAX and the anchored set by the lease table.
 */
#include <stdint.h>
#include <string.h>

#include "vanished.h"

static int in_set(const struct in6_addr *set, size_t n, const struct in6_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&set[i], a, sizeof(*a)) == 0)
			return 1;
	return 0;
}

size_t vanished_addrs(const struct in6_addr *before, size_t nb, const struct in6_addr *now,
		      size_t nn, const struct in6_addr *anchored, size_t na,
		      struct in6_addr *out)
{
	size_t k = 0;

	for (size_t i = 0; i < nb; i++) {
		const struct in6_addr *a = &before[i];

		if (in_set(now, nn, a) || in_set(anchored, na, a) || in_set(out, k, a))
			continue;
		out[k++] = *a;
	}
	return k;
}

int vanished_candidate4(const struct in6_addr *a)
{
	const uint8_t *b = &a->s6_addr[12];

	if (!IN6_IS_ADDR_V4MAPPED(a))
		return 0;
	return !(b[0] == 0 || b[0] == 127 || (b[0] == 169 && b[1] == 254) || b[0] >= 224);
}

int vanished_candidate(const struct in6_addr *a)
{
	return !(IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
		 IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MULTICAST(a) ||
		 IN6_IS_ADDR_V4MAPPED(a));
}
