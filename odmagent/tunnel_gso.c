/* SPDX-License-Identifier: MIT */
/* tunnel_gso.c — cutting TUN super-packets into segments (see tunnel_gso.h). */
#include "tunnel_gso.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "cksum.h"

#define IP6_LEN 40
#define TCP_MIN 20
#define TCP_CSUM_OFF 16
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int tgso_is_gso(const struct virtio_net_hdr *vh)
{
	return (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE;
}

int tgso_complete(const struct virtio_net_hdr *vh, uint8_t *pkt, size_t n)
{
	size_t start = vh->csum_start, at;
	uint16_t s;

	if (tgso_is_gso(vh))
		return -EPROTONOSUPPORT;
	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	at = start + vh->csum_offset;
	if (start < IP6_LEN || at + 2 > n)
		return -EINVAL;
	s = (uint16_t)~cksum_add(0, pkt + start, n - start);
	/* a computed 0 goes out as its other form (RFC 768: 0 = none for UDP) */
	put16(pkt + at, s ? s : 0xffff);
	return 0;
}

/* The TCP header length of a well-formed super-packet, or -errno */
static int check_super(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t n)
{
	size_t thlen;

	if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV6)
		return -EPROTONOSUPPORT;
	if (n < IP6_LEN + TCP_MIN || (pkt[0] >> 4) != 6)
		return -EINVAL;
	if (pkt[6] != IPPROTO_TCP || vh->csum_start != IP6_LEN ||
	    vh->csum_offset != TCP_CSUM_OFF)
		return -EPROTONOSUPPORT;
	if (IP6_LEN + ((size_t)pkt[4] << 8 | pkt[5]) != n)
		return -EINVAL;
	thlen = (size_t)(pkt[IP6_LEN + 12] >> 4) * 4;
	if (thlen < TCP_MIN || IP6_LEN + thlen >= n || vh->gso_size == 0)
		return -EINVAL;
	return (int)thlen;
}

int tgso_split(const struct virtio_net_hdr *vh, const uint8_t *pkt, size_t n, size_t *off,
	       uint8_t *out, size_t stride, size_t *lens, size_t max)
{
	int rc = check_super(vh, pkt, n);
	size_t thlen, hlen, total, mss = vh->gso_size, k = 0;
	uint32_t seq0;

	if (rc < 0)
		return rc;
	thlen = (size_t)rc;
	hlen = IP6_LEN + thlen;
	total = n - hlen;
	if (hlen + (mss < total ? mss : total) > stride)
		return -EMSGSIZE;
	seq0 = be32(pkt + IP6_LEN + 4);
	for (; k < max && *off < total; k++) {
		size_t len = total - *off < mss ? total - *off : mss;
		uint8_t *s = out + k * stride, *th = s + IP6_LEN;
		uint16_t sum;

		memcpy(s, pkt, hlen);
		memcpy(s + hlen, pkt + hlen + *off, len);
		put16(s + 4, (uint16_t)(thlen + len));
		th[4] = (uint8_t)((seq0 + (uint32_t)*off) >> 24);
		th[5] = (uint8_t)((seq0 + (uint32_t)*off) >> 16);
		th[6] = (uint8_t)((seq0 + (uint32_t)*off) >> 8);
		th[7] = (uint8_t)(seq0 + (uint32_t)*off);
		if (*off + len < total)
			th[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (*off > 0)
			th[13] &= (uint8_t)~TCP_CWR;
		th[TCP_CSUM_OFF] = th[TCP_CSUM_OFF + 1] = 0;
		sum = cksum_pseudo6(s + 8, s + 24, (uint32_t)(thlen + len), IPPROTO_TCP);
		sum = cksum_add(sum, th, thlen + len);
		put16(th + TCP_CSUM_OFF, (uint16_t)~sum);
		lens[k] = hlen + len;
		*off += len;
	}
	return (int)k;
}
