/* SPDX-License-Identifier: MIT */
/*
 * tunnel_udp.c — runs of equal-sized inner packets for one UDP_SEGMENT send,
 * and a UDP_GRO buffer cut back into inner packets (tunnel_udp.h).
 */
#include "tunnel_udp.h"

#include <errno.h>

size_t tudp_run(const size_t *lens, size_t n)
{
	size_t g, sum, k;

	if (n == 0 || lens[0] == 0)
		return 0;
	g = lens[0];
	sum = g;
	for (k = 1; k < n && k < TUDP_SEGS_MAX; k++) {
		if (lens[k] == 0 || lens[k] > g || sum + lens[k] > TUDP_SEND_MAX)
			break;
		sum += lens[k];
		if (lens[k] < g) {
			/* a shorter one can only be the last of the run */
			k++;
			break;
		}
	}
	return k;
}

int tudp_split(size_t n, size_t gso, size_t *off, size_t *len, size_t max)
{
	size_t count, i;

	if (n == 0)
		return -EINVAL;
	if (gso == 0)
		gso = n;
	if (gso < TUDP_INNER_MIN || gso > n)
		return -EINVAL;
	count = n / gso + (n % gso != 0);
	if (count > max)
		return -E2BIG;
	for (i = 0; i < count; i++) {
		off[i] = i * gso;
		len[i] = i + 1 < count ? gso : n - i * gso;
	}
	return (int)count;
}

int tudp_inner_ok(const unsigned char *pkt, size_t n)
{
	if (n < TUDP_INNER_MIN || (pkt[0] >> 4) != 6)
		return 0;
	return (size_t)((pkt[4] << 8) | pkt[5]) + TUDP_INNER_MIN == n;
}
