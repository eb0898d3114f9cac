/* SPDX-License-Identifier: MIT */
/* cmsgstrip.c — control data without the shim's IPV6_PKTINFO (see cmsgstrip.h). */
#include <string.h>
#include <sys/socket.h>

#include "cmsgstrip.h"

/* one control message (its header copied out in c, its data at data) as
 * put_cmsg() writes it at out + *used. The input is read as bytes only:
 * it need not be aligned (the fuzzer's is not). */
static void put(unsigned char *out, size_t outcap, size_t *used, int *ctrunc,
		const struct cmsghdr *c, const unsigned char *data, size_t datalen)
{
	size_t left = outcap - *used, cmlen = CMSG_LEN(datalen);
	struct cmsghdr h;

	if (!out || left < sizeof(struct cmsghdr)) {
		*ctrunc = 1;
		return;
	}
	if (left < cmlen) {
		*ctrunc = 1;
		cmlen = left;
	}
	h.cmsg_len = cmlen;
	h.cmsg_level = c->cmsg_level;
	h.cmsg_type = c->cmsg_type;
	memcpy(out + *used, &h, sizeof(h));
	memcpy(out + *used + CMSG_LEN(0), data, cmlen - CMSG_LEN(0));
	*used += CMSG_SPACE(datalen) < left ? CMSG_SPACE(datalen) : left;
}

size_t cmsgstrip(const void *in, size_t inlen, void *out, size_t outcap, int *ctrunc,
		 struct in6_pktinfo *pi, int *have_pi)
{
	const unsigned char *p = in;
	size_t off = 0, used = 0;

	*ctrunc = 0;
	*have_pi = 0;
	if (!out)
		outcap = 0;
	while (inlen - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr c;
		size_t datalen;

		memcpy(&c, p + off, sizeof(c));
		if (c.cmsg_len < CMSG_LEN(0) || c.cmsg_len > inlen - off)
			break; /* not the kernel's: stop here */
		datalen = c.cmsg_len - CMSG_LEN(0);
		if (c.cmsg_level == IPPROTO_IPV6 && c.cmsg_type == IPV6_PKTINFO &&
		    datalen >= sizeof(*pi)) {
			memcpy(pi, p + off + CMSG_LEN(0), sizeof(*pi));
			*have_pi = 1;
		} else {
			put(out, outcap, &used, ctrunc, &c, p + off + CMSG_LEN(0), datalen);
		}
		if (CMSG_SPACE(datalen) >= inlen - off)
			break;
		off += CMSG_SPACE(datalen);
	}
	return used;
}

int cmsg_has_pktinfo(const void *control, size_t len)
{
	const unsigned char *p = control;
	size_t off = 0;

	while (p && len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr c;

		memcpy(&c, p + off, sizeof(c));
		if (c.cmsg_len < CMSG_LEN(0) || c.cmsg_len > len - off)
			return 0;
		if (c.cmsg_level == IPPROTO_IPV6 &&
		    (c.cmsg_type == IPV6_PKTINFO || c.cmsg_type == IPV6_2292PKTINFO))
			return 1;
		if (CMSG_ALIGN(c.cmsg_len) >= len - off)
			return 0;
		off += CMSG_ALIGN(c.cmsg_len);
	}
	return 0;
}
