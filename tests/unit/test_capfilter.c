/* SPDX-License-Identifier: MIT */
/*
 * test_capfilter.c — the capture's classic BPF program (odmagent/capfilter.c),
 * run by a small interpreter of the instructions it uses (with the kernel's
 * meaning of its loads: packet(7), Documentation/networking/filter.rst), on
 * packets built here.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>

#include "capfilter.h"
#include "testaddr.h"

struct meta {
	uint32_t pkttype, protocol;
};

/* What the program returns for pkt (len bytes) with meta; the test fails
 * on an instruction it does not know or a jump out of the program. */
static uint32_t run(const struct sock_filter *p, size_t n, const uint8_t *pkt, uint32_t len,
		    const struct meta *m)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &p[pc];
		uint32_t k = f->k;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE))
				a = m->pkttype;
			else if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL))
				a = m->protocol;
			else if (k + 4 <= len)
				a = (uint32_t)pkt[k] << 24 | (uint32_t)pkt[k + 1] << 16 |
				    (uint32_t)pkt[k + 2] << 8 | pkt[k + 3];
			else
				return 0; /* the kernel ends the program: drop */
			break;
		case BPF_LD | BPF_B | BPF_ABS:
			if (k >= len)
				return 0;
			a = pkt[k];
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			a = len;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > k ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return k;
		default:
			cr_assert_fail("instruction %#x at %zu", f->code, pc);
		}
		cr_assert_lt(pc + 1, n + 1, "jump out of the program at %zu", pc);
	}
	cr_assert_fail("the program ran off its end");
	return 0;
}

static const struct meta out_v6 = { PACKET_OUTGOING, ETH_P_IPV6 };

/* an outer IPv6 header, next header 41, from src to dst, len bytes */
static void tunnelled(uint8_t *pkt, uint32_t len, const char *src, const char *dst)
{
	struct in6_addr s = A(src), d = A(dst);

	memset(pkt, 0, len);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)((len - 40) >> 8);
	pkt[5] = (uint8_t)(len - 40);
	pkt[6] = 41;
	pkt[7] = 63;
	memcpy(pkt + 8, &s, 16);
	memcpy(pkt + 24, &d, 16);
}

static struct sock_filter prog[CAPFILTER_LEN];
static size_t plen;

static void build(const char *src, uint32_t max_len)
{
	struct in6_addr s;

	if (src)
		s = A(src);
	plen = capfilter_build(prog, CAPFILTER_LEN, src ? &s : NULL, max_len, 256);
	cr_assert_gt(plen, 0);
}

Test(capfilter, copies_an_outgoing_tunnelled_packet_from_the_source)
{
	uint8_t pkt[1500];

	build("2001:db8:ca::10", 1500);
	tunnelled(pkt, 200, "2001:db8:ca::10", "2001:db8:a1::1");
	cr_assert_eq(run(prog, plen, pkt, 200, &out_v6), 1500);
	tunnelled(pkt, 1500, "2001:db8:ca::10", "2001:db8:a2::2");
	cr_assert_eq(run(prog, plen, pkt, 1500, &out_v6), 1500, "a packet of max_len bytes");
}

Test(capfilter, copies_the_head_of_a_longer_one)
{
	uint8_t pkt[1600];

	build("2001:db8:ca::10", 1500);
	tunnelled(pkt, 1600, "2001:db8:ca::10", "2001:db8:a1::1");
	cr_assert_eq(run(prog, plen, pkt, 1600, &out_v6), 256, "a GSO super-packet's head");
	tunnelled(pkt, 1501, "2001:db8:ca::10", "2001:db8:a1::1");
	cr_assert_eq(run(prog, plen, pkt, 1501, &out_v6), 256, "one byte longer");
	tunnelled(pkt, 1600, "2001:db8:ca::11", "2001:db8:a1::1");
	cr_assert_eq(run(prog, plen, pkt, 1600, &out_v6), 0, "another source, however long");
}

Test(capfilter, refuses_what_is_not_an_outgoing_tunnelled_packet_of_the_source)
{
	uint8_t pkt[1600];
	const struct meta in = { PACKET_HOST, ETH_P_IPV6 }, v4 = { PACKET_OUTGOING, ETH_P_IP };

	build("2001:db8:ca::10", 1500);
	tunnelled(pkt, 200, "2001:db8:ca::10", "2001:db8:a1::1");
	cr_assert_eq(run(prog, plen, pkt, 200, &in), 0, "received, not sent");
	cr_assert_eq(run(prog, plen, pkt, 200, &v4), 0, "not IPv6 by its link layer");
	tunnelled(pkt, 200, "2001:db8:ca::10", "2001:db8:a1::1");
	pkt[0] = 0x45;
	cr_assert_eq(run(prog, plen, pkt, 200, &out_v6), 0, "version 4");
	tunnelled(pkt, 200, "2001:db8:ca::10", "2001:db8:a1::1");
	pkt[6] = 17;
	cr_assert_eq(run(prog, plen, pkt, 200, &out_v6), 0, "next header UDP");
	cr_assert_eq(run(prog, plen, pkt, 20, &out_v6), 0, "shorter than a header");
}

Test(capfilter, each_word_of_the_source_counts)
{
	const char *others[] = { "2001:db9:ca::10", "2001:db8:ca:1::10", "2001:db8:ca::1:10",
				 "2001:db8:ca::11" };
	uint8_t pkt[200];

	build("2001:db8:ca::10", 1500);
	for (size_t i = 0; i < 4; i++) {
		tunnelled(pkt, sizeof pkt, others[i], "2001:db8:a1::1");
		cr_assert_eq(run(prog, plen, pkt, sizeof pkt, &out_v6), 0, "source %s", others[i]);
	}
}

Test(capfilter, no_source_copies_nothing_and_bad_arguments_build_nothing)
{
	uint8_t pkt[200];
	struct in6_addr s = A("2001:db8:ca::10");

	build(NULL, 1500);
	tunnelled(pkt, sizeof pkt, "2001:db8:ca::10", "2001:db8:a1::1");
	cr_assert_eq(run(prog, plen, pkt, sizeof pkt, &out_v6), 0);
	cr_assert_eq(capfilter_build(prog, CAPFILTER_LEN - 1, &s, 1500, 256), 0);
	cr_assert_eq(capfilter_build(prog, CAPFILTER_LEN, &s, 0, 256), 0);
	cr_assert_eq(capfilter_build(prog, CAPFILTER_LEN, &s, 1500, 0), 0);
	cr_assert_eq(capfilter_build(prog, CAPFILTER_LEN, &s, 1500, 1501), 0);
}
