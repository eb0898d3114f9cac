/* SPDX-License-Identifier: MIT */
/*
 * graceful.c — a download over a Graceful-replacement address that reacts
 * to the host's move the way odm_events(3) intends: when the agent says the
 * address will go (the replacement address and the deadline), the program
 * opens a new connection from the replacement address and fetches PATH2
 * over it before the deadline, while the first download goes on over the
 * old address for as long as the grace period lasts.
 *
 *   graceful HOST PORT PATH PATH2
 *
 * Both fetches are HTTP/1.0 GETs; bodies are counted, not kept. On standard
 * output, one line per step, each with the CLOCK_MONOTONIC time in ms:
 *   "T bound ADDR"                  setsc(Graceful-replacement) gave ADDR
 *   "T event ADDR REPL DEADLINE"    the event (DEADLINE on the same clock)
 *   "T second REPL N"               the second fetch from REPL: N bytes
 *   "T first N how"                 the first fetch ended: N bytes, how
 *                                   ("eof" or the error)
 * Exit 0 when both fetches completed (the second before the deadline), 1
 * otherwise (also when nothing arrives for STALL_MS), 2 on bad usage, 3
 * when the type was refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "odm.h"

#define STALL_MS 10000 /* give up when no byte and no event came for this long */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP socket bound to src, connected to dst, GET path sent: fd or -1. */
static int fetch_start(const struct in6_addr *src, const struct sockaddr_in6 *dst,
		       const char *host, const char *path)
{
	struct sockaddr_in6 b = { .sin6_family = AF_INET6, .sin6_addr = *src };
	char req[512];
	int fd = socket(AF_INET6, SOCK_STREAM, 0), n;

	if (fd < 0)
		return -1;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (bind(fd, (struct sockaddr *)&b, sizeof(b)) < 0 ||
	    connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0 ||
	    n >= (int)sizeof(req) || write(fd, req, (size_t)n) != n) {
		perror("graceful: connection");
		close(fd);
		return -1;
	}
	return fd;
}

/* Read what is there from fd into the count: 1 more to come, 0 EOF, -1 error. */
static int drain(int fd, long long *bytes)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0)
		*bytes += n;
	return n > 0 ? 1 : n == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;
	struct odm_event ev = { 0 }, e;
	struct in6_addr src;
	struct pollfd p[3];
	char a[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
	long long first = 0, second = 0, second_done = 0;
	int fd, efd, fd2 = -1, rc, have_ev = 0, first_open = 1;
	const char *how = "eof";
	long long last = now_ms();

	if (argc != 5) {
		fprintf(stderr, "usage: graceful HOST PORT PATH PATH2\n");
		return 2;
	}
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0) {
		fprintf(stderr, "graceful: cannot resolve %s\n", argv[1]);
		return 1;
	}
	efd = odm_events_fd(); /* before the address: no event can be missed */
	if (efd < 0) {
		perror("graceful: odm_events_fd");
		return 1;
	}
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	rc = setsc(fd, &src, GRACEFUL_REPLACEMENT_IPV6_ADDRESS);
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "graceful: setsc: %d\n", rc);
		return 3;
	}
	printf("%lld bound %s\n", now_ms(), inet_ntop(AF_INET6, &src, a, sizeof(a)));
	fflush(stdout);
	fd = fetch_start(&src, (struct sockaddr_in6 *)ai->ai_addr, argv[1], argv[3]);
	if (fd < 0)
		return 1;
	while (first_open || fd2 >= 0) {
		int n = 0, i_first = -1, i_second = -1;

		p[n++] = (struct pollfd){ .fd = efd, .events = POLLIN }; /* -1: left out */
		if (first_open) {
			i_first = n;
			p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		}
		if (fd2 >= 0) {
			i_second = n;
			p[n++] = (struct pollfd){ .fd = fd2, .events = POLLIN };
		}
		if (poll(p, (nfds_t)n, 1000) < 0 && errno != EINTR)
			break;
		if (p[0].revents || (i_first >= 0 && p[i_first].revents) ||
		    (i_second >= 0 && p[i_second].revents))
			last = now_ms();
		if (now_ms() - last > STALL_MS) {
			printf("%lld stalled\n", now_ms());
			how = "stalled";
			break;
		}
		/* every event waiting, each time: one left unread would wake the
		 * poll at once for ever; the agent gone (EPIPE), no more come */
		while (p[0].revents && efd >= 0 && (rc = odm_event_read(efd, &e)) != 0) {
			if (rc < 0) {
				close(efd);
				efd = -1;
			} else if (!have_ev && IN6_ARE_ADDR_EQUAL(&e.addr, &src)) {
				ev = e;
				have_ev = 1;
				printf("%lld event %s %s %llu\n", now_ms(),
				       inet_ntop(AF_INET6, &ev.addr, a, sizeof(a)),
				       inet_ntop(AF_INET6, &ev.replacement, r, sizeof(r)),
				       (unsigned long long)ev.deadline_ms);
				fflush(stdout);
				fd2 = fetch_start(&ev.replacement, (struct sockaddr_in6 *)ai->ai_addr,
						  argv[1], argv[4]);
			}
		}
		if (i_first >= 0 && p[i_first].revents) {
			rc = drain(fd, &first);
			if (rc <= 0) {
				how = rc == 0 ? "eof" : strerror(errno);
				printf("%lld first %lld %s\n", now_ms(), first, how);
				fflush(stdout);
				close(fd);
				first_open = 0;
			}
		}
		if (i_second >= 0 && p[i_second].revents && drain(fd2, &second) <= 0) {
			second_done = now_ms();
			printf("%lld second %s %lld\n", second_done, r, second);
			fflush(stdout);
			close(fd2);
			fd2 = -1;
		}
	}
	if (efd >= 0)
		close(efd);
	freeaddrinfo(ai);
	return have_ev && second > 0 && second_done <= (long long)ev.deadline_ms &&
			       strcmp(how, "eof") == 0 ?
		       0 :
		       1;
}
