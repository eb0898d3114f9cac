/* SPDX-License-Identifier: MIT */
/*
 * cksum.c — the Internet checksum over the IPv6 pseudo-header (cksum.h),
 * one implementation for the Mobility Header codec, the anchor's replay
 * and the userspace tunnel's offloads.
 *
 * Eight bytes are added at a time in the machine's own order with
 * end-around carry; the ones' complement sum does not depend on the byte
 * order it is taken in (RFC 1071 §2(B)), so the folded result is swapped to
 * big-endian meaning once at the end. Bytes are loaded with memcpy, so the
 * input needs no alignment.
 */
#include "cksum.h"
#include "mh_priv.h"

#include <endian.h>
#include <string.h>

/* IPv6 next header value of the Mobility Header */
#define MH_NEXT_HEADER 135

static uint16_t to_host_meaning(uint16_t native)
{
#if __BYTE_ORDER == __LITTLE_ENDIAN
	return (uint16_t)(native >> 8 | native << 8);
#else
	return native;
#endif
}

uint16_t cksum_add(uint16_t sum, const uint8_t *p, size_t len)
{
	/* sum's bytes as they would sit in memory, so it adds like data */
	uint64_t acc = to_host_meaning(sum), w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		acc += w;
		acc += acc < w; /* end-around carry */
	}
	if (i < len) {
		w = 0;
		memcpy(&w, p + i, len - i);
		acc += w;
		acc += acc < w;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return to_host_meaning((uint16_t)acc);
}

uint16_t cksum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t nh)
{
	uint8_t ph[40];

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = nh;
	return cksum_add(0, ph, sizeof ph);
}

uint16_t mh_checksum(const uint8_t *buf, size_t len,
		     const struct in6_addr *src, const struct in6_addr *dst)
{
	return inet6_cksum(buf, len, src, dst, MH_NEXT_HEADER, MH_CKSUM_OFF);
}

uint16_t inet6_cksum(const uint8_t *buf, size_t len, const struct in6_addr *src,
		     const struct in6_addr *dst, uint8_t nh, size_t cksum_off)
{
	uint16_t sum = cksum_pseudo6(src->s6_addr, dst->s6_addr, (uint32_t)len, nh);

	if (len >= 2 && cksum_off <= len - 2) {
		/* around the field: the part before it has an even length */
		sum = cksum_add(sum, buf, cksum_off);
		sum = cksum_add(sum, buf + cksum_off + 2, len - cksum_off - 2);
	} else {
		sum = cksum_add(sum, buf, len);
	}
	return (uint16_t)~sum;
}
