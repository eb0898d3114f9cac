/* SPDX-License-Identifier: MIT */
/*
 * bpf_state.c — what a binding costs the kernel on the "bpf" tunnel
 * backend: one element of its bindings map (a BPF hash map without
 * preallocation, the key and value of odmagent/tunnel_bpf_abi.h). N
 * elements go into a map made for the measure; prints "figure" lines
 * (tests/bench/figures.sh): bytes of kernel memory (slab + per-cpu, the
 * whole machine's, so a figure and not a proof) per element, and elements
 * written per second. Needs CAP_BPF (root).
 *   bpf_state [N]   (1..2000000, default 200000)
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tunnel_bpf_abi.h"

static long mem_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long kb, sum = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1 || sscanf(line, "Percpu: %ld kB", &kb) == 1)
			sum += kb;
	fclose(f);
	return sum;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000, i;
	struct odm_bpf_bind v;
	struct odm_bpf_addr k;
	long m0, m1;
	double t0, t1;
	int fd;

	if (n < 1 || n > 2000000) {
		fprintf(stderr, "bpf_state: N must be 1..2000000\n");
		return 2;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "odm_binds", sizeof k, sizeof v, (unsigned)n, &o);
	if (fd < 0) {
		fprintf(stderr, "bpf_state: bpf_map_create: %s\n", strerror(errno));
		return 1;
	}
	memset(&v, 0, sizeof v);
	inet_pton(AF_INET6, "2001:db8:ca::10", &v.local);
	inet_pton(AF_INET6, "2001:db8:1::100", &v.remote);
	v.ifindex = 1;
	/* HoAs from the documentation prefix 2001:db8:c4a::/64 */
	inet_pton(AF_INET6, "2001:db8:c4a::", &k);
	m0 = mem_kb();
	t0 = now_s();
	for (i = 0; i < n; i++) {
		k.a[12] = (uint8_t)(i >> 24);
		k.a[13] = (uint8_t)(i >> 16);
		k.a[14] = (uint8_t)(i >> 8);
		k.a[15] = (uint8_t)i;
		if (bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST) < 0) {
			fprintf(stderr, "bpf_state: element %ld: %s\n", i, strerror(errno));
			break;
		}
	}
	t1 = now_s();
	m1 = mem_kb();
	if (i == 0 || m0 < 0 || m1 < 0)
		return 1;
	printf("figure\tkernel memory per binding, bpf map element (%ld elements)\t%ld\t-\tbytes\t-\n",
	       i, (m1 - m0) * 1024 / i);
	printf("figure\tbpf binding elements written per second (bpf_map_update_elem)\t%.0f\t-\t"
	       "elements/s\t-\n", (double)i / (t1 - t0));
	fprintf(stderr, "bpf_state: %ld elements in %.0f ms, slab+percpu +%ld kB\n", i,
		(t1 - t0) * 1000, m1 - m0);
	close(fd);
	return 0;
}
