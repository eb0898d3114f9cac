/* SPDX-License-Identifier: MIT */
/* test_netconf.c — addresses, routes, rules and links, in a private netns. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netconf.h"
#include "netns.h"
#include "testaddr.h"
#include "usable.h"

static struct netconf *nc;
static int lo;

static void setup(void)
{
	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	cr_assert_eq(netconf_open(&nc), 0);
	lo = netconf_ifindex(nc, "lo");
	cr_assert_gt(lo, 0);
}

static void teardown(void)
{
	netconf_close(nc);
}

TestSuite(netconf, .init = setup, .fini = teardown, .timeout = 20);

/* Output of an ip(8) command run inside this namespace. */
static char *ip(const char *args)
{
	static char out[8192];
	char cmd[256];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip %s 2>&1", args);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	return out;
}

Test(netconf, ifindex)
{
	cr_assert_eq(netconf_ifindex(nc, "nosuchif0"), -ENODEV);
	cr_assert_eq(netconf_ifindex(nc, ""), -EINVAL);
}

Test(netconf, address)
{
	struct in6_addr a = A("2001:db8:a::1");
	char *o;

	cr_assert_eq(netconf_addr_add(nc, lo, &a, 128, NETCONF_ADDR_NODAD | NETCONF_ADDR_DEPRECATED),
		     0);
	/* again: idempotent */
	cr_assert_eq(netconf_addr_add(nc, lo, &a, 128, NETCONF_ADDR_NODAD | NETCONF_ADDR_DEPRECATED),
		     0);
	o = ip("-6 addr show dev lo");
	cr_assert(strstr(o, "2001:db8:a::1/128"), "%s", o);
	cr_assert(strstr(o, "deprecated"), "%s", o);
	cr_assert(strstr(o, "nodad"), "%s", o);
	cr_assert(strstr(o, "valid_lft forever preferred_lft 0sec"), "%s", o);
	cr_assert_eq(netconf_addr_del(nc, lo, &a, 128), 0);
	cr_assert_eq(netconf_addr_del(nc, lo, &a, 128), 0);
	o = ip("-6 addr show dev lo");
	cr_assert_null(strstr(o, "2001:db8:a::1"), "%s", o);
	/* a preferred one */
	cr_assert_eq(netconf_addr_add(nc, lo, &a, 64, NETCONF_ADDR_NODAD), 0);
	o = ip("-6 addr show dev lo");
	cr_assert(strstr(o, "2001:db8:a::1/64"), "%s", o);
	cr_assert_null(strstr(o, "deprecated"), "%s", o);
	cr_assert_eq(netconf_addr_add(nc, 9999, &a, 64, 0), -ENODEV);
	cr_assert_eq(netconf_addr_add(nc, lo, &a, 129, 0), -EINVAL);
}

/* What the agent hands out must be bindable: usable says when it is. */
Test(netconf, address_usable)
{
	struct in6_addr a = A("2001:db8:a::2");
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = a };
	uint64_t us, max_us = 0, sum_us = 0;
	int fd, at_once = 0;

	cr_assert_eq(netconf_addr_usable(nc, &a), 0, "not on the host yet");
	cr_assert_eq(netconf_addr_usable(NULL, &a), -EINVAL);
	/* as the mn role adds a lease's address; 20 times, to measure */
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(netconf_addr_add(nc, lo, &a, 128,
					      NETCONF_ADDR_NODAD | NETCONF_ADDR_DEPRECATED), 0);
		at_once += netconf_addr_usable(nc, &a) == 1;
		us = test_wait_usable(nc, &a);
		sum_us += us;
		max_us = us > max_us ? us : max_us;
		fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(fd, 0);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
		close(fd);
		cr_assert_eq(netconf_addr_del(nc, lo, &a, 128), 0);
		cr_assert_eq(netconf_addr_usable(nc, &a), 0, "gone again");
	}
	cr_log_info("add -> usable: %d/20 at once, mean %llu us, max %llu us", at_once,
		    (unsigned long long)(sum_us / 20), (unsigned long long)max_us);
}

Test(netconf, route)
{
	struct in6_addr p = A("2001:db8:b::");
	char *o;

	cr_assert_eq(netconf_route_add(nc, &p, 64, lo, 1234), 0);
	cr_assert_eq(netconf_route_add(nc, &p, 64, lo, 1234), 0);
	o = ip("-6 route show table 1234");
	cr_assert(strstr(o, "2001:db8:b::/64 dev lo"), "%s", o);
	cr_assert_eq(netconf_route_add(nc, &p, 64, lo, 0), 0);
	o = ip("-6 route show table main");
	cr_assert(strstr(o, "2001:db8:b::/64 dev lo"), "%s", o);
	cr_assert_eq(netconf_route_del(nc, &p, 64, lo, 1234), 0);
	cr_assert_eq(netconf_route_del(nc, &p, 64, lo, 1234), 0);
	o = ip("-6 route show table 1234");
	cr_assert_null(strstr(o, "2001:db8:b::"), "%s", o);
	cr_assert_eq(netconf_route_del(nc, &p, 64, lo, 0), 0);
	cr_assert_eq(netconf_route_add(nc, &p, 64, 9999, 1234), -ENODEV);
}

/* On-link: a connected prefix out of that interface alone; not a default
 * route through a gateway there, nor a host route (the agent's own /128
 * into a tunnel), nor nothing */
Test(netconf, on_link)
{
	struct in6_addr x = A("2001:db8:a1::10"), far = A("2001:db8:77::1");
	int a0, b0, c0;
	char *o;

	o = ip("link add a0 type veth peer name a1");
	cr_assert_eq(*o, '\0', "%s", o);
	ip("link add b0 type veth peer name b1");
	ip("link add c0 type veth peer name c1");
	ip("link set a0 up");
	ip("link set a1 up");
	ip("link set b0 up");
	ip("link set b1 up");
	ip("link set c0 up");
	ip("link set c1 up");
	ip("-6 addr add 2001:db8:a1::1/64 dev a0 nodad");
	ip("-6 addr add 2001:db8:c0::1/64 dev c0 nodad");
	o = ip("-6 route add default via 2001:db8:c0::2 dev c0");
	cr_assert_eq(*o, '\0', "%s", o);
	o = ip("-6 route add 2001:db8:a1::10/128 dev b0");
	cr_assert_eq(*o, '\0', "%s", o);
	a0 = netconf_ifindex(nc, "a0");
	b0 = netconf_ifindex(nc, "b0");
	c0 = netconf_ifindex(nc, "c0");
	cr_assert(a0 > 0 && b0 > 0 && c0 > 0);
	cr_assert_eq(netconf_route_oif(&x, NULL), b0, "the host route wins a plain lookup");
	cr_assert_eq(netconf_on_link(&x, a0), 1, "its link, past the host route");
	cr_assert_eq(netconf_on_link(&x, c0), 0, "the default route's interface");
	cr_assert_eq(netconf_on_link(&x, b0), 0, "a host route is no link");
	cr_assert_eq(netconf_on_link(&far, a0), 0, "no route out of a0 at all");
	cr_assert_eq(netconf_on_link(&x, 0), -EINVAL);
	ip("link del a0");
	ip("link del b0");
	ip("link del c0");
}

Test(netconf, rule)
{
	struct in6_addr a = A("2001:db8:c::7");
	char *o;

	cr_assert_eq(netconf_rule_add(nc, &a, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_add(nc, &a, 1000, 1000), 0);
	o = ip("-6 rule show");
	cr_assert(strstr(o, "1000:\tfrom 2001:db8:c::7 lookup 1000"), "%s", o);
	/* exactly one, not a duplicate */
	cr_assert_null(strstr(strstr(o, "2001:db8:c::7") + 1, "2001:db8:c::7"), "%s", o);
	cr_assert_eq(netconf_rule_del(nc, &a, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_del(nc, &a, 1000, 1000), 0);
	o = ip("-6 rule show");
	cr_assert_null(strstr(o, "2001:db8:c::7"), "%s", o);
	cr_assert_eq(netconf_rule_add(nc, &a, 0, 1000), -EINVAL);
}

Test(netconf, rule_flush_takes_only_ours)
{
	struct in6_addr a = A("2001:db8:c::7"), b = A("2001:db8:c::8"), c = A("2001:db8:c::9");
	char *o;

	cr_assert_eq(netconf_rule_add(nc, &a, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_add(nc, &b, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_add(nc, &c, 1001, 1000), 0, "other table");
	cr_assert_eq(netconf_rule_add(nc, &c, 1000, 1002), 0, "other priority");
	cr_assert_eq(netconf_rule_flush(nc, 1000, 1000), 2);
	o = ip("-6 rule show");
	cr_assert_null(strstr(o, "2001:db8:c::7"), "%s", o);
	cr_assert_null(strstr(o, "2001:db8:c::8"), "%s", o);
	cr_assert(strstr(o, "1000:\tfrom 2001:db8:c::9 lookup 1001"), "%s", o);
	cr_assert(strstr(o, "1002:\tfrom 2001:db8:c::9 lookup 1000"), "%s", o);
	cr_assert_eq(netconf_rule_flush(nc, 1000, 1000), 0, "nothing left to flush");
	cr_assert_eq(netconf_rule_flush(nc, 0, 1000), -EINVAL);
}


Test(netconf, rule_flush_keeps_the_rules_of_adopted_leases)
{
	struct in6_addr a = A("2001:db8:c::7"), b = A("2001:db8:c::8"), keep[2];
	char *o;

	keep[0] = b;
	keep[1] = A("2001:db8:c::99"); /* kept but absent: no harm */
	cr_assert_eq(netconf_rule_add(nc, &a, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_add(nc, &b, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_flush_except(nc, 1000, 1000, keep, 2), 1);
	o = ip("-6 rule show");
	cr_assert_null(strstr(o, "2001:db8:c::7"), "%s", o);
	cr_assert(strstr(o, "1000:\tfrom 2001:db8:c::8 lookup 1000"), "%s", o);
	cr_assert_eq(netconf_rule_flush(nc, 1000, 1000), 1);
}
