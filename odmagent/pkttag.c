/* SPDX-License-Identifier: MIT */
/* pkttag.c — a packet's tag (see pkttag.h). */
#include "pkttag.h"

/* FNV-1a, 64 bits (its offset basis and prime), folded to 32 */
#define FNV64_BASIS 0xcbf29ce484222325ull
#define FNV64_PRIME 0x100000001b3ull

uint32_t pkttag(const uint8_t *pkt, size_t len)
{
	uint64_t h = FNV64_BASIS;
	size_t n = len < PKTTAG_BYTES ? len : PKTTAG_BYTES;
	uint32_t tag;

	for (int i = 0; i < 4; i++) {
		h ^= (uint8_t)(len >> (8 * i));
		h *= FNV64_PRIME;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= pkt[i];
		h *= FNV64_PRIME;
	}
	tag = (uint32_t)(h ^ (h >> 32));
	return tag ? tag : 1;
}
