/* SPDX-License-Identifier: MIT */
/* test_lease.c — the mn role's lease table and its release decisions. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "lease.h"
#include "log.h"
#include "odm.h"
#include "testaddr.h"

static struct lease_table T;
static struct lease_policy P = { .grace_ms = 3000, .udp_inactivity_s = 30 };

static void setup(void)
{
	odm_log_init("test", ODM_LOG_ERR, 0);
	lease_table_init(&T, 100);
}

static void teardown(void)
{
	lease_table_clear(&T);
}

TestSuite(lease, .init = setup, .fini = teardown);

static struct lease *mk(int proto, const char *anchor, uint64_t now)
{
	struct in6_addr an = A(anchor), dst = A("2001:db8:c0::10");
	struct lease *l = lease_new(&T, ODM_TYPE_SESSION_LASTING, proto, &an, &dst, now);

	cr_assert_not_null(l);
	return l;
}

static void registered(struct lease *l, const char *addr, uint64_t at)
{
	l->addr = A(addr);
	l->state = LEASE_REGISTERED;
	l->registered_ms = l->handed_ms = at;
	l->host_cfg = LEASE_CFG_ADDR | LEASE_CFG_BIND | LEASE_CFG_ROUTE;
}

Test(lease, ids_start_where_asked_and_are_unique)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct lease *b = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);

	cr_assert_eq(a->id, 100);
	cr_assert_eq(b->id, 101);
	cr_assert_eq(T.n, 2);
	cr_assert_eq(lease_by_id(&T, 101), b);
	cr_assert_eq(a->state, LEASE_REGISTERING);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&a->addr));
}

Test(lease, ids_wrap_around_and_skip_zero)
{
	struct lease *a, *b, *c;

	lease_table_clear(&T);
	lease_table_init(&T, 65535);
	a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1);
	b = mk(IPPROTO_TCP, "2001:db8:ca::10", 1);
	cr_assert_eq(a->id, 65535);
	cr_assert_eq(b->id, 1, "0 is no BID (RFC 5648)");
	/* ids keep rising past ones freed, and skip ones still in use */
	lease_free(&T, a);
	T.last_id = 0;
	c = mk(IPPROTO_TCP, "2001:db8:ca::10", 1);
	cr_assert_eq(c->id, 2, "id 1 is still in use");
}

Test(lease, lookup_by_address)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct in6_addr any = IN6ADDR_ANY_INIT;

	cr_assert_null(lease_by_addr(&T, &any), ":: never matches a pending lease");
	registered(a, "2001:db8:c4a::5", 2000);
	struct in6_addr x = A("2001:db8:c4a::5");
	cr_assert_eq(lease_by_addr(&T, &x), a);
}

Test(lease, reuse_registered_lease_same_anchor_type_proto)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct in6_addr cha = A("2001:db8:ca::10"), other = A("2001:db8:ca::11");

	cr_assert_null(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha, 0, 0),
		       "a lease still registering is not handed out by itself");
	cr_assert_eq(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha, 0, 1), a,
		     "but requests may wait on it");
	registered(a, "2001:db8:c4a::5", 2000);
	cr_assert_eq(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha, 0, 0), a);
	cr_assert_null(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, &cha, 0, 1));
	cr_assert_null(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &other, 0, 1));
	cr_assert_null(lease_find_reusable(&T, ODM_TYPE_FIXED, IPPROTO_TCP, &cha, 0, 1));
}

Test(lease, leases_are_not_shared_between_users)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct in6_addr cha = A("2001:db8:ca::10");

	a->uid = 1000;
	registered(a, "2001:db8:c4a::5", 2000);
	cr_assert_eq(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha, 1000, 1), a);
	cr_assert_null(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha, 1001, 1),
		       "another user's socket must get an address of its own");
	cr_assert_null(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha, 0, 1),
		       "not even root shares a user's address");
}

Test(lease, registered_lease_preferred_over_pending_one)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct lease *b = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000); /* a "fresh" one */
	struct in6_addr cha = A("2001:db8:ca::10");

	registered(a, "2001:db8:c4a::5", 2000);
	(void)b;
	cr_assert_eq(lease_find_reusable(&T, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha, 0, 1), a);
}

Test(lease, waiters_are_kept_and_handed_over)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	int r[10];
	size_t n;
	void **w;

	for (int i = 0; i < 10; i++)
		cr_assert_eq(lease_add_waiter(a, &r[i]), 0);
	w = lease_take_waiters(a, &n);
	cr_assert_eq(n, 10);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(w[i], &r[i], "order kept");
	free(w);
	cr_assert_eq(a->n_waiters, 0);
	w = lease_take_waiters(a, &n);
	cr_assert_eq(n, 0);
	free(w);
}

Test(lease, any_configured_for_the_table_route)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct lease *b = mk(IPPROTO_UDP, "2001:db8:ca::10", 1000);
	struct lease *c = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);

	cr_assert_not(lease_any_configured(&T));
	registered(a, "2001:db8:c4a::5", 2000);
	registered(b, "2001:db8:c4a::6", 2000);
	cr_assert(lease_any_configured(&T));
	b->host_cfg = 0;
	cr_assert(lease_any_configured(&T), "the oldest, last in the list, still is");
	lease_free(&T, a);
	cr_assert_not(lease_any_configured(&T), "none is left: the route goes");
	registered(c, "2001:db8:c4a::7", 2000);
	cr_assert(lease_any_configured(&T), "the newest, first in the list");
	cr_assert_eq(T.n, 2);
}

/* what holds the host agent's state file back (mn.c): requests waiting */
Test(lease, any_waited_for)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct lease *b = mk(IPPROTO_UDP, "2001:db8:ca::10", 1000);
	int r[3];
	size_t n;

	cr_assert_not(lease_any_waited_for(&T));
	cr_assert_eq(lease_add_waiter(a, &r[0]), 0);
	cr_assert_eq(lease_add_waiter(a, &r[1]), 0);
	cr_assert(lease_any_waited_for(&T), "the oldest lease, last in the list");
	cr_assert_eq(lease_add_waiter(b, &r[2]), 0);
	cr_assert(lease_any_waited_for(&T));
	free(lease_take_waiters(a, &n));
	cr_assert(lease_any_waited_for(&T), "the newest, first in the list");
	free(lease_take_waiters(b, &n));
	cr_assert_not(lease_any_waited_for(&T));
}

Test(lease, no_release_within_grace_of_a_hand_out)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct sockdiag_count none = { 0, 0 };

	cr_assert_eq(lease_judge(a, &none, 0, 100000, &P), LEASE_KEEP, "not registered yet");
	registered(a, "2001:db8:c4a::5", 10000);
	cr_assert_eq(lease_judge(a, &none, 0, 10000, &P), LEASE_KEEP);
	cr_assert_eq(lease_judge(a, &none, 0, 12999, &P), LEASE_KEEP,
		     "a bound, unconnected TCP socket is invisible to sock_diag");
	cr_assert_eq(lease_judge(a, &none, 0, 13000, &P), LEASE_END_UNUSED);
	/* handing it out again restarts the grace */
	a->handed_ms = 20000;
	cr_assert_eq(lease_judge(a, &none, 0, 21000, &P), LEASE_KEEP);
	cr_assert_eq(lease_judge(a, &none, 0, 23000, &P), LEASE_END_UNUSED);
}

Test(lease, tcp_lease_ends_when_no_socket_is_left)
{
	struct lease *a = mk(IPPROTO_TCP, "2001:db8:ca::10", 1000);
	struct sockdiag_count one = { 1, 0 }, udp = { 0, 1 }, none = { 0, 0 };

	registered(a, "2001:db8:c4a::5", 1000);
	cr_assert_eq(lease_judge(a, &one, 0, 999999, &P), LEASE_KEEP,
		     "TCP leases never expire for silence");
	cr_assert_eq(lease_judge(a, &udp, 0, 999999, &P), LEASE_KEEP);
	cr_assert_eq(lease_judge(a, &none, 0, 999999, &P), LEASE_END_UNUSED);
}

Test(lease, udp_lease_ends_after_inactivity)
{
	struct lease *a = mk(IPPROTO_UDP, "2001:db8:ca::10", 1000);
	struct sockdiag_count one = { 0, 1 }, none = { 0, 0 };

	registered(a, "2001:db8:c4a::6", 10000);
	/* no traffic ever: counted from registration */
	cr_assert_eq(lease_judge(a, &one, 0, 39999, &P), LEASE_KEEP);
	cr_assert_eq(lease_judge(a, &one, 0, 40000, &P), LEASE_END_IDLE);
	/* traffic 5 s ago keeps it */
	cr_assert_eq(lease_judge(a, &one, 95000, 100000, &P), LEASE_KEEP);
	cr_assert_eq(lease_judge(a, &one, 95000, 124999, &P), LEASE_KEEP);
	cr_assert_eq(lease_judge(a, &one, 95000, 125000, &P), LEASE_END_IDLE);
	/* no socket at all beats idleness */
	cr_assert_eq(lease_judge(a, &none, 95000, 100000, &P), LEASE_END_UNUSED);
	/* a recent hand-out counts as activity */
	a->handed_ms = 120000;
	cr_assert_eq(lease_judge(a, &one, 95000, 125000, &P), LEASE_KEEP);
}

/* A claim of the host's access address on its own link (accessclaim.h) is
 * the host's native address there: its datagrams never pass the tunnel,
 * whose silence says nothing of them. While a UDP socket is on it, it is
 * kept; away from its link (on the tunnel device), silence counts again. */
Test(lease, udp_claim_on_its_link_is_not_judged_idle_by_the_tunnel)
{
	struct lease *a = mk(IPPROTO_UDP, "2001:db8:a1::1", 1000);
	struct sockdiag_count one = { 0, 1 }, none = { 0, 0 };

	registered(a, "2001:db8:a1::5", 10000);
	a->claimed = 1;
	a->host_cfg = 0; /* native: nothing configured on the host for it */
	cr_assert_eq(lease_judge(a, &one, 0, 40000, &P), LEASE_KEEP,
		     "a UDP socket on the native claim, no tunnel traffic: kept");
	cr_assert_eq(lease_judge(a, &one, 0, 999999, &P), LEASE_KEEP);
	cr_assert_eq(lease_judge(a, &none, 0, 999999, &P), LEASE_END_UNUSED,
		     "no socket left: ends as any lease");
	/* away from its link: on the tunnel device, its silence there counts */
	a->host_cfg = LEASE_CFG_ADDR;
	cr_assert_eq(lease_judge(a, &one, 0, 999999, &P), LEASE_END_IDLE);
}

Test(lease, udp_inactivity_zero_disables_idle_expiry)
{
	struct lease_policy p = { .grace_ms = 3000, .udp_inactivity_s = 0 };
	struct lease *a = mk(IPPROTO_UDP, "2001:db8:ca::10", 1000);
	struct sockdiag_count one = { 0, 1 };

	registered(a, "2001:db8:c4a::6", 1000);
	cr_assert_eq(lease_judge(a, &one, 0, 99999999, &p), LEASE_KEEP);
}

Test(lease, names)
{
	cr_assert_str_eq(lease_state_name(LEASE_REGISTERING), "registering");
	cr_assert_str_eq(lease_state_name(LEASE_REGISTERED), "registered");
	cr_assert_str_eq(lease_verdict_name(LEASE_END_IDLE), "UDP idle");
}
