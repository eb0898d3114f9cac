/* SPDX-License-Identifier: MIT */
/*
 * onnet.c — IPV6_REQUIRE_SRC_ON_NET (RFC 8653 §6.2) as a program: what a
 * socket gets when it asks for an address of a type the host already holds,
 * with and without the flag.
 *
 *   onnet [-t TYPE] HOST PORT
 *
 * Opens three TCP sockets toward HOST PORT, each asking with setsc_to() for
 * an address of TYPE (default session-lasting), binding it and connecting:
 *   1. the first gets an address (a new one, if the host held none);
 *   2. the second asks the same way and is given the same address: an
 *      address of that type the host holds already is reused, at once;
 *   3. the third sets IPV6_REQUIRE_SRC_ON_NET in IPV6_ADDR_PREFERENCES
 *      first, so the network is asked for a fresh address of its own.
 * Prints one line per socket, "socket N ADDR (new|same as 1|fresh)", then
 * keeps the three connections open until standard input ends (so their
 * addresses can be looked at meanwhile) and closes them.
 *
 * Exit 0 when the second socket shared the first one's address and the
 * third did not; 1 on an error or when that did not happen; 2 on bad usage.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "odm.h"

#ifndef IPV6_ADDR_PREFERENCES
#define IPV6_ADDR_PREFERENCES 72
#endif

#define N_SOCKETS 3

/* One socket with an address of type toward ai; fd or -1. */
static int open_one(int n, int type, int on_net, const struct addrinfo *ai, const char *host,
		    struct in6_addr *src)
{
	struct sockaddr_in6 me = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), r;

	if (fd < 0) {
		perror("socket");
		return -1;
	}
	if (on_net) {
		int prefs = IPV6_REQUIRE_SRC_ON_NET;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, &prefs, sizeof(prefs))) {
			perror("setsockopt IPV6_REQUIRE_SRC_ON_NET");
			goto fail;
		}
	}
	r = setsc_to(fd, src, (sc_type)type, ai->ai_addr, ai->ai_addrlen, host);
	if (r != 0) {
		fprintf(stderr, "onnet: socket %d: setsc_to %s: %s\n", n, odm_type_name(type),
			r == EAI_REQUIREDIPNOTSUPPORTED ? "EAI_REQUIREDIPNOTSUPPORTED" :
			r == EAI_REQUIREDIPFAILED	? "EAI_REQUIREDIPFAILED" :
							  "EAI_SYSTEM");
		goto fail;
	}
	/* the application binds what it was given (RFC 8653 §4) */
	me.sin6_addr = *src;
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
		perror("bind");
		goto fail;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		perror("connect");
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;
	struct in6_addr src[N_SOCKETS];
	int fds[N_SOCKETS], type = SESSION_LASTING_IPV6_ADDRESS, opt, r, ok;
	char buf[INET6_ADDRSTRLEN], c;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't' || (type = odm_type_from_name(optarg)) < 0)
			goto usage;
	}
	if (argc - optind != 2)
		goto usage;
	r = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai);
	if (r != 0) {
		fprintf(stderr, "onnet: %s: %s\n", argv[optind], gai_strerror(r));
		return 1;
	}
	for (int i = 0; i < N_SOCKETS; i++) {
		const char *how = "new";

		/* only the last one asks for an address of its own */
		fds[i] = open_one(i + 1, type, i == N_SOCKETS - 1, ai, argv[optind], &src[i]);
		if (fds[i] < 0)
			return 1;
		if (i > 0 && memcmp(&src[i], &src[0], sizeof(src[0])) == 0)
			how = "same as 1";
		else if (i > 0)
			how = "fresh";
		printf("socket %d %s (%s)\n", i + 1, inet_ntop(AF_INET6, &src[i], buf, sizeof(buf)),
		       how);
	}
	freeaddrinfo(ai);
	fflush(stdout);
	ok = memcmp(&src[1], &src[0], sizeof(src[0])) == 0 &&
	     memcmp(&src[2], &src[0], sizeof(src[0])) != 0;
	/* hold the connections until told to let go */
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	for (int i = 0; i < N_SOCKETS; i++)
		close(fds[i]);
	return ok ? 0 : 1;
usage:
	fprintf(stderr, "usage: onnet [-t TYPE] HOST PORT\n");
	return 2;
}
