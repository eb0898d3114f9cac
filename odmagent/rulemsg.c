/* SPDX-License-Identifier: MIT */
/* rulemsg.c — an rtnetlink message about an IPv6 policy rule (see rulemsg.h). */
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "rulemsg.h"

int rulemsg_parse(const struct nlmsghdr *h, size_t len, struct rulemsg *out)
{
	const struct fib_rule_hdr *frh;
	const struct rtattr *a;
	int left, has_src = 0;

	if (!h || len < sizeof(*h) || h->nlmsg_len > len ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*frh)) ||
	    (h->nlmsg_type != RTM_NEWRULE && h->nlmsg_type != RTM_DELRULE))
		return 0;
	frh = NLMSG_DATA(h);
	if (frh->family != AF_INET6 || (frh->src_len != 128 && frh->src_len != 0))
		return 0;
	memset(out, 0, sizeof(*out));
	out->src_len = frh->src_len;
	out->deleted = h->nlmsg_type == RTM_DELRULE;
	out->table = frh->table;
	left = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*frh)));
	for (a = (const struct rtattr *)((const char *)frh + NLMSG_ALIGN(sizeof(*frh)));
	     RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		switch (a->rta_type) {
		case FRA_SRC:
			if (RTA_PAYLOAD(a) != sizeof(out->from))
				return 0;
			memcpy(&out->from, RTA_DATA(a), sizeof(out->from));
			has_src = 1;
			break;
		case FRA_TABLE:
			if (RTA_PAYLOAD(a) != sizeof(uint32_t))
				return 0;
			memcpy(&out->table, RTA_DATA(a), sizeof(uint32_t));
			break;
		case FRA_PRIORITY:
			if (RTA_PAYLOAD(a) != sizeof(uint32_t))
				return 0;
			memcpy(&out->priority, RTA_DATA(a), sizeof(uint32_t));
			break;
		default:
			break;
		}
	}
	return has_src == (out->src_len == 128);
}
