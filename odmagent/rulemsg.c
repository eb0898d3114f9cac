/* SPDX-License-Identifier: MIT */
/* rulemsg.c — an rtnetlink message about an IPv6 policy rule (see rulemsg.h). */
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "nlattr.h"
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
			if (!nlattr_take(a, &out->from, sizeof(out->from)))
				return 0;
			has_src = 1;
			break;
		case FRA_TABLE:
			if (!nlattr_take(a, &out->table, sizeof(out->table)))
				return 0;
			break;
		case FRA_PRIORITY:
			if (!nlattr_take(a, &out->priority, sizeof(out->priority)))
				return 0;
			break;
		default:
			break;
		}
	}
	return has_src == (out->src_len == 128);
}
