/* SPDX-License-Identifier: MIT */
/* routemsg.c — an rtnetlink message about an IPv6 route (see routemsg.h). */
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

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
			if (RTA_PAYLOAD(a) != sizeof(out->from))
				return 0;
			memcpy(&out->from, RTA_DATA(a), sizeof(out->from));
			has_src = 1;
			break;
		case RTA_TABLE:
		case RTA_PRIORITY:
			if (RTA_PAYLOAD(a) != sizeof(uint32_t))
				return 0;
			memcpy(a->rta_type == RTA_TABLE ? &out->table : &out->metric, RTA_DATA(a),
			       sizeof(uint32_t));
			break;
		case RTA_OIF:
			if (RTA_PAYLOAD(a) != sizeof(int))
				return 0;
			memcpy(&out->oif, RTA_DATA(a), sizeof(int));
			break;
		case RTA_MULTIPATH:
			return 0; /* not one device's */
		default:
			break;
		}
	}
	return has_src;
}
