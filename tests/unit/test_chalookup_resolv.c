/* SPDX-License-Identifier: MIT */
/*
 * test_chalookup_resolv.c — the cha lookups follow /etc/resolv.conf when
 * it changes, as getaddrinfo(3) does (a move: the new network's DNS server
 * and search list, the old server out of reach from the new link), in a
 * network and mount namespace of the test's own: resolv.conf is a file of
 * the test's bind-mounted there, rewritten in place as a network manager
 * does; ::1 port 53 is a socket nobody reads (the old server, silent) and
 * 127.0.0.1 port 53 a server answering every AAAA question, after a delay.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chacache.h"
#include "chalookup.h"
#include "dnsanswer.h"
#include "resolvns.h"
#include "testaddr.h"
#include "watchdog.h"

static int silent_fd = -1, answer_fd = -1;
static atomic_int answer_delay_ms;

/* the names the answering server was asked, in order */
static pthread_mutex_t asked_lock = PTHREAD_MUTEX_INITIALIZER;
static char asked[16][256];
static int nasked;

static void note_asked(const char *name)
{
	pthread_mutex_lock(&asked_lock);
	if (nasked < 16)
		memcpy(asked[nasked++], name, strlen(name) + 1);
	pthread_mutex_unlock(&asked_lock);
}

/* /etc/resolv.conf rewritten in place with text (the bind mount holds the
 * file's inode: a rename over it would not be seen through it) */
static void resolv_write(const char *text)
{
	int fd = open("/etc/resolv.conf", O_WRONLY | O_TRUNC | O_CLOEXEC);

	cr_assert_geq(fd, 0, "/etc/resolv.conf: %s", strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The namespaces (resolvns.h), /etc/resolv.conf holding resolv; the
 * answering server's socket on 127.0.0.1 port 53 */
static void namespaces_up(const char *resolv)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(53) };

	unit_watchdog(30);
	silent_fd = test_resolv_ns_enter(resolv);
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	answer_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(answer_fd, 0);
	cr_assert_eq(bind(answer_fd, (struct sockaddr *)&s4, sizeof(s4)), 0);
}

/* Answers each query answer_delay_ms after it came, one at a time */
static void *answering_dns(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned char in[512], out[512];
		char name[256];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(answer_fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		size_t len;

		if (n <= 0)
			continue;
		len = dns_aaaa_answer(in, (size_t)n, out, sizeof(out), name, sizeof(name));
		if (!len)
			continue;
		note_asked(name);
		usleep((useconds_t)atomic_load(&answer_delay_ms) * 1000);
		sendto(answer_fd, out, len, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void answering_dns_up(int delay_ms)
{
	pthread_t t;

	atomic_store(&answer_delay_ms, delay_ms);
	cr_assert_eq(pthread_create(&t, NULL, answering_dns, NULL), 0);
	pthread_detach(t);
}

/* node's cha, waited for wait_ms at most */
static int lookup_for(const char *node, struct in6_addr *cha, uint64_t wait_ms)
{
	struct cha_query *q = chalookup_start(node);
	uint32_t ttl;

	cr_assert_not_null(q, "c-ares is there");
	return chalookup_finish(q, chacache_now_ms() + wait_ms, cha, &ttl);
}

static int lookup(const char *node, struct in6_addr *cha)
{
	return lookup_for(node, cha, CHALOOKUP_MAX_WAIT_MS);
}

static int was_asked(const char *name)
{
	int yes = 0;

	pthread_mutex_lock(&asked_lock);
	for (int i = 0; i < nasked; i++)
		yes |= strcmp(asked[i], name) == 0;
	pthread_mutex_unlock(&asked_lock);
	return yes;
}

/*
 * A process that looked a name up on the old network (its server silent
 * now, out of reach from the new link) and again after the move, once
 * resolv.conf names the new network's server and search list: the second
 * lookup asks the new server, under the new search list, and finds the
 * cha; the lookups the old server left unanswered (one given up before
 * c-ares gave up on it, as a process told by the agent to skip it does,
 * chashare.h, and one that c-ares timed out) do not hold the old channel.
 * Before, the channel made at the first lookup kept the old server
 * (and search list) for the process's life: every later lookup waited its
 * 2 s for nothing and a program of a named type got EADDRNOTAVAIL, while
 * its getaddrinfo(3) went on resolving.
 */
Test(chalookup_resolv, a_rewritten_resolv_conf_is_followed)
{
	struct in6_addr cha;
	int r;

	namespaces_up("nameserver ::1\nsearch old.test\n");
	answering_dns_up(0);
	r = lookup_for("skipped", &cha, 200);
	cr_assert_eq(r, -ETIMEDOUT, "the old server is silent (got %d)", r);
	r = lookup("www", &cha);
	cr_assert_eq(r, -ETIMEDOUT, "the old server is silent (got %d)", r);
	resolv_write("nameserver 127.0.0.1\nsearch new.test\n");
	r = lookup("www", &cha);
	cr_assert_eq(r, CHA_FOUND, "the new server answers (got %d)", r);
	assert_addr(&cha, "2001:db8:ca::1");
	cr_assert(was_asked("cha.www.new.test"), "asked under the new search list");
}

static atomic_int waiter_result = 1;

static void *waiter(void *arg)
{
	struct in6_addr cha;

	atomic_store(&waiter_result, lookup((const char *)arg, &cha));
	return NULL;
}

/*
 * resolv.conf changes while a lookup is out (its server still the one
 * named): the lookup is not cut off (its waiter would take the answer for
 * unknown), and the change is followed by the first lookup once nobody
 * waits on the old channel.
 */
Test(chalookup_resolv, a_lookup_out_when_it_changes_goes_on)
{
	struct in6_addr cha;
	pthread_t t;
	int r;

	namespaces_up("nameserver 127.0.0.1\nsearch old.test\n");
	answering_dns_up(400);
	cr_assert_eq(pthread_create(&t, NULL, waiter, "first"), 0);
	usleep(150 * 1000);
	resolv_write("nameserver 127.0.0.1\nsearch new.test\n");
	/* a second lookup meanwhile: asked on the old channel, not cutting
	 * the first one off */
	r = lookup("second", &cha);
	cr_assert_eq(r, CHA_FOUND, "the second lookup (got %d)", r);
	pthread_join(t, NULL);
	cr_assert_eq(atomic_load(&waiter_result), CHA_FOUND,
		     "the lookup out when resolv.conf changed (got %d)", atomic_load(&waiter_result));
	cr_assert(was_asked("cha.first.old.test"));
	r = lookup("third", &cha);
	cr_assert_eq(r, CHA_FOUND, "the third lookup (got %d)", r);
	cr_assert(was_asked("cha.third.new.test"), "the change followed once nobody waited");
}

/* A DNS server over TCP only (RFC 7766) on 127.0.0.1 port 53, nothing on
 * its UDP port: each query (two bytes of length, then the message)
 * answered as the UDP server does, on its connection */
static void *tcp_dns(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			continue;
		for (;;) {
			unsigned char in[514], out[514];
			char name[256];
			size_t got = 0, want = 2, len;
			ssize_t r;

			while (got < want) {
				r = read(c, in + got, want - got);
				if (r <= 0)
					break;
				got += (size_t)r;
				if (got == 2)
					want = 2 + (size_t)(in[0] << 8 | in[1]);
				if (want > sizeof(in))
					break;
			}
			if (got < want || want <= 2)
				break;
			len = dns_aaaa_answer(in + 2, want - 2, out + 2, sizeof(out) - 2, name,
					      sizeof(name));
			if (!len)
				break;
			note_asked(name);
			out[0] = (unsigned char)(len >> 8);
			out[1] = (unsigned char)len;
			if (write(c, out, len + 2) != (ssize_t)(len + 2))
				break;
		}
		close(c);
	}
	return NULL;
}

/*
 * resolv.conf says "options use-vc" (resolv.conf(5): the C library asks
 * over TCP; a network whose DNS is reached over TCP only): the cha lookup
 * asks over TCP too, and finds the record. Before, c-ares (1.18 knows no
 * such option) asked over UDP, which nobody served: no CHA, while
 * getaddrinfo(3) resolved the names.
 */
Test(chalookup_resolv, options_use_vc_asks_over_tcp)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct in6_addr cha;
	pthread_t t;
	int lfd, r;

	unit_watchdog(30);
	silent_fd = test_resolv_ns_enter("nameserver 127.0.0.1\noptions use-vc\n");
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&s4, sizeof(s4)), 0);
	cr_assert_eq(listen(lfd, 8), 0);
	cr_assert_eq(pthread_create(&t, NULL, tcp_dns, (void *)(intptr_t)lfd), 0);
	pthread_detach(t);
	r = lookup("www.example.test", &cha);
	cr_assert_eq(r, CHA_FOUND, "the server over TCP answers (got %d)", r);
	assert_addr(&cha, "2001:db8:ca::1");
	cr_assert(was_asked("cha.www.example.test"));
}
