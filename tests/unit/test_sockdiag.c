/* SPDX-License-Identifier: MIT */
/* test_sockdiag.c — counting and destroying sockets by address, in a private netns. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netconf.h"
#include "netns.h"
#include "sockdiag.h"
#include "usable.h"
#include "vanished.h"
#include "watchdog.h"

static struct in6_addr loop6 = IN6ADDR_LOOPBACK_INIT;

static int tcp_listener(const struct in6_addr *a, uint16_t *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = *a };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin6_port);
	return fd;
}

static int tcp_connect(const struct in6_addr *a, uint16_t port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = *a,
				   .sin6_port = htons(port) };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	return fd;
}

static int udp_bound(const struct in6_addr *a)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = *a };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	return fd;
}

static void counts(const struct in6_addr *a, unsigned tcp, unsigned udp)
{
	struct sockdiag_count c = { 99, 99 };

	cr_assert_eq(sockdiag_count(a, &c), 0);
	cr_assert_eq(c.tcp, tcp, "tcp %u, want %u", c.tcp, tcp);
	cr_assert_eq(c.udp, udp, "udp %u, want %u", c.udp, udp);
}

static void setup(void)
{
	unit_watchdog(20);
}

TestSuite(sockdiag, .init = setup);

/* In a fresh netns: a listener on ::1, a connection to it (client c, accepted
 * s) and a bound UDP socket. */
static void sockets_on_loopback(int *l, int *c, int *s, int *u)
{
	uint16_t port;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	*l = tcp_listener(&loop6, &port);
	*c = tcp_connect(&loop6, port);
	*s = accept(*l, NULL, NULL);
	cr_assert_geq(*s, 0);
	*u = udp_bound(&loop6);
}

Test(sockdiag, count_loopback)
{
	uint16_t port;
	int l, c, s, u;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	counts(&loop6, 0, 0);
	l = tcp_listener(&loop6, &port);
	counts(&loop6, 1, 0);
	c = tcp_connect(&loop6, port);
	s = accept(l, NULL, NULL);
	cr_assert_geq(s, 0);
	/* listener, client and accepted socket all have ::1 as source */
	counts(&loop6, 3, 0);
	u = udp_bound(&loop6);
	counts(&loop6, 3, 1);
	close(u);
	close(s);
	close(c); /* the active closer goes to TIME_WAIT: not counted */
	close(l);
	counts(&loop6, 0, 0);
}

Test(sockdiag, count_by_address)
{
	struct in6_addr a, b;
	struct netconf *nc;
	uint16_t port;
	int l, c, ifindex;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	inet_pton(AF_INET6, "2001:db8:5d::1", &a);
	inet_pton(AF_INET6, "2001:db8:5d::2", &b);
	cr_assert_eq(netconf_open(&nc), 0);
	ifindex = netconf_ifindex(nc, "lo");
	cr_assert_gt(ifindex, 0);
	cr_assert_eq(netconf_addr_add(nc, ifindex, &a, 128, NETCONF_ADDR_NODAD), 0);
	cr_assert_eq(netconf_addr_add(nc, ifindex, &b, 128, NETCONF_ADDR_NODAD), 0);
	test_wait_usable(nc, &a);
	test_wait_usable(nc, &b);
	l = tcp_listener(&a, &port);
	c = tcp_connect(&a, port);
	/* listener and client; the child in the accept queue has no inode yet */
	counts(&a, 2, 0);
	counts(&b, 0, 0);
	close(c);
	close(l);
	netconf_close(nc);
}

Test(sockdiag, destroy)
{
	int l, c, s, u, r;
	char ch;

	sockets_on_loopback(&l, &c, &s, &u);
	r = sockdiag_destroy(&loop6);
	/* 4, or 3 when the RST of the client's abort closed its peer first */
	cr_assert(r == 3 || r == 4, "destroyed %d", r);
	counts(&loop6, 0, 0);
	/* the owner sees its socket fail */
	cr_assert_lt(read(c, &ch, 1), 0);
	/* aborted, or reset by the RST of its destroyed peer */
	cr_assert(errno == ECONNABORTED || errno == ECONNRESET, "%s", strerror(errno));
	close(c);
	close(s);
	close(l);
	close(u);
	cr_assert_eq(sockdiag_destroy(&loop6), 0);
}

/* A move destroys TCP only: the UDP socket on the same address stays usable. */
Test(sockdiag, destroy_tcp_spares_udp)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t tl = sizeof(to);
	int l, c, s, u, r;
	char ch;

	sockets_on_loopback(&l, &c, &s, &u);
	r = sockdiag_destroy_tcp(&loop6);
	cr_assert(r == 2 || r == 3, "destroyed %d", r);
	counts(&loop6, 0, 1);
	cr_assert_lt(read(c, &ch, 1), 0);
	cr_assert(errno == ECONNABORTED || errno == ECONNRESET, "%s", strerror(errno));
	/* the UDP socket still sends to itself and receives */
	cr_assert_eq(getsockname(u, (struct sockaddr *)&to, &tl), 0);
	cr_assert_eq(sendto(u, "x", 1, 0, (struct sockaddr *)&to, tl), 1, "%s", strerror(errno));
	cr_assert_eq(recv(u, &ch, 1, 0), 1);
	cr_assert_eq(ch, 'x');
	close(c);
	close(s);
	close(l);
	close(u);
}

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1, "%s", s);
	return a;
}

Test(sockdiag, vanished_is_gone_and_not_anchored)
{
	struct in6_addr before[4] = { a6("2001:db8:a1::10"), a6("2001:db8:a1::20"),
				      a6("2001:db8:c4a::5"), a6("2001:db8:a1::10") };
	struct in6_addr now[2] = { a6("2001:db8:a2::10"), a6("2001:db8:a1::20") };
	struct in6_addr anchored[1] = { a6("2001:db8:c4a::5") };
	struct in6_addr out[4];
	size_t n;

	/* a1::10 went (listed twice: reported once); a1::20 is still there;
	 * c4a::5 is gone from the snapshot but anchored, so never a victim */
	n = vanished_addrs(before, 4, now, 2, anchored, 1, out);
	cr_assert_eq(n, 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&out[0], &before[0]));
	/* without the anchored set, the lease address would be a victim too */
	n = vanished_addrs(before, 4, now, 2, NULL, 0, out);
	cr_assert_eq(n, 2);
	cr_assert(IN6_ARE_ADDR_EQUAL(&out[1], &before[2]));
	/* nothing changed: nothing vanished */
	cr_assert_eq(vanished_addrs(now, 2, now, 2, NULL, 0, out), 0);
	/* no earlier snapshot (first call): nothing to destroy */
	cr_assert_eq(vanished_addrs(NULL, 0, now, 2, NULL, 0, out), 0);
	/* everything gone (link down, no new address yet) */
	cr_assert_eq(vanished_addrs(now, 2, NULL, 0, NULL, 0, out), 2);
}

Test(sockdiag, vanished_candidates)
{
	struct in6_addr g = a6("2001:db8:a1::10"), ll = a6("fe80::1"), lo = a6("::1"),
			any = a6("::"), mc = a6("ff02::1"), m4 = a6("::ffff:192.0.2.1");

	cr_assert(vanished_candidate(&g));
	cr_assert_not(vanished_candidate(&ll));
	cr_assert_not(vanished_candidate(&lo));
	cr_assert_not(vanished_candidate(&any));
	cr_assert_not(vanished_candidate(&mc));
	cr_assert_not(vanished_candidate(&m4));
}

Test(sockdiag, match_in_sorted_set)
{
	struct in6_addr set[3], x;

	inet_pton(AF_INET6, "2001:db8::1", &set[0]);
	inet_pton(AF_INET6, "2001:db8::5", &set[1]);
	inet_pton(AF_INET6, "2001:db8:1::", &set[2]);
	for (long i = 0; i < 3; i++)
		cr_assert_eq(sockdiag_match(set, 3, &set[i]), i);
	inet_pton(AF_INET6, "2001:db8::3", &x);
	cr_assert_eq(sockdiag_match(set, 3, &x), -1);
	inet_pton(AF_INET6, "2001:db8:2::", &x);
	cr_assert_eq(sockdiag_match(set, 3, &x), -1);
	cr_assert_eq(sockdiag_match(set, 0, &set[0]), -1);
}

/* One batched count gives each address what a count of its own gives. */
Test(sockdiag, count_many_matches_one_by_one)
{
	struct in6_addr a[3];
	struct sockdiag_count c[4], one;
	struct netconf *nc;
	uint16_t port;
	int l, k, u1, u2, ifindex;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	inet_pton(AF_INET6, "2001:db8:5d::1", &a[0]);
	inet_pton(AF_INET6, "2001:db8:5d::2", &a[1]);
	inet_pton(AF_INET6, "2001:db8:5d::3", &a[2]);
	cr_assert_eq(netconf_open(&nc), 0);
	ifindex = netconf_ifindex(nc, "lo");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(netconf_addr_add(nc, ifindex, &a[i], 128, NETCONF_ADDR_NODAD), 0);
	for (int i = 0; i < 3; i++)
		test_wait_usable(nc, &a[i]);
	/* a[2]: a listener and its client (2 TCP); a[0]: 2 UDP; a[1]: nothing */
	l = tcp_listener(&a[2], &port);
	k = tcp_connect(&a[2], port);
	u1 = udp_bound(&a[0]);
	u2 = udp_bound(&a[0]);
	{
		/* out of order and with a repeat, as a caller may pass them */
		struct in6_addr ask[4] = { a[2], a[0], a[1], a[2] };

		cr_assert_eq(sockdiag_count_many(ask, NULL, 4, c), 0);
	}
	cr_assert_eq(c[0].tcp, 2);
	cr_assert_eq(c[0].udp, 0);
	cr_assert_eq(c[1].tcp, 0);
	cr_assert_eq(c[1].udp, 2);
	cr_assert_eq(c[2].tcp + c[2].udp, 0);
	cr_assert_eq(c[3].tcp, 2);
	cr_assert_eq(sockdiag_count(&a[0], &one), 0);
	cr_assert_eq(one.udp, 2);
	cr_assert_eq(sockdiag_count_many(a, NULL, 0, c), -EINVAL);
	close(u1);
	close(u2);
	close(k);
	close(l);
	netconf_close(nc);
}

/* A UDP socket on a, made as uid (its inode's owner, what inet_diag tells) */
static int udp_bound_as(const struct in6_addr *a, uid_t uid)
{
	int fd;

	setfsuid(uid);
	cr_assert_eq((uid_t)setfsuid((uid_t)-1), uid, "setfsuid %u", (unsigned)uid);
	fd = udp_bound(a);
	setfsuid(0);
	return fd;
}

/*
 * Another user's sockets on an address do not count for its lease: any user
 * may bind to any address of the host, and one that did would keep another's
 * lease, its binding and its place in that user's quota, for ever. Its
 * holders' sockets count, and root's (a daemon's made before it dropped root).
 */
Test(sockdiag, count_only_the_owners_and_roots)
{
	struct in6_addr a[2];
	struct netconf *nc;
	struct sockdiag_count c[2];
	const uid_t shared[] = { 2002 };
	struct sockdiag_owner own[2] = { { .uid = 1001 },
					 { .uid = 1001, .more = shared, .n_more = 1 } };
	int ifindex, fd[5];

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	inet_pton(AF_INET6, "2001:db8:5d::1", &a[0]);
	inet_pton(AF_INET6, "2001:db8:5d::2", &a[1]);
	cr_assert_eq(netconf_open(&nc), 0);
	ifindex = netconf_ifindex(nc, "lo");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(netconf_addr_add(nc, ifindex, &a[i], 128, NETCONF_ADDR_NODAD), 0);
		test_wait_usable(nc, &a[i]);
	}
	/* a[0]: one socket of another user only; a[1]: a holder's, a sharer's,
	 * root's and the other user's */
	fd[0] = udp_bound_as(&a[0], 3003);
	fd[1] = udp_bound_as(&a[1], 1001);
	fd[2] = udp_bound_as(&a[1], 2002);
	fd[3] = udp_bound_as(&a[1], 0);
	fd[4] = udp_bound_as(&a[1], 3003);
	cr_assert_eq(sockdiag_count_many(a, own, 2, c), 0);
	cr_assert_eq(c[0].udp, 0, "another user's socket kept the lease: %u", c[0].udp);
	cr_assert_eq(c[1].udp, 3, "holder, sharer and root: %u", c[1].udp);
	/* without owners, or for an address held for anyone, every socket counts */
	cr_assert_eq(sockdiag_count_many(a, NULL, 2, c), 0);
	cr_assert_eq(c[0].udp, 1);
	cr_assert_eq(c[1].udp, 4);
	own[0].anyone = 1;
	cr_assert_eq(sockdiag_count_many(a, own, 2, c), 0);
	cr_assert_eq(c[0].udp, 1, "held for anyone: %u", c[0].udp);
	for (int i = 0; i < 5; i++)
		close(fd[i]);
	netconf_close(nc);
}

/*
 * An IPv4 address, given v4-mapped, has its TCP sockets in both families:
 * an AF_INET client and a dual-stack AF_INET6 one connected to a
 * v4-mapped address. Both are ended; a UDP socket on it is left alone, and
 * a TCP socket on another address too.
 */
Test(sockdiag, destroy_tcp_of_an_ipv4_address)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 m6 = { .sin6_family = AF_INET6 };
	socklen_t sl = sizeof(sa);
	struct in6_addr mapped = a6("::ffff:127.0.0.1");
	uint16_t port6;
	int l, c4, c6, s4, s6, u, l6, c66, off = 0, r;
	char ch;

	test_netns_enter();
	odm_log_init("test", ODM_LOG_ERR, 0);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(l, 4), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	c4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(c4, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	s4 = accept(l, NULL, NULL);
	c6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(setsockopt(c6, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)), 0);
	m6.sin6_addr = mapped;
	m6.sin6_port = sa.sin_port;
	cr_assert_eq(connect(c6, (struct sockaddr *)&m6, sizeof(m6)), 0, "%s", strerror(errno));
	s6 = accept(l, NULL, NULL);
	cr_assert(s4 >= 0 && s6 >= 0);
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sa.sin_port = 0;
	cr_assert_eq(bind(u, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	/* an IPv6 connection, on ::1: not the address ended */
	l6 = tcp_listener(&loop6, &port6);
	c66 = tcp_connect(&loop6, port6);

	r = sockdiag_destroy_tcp(&mapped);
	/* listener, two clients, two accepted (fewer when an abort's RST
	 * closed a peer first) */
	cr_assert(r >= 3 && r <= 5, "destroyed %d", r);
	cr_assert_lt(read(c4, &ch, 1), 0);
	cr_assert(errno == ECONNABORTED || errno == ECONNRESET, "%s", strerror(errno));
	cr_assert_lt(read(c6, &ch, 1), 0);
	cr_assert(errno == ECONNABORTED || errno == ECONNRESET, "%s", strerror(errno));
	cr_assert_lt(accept(l, NULL, NULL), 0, "the listener ended too");
	/* the UDP socket and the IPv6 connection live on */
	sl = sizeof(sa);
	cr_assert_eq(getsockname(u, (struct sockaddr *)&sa, &sl), 0);
	cr_assert_eq(sendto(u, "x", 1, 0, (struct sockaddr *)&sa, sl), 1, "%s", strerror(errno));
	cr_assert_eq(recv(u, &ch, 1, 0), 1);
	counts(&loop6, 2, 0);
	cr_assert_eq(write(c66, "y", 1), 1, "%s", strerror(errno));
	cr_assert_eq(sockdiag_destroy_tcp(&mapped), 0);
	close(c4);
	close(c6);
	close(s4);
	close(s6);
	close(l);
	close(u);
	close(l6);
	close(c66);
}

Test(sockdiag, vanished_candidates4)
{
	struct in6_addr ok = a6("::ffff:198.18.1.100"), doc = a6("::ffff:192.0.2.1"),
			lo = a6("::ffff:127.0.0.1"), ll = a6("::ffff:169.254.7.1"),
			zero = a6("::ffff:0.0.0.0"), mc = a6("::ffff:224.0.0.1"),
			bc = a6("::ffff:255.255.255.255"), g6 = a6("2001:db8:a1::10");

	cr_assert(vanished_candidate4(&ok));
	cr_assert(vanished_candidate4(&doc));
	cr_assert_not(vanished_candidate4(&lo));
	cr_assert_not(vanished_candidate4(&ll));
	cr_assert_not(vanished_candidate4(&zero));
	cr_assert_not(vanished_candidate4(&mc));
	cr_assert_not(vanished_candidate4(&bc));
	cr_assert_not(vanished_candidate4(&g6), "an IPv6 address is no IPv4 one");
}
