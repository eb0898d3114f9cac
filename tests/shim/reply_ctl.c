/* SPDX-License-Identifier: MIT */
/*
 * reply_ctl.c ADDR SPARE — a UDP server bound to [::]:4711 receives a
 * datagram sent from [::1] to ADDR (a deprecated address of the host, as
 * ODM's are) and answers it with sendmsg() and a control message of its
 * own (IPV6_TCLASS 0x20), its msg_controllen SPARE bytes longer than that
 * message (left unread by the kernel: less than a header). Prints what
 * sendmsg() returned and the source the answer came from; under the shim
 * (replysrc.h) that is ADDR. Exits 1 when a step failed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(4711) }, d, from;
	struct sockaddr_in6 ca = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	union {
		struct cmsghdr h;
		unsigned char b[256];
	} u;
	struct iovec iov = { .iov_base = "a", .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b };
	socklen_t l = sizeof(from);
	int s, c, tc = 0x20;
	char buf[64], ab[INET6_ADDRSTRLEN];
	ssize_t r;

	if (argc != 3) {
		fprintf(stderr, "usage: reply_ctl ADDR SPARE\n");
		return 1;
	}
	d = a;
	if (inet_pton(AF_INET6, argv[1], &d.sin6_addr) != 1) {
		fprintf(stderr, "reply_ctl: bad address %s\n", argv[1]);
		return 1;
	}
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	c = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s < 0 || c < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    bind(c, (struct sockaddr *)&ca, sizeof(ca)) != 0) {
		perror("reply_ctl: socket");
		return 1;
	}
	if (sendto(c, "q", 1, 0, (struct sockaddr *)&d, sizeof(d)) != 1 ||
	    recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &l) != 1) {
		perror("reply_ctl: request");
		return 1;
	}
	/* IPV6_TCLASS, then SPARE bytes the kernel leaves unread (ones) */
	memset(u.b, 0xff, sizeof(u.b));
	u.h.cmsg_len = CMSG_LEN(sizeof(tc));
	u.h.cmsg_level = IPPROTO_IPV6;
	u.h.cmsg_type = IPV6_TCLASS;
	memcpy(CMSG_DATA(&u.h), &tc, sizeof(tc));
	m.msg_name = &from;
	m.msg_namelen = l;
	m.msg_controllen = CMSG_SPACE(sizeof(tc)) + (size_t)atoi(argv[2]);
	r = sendmsg(s, &m, 0);
	printf("sendmsg: %zd\n", r);
	if (r < 0)
		perror("reply_ctl: sendmsg");
	l = sizeof(from);
	if (recvfrom(c, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &l) != 1) {
		perror("reply_ctl: answer");
		return 1;
	}
	printf("answer from %s\n", inet_ntop(AF_INET6, &from.sin6_addr, ab, sizeof(ab)));
	return 0;
}
