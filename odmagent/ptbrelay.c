/* SPDX-License-Identifier: MIT */
/* ptbrelay.c — a Packet Too Big passed on inside (see ptbrelay.h). */
#include "ptbrelay.h"

#include <errno.h>
#include <string.h>

#include "addrscope.h"

#define IP6_LEN 40
#define ICMP_HDR 8
#define ICMP6_PACKET_TOO_BIG_ 2
#define NH_IPV6 41
#define NH_ICMPV6 58

int ptbrelay_parse(const uint8_t *icmp, size_t len, struct ptb_about *out)
{
	const uint8_t *outer, *inner;

	/* type, code, checksum, MTU; the outer header; the inner header */
	if (!icmp || !out || len < ICMP_HDR + 2 * IP6_LEN)
		return -EINVAL;
	if (icmp[0] != ICMP6_PACKET_TOO_BIG_ || icmp[1] != 0)
		return -EINVAL;
	outer = icmp + ICMP_HDR;
	inner = outer + IP6_LEN;
	if ((outer[0] >> 4) != 6 || outer[6] != NH_IPV6 || (inner[0] >> 4) != 6)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->mtu = (uint32_t)icmp[4] << 24 | (uint32_t)icmp[5] << 16 | (uint32_t)icmp[6] << 8 |
		   icmp[7];
	memcpy(&out->outer_src, outer + 8, 16);
	memcpy(&out->outer_dst, outer + 24, 16);
	memcpy(&out->inner_src, inner + 8, 16);
	memcpy(&out->inner_dst, inner + 24, 16);
	out->inner = inner;
	out->inner_len = len - ICMP_HDR - IP6_LEN;
	return 0;
}

int ptbrelay_may_tell(const struct ptb_about *a)
{
	if (!addr_is_routable(&a->inner_src))
		return 0;
	/* an ICMPv6 error directly after the inner header (types below 128;
	 * one behind extension headers is told, a rare and harmless case) */
	if (a->inner[6] == NH_ICMPV6 && (a->inner_len < IP6_LEN + 1 || a->inner[IP6_LEN] < 128))
		return 0;
	return 1;
}

uint32_t ptbrelay_inner_mtu(const struct ptb_about *a)
{
	uint32_t mtu = a->mtu > IP6_LEN + PTBRELAY_MIN_MTU ? a->mtu - IP6_LEN : PTBRELAY_MIN_MTU;
	/* the inner packet's size, from its own header (the quote may be cut) */
	uint32_t size = IP6_LEN + ((uint32_t)a->inner[4] << 8 | a->inner[5]);

	return size > mtu ? mtu : 0;
}

int ptbrelay_build(const struct ptb_about *a, uint32_t mtu, uint8_t *buf, size_t cap)
{
	size_t quote = a->inner_len;

	if (quote > PTBRELAY_MAX_LEN - ICMP_HDR)
		quote = PTBRELAY_MAX_LEN - ICMP_HDR;
	if (cap < ICMP_HDR + quote)
		return -ENOSPC;
	buf[0] = ICMP6_PACKET_TOO_BIG_;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(mtu >> 24);
	buf[5] = (uint8_t)(mtu >> 16);
	buf[6] = (uint8_t)(mtu >> 8);
	buf[7] = (uint8_t)mtu;
	memcpy(buf + ICMP_HDR, a->inner, quote);
	return (int)(ICMP_HDR + quote);
}
