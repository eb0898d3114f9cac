/* SPDX-License-Identifier: MIT */
/* dnsanswer.h — a DNS server's answer for the unit tests' own servers. */
#ifndef ODM_TEST_DNSANSWER_H
#define ODM_TEST_DNSANSWER_H

#include <stddef.h>
#include <string.h>

/*
 * The AAAA answer 2001:db8:ca::1 (TTL 60 s) to a query q of n bytes, in r
 * (max bytes): its length, 0 if q is no query with one question. The name
 * asked goes to name (namemax bytes, dotted, without the root's dot) if
 * name is not NULL.
 */
static inline size_t dns_aaaa_answer(const unsigned char *q, size_t n, unsigned char *r,
				     size_t max, char *name, size_t namemax)
{
	static const unsigned char rr[] = { 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16,
					    0x20, 0x01, 0x0d, 0xb8, 0, 0xca, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 1 };
	size_t i = 12, w = 0;

	if (n < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
		return 0;
	while (i < n && q[i] != 0) {
		size_t l = q[i];

		if (name && i + 1 + l <= n && w + l + 2 <= namemax) {
			if (w)
				name[w++] = '.';
			memcpy(name + w, q + i + 1, l);
			w += l;
		}
		i += l + 1;
	}
	if (name && namemax)
		name[w] = '\0';
	i += 5; /* the root label, type and class */
	if (i > n || i + sizeof(rr) > max)
		return 0;
	memcpy(r, q, i);
	r[2] = 0x84 | (q[2] & 0x01); /* a response, authoritative, RD as asked */
	r[3] = 0x80;                 /* RA, NOERROR */
	r[6] = 0;
	r[7] = 1;
	memset(r + 8, 0, 4);
	memcpy(r + i, rr, sizeof(rr));
	return i + sizeof(rr);
}

#endif
