/* SPDX-License-Identifier: MIT */
/*
 * connect_time.c — cost of socket()+connect()+close() to a local TCP
 * listener, in nanoseconds: the process's first one alone (where the shim
 * learns its type from the agent, once), then N more, each timed alone. Run
 * with and without LD_PRELOAD=libodm.so to see what the shim adds to a
 * non-persistent socket. Prints "MEDIAN_NS FIRST_NS MEAN_NS": the median of
 * the N rounds is the figure (their mean is led by the few rounds the
 * scheduler or an interrupt stretched: on a loaded two-core machine it ran
 * at 2-5 times the median and swung the shim's ratio between 0.93 and 1.05
 * from run to run), the mean is printed beside it. Each socket is closed
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

static long ns_between(const struct timespec *t0, const struct timespec *t1)
{
	return (t1->tv_sec - t0->tv_sec) * 1000000000L + (t1->tv_nsec - t0->tv_nsec);
}

/* times[i]: ns the i-th of count socket()+connect()+close() rounds took;
 * 0, or -1 (said) */
static int connects_ns(const struct sockaddr_in6 *sa, long count, long *times)
{
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	struct timespec t0, t1;

	for (long i = 0; i < count; i++) {
		int fd;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)) != 0) {
			perror("connect_time");
			return -1;
		}
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		times[i] = ns_between(&t0, &t1);
	}
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 sa;
	long n, first, *times, sum = 0;

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
	times = calloc((size_t)n, sizeof(*times));
	if (!times) {
		perror("connect_time");
		return 1;
	}
	if (connects_ns(&sa, 1, &first) < 0 || connects_ns(&sa, n, times) < 0)
		return 1;
	for (long i = 0; i < n; i++)
		sum += times[i];
	qsort(times, (size_t)n, sizeof(*times), cmp_long);
	printf("%ld %ld %ld\n", n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2, first,
	       sum / n);
	free(times);
	return 0;
}
