/* SPDX-License-Identifier: MIT */
/* addrmsg.c — an rtnetlink message about an IPv6 or IPv4 address (see addrmsg.h). */
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "addrmsg.h"
#include "nlattr.h"

/* The message of one address of family (AF_INET6: 16 octets, a prefix of
 * at most 128 bits; AF_INET: 4 octets, at most 32, put v4-mapped) */
static int parse_family(const struct nlmsghdr *h, size_t len, int family, struct addrmsg *m)
{
	const size_t alen = family == AF_INET ? 4 : sizeof(m->addr);
	const unsigned maxplen = family == AF_INET ? 32 : 128;
	const struct ifaddrmsg *ifa;
	const struct rtattr *a;
	int left, has_addr = 0, has_local = 0;

	if (!h || len < sizeof(*h) || h->nlmsg_len > len ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR))
		return 0;
	ifa = NLMSG_DATA(h);
	if (ifa->ifa_family != family || ifa->ifa_prefixlen > maxplen || ifa->ifa_index == 0 ||
	    ifa->ifa_index > (unsigned)INT32_MAX)
		return 0;
	memset(&m->addr, 0, sizeof(m->addr));
	if (family == AF_INET)
		m->addr.s6_addr[10] = m->addr.s6_addr[11] = 0xff;
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
			if (RTA_PAYLOAD(a) != alen)
				return 0;
			/* the local address wins over a point-to-point peer's */
			if (a->rta_type == IFA_LOCAL) {
				memcpy(&m->addr.s6_addr[16 - alen], RTA_DATA(a), alen);
				has_local = 1;
			} else if (!has_local) {
				memcpy(&m->addr.s6_addr[16 - alen], RTA_DATA(a), alen);
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

int addrmsg_parse(const struct nlmsghdr *h, size_t len, struct addrmsg *m)
{
	return parse_family(h, len, AF_INET6, m);
}

int addrmsg_parse4(const struct nlmsghdr *h, size_t len, struct addrmsg *m)
{
	return parse_family(h, len, AF_INET, m);
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
