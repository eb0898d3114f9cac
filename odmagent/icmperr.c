/* SPDX-License-Identifier: MIT */
/*
 * icmperr.c — the invoking packet of an ICMPv6 error, read strictly
 * (icmperr.h).
 */
#include "icmperr.h"

#include <errno.h>
#include <string.h>

#include "tunnel_udp.h"

#define ICMP_HDR 8  /* type, code, checksum, 4 bytes unused or pointer */
#define IP6_HDR 40

enum {
	T_DST_UNREACH = 1,   /* RFC 4443 §3.1 */
	T_PARAM_PROB = 4,    /* §3.4 */
	PP_UNKNOWN_NH = 1,   /* unrecognized Next Header type encountered */
	DU_CODE_MAX = 7,     /* codes 0-7 (RFC 4443, RFC 6550 §20.18) */
};

static int is_ext(uint8_t nh)
{
	/* Hop-by-Hop, Routing, Destination Options (RFC 8200 §4.1); a Fragment
	 * header (44) ends the walk: what follows it may not be the start */
	return nh == 0 || nh == 43 || nh == 60;
}

int icmperr_parse(const uint8_t *msg, size_t len, struct icmperr *out)
{
	const uint8_t *ip;
	size_t off, iplen;
	uint8_t nh;

	if (!msg || !out || len < ICMP_HDR + IP6_HDR)
		return -EINVAL;
	if (msg[0] == T_DST_UNREACH) {
		if (msg[1] > DU_CODE_MAX)
			return -EINVAL;
	} else if (msg[0] != T_PARAM_PROB || msg[1] != PP_UNKNOWN_NH) {
		return -EINVAL;
	}
	ip = msg + ICMP_HDR;
	iplen = len - ICMP_HDR;
	if ((ip[0] >> 4) != 6)
		return -EINVAL;
	nh = ip[6];
	off = IP6_HDR;
	for (int i = 0; is_ext(nh); i++) {
		size_t hl;

		/* the header's first two bytes must be there to be walked */
		if (i == ICMPERR_EXT_MAX || iplen - off < 2)
			return -EINVAL;
		hl = ((size_t)ip[off + 1] + 1) * 8;
		if (hl > iplen - off)
			return -EINVAL;
		nh = ip[off];
		off += hl;
	}
	if (nh != 41 && nh != 17 && !(nh == ICMPERR_PROTO_MH && msg[0] == T_PARAM_PROB))
		return -EINVAL;
	/* a datagram of the data path goes to the encapsulation's port (RFC
	 * 5555 section 4.1): one to another port (a DNS query, a traceroute)
	 * tells nothing about the anchor's agent */
	if (nh == 17 && (iplen - off < 4 || ((unsigned)ip[off + 2] << 8 | ip[off + 3]) != TUDP_PORT))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->type = msg[0];
	out->code = msg[1];
	memcpy(&out->src, ip + 8, sizeof(out->src));
	memcpy(&out->dst, ip + 24, sizeof(out->dst));
	out->proto = nh;
	return 0;
}
