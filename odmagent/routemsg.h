/* SPDX-License-Identifier: MIT */
/*
 * routemsg.h — an rtnetlink message about an IPv6 route (rtnetlink(7),
 * RTM_NEWROUTE/RTM_DELROUTE: struct rtmsg and its RTA_* attributes), read
 * for the one thing the host agent needs to know: that a lease's source
 * route in its table was deleted, by whoever.
 */
#ifndef ODM_ROUTEMSG_H
#define ODM_ROUTEMSG_H

#include <linux/netlink.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct routemsg {
	struct in6_addr from; /* RTA_SRC, a /128 */
	uint32_t table;       /* RTA_TABLE, or the header's */
	uint32_t metric;      /* RTA_PRIORITY, 0 if absent */
	int oif;              /* RTA_OIF, 0 if absent */
};

/* 1 and *out for the deletion of an IPv6 default route (::/0) from one
 * address (/128) with at most one device; 0 for anything else; bounded
 * by h->nlmsg_len, which must be within len. */
int routemsg_source_deleted(const struct nlmsghdr *h, size_t len, struct routemsg *out);

#endif
