/* SPDX-License-Identifier: MIT */
/*
 * test_tunnel_offload.c — the userspace tunnel's offloads as pure code:
 * the checksum (cksum.h) against RFC 1071's example and a plain
 * byte-by-byte sum, super-packets cut into segments (tunnel_gso.h) with
 * lengths, sequence numbers, flags and checksums checked one by one, the
 * cut segments merged back (tunnel_gro.h) into exactly the packet they
 * came from, and every condition under which segments must not merge or
 * a header must be refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "testaddr.h"
#include "cksum.h"
#include "tunnel_gro.h"
#include "tunnel_gso.h"

#define ACK 0x10
#define PSH 0x08
#define FIN 0x01
#define SYN 0x02
#define CWR 0x80
#define TH 32 /* TCP header with 12 bytes of options (timestamps) */

/* the RFC 1071 sum, one 16-bit word at a time, as the reference */
static uint16_t ref_sum(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 2)
		acc += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* 1 if the TCP/IPv6 packet's checksum verifies (by the reference sum) */
static int tcp_ok(const uint8_t *pkt, size_t n)
{
	uint8_t ph[40] = { 0 };
	uint32_t len = (uint32_t)(n - 40);

	memcpy(ph, pkt + 8, 32);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[39] = IPPROTO_TCP;
	return ref_sum(ref_sum(0, ph, 40), pkt + 40, n - 40) == 0xffff;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A TCP/IPv6 packet of payload bytes (pattern from seq), flags fl, a full
 * checksum; its length */
static size_t tcp_pkt(uint8_t *b, uint32_t seq, size_t payload, uint8_t fl)
{
	struct in6_addr s = A("2001:db8:c4a::1"), d = A("2001:db8:c0::10");
	size_t tcplen = TH + payload;
	uint16_t sum;

	memset(b, 0, 40 + TH);
	b[0] = 0x60;
	b[1] = 0x0a; /* a traffic class and flow label to carry along */
	b[3] = 0x42;
	b[4] = (uint8_t)(tcplen >> 8);
	b[5] = (uint8_t)tcplen;
	b[6] = IPPROTO_TCP;
	b[7] = 64;
	memcpy(b + 8, &s, 16);
	memcpy(b + 24, &d, 16);
	b[40] = 0x9c; b[41] = 0x40; b[42] = 0x14; b[43] = 0x51; /* ports */
	b[44] = (uint8_t)(seq >> 24); b[45] = (uint8_t)(seq >> 16);
	b[46] = (uint8_t)(seq >> 8); b[47] = (uint8_t)seq;
	b[48] = 0x11; b[49] = 0x22; b[50] = 0x33; b[51] = 0x44; /* ack */
	b[52] = (TH / 4) << 4;
	b[53] = fl;
	b[54] = 0x01; b[55] = 0xf5; /* window */
	b[60] = 1; b[61] = 1; b[62] = 8; b[63] = 10; /* NOP NOP TS */
	b[64] = 0xaa; b[68] = 0xbb;
	for (size_t i = 0; i < payload; i++)
		b[40 + TH + i] = (uint8_t)(seq + i * 7);
	sum = cksum_add(cksum_pseudo6(b + 8, b + 24, (uint32_t)tcplen, IPPROTO_TCP), b + 40, tcplen);
	b[56] = (uint8_t)(~sum >> 8);
	b[57] = (uint8_t)~sum;
	return 40 + tcplen;
}

/* pkt as the kernel hands a TSO6 super-packet over: the checksum field
 * holding the pseudo-header sum */
static struct virtio_net_hdr make_super(uint8_t *pkt, size_t n, uint16_t mss)
{
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6,
		.hdr_len = 40 + TH, .gso_size = mss, .csum_start = 40, .csum_offset = 16,
	};
	uint16_t ps = cksum_pseudo6(pkt + 8, pkt + 24, (uint32_t)(n - 40), IPPROTO_TCP);

	pkt[56] = (uint8_t)(ps >> 8);
	pkt[57] = (uint8_t)ps;
	return vh;
}

Test(tunnel_offload, checksum_matches_rfc1071)
{
	const uint8_t v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[301];

	cr_assert_eq(cksum_add(0, v, sizeof v), 0xddf2, "RFC 1071 §3's example");
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 131 + 17);
	for (size_t n = 0; n <= sizeof buf; n++) {
		cr_assert_eq(cksum_add(0, buf, n), ref_sum(0, buf, n), "length %zu", n);
		cr_assert_eq(cksum_add(0x1234, buf + 1, n - (n > 0)),
			     ref_sum(0x1234, buf + 1, n - (n > 0)), "odd start, length %zu", n);
	}
	/* in chunks of even length, as the callers use it */
	cr_assert_eq(cksum_add(cksum_add(0, buf, 64), buf + 64, 237), ref_sum(0, buf, 301));
	memset(buf, 0xff, sizeof buf);
	cr_assert_eq(cksum_add(0xffff, buf, sizeof buf), ref_sum(0xffff, buf, sizeof buf),
		     "carries all the way round");
}

Test(tunnel_offload, split_makes_segments)
{
	static uint8_t pkt[70000], out[64 * 2048];
	size_t lens[64], off = 0, n = tcp_pkt(pkt, 1000000, 4000, ACK | PSH | FIN | CWR);
	struct virtio_net_hdr vh = make_super(pkt, n, 1200);
	int k = tgso_split(&vh, pkt, n, &off, out, 2048, lens, 64);

	cr_assert_eq(k, 4);
	cr_assert_eq(off, 4000);
	for (int i = 0; i < k; i++) {
		uint8_t *s = out + i * 2048;
		size_t pl = i < 3 ? 1200 : 400;

		cr_assert_eq(lens[i], 40 + TH + pl, "segment %d length", i);
		cr_assert_eq((size_t)(s[4] << 8 | s[5]), TH + pl, "IPv6 payload length %d", i);
		cr_assert_eq(be32(s + 44), 1000000 + 1200 * (uint32_t)i, "sequence %d", i);
		cr_assert(tcp_ok(s, lens[i]), "checksum of segment %d", i);
		cr_assert_eq(memcmp(s, pkt, 4), 0);
		cr_assert_eq(memcmp(s + 6, pkt + 6, 34), 0, "addresses, hop limit");
		cr_assert_eq(memcmp(s + 60, pkt + 60, 12), 0, "options");
		cr_assert_eq(memcmp(s + 40 + TH, pkt + 40 + TH + 1200 * i, pl), 0, "payload %d", i);
		cr_assert_eq(s[53] & (PSH | FIN), i == 3 ? (PSH | FIN) : 0, "PSH/FIN on the last only");
		cr_assert_eq(s[53] & CWR, i == 0 ? CWR : 0, "CWR on the first only");
		cr_assert(s[53] & ACK);
	}
	cr_assert_eq(tgso_split(&vh, pkt, n, &off, out, 2048, lens, 64), 0, "nothing left");
}

Test(tunnel_offload, split_in_chunks)
{
	static uint8_t pkt[70000], out[3 * 2048];
	size_t lens[3], off = 0, n = tcp_pkt(pkt, 7, 65535 - TH, ACK);
	struct virtio_net_hdr vh = make_super(pkt, n, 1428);
	size_t segs = 0, bytes = 0;
	int k;

	while ((k = tgso_split(&vh, pkt, n, &off, out, 2048, lens, 3)) > 0) {
		cr_assert_leq(k, 3);
		for (int i = 0; i < k; i++) {
			cr_assert(tcp_ok(out + i * 2048, lens[i]));
			cr_assert_eq(be32(out + i * 2048 + 44), 7 + (uint32_t)bytes);
			bytes += lens[i] - 40 - TH;
		}
		segs += (size_t)k;
	}
	cr_assert_eq(k, 0);
	cr_assert_eq(bytes, 65535 - TH, "the largest super-packet, all of it");
	cr_assert_eq(segs, (65535 - TH + 1427) / 1428);
}

Test(tunnel_offload, split_refuses_malformed)
{
	static uint8_t pkt[70000], out[64 * 2048];
	size_t lens[64], off, n = tcp_pkt(pkt, 1, 3000, ACK);
	struct virtio_net_hdr good = make_super(pkt, n, 1000), vh;

#define SPLIT(v, len) (off = 0, tgso_split(&(v), pkt, (len), &off, out, 2048, lens, 64))
	vh = good;
	cr_assert_eq(SPLIT(vh, n), 3, "the good one");
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	cr_assert_eq(SPLIT(vh, n), -EPROTONOSUPPORT, "UDP fragmentation");
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	cr_assert_eq(SPLIT(vh, n), -EPROTONOSUPPORT, "TSO for IPv4");
	vh = good;
	vh.csum_start = 48;
	cr_assert_eq(SPLIT(vh, n), -EPROTONOSUPPORT, "an extension header's worth");
	vh = good;
	vh.csum_offset = 6;
	cr_assert_eq(SPLIT(vh, n), -EPROTONOSUPPORT, "checksum not at TCP's");
	vh = good;
	vh.gso_size = 0;
	cr_assert_eq(SPLIT(vh, n), -EINVAL, "gso_size 0");
	cr_assert_eq(SPLIT(good, n - 1), -EINVAL, "IPv6 length disagrees");
	cr_assert_eq(SPLIT(good, 40 + TH), -EINVAL, "headers only");
	cr_assert_eq(SPLIT(good, 50), -EINVAL, "cut inside TCP");
	off = 0;
	cr_assert_eq(tgso_split(&good, pkt, n, &off, out, 40 + TH + 999, lens, 64), -EMSGSIZE,
		     "a segment larger than a slot");
	pkt[52] = 4 << 4;
	cr_assert_eq(SPLIT(good, n), -EINVAL, "data offset below 5");
	pkt[52] = 15 << 4;
	cr_assert_eq(SPLIT(good, n), 3, "data offset 60: still inside");
	pkt[52] = (TH / 4) << 4;
	pkt[6] = IPPROTO_UDP;
	cr_assert_eq(SPLIT(good, n), -EPROTONOSUPPORT, "not TCP");
	pkt[6] = IPPROTO_TCP;
	pkt[0] = 0x45;
	cr_assert_eq(SPLIT(good, n), -EINVAL, "not IPv6");
#undef SPLIT
}

Test(tunnel_offload, complete_partial_checksum)
{
	uint8_t pkt[40 + 8 + 33];
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				     .csum_start = 40, .csum_offset = 6 };
	uint8_t ph[40] = { 0 };
	uint16_t ps;

	memset(pkt, 0, sizeof pkt);
	pkt[0] = 0x60;
	pkt[5] = 8 + 33;
	pkt[6] = IPPROTO_UDP;
	pkt[8] = 0x20; pkt[9] = 0x01; pkt[23] = 1;
	pkt[24] = 0x20; pkt[25] = 0x01; pkt[39] = 2;
	pkt[45] = 8 + 33;
	for (int i = 48; i < (int)sizeof pkt; i++)
		pkt[i] = (uint8_t)(i * 3);
	ps = cksum_pseudo6(pkt + 8, pkt + 24, 8 + 33, IPPROTO_UDP);
	pkt[46] = (uint8_t)(ps >> 8);
	pkt[47] = (uint8_t)ps;
	cr_assert_eq(tgso_complete(&vh, pkt, sizeof pkt), 0);
	memcpy(ph, pkt + 8, 32);
	ph[35] = 8 + 33;
	ph[39] = IPPROTO_UDP;
	cr_assert_eq(ref_sum(ref_sum(0, ph, 40), pkt + 40, 8 + 33), 0xffff, "UDP checksum verifies");
	vh.csum_offset = 40;
	cr_assert_eq(tgso_complete(&vh, pkt, sizeof pkt), -EINVAL, "field past the end");
	vh.csum_offset = 6;
	vh.csum_start = 20;
	cr_assert_eq(tgso_complete(&vh, pkt, sizeof pkt), -EINVAL, "inside the IPv6 header");
	vh.csum_start = 40;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	cr_assert_eq(tgso_complete(&vh, pkt, sizeof pkt), -EPROTONOSUPPORT);
	vh.gso_type = 0;
	vh.flags = 0;
	pkt[47] ^= 1;
	cr_assert_eq(tgso_complete(&vh, pkt, sizeof pkt), 0);
	cr_assert_neq(ref_sum(ref_sum(0, ph, 40), pkt + 40, 8 + 33), 0xffff,
		      "no NEEDS_CSUM: left alone");
}

/* The group as one buffer and its header */
static size_t gather(struct tgro *g, uint8_t *buf, struct virtio_net_hdr *vh)
{
	struct iovec iov[TGRO_IOV_MAX];
	size_t cnt = tgro_flush(g, iov), n = 0;

	cr_assert_geq(cnt, 2);
	cr_assert_eq(iov[0].iov_len, sizeof *vh);
	memcpy(vh, iov[0].iov_base, sizeof *vh);
	for (size_t i = 1; i < cnt; i++) {
		memcpy(buf + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	return n;
}

Test(tunnel_offload, merge_restores_the_super_packet)
{
	static uint8_t pkt[70000], want[70000], out[64 * 2048], got[70000];
	size_t lens[64], off = 0, n = tcp_pkt(pkt, 5000, 7000, ACK | PSH);
	struct virtio_net_hdr vh = make_super(pkt, n, 1428), mvh;
	struct tgro g;
	int k;

	memcpy(want, pkt, n);
	tcp_pkt(want, 5000, 7000, ACK | PSH); /* with its full checksum */
	k = tgso_split(&vh, pkt, n, &off, out, 2048, lens, 64);
	cr_assert_eq(k, 5);
	tgro_init(&g, 1460);
	for (int i = 0; i < k; i++)
		cr_assert_eq(tgro_add(&g, out + i * 2048, lens[i]), 1, "segment %d joins", i);
	cr_assert_eq(g.count, 5);
	cr_assert_eq(gather(&g, got, &mvh), n);
	cr_assert_eq(g.count, 0, "flushed");
	cr_assert_eq(mvh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	cr_assert_eq(mvh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	cr_assert_eq(mvh.gso_size, 1428);
	cr_assert_eq(mvh.hdr_len, 40 + TH);
	cr_assert_eq(mvh.csum_start, 40);
	cr_assert_eq(mvh.csum_offset, 16);
	/* what the kernel does with the partial checksum gives the original */
	cr_assert_eq(tgso_complete(&(struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				   .csum_start = 40, .csum_offset = 16 }, got, n), 0);
	cr_assert_eq(memcmp(got, want, n), 0, "the merged packet is the original, PSH and all");
}

/* a group of two full segments from seq 100, then cand must not join */
static void refuse(uint8_t *cand, size_t cn, const char *why)
{
	static uint8_t a[2048], b[2048];
	size_t an = tcp_pkt(a, 100, 1000, ACK), bn = tcp_pkt(b, 1100, 1000, ACK);
	struct tgro g;

	tgro_init(&g, 1460);
	cr_assert_eq(tgro_add(&g, a, an), 1);
	cr_assert_eq(tgro_add(&g, b, bn), 1);
	cr_assert_eq(tgro_add(&g, cand, cn), 0, "%s", why);
	cr_assert_eq(g.count, 2, "%s: the group is as it was", why);
}

static void fix_csum(uint8_t *p, size_t n)
{
	uint16_t s;

	p[56] = p[57] = 0;
	s = (uint16_t)~cksum_add(cksum_pseudo6(p + 8, p + 24, (uint32_t)(n - 40), IPPROTO_TCP),
				 p + 40, n - 40);
	p[56] = (uint8_t)(s >> 8);
	p[57] = (uint8_t)s;
}

Test(tunnel_offload, merge_refuses)
{
	static uint8_t c[2048];
	size_t n;

	n = tcp_pkt(c, 2100, 1000, ACK);
	{
		static uint8_t a[2048], b[2048];
		struct tgro g;

		tgro_init(&g, 1460);
		tgro_add(&g, a, tcp_pkt(a, 100, 1000, ACK));
		tgro_add(&g, b, tcp_pkt(b, 1100, 1000, ACK));
		cr_assert_eq(tgro_add(&g, c, n), 1, "the control: the next segment joins");
	}
	refuse(c, tcp_pkt(c, 2101, 1000, ACK), "a gap in sequence");
	refuse(c, tcp_pkt(c, 1100, 1000, ACK), "a retransmission");
	refuse(c, tcp_pkt(c, 2100, 1001, ACK), "longer than the first");
	refuse(c, tcp_pkt(c, 2100, 1000, ACK | SYN), "SYN");
	refuse(c, tcp_pkt(c, 2100, 1000, ACK | FIN), "FIN");
	refuse(c, tcp_pkt(c, 2100, 1000, 0), "no ACK");
	/* one byte changed in the next segment (and its checksum made right
	 * again where the change is meant to be valid) */
	static const struct {
		size_t at;
		uint8_t flip;
		int fix;
		const char *why;
	} one[] = {
		{ 51, 1, 1, "another ack number" },
		{ 55, 1, 1, "another window" },
		{ 64, 1, 1, "another timestamp" },
		{ 41, 1, 1, "another port" },
		{ 39, 1, 1, "another address" },
		{ 1, 0x10, 0, "another traffic class" },
		{ 7, 1, 0, "another hop limit" },
		{ 40 + TH + 5, 0x40, 0, "a damaged payload (checksum fails)" },
	};
	for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
		n = tcp_pkt(c, 2100, 1000, ACK);
		c[one[i].at] ^= one[i].flip;
		if (one[i].fix)
			fix_csum(c, n);
		refuse(c, n, one[i].why);
	}
	n = tcp_pkt(c, 2100, 1000, ACK);
	refuse(c, n - 1, "IPv6 length disagrees");
}

Test(tunnel_offload, merge_ends_runs)
{
	static uint8_t p[TGRO_SEGS_MAX + 2][1200];
	struct tgro g;
	size_t n;

	/* a short segment ends the run, so does a PSH */
	tgro_init(&g, 1460);
	tgro_add(&g, p[0], tcp_pkt(p[0], 0, 1000, ACK));
	cr_assert_eq(tgro_add(&g, p[1], tcp_pkt(p[1], 1000, 500, ACK)), 1);
	cr_assert_eq(tgro_add(&g, p[2], tcp_pkt(p[2], 1500, 500, ACK)), 0, "after a short one");
	tgro_init(&g, 1460);
	tgro_add(&g, p[0], tcp_pkt(p[0], 0, 1000, ACK));
	cr_assert_eq(tgro_add(&g, p[1], tcp_pkt(p[1], 1000, 1000, ACK | PSH)), 1);
	cr_assert_eq(tgro_add(&g, p[2], tcp_pkt(p[2], 2000, 1000, ACK)), 0, "after a PSH");
	tgro_init(&g, 1460);
	tgro_add(&g, p[0], tcp_pkt(p[0], 0, 1000, ACK | PSH));
	cr_assert_eq(tgro_add(&g, p[1], tcp_pkt(p[1], 1000, 1000, ACK)), 0, "a PSH head");
	/* at most TGRO_SEGS_MAX segments */
	tgro_init(&g, 1460);
	for (int i = 0; i < TGRO_SEGS_MAX; i++)
		cr_assert_eq(tgro_add(&g, p[i], tcp_pkt(p[i], 100u * (uint32_t)i, 100, ACK)), 1);
	cr_assert_eq(tgro_add(&g, p[TGRO_SEGS_MAX], tcp_pkt(p[TGRO_SEGS_MAX], 6400, 100, ACK)), 0);
	/* and at most 64 KiB */
	{
		static uint8_t big[2][40000];
		tgro_init(&g, 1460);
		tgro_add(&g, big[0], tcp_pkt(big[0], 0, 33000, ACK));
		cr_assert_eq(tgro_add(&g, big[1], tcp_pkt(big[1], 33000, 33000, ACK)), 0,
			     "over 65 535 bytes of IPv6 payload");
	}
	/* anything else goes alone, with an empty header */
	{
		uint8_t u[60] = { 0x60, 0, 0, 0, 0, 20, IPPROTO_UDP, 64 };
		struct virtio_net_hdr vh;
		static uint8_t buf[100];

		tgro_init(&g, 1460);
		cr_assert_eq(tgro_add(&g, u, sizeof u), 1);
		n = tcp_pkt(p[0], 0, 1000, ACK);
		cr_assert_eq(tgro_add(&g, p[0], n), 0, "nothing joins a UDP packet");
		cr_assert_eq(gather(&g, buf, &vh), sizeof u);
		cr_assert_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		cr_assert_eq(vh.flags, 0);
		cr_assert_eq(memcmp(buf, u, sizeof u), 0);
		cr_assert_eq(tgro_flush(&g, (struct iovec[TGRO_IOV_MAX]){ 0 }), 0, "empty now");
	}
}

/* pkt as the kernel's GRO leaves a coalesced TCP packet: the field holds
 * the pseudo-header sum of the whole TCP length (make_super's packet) */
static void gro_partial(uint8_t *pkt, size_t n)
{
	(void)make_super(pkt, n, 1000);
}

Test(tunnel_offload, partial_from_the_kernel_gro)
{
	static uint8_t pkt[70000], want[70000], got[70000];
	size_t n = tcp_pkt(pkt, 9000, 64000, ACK | PSH);
	struct virtio_net_hdr vh = { 0 }, fvh;
	struct tgro g;

	memcpy(want, pkt, n);
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 0, "a full checksum: a plain packet");
	gro_partial(pkt, n);
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 1);
	cr_assert_eq(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	cr_assert_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	cr_assert_eq(vh.gso_size, 1460 - 40 - TH, "segments fit the tunnel's MTU");
	cr_assert_eq(vh.hdr_len, 40 + TH);
	cr_assert_eq(vh.csum_start, 40);
	cr_assert_eq(vh.csum_offset, 16);
	/* completed as the kernel completes it: the packet with its full checksum */
	memcpy(got, pkt, n);
	cr_assert_eq(tgso_complete(&(struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				   .csum_start = 40, .csum_offset = 16 }, got, n), 0);
	cr_assert_eq(memcmp(got, want, n), 0);
	/* through the group: written alone, as it came, with that header */
	tgro_init(&g, 1460);
	cr_assert_eq(tgro_add(&g, pkt, n), 1);
	cr_assert_eq(tgro_add(&g, want, n), 0, "nothing joins it");
	cr_assert_eq(gather(&g, got, &fvh), n);
	cr_assert_eq(memcmp(&fvh, &vh, sizeof vh), 0);
	cr_assert_eq(memcmp(got, pkt, n), 0);
	/* a short one (GRO merged two small segments): the checksum only */
	n = tcp_pkt(pkt, 9000, 600, ACK);
	gro_partial(pkt, n);
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 1);
	cr_assert_eq(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	cr_assert_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	cr_assert_eq(vh.gso_size, 0);
	/* CWR on the first segment stays on the first one only */
	n = tcp_pkt(pkt, 9000, 5000, ACK | CWR);
	gro_partial(pkt, n);
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 1);
	cr_assert_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN);
}

Test(tunnel_offload, partial_refuses)
{
	static uint8_t pkt[70000];
	struct virtio_net_hdr vh;
	size_t n;

	/* the control: each case below changes one thing of this one */
	n = tcp_pkt(pkt, 1, 3000, ACK);
	gro_partial(pkt, n);
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 1);
	pkt[57] ^= 1; /* damaged: the field is neither the sum nor the pseudo-header's */
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 0, "damaged checksum");
	pkt[57] ^= 1;
	pkt[40 + TH + 5] ^= 0x40; /* the data do not change the pseudo-header sum */
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 1, "data are not covered: the kernel checked them");
	pkt[40 + TH + 5] ^= 0x40;
	cr_assert_eq(tgro_partial(pkt, n - 1, 1460, &vh), 0, "length disagrees with the header");
	pkt[6] = IPPROTO_UDP;
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 0, "not TCP");
	pkt[6] = 0; /* a hop-by-hop options header */
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 0, "an extension header");
	pkt[6] = IPPROTO_TCP;
	pkt[0] = 0x40;
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 0, "not IPv6");
	pkt[0] = 0x60;
	pkt[52] = 4 << 4; /* a TCP header of 16 bytes */
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 0, "TCP header too short");
	pkt[52] = (TH / 4) << 4;
	cr_assert_eq(tgro_partial(pkt, n, 40 + TH, &vh), 0, "no room for a segment in the MTU");
	cr_assert_eq(tgro_partial(pkt, 40 + 19, 1460, &vh), 0, "shorter than a TCP header");
	n = tcp_pkt(pkt, 1, 0, ACK); /* header only, the data offset beyond it */
	pkt[52] = 15 << 4;
	gro_partial(pkt, n);
	cr_assert_eq(tgro_partial(pkt, n, 1460, &vh), 0, "header longer than the packet");
}
