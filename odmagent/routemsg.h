/* SPDX-License-Identifier: MIT */
/*
 * routemsg.h — an rtnetlink message about an IPv6 route (rtnetlink(7),
 * RTM_NEWROUTE/RTM_DELROUTE: struct rtmsg and its RTA_* attributes), read
 * for the one thing the host agent needs to know: that the default route
 * of its table into the tunnel device was deleted, by whoever.
 */
#ifndef ODM_ROUTEMSG_H
#define ODM_ROUTEMSG_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

/* 1 for the deletion of an IPv6 default route (::/0) with one output
 * device, and *table and *oif; 0 for anything else; bounded by
 * h->nlmsg_len, which must be within len. */
int routemsg_default_deleted(const struct nlmsghdr *h, size_t len, uint32_t *table, int *oif);

#endif
