/* SPDX-License-Identifier: MIT */
/*
 * bpf_binds.c — how the "bpf" tunnel backend's bind scales on an anchor:
 * N new bindings (home addresses of the pool 2001:db8:c4a::/64, each to a
 * care-of address of its own in 2001:db8:ffff::/64, from the anchor's
 * address LOCAL) through the real backend (odmagent/tunnel_bpf.c: its map
 * element, its route look-up), on device odmbb0 in the namespace it runs in
 * (run it in one made for it, with a route toward the care-of addresses).
 * Prints "figure" lines (tests/bench/figures.sh): binds per second over the
 * last tenth vs the first tenth (a bind that walks the bindings slows down
 * as they grow), and overall. Needs root.
 *   bpf_binds LOCAL [N]   (N 10..1000000, default 100000)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "log.h"
#include "tunnel.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void addr_of(struct in6_addr *a, const char *prefix, long i)
{
	inet_pton(AF_INET6, prefix, a);
	a->s6_addr[12] = (uint8_t)(i >> 24);
	a->s6_addr[13] = (uint8_t)(i >> 16);
	a->s6_addr[14] = (uint8_t)(i >> 8);
	a->s6_addr[15] = (uint8_t)(i + 1);
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 100000, tenth, i;
	struct in6_addr local, pool, inner, coa;
	double t0, t1, t9, t10;
	struct odm_tunnel *t;
	uv_loop_t loop;
	int rc;

	if (argc < 2 || inet_pton(AF_INET6, argv[1], &local) != 1 || n < 10 || n > 1000000) {
		fprintf(stderr, "usage: bpf_binds LOCAL [N]   (N 10..1000000)\n");
		return 2;
	}
	odm_log_init("bpf_binds", ODM_LOG_WARN, 0);
	uv_loop_init(&loop);
	rc = tunnel_open(&t, &loop, "bpf", ODM_TUNNEL_ANCHOR, "odmbb0");
	if (rc < 0) {
		fprintf(stderr, "bpf_binds: the bpf backend did not open: %s\n", strerror(-rc));
		return 1;
	}
	inet_pton(AF_INET6, "2001:db8:c4a::", &pool);
	tunnel_set_guard(t, &pool, 64);
	tenth = n / 10;
	t0 = t1 = t9 = now_s();
	for (i = 0; i < n; i++) {
		if (i == tenth)
			t1 = now_s();
		if (i == n - tenth)
			t9 = now_s();
		addr_of(&inner, "2001:db8:c4a::", i);
		addr_of(&coa, "2001:db8:ffff::", i);
		rc = t->ops->bind(t, &inner, &local, &coa);
		if (rc < 0) {
			fprintf(stderr, "bpf_binds: bind %ld: %s\n", i, strerror(-rc));
			break;
		}
	}
	t10 = now_s();
	if (i == n) {
		printf("figure\tbpf backend: new bindings per second at %ld-%ld vs at 0-%ld (anchor)"
		       "\t%.0f\t%.0f\tbinds/s\t-\n", n - tenth, n, tenth, (double)tenth / (t10 - t9),
		       (double)tenth / (t1 - t0));
		printf("figure\tbpf backend: new bindings per second, %ld in all (anchor)\t%.0f\t-"
		       "\tbinds/s\t-\n", n, (double)n / (t10 - t0));
	}
	fprintf(stderr, "bpf_binds: %ld bindings in %.0f ms\n", i, (t10 - t0) * 1000);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return i == n ? 0 : 1;
}
