/* SPDX-License-Identifier: MIT */
/*
 * bound_exec.c bind|recv — binds a UDP socket to [::] and a free port (as
 * a service manager or inetd does for the server it then executes) and
 * executes itself with it: with "recv" it first receives on it once
 * (MSG_DONTWAIT, nothing there). The executed child reads the socket's
 * IPV6_RECVPKTINFO with a raw getsockopt (the shim's hook would say 0),
 * sends the socket a datagram from [::1] and receives it with recvmsg()
 * and 64 bytes of control room, and prints
 *   child: IPV6_RECVPKTINFO V, control messages N
 * Exits 1 when a step failed.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "udp_any_port.h"

static int child(int fd)
{
	struct sockaddr_in6 a, ca = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t l = sizeof(a);
	union {
		struct cmsghdr h;
		unsigned char b[64];
	} u;
	char buf[16];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b) };
	int c, v = -1, n = 0;

	if (getsockname(fd, (struct sockaddr *)&a, &l) != 0) {
		perror("bound_exec: child getsockname");
		return 1;
	}
	l = sizeof(v);
	if (syscall(SYS_getsockopt, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &v, &l) != 0) {
		perror("bound_exec: child getsockopt");
		return 1;
	}
	a.sin6_addr = in6addr_loopback;
	c = socket(AF_INET6, SOCK_DGRAM, 0);
	if (c < 0 || bind(c, (struct sockaddr *)&ca, sizeof(ca)) != 0 ||
	    sendto(c, "q", 1, 0, (struct sockaddr *)&a, sizeof(a)) != 1 || recvmsg(fd, &m, 0) != 1) {
		perror("bound_exec: child datagram");
		return 1;
	}
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
		n++;
	printf("child: IPV6_RECVPKTINFO %d, control messages %d\n", v, n);
	return 0;
}

int main(int argc, char **argv)
{
	char fds[16], buf[16];
	int s;

	if (argc == 3 && !strcmp(argv[1], "child"))
		return child(atoi(argv[2]));
	if (argc != 2 || (strcmp(argv[1], "bind") && strcmp(argv[1], "recv"))) {
		fprintf(stderr, "usage: bound_exec bind|recv\n");
		return 1;
	}
	s = udp_any_port("bound_exec");
	if (s < 0)
		return 1;
	if (!strcmp(argv[1], "recv"))
		(void)recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL);
	snprintf(fds, sizeof(fds), "%d", s);
	execl("/proc/self/exe", "bound_exec", "child", fds, (char *)NULL);
	perror("bound_exec: execl");
	return 1;
}
