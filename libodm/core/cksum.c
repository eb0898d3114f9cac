/*
 * cksum.c — Internet checksum of a Mobility Header over the IPv6
 * pseudo-header (PROTOCOL.md §1.1).
 *
 * The sum is accumulated in 32 bits per 16-bit big-endian word and folded
 * at the end; 2048 bytes (MH_MAX_LEN) plus the pseudo-header cannot
 * overflow a uint32_t, but the function folds anyway so that any length is
 * safe. Bytes are combined with shifts, never by casting the buffer to
 * uint16_t *, so the input needs no alignment.
 */
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
 * comparison need.
 */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t len,
			  int skip_cksum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		if (skip_cksum && i == MH_CKSUM_OFF)
			continue;
		sum += (uint32_t)p[i] << 8 | p[i + 1];
		if (sum & 0x80000000u)
			sum = fold(sum);
	}
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return fold(sum);
}

static uint32_t sum_pseudo(const struct in6_addr *src,
			   const struct in6_addr *dst, size_t len)
{
	uint32_t sum = 0;
	uint32_t ulen = (uint32_t)len;

	sum = sum_bytes(sum, src->s6_addr, 16, 0);
	sum = sum_bytes(sum, dst->s6_addr, 16, 0);
	/* 32-bit upper-layer length, then three zero bytes and the NH */
	sum += ulen >> 16;
	sum += ulen & 0xffff;
	sum += MH_NEXT_HEADER;
	return fold(sum);
}

uint16_t mh_checksum(const uint8_t *buf, size_t len,
		     const struct in6_addr *src, const struct in6_addr *dst)
{
	uint32_t sum = sum_pseudo(src, dst, len);

	sum = sum_bytes(sum, buf, len, len >= MH_CKSUM_OFF + 2);
	return (uint16_t)~fold(sum);
}
