/* SPDX-License-Identifier: MIT */
/*
 * gai_time.c — the cost of getaddrinfo() in a fresh process (the caller
 * runs it ROUNDS times, plain and with the shim): the first call (cold:
 * the resolver's and the shim's first use in the process), then a second
 * call for the same name (warm), and with PORT the first connect() to the
 * first address, which with the shim is where a session-lasting socket's
 * cha.<host> lookup and lease happen. Prints microseconds:
 *   cold warm [connect]
 *   gai_time NAME [PORT]
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long us_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)((t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000);
}

static long timed_gai(const char *name, struct addrinfo **res)
{
	struct addrinfo hints;
	struct timespec t0;
	long us;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = getaddrinfo(name, "80", &hints, res);
	us = us_since(&t0);
	if (rc != 0) {
		fprintf(stderr, "gai_time: %s: %s\n", name, gai_strerror(rc));
		exit(1);
	}
	return us;
}

int main(int argc, char **argv)
{
	struct addrinfo *res = NULL, *res2 = NULL;
	struct timespec t0;
	long cold, warm, conn;
	int fd;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: gai_time NAME [PORT]\n");
		return 2;
	}
	cold = timed_gai(argv[1], &res);
	warm = timed_gai(argv[1], &res2);
	freeaddrinfo(res2);
	if (argc == 2) {
		printf("%ld %ld\n", cold, warm);
		freeaddrinfo(res);
		return 0;
	}
	((struct sockaddr_in6 *)res->ai_addr)->sin6_port = htons((unsigned short)atoi(argv[2]));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		perror("gai_time: connect");
		return 1;
	}
	conn = us_since(&t0);
	close(fd);
	freeaddrinfo(res);
	printf("%ld %ld %ld\n", cold, warm, conn);
	return 0;
}
