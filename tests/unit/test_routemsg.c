/* SPDX-License-Identifier: MIT */
/* test_routemsg.c — odmagent/routemsg.c: a lease route's deletion, read strictly. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "nlbuild.h"
#include "routemsg.h"

static union nlbuf M;

/* A route message ::/dst_len from src/src_len; src NULL, table < 0,
 * metric < 0 and oif < 0 leave those attributes out. */
static size_t build(int type, int family, int dst_len, int src_len, const char *src, int table,
		    int metric, int oif)
{
	struct rtmsg *rtm = nlb_start(&M, type, sizeof(*rtm));
	struct in6_addr a;
	uint32_t v;

	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)dst_len;
	rtm->rtm_src_len = (unsigned char)src_len;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	if (src) {
		inet_pton(AF_INET6, src, &a);
		nlb_attr(&M, RTA_SRC, &a, sizeof(a));
	}
	if (table >= 0) {
		v = (uint32_t)table;
		nlb_attr(&M, RTA_TABLE, &v, sizeof(v));
	}
	if (metric >= 0) {
		v = (uint32_t)metric;
		nlb_attr(&M, RTA_PRIORITY, &v, sizeof(v));
	}
	if (oif >= 0)
		nlb_attr(&M, RTA_OIF, &oif, sizeof(oif));
	return M.h.nlmsg_len;
}

Test(routemsg, a_deleted_route_from_one_address)
{
	struct routemsg r;
	struct in6_addr want;
	size_t len = build(RTM_DELROUTE, AF_INET6, 0, 128, "2001:db8:c4a::1", 1000, 2048, 7);

	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 1);
	inet_pton(AF_INET6, "2001:db8:c4a::1", &want);
	cr_assert(IN6_ARE_ADDR_EQUAL(&r.from, &want));
	cr_assert_eq(r.table, 1000);
	cr_assert_eq(r.metric, 2048);
	cr_assert_eq(r.oif, 7);
	len = build(RTM_DELROUTE, AF_INET6, 0, 128, "2001:db8:c4a::1", 1000, -1, -1);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 1, "no device, no metric");
	cr_assert_eq(r.oif, 0);
	cr_assert_eq(r.metric, 0);
}

Test(routemsg, what_it_does_not_take)
{
	struct routemsg r;
	size_t len;

	len = build(RTM_NEWROUTE, AF_INET6, 0, 128, "2001:db8:c4a::1", 1000, 2048, 7);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 0, "an addition");
	len = build(RTM_DELROUTE, AF_INET, 0, 32, "2001:db8:c4a::1", 1000, 2048, 7);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 0, "IPv4");
	len = build(RTM_DELROUTE, AF_INET6, 64, 128, "2001:db8:c4a::1", 1000, 2048, 7);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 0, "not a default");
	len = build(RTM_DELROUTE, AF_INET6, 0, 0, NULL, 1000, 2048, 7);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 0, "from every source");
	len = build(RTM_DELROUTE, AF_INET6, 0, 64, "2001:db8:c4a::", 1000, 2048, 7);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 0, "from a prefix");
	len = build(RTM_DELROUTE, AF_INET6, 0, 128, NULL, 1000, 2048, 7);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 0, "no RTA_SRC");
	len = build(RTM_DELROUTE, AF_INET6, 0, 128, "2001:db8:c4a::1", 1000, 2048, 7);
	cr_assert_eq(routemsg_source_deleted(&M.h, len - 1, &r), 0, "past the buffer");
	cr_assert_eq(routemsg_source_deleted(NULL, len, &r), 0);
	nlb_first_attr(&M, sizeof(struct rtmsg))->rta_len = RTA_LENGTH(8);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 0, "RTA_SRC of 8 bytes");
	len = build(RTM_DELROUTE, AF_INET6, 0, 128, "2001:db8:c4a::1", 1000, 2048, 7);
	((struct rtattr *)((char *)nlb_first_attr(&M, sizeof(struct rtmsg)) +
			   RTA_SPACE(16)))->rta_len = RTA_LENGTH(2);
	cr_assert_eq(routemsg_source_deleted(&M.h, len, &r), 0, "RTA_TABLE of 2 bytes");
}
