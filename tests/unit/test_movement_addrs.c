/* SPDX-License-Identifier: MIT */
/* test_movement_addrs.c — the host-address snapshot a move is judged by, in a private netns. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "log.h"
#include "movement.h"
#include "netconf.h"
#include "usable.h"
#include "netns.h"
#include "vanished.h"

static int looks; /* calls of movement's fn: looks at the addresses */

static void count_look(void *arg)
{
	(void)arg;
	looks++;
}

static int holds(const struct in6_addr *set, int n, const struct in6_addr *a)
{
	for (int i = 0; i < n; i++)
		if (IN6_ARE_ADDR_EQUAL(&set[i], a))
			return 1;
	return 0;
}

/* Adds 2001:db8:5e::<i> for i in [from, to) to lo, without DAD. */
static void add_range(struct netconf *nc, int ifindex, int from, int to)
{
	for (int i = from; i < to; i++) {
		struct in6_addr a;

		inet_pton(AF_INET6, "2001:db8:5e::", &a);
		a.s6_addr[14] = (uint8_t)(i >> 8);
		a.s6_addr[15] = (uint8_t)i;
		cr_assert_eq(netconf_addr_add(nc, ifindex, &a, 128, NETCONF_ADDR_NODAD), 0);
	}
}

static uv_loop_t loop; /* with_movement's, for bodies that run it */

static void with_movement(int skip_ifindex, void (*body)(struct movement *, struct netconf *, int))
{
	struct netconf *nc;
	struct movement *m;
	int lo;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(netconf_open(&nc), 0);
	lo = netconf_ifindex(nc, "lo");
	cr_assert_gt(lo, 0);
	looks = 0;
	cr_assert_eq(movement_open(&m, &loop, skip_ifindex < 0 ? lo : skip_ifindex, count_look, NULL), 0);
	body(m, nc, lo);
	movement_close(m);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0);
	netconf_close(nc);
}

static void global_only(struct movement *m, struct netconf *nc, int lo)
{
	struct in6_addr out[VANISHED_MAX], a;
	int n;

	add_range(nc, lo, 1, 3);
	n = movement_addrs(m, out, VANISHED_MAX);
	/* ::1 on lo is no candidate; the two documentation addresses are */
	cr_assert_eq(n, 2, "%d", n);
	inet_pton(AF_INET6, "2001:db8:5e::2", &a);
	cr_assert(holds(out, n, &a));
	inet_pton(AF_INET6, "::1", &a);
	cr_assert_not(holds(out, n, &a));
}

Test(movement_addrs, global_addresses_of_the_host)
{
	with_movement(1000, global_only);
}

static void skipped(struct movement *m, struct netconf *nc, int lo)
{
	struct in6_addr out[VANISHED_MAX];

	add_range(nc, lo, 1, 3);
	/* lo stands for the tunnel device here: its addresses are leases */
	cr_assert_eq(movement_addrs(m, out, VANISHED_MAX), 0);
}

Test(movement_addrs, tunnel_device_skipped)
{
	with_movement(-1, skipped);
}

static void too_many(struct movement *m, struct netconf *nc, int lo)
{
	struct in6_addr out[4];

	add_range(nc, lo, 1, 5);
	cr_assert_eq(movement_addrs(m, out, 4), 4);
	add_range(nc, lo, 5, 6);
	/* never a partial list: a present address left out would look gone */
	cr_assert_eq(movement_addrs(m, out, 4), -E2BIG);
}

Test(movement_addrs, no_partial_list)
{
	with_movement(1000, too_many);
}

struct seen {
	struct netconf *nc;
	struct in6_addr addr;
	int calls, usable;
};

static void on_event(void *arg)
{
	struct seen *s = arg;

	s->calls++;
	if (netconf_addr_usable(s->nc, &s->addr) > 0)
		s->usable = 1;
}

static void on_bound(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* The host role's wait for a new address ends at the netlink event of its
 * local route, not at a later poll: the event hook sees it usable. */
static void event_hook(struct movement *m, struct netconf *nc, int lo)
{
	struct seen s = { .nc = nc };
	static uv_timer_t bound; /* closed by with_movement's last run */
	static int over;

	movement_on_event(m, on_event, &s);
	inet_pton(AF_INET6, "2001:db8:5e::77", &s.addr);
	cr_assert_eq(netconf_addr_usable(nc, &s.addr), 0);
	add_range(nc, lo, 0x77, 0x78);
	uv_update_time(&loop);
	uv_timer_init(&loop, &bound);
	bound.data = &over;
	uv_timer_start(&bound, on_bound, 2000, 0);
	while (!s.usable && !over)
		uv_run(&loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&bound, NULL);
	cr_assert(s.calls > 0, "the event hook was never called");
	cr_assert(s.usable, "the hook was called %d times, never with the address usable", s.calls);
	movement_on_event(m, NULL, NULL);
}

Test(movement_addrs, event_hook_sees_a_new_address_usable)
{
	with_movement(1000, event_hook);
	cr_assert_gt(looks, 0, "an address of another device: a look");
}

/* The tunnel device's own events (a lease's address and local route) reach
 * the hook but cause no look: they never change a CoA. */
Test(movement_addrs, tunnel_device_events_cause_no_look)
{
	with_movement(-1, event_hook);
	cr_assert_eq(looks, 0, "%d looks", looks);
}

static void sh_ok(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The kernel's source toward an anchor, checked by the address dump and
 * the local route: an optimistic address (RFC 4429) is a CoA once the
 * kernel routes it as local, the same on the device skipped (the tunnel's)
 * is not. Not before: a BA to it would be dropped. One added without
 * carrier has no local route until its DAD is over, also once the carrier
 * came (this kernel); one added with carrier has it within ms. */
static void coa_checked(struct movement *m, struct netconf *nc, int lo)
{
	struct in6_addr anchor, want, coa;
	struct movement *tun;
	FILE *f;
	char line[256];
	int wb0, optimistic = 0;

	(void)lo;
	sh_ok("ip link add wb0 type veth peer name wb1 && "
	      "echo 1 >/proc/sys/net/ipv6/conf/wb0/optimistic_dad && "
	      "echo 1 >/proc/sys/net/ipv6/conf/wb0/use_optimistic && ip link set wb0 up && "
	      "ip addr add 2001:db8:5f::1/64 dev wb0 optimistic");
	inet_pton(AF_INET6, "2001:db8:5f::99", &anchor);
	inet_pton(AF_INET6, "2001:db8:5f::1", &want);
	cr_assert_eq(netconf_is_local(&want), 0, "no carrier: no local route yet");
	cr_assert_eq(movement_coa(m, &anchor, NULL, &coa), -EAGAIN, "not local yet");
	sh_ok("ip addr del 2001:db8:5f::1/64 dev wb0 && ip link set wb1 up && "
	      "for i in $(seq 300); do ip link show wb0 | grep -q LOWER_UP && break; sleep 0.01; done && "
	      "ip addr add 2001:db8:5f::1/64 dev wb0 optimistic");
	test_wait_usable(nc, &want);
	/* still optimistic: its DAD takes a RetransTimer (1 s) */
	f = popen("ip -6 addr show dev wb0", "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		optimistic |= strstr(line, "2001:db8:5f::1/64") && strstr(line, "optimistic");
	pclose(f);
	cr_assert_eq(movement_coa(m, &anchor, NULL, &coa), 0);
	cr_assert(IN6_ARE_ADDR_EQUAL(&coa, &want));
	cr_assert(optimistic, "the address had left the optimistic state already");
	wb0 = netconf_ifindex(nc, "wb0");
	cr_assert_gt(wb0, 0);
	cr_assert_eq(movement_open(&tun, &loop, wb0, count_look, NULL), 0);
	cr_assert_eq(movement_coa(tun, &anchor, NULL, &coa), -EAGAIN, "on the device skipped");
	movement_close(tun);
}

Test(movement_addrs, coa_optimistic_usable_not_on_the_skipped_device)
{
	with_movement(-1, coa_checked);
}

/* A care-of address toward a global anchor is global: the kernel's
 * link-local pick (the host has no global address) is none */
Test(movement_addrs, a_coa_has_the_anchors_scope)
{
	struct in6_addr anchor, ll, glob, ula, ll_anchor;

	inet_pton(AF_INET6, "2001:db8:ca::10", &anchor);
	inet_pton(AF_INET6, "fe80::d:ff:fe00:1", &ll);
	inet_pton(AF_INET6, "2001:db8:a1:0:d:ff:fe00:1", &glob);
	inet_pton(AF_INET6, "fd00:1::5", &ula);
	inet_pton(AF_INET6, "fe80::1", &ll_anchor);
	cr_assert(movement_coa_scope_ok(&anchor, &glob));
	cr_assert(movement_coa_scope_ok(&anchor, &ula), "a unique local address is global in scope");
	cr_assert_not(movement_coa_scope_ok(&anchor, &ll), "link-local toward a global anchor");
	cr_assert_not(movement_coa_scope_ok(&anchor, &in6addr_loopback));
	cr_assert(movement_coa_scope_ok(&ll_anchor, &ll), "an anchor on the link itself");
}

/* The host's IPv4 addresses, v4-mapped: the ones of the network, not
 * loopback's or link-local ones, nor any on the device skipped; and the
 * IPv6 snapshot has none of them */
static void ipv4_addresses(struct movement *m, struct netconf *nc, int lo)
{
	struct in6_addr out[VANISHED_MAX], a;
	struct movement *tun;
	int n, wb0;

	(void)nc;
	(void)lo;
	sh_ok("ip link add wb0 type veth peer name wb1 && ip link add wc0 type veth peer name wc1 && "
	      "ip addr add 192.0.2.10/24 dev wb0 && ip addr add 169.254.3.4/16 dev wb0 && "
	      "ip addr add 198.51.100.7/24 dev wc0");
	n = movement_addrs4(m, out, VANISHED_MAX);
	cr_assert_eq(n, 2, "%d", n);
	inet_pton(AF_INET6, "::ffff:192.0.2.10", &a);
	cr_assert(holds(out, n, &a), "an address of a link that is down is the host's still");
	inet_pton(AF_INET6, "::ffff:198.51.100.7", &a);
	cr_assert(holds(out, n, &a));
	cr_assert_eq(movement_addrs(m, out, VANISHED_MAX), 0, "no IPv6 address of the network");
	cr_assert_eq(movement_addrs4(m, out, 1), -E2BIG, "never a partial list");
	wb0 = netconf_ifindex(nc, "wb0");
	cr_assert_gt(wb0, 0);
	cr_assert_eq(movement_open(&tun, &loop, wb0, count_look, NULL), 0);
	n = movement_addrs4(tun, out, VANISHED_MAX);
	cr_assert_eq(n, 1, "%d", n);
	cr_assert(holds(out, n, &a));
	movement_close(tun);
}

Test(movement_addrs, ipv4_addresses_v4_mapped)
{
	with_movement(1000, ipv4_addresses);
}
