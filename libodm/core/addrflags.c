/* SPDX-License-Identifier: MIT */
/* addrflags.c — a deprecated address in the kernel's answer (see addrflags.h). */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>

#include "addrflags.h"
#include "addrmsg.h"

int addrflags_deprecated(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	union {
		struct nlmsghdr h;
		unsigned char b[1024];
	} al;
	struct nlmsghdr h;
	struct addrmsg m;

	if (!p || len < sizeof(h))
		return -EBADMSG;
	memcpy(&h, p, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
		return -EBADMSG;
	if (h.nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;

		if (h.nlmsg_len < NLMSG_LENGTH(sizeof(e)))
			return -EBADMSG;
		memcpy(&e, p + NLMSG_HDRLEN, sizeof(e));
		return e.error < 0 && e.error > -4096 ? e.error : -EBADMSG;
	}
	if (h.nlmsg_type != RTM_NEWADDR)
		return -EBADMSG;
	/* the agent's own reading of an address message (addrmsg.c), on an
	 * aligned copy: the answer is one address, well under the buffer */
	if (h.nlmsg_len > sizeof(al.b))
		return -EBADMSG;
	memcpy(al.b, p, h.nlmsg_len);
	if (!addrmsg_parse(&al.h, h.nlmsg_len, &m))
		return -EBADMSG;
	return (m.flags & IFA_F_DEPRECATED) || m.preferred == 0;
}
