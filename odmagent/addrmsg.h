/* SPDX-License-Identifier: MIT */
/*
 * addrmsg.h — an rtnetlink message about an IPv6 address (rtnetlink(7),
 * RTM_NEWADDR/RTM_DELADDR: struct ifaddrmsg and its IFA_* attributes),
 * read for the one thing the host agent needs to know: that an address of
 * one device was deleted, by whoever (the kernel's address events carry no
 * sender: the reader asks the kernel whether it is there again).
 */
#ifndef ODM_ADDRMSG_H
#define ODM_ADDRMSG_H

#include <linux/netlink.h>
#include <netinet/in.h>
#include <stddef.h>

/* 1 for the deletion of one IPv6 address (/128) of a device, with
 * *ifindex and *addr (IFA_LOCAL if given, else IFA_ADDRESS); 0 for
 * anything else; bounded by h->nlmsg_len, which must be within len. */
int addrmsg_deleted128(const struct nlmsghdr *h, size_t len, int *ifindex,
		       struct in6_addr *addr);

#endif
