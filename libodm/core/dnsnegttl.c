/* SPDX-License-Identifier: MIT */
/* dnsnegttl.c — the negative-caching TTL of a DNS answer (see dnsnegttl.h). */
#include "dnsnegttl.h"

#define DNS_HEADER 12
#define DNS_TYPE_SOA 6
#define DNS_CLASS_IN 1

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The end of the name at msg[at], not past end: its labels (each 1..63
 * octets, the name 255 octets at most with its root label, RFC 1035
 * §2.3.4) up to the root label or a compression pointer (RFC 1035 §4.1.4)
 * to an earlier offset past the header; 0 if malformed. The pointer is
 * not followed: only where the name ends matters here.
 */
static size_t skip_name(const unsigned char *msg, size_t at, size_t end)
{
	size_t total = 0;

	while (at < end) {
		unsigned l = msg[at];

		if (l == 0)
			return at + 1;
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (at + 2 > end)
				return 0;
			to = (size_t)((l & 0x3f) << 8 | msg[at + 1]);
			if (to < DNS_HEADER || to >= at)
				return 0;
			return at + 2;
		}
		if (l & 0xc0) /* the reserved label types */
			return 0;
		total += l + 1;
		if (total + 1 > 255) /* and the root label's octet */
			return 0;
		at += 1 + l;
	}
	return 0;
}

int dns_negative_ttl(const unsigned char *msg, size_t len, uint32_t *ttl_s)
{
	size_t at = DNS_HEADER;
	unsigned qd, an, ns;

	if (!msg || len < DNS_HEADER)
		return -1;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	for (unsigned i = 0; i < qd; i++) {
		at = skip_name(msg, at, len);
		if (!at || at + 4 > len)
			return -1;
		at += 4; /* type, class */
	}
	for (unsigned i = 0; i < an + ns; i++) {
		size_t rd, rdend, p;
		uint16_t type, class;
		uint32_t ttl, min;

		at = skip_name(msg, at, len);
		if (!at || at + 10 > len)
			return -1;
		type = get16(msg + at);
		class = get16(msg + at + 2);
		ttl = get32(msg + at + 4);
		rd = at + 10;
		rdend = rd + get16(msg + at + 8);
		if (rdend > len)
			return -1;
		at = rdend;
		if (i < an || type != DNS_TYPE_SOA || class != DNS_CLASS_IN)
			continue;
		/* MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM */
		p = skip_name(msg, rd, rdend);
		if (p)
			p = skip_name(msg, p, rdend);
		if (!p || p + 20 != rdend)
			return -1;
		min = get32(msg + p + 16);
		/* a TTL with its top bit set counts as 0 (RFC 2181 §8) */
		if (ttl & 0x80000000u)
			ttl = 0;
		if (min & 0x80000000u)
			min = 0;
		*ttl_s = ttl < min ? ttl : min;
		return 0;
	}
	return -1;
}
