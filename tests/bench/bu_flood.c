/* SPDX-License-Identifier: MIT */
// SPDX-License-Identifier: MIT
/*
 * bu_flood.c — a load generator for an anchor over the wire: COUNT
 * authenticated Binding Updates (one identity, Binding Identifier 1, each
 * with a newer sequence number and timestamp: the first allocates, the
 * rest refresh), sent on a raw Mobility Header socket from SRC to the
 * anchor at DST with at most WINDOW unanswered at a time, for at most SECS
 * seconds. Counts the Binding Acks that come back accepted and prints a
 * "figure" line (tests/bench/figures.sh) with the rate, and a summary on
 * stderr. Exit 1 when fewer than half were accepted (a set-up error).
 *   bu_flood SRC DST NAI SPI KEYFILE COUNT SECS WINDOW [WHAT]
 * WHAT, when given, is added to the figure's name (e.g. the anchor's
 * tunnel backend).
 *   bu_flood --not-measured WHAT
 * prints the same figure as not measured (a run that cannot have it).
 * KEYFILE holds the MN-HA key as 32 hex digits (odmagent.conf(5)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_bu.h"
#include "mh.h"

#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_key(const char *path, uint8_t key[MH_AUTH_KEY_LEN])
{
	char hex[2 * MH_AUTH_KEY_LEN + 2];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(hex, 1, sizeof(hex) - 1, f);
	fclose(f);
	if (n < 2 * MH_AUTH_KEY_LEN)
		return -1;
	for (int i = 0; i < MH_AUTH_KEY_LEN; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		key[i] = (uint8_t)v;
	}
	return 0;
}

/* the figure: its name (with ", WHAT" or nothing), value and target */
#define FIGURE "figure\tanchor BU/s over the wire (raw socket, another namespace%s%s)\t%s\t-\t" \
	       "BU/s\todm>=50000\n"

int main(int argc, char **argv)
{
	struct in6_addr src, dst;
	struct sockaddr_in6 me = { .sin6_family = AF_INET6 }, to = { .sin6_family = AF_INET6 };
	uint8_t key[MH_AUTH_KEY_LEN], (*bus)[160], rbuf[MH_MAX_LEN];
	uint16_t *lens;
	struct timespec rt;
	long count, window, sent = 0, acked = 0, rejected = 0;
	double secs, t0, t;
	uint64_t ntp0;
	int fd;

	if (argc == 3 && strcmp(argv[1], "--not-measured") == 0) {
		printf(FIGURE, ", ", argv[2], "not-measured");
		return 0;
	}
	if ((argc != 9 && argc != 10) || inet_pton(AF_INET6, argv[1], &src) != 1 ||
	    inet_pton(AF_INET6, argv[2], &dst) != 1 || read_key(argv[5], key) != 0) {
		fprintf(stderr, "usage: bu_flood SRC DST NAI SPI KEYFILE COUNT SECS WINDOW [WHAT]\n");
		return 2;
	}
	count = atol(argv[6]);
	secs = atof(argv[7]);
	window = atol(argv[8]);
	if (count < 1 || count > 65000 || secs <= 0 || secs > 60 || window < 1 || window > 4096) {
		fprintf(stderr, "bu_flood: COUNT 1..65000, SECS 0..60, WINDOW 1..4096\n");
		return 2;
	}
	bus = calloc((size_t)count, sizeof(*bus));
	lens = calloc((size_t)count, sizeof(*lens));
	if (!bus || !lens)
		return 1;
	clock_gettime(CLOCK_REALTIME, &rt);
	ntp0 = mh_ntp_from_timespec(&rt);
	for (long i = 0; i < count; i++) {
		/* 1 us apart, always newer; lifetime 60 s: the binding ends soon after */
		int n = bench_bu_encode(bus[i], sizeof(bus[i]), argv[3],
					(uint32_t)strtoul(argv[4], NULL, 0), key, &src,
					(uint16_t)(i + 1), 1, 15, ntp0 + (uint64_t)(i + 1) * 4096);

		if (n <= 0) {
			fprintf(stderr, "bu_flood: encode: %s\n", mh_strerror(n));
			return 1;
		}
		lens[i] = (uint16_t)n;
	}
	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_MH);
	me.sin6_addr = src;
	to.sin6_addr = dst;
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
		perror("bu_flood: raw MH socket");
		return 1;
	}
	{
		int rcv = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	}
	t0 = now_s();
	while (acked + rejected < count && (t = now_s() - t0) < secs) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		while (sent < count && sent - acked - rejected < window) {
			if (sendto(fd, bus[sent], lens[sent], 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
				if (errno == EAGAIN || errno == ENOBUFS)
					break;
				perror("bu_flood: sendto");
				return 1;
			}
			sent++;
		}
		if (poll(&p, 1, 50) <= 0) {
			/* nothing for 50 ms: count what is outstanding as lost, go on */
			if (sent - acked - rejected >= window)
				rejected += sent - acked - rejected;
			continue;
		}
		while ((r = recv(fd, rbuf, sizeof(rbuf), 0)) > 0) {
			struct mh_msg ba;
			if (mh_decode(rbuf, (size_t)r, &ba, NULL, NULL) != 0 || ba.type != MH_TYPE_BA)
				continue;
			if (ba.status < 128)
				acked++;
			else
				rejected++;
		}
	}
	t = now_s() - t0;
	fprintf(stderr, "bu_flood: %ld BUs sent, %ld accepted, %ld refused or lost in %.2f s\n",
		sent, acked, rejected, t);
	{
		char rate[32];

		snprintf(rate, sizeof rate, "%.0f", (double)acked / t);
		printf(FIGURE, argc == 10 ? ", " : "", argc == 10 ? argv[9] : "", rate);
	}
	return acked * 2 >= count ? 0 : 1;
}
