/* SPDX-License-Identifier: MIT */
/* tunnel_gro.c — merging TCP segments for one TUN write (see tunnel_gro.h). */
#include "tunnel_gro.h"

#include <netinet/in.h>
#include <string.h>

#include "cksum.h"

#define IP6_LEN 40
#define TCP_MIN 20
#define TCP_CSUM_OFF 16
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80
#define MERGED_MAX 65535 /* IPv6 payload length without a jumbogram */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void tgro_init(struct tgro *g, size_t mtu)
{
	memset(g, 0, sizeof *g);
	g->mtu = mtu;
}

int tgro_partial(const uint8_t *pkt, size_t n, size_t mtu, struct virtio_net_hdr *vh)
{
	size_t thlen, tcplen;
	uint16_t pseudo, field;

	if (n < IP6_LEN + TCP_MIN || n > IP6_LEN + MERGED_MAX || (pkt[0] >> 4) != 6 ||
	    pkt[6] != IPPROTO_TCP || IP6_LEN + ((size_t)pkt[4] << 8 | pkt[5]) != n)
		return 0;
	tcplen = n - IP6_LEN;
	thlen = (size_t)(pkt[IP6_LEN + 12] >> 4) * 4;
	if (thlen < TCP_MIN || thlen > tcplen || mtu <= IP6_LEN + thlen)
		return 0;
	pseudo = cksum_pseudo6(pkt + 8, pkt + 24, (uint32_t)tcplen, IPPROTO_TCP);
	field = (uint16_t)(pkt[IP6_LEN + TCP_CSUM_OFF] << 8 | pkt[IP6_LEN + TCP_CSUM_OFF + 1]);
	if (field != pseudo || cksum_add(pseudo, pkt + IP6_LEN, tcplen) == 0xffff)
		return 0;
	memset(vh, 0, sizeof *vh);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = IP6_LEN;
	vh->csum_offset = TCP_CSUM_OFF;
	vh->hdr_len = (uint16_t)(IP6_LEN + thlen);
	if (tcplen - thlen > mtu - IP6_LEN - thlen) {
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		if (pkt[IP6_LEN + 13] & TCP_CWR)
			vh->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
		vh->gso_size = (uint16_t)(mtu - IP6_LEN - thlen);
	}
	return 1;
}

/* The IPv6 + TCP header length of a segment that may be merged, or 0 */
static size_t seg_hlen(const uint8_t *pkt, size_t n)
{
	size_t thlen;
	uint8_t fl;

	if (n < IP6_LEN + TCP_MIN || (pkt[0] >> 4) != 6 || pkt[6] != IPPROTO_TCP ||
	    IP6_LEN + ((size_t)pkt[4] << 8 | pkt[5]) != n)
		return 0;
	thlen = (size_t)(pkt[IP6_LEN + 12] >> 4) * 4;
	fl = pkt[IP6_LEN + 13];
	if (thlen < TCP_MIN || IP6_LEN + thlen >= n || (pkt[IP6_LEN + 12] & 0x0f) ||
	    !(fl & TCP_ACK) || (fl & ~(TCP_ACK | TCP_PSH)))
		return 0;
	if (cksum_add(cksum_pseudo6(pkt + 8, pkt + 24, (uint32_t)(n - IP6_LEN), IPPROTO_TCP),
		      pkt + IP6_LEN, n - IP6_LEN) != 0xffff)
		return 0;
	return IP6_LEN + thlen;
}

static void start(struct tgro *g, const uint8_t *pkt, size_t n)
{
	size_t hlen;

	g->count = 1;
	memset(&g->vh, 0, sizeof g->vh);
	g->head = pkt;
	g->head_len = n;
	/* one the kernel merged goes alone, as tgro_partial describes it;
	 * asked first, as it sums a packet only when its checksum field is
	 * the pseudo-header's (seg_hlen would sum all 64 KiB in vain) */
	hlen = tgro_partial(pkt, n, g->mtu, &g->vh) ? 0 : seg_hlen(pkt, n);
	g->hlen = hlen;
	g->mergeable = hlen != 0 && !(pkt[IP6_LEN + 13] & TCP_PSH) &&
		       n - hlen <= MERGED_MAX - (hlen - IP6_LEN);
	if (!hlen)
		return;
	g->payload = n - hlen;
	g->mss = (uint16_t)g->payload;
	g->next_seq = be32(pkt + IP6_LEN + 4) + (uint32_t)g->payload;
	g->psh = pkt[IP6_LEN + 13] & TCP_PSH;
	g->seg[0] = pkt + hlen;
	g->seg_len[0] = (uint16_t)g->payload;
}

int tgro_add(struct tgro *g, const uint8_t *pkt, size_t n)
{
	size_t len;

	if (g->count == 0) {
		start(g, pkt, n);
		return 1;
	}
	if (!g->mergeable || g->count == TGRO_SEGS_MAX || n <= g->hlen)
		return 0;
	len = n - g->hlen;
	/* everything up to the checksum field (version, class, flow label,
	 * hop limit, addresses, ports, ack, offset, flags but PSH, window)
	 * and the options after it, as the head has them */
	if (len > g->mss || g->payload + len > MERGED_MAX - (g->hlen - IP6_LEN) ||
	    memcmp(pkt, g->head, 4) != 0 || memcmp(pkt + 6, g->head + 6, 34) != 0 ||
	    memcmp(pkt + IP6_LEN, g->head + IP6_LEN, 4) != 0 ||
	    memcmp(pkt + IP6_LEN + 8, g->head + IP6_LEN + 8, 5) != 0 ||
	    memcmp(pkt + IP6_LEN + 14, g->head + IP6_LEN + 14, 2) != 0 ||
	    memcmp(pkt + IP6_LEN + 18, g->head + IP6_LEN + 18, g->hlen - IP6_LEN - 18) != 0 ||
	    be32(pkt + IP6_LEN + 4) != g->next_seq || seg_hlen(pkt, n) != g->hlen)
		return 0;
	g->seg[g->count] = pkt + g->hlen;
	g->seg_len[g->count] = (uint16_t)len;
	g->count++;
	g->payload += len;
	g->next_seq += (uint32_t)len;
	g->psh = pkt[IP6_LEN + 13] & TCP_PSH;
	/* a short segment or a push ends the run, as it ends a TSO burst */
	if (len < g->mss || g->psh)
		g->mergeable = 0;
	return 1;
}

size_t tgro_flush(struct tgro *g, struct iovec *iov)
{
	size_t k = 0, tcplen;
	uint16_t sum;

	if (g->count == 0)
		return 0;
	iov[k].iov_base = &g->vh;
	iov[k++].iov_len = sizeof g->vh;
	if (g->count == 1) { /* its header: start's, empty or tgro_partial's */
		iov[k].iov_base = (void *)g->head;
		iov[k++].iov_len = g->head_len;
		g->count = 0;
		return k;
	}
	memcpy(g->hdr, g->head, g->hlen);
	tcplen = g->hlen - IP6_LEN + g->payload;
	g->hdr[4] = (uint8_t)(tcplen >> 8);
	g->hdr[5] = (uint8_t)tcplen;
	g->hdr[IP6_LEN + 13] |= g->psh;
	/* partial: the pseudo-header's sum, the kernel adds the rest */
	sum = cksum_pseudo6(g->hdr + 8, g->hdr + 24, (uint32_t)tcplen, IPPROTO_TCP);
	g->hdr[IP6_LEN + TCP_CSUM_OFF] = (uint8_t)(sum >> 8);
	g->hdr[IP6_LEN + TCP_CSUM_OFF + 1] = (uint8_t)sum;
	g->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	g->vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	g->vh.hdr_len = (uint16_t)g->hlen;
	g->vh.gso_size = g->mss;
	g->vh.csum_start = IP6_LEN;
	g->vh.csum_offset = TCP_CSUM_OFF;
	iov[k].iov_base = g->hdr;
	iov[k++].iov_len = g->hlen;
	for (size_t i = 0; i < g->count; i++) {
		iov[k].iov_base = (void *)g->seg[i];
		iov[k++].iov_len = g->seg_len[i];
	}
	g->count = 0;
	return k;
}
