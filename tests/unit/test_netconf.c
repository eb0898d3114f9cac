/* SPDX-License-Identifier: MIT */
/* test_netconf.c — addresses, routes, rules and links, in a private netns. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
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
#include "watchdog.h"

static struct netconf *nc;
static int lo;

static void setup(void)
{
	unit_watchdog(20);
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

TestSuite(netconf, .init = setup, .fini = teardown);

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

/* A veth pair a/b (the namespace has no dummy devices everywhere), a up;
 * b up too with peer_up, else a has no carrier and its addresses stay
 * tentative (RFC 4862 §5.4 waits for the link). a's index. */
static int veth(const char *a, const char *b, int peer_up)
{
	char cmd[160], *o;
	int idx;

	snprintf(cmd, sizeof(cmd), "link add %s type veth peer name %s", a, b);
	o = ip(cmd);
	cr_assert_eq(o[0], '\0', "%s", o);
	snprintf(cmd, sizeof(cmd), "link set %s up", a);
	o = ip(cmd);
	cr_assert_eq(o[0], '\0', "%s", o);
	if (peer_up) {
		snprintf(cmd, sizeof(cmd), "link set %s up", b);
		o = ip(cmd);
		cr_assert_eq(o[0], '\0', "%s", o);
		/* the carrier comes a moment later (linkwatch), and with it
		 * the link-local addresses of both ends: wait for them, 3 s at
		 * most each (one that came after a test's walk of the host's
		 * addresses was seen in its look at them: not walked) */
		for (const char *const *d = (const char *const[]){ a, b, NULL }; *d; d++) {
			snprintf(cmd, sizeof(cmd), "-6 addr show dev %s scope link", *d);
			for (int i = 0; i < 300 && !strstr(ip(cmd), "fe80::"); i++)
				usleep(10000);
			cr_assert(strstr(ip(cmd), "fe80::"), "%s has no link-local address", *d);
		}
	}
	idx = netconf_ifindex(nc, a);
	cr_assert_gt(idx, 0);
	return idx;
}

static void ip_ok(const char *args)
{
	char *o = ip(args);

	cr_assert_eq(o[0], '\0', "ip %s: %s", args, o);
}

/* On-link: a connected prefix out of that interface alone; not a default
 * route through a gateway there, nor a host route (the agent's own /128
 * into a tunnel), nor nothing */
Test(netconf, on_link)
{
	struct in6_addr x = A("2001:db8:a1::10"), far = A("2001:db8:77::1");
	int a0 = veth("a0", "a1", 1), b0 = veth("b0", "b1", 1), c0 = veth("c0", "c1", 1);

	ip_ok("-6 addr add 2001:db8:a1::1/64 dev a0 nodad");
	ip_ok("-6 addr add 2001:db8:c0::1/64 dev c0 nodad");
	ip_ok("-6 route add default via 2001:db8:c0::2 dev c0");
	ip_ok("-6 route add 2001:db8:a1::10/128 dev b0");
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

/* Review: the bpf backend's hold (bp_hold) ends when route_again finds a
 * route from the binding's care-of address again (netconf_route_oif(remote,
 * local)). The kernel answers RTM_GETROUTE from a source the host does not
 * have as from any other: a care-of address that is gone still "has a
 * route" wherever a default route is (a new link's whose address is still
 * tentative), so the hold ended at the next tick. netconf_is_local tells. */
Test(netconf, route_from_a_gone_address_is_still_a_route)
{
	struct in6_addr anchor = A("2001:db8:ff::1"), gone = A("2001:db8:99::5"),
			here = A("2001:db8:d1::1");
	int d0 = veth("d0", "d1", 1);

	ip_ok("-6 addr add 2001:db8:d1::1/64 dev d0 nodad");
	ip_ok("-6 route add default via 2001:db8:d1::2 dev d0");
	/* the premise: an interface, for a source the host lacks */
	cr_assert_eq(netconf_route_oif(&anchor, &gone), d0);
	cr_assert_eq(netconf_is_local(&gone), 0);
	/* the kernel adds a new address's local route from its DAD work,
	 * after `ip addr add` returned (even with nodad): a loaded machine
	 * shows the gap (this test failed there twice) */
	test_wait_usable(nc, &here);
	cr_assert_eq(netconf_is_local(&here), 1);
	ip("link del d0");
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


/* what netconf_rule_flush_sourced and netconf_table_flush_except say they deleted */
static struct in6_addr flushed[4];
static size_t n_flushed;

static void note_flushed(void *arg, const struct in6_addr *from)
{
	(void)arg;
	if (n_flushed < 4)
		flushed[n_flushed] = *from;
	n_flushed++;
}

Test(netconf, rule_for_every_source)
{
	char *o;

	cr_assert_eq(netconf_rule_add(nc, NULL, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_add(nc, NULL, 1000, 1000), 0, "there already: success");
	o = ip("-6 rule show");
	cr_assert(strstr(o, "1000:\tfrom all lookup 1000"), "%s", o);
	cr_assert_null(strstr(strstr(o, "lookup 1000") + 1, "lookup 1000"), "one: %s", o);
	cr_assert_eq(netconf_rule_del(nc, NULL, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_del(nc, NULL, 1000, 1000), 0, "gone already: success");
	o = ip("-6 rule show");
	cr_assert_null(strstr(o, "lookup 1000"), "%s", o);
}

Test(netconf, rule_flush_sourced_takes_the_per_address_rules_only)
{
	struct in6_addr a = A("2001:db8:c::7"), b = A("2001:db8:c::8"), keep[2];
	char *o;

	keep[0] = b;
	keep[1] = A("2001:db8:c::99"); /* kept but absent: no harm */
	/* first: the kernel takes a rule without a source for any of its
	 * table and priority (netconf.h) */
	cr_assert_eq(netconf_rule_add(nc, NULL, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_add(nc, &a, 1000, 1000), 0);
	cr_assert_eq(netconf_rule_add(nc, &b, 1000, 1000), 0);
	n_flushed = 0;
	cr_assert_eq(netconf_rule_flush_sourced(nc, 1000, 1000, keep, 2, note_flushed, NULL), 2);
	/* the restarted agent ends the sockets on what it did not keep */
	cr_assert_eq(n_flushed, 1, "told %zu deleted rule(s)", n_flushed);
	cr_assert(IN6_ARE_ADDR_EQUAL(&flushed[0], &a), "told of the wrong rule");
	o = ip("-6 rule show");
	cr_assert_null(strstr(o, "2001:db8:c::7"), "%s", o);
	cr_assert_null(strstr(o, "2001:db8:c::8"), "a kept lease's too: %s", o);
	cr_assert(strstr(o, "1000:\tfrom all lookup 1000"), "the rule for every source stays: %s",
		  o);
	cr_assert_eq(netconf_rule_flush(nc, 1000, 1000), 1);
}

/* ------------------------------------------------- a lease's routes */

Test(netconf, lease_route_into_the_device)
{
	struct in6_addr a = A("2001:db8:c::7");
	char *o;

	cr_assert_eq(netconf_lease_route_add(nc, &a, lo, 1000), 0);
	cr_assert_eq(netconf_lease_route_add(nc, &a, lo, 1000), 0, "there already: success");
	o = ip("-6 route show table 1000");
	cr_assert(strstr(o, "default from 2001:db8:c::7 dev lo proto static metric 2048"), "%s", o);
	cr_assert_null(strstr(strstr(o, "metric 2048") + 1, "metric 2048"), "one: %s", o);
	cr_assert_eq(netconf_lease_route_del(nc, &a, lo, 1000), 0);
	cr_assert_eq(netconf_lease_route_del(nc, &a, lo, 1000), 0, "gone already: success");
	o = ip("-6 route show table 1000");
	cr_assert_null(strstr(o, "2001:db8:c::7"), "%s", o);
	cr_assert_eq(netconf_lease_route_add(nc, &a, 0, 1000), -EINVAL);
	cr_assert_eq(netconf_lease_route_add(nc, &a, lo, 0), -EINVAL);
}

/* a kernel backend's encapsulation route from the same address (metric
 * 1024) is not the lease's: its deletion leaves it */
Test(netconf, lease_route_del_leaves_another_metric)
{
	struct in6_addr a = A("2001:db8:c::7");
	char *o;

	ip_ok("-6 route add default from 2001:db8:c::7 dev lo table 1000 metric 1024");
	cr_assert_eq(netconf_lease_route_add(nc, &a, lo, 1000), 0);
	cr_assert_eq(netconf_lease_route_del(nc, &a, lo, 1000), 0);
	o = ip("-6 route show table 1000");
	cr_assert(strstr(o, "default from 2001:db8:c::7 dev lo metric 1024"), "%s", o);
	cr_assert_null(strstr(o, "metric 2048"), "%s", o);
	ip_ok("-6 route flush table 1000");
}

Test(netconf, table_flush_keeps_the_routes_of_adopted_leases)
{
	struct in6_addr a = A("2001:db8:c::7"), b = A("2001:db8:c::8"), p = A("2001:db8:d::");
	char *o;

	cr_assert_eq(netconf_lease_route_add(nc, &a, lo, 1000), 0);
	cr_assert_eq(netconf_lease_route_add(nc, &b, lo, 1000), 0);
	cr_assert_eq(netconf_route_add(nc, &p, 64, lo, 1000), 0, "an earlier version's kind");
	cr_assert_eq(netconf_lease_route_add(nc, &a, lo, 1001), 0, "other table");
	ip_ok("-6 route add default from 2001:db8:c::7 dev lo table 1000 metric 1024");
	n_flushed = 0;
	cr_assert_eq(netconf_table_flush_except(nc, 1000, &b, 1, note_flushed, NULL), 3);
	cr_assert_eq(n_flushed, 1, "each address told once, not per route (%zu)", n_flushed);
	cr_assert(IN6_ARE_ADDR_EQUAL(&flushed[0], &a), "told of the wrong address");
	o = ip("-6 route show table 1000");
	cr_assert_null(strstr(o, "2001:db8:c::7"), "%s", o);
	cr_assert_null(strstr(o, "2001:db8:d::"), "%s", o);
	cr_assert(strstr(o, "default from 2001:db8:c::8 dev lo"), "%s", o);
	o = ip("-6 route show table 1001");
	cr_assert(strstr(o, "2001:db8:c::7"), "%s", o);
	cr_assert_eq(netconf_table_flush_except(nc, 1000, NULL, 0, NULL, NULL), 1);
	cr_assert_eq(netconf_table_flush_except(nc, 1001, NULL, 0, NULL, NULL), 1);
	cr_assert_eq(netconf_table_flush_except(nc, 0, NULL, 0, NULL, NULL), -EINVAL);
}

/* ------------------------------------------------- the address walker */

/* What a walk told, in its order */
struct walked {
	struct addrmsg a[1024];
	size_t n;
	int stop_at; /* > 0: the value returned for the stop_at-th address */
};

static int take(void *arg, const struct addrmsg *a)
{
	struct walked *w = arg;

	cr_assert_lt(w->n, sizeof(w->a) / sizeof(w->a[0]));
	w->a[w->n++] = *a;
	return w->stop_at && (int)w->n == w->stop_at ? 7 : 0;
}

/* The address s among what was walked; the test fails if it is not */
static const struct addrmsg *told(const struct walked *w, const char *s)
{
	struct in6_addr a = A(s);

	for (size_t i = 0; i < w->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&w->a[i].addr, &a))
			return &w->a[i];
	cr_assert_fail("%s not walked (%zu addresses)", s, w->n);
	return NULL;
}

/* s was walked, with these */
static void expect(const struct walked *w, const char *s, int ifindex, int plen, unsigned scope,
		   uint32_t flags)
{
	const struct addrmsg *m = told(w, s);

	cr_assert_eq(m->ifindex, ifindex, "%s", s);
	cr_assert_eq(m->plen, plen, "%s", s);
	cr_assert_eq(m->scope, scope, "%s", s);
	cr_assert_eq(m->flags, flags, "%s: %#x", s, m->flags);
	cr_assert_eq(m->deleted, 0, "%s", s);
}

static int walked_has(const struct walked *w, const char *s)
{
	struct in6_addr a = A(s);

	for (size_t i = 0; i < w->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&w->a[i].addr, &a))
			return 1;
	return 0;
}

/* net.ipv6.conf.DEV.KNOB = v, in this namespace (its /proc/sys/net) */
static void ipv6_conf(const char *dev, const char *knob, const char *v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", dev, knob);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fputs(v, f) >= 0 && fclose(f) == 0, 1, "%s", path);
}

Test(netconf, addr_each_tells_every_address_with_its_device_length_and_flags)
{
	static struct walked w;
	int a0 = veth("wa0", "wa1", 1), b0 = veth("wb0", "wb1", 0);
	const struct addrmsg *m;

	ip_ok("addr add 2001:db8:d1::1/64 dev wa0 nodad");
	ip_ok("addr add 2001:db8:d1::2/128 dev wa0 nodad preferred_lft 0");
	ip_ok("addr add 2001:db8:d1::3/56 dev wa0 nodad noprefixroute");
	ip_ok("addr add 2001:db8:d2::1/64 dev wb0");
	/* RFC 4429: the kernel keeps the flag only where the sysctl allows */
	ipv6_conf("wb0", "optimistic_dad", "1");
	ip_ok("addr add 2001:db8:d2::2/48 dev wb0 optimistic");
	ip_ok("addr add 2001:db8:d3::1/128 dev lo");
	cr_assert_eq(netconf_addr_each(0, take, &w), 0);

	expect(&w, "2001:db8:d1::1", a0, 64, RT_SCOPE_UNIVERSE, IFA_F_NODAD | IFA_F_PERMANENT);
	expect(&w, "2001:db8:d1::2", a0, 128, RT_SCOPE_UNIVERSE,
	       IFA_F_NODAD | IFA_F_PERMANENT | IFA_F_DEPRECATED);
	/* a flag past the 8 bits of ifa_flags: read from IFA_FLAGS */
	expect(&w, "2001:db8:d1::3", a0, 56, RT_SCOPE_UNIVERSE,
	       IFA_F_NODAD | IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE);
	/* wb0 has no carrier: DAD waits, its addresses stay tentative */
	expect(&w, "2001:db8:d2::1", b0, 64, RT_SCOPE_UNIVERSE, IFA_F_TENTATIVE | IFA_F_PERMANENT);
	expect(&w, "2001:db8:d2::2", b0, 48, RT_SCOPE_UNIVERSE,
	       IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_PERMANENT);
	m = told(&w, "::1");
	cr_assert_eq(m->ifindex, lo);
	cr_assert_eq(m->scope, RT_SCOPE_HOST);
	cr_assert_eq(told(&w, "2001:db8:d3::1")->ifindex, lo);
	/* wa0 has a link: its link-local address (RFC 4862 §5.3) is told too */
	for (size_t i = 0; i < w.n; i++)
		if (w.a[i].ifindex == a0 && IN6_IS_ADDR_LINKLOCAL(&w.a[i].addr)) {
			cr_assert_eq(w.a[i].scope, RT_SCOPE_LINK);
			cr_assert_eq(w.a[i].plen, 64);
			return;
		}
	cr_assert_fail("no link-local address of wa0 walked");
}

Test(netconf, addr_each_of_one_device)
{
	static struct walked w;
	int a0 = veth("wa0", "wa1", 1), b0 = veth("wb0", "wb1", 0);

	ip_ok("addr add 2001:db8:d1::1/64 dev wa0 nodad");
	ip_ok("addr add 2001:db8:d2::1/64 dev wb0");
	ip_ok("addr add 2001:db8:d2::2/128 dev wb0");
	cr_assert_eq(netconf_addr_each(b0, take, &w), 0);
	cr_assert_eq(w.n, 2, "%zu", w.n);
	for (size_t i = 0; i < w.n; i++)
		cr_assert_eq(w.a[i].ifindex, b0);
	told(&w, "2001:db8:d2::1");
	told(&w, "2001:db8:d2::2");
	cr_assert_not(walked_has(&w, "2001:db8:d1::1"));
	cr_assert_not(walked_has(&w, "::1"));
	w.n = 0;
	cr_assert_eq(netconf_addr_each(a0, take, &w), 0);
	told(&w, "2001:db8:d1::1");
	cr_assert_not(walked_has(&w, "2001:db8:d2::1"));
}

Test(netconf, addr_each_of_a_device_without_addresses)
{
	static struct walked w;
	int b0 = veth("wb0", "wb1", 0), b1 = netconf_ifindex(nc, "wb1");

	cr_assert_gt(b1, 0);
	/* wb1 is down: not even a link-local address */
	cr_assert_eq(netconf_addr_each(b1, take, &w), 0);
	cr_assert_eq(w.n, 0, "%zu", w.n);
	cr_assert_eq(netconf_addr_each(b0 + 100, take, &w), 0, "no such device");
	cr_assert_eq(w.n, 0, "%zu", w.n);
	cr_assert_eq(netconf_addr_each(-1, take, &w), -EINVAL);
	cr_assert_eq(netconf_addr_each(0, NULL, &w), -EINVAL);
}

Test(netconf, addr_each_stops_where_fn_says)
{
	static struct walked w;

	veth("wb0", "wb1", 0);
	ip_ok("addr add 2001:db8:d2::1/64 dev wb0");
	ip_ok("addr add 2001:db8:d2::2/64 dev wb0");
	w.stop_at = 2;
	cr_assert_eq(netconf_addr_each(0, take, &w), 7);
	cr_assert_eq(w.n, 2);
}

static int del_each(void *arg, const struct addrmsg *a)
{
	int *n = arg;

	cr_assert_eq(netconf_addr_del(nc, a->ifindex, &a->addr, a->plen), 0);
	(*n)++;
	return 0;
}

/* More than one datagram of the dump (32 KiB): none lost, each once; fn
 * may delete what it is told (the walk was read whole before) */
Test(netconf, addr_each_over_many_datagrams_and_deleting)
{
	static struct walked w;
	int b0 = veth("wb0", "wb1", 0), deleted = 0;
	FILE *f = popen("ip -batch - 2>&1", "w");
	char s[INET6_ADDRSTRLEN];

	cr_assert_not_null(f);
	for (int i = 1; i <= 1000; i++)
		fprintf(f, "addr add 2001:db8:d4::%x/128 dev wb0\n", i);
	cr_assert_eq(pclose(f), 0);
	cr_assert_eq(netconf_addr_each(b0, take, &w), 0);
	cr_assert_eq(w.n, 1000, "%zu", w.n);
	for (int i = 1; i <= 1000; i++) {
		snprintf(s, sizeof(s), "2001:db8:d4::%x", i);
		told(&w, s);
	}
	for (size_t i = 1; i < w.n; i++)
		cr_assert_neq(memcmp(&w.a[i].addr, &w.a[i - 1].addr, 16), 0, "twice");
	cr_assert_eq(netconf_addr_each(b0, del_each, &deleted), 0);
	cr_assert_eq(deleted, 1000);
	w.n = 0;
	cr_assert_eq(netconf_addr_each(b0, take, &w), 0);
	cr_assert_eq(w.n, 0, "%zu left", w.n);
}

/* ---------------------------------------------------- the link walker */

struct links {
	int idx[64];
	unsigned flags[64];
	size_t n;
};

static int take_link(void *arg, int ifindex, unsigned flags, uint32_t carrier_down)
{
	struct links *l = arg;

	cr_assert_lt(l->n, 64);
	l->idx[l->n] = ifindex;
	l->flags[l->n++] = flags;
	return 0;
}

static void walk_links(void *arg)
{
	struct links *l = arg;

	l->n = 0;
	cr_assert_eq(netconf_link_each(take_link, l), 0);
}

static unsigned link_flags(const struct links *l, int ifindex)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->idx[i] == ifindex)
			return l->flags[i];
	cr_assert_fail("device %d not walked", ifindex);
	return 0;
}

Test(netconf, link_each_tells_every_device_with_its_flags)
{
	struct links l = { .n = 0 };
	int b0 = veth("wb0", "wb1", 0), b1 = netconf_ifindex(nc, "wb1");
	unsigned f;

	cr_assert_eq(netconf_link_each(take_link, &l), 0);
	f = link_flags(&l, lo);
	cr_assert(f & IFF_LOOPBACK);
	cr_assert(f & IFF_UP);
	f = link_flags(&l, b0);
	cr_assert(f & IFF_UP);
	cr_assert(f & IFF_MULTICAST);
	cr_assert_not(f & IFF_LOOPBACK);
	cr_assert_not(f & IFF_RUNNING, "no carrier");
	f = link_flags(&l, b1);
	cr_assert_not(f & IFF_UP);
	for (size_t i = 1; i < l.n; i++)
		cr_assert_gt(l.idx[i], l.idx[i - 1], "the kernel's order, each once");
	cr_assert_eq(netconf_link_each(NULL, &l), -EINVAL);
}

/* ------------------------------------ the walkers against getifaddrs(3) */

/* Devices and addresses of every kind the agent meets: up with a carrier,
 * up without (tentative addresses), down, a point-to-point address with
 * its peer (IFA_LOCAL and IFA_ADDRESS both), lo's */
static void a_varied_host(void)
{
	veth("wa0", "wa1", 1);
	veth("wb0", "wb1", 0);
	ip_ok("link add wc0 type veth peer name wc1");
	ip_ok("link set wc0 multicast off");
	ip_ok("link set wc0 up");
	ip_ok("addr add 2001:db8:d1::1/64 dev wa0 nodad");
	ip_ok("addr add 2001:db8:d1::2/128 dev wa0 nodad preferred_lft 0");
	ip_ok("addr add 2001:db8:d1::3 peer 2001:db8:d1::4 dev wa0 nodad");
	ip_ok("addr add 2001:db8:d2::1/64 dev wb0");
	ip_ok("addr add 2001:db8:d2::2/128 dev wb0");
	ip_ok("addr add 2001:db8:d3::1/128 dev lo");
	ip_ok("addr add 192.0.2.1/24 dev wa0");
	ipv6_conf("wb1", "disable_ipv6", "1");
	ip_ok("link set wb1 up");
}

/* getifaddrs()'s entries as text: device, family, address, netmask, flags */
static void ifaddrs_text(const struct ifaddrs *ifa, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	for (const struct ifaddrs *i = ifa; i && o < len; i = i->ifa_next) {
		char as[INET6_ADDRSTRLEN] = "-", ms[INET6_ADDRSTRLEN] = "-";
		int fam = i->ifa_addr ? i->ifa_addr->sa_family : -1;

		if (fam == AF_INET6) {
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr,
				  as, sizeof(as));
			if (i->ifa_netmask)
				inet_ntop(AF_INET6,
					  &((const struct sockaddr_in6 *)(const void *)i->ifa_netmask)->sin6_addr,
					  ms, sizeof(ms));
		}
		o += (size_t)snprintf(out + o, len - o, "%s %d %s %s %#x\n", i->ifa_name, fam, as, ms,
				      i->ifa_flags);
	}
	cr_assert_lt(o, len, "getifaddrs told more than %zu bytes of text", len);
}

/* Runs walk(arg) between two getifaddrs() that agree, and returns the
 * second. a_varied_host's devices get their carrier, and with it their
 * link-local addresses, when the kernel's link watch gets to them, up to a
 * second after they are set up: a walk compared with getifaddrs() must not
 * straddle such a change (it did under load: "fe80::... not walked") */
static struct ifaddrs *getifaddrs_around(void (*walk)(void *), void *arg)
{
	static char before[16384], after[16384];

	for (int tries = 0; tries < 150; tries++) {
		struct ifaddrs *a, *b;

		cr_assert_eq(getifaddrs(&a), 0);
		walk(arg);
		cr_assert_eq(getifaddrs(&b), 0);
		ifaddrs_text(a, before, sizeof(before));
		ifaddrs_text(b, after, sizeof(after));
		freeifaddrs(a);
		if (strcmp(before, after) == 0)
			return b;
		freeifaddrs(b);
		usleep(20000);
	}
	cr_assert_fail("the devices' addresses and flags kept changing for 3 s");
	return NULL;
}

static void walk_addrs(void *arg)
{
	struct walked *w = arg;

	w->n = 0;
	cr_assert_eq(netconf_addr_each(0, take, w), 0);
}

/* What the agent read from getifaddrs() before the walker, each IPv6
 * address (its device, address and prefix from the netmask, glibc's
 * ifa_addr: IFA_LOCAL over IFA_ADDRESS) is walked once, and nothing else */
Test(netconf, addr_each_tells_what_getifaddrs_told)
{
	static struct walked w;
	struct ifaddrs *ifa;
	size_t n = 0;

	a_varied_host();
	ifa = getifaddrs_around(walk_addrs, &w);
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in6 *s = (const void *)i->ifa_addr;
		const struct sockaddr_in6 *m = (const void *)i->ifa_netmask;
		char as[INET6_ADDRSTRLEN];
		const struct addrmsg *a;
		int plen = 0;

		if (!s || s->sin6_family != AF_INET6)
			continue;
		n++;
		inet_ntop(AF_INET6, &s->sin6_addr, as, sizeof(as));
		a = told(&w, as);
		cr_assert_eq(a->ifindex, (int)if_nametoindex(i->ifa_name), "%s", as);
		for (int b = 0; m && b < 128; b++)
			plen += (m->sin6_addr.s6_addr[b / 8] >> (7 - b % 8)) & 1;
		cr_assert_eq(a->plen, plen, "%s", as);
	}
	freeifaddrs(ifa);
	cr_assert_eq(w.n, n, "walked %zu, getifaddrs %zu", w.n, n);
	/* the point-to-point one is its local address, as there */
	cr_assert_not(walked_has(&w, "2001:db8:d1::4"));
	cr_assert_eq(told(&w, "2001:db8:d1::3")->plen, 128);
}

/* Each device getifaddrs() told (the AF_PACKET entry of every link, and
 * each address's entry, all with the device's flags) is walked once, in the
 * order of its first entry there, with the same flags */
Test(netconf, link_each_tells_what_getifaddrs_told)
{
	struct links l = { .n = 0 }, g = { .n = 0 };
	struct ifaddrs *ifa;

	a_varied_host();
	ifa = getifaddrs_around(walk_links, &l);
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		int x = (int)if_nametoindex(i->ifa_name), seen = 0;

		for (size_t k = 0; k < g.n; k++)
			seen |= g.idx[k] == x;
		if (seen)
			continue;
		cr_assert_lt(g.n, 64);
		g.idx[g.n] = x;
		g.flags[g.n++] = i->ifa_flags;
	}
	freeifaddrs(ifa);
	cr_assert_eq(l.n, g.n, "walked %zu, getifaddrs %zu", l.n, g.n);
	cr_assert_geq(l.n, 7);
	for (size_t k = 0; k < l.n; k++) {
		cr_assert_eq(l.idx[k], g.idx[k], "device %zu", k);
		cr_assert_eq(l.flags[k], g.flags[k], "device %d: %#x, getifaddrs %#x", l.idx[k],
			     l.flags[k], g.flags[k]);
	}
	cr_assert_not(link_flags(&l, netconf_ifindex(nc, "wc0")) & IFF_MULTICAST);
}
