/* SPDX-License-Identifier: MIT */
/* test_routemsg.c — odmagent/routemsg.c: a default route's deletion, read strictly. */
#include <criterion/criterion.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "nlbuild.h"
#include "routemsg.h"

static union nlbuf M;

/* A route message; table < 0 and oif < 0 leave those attributes out. */
static size_t build(int type, int family, int dst_len, int table, int oif)
{
	struct rtmsg *rtm = nlb_start(&M, type, sizeof(*rtm));
	uint32_t v;

	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)dst_len;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	if (table >= 0) {
		v = (uint32_t)table;
		nlb_attr(&M, RTA_TABLE, &v, sizeof(v));
	}
	if (oif >= 0)
		nlb_attr(&M, RTA_OIF, &oif, sizeof(oif));
	return M.h.nlmsg_len;
}

Test(routemsg, a_deleted_default_route_of_a_table)
{
	uint32_t table = 0;
	int oif = 0;
	size_t len = build(RTM_DELROUTE, AF_INET6, 0, 1000, 7);

	cr_assert_eq(routemsg_default_deleted(&M.h, len, &table, &oif), 1);
	cr_assert_eq(table, 1000);
	cr_assert_eq(oif, 7);
}

Test(routemsg, what_it_does_not_take)
{
	uint32_t table;
	int oif;
	size_t len;

	len = build(RTM_NEWROUTE, AF_INET6, 0, 1000, 7);
	cr_assert_eq(routemsg_default_deleted(&M.h, len, &table, &oif), 0, "an addition");
	len = build(RTM_DELROUTE, AF_INET, 0, 1000, 7);
	cr_assert_eq(routemsg_default_deleted(&M.h, len, &table, &oif), 0, "IPv4");
	len = build(RTM_DELROUTE, AF_INET6, 64, 1000, 7);
	cr_assert_eq(routemsg_default_deleted(&M.h, len, &table, &oif), 0, "not a default");
	len = build(RTM_DELROUTE, AF_INET6, 0, 1000, -1);
	cr_assert_eq(routemsg_default_deleted(&M.h, len, &table, &oif), 0, "no device");
	len = build(RTM_DELROUTE, AF_INET6, 0, 1000, 7);
	cr_assert_eq(routemsg_default_deleted(&M.h, len - 1, &table, &oif), 0, "past the buffer");
	cr_assert_eq(routemsg_default_deleted(NULL, len, &table, &oif), 0);
	nlb_first_attr(&M, sizeof(struct rtmsg))->rta_len = RTA_LENGTH(2);
	cr_assert_eq(routemsg_default_deleted(&M.h, len, &table, &oif), 0, "RTA_TABLE of 2 bytes");
}
