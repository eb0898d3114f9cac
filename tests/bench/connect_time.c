/* SPDX-License-Identifier: MIT */
/*
 * connect_time.c — cost of socket()+connect()+close() to a local TCP
 * listener, in nanoseconds: the process's first one alone (where the shim
 * learns its type from the agent, once), then the mean of N more. Run with
 * and without LD_PRELOAD=libodm.so to see what the shim adds to a
 * non-persistent socket. Prints "MEAN_NS FIRST_NS". Each socket is closed
 * with SO_LINGER 0 (a reset, no TIME_WAIT), so runs of thousands neither
 * run short of ephemeral ports nor slow each other down with a growing
 * table of closed connections.
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

/* ns that count socket()+connect()+close() rounds took, or -1 (said) */
static long connects_ns(const struct sockaddr_in6 *sa, long count)
{
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		int fd = socket(AF_INET6, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) != 0) {
			perror("connect_time");
			return -1;
		}
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	long n, first, rest;

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
	first = connects_ns(&sa, 1);
	rest = first < 0 ? -1 : connects_ns(&sa, n);
	if (rest < 0)
		return 1;
	printf("%ld %ld\n", rest / n, first);
	return 0;
}
