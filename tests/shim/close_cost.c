/* SPDX-License-Identifier: MIT */
/*
 * close_cost.c — what close(), dup() and socket() of fds the shim has no
 * entry for cost under it: they must not make a syscall of their own. The
 * program defines getpid() itself (built with -rdynamic, so the shim's
 * calls come here: ownpid_foreign() is a getpid() syscall each) and counts
 * the calls made while it opens, dups and closes 100 fds, with a UDP server
 * socket bound to [::] and a port open (so the shim's reply-source table,
 * replysrc.h, exists), then while that server receives 100 datagrams
 * from [::1] and answers each (sendto). Prints "getpid calls: N" and
 * "server datagrams' getpid calls: N" and exits 0; exits 1 when the
 * counting or a socket did not work.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "udp_any_port.h"

static long calls;

pid_t getpid(void)
{
	calls++;
	return (pid_t)syscall(SYS_getpid);
}

int main(void)
{
	struct sockaddr_in6 a, ca = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t l;
	int srv, f, c, v = 0;
	long before;

	before = calls;
	getpid();
	if (calls != before + 1) {
		fprintf(stderr, "close_cost: getpid() not counted\n");
		return 1;
	}
	srv = udp_any_port("close_cost");
	if (srv < 0)
		return 1;
	/* (a first receive: the shim sets IPV6_RECVPKTINFO; its table exists) */
	(void)recvfrom(srv, &v, sizeof(v), MSG_DONTWAIT, NULL, NULL);
	l = sizeof(v);
	v = 0;
	if (syscall(SYS_getsockopt, srv, IPPROTO_IPV6, IPV6_RECVPKTINFO, &v, &l) != 0 || v != 1)
		fprintf(stderr, "close_cost: no IPV6_RECVPKTINFO on the server socket\n");
	f = open("/proc/self/stat", O_RDONLY);
	if (f < 0) {
		perror("close_cost: open");
		return 1;
	}
	before = calls;
	for (int i = 0; i < 100; i++) {
		int d = dup(f), s = socket(AF_INET6, SOCK_DGRAM, 0);

		close(d);
		close(s);
	}
	printf("getpid calls: %ld\n", calls - before);

	/* and 100 datagrams the server receives and answers */
	l = sizeof(a);
	if (getsockname(srv, (struct sockaddr *)&a, &l) != 0 || (c = socket(AF_INET6, SOCK_DGRAM, 0)) < 0 ||
	    bind(c, (struct sockaddr *)&ca, sizeof(ca)) != 0) {
		perror("close_cost: client");
		return 1;
	}
	a.sin6_addr = in6addr_loopback;
	before = calls;
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in6 from;
		char b;

		l = sizeof(from);
		if (sendto(c, "q", 1, 0, (struct sockaddr *)&a, sizeof(a)) != 1 ||
		    recvfrom(srv, &b, 1, 0, (struct sockaddr *)&from, &l) != 1 ||
		    sendto(srv, "a", 1, 0, (struct sockaddr *)&from, l) != 1 || recv(c, &b, 1, 0) != 1) {
			perror("close_cost: echo");
			return 1;
		}
	}
	printf("server datagrams' getpid calls: %ld\n", calls - before);
	return 0;
}
