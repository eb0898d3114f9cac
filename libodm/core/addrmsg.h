/* SPDX-License-Identifier: MIT */
/*
 * addrmsg.h — an rtnetlink message about an IPv6 address (rtnetlink(7),
 * RTM_NEWADDR/RTM_DELADDR: struct ifaddrmsg and its IFA_* attributes),
 * read in one place for both of its uses: the address events (that an
 * address of one device was deleted, by whoever: the kernel's address
 * events carry no sender, the reader asks the kernel whether it is there
 * again) and the answers of an address dump (netconf_addr_each).
 */
#ifndef ODM_ADDRMSG_H
#define ODM_ADDRMSG_H

#include <linux/netlink.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* One IPv6 address of a device, as the kernel tells it */
struct addrmsg {
	int deleted;          /* RTM_DELADDR (else RTM_NEWADDR) */
	int ifindex;          /* > 0 */
	int plen;             /* prefix length, 0 to 128 */
	unsigned scope;       /* ifa_scope: RT_SCOPE_UNIVERSE, _LINK, _HOST... */
	uint32_t flags;       /* IFA_F_* (linux/if_addr.h): IFA_FLAGS's 32 bits
			       * where the kernel gives them (since Linux 3.14),
			       * else ifa_flags' 8: IFA_F_TENTATIVE,
			       * IFA_F_DEPRECATED, IFA_F_OPTIMISTIC, IFA_F_DADFAILED... */
	struct in6_addr addr; /* IFA_LOCAL if given, else IFA_ADDRESS */
	/* IFA_CACHEINFO's preferred lifetime left, in s (0xffffffff: forever,
	 * also without the attribute). The kernel tells an address refreshed
	 * by a Router Advertisement that advertises its prefix as deprecated
	 * (preferred lifetime 0, a renumbering) with IFA_F_DEPRECATED cleared
	 * and this 0, and sets the flag again a moment later */
	uint32_t preferred;
};

/* 1 for a message of one IPv6 address (RTM_NEWADDR or RTM_DELADDR) of a
 * device, read into *m; 0 for anything else, or anything malformed (an
 * address attribute other than 16 bytes, IFA_FLAGS other than 4, a prefix
 * longer than 128, no address at all). Bounded by h->nlmsg_len, which must
 * be within len. */
int addrmsg_parse(const struct nlmsghdr *h, size_t len, struct addrmsg *m);

/* The same of one IPv4 address (ifa_family AF_INET, an address attribute
 * of 4 bytes, a prefix of at most 32 bits), its address put in m->addr
 * v4-mapped (::ffff:a.b.c.d, RFC 4291 §2.5.5.2): the host's IPv4 addresses,
 * whose TCP sockets a move strands as it does an IPv6 one's (vanished.h) */
int addrmsg_parse4(const struct nlmsghdr *h, size_t len, struct addrmsg *m);

/* 1 for the deletion of one IPv6 address (/128) of a device, with
 * *ifindex and *addr (IFA_LOCAL if given, else IFA_ADDRESS); 0 for
 * anything else; bounded by h->nlmsg_len, which must be within len. */
int addrmsg_deleted128(const struct nlmsghdr *h, size_t len, int *ifindex,
		       struct in6_addr *addr);

#endif
