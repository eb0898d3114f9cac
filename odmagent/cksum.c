/* SPDX-License-Identifier: MIT */
/*
 * cksum.c — Internet checksum over the IPv6 pseudo-header (RFC 8200 §8.1):
 * of a Mobility Header (RFC 6275 §6.1.1), and of any upper-layer packet
 * (cksum.h: the anchor completes TCP and UDP checksums of packets it sends
 * again, replaycap.h).
 *
 * The sum is accumulated in 64 bits per 16-bit big-endian word and folded
 * at the end, so any length is safe. Bytes are combined with shifts, never
 * by casting the buffer to uint16_t *, so the input needs no alignment.
 */
#include "cksum.h"
#include "mh_priv.h"

#include <string.h>

/* IPv6 next header value of the Mobility Header */
#define MH_NEXT_HEADER 135

static uint32_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * Add bytes to a running sum. An odd final byte is the high half of a word
 * whose low half is zero. When skip_cksum is set, the MH checksum field is
 * treated as zero, which is what both sending and the "expected value"
 * comparison need: its word is taken back out after the loop (the field
 * sits at an even offset, so the loop added it as one word); skip_off is
 * where it is. The words go
 * into 64 bits, which no length a size_t can hold overflows, and the sum
 * is folded once (RFC 1071 §2(C): carries may be deferred).
 */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t len,
			  int skip_cksum, size_t skip_off)
{
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	if (skip_cksum && len >= skip_off + 2)
		acc -= (uint32_t)p[skip_off] << 8 | p[skip_off + 1];
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return fold((uint32_t)acc);
}

static uint32_t sum_pseudo(const struct in6_addr *src,
			   const struct in6_addr *dst, size_t len, uint8_t nh)
{
	uint32_t sum = 0;
	uint32_t ulen = (uint32_t)len;

	sum = sum_bytes(sum, src->s6_addr, 16, 0, 0);
	sum = sum_bytes(sum, dst->s6_addr, 16, 0, 0);
	/* 32-bit upper-layer length, then three zero bytes and the NH */
	sum += ulen >> 16;
	sum += ulen & 0xffff;
	sum += nh;
	return fold(sum);
}

uint16_t mh_checksum(const uint8_t *buf, size_t len,
		     const struct in6_addr *src, const struct in6_addr *dst)
{
	return inet6_cksum(buf, len, src, dst, MH_NEXT_HEADER, MH_CKSUM_OFF);
}

uint16_t inet6_cksum(const uint8_t *buf, size_t len, const struct in6_addr *src,
		     const struct in6_addr *dst, uint8_t nh, size_t cksum_off)
{
	uint32_t sum = sum_pseudo(src, dst, len, nh);

	sum = sum_bytes(sum, buf, len, len >= 2 && cksum_off <= len - 2, cksum_off);
	return (uint16_t)~fold(sum);
}
