/* SPDX-License-Identifier: MIT */
/* routemsg.c — an rtnetlink message about an IPv6 route (see routemsg.h). */
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "nlattr.h"
#include "routemsg.h"

int routemsg_source_deleted(const struct nlmsghdr *h, size_t len, struct routemsg *out)
{
	const struct rtmsg *rtm;
	const struct rtattr *a;
	int left, has_src = 0;

	if (!h || len < sizeof(*h) || h->nlmsg_len > len ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)) || h->nlmsg_type != RTM_DELROUTE)
		return 0;
	rtm = NLMSG_DATA(h);
	if (rtm->rtm_family != AF_INET6 || rtm->rtm_dst_len != 0 || rtm->rtm_src_len != 128)
		return 0;
	memset(out, 0, sizeof(*out));
	out->table = rtm->rtm_table;
	left = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	for (a = RTM_RTA(rtm); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		switch (a->rta_type) {
		case RTA_SRC:
			if (!nlattr_take(a, &out->from, sizeof(out->from)))
				return 0;
			has_src = 1;
			break;
		case RTA_TABLE:
			if (!nlattr_take(a, &out->table, sizeof(out->table)))
				return 0;
			break;
		case RTA_PRIORITY:
			if (!nlattr_take(a, &out->metric, sizeof(out->metric)))
				return 0;
			break;
		case RTA_OIF:
			if (!nlattr_take(a, &out->oif, sizeof(out->oif)))
				return 0;
			break;
		case RTA_MULTIPATH:
			return 0; /* not one device's */
		default:
			break;
		}
	}
	return has_src;
}
