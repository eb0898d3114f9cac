/* SPDX-License-Identifier: MIT */
/*
 * srcaddr.c — connect to HOST PORT over TCP and print the source address the
 * socket got. The program itself knows nothing of ODM; it is linked with
 * libodm, so its getaddrinfo() and connect() go through the shim, and the
 * address type the agent's policy (or $ODM_TYPE) gives it decides the source:
 *
 *   ODM_TYPE=session-lasting build/examples/srcaddr cn.example.test 80
 *   odmctl run --type session-lasting -- build/examples/srcaddr cn.example.test 80
 *
 * Toward a host with a Corresponding Home Agent (cha.<host> in DNS) a
 * Session-lasting socket gets an address from that anchor; otherwise the
 * host's plain address. Exit 0 on success, 1 on a lookup or connect error,
 * 2 on bad usage.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "odm.h"

int main(int argc, char **argv)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_in6 me;
	socklen_t len = sizeof(me);
	char local[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];
	const char *type = getenv("ODM_TYPE");
	int fd = -1, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: srcaddr HOST PORT\n");
		return 2;
	}
	if (type && odm_type_parse(type) < 0)
		fprintf(stderr, "srcaddr: ODM_TYPE=%s is not an address type (%s, %s, %s, %s)\n",
			type, odm_type_name(ODM_TYPE_FIXED), odm_type_name(ODM_TYPE_SESSION_LASTING),
			odm_type_name(ODM_TYPE_NON_PERSISTENT),
			odm_type_name(ODM_TYPE_GRACEFUL_REPLACEMENT));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(argv[1], argv[2], &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "srcaddr: %s: %s\n", argv[1], gai_strerror(rc));
		return 1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		fprintf(stderr, "srcaddr: cannot connect to %s port %s\n", argv[1], argv[2]);
		freeaddrinfo(res);
		return 1;
	}
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, peer, sizeof(peer));
	freeaddrinfo(res);
	if (getsockname(fd, (struct sockaddr *)&me, &len) != 0) {
		perror("srcaddr: getsockname");
		close(fd);
		return 1;
	}
	inet_ntop(AF_INET6, &me.sin6_addr, local, sizeof(local));
	printf("%s -> %s\n", local, peer);
	close(fd);
	return 0;
}
