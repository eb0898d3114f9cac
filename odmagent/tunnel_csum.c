/* SPDX-License-Identifier: MIT */
/*
 * tunnel_csum.c — Internet checksum for the tunnel's offloads (see
 * tunnel_csum.h). Eight bytes are added at a time in the machine's own
 * order with end-around carry; the ones' complement sum does not depend on
 * the byte order it is taken in (RFC 1071 §2(B)), so the folded result is
 * swapped to big-endian meaning once at the end.
 */
#include "tunnel_csum.h"

#include <endian.h>
#include <string.h>

static uint16_t to_host_meaning(uint16_t native)
{
#if __BYTE_ORDER == __LITTLE_ENDIAN
	return (uint16_t)(native >> 8 | native << 8);
#else
	return native;
#endif
}

uint16_t tcsum_add(uint16_t sum, const uint8_t *p, size_t len)
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

uint16_t tcsum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t nh)
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
	return tcsum_add(0, ph, sizeof ph);
}
