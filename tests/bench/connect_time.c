/* SPDX-License-Identifier: MIT */
/*
 * connect_time.c — mean cost of socket()+connect()+close() to a local TCP
 * listener, N times, in nanoseconds per iteration. Run with and without
 * LD_PRELOAD=libodm.so to see what the shim adds to a non-persistent socket.
 *   connect_time ADDR PORT N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	struct timespec t0, t1;
	long n;

	if (argc != 4) {
		fprintf(stderr, "usage: connect_time ADDR PORT N\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET6, argv[1], &sa.sin6_addr) != 1) {
		fprintf(stderr, "connect_time: bad address %s\n", argv[1]);
		return 2;
	}
	n = atol(argv[3]);
	if (n <= 0 || n > 1000000) {
		fprintf(stderr, "connect_time: N must be 1..1000000\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			perror("connect_time");
			return 1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld\n", (long)(((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec)) / n));
	return 0;
}
