/* SPDX-License-Identifier: MIT */
/*
 * test_chalookup_wait.c — chalookup_wait_dst() against a DNS server that
 * never answers, in a network and mount namespace of the test's own
 * (resolv.conf names ::1, where a socket takes the queries and drops them):
 * a connect that waits on other threads' lookups of an address's names
 * comes back within its bound however many names they go on noting,
 * threads cancelled in the wait leave no lock held, and a name's last
 * answer is served stale when its lookup gets none.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chacache.h"
#include "chalookup.h"
#include "dnsanswer.h"
#include "resolvns.h"
#include "testaddr.h"
#include "watchdog.h"

static int silent_dns = -1;

/* The test process's own network (lo only) and files: /etc/resolv.conf
 * names ::1, where a bound socket that nobody reads swallows the queries */
static void silent_dns_up(void)
{
	silent_dns = test_resolv_ns_enter("nameserver ::1\n");
}

static const struct in6_addr *shared_dst(void)
{
	static struct in6_addr a;

	a = A("2001:db8:77::1");
	return &a;
}

static atomic_int stop, feeder_rounds, waiter_done, waiter_done_before_stop;

/* A thread resolving new names over and over, each to the shared address
 * and to one of the thread's own, and connecting to the latter (so it
 * never waits on the other feeder): each connect asks for the name, and
 * the lookup runs into its bound */
static void *feeder(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct in6_addr dst[2] = { *shared_dst(), A("2001:db8:77::100") };

	dst[1].s6_addr[15] = (uint8_t)id;
	for (int i = 0; !atomic_load(&stop); i++) {
		char name[64];
		int r;

		snprintf(name, sizeof(name), "v%d-%d.example.test", id, i);
		chalookup_defer(name, dst, 2);
		chalookup_wait_dst(&dst[1], &r, NULL);
		atomic_fetch_add(&feeder_rounds, 1);
	}
	return NULL;
}

static void *waiter(void *arg)
{
	int r;

	(void)arg;
	chalookup_wait_dst(shared_dst(), &r, NULL);
	atomic_store(&waiter_done_before_stop, !atomic_load(&stop));
	atomic_store(&waiter_done, 1);
	return NULL;
}

/*
 * Two threads take turns looking up names of one address (virtual hosting,
 * the DNS out of reach): a third connecting to it meanwhile has a bound on
 * its wait (chalookup.h: three lookups' worth) and must come back while
 * they go on; before, it slept on their lookups with no deadline, one
 * after the other, for as long as they went on.
 */
Test(chalookup_wait, bounded_while_other_threads_keep_asking)
{
	pthread_t f1, f2, w;

	silent_dns_up();
	cr_assert_eq(pthread_create(&f1, NULL, feeder, (void *)1), 0);
	usleep(800 * 1000);
	cr_assert_eq(pthread_create(&f2, NULL, feeder, (void *)2), 0);
	usleep(400 * 1000);
	cr_assert_eq(pthread_create(&w, NULL, waiter, NULL), 0);
	/* the feeders go on for twice the waiter's bound (and more) */
	for (int i = 0; i < 2 * 3 * CHALOOKUP_MAX_WAIT_MS / 100 + 20 && !atomic_load(&waiter_done); i++)
		usleep(100 * 1000);
	atomic_store(&stop, 1);
	pthread_join(w, NULL);
	pthread_join(f1, NULL);
	pthread_join(f2, NULL);
	cr_assert_gt(atomic_load(&feeder_rounds), 0, "the feeders asked");
	cr_assert(atomic_load(&waiter_done_before_stop),
		  "the connect waited as long as other threads went on asking (%d rounds)",
		  atomic_load(&feeder_rounds));
}

static atomic_int asker_in;

static void *asker(void *arg)
{
	int r;

	(void)arg;
	chalookup_defer("cancelled.example.test", shared_dst(), 1);
	atomic_store(&asker_in, 1);
	chalookup_wait_dst(shared_dst(), &r, NULL);
	return NULL;
}

static void *second_connect(void *arg)
{
	int r;

	(void)arg;
	chalookup_wait_dst(shared_dst(), &r, NULL);
	return NULL;
}

/*
 * connect() is a cancellation point (pthreads(7)), and a program may
 * cancel a thread stuck in it: a thread cancelled in the shim's wait for a
 * cha answer (its own lookup, or another thread's) must leave the lock
 * and the noted names as they were, not hold the lock for good (the
 * process's next getaddrinfo and connect hung) or a name claimed for good.
 */
Test(chalookup_wait, a_thread_cancelled_in_the_wait_leaves_no_lock_held)
{
	pthread_t a, w;
	int r = CHA_FOUND;

	unit_watchdog(30);

	silent_dns_up();
	cr_assert_eq(pthread_create(&a, NULL, asker, NULL), 0);
	while (!atomic_load(&asker_in))
		usleep(10 * 1000);
	usleep(200 * 1000);
	cr_assert_eq(pthread_create(&w, NULL, second_connect, NULL), 0);
	usleep(200 * 1000);
	/* one in c-ares's poll, one waiting on it */
	pthread_cancel(w);
	pthread_cancel(a);
	pthread_join(w, NULL);
	pthread_join(a, NULL);
	/* the process goes on: a getaddrinfo notes a name, a connect asks */
	chalookup_defer("after.example.test", shared_dst(), 1);
	cr_assert_eq(chalookup_wait_dst(shared_dst(), &r, NULL), 1);
	cr_assert_eq(r, CHA_MISS, "the DNS never answers: unknown");
}

/* --- a DNS server on ::1 that answers every query, each 300 ms late --- */

#define SLOW_MS 300
#define SLOW_MAX 64

struct slow_reply {
	uint64_t due;
	struct sockaddr_in6 to;
	size_t len;
	unsigned char buf[512];
};

static void *slow_dns(void *arg)
{
	static struct slow_reply q[SLOW_MAX];
	int fd = (int)(intptr_t)arg;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = chacache_now_ms();
		int next = 50;

		for (int i = 0; i < SLOW_MAX; i++) {
			if (!q[i].len)
				continue;
			if (q[i].due <= now) {
				sendto(fd, q[i].buf, q[i].len, 0, (struct sockaddr *)&q[i].to,
				       sizeof(q[i].to));
				q[i].len = 0;
			} else if ((int)(q[i].due - now) < next) {
				next = (int)(q[i].due - now);
			}
		}
		if (poll(&p, 1, next) == 1) {
			unsigned char in[512];
			struct sockaddr_in6 from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);

			for (int i = 0; n > 0 && i < SLOW_MAX; i++)
				if (!q[i].len) {
					q[i].len = dns_aaaa_answer(in, (size_t)n, q[i].buf, sizeof(q[i].buf),
								   NULL, 0);
					q[i].to = from;
					q[i].due = chacache_now_ms() + SLOW_MS;
					break;
				}
		}
	}
	return NULL;
}

static atomic_int noting;

/* Another thread resolving names of the shared address one after the
 * other (virtual hosting: all have the same cha), faster than their
 * lookups come back, and not connecting */
static void *noter(void *arg)
{
	(void)arg;
	for (int i = 0; i < 15; i++) {
		char name[64];

		snprintf(name, sizeof(name), "vhost%d.example.test", i);
		chalookup_defer(name, shared_dst(), 1);
		usleep(100 * 1000);
	}
	atomic_store(&noting, 0);
	return NULL;
}

/*
 * Names of an address noted while a connect asks for others (a program's
 * threads resolving its virtual hosts at once), all with the same cha: the
 * connect asks for them too, for as long as its bound lets it, and gets
 * the answer they agree on; before, it stopped after a second round with
 * names still to ask and took the answer for unknown (EADDRNOTAVAIL for a
 * program of a named type).
 */
Test(chalookup_wait, names_noted_meanwhile_are_asked_within_the_bound)
{
	pthread_t dns, t;
	struct in6_addr cha;
	int r = CHA_MISS;

	silent_dns_up();
	cr_assert_eq(pthread_create(&dns, NULL, slow_dns, (void *)(intptr_t)silent_dns), 0);
	pthread_detach(dns);
	atomic_store(&noting, 1);
	chalookup_defer("www.example.test", shared_dst(), 1);
	cr_assert_eq(pthread_create(&t, NULL, noter, NULL), 0);
	cr_assert_eq(chalookup_wait_dst(shared_dst(), &r, &cha), 1);
	cr_assert_eq(r, CHA_FOUND, "the answer all the names agree on (the noter %s)",
		     atomic_load(&noting) ? "still at it" : "done");
	pthread_join(t, NULL);
	assert_addr(&cha, "2001:db8:ca::1");
}

/*
 * A name libc resolved from /etc/hosts may hold a label longer than a DNS
 * label may be (63 octets, RFC 1035 §2.3.4): no cha record can be under
 * it, and c-ares refuses to ask it (ARES_EBADNAME). That is no CHA, at
 * once, as ares_search's EBADNAME was; not "no answer" (EADDRNOTAVAIL for
 * a program that named its type), the silent DNS never asked.
 */
Test(chalookup_wait, a_name_no_dns_can_carry_is_no_cha_at_once)
{
	char node[80];
	struct cha_query *q;
	uint64_t t0;
	int r;

	silent_dns_up();
	memset(node, 'a', 64);
	strcpy(node + 64, ".example.test");
	t0 = chacache_now_ms();
	q = chalookup_start(node);
	cr_assert_not_null(q, "c-ares is there");
	r = chalookup_finish(q, t0 + 500, NULL, NULL);
	cr_assert_eq(r, CHA_NONE, "a 64-octet label: no CHA (got %d)", r);
	cr_assert_lt(chacache_now_ms() - t0, 100, "at once, no query waited for");
	/* a short name too: every name of its search carries the label */
	node[64] = '\0';
	q = chalookup_start(node);
	cr_assert_not_null(q);
	cr_assert_eq(chalookup_finish(q, chacache_now_ms() + 500, NULL, NULL), CHA_NONE);
}

/*
 * The DNS silent once an answer's TTL has run out: the lookup gets no
 * answer, and the address has the last answer its name gave it again, for
 * CHALOOKUP_FAILED_RETRY_S (serve-stale, RFC 8767); before, it was
 * unknown (EADDRNOTAVAIL for a program that named its type, a connection
 * without its anchor for one that did not). Not another name's answer,
 * nor one whose TTL ran out longer than CHALOOKUP_STALE_MAX_S before.
 */
Test(chalookup_wait, a_lookup_with_no_answer_serves_the_last_one_stale)
{
	struct in6_addr dst = A("2001:db8:78::1"), other = A("2001:db8:78::2"), cha = A("2001:db8:ca::7"),
			got;
	uint64_t now;
	uint32_t left = 0;
	int r = CHA_MISS;

	silent_dns_up();
	now = chacache_now_ms();
	/* answered 10 s ago, for 2 s */
	chalookup_record("stale.example.test", &dst, 1, CHA_FOUND, &cha, 2, now - 10000);
	cr_assert_eq(chacache_get_addr(chacache_by_addr(), &dst, &got, NULL, now), CHA_MISS, "expired");
	chalookup_defer("stale.example.test", &dst, 1);
	cr_assert_eq(chalookup_wait_dst(&dst, &r, &got), 1);
	cr_assert_eq(r, CHA_FOUND, "the last answer, stale (got %d)", r);
	assert_addr(&got, "2001:db8:ca::7");
	now = chacache_now_ms();
	cr_assert_eq(chacache_get_addr(chacache_by_addr(), &dst, &got, &left, now), CHA_FOUND);
	cr_assert_leq(left, CHALOOKUP_FAILED_RETRY_S, "kept %u s", left);
	/* another name of the address: its own answer or none, not the stale one */
	chalookup_record("first.example.test", &other, 1, CHA_FOUND, &cha, 2, now - 10000);
	chalookup_defer("second.example.test", &other, 1);
	cr_assert_eq(chalookup_wait_dst(&other, &r, &got), 1);
	cr_assert_eq(r, CHA_MISS, "no answer of second's own (got %d)", r);
	/* stale for longer than the bound (where the clock has run that long) */
	now = chacache_now_ms();
	if (now > (uint64_t)CHALOOKUP_STALE_MAX_S * 1000 + 10000) {
		struct in6_addr old = A("2001:db8:78::3");

		chalookup_record("old.example.test", &old, 1, CHA_FOUND, &cha, 2,
				 now - (uint64_t)CHALOOKUP_STALE_MAX_S * 1000 - 5000);
		chalookup_defer("old.example.test", &old, 1);
		cr_assert_eq(chalookup_wait_dst(&old, &r, &got), 1);
		cr_assert_eq(r, CHA_MISS, "too old to serve (got %d)", r);
	}
}
