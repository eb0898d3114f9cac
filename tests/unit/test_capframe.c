/* SPDX-License-Identifier: MIT */
/* test_capframe.c — checking a captured IPv6-in-IPv6 packet (odmagent/capframe.c) */
#include <criterion/criterion.h>
#include <string.h>

#include "capframe.h"
#include "cksum.h"
#include "testaddr.h"

#define OSRC "2001:db8:ca::10"
#define ODST "2001:db8:a1::1"
#define ISRC "2001:db8:c0::10"
#define IDST "2001:db8:c4a::1"

static void ip6(uint8_t *h, size_t payload, uint8_t nh, const char *src, const char *dst)
{
	struct in6_addr s = A(src), d = A(dst);

	memset(h, 0, 40);
	h[0] = 0x60;
	h[4] = (uint8_t)(payload >> 8);
	h[5] = (uint8_t)payload;
	h[6] = nh;
	h[7] = 63;
	memcpy(h + 8, &s, 16);
	memcpy(h + 24, &d, 16);
}

/* outer + inner header + an l4-byte upper-layer packet nh (bytes i & 0xff) */
static size_t frame(uint8_t *pkt, uint8_t nh, size_t l4)
{
	ip6(pkt, 40 + l4, 41, OSRC, ODST);
	ip6(pkt + 40, l4, nh, ISRC, IDST);
	for (size_t i = 0; i < l4; i++)
		pkt[80 + i] = (uint8_t)(i * 7 + 1);
	return 80 + l4;
}

/* checksum offload leaves a partial sum in the field (the pseudo-header's):
 * any value but the right one will do here */
static void partial(uint8_t *pkt, size_t off)
{
	pkt[80 + off] = 0x12;
	pkt[80 + off + 1] = 0x34;
}

/* 1 when the inner upper-layer checksum verifies */
static int verifies(const uint8_t *pkt, size_t len, uint8_t nh)
{
	struct in6_addr s = A(ISRC), d = A(IDST);

	return inet6_cksum(pkt + 80, len - 80, &s, &d, nh, (size_t)-1) == 0;
}

Test(capframe, a_whole_tunnelled_packet_is_taken)
{
	uint8_t pkt[1500];
	struct capframe f;
	size_t n = frame(pkt, 59, 100);

	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), 0);
	assert_addr(&f.osrc, OSRC);
	assert_addr(&f.odst, ODST);
	assert_addr(&f.inner_dst, IDST);
	struct in6_addr to = A("2001:db8:a2::2");

	capframe_retarget(pkt, &to);
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), 0);
	assert_addr(&f.odst, "2001:db8:a2::2");
	assert_addr(&f.osrc, OSRC);
}

Test(capframe, truncated_long_and_malformed_packets_are_refused)
{
	uint8_t pkt[1600];
	struct capframe f;
	size_t n = frame(pkt, 59, 100);

	cr_assert_eq(capframe_check(pkt, n - 1, n, 1500, 0, &f), CAPF_SHORT, "truncated");
	cr_assert_eq(capframe_check(pkt, 79, 79, 1500, 0, &f), CAPF_SHORT, "no inner header");
	n = frame(pkt, 59, 1421);
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), CAPF_BIG, "1501 bytes");
	n = frame(pkt, 59, 100);
	pkt[0] = 0x40;
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), CAPF_FORM, "outer version");
	n = frame(pkt, 59, 100);
	pkt[6] = 4;
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), CAPF_FORM, "outer next header");
	n = frame(pkt, 59, 100);
	pkt[40] = 0x45;
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), CAPF_FORM, "inner version");
	n = frame(pkt, 59, 100);
	pkt[5]++;
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), CAPF_FORM, "outer length");
	n = frame(pkt, 59, 100);
	pkt[45]--;
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), CAPF_FORM, "inner length");
	n = frame(pkt, 59, 100);
	cr_assert_eq(capframe_check(pkt, n + 8, n + 8, 1500, 0, &f), CAPF_FORM, "a trailer");
}

Test(capframe, an_unfinished_udp_or_tcp_checksum_is_finished)
{
	uint8_t pkt[1500];
	struct capframe f;
	size_t n;

	n = frame(pkt, 17, 208);
	pkt[80 + 4] = 0;
	pkt[80 + 5] = 208; /* the UDP length */
	partial(pkt, 6);
	cr_assert_not(verifies(pkt, n, 17));
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 1, &f), 0);
	cr_assert(verifies(pkt, n, 17), "UDP");

	n = frame(pkt, 6, 1001); /* odd length */
	partial(pkt, 16);
	cr_assert_not(verifies(pkt, n, 6));
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 1, &f), 0);
	cr_assert(verifies(pkt, n, 6), "TCP");
}

Test(capframe, a_finished_checksum_is_left_as_it_is)
{
	uint8_t pkt[1500], copy[1500];
	struct capframe f;
	size_t n = frame(pkt, 6, 300);

	partial(pkt, 16);
	memcpy(copy, pkt, n);
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), 0);
	cr_assert_eq(memcmp(pkt, copy, n), 0);
}

Test(capframe, an_unfinished_checksum_it_cannot_finish_is_refused)
{
	uint8_t pkt[1500];
	struct capframe f;
	size_t n = frame(pkt, 58, 64); /* ICMPv6 */

	cr_assert_eq(capframe_check(pkt, n, n, 1500, 1, &f), CAPF_CSUM);
	n = frame(pkt, 6, 19); /* shorter than a TCP header */
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 1, &f), CAPF_CSUM);
	n = frame(pkt, 17, 7); /* shorter than a UDP header */
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 1, &f), CAPF_CSUM);
}

Test(capframe, a_udp_checksum_of_zero_goes_out_as_all_ones)
{
	uint8_t pkt[200];
	struct capframe f;
	struct in6_addr s = A(ISRC), d = A(IDST);
	size_t n = frame(pkt, 17, 10);
	uint16_t c;

	pkt[84] = 0;
	pkt[85] = 10;
	pkt[86] = pkt[87] = 0;
	/* choose the last two bytes so that the checksum comes out 0 */
	pkt[88] = pkt[89] = 0;
	c = inet6_cksum(pkt + 80, 10, &s, &d, 17, 6);
	pkt[88] = (uint8_t)(c >> 8);
	pkt[89] = (uint8_t)c;
	cr_assert_eq(inet6_cksum(pkt + 80, 10, &s, &d, 17, 6), 0);
	cr_assert_eq(capframe_check(pkt, n, n, 1500, 1, &f), 0);
	cr_assert_eq(pkt[86], 0xff);
	cr_assert_eq(pkt[87], 0xff);
}

/* a TCP super-packet of wire bytes, its TCP header 32 bytes (ACK, PSH, FIN) */
static size_t tcp_super(uint8_t *pkt, size_t wire)
{
	size_t n = frame(pkt, 6, wire - 80);

	pkt[80 + 12] = 8 << 4; /* data offset: 8 words */
	pkt[80 + 13] = 0x10 | 0x08 | 0x01;
	partial(pkt, 16);
	return n;
}

Test(capframe, the_head_of_a_tcp_super_packet_is_made_a_segment)
{
	static uint8_t pkt[9000], orig[9000];
	struct capframe f;

	tcp_super(pkt, 9000);
	memcpy(orig, pkt, sizeof pkt);
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 1, &f), 0);
	cr_assert_eq(f.head, 1);
	assert_addr(&f.inner_dst, IDST);
	cr_assert_eq(pkt[4] << 8 | pkt[5], 216, "outer payload length");
	cr_assert_eq(pkt[44] << 8 | pkt[45], 176, "inner payload length");
	cr_assert_eq(pkt[80 + 13], 0x10, "ACK kept, PSH and FIN gone");
	cr_assert(verifies(pkt, 256, 6), "its checksum covers the head alone");
	cr_assert_eq(memcmp(pkt + 112, orig + 112, 256 - 112), 0, "the payload as it was");
	cr_assert_eq(memcmp(pkt + 8, orig + 8, 32), 0, "outer addresses");
	cr_assert_eq(memcmp(pkt + 80, orig + 80, 12), 0, "ports, sequence and ack numbers");

	/* a whole packet is still not a head */
	size_t n = frame(pkt, 6, 300);

	cr_assert_eq(capframe_check(pkt, n, n, 1500, 0, &f), 0);
	cr_assert_eq(f.head, 0);
}

Test(capframe, only_the_head_of_a_tcp_super_packet_cut_below_max_len_is_taken)
{
	static uint8_t pkt[9000];
	struct capframe f;

	tcp_super(pkt, 9000);
	cr_assert_eq(capframe_check(pkt, 1500, 9000, 1500, 1, &f), CAPF_BIG, "cut at max_len");
	tcp_super(pkt, 9000);
	pkt[46] = 17;
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 1, &f), CAPF_BIG, "UDP");
	tcp_super(pkt, 9000);
	pkt[46] = 0; /* a hop-by-hop header before the TCP one */
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 1, &f), CAPF_BIG, "an extension header");
	tcp_super(pkt, 9000);
	cr_assert_eq(capframe_check(pkt, 112, 9000, 1500, 1, &f), CAPF_BIG, "no payload in the head");
	tcp_super(pkt, 9000);
	pkt[80 + 12] = 4 << 4;
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 1, &f), CAPF_BIG, "data offset below 5");
	tcp_super(pkt, 9000);
	pkt[5]--;
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 1, &f), CAPF_FORM, "outer length");
	tcp_super(pkt, 9000);
	pkt[45]++;
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 1, &f), CAPF_FORM, "inner length");
	tcp_super(pkt, 9000);
	pkt[6] = 6;
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 1, &f), CAPF_FORM, "not IPv6 in IPv6");
	tcp_super(pkt, 9000);
	pkt[40] = 0x45;
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 1, &f), CAPF_FORM, "inner version");
}

/*
 * A longer packet whose checksum is finished (not a GSO or GRO super-packet
 * but, say, one forwarded from a link with jumbo frames) covers bytes the
 * capture did not copy: a checksum computed over its head would make a
 * valid segment of bytes that may have been damaged before the anchor.
 */
Test(capframe, the_head_of_a_packet_with_a_finished_checksum_is_not_taken)
{
	static uint8_t pkt[9000], orig[9000];
	struct capframe f;

	tcp_super(pkt, 9000);
	pkt[80 + 16] = 0xde; /* whatever its sender put there, now unverifiable */
	pkt[80 + 17] = 0xad;
	memcpy(orig, pkt, sizeof pkt);
	cr_assert_eq(capframe_check(pkt, 256, 9000, 1500, 0, &f), CAPF_BIG);
	cr_assert_eq(f.head, 0);
	cr_assert_eq(memcmp(pkt, orig, 256), 0, "left as it was");
}

Test(capframe, capture_time_on_the_monotonic_clock)
{
	/* real now 1000.5 s, monotonic now 20.5 s: a stamp 3 ms ago */
	uint64_t real = 1000500000000ull, mono = 20500000000ull;

	cr_assert_eq(capframe_mono_ms(1000, 497000000, real, mono), 20497);
	cr_assert_eq(capframe_mono_ms(1000, 500000000, real, mono), 20500);
	cr_assert_eq(capframe_mono_ms(1001, 0, real, mono), 20500, "a stamp from the future is now");
	cr_assert_eq(capframe_mono_ms(900, 0, real, mono), 0, "before the clock's start");
}
