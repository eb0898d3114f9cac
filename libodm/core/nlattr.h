/* SPDX-License-Identifier: MIT */
/*
 * nlattr.h — a netlink attribute of a fixed size, read strictly: the
 * rtnetlink parsers (addrmsg.c, routemsg.c, rulemsg.c) take a message whose
 * attribute has another size for none of theirs.
 */
#ifndef ODM_NLATTR_H
#define ODM_NLATTR_H

#include <linux/rtnetlink.h>
#include <string.h>

/* a's payload into out if it is exactly n bytes: 1, else 0 */
static inline int nlattr_take(const struct rtattr *a, void *out, size_t n)
{
	if (RTA_PAYLOAD(a) != n)
		return 0;
	memcpy(out, RTA_DATA(a), n);
	return 1;
}

#endif
