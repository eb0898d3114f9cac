/* SPDX-License-Identifier: MIT */
/*
 * own_ipc_main.c — a program with names libodm uses internally, both ways:
 *
 *   - its library (own_ipc.c) defines ipc_call() and calls it: prints what
 *     that call returned, which must be the library's own 4242;
 *   - the program itself defines ipc_socket_path() and is linked with
 *     -rdynamic, so the name is in its dynamic symbol table: if the shim
 *     looked its own ipc_socket_path() up dynamically it would get this one
 *     when it contacts the agent. The program connects a UDP socket to a
 *     documentation address (RFC 3849; a UDP connect sends nothing), which
 *     makes the shim ask the agent for the type, and prints how often its
 *     ipc_socket_path() was called: it never calls it itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int own_ipc_result(void);
const char *ipc_socket_path(void);

static int path_calls;

const char *ipc_socket_path(void)
{
	path_calls++;
	return "/nonexistent/odm-hijacked.sock";
}

int main(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET6, "2001:db8::1", &a.sin6_addr) != 1) {
		perror("socket");
		return 1;
	}
	/* unreachable without a route: only the shim's decision matters here */
	(void)connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	printf("ipc_call -> %d\n", own_ipc_result());
	printf("ipc_socket_path calls %d\n", path_calls);
	return 0;
}
