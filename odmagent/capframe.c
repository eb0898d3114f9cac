/* SPDX-License-Identifier: MIT */
/* capframe.c — a captured IPv6-in-IPv6 packet, checked (see capframe.h). */
#include "capframe.h"

#include <string.h>

#include "cksum.h"

#define IP6_HDR 40
#define NH_TCP 6
#define NH_UDP 17
#define NH_IPV6 41
#define TCP_CSUM_OFF 16
#define TCP_HDR_MIN 20
#define UDP_CSUM_OFF 6
#define UDP_HDR 8
#define TCP_FIN 0x01
#define TCP_PSH 0x08

static size_t plen(const uint8_t *ip6)
{
	return (size_t)ip6[4] << 8 | ip6[5];
}

/* Finish the upper-layer checksum of the inner packet in (len bytes). */
static int finish_csum(uint8_t *in, size_t len)
{
	uint8_t nh = in[6];
	size_t l4 = len - IP6_HDR, off;
	struct in6_addr s, d;
	uint16_t c;

	if (nh == NH_TCP && l4 >= TCP_HDR_MIN)
		off = TCP_CSUM_OFF;
	else if (nh == NH_UDP && l4 >= UDP_HDR)
		off = UDP_CSUM_OFF;
	else
		return CAPF_CSUM;
	memcpy(&s, in + 8, 16);
	memcpy(&d, in + 24, 16);
	c = inet6_cksum(in + IP6_HDR, l4, &s, &d, nh, off);
	if (nh == NH_UDP && c == 0)
		c = 0xffff; /* RFC 8200 §8.1: a UDP checksum of 0 is sent as all ones */
	in[IP6_HDR + off] = (uint8_t)(c >> 8);
	in[IP6_HDR + off + 1] = (uint8_t)c;
	return 0;
}

/* both headers version 6, the outer one's next header 41 and each payload
 * length what follows it in a len-byte packet (no jumbograms, no trailer) */
static int headers_ok(const uint8_t *pkt, size_t len)
{
	const uint8_t *in = pkt + IP6_HDR;

	return (pkt[0] >> 4) == 6 && pkt[6] == NH_IPV6 && plen(pkt) == len - IP6_HDR &&
	       (in[0] >> 4) == 6 && plen(in) == len - CAPFRAME_HDRS;
}

static void set_plen(uint8_t *ip6, size_t n)
{
	ip6[4] = (uint8_t)(n >> 8);
	ip6[5] = (uint8_t)n;
}

/*
 * The first caplen bytes of a longer tunnelled TCP packet (a GSO or GRO
 * super-packet) made into the packet of its first bytes: the same headers,
 * the payload cut where the capture cut it, both lengths and the checksum
 * made to match. FIN and PSH belong to the super-packet's last segment.
 *
 * Only when the checksum was left to the device (csum_partial, as for every
 * GSO and GRO super-packet): a finished one covers bytes not captured, so
 * it cannot be checked, and one computed over the head would vouch for
 * bytes that may have been damaged on their way to the anchor (a long
 * packet forwarded from a link with jumbo frames).
 */
static int make_head(uint8_t *pkt, size_t caplen, size_t wirelen, int csum_partial,
		     struct capframe *f)
{
	uint8_t *in = pkt + IP6_HDR, *tcp = pkt + CAPFRAME_HDRS;
	size_t doff;

	if (!csum_partial || caplen < CAPFRAME_HDRS + TCP_HDR_MIN + 1 ||
	    wirelen > IP6_HDR + 0xffff)
		return CAPF_BIG;
	if (!headers_ok(pkt, wirelen))
		return CAPF_FORM;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (in[6] != NH_TCP || doff < TCP_HDR_MIN || CAPFRAME_HDRS + doff >= caplen)
		return CAPF_BIG; /* only a TCP packet with payload in the head is cut */
	set_plen(pkt, caplen - IP6_HDR);
	set_plen(in, caplen - CAPFRAME_HDRS);
	tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	finish_csum(in, caplen - IP6_HDR);
	f->head = 1;
	return 0;
}

int capframe_check(uint8_t *pkt, size_t caplen, size_t wirelen, size_t max_len,
		   int csum_partial, struct capframe *f)
{
	int rc = 0;

	f->head = 0;
	if (wirelen > max_len)
		rc = caplen < max_len ? make_head(pkt, caplen, wirelen, csum_partial, f) : CAPF_BIG;
	else if (caplen != wirelen || caplen < CAPFRAME_HDRS)
		rc = CAPF_SHORT;
	else if (!headers_ok(pkt, caplen))
		rc = CAPF_FORM;
	else if (csum_partial && finish_csum(pkt + IP6_HDR, caplen - IP6_HDR) < 0)
		rc = CAPF_CSUM;
	if (rc < 0)
		return rc;
	memcpy(&f->osrc, pkt + 8, 16);
	memcpy(&f->odst, pkt + 24, 16);
	memcpy(&f->inner_dst, pkt + IP6_HDR + 24, 16);
	return 0;
}

void capframe_retarget(uint8_t *pkt, const struct in6_addr *odst)
{
	memcpy(pkt + 24, odst, 16);
}

uint64_t capframe_mono_ms(uint32_t sec, uint32_t nsec, uint64_t real_now_ns,
			  uint64_t mono_now_ns)
{
	uint64_t at = (uint64_t)sec * 1000000000u + nsec, ago;

	/* a stamp from the future (the real clock stepped back) is now */
	ago = real_now_ns > at ? real_now_ns - at : 0;
	return mono_now_ns > ago ? (mono_now_ns - ago) / 1000000u : 0;
}
