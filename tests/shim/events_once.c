/* SPDX-License-Identifier: MIT */
/*
 * events_once.c — one subscription to the agent's events as a program
 * linked with -lodm makes it (odm_events(3)), then its reads for up to MS
 * milliseconds. Prints one line: "fd ERR" (odm_events_fd() failed), "read
 * ERR" (odm_event_read() failed), "event ADDR" (one came) or "nothing",
 * ERR the errno's name (strerrorname_np). Exits 0, 2 on bad usage.
 *
 *   events_once MS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "odm.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	long long end;
	struct odm_event ev;
	char a[INET6_ADDRSTRLEN];
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: events_once MS\n");
		return 2;
	}
	end = now_ms() + atoi(argv[1]);
	fd = odm_events_fd();
	if (fd < 0) {
		printf("fd %s\n", strerrorname_np(errno));
		return 0;
	}
	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r;

		poll(&p, 1, (int)(end - now_ms()));
		r = odm_event_read(fd, &ev);
		if (r < 0) {
			printf("read %s\n", strerrorname_np(errno));
			return 0;
		}
		if (r == 1) {
			printf("event %s\n", inet_ntop(AF_INET6, &ev.addr, a, sizeof(a)));
			return 0;
		}
	}
	printf("nothing\n");
	return 0;
}
