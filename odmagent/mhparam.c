/* SPDX-License-Identifier: MIT */
/*
 * mhparam.c — the ICMPv6 Parameter Problem a malformed Mobility Header
 * draws (mhparam.h).
 */
#include "mhparam.h"

#include <errno.h>
#include <string.h>

#include "mh.h"

#define MH_NONE 59 /* IPPROTO_NONE: nothing follows a Mobility Header */
#define PROTO_MH 135
#define ICMP6_PARAM_PROB_ 4
#define ICMP6_PARAMPROB_HEADER_ 0 /* erroneous header field */

int mhparam_field(const uint8_t *mh, size_t len)
{
	size_t declared;
	int least;

	if (!mh || len < 8)
		return -1;
	declared = ((size_t)mh[1] + 1) * 8;
	/* the rest did not come (or the length is a lie): nothing to quote
	 * that the sender would know as its message */
	if (declared > len)
		return -1;
	if (mh[0] != MH_NONE)
		return MHPARAM_AT_PROTO;
	least = mh_min_len(mh[2]);
	if (least > 0 && declared < (size_t)least)
		return MHPARAM_AT_HDRLEN;
	return -1;
}

int mhparam_may_answer(const struct in6_addr *src, const struct in6_addr *dst)
{
	if (!src || !dst)
		return 0;
	if (IN6_IS_ADDR_UNSPECIFIED(src) || IN6_IS_ADDR_MULTICAST(src) ||
	    IN6_IS_ADDR_V4MAPPED(src))
		return 0;
	if (IN6_IS_ADDR_UNSPECIFIED(dst) || IN6_IS_ADDR_MULTICAST(dst))
		return 0;
	/* ::1 names the node itself: from outside it is forged (the kernel
	 * drops such packets off the wire, a raw socket may still see one) */
	if (IN6_IS_ADDR_LOOPBACK(src) && !IN6_IS_ADDR_LOOPBACK(dst))
		return 0;
	return 1;
}

int mhparam_build(const uint8_t *mh, size_t len, const struct in6_addr *src,
		  const struct in6_addr *dst, const struct mhparam_rx *rx, uint8_t *out,
		  size_t cap)
{
	uint32_t ptr, word;
	size_t quote;
	int field = mhparam_field(mh, len);
	uint8_t *ip;

	if (field < 0 || !rx || !rx->told || rx->ext || !mhparam_may_answer(src, dst))
		return 0;
	if (len > 0xffff)
		return 0; /* no IPv6 payload that long without a jumbogram */
	quote = MHPARAM_IP6_HDR + len;
	if (quote > MHPARAM_MAX_LEN - MHPARAM_ICMP_HDR)
		quote = MHPARAM_MAX_LEN - MHPARAM_ICMP_HDR;
	if (!out || cap < MHPARAM_ICMP_HDR + quote)
		return -ENOSPC;
	/* no extension headers: the message follows the IPv6 header */
	ptr = MHPARAM_IP6_HDR + (uint32_t)field;
	out[0] = ICMP6_PARAM_PROB_;
	out[1] = ICMP6_PARAMPROB_HEADER_;
	out[2] = out[3] = 0;
	out[4] = (uint8_t)(ptr >> 24);
	out[5] = (uint8_t)(ptr >> 16);
	out[6] = (uint8_t)(ptr >> 8);
	out[7] = (uint8_t)ptr;
	/* the invoking packet's IPv6 header, as it came */
	ip = out + MHPARAM_ICMP_HDR;
	word = 6u << 28 | (rx->flowinfo & 0x0fffffffu);
	ip[0] = (uint8_t)(word >> 24);
	ip[1] = (uint8_t)(word >> 16);
	ip[2] = (uint8_t)(word >> 8);
	ip[3] = (uint8_t)word;
	ip[4] = (uint8_t)(len >> 8);
	ip[5] = (uint8_t)len;
	ip[6] = PROTO_MH;
	ip[7] = rx->hoplimit;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(ip + MHPARAM_IP6_HDR, mh, quote - MHPARAM_IP6_HDR);
	return (int)(MHPARAM_ICMP_HDR + quote);
}
