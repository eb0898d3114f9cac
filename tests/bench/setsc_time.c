/* SPDX-License-Identifier: MIT */
/*
 * setsc_time.c — what setsc_to() costs, linked with -lodm (no LD_PRELOAD):
 *   setsc_time HOST PORT N FRESH
 * One socket keeps a Session-lasting address toward HOST for the whole run.
 * Then, N times each, alternating: socket()+bind(access address)+close()
 * (plain), and socket()+setsc_to()+bind()+close() with the address held
 * (held). Then FRESH times socket()+IPV6_REQUIRE_SRC_ON_NET+setsc_to() (a
 * new CHoA from the anchor each time; those sockets stay open until the
 * end so each is its own binding). Prints, in microseconds:
 *   plain_us P held_us H added_us H-P first_us F fresh_us M
 * (means for plain/held, median for fresh, the first lease alone). Exit 1
 * when a call fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "odm.h"

#ifndef IPV6_ADDR_PREFERENCES
#define IPV6_ADDR_PREFERENCES 72
#endif
#define FRESH_MAX 16

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int bind_addr(int fd, const struct in6_addr *a)
{
	struct sockaddr_in6 me = { .sin6_family = AF_INET6, .sin6_addr = *a };

	return bind(fd, (struct sockaddr *)&me, sizeof(me));
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;
	struct in6_addr held, src, plain;
	double t0, first, plain_sum = 0, held_sum = 0, fresh[FRESH_MAX];
	int keep, fd, fds[FRESH_MAX], prefs = IPV6_REQUIRE_SRC_ON_NET;
	long n, nfresh, i;

	if (argc != 5)
		return fprintf(stderr, "usage: setsc_time HOST PORT N FRESH\n"), 2;
	n = atol(argv[3]);
	nfresh = atol(argv[4]);
	if (n < 1 || nfresh < 1 || nfresh > FRESH_MAX || getaddrinfo(argv[1], argv[2], &hints, &ai))
		return fprintf(stderr, "setsc_time: bad arguments\n"), 2;
	keep = socket(AF_INET6, SOCK_STREAM, 0);
	t0 = now_us();
	if (setsc_to(keep, &held, SESSION_LASTING_IPV6_ADDRESS, ai->ai_addr, ai->ai_addrlen,
		     argv[1]) != 0 || bind_addr(keep, &held) != 0)
		return fprintf(stderr, "setsc_time: no Session-lasting address: %s\n",
			       strerror(errno)), 1;
	first = now_us() - t0;
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (setsc(fd, &plain, NON_PERSISTENT_IPV6_ADDRESS) != 0)
		return fprintf(stderr, "setsc_time: no access address\n"), 1;
	close(fd);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (bind_addr(fd, &plain) != 0)
			return perror("bind plain"), 1;
		close(fd);
		plain_sum += now_us() - t0;
		t0 = now_us();
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (setsc_to(fd, &src, SESSION_LASTING_IPV6_ADDRESS, ai->ai_addr, ai->ai_addrlen,
			     argv[1]) != 0 || !IN6_ARE_ADDR_EQUAL(&src, &held) || bind_addr(fd, &src))
			return fprintf(stderr, "setsc_time: held address not reused\n"), 1;
		close(fd);
		held_sum += now_us() - t0;
	}
	for (i = 0; i < nfresh; i++) {
		fds[i] = socket(AF_INET6, SOCK_STREAM, 0);
		setsockopt(fds[i], IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, &prefs, sizeof(prefs));
		t0 = now_us();
		if (setsc_to(fds[i], &src, SESSION_LASTING_IPV6_ADDRESS, ai->ai_addr,
			     ai->ai_addrlen, argv[1]) != 0 || bind_addr(fds[i], &src) != 0)
			return fprintf(stderr, "setsc_time: fresh address %ld failed\n", i), 1;
		fresh[i] = now_us() - t0;
	}
	qsort(fresh, (size_t)nfresh, sizeof(fresh[0]), cmp);
	printf("plain_us %.1f held_us %.1f added_us %.1f first_us %.0f fresh_us %.0f\n",
	       plain_sum / n, held_sum / n, (held_sum - plain_sum) / n, first,
	       fresh[(nfresh - 1) / 2]);
	for (i = 0; i < nfresh; i++)
		close(fds[i]);
	close(keep);
	freeaddrinfo(ai);
	return 0;
}
