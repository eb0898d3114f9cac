/* SPDX-License-Identifier: MIT */
/*
 * nlbuild.h — rtnetlink messages built by hand for the unit tests of the
 * agent's readers of them (rulemsg.c, routemsg.c, addrmsg.c, devwatch.c): a header, the family's
 * own struct, then attributes, each aligned as rtnetlink(7) says.
 */
#ifndef ODM_TEST_NLBUILD_H
#define ODM_TEST_NLBUILD_H

#include <linux/rtnetlink.h>
#include <string.h>

union nlbuf {
	struct nlmsghdr h;
	char b[256];
};

/* A message of type with a zeroed family header of hdrlen bytes; returns
 * that header for the caller to fill. */
static inline void *nlb_start(union nlbuf *m, int type, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_type = (unsigned short)type;
	m->h.nlmsg_len = (unsigned)NLMSG_LENGTH(hdrlen);
	return NLMSG_DATA(&m->h);
}

/* An attribute of n bytes after what is there; returns it. */
static inline struct rtattr *nlb_attr(union nlbuf *m, int type, const void *data, size_t n)
{
	struct rtattr *a = (struct rtattr *)(m->b + NLMSG_ALIGN(m->h.nlmsg_len));

	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	memcpy(RTA_DATA(a), data, n);
	m->h.nlmsg_len = (unsigned)(NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len));
	return a;
}

/* The first attribute of the message, after a family header of hdrlen. */
static inline struct rtattr *nlb_first_attr(union nlbuf *m, size_t hdrlen)
{
	return (struct rtattr *)(m->b + NLMSG_ALIGN(NLMSG_LENGTH(hdrlen)));
}

#endif
