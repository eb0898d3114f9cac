/* SPDX-License-Identifier: MIT */
/*
 * onnet_sock.c — two TCP sockets of one process toward HOST:PORT, the second
 * (onnet) or the first (onnetfirst) with IPV6_REQUIRE_SRC_ON_NET (RFC 8653
 * §6.2) set through
 * setsockopt(IPPROTO_IPV6, IPV6_ADDR_PREFERENCES) together with the RFC 5014
 * bit IPV6_PREFER_SRC_PUBLIC. Run under the shim by tests/net/test_onnet.sh.
 *
 *   onnet_sock HOST PORT reuse|onnet|onnetfirst HOLDFILE
 *
 * Prints "a ADDR" and "b ADDR" (each socket's source address after connect),
 * then "prefs-a 0x..", "prefs-b 0x.." and "prefs-dup 0x.." (what getsockopt
 * reports for the first socket, the second one and a dup of the second),
 * flushes, and keeps the sockets open until HOLDFILE exists (20 s at most),
 * so the test can look at the agents while the leases are in use.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPV6_ADDR_PREFERENCES
#define IPV6_ADDR_PREFERENCES 72
#endif
#ifndef IPV6_PREFER_SRC_PUBLIC
#define IPV6_PREFER_SRC_PUBLIC 0x0002
#endif
#ifndef IPV6_REQUIRE_SRC_ON_NET
#define IPV6_REQUIRE_SRC_ON_NET 0x8000
#endif

static int open_to(const struct addrinfo *ai, int on_net)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	int v = IPV6_PREFER_SRC_PUBLIC | IPV6_REQUIRE_SRC_ON_NET;

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	if (on_net && setsockopt(fd, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, &v, sizeof(v)) != 0) {
		perror("setsockopt IPV6_ADDR_PREFERENCES");
		exit(1);
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static void print_src(const char *name, int fd)
{
	struct sockaddr_in6 me;
	socklen_t l = sizeof(me);
	char buf[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&me, &l) != 0) {
		perror("getsockname");
		exit(1);
	}
	printf("%s %s\n", name, inet_ntop(AF_INET6, &me.sin6_addr, buf, sizeof(buf)));
}

static void print_prefs(const char *name, int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, &v, &l) != 0) {
		perror("getsockopt IPV6_ADDR_PREFERENCES");
		exit(1);
	}
	printf("%s 0x%x\n", name, (unsigned int)v);
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM }, *ai;
	int a, b, c, r;

	if (argc != 5 || (strcmp(argv[3], "reuse") != 0 && strcmp(argv[3], "onnet") != 0 &&
			  strcmp(argv[3], "onnetfirst") != 0)) {
		fprintf(stderr, "usage: onnet_sock HOST PORT reuse|onnet|onnetfirst HOLDFILE\n");
		return 2;
	}
	r = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (r != 0) {
		fprintf(stderr, "getaddrinfo %s: %s\n", argv[1], gai_strerror(r));
		return 1;
	}
	/* onnetfirst: the fresh socket first, then an ordinary one */
	a = open_to(ai, strcmp(argv[3], "onnetfirst") == 0);
	b = open_to(ai, strcmp(argv[3], "onnet") == 0);
	c = dup(b);
	print_src("a", a);
	print_src("b", b);
	print_prefs("prefs-a", a);
	print_prefs("prefs-b", b);
	print_prefs("prefs-dup", c);
	fflush(stdout);
	for (int i = 0; i < 200 && access(argv[4], F_OK) != 0; i++)
		usleep(100 * 1000);
	close(c);
	close(b);
	close(a);
	freeaddrinfo(ai);
	return 0;
}
