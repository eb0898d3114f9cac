/* SPDX-License-Identifier: MIT */
/*
 * setsc_fetch.c — RFC 8653 §4 as a program: ask for an address type for a
 * socket, bind it, connect, and fall back to a Non-persistent address when
 * the type is refused. Then fetch PATH from HOST PORT over HTTP/1.0 and copy
 * the body to standard output.
 *
 *   setsc_fetch [-t TYPE] [-n] [-p] [-x] HOST PORT PATH
 *
 *   -t TYPE  the type to ask for (default session-lasting); asked with
 *            setsc_to() toward HOST (and its name), so its CHA can anchor it
 *   -n       set IPV6_REQUIRE_SRC_ON_NET first: a fresh address, not a held one
 *   -p       ask with setsc() (no destination) instead of setsc_to()
 *   -x       only ask: print the answer, do not fall back, bind or connect
 *
 * On standard error, one line per call: "setsc TYPE -> ADDR" or
 * "setsc TYPE -> EAI_..." with the time the call took ("in N us"), then
 * "getsc -> TYPE ADDR" after bind. Exit 0 on success, 1 on an error, 2 on
 * bad usage, 3 with -x when the type was refused.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem(3): glibc declares it only then */
#endif
#include <arpa/inet.h>
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

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *result_name(int r)
{
	switch (r) {
	case EAI_REQUIREDIPNOTSUPPORTED:
		return "EAI_REQUIREDIPNOTSUPPORTED";
	case EAI_REQUIREDIPFAILED:
		return "EAI_REQUIREDIPFAILED";
	case EAI_SYSTEM:
		return "EAI_SYSTEM";
	default:
		return "unknown error";
	}
}

/* Ask for type on fd; print the answer. setsc's result. */
static int ask(int fd, int type, int plain, const struct addrinfo *ai, const char *host,
	       struct in6_addr *src)
{
	char buf[INET6_ADDRSTRLEN];
	long long t0 = now_us();
	int r;

	if (plain)
		r = setsc(fd, src, (sc_type)type);
	else
		r = setsc_to(fd, src, (sc_type)type, ai->ai_addr, ai->ai_addrlen, host);
	if (r == 0)
		fprintf(stderr, "setsc %s -> %s in %lld us\n", odm_type_name(type),
			inet_ntop(AF_INET6, src, buf, sizeof(buf)), now_us() - t0);
	else
		fprintf(stderr, "setsc %s -> %s in %lld us\n", odm_type_name(type),
			result_name(r), now_us() - t0);
	return r;
}

static int fetch(int fd, const char *host, const char *path)
{
	char buf[65536];
	size_t used = 0;
	ssize_t n;
	int in_body = 0;

	n = snprintf(buf, sizeof(buf), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
	if (n < 0 || (size_t)n >= sizeof(buf) || write(fd, buf, (size_t)n) != n)
		return -1;
	while ((n = read(fd, buf + used, sizeof(buf) - used)) > 0) {
		char *end;

		if (in_body) {
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				return -1;
			continue;
		}
		used += (size_t)n;
		end = memmem(buf, used, "\r\n\r\n", 4);
		if (!end) {
			if (used == sizeof(buf))
				return -1; /* headers too long */
			continue;
		}
		in_body = 1;
		end += 4;
		if (fwrite(end, 1, used - (size_t)(end - buf), stdout) != used - (size_t)(end - buf))
			return -1;
		used = 0;
	}
	return n == 0 && in_body && fflush(stdout) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;
	struct sockaddr_in6 me = { .sin6_family = AF_INET6 };
	struct in6_addr src;
	char buf[INET6_ADDRSTRLEN];
	int type = SESSION_LASTING_IPV6_ADDRESS, on_net = 0, plain = 0, only_ask = 0;
	int opt, fd, r, rc = 1;
	sc_type got;

	while ((opt = getopt(argc, argv, "t:npx")) != -1) {
		switch (opt) {
		case 't':
			type = odm_type_from_name(optarg);
			if (type < 0) {
				fprintf(stderr, "setsc_fetch: %s is not an address type\n", optarg);
				return 2;
			}
			break;
		case 'n':
			on_net = 1;
			break;
		case 'p':
			plain = 1;
			break;
		case 'x':
			only_ask = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 3)
		goto usage;
	r = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai);
	if (r != 0) {
		fprintf(stderr, "setsc_fetch: %s: %s\n", argv[optind], gai_strerror(r));
		return 1;
	}
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		goto out;
	}
	if (on_net) {
		int prefs = IPV6_REQUIRE_SRC_ON_NET;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, &prefs, sizeof(prefs)) != 0) {
			perror("setsockopt IPV6_REQUIRE_SRC_ON_NET");
			goto out;
		}
	}
	r = ask(fd, type, plain, ai, argv[optind], &src);
	if (only_ask) {
		rc = r == 0 ? 0 : r == EAI_SYSTEM ? 1 : 3;
		goto out;
	}
	/* RFC 8653 §4: refused, the program settles for the current network's address */
	if (r != 0 && type != NON_PERSISTENT_IPV6_ADDRESS)
		r = ask(fd, NON_PERSISTENT_IPV6_ADDRESS, 1, ai, argv[optind], &src);
	if (r != 0)
		goto out;
	me.sin6_addr = src;
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
		perror("bind");
		goto out;
	}
	if (getsc(fd, &src, &got) == 0)
		fprintf(stderr, "getsc -> %s %s\n", odm_type_name(got),
			inet_ntop(AF_INET6, &src, buf, sizeof(buf)));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		perror("connect");
		goto out;
	}
	if (fetch(fd, argv[optind], argv[optind + 2]) != 0) {
		perror("setsc_fetch: download");
		goto out;
	}
	close(fd);
	rc = 0;
out:
	/* every way out frees it, so a sanitized build reports no leak */
	freeaddrinfo(ai);
	return rc;
usage:
	fprintf(stderr, "usage: setsc_fetch [-t TYPE] [-n] [-p] [-x] HOST PORT PATH\n");
	return 2;
}
