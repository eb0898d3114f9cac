/* SPDX-License-Identifier: MIT */
/* fuzz_tunnel_offload.c — libFuzzer harness: any bytes as what a TUN device
 * with IFF_VNET_HDR hands over (a virtio_net_hdr, then a packet) into the
 * userspace tunnel's offloads (tunnel_gso.h), and the segments it yields,
 * then the input itself cut into packets, into the merge (tunnel_gro.h).
 * Nothing may crash or read out of bounds; every segment made fits its
 * slot, carries a checksum that verifies and the payload it was cut from;
 * a merged write is at most one IPv6 packet of 64 KiB after its header.
 * The packet alone as the raw socket may hand it over after the kernel's
 * GRO (tgro_partial): a header it makes stays inside the packet, its
 * segments fit the tunnel's MTU, and completing the checksum it names
 * gives one that verifies.
 *
 * fuzz-flags: -max_len=70000
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "cksum.h"
#include "tunnel_gro.h"
#include "tunnel_gso.h"

#define STRIDE 2048
#define MAX 8

#define MTU 1460

static uint8_t pkt[70000], out[MAX * STRIDE], done[70000], gro[70000];

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_partial(const uint8_t *p, size_t n)
{
	struct virtio_net_hdr vh;

	if (!tgro_partial(p, n, MTU, &vh))
		return;
	if (vh.flags != VIRTIO_NET_HDR_F_NEEDS_CSUM || vh.hdr_len > n ||
	    vh.csum_start + vh.csum_offset + 2u > n ||
	    (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE && vh.hdr_len + vh.gso_size > MTU) ||
	    (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE && (vh.gso_size == 0 || n - vh.hdr_len <= vh.gso_size)))
		abort();
	memcpy(done, p, n);
	vh.gso_type = VIRTIO_NET_HDR_GSO_NONE; /* the checksum alone */
	if (tgso_complete(&vh, done, n) != 0 ||
	    cksum_add(cksum_pseudo6(done + 8, done + 24, (uint32_t)(n - 40), IPPROTO_TCP), done + 40,
		      n - 40) != 0xffff)
		abort();
}

/* the packet made to look as GRO leaves one: IPv6, TCP, its length in the
 * header, the checksum field the pseudo-header sum */
static void check_as_gro(size_t n)
{
	uint16_t ps;

	if (n < 58 || n > 40 + 65535)
		return;
	memcpy(gro, pkt, n);
	gro[0] = (uint8_t)(0x60 | (gro[0] & 0x0f));
	gro[4] = (uint8_t)((n - 40) >> 8);
	gro[5] = (uint8_t)(n - 40);
	gro[6] = IPPROTO_TCP;
	ps = cksum_pseudo6(gro + 8, gro + 24, (uint32_t)(n - 40), IPPROTO_TCP);
	gro[56] = (uint8_t)(ps >> 8);
	gro[57] = (uint8_t)ps;
	check_partial(gro, n);
}

/* the packets in the group, in the order they joined it */
static const uint8_t *gp[TGRO_SEGS_MAX];
static size_t gn[TGRO_SEGS_MAX], gcnt;
static uint8_t merged[40 + 65535], again[40 + 65535];

static int add(struct tgro *g, const uint8_t *p, size_t n)
{
	if (g->count == 0)
		gcnt = 0;
	if (!tgro_add(g, p, n))
		return 0;
	if (gcnt >= TGRO_SEGS_MAX || g->count != gcnt + 1)
		abort();
	gp[gcnt] = p;
	gn[gcnt++] = n;
	return 1;
}

/* a and b (n bytes each, TCP/IPv6) are equal but for the two forms of a
 * checksum of zero */
static int same_segment(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t c = 40 + 16;

	if (memcmp(a, b, c) || memcmp(a + c + 2, b + c + 2, n - c - 2))
		return 0;
	if (a[c] == b[c] && a[c + 1] == b[c + 1])
		return 1;
	return (a[c] & a[c + 1]) == 0xff ? (b[c] | b[c + 1]) == 0 : (a[c] | a[c + 1]) == 0 &&
	       (b[c] & b[c + 1]) == 0xff;
}

/*
 * A merged write means what its segments meant: cut again as the kernel
 * would (tgso_split), it gives back each segment that joined, in order.
 */
static void check_merge(struct tgro *g)
{
	struct iovec iov[TGRO_IOV_MAX];
	struct virtio_net_hdr mvh;
	size_t cnt = tgro_flush(g, iov), total = 0, off = 0, slen, k = 0;
	int r;

	if (cnt == 0)
		return;
	if (cnt < 2 || cnt > TGRO_IOV_MAX || iov[0].iov_len != TGSO_VNET_LEN)
		abort();
	for (size_t i = 1; i < cnt; i++)
		total += iov[i].iov_len;
	if (total > 40 + 65535)
		abort();
	if (gcnt == 1) {
		if (cnt != 2 || iov[1].iov_base != gp[0] || iov[1].iov_len != gn[0])
			abort();
		return;
	}
	if (cnt != gcnt + 2)
		abort();
	memcpy(&mvh, iov[0].iov_base, sizeof mvh);
	for (size_t i = 1, at = 0; i < cnt; at += iov[i].iov_len, i++)
		memcpy(merged + at, iov[i].iov_base, iov[i].iov_len);
	while ((r = tgso_split(&mvh, merged, total, &off, again, sizeof again, &slen, 1)) > 0) {
		if (k >= gcnt || slen != gn[k] || !same_segment(again, gp[k], slen))
			abort();
		k++;
	}
	if (r < 0 || k != gcnt)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_net_hdr vh;
	size_t n, off = 0, lens[MAX], segs = 0, hlen, cut = 0;
	struct tgro g;
	int k;

	if (size < TGSO_VNET_LEN)
		return 0;
	memcpy(&vh, data, sizeof vh);
	n = size - TGSO_VNET_LEN;
	memcpy(pkt, data + TGSO_VNET_LEN, n);
	check_partial(pkt, n);
	check_as_gro(n);
	if (!tgso_is_gso(&vh)) {
		(void)tgso_complete(&vh, pkt, n);
		return 0;
	}
	tgro_init(&g, 1460);
	hlen = n > 52 ? 40 + (size_t)(pkt[52] >> 4) * 4 : 0;
	while ((k = tgso_split(&vh, pkt, n, &off, out, STRIDE, lens, MAX)) > 0) {
		if (k > MAX || off > n)
			abort();
		for (int i = 0; i < k; i++) {
			uint8_t *s = out + (size_t)i * STRIDE;

			if (lens[i] > STRIDE || lens[i] <= 60)
				abort();
			if (cksum_add(cksum_pseudo6(s + 8, s + 24, (uint32_t)(lens[i] - 40),
						    IPPROTO_TCP), s + 40, lens[i] - 40) != 0xffff)
				abort();
			/* the next piece of the payload, under the headers of the
			 * packet, its sequence number advanced by what went before */
			if (lens[i] <= hlen || hlen + cut + lens[i] - hlen > n ||
			    memcmp(s, pkt, 4) || memcmp(s + 6, pkt + 6, 38) ||
			    memcmp(s + 40, pkt + 40, 4) || memcmp(s + 48, pkt + 48, 5) ||
			    (s[53] | 0x89) != (pkt[53] | 0x89) ||
			    memcmp(s + 54, pkt + 54, 2) || memcmp(s + 58, pkt + 58, hlen - 58) ||
			    memcmp(s + hlen, pkt + hlen + cut, lens[i] - hlen) ||
			    be32(s + 44) != be32(pkt + 44) + (uint32_t)cut)
				abort();
			cut += lens[i] - hlen;
			if (!add(&g, s, lens[i])) {
				check_merge(&g);
				if (!add(&g, s, lens[i]))
					abort(); /* an empty group takes anything */
			}
		}
		check_merge(&g);
		segs += (size_t)k;
		if (segs > 70000)
			abort();
	}
	if (k == 0 && hlen + cut != n)
		abort(); /* all of the payload was cut, nothing more */
	/* the input as a run of packets of its own lengths */
	tgro_init(&g, 1460);
	for (size_t at = 0, len; at < n; at += len) {
		len = 40 + (pkt[at] % 64) * 25;
		if (len > n - at)
			len = n - at;
		if (!add(&g, pkt + at, len)) {
			check_merge(&g);
			(void)add(&g, pkt + at, len);
		}
	}
	check_merge(&g);
	return 0;
}
