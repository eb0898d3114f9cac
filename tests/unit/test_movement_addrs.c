/* SPDX-License-Identifier: MIT */
/* test_movement_addrs.c — the host-address snapshot a move is judged by, in a private netns. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <uv.h>

#include "log.h"
#include "movement.h"
#include "netconf.h"
#include "netns.h"
#include "vanished.h"

static void noop(void *arg)
{
	(void)arg;
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

static void with_movement(int skip_ifindex, void (*body)(struct movement *, struct netconf *, int))
{
	struct netconf *nc;
	struct movement *m;
	uv_loop_t loop;
	int lo;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(netconf_open(&nc), 0);
	lo = netconf_ifindex(nc, "lo");
	cr_assert_gt(lo, 0);
	cr_assert_eq(movement_open(&m, &loop, skip_ifindex < 0 ? lo : skip_ifindex, noop, NULL), 0);
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
