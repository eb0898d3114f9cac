/* SPDX-License-Identifier: MIT */
/*
 * fuzz_capframe.c — libFuzzer harness for the check of a captured
 * IPv6-in-IPv6 packet (odmagent/capframe.c), the parser of what the
 * anchor's capture hands over (replaycap.h).
 *
 * Input: one control byte, then the packet. The control byte says whether
 * the checksum is unfinished (bit 0) and how much shorter the captured
 * length is than the packet's own (bits 1-2: 0..3 bytes); with bit 3 the
 * packet is instead the head of a longer one (its own length 1 to 16 x 64
 * bytes more than the largest taken whole, bits 4-7). For whatever is
 * accepted: both headers are version 6, the outer next header is 41, both
 * payload lengths are exactly what follows them, nothing beyond the
 * captured bytes changed, and a finished TCP or UDP checksum verifies (a
 * UDP one is never 0, RFC 8200 §8.1); a
 * head had an unfinished checksum and is TCP with payload, its checksum
 * verifies, FIN and PSH are clear, and only its lengths, flags and
 * checksum changed; a second check of the result accepts it unchanged.
 * Anything else abort()s.
 *
 * fuzz-flags: -max_len=1600
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capframe.h"
#include "cksum.h"

#define MAX_LEN 1500

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static size_t plen(const uint8_t *h)
{
	return (size_t)h[4] << 8 | h[5];
}

/* the head (n bytes) of a wire-byte packet */
static int head(uint8_t *pkt, const uint8_t *before, size_t n, size_t wire, int partial)
{
	struct capframe f, g;
	struct in6_addr s, d;
	uint8_t again[1600];

	if (capframe_check(pkt, n, wire, MAX_LEN, partial, &f) != 0)
		return 0;
	CHECK(f.head == 1 && partial && n > 80 + 20 && pkt[46] == 6);
	CHECK(pkt[0] >> 4 == 6 && pkt[6] == 41 && plen(pkt) == n - 40);
	CHECK(pkt[40] >> 4 == 6 && plen(pkt + 40) == n - 80);
	CHECK(80 + (size_t)(pkt[92] >> 4) * 4 < n && (pkt[93] & 0x09) == 0);
	memcpy(&s, pkt + 48, 16);
	memcpy(&d, pkt + 64, 16);
	CHECK(inet6_cksum(pkt + 80, n - 80, &s, &d, 6, (size_t)-1) == 0);
	/* only the two lengths, the flags and the checksum changed */
	CHECK(memcmp(pkt, before, 4) == 0 && memcmp(pkt + 6, before + 6, 38) == 0);
	CHECK(memcmp(pkt + 46, before + 46, 93 - 46) == 0 && (pkt[93] | 0x09) == (before[93] | 0x09));
	CHECK(memcmp(pkt + 94, before + 94, 2) == 0 && memcmp(pkt + 98, before + 98, n - 98) == 0);
	CHECK(memcmp(&f.inner_dst, pkt + 64, 16) == 0);
	memcpy(again, pkt, n);
	CHECK(capframe_check(pkt, n, n, n, 0, &g) == 0 && g.head == 0);
	CHECK(memcmp(pkt, again, n) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pkt[1600], before[1600];
	struct capframe f, g;
	size_t n, cut;
	int partial;

	if (size < 1 || size - 1 > sizeof pkt)
		return 0;
	partial = data[0] & 1;
	cut = (data[0] >> 1) & 3;
	n = size - 1;
	memcpy(pkt, data + 1, n);
	memcpy(before, pkt, n);
	if (data[0] & 8)
		return head(pkt, before, n, MAX_LEN + 64 * (1 + (size_t)(data[0] >> 4)), partial);
	if (cut > n)
		cut = n;
	if (capframe_check(pkt, n - cut, n, MAX_LEN, partial, &f) != 0)
		return 0;
	CHECK(cut == 0 && n >= CAPFRAME_HDRS && n <= MAX_LEN);
	CHECK(pkt[0] >> 4 == 6 && pkt[6] == 41 && plen(pkt) == n - 40);
	CHECK(pkt[40] >> 4 == 6 && plen(pkt + 40) == n - 80);
	CHECK(memcmp(&f.osrc, pkt + 8, 16) == 0 && memcmp(&f.odst, pkt + 24, 16) == 0);
	CHECK(memcmp(&f.inner_dst, pkt + 64, 16) == 0);
	if (partial) {
		struct in6_addr s, d;
		uint8_t nh = pkt[46];
		size_t off = nh == 6 ? 96 : 86;

		CHECK(nh == 6 || nh == 17);
		memcpy(&s, pkt + 48, 16);
		memcpy(&d, pkt + 64, 16);
		CHECK(inet6_cksum(pkt + 80, n - 80, &s, &d, nh, (size_t)-1) == 0 ||
		      (nh == 17 && pkt[86] == 0xff && pkt[87] == 0xff));
		/* a UDP checksum of 0 says there is none, which IPv6 forbids */
		CHECK(nh != 17 || pkt[86] || pkt[87]);
		/* only the checksum field changed */
		CHECK(memcmp(pkt, before, off) == 0 &&
		      memcmp(pkt + off + 2, before + off + 2, n - off - 2) == 0);
	} else {
		CHECK(memcmp(pkt, before, n) == 0);
	}
	memcpy(before, pkt, n);
	CHECK(capframe_check(pkt, n, n, MAX_LEN, 0, &g) == 0);
	CHECK(memcmp(pkt, before, n) == 0);
	return 0;
}
