/* SPDX-License-Identifier: MIT */
/* addrmsg.c — an rtnetlink message about an IPv6 address (see addrmsg.h). */
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "addrmsg.h"
#include "nlattr.h"

int addrmsg_parse(const struct nlmsghdr *h, size_t len, struct addrmsg *m)
{
	const struct ifaddrmsg *ifa;
	const struct rtattr *a;
	int left, has_addr = 0, has_local = 0;

	if (!h || len < sizeof(*h) || h->nlmsg_len > len ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR))
		return 0;
	ifa = NLMSG_DATA(h);
	if (ifa->ifa_family != AF_INET6 || ifa->ifa_prefixlen > 128 || ifa->ifa_index == 0 ||
	    ifa->ifa_index > (unsigned)INT32_MAX)
		return 0;
	m->flags = ifa->ifa_flags;
	m->preferred = 0xffffffffu;
	left = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (a = IFA_RTA(ifa); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		switch (a->rta_type) {
		case IFA_FLAGS:
			if (!nlattr_take(a, &m->flags, sizeof(m->flags)))
				return 0;
			break;
		case IFA_CACHEINFO: {
			struct ifa_cacheinfo ci;

			if (!nlattr_take(a, &ci, sizeof(ci)))
				return 0;
			m->preferred = ci.ifa_prefered;
			break;
		}
		case IFA_ADDRESS:
		case IFA_LOCAL:
			if (RTA_PAYLOAD(a) != sizeof(m->addr))
				return 0;
			/* the local address wins over a point-to-point peer's */
			if (a->rta_type == IFA_LOCAL) {
				memcpy(&m->addr, RTA_DATA(a), sizeof(m->addr));
				has_local = 1;
			} else if (!has_local) {
				memcpy(&m->addr, RTA_DATA(a), sizeof(m->addr));
				has_addr = 1;
			}
			break;
		default:
			break;
		}
	}
	if (!has_local && !has_addr)
		return 0;
	m->deleted = h->nlmsg_type == RTM_DELADDR;
	m->ifindex = (int)ifa->ifa_index;
	m->plen = ifa->ifa_prefixlen;
	m->scope = ifa->ifa_scope;
	return 1;
}

int addrmsg_deleted128(const struct nlmsghdr *h, size_t len, int *ifindex,
		       struct in6_addr *addr)
{
	struct addrmsg m;

	if (!addrmsg_parse(h, len, &m) || !m.deleted || m.plen != 128)
		return 0;
	*ifindex = m.ifindex;
	*addr = m.addr;
	return 1;
}
