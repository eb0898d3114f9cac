/* SPDX-License-Identifier: MIT */
/* test_rulemsg.c — odmagent/rulemsg.c: rtnetlink rule messages, read strictly. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "nlbuild.h"
#include "rulemsg.h"

static union nlbuf M;

/* A rule message of type with family, src_len and the attributes given
 * (src NULL, table < 0, prio < 0: left out). */
static size_t build(int type, int family, int src_len, const char *src, int table, int prio)
{
	struct fib_rule_hdr *frh = nlb_start(&M, type, sizeof(*frh));
	struct in6_addr a;
	uint32_t v;

	frh->family = (unsigned char)family;
	frh->src_len = (unsigned char)src_len;
	frh->table = RT_TABLE_UNSPEC;
	if (src) {
		inet_pton(AF_INET6, src, &a);
		nlb_attr(&M, FRA_SRC, &a, sizeof(a));
	}
	if (table >= 0) {
		v = (uint32_t)table;
		nlb_attr(&M, FRA_TABLE, &v, sizeof(v));
	}
	if (prio >= 0) {
		v = (uint32_t)prio;
		nlb_attr(&M, FRA_PRIORITY, &v, sizeof(v));
	}
	return M.h.nlmsg_len;
}

Test(rulemsg, a_deleted_rule_from_one_address)
{
	struct rulemsg r;
	struct in6_addr want;
	size_t len = build(RTM_DELRULE, AF_INET6, 128, "2001:db8:c4a::1", 1000, 1000);

	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 1);
	inet_pton(AF_INET6, "2001:db8:c4a::1", &want);
	cr_assert(IN6_ARE_ADDR_EQUAL(&r.from, &want));
	cr_assert_eq(r.deleted, 1);
	cr_assert_eq(r.table, 1000);
	cr_assert_eq(r.priority, 1000);
	cr_assert_eq(r.src_len, 128);
	len = build(RTM_NEWRULE, AF_INET6, 128, "2001:db8:c4a::1", 1000, 1000);
	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 1);
	cr_assert_eq(r.deleted, 0);
}

/* the host's one rule: to its table for every source */
Test(rulemsg, a_deleted_rule_for_every_source)
{
	struct rulemsg r;
	size_t len = build(RTM_DELRULE, AF_INET6, 0, NULL, 1000, 1000);

	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 1);
	cr_assert_eq(r.src_len, 0);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&r.from));
	cr_assert_eq(r.deleted, 1);
	cr_assert_eq(r.table, 1000);
	cr_assert_eq(r.priority, 1000);
}

Test(rulemsg, what_it_does_not_take)
{
	struct rulemsg r;
	size_t len;

	len = build(RTM_DELRULE, AF_INET, 32, NULL, 1000, 1000);
	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 0, "IPv4");
	len = build(RTM_DELRULE, AF_INET6, 64, "2001:db8:c4a::", 1000, 1000);
	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 0, "a prefix");
	len = build(RTM_DELRULE, AF_INET6, 128, NULL, 1000, 1000);
	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 0, "no FRA_SRC");
	len = build(RTM_DELRULE, AF_INET6, 0, "2001:db8:c4a::1", 1000, 1000);
	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 0, "an FRA_SRC with a src_len of 0");
	len = build(RTM_DELROUTE, AF_INET6, 128, "2001:db8:c4a::1", 1000, 1000);
	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 0, "not a rule");
	len = build(RTM_DELRULE, AF_INET6, 128, "2001:db8:c4a::1", 1000, 1000);
	cr_assert_eq(rulemsg_parse(&M.h, len - 1, &r), 0, "nlmsg_len past the buffer");
	cr_assert_eq(rulemsg_parse(&M.h, 8, &r), 0, "shorter than a header");
	cr_assert_eq(rulemsg_parse(NULL, len, &r), 0);
	/* an attribute of the wrong size */
	len = build(RTM_DELRULE, AF_INET6, 128, "2001:db8:c4a::1", 1000, 1000);
	nlb_first_attr(&M, sizeof(struct fib_rule_hdr))->rta_len = RTA_LENGTH(8);
	cr_assert_eq(rulemsg_parse(&M.h, len, &r), 0, "FRA_SRC of 8 bytes");
}
