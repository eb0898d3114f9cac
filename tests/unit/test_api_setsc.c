/* SPDX-License-Identifier: MIT */
/*
 * test_api_setsc.c — setsc(), setsc_to(), getsc() without root and without
 * an agent: refused types, argument errors, a held lease answered at once,
 * an unreachable agent answered fast, getsc() of leased and plain sockets.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "chacache.h"
#include "chalookup.h"
#include "fdtable.h"
#include "heldlease.h"
#include "odm.h"
#include "resolvns.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct sockaddr_in6 dst6(const char *s)
{
	struct sockaddr_in6 d = { .sin6_family = AF_INET6, .sin6_port = htons(80) };

	d.sin6_addr = A(s);
	return d;
}

/* no agent: a socket path nobody listens on */
static void no_agent(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/nonexistent-odm-test-%d.sock", (int)getpid());
	setenv("ODM_SOCKET", path, 1);
}

Test(api_setsc, every_anchored_type_needs_the_agent)
{
	struct sockaddr_in6 d = dst6("2001:db8:c0::10");
	struct in6_addr src;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	no_agent();
	/* Fixed is the agent's to give (from its home anchor): no agent, no address */
	cr_assert_eq(setsc(fd, &src, FIXED_IPV6_ADDRESS), EAI_REQUIREDIPFAILED);
	cr_assert_eq(setsc_to(fd, &src, FIXED_IPV6_ADDRESS, (struct sockaddr *)&d, sizeof(d), NULL),
		     EAI_REQUIREDIPFAILED);
	/* the host's own anchors (no peer, or Graceful-replacement) are the
	 * agent's to know: without an agent, the network cannot provide them */
	cr_assert_eq(setsc(fd, &src, SESSION_LASTING_IPV6_ADDRESS), EAI_REQUIREDIPFAILED);
	cr_assert_eq(setsc(fd, &src, GRACEFUL_REPLACEMENT_IPV6_ADDRESS), EAI_REQUIREDIPFAILED);
	close(fd);
}

Test(api_setsc, bad_arguments_are_eai_system)
{
	struct sockaddr_in d4 = { .sin_family = AF_INET };
	struct in6_addr src;
	sc_type t;
	int fd4 = socket(AF_INET, SOCK_STREAM, 0), fd = socket(AF_INET6, SOCK_STREAM, 0);

	cr_assert_geq(fd4, 0);
	cr_assert_geq(fd, 0);
	errno = 0;
	cr_assert_eq(setsc(fd, NULL, NON_PERSISTENT_IPV6_ADDRESS), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_eq(setsc(fd4, &src, NON_PERSISTENT_IPV6_ADDRESS), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_eq(setsc(-1, &src, NON_PERSISTENT_IPV6_ADDRESS), EAI_SYSTEM);
	cr_assert_eq(errno, EBADF);
	errno = 0;
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d4,
			      sizeof(d4), NULL),
		     EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL);
	/* so for Non-persistent, which does not use dst: a bad argument all
	 * the same (setsc(3)), as is a dstlen too short for a sockaddr_in6 */
	errno = 0;
	cr_assert_eq(setsc_to(fd, &src, NON_PERSISTENT_IPV6_ADDRESS, (struct sockaddr *)&d4,
			      sizeof(d4), NULL),
		     EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL);
	{
		struct sockaddr_in6 d6 = { .sin6_family = AF_INET6 };

		errno = 0;
		cr_assert_eq(setsc_to(fd, &src, NON_PERSISTENT_IPV6_ADDRESS,
				      (struct sockaddr *)&d6, 0, NULL),
			     EAI_SYSTEM);
		cr_assert_eq(errno, EINVAL);
	}
	/* a number that is no type */
	errno = 0;
	cr_assert_eq(setsc(fd, &src, (sc_type)0), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_eq(setsc(fd, &src, (sc_type)9), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_eq(getsc(fd, NULL, &t), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL);
	close(fd4);
	close(fd);
}

Test(api_setsc, unknown_cha_without_host_fails)
{
	struct sockaddr_in6 d = dst6("2001:db8:c0::10");
	struct in6_addr src;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	no_agent();
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), NULL),
		     EAI_REQUIREDIPFAILED);
	/* a destination known to have no CHA: the host's own anchors (the
	 * agent's to know; none here) */
	chacache_put_addr(chacache_by_addr(), &d.sin6_addr, NULL, 60, chacache_now_ms());
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), NULL),
		     EAI_REQUIREDIPFAILED);
	close(fd);
}

Test(api_setsc, agent_down_fails_within_100ms)
{
	struct sockaddr_in6 d = dst6("2001:db8:c0::10");
	struct in6_addr src, cha = A("2001:db8:ca::10");
	long long t0, us;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	no_agent();
	chacache_put_addr(chacache_by_addr(), &d.sin6_addr, &cha, 60, chacache_now_ms());
	t0 = now_us();
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), NULL),
		     EAI_REQUIREDIPFAILED);
	us = now_us() - t0;
	cr_log_info("setsc_to with no agent: %lld us", us);
	cr_assert_lt(us, 100000, "took %lld us", us);
	cr_assert_eq(fdtable_state(fdtable_global(0), fd), FDT_UNKNOWN, "nothing recorded");
	close(fd);
}

Test(api_setsc, held_lease_answers_at_once_and_getsc_reports_it)
{
	struct sockaddr_in6 d = dst6("2001:db8:c0::10");
	struct in6_addr src, got, cha = A("2001:db8:ca::10"), choa = A("2001:db8:c4a::7");
	long long t0, us;
	sc_type t = 0;
	int fd = socket(AF_INET6, SOCK_STREAM, 0), fd2 = socket(AF_INET6, SOCK_DGRAM, 0);

	no_agent(); /* an agent is not needed: the address is held */
	chacache_put_addr(chacache_by_addr(), &d.sin6_addr, &cha, 60, chacache_now_ms());
	cr_assert_eq(heldlease_note(SESSION_LASTING_IPV6_ADDRESS, IPPROTO_TCP, &cha, &choa, "7"), 0);
	t0 = now_us();
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), NULL),
		     0);
	us = now_us() - t0;
	cr_log_info("setsc_to with a held address: %lld us", us);
	cr_assert(IN6_ARE_ADDR_EQUAL(&src, &choa));
	cr_assert_eq(fdtable_state(fdtable_global(0), fd), FDT_LEASED);
	cr_assert_eq(getsc(fd, &got, &t), 0);
	cr_assert_eq(t, SESSION_LASTING_IPV6_ADDRESS);
	cr_assert(IN6_ARE_ADDR_EQUAL(&got, &choa));
	/* asked again: the same address; another type on it: EISCONN */
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), NULL),
		     0);
	cr_assert(IN6_ARE_ADDR_EQUAL(&src, &choa));
	/* bound to it, as the program does next (RFC 8653 section 4): still
	 * its address, not refused as a bound socket's (setsc(3)) */
	{
		struct sockaddr_in6 me = { .sin6_family = AF_INET6, .sin6_addr = choa };
		int one = 1;

		cr_assert_eq(setsockopt(fd, SOL_IPV6, IPV6_FREEBIND, &one, sizeof(one)), 0);
		cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0, "%s", strerror(errno));
	}
	memset(&src, 0, sizeof(src));
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), NULL),
		     0, "bound to its lease's address: %s", strerror(errno));
	cr_assert(IN6_ARE_ADDR_EQUAL(&src, &choa));
	errno = 0;
	cr_assert_eq(setsc(fd, &src, NON_PERSISTENT_IPV6_ADDRESS), EAI_SYSTEM);
	cr_assert_eq(errno, EISCONN);
	/* a number that is no type stays a bad argument on a leased socket */
	errno = 0;
	cr_assert_eq(setsc(fd, &src, (sc_type)9), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL, "errno %d", errno);
	errno = 0;
	cr_assert_eq(setsc(fd, &src, (sc_type)0), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL, "errno %d", errno);
	/* held for TCP only: a UDP socket must ask the agent, which is down */
	cr_assert_eq(setsc_to(fd2, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), NULL),
		     EAI_REQUIREDIPFAILED);
	close(fd2);
	close(fd);
}

/*
 * Too late for a type: a socket bound already (a listening one, a UDP one
 * that sent) or connected has its source (RFC 8653 §3: the type comes
 * before the address). EINVAL and EISCONN, whatever the type, and no
 * agent asked (there is none: that would be EAI_REQUIREDIPFAILED). Before,
 * the call leased an address the program could not bind any more, or
 * answered for a connection whose source it did not change.
 */
Test(api_setsc, a_bound_or_connected_socket_is_too_late_for_a_type)
{
	struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in6 d = dst6("2001:db8:c0::10");
	const sc_type types[] = { NON_PERSISTENT_IPV6_ADDRESS, SESSION_LASTING_IPV6_ADDRESS,
				  FIXED_IPV6_ADDRESS, GRACEFUL_REPLACEMENT_IPV6_ADDRESS };
	socklen_t l = sizeof(lo);
	struct in6_addr src;
	int bound = socket(AF_INET6, SOCK_DGRAM, 0), lst = socket(AF_INET6, SOCK_STREAM, 0);
	int conn = socket(AF_INET6, SOCK_DGRAM, 0), noport = socket(AF_INET6, SOCK_STREAM, 0);
	int one = 1;
	struct sockaddr_in6 lo0 = lo;

	cr_assert(bound >= 0 && lst >= 0 && conn >= 0 && noport >= 0);
	no_agent();
	/* bound to an address, its port left for connect to pick */
	cr_assert_eq(setsockopt(noport, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)), 0);
	cr_assert_eq(bind(noport, (struct sockaddr *)&lo0, sizeof(lo0)), 0);
	cr_assert_eq(bind(bound, (struct sockaddr *)&lo, sizeof(lo)), 0);
	cr_assert_eq(bind(lst, (struct sockaddr *)&lo, sizeof(lo)), 0);
	cr_assert_eq(listen(lst, 1), 0);
	cr_assert_eq(getsockname(bound, (struct sockaddr *)&lo, &l), 0);
	cr_assert_eq(connect(conn, (struct sockaddr *)&lo, sizeof(lo)), 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		errno = 0;
		cr_assert_eq(setsc(bound, &src, types[i]), EAI_SYSTEM, "%s",
			     odm_type_name(types[i]));
		cr_assert_eq(errno, EINVAL, "bound, %s: %s", odm_type_name(types[i]),
			     strerror(errno));
		errno = 0;
		cr_assert_eq(setsc(noport, &src, types[i]), EAI_SYSTEM, "%s",
			     odm_type_name(types[i]));
		cr_assert_eq(errno, EINVAL, "bound without a port, %s: %s",
			     odm_type_name(types[i]), strerror(errno));
		errno = 0;
		cr_assert_eq(setsc_to(lst, &src, types[i], (struct sockaddr *)&d, sizeof(d), NULL),
			     EAI_SYSTEM, "%s", odm_type_name(types[i]));
		cr_assert_eq(errno, EINVAL, "listening, %s: %s", odm_type_name(types[i]),
			     strerror(errno));
		errno = 0;
		cr_assert_eq(setsc(conn, &src, types[i]), EAI_SYSTEM, "%s",
			     odm_type_name(types[i]));
		cr_assert_eq(errno, EISCONN, "connected, %s: %s", odm_type_name(types[i]),
			     strerror(errno));
	}
	close(bound);
	close(lst);
	close(conn);
	close(noport);
}

Test(api_setsc, getsc_of_a_plain_socket_is_its_own_address)
{
	struct sockaddr_in6 me = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct in6_addr got;
	sc_type t = 0;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	cr_assert_eq(getsc(fd, &got, &t), 0);
	cr_assert_eq(t, NON_PERSISTENT_IPV6_ADDRESS);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&got), "unbound: ::");
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	cr_assert_eq(getsc(fd, &got, &t), 0);
	cr_assert_eq(t, NON_PERSISTENT_IPV6_ADDRESS);
	cr_assert(IN6_IS_ADDR_LOOPBACK(&got));
	close(fd);
}

/* The errno of a socket that is no AF_INET6 TCP or UDP one is EINVAL, not
 * what the program's last failed call left in errno */
Test(api_setsc, not_an_ipv6_socket_is_einval_whatever_errno_was)
{
	struct in6_addr src;
	sc_type t;
	int fd4 = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd4, 0);
	errno = EBADF;
	cr_assert_eq(setsc(fd4, &src, NON_PERSISTENT_IPV6_ADDRESS), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL, "%s", strerror(errno));
	errno = ENOTSOCK;
	cr_assert_eq(getsc(fd4, &src, &t), EAI_SYSTEM);
	cr_assert_eq(errno, EINVAL, "%s", strerror(errno));
	close(fd4);
}

/* An IPv4 destination (v4-mapped in its sockaddr_in6) can have no address
 * of an anchored type: refused at once, no lease asked for, even where its
 * name's cha answer is cached for it */
Test(api_setsc, an_ipv4_destination_has_no_anchored_type)
{
	struct sockaddr_in6 d = dst6("::ffff:198.18.10.10");
	struct in6_addr src, cha = A("2001:db8:ca::10");
	const sc_type anchored[] = { SESSION_LASTING_IPV6_ADDRESS, FIXED_IPV6_ADDRESS,
				     GRACEFUL_REPLACEMENT_IPV6_ADDRESS };
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	no_agent();
	chacache_put_addr(chacache_by_addr(), &d.sin6_addr, &cha, 60, chacache_now_ms());
	for (size_t i = 0; i < sizeof(anchored) / sizeof(anchored[0]); i++)
		cr_assert_eq(setsc_to(fd, &src, anchored[i], (struct sockaddr *)&d, sizeof(d), NULL),
			     EAI_REQUIREDIPNOTSUPPORTED, "type %d", anchored[i]);
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), "cnds.example.test"),
		     EAI_REQUIREDIPNOTSUPPORTED, "its name is not looked up");
	cr_assert_eq(fdtable_state(fdtable_global(0), fd), FDT_UNKNOWN, "nothing recorded");
	close(fd);
}

/* A number that is no type is a bad argument (EINVAL, setsc(3)) whatever
 * the destination: toward an IPv4-mapped one too, not "the type is not
 * offered here" */
Test(api_setsc, no_type_toward_an_ipv4_destination_is_still_einval)
{
	struct sockaddr_in6 d4 = dst6("::ffff:198.18.10.10");
	const int bad[] = { 0, 5, -1, 99 };
	struct in6_addr src;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	no_agent();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		cr_assert_eq(setsc_to(fd, &src, (sc_type)bad[i], (struct sockaddr *)&d4, sizeof(d4),
				      NULL),
			     EAI_SYSTEM, "type %d", bad[i]);
		cr_assert_eq(errno, EINVAL, "type %d: %s", bad[i], strerror(errno));
	}
	close(fd);
}

/*
 * setsc_to() with the host's name, the DNS silent (a server on [::1] that
 * never answers, in the test's own namespaces) once the name's answer for
 * the address has run out: the lookup gets no answer and the last answer
 * is served stale (RFC 8767), as for a connect (chalookup_stale), here the
 * address held for its CHA; before, the CHA was unknown and setsc_to()
 * failed (EAI_REQUIREDIPFAILED). Another name of the address does not get
 * that answer.
 */
Test(api_setsc, a_name_with_no_answer_has_its_last_cha_stale)
{
	struct sockaddr_in6 d = dst6("2001:db8:c0::10");
	struct in6_addr src, cha = A("2001:db8:ca::10"), choa = A("2001:db8:c4a::7");
	int fd, fd2, dns = test_resolv_ns_enter("nameserver ::1\n");

	no_agent(); /* the address is held: no agent needed */
	/* answered 10 s ago, for 2 s */
	chalookup_record("stale.example.test", &d.sin6_addr, 1, CHA_FOUND, &cha, 2,
			 chacache_now_ms() - 10000);
	cr_assert_eq(heldlease_note(SESSION_LASTING_IPV6_ADDRESS, IPPROTO_TCP, &cha, &choa, "7"), 0);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	fd2 = socket(AF_INET6, SOCK_STREAM, 0);
	cr_assert_eq(setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), "stale.example.test"),
		     0, "the last answer, stale");
	cr_assert(IN6_ARE_ADDR_EQUAL(&src, &choa));
	cr_assert_eq(setsc_to(fd2, &src, SESSION_LASTING_IPV6_ADDRESS, (struct sockaddr *)&d,
			      sizeof(d), "other.example.test"),
		     EAI_REQUIREDIPFAILED, "not another name's");
	close(fd2);
	close(fd);
	close(dns);
}

/*
 * Two threads ask setsc() for one socket at once, each a type of its own.
 * The scripted agent holds the first lease's answer for a second, so the
 * second call has found the socket without a lease before the first
 * records its own, and waits for the agent meanwhile. The socket keeps
 * the first lease; the second call is answered as a socket that had a
 * lease of another type (EISCONN, setsc(3)), and the address the agent
 * gave it, which no socket takes, is released. Before, both calls
 * answered 0, the second's lease replaced the first's on the socket, and
 * the first's stayed counted among the process's held leases after the
 * socket's close (no release hint: "still held by 1 socket(s)").
 */
static int race_lfd = -1;
static char race_got[2048];
static int race_held; /* the agent holds the first lease's answer (atomic) */

static void *race_agent(void *arg)
{
	char line[512];
	size_t n = 0;
	int c = accept(race_lfd, NULL, NULL), leases = 0;

	(void)arg;
	if (c < 0)
		return NULL;
	/* read lines until the release hint for the second address, or 5 s */
	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		char ch;

		if (poll(&p, 1, 5000) <= 0 || read(c, &ch, 1) != 1)
			break;
		if (n + 1 < sizeof(line))
			line[n++] = ch;
		if (ch != '\n')
			continue;
		line[n] = '\0';
		n = 0;
		strncat(race_got, line, sizeof(race_got) - strlen(race_got) - 1);
		if (strstr(line, "\"lease\"")) {
			const char *id = strstr(line, "\"id\":");
			char out[160];
			int len;

			if (leases++ == 0) {
				/* the first answer late: the second call waits */
				__atomic_store_n(&race_held, 1, __ATOMIC_RELEASE);
				sleep(1);
			}
			len = snprintf(out, sizeof(out),
				       "{\"id\":%lld,\"ok\":true,\"addr\":\"2001:db8:a1::%d\","
				       "\"lease\":\"%d\"}\n",
				       id ? atoll(id + 5) : 0, leases == 1 ? 7 : 8, leases);
			if (write(c, out, (size_t)len) != len)
				break;
		}
		if (strstr(line, "\"release\"") && strstr(line, "2001:db8:a1::8"))
			break;
	}
	close(c);
	return NULL;
}

struct race_call {
	int fd;
	sc_type type;
	int r, err;
	struct in6_addr src;
};

static void *race_call(void *arg)
{
	struct race_call *c = arg;

	c->r = setsc(c->fd, &c->src, c->type);
	c->err = errno;
	return NULL;
}

Test(api_setsc, two_threads_at_once_on_one_socket_leave_it_one_lease)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/odm-setsc-race-XXXXXX";
	struct race_call first = { .type = FIXED_IPV6_ADDRESS },
			 second = { .type = GRACEFUL_REPLACEMENT_IPV6_ADDRESS };
	struct in6_addr a7 = A("2001:db8:a1::7"), a8 = A("2001:db8:a1::8"), got;
	pthread_t agent, t1, t2;
	sc_type t = 0;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/agent.sock", dir);
	race_lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(race_lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(race_lfd, 4), 0);
	setenv("ODM_SOCKET", sun.sun_path, 1);
	pthread_create(&agent, NULL, race_agent, NULL);

	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	cr_assert_geq(fd, 0);
	first.fd = second.fd = fd;
	pthread_create(&t1, NULL, race_call, &first);
	/* the first is at the agent, held there for 1 s: then the second,
	 * whichever thread the scheduler runs first (at most 5 s) */
	for (int i = 0; i < 500 && !__atomic_load_n(&race_held, __ATOMIC_ACQUIRE); i++)
		usleep(10 * 1000);
	cr_assert(__atomic_load_n(&race_held, __ATOMIC_ACQUIRE), "the first lease never asked");
	pthread_create(&t2, NULL, race_call, &second);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	cr_assert_eq(first.r, 0);
	cr_assert(IN6_ARE_ADDR_EQUAL(&first.src, &a7));
	cr_assert_eq(second.r, EAI_SYSTEM, "the second call answered %d", second.r);
	cr_assert_eq(second.err, EISCONN);
	cr_assert_eq(getsc(fd, &got, &t), 0);
	cr_assert_eq(t, FIXED_IPV6_ADDRESS, "the socket's type is %d", t);
	cr_assert(IN6_ARE_ADDR_EQUAL(&got, &a7));
	cr_assert_eq(heldlease_held(&a7), 1, "the socket counted once on its address");
	cr_assert_eq(heldlease_held(&a8), 0, "the second lease is no socket's");
	pthread_join(agent, NULL);
	cr_assert(strstr(race_got, "\"release\",\"addr\":\"2001:db8:a1::8\""),
		  "the second lease was released: %s", race_got);
	close(fd);
	close(race_lfd);
	unlink(sun.sun_path);
	rmdir(dir);
}
