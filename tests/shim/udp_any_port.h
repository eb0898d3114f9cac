/* SPDX-License-Identifier: MIT */
/*
 * udp_any_port.h — a UDP socket bound to [::] and a free port, as a server
 * (or a service manager for one) binds it: the port is one a socket bound
 * to [::1]:0 was given. For the shim's test programs.
 */
#ifndef ODM_TEST_UDP_ANY_PORT_H
#define ODM_TEST_UDP_ANY_PORT_H

#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* the socket, or -1 (said on stderr, after who) */
static inline int udp_any_port(const char *who)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t l = sizeof(a);
	int probe = socket(AF_INET6, SOCK_DGRAM, 0), s;

	if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(probe, (struct sockaddr *)&a, &l) != 0) {
		fprintf(stderr, "%s: a free port: %m\n", who);
		return -1;
	}
	close(probe);
	a.sin6_addr = in6addr_any;
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "%s: bind [::]: %m\n", who);
		return -1;
	}
	return s;
}

#endif
