/* SPDX-License-Identifier: MIT */
/*
 * test_tunnel_user.c — the userspace tunnel backend's loop guard on a real
 * TUN device in a private network namespace (root only; skipped otherwise):
 * bind refuses every remote endpoint a packet could loop through, and a
 * remote that became an inner address after its bind stops packets at
 * send time, counted in "looped".
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"
#include "netconf.h"
#include "netns.h"
#include "testaddr.h"
#include "tunnel.h"
#include "usable.h"

static uv_loop_t loop;
static struct odm_tunnel *t;

static void open_tunnel(enum odm_tunnel_side side)
{
	test_netns_enter();
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(tunnel_open(&t, &loop, "userspace", side, "odmtt0"), 0);
}

static int bind3(const char *inner, const char *local, const char *remote)
{
	struct in6_addr i = A(inner), l = A(local), r = A(remote);

	return t->ops->bind(t, &i, &l, &r);
}

Test(tunnel_user, bind_refuses_loops)
{
	struct in6_addr pool = A("2001:db8:c4a::");

	open_tunnel(ODM_TUNNEL_ANCHOR);
	tunnel_set_guard(t, &pool, 64);
	cr_assert_eq(bind3("2001:db8:c4a::1", "2001:db8:ca::1", "2001:db8:1::100"), 0);
	cr_assert_eq(bind3("2001:db8:c4a::2", "2001:db8:ca::1", "2001:db8:c4a::9"), -ELOOP,
		     "remote in the guarded pool");
	cr_assert_eq(bind3("2001:db8:c4a::2", "2001:db8:ca::1", "2001:db8:ca::1"), -ELOOP,
		     "remote = local");
	cr_assert_eq(bind3("2001:db8:77::2", "2001:db8:ca::1", "2001:db8:77::2"), -ELOOP,
		     "remote = its own inner address");
	/* a move to a looping remote leaves the binding as it was */
	cr_assert_eq(bind3("2001:db8:c4a::1", "2001:db8:ca::1", "2001:db8:c4a::1"), -ELOOP);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
}

Test(tunnel_user, remote_bound_as_inner_later_is_refused_per_packet)
{
	struct in6_addr lo6 = A("2001:db8:ca::1"), pfx = A("2001:db8:c4a::"),
			x = A("2001:db8:c4a::1");
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = x, .sin6_port = htons(9) };
	struct odm_tunnel_stats st;
	struct netconf *nc;
	int fd;

	open_tunnel(ODM_TUNNEL_ANCHOR); /* no guard: only the inner table speaks */
	cr_assert_eq(netconf_open(&nc), 0);
	cr_assert_eq(netconf_addr_add(nc, netconf_ifindex(nc, "lo"), &lo6, 128, 0), 0);
	cr_assert_eq(netconf_route_add(nc, &pfx, 64, t->ifindex, 0), 0);
	/* X -> remote R, then R itself becomes an inner address */
	cr_assert_eq(bind3("2001:db8:c4a::1", "2001:db8:ca::1", "2001:db8:c4a::2"), 0);
	cr_assert_eq(bind3("2001:db8:c4a::2", "2001:db8:ca::1", "2001:db8:1::100"), 0);
	cr_assert_eq(bind3("2001:db8:c4a::3", "2001:db8:ca::1", "2001:db8:c4a::2"), -ELOOP,
		     "remote bound as inner");

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(sendto(fd, "loop?", 5, 0, (struct sockaddr *)&to, sizeof to), 5);
	close(fd);
	for (int i = 0; i < 100; i++) {
		struct timespec ms = { 0, 10 * 1000 * 1000 };

		uv_run(&loop, UV_RUN_NOWAIT);
		cr_assert_eq(t->ops->stats(t, NULL, &st), 0);
		if (st.looped)
			break;
		nanosleep(&ms, NULL);
	}
	cr_assert_eq(st.looped, 1, "the packet for X was not refused");
	cr_assert_eq(st.tx_packets, 0, "a packet went out toward an inner address");
	netconf_close(nc);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
}

/*
 * A host tunnel bound 2001:db8:c4a::1 over ca::2 <-> ca::1 (both on lo), an
 * inner packet for it in inner[40], and a raw protocol-41 socket bound to
 * the remote to send it from (returned); *nc open.
 */
static const char *const RX_REMOTE = "2001:db8:ca::1", *const RX_LOCAL = "2001:db8:ca::2";

static int rx_setup(struct netconf **nc, uint8_t inner[40])
{
	struct in6_addr r = A(RX_REMOTE), l = A(RX_LOCAL);
	struct in6_addr isrc = A("2001:db8:1::100"), idst = A("2001:db8:c4a::1");
	struct sockaddr_in6 from = { .sin6_family = AF_INET6, .sin6_addr = r };
	int fd;

	open_tunnel(ODM_TUNNEL_HOST);
	cr_assert_eq(netconf_open(nc), 0);
	cr_assert_eq(netconf_addr_add(*nc, netconf_ifindex(*nc, "lo"), &r, 128, 0), 0);
	cr_assert_eq(netconf_addr_add(*nc, netconf_ifindex(*nc, "lo"), &l, 128, 0), 0);
	test_wait_usable(*nc, &r);
	test_wait_usable(*nc, &l);
	cr_assert_eq(bind3("2001:db8:c4a::1", RX_LOCAL, RX_REMOTE), 0);
	memset(inner, 0, 40);
	inner[0] = 0x60;
	inner[6] = 59; /* no next header */
	inner[7] = 64;
	memcpy(inner + 8, &isrc, 16);
	memcpy(inner + 24, &idst, 16);
	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IPV6);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&from, sizeof from), 0);
	return fd;
}

/*
 * The host dates the loss of its care-of address by the last packet its
 * tunnel received (hostengine.c): that is the packet's arrival, as the
 * kernel stamped it, not the moment the agent got round to reading it.
 */
Test(tunnel_user, last_rx_is_the_arrival_not_the_read)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = A(RX_LOCAL) };
	uint8_t inner[40];
	struct in6_addr idst = A("2001:db8:c4a::1");
	struct odm_tunnel_stats st = { 0 };
	struct timespec wait = { 0, 80 * 1000 * 1000 };
	struct netconf *nc;
	uint64_t sent;
	int fd = rx_setup(&nc, inner);

	/*
	 * The kernel starts stamping arrivals a moment after the first socket
	 * asks (net_enable_timestamp() defers it to a work item); a packet
	 * that came before then is stamped when read. So up to 3 packets: an
	 * agent that dates by the read gets all 3 wrong.
	 */
	for (unsigned n = 1; n <= 3; n++) {
		sent = mono_ms();
		cr_assert_eq(sendto(fd, inner, sizeof inner, 0, (struct sockaddr *)&to, sizeof to),
			     (ssize_t)sizeof inner);
		nanosleep(&wait, NULL); /* the agent busy elsewhere */
		for (int i = 0; i < 100 && st.rx_packets < n; i++) {
			struct timespec ms = { 0, 10 * 1000 * 1000 };

			uv_run(&loop, UV_RUN_NOWAIT);
			cr_assert_eq(t->ops->stats(t, &idst, &st), 0);
			if (st.rx_packets < n)
				nanosleep(&ms, NULL);
		}
		cr_assert_eq(st.rx_packets, n, "tunnelled packet %u was not taken in", n);
		if (st.last_rx_ms >= sent && st.last_rx_ms <= sent + 20)
			break;
	}
	close(fd);
	cr_assert(st.last_rx_ms >= sent && st.last_rx_ms <= sent + 20,
		  "last_rx_ms %llu: %lld ms after the send, read 80 ms later",
		  (unsigned long long)st.last_rx_ms, (long long)(st.last_rx_ms - sent));
	netconf_close(nc);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
}

/*
 * An ICMPv6 error about an outer packet (tunnel_errq.h) sets the socket's
 * pending error, which fails its next receive however many packets wait
 * behind it. The host reads what waits at a move (drain_rx) to date its
 * loss by the last packet (hostengine.c): an error that came just before
 * must not hide them.
 */
Test(tunnel_user, drain_reads_past_an_icmp_error)
{
	struct in6_addr r = A(RX_REMOTE), l = A(RX_LOCAL);
	struct sockaddr_in6 from = { .sin6_family = AF_INET6, .sin6_addr = r },
			    to = { .sin6_family = AF_INET6, .sin6_addr = l };
	uint8_t inner[40], err[8 + 40 + 40] = { 1, 3 }; /* address unreachable */
	struct in6_addr idst = A("2001:db8:c4a::1");
	struct odm_tunnel_stats st = { 0 };
	struct timespec ms = { 0, 20 * 1000 * 1000 };
	struct netconf *nc;
	int fd = rx_setup(&nc, inner), icmp;

	cr_assert_eq(sendto(fd, inner, sizeof inner, 0, (struct sockaddr *)&to, sizeof to),
		     (ssize_t)sizeof inner);
	close(fd);
	/* then an error quoting one of the host's outer packets, l -> r */
	err[8] = 0x60;
	err[8 + 5] = 40; /* payload length */
	err[8 + 6] = 41; /* IPv6-in-IPv6 */
	err[8 + 7] = 64;
	memcpy(err + 8 + 8, &l, 16);
	memcpy(err + 8 + 24, &r, 16);
	memcpy(err + 8 + 40, inner, 40);
	icmp = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	cr_assert_geq(icmp, 0);
	cr_assert_eq(bind(icmp, (struct sockaddr *)&from, sizeof from), 0);
	cr_assert_eq(sendto(icmp, err, sizeof err, 0, (struct sockaddr *)&to, sizeof to),
		     (ssize_t)sizeof err);
	close(icmp);
	nanosleep(&ms, NULL); /* both there, the agent not yet about */
	t->ops->drain_rx(t);
	cr_assert_eq(t->ops->stats(t, &idst, &st), 0);
	cr_assert_eq(st.rx_packets, 1, "the packet waiting behind the error was not read");
	netconf_close(nc);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
}
