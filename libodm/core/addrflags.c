/* SPDX-License-Identifier: MIT */
/* addrflags.c — a deprecated address in the kernel's answer (see addrflags.h). */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>

#include "addrflags.h"

int addrflags_deprecated(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct nlmsghdr h;
	struct ifaddrmsg ifa;
	size_t off;
	int dep;

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
	if (h.nlmsg_type != RTM_NEWADDR || h.nlmsg_len < NLMSG_LENGTH(sizeof(ifa)))
		return -EBADMSG;
	memcpy(&ifa, p + NLMSG_HDRLEN, sizeof(ifa));
	dep = (ifa.ifa_flags & IFA_F_DEPRECATED) != 0;
	off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifa));
	while (off < h.nlmsg_len && h.nlmsg_len - off >= sizeof(struct rtattr)) {
		struct rtattr a;
		size_t alen;

		memcpy(&a, p + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > h.nlmsg_len - off)
			return -EBADMSG;
		alen = a.rta_len - RTA_LENGTH(0);
		if (a.rta_type == IFA_FLAGS && alen >= sizeof(uint32_t)) {
			uint32_t f;

			memcpy(&f, p + off + RTA_LENGTH(0), sizeof(f));
			dep |= (f & IFA_F_DEPRECATED) != 0;
		} else if (a.rta_type == IFA_CACHEINFO && alen >= sizeof(struct ifa_cacheinfo)) {
			struct ifa_cacheinfo ci;

			memcpy(&ci, p + off + RTA_LENGTH(0), sizeof(ci));
			dep |= ci.ifa_prefered == 0;
		}
		off += RTA_ALIGN(a.rta_len);
	}
	return dep;
}
