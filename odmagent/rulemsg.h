/* SPDX-License-Identifier: MIT */
/*
 * rulemsg.h — an rtnetlink message about an IPv6 policy rule (rtnetlink(7),
 * RTM_NEWRULE/RTM_DELRULE: struct fib_rule_hdr and its FRA_* attributes),
 * read for the one thing the host agent needs to know: that its rule (to
 * its table, for every source) was deleted, by whoever. Rules from one
 * address are read too: those of earlier versions, one per lease.
 */
#ifndef ODM_RULEMSG_H
#define ODM_RULEMSG_H

#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdint.h>

struct rulemsg {
	int deleted;          /* RTM_DELRULE (else RTM_NEWRULE) */
	int src_len;          /* 128: from one address; 0: every source */
	struct in6_addr from; /* FRA_SRC when src_len is 128, else :: */
	uint32_t table;       /* FRA_TABLE, or the header's */
	uint32_t priority;    /* FRA_PRIORITY, 0 if absent */
};

/* 1 and *out for an IPv6 rule from one address (/128) or from every
 * source (no FRA_SRC), 0 for anything else (other families, prefixes,
 * messages that are not rules); bounded by h->nlmsg_len, which must be
 * within len. */
int rulemsg_parse(const struct nlmsghdr *h, size_t len, struct rulemsg *out);

#endif
