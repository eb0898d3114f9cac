/* SPDX-License-Identifier: MIT */
// SPDX-License-Identifier: MIT
/*
 * anchor_bench.c — the anchor's capacity on one core, in-process:
 *
 *   1. BUs per second through anchor_handle_bu(), fed authenticated BUs
 *      built beforehand (16 identities, 4 000 Binding Identifiers each):
 *      one pass that creates 64 000 bindings, then passes that refresh
 *      them, each BU with a newer sequence number and timestamp, until
 *      BENCH_BU_SECS. Side by side, the floor of the same work: decoding
 *      each BU and checking its authenticator alone (mh_decode +
 *      mh_auth_verify), which every BU needs before anything else.
 *   2. The anchor's stall for one save of its state with those 64 000
 *      bindings: the daemon's save (anchor_state_flush, a child process
 *      writes it) against the same save in-line, side by side; and how
 *      long the child took.
 *   3. Memory per binding at 1 000 000 bindings: the binding cache
 *      (binding.h) and a pool (pool.h) sized for them, filled through their
 *      API; heap growth from mallinfo2() divided by the count.
 *
 * The tunnel backend is a no-op table (no kernel state): what the anchor's
 * own code costs. Prints "figure" lines (tests/bench/figures.sh) and a
 * human line per measure on stderr.
 *   anchor_bench [SECONDS] [BINDINGS]
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor.h"
#include "bench_bu.h"
#include "log.h"
#include "binding.h"
#include "mh.h"
#include "pool.h"
#include "statefile.h"

#define IDENTS 16
#define BIDS 4000
#define ANCHOR_ADDR "2001:db8:ca::10"
#define POOL_PREFIX "2001:db8:c4a::"

static int nop_probe(enum odm_tunnel_side side, int level, char *why, size_t len)
{
	(void)side, (void)level, (void)why, (void)len;
	return 0;
}
static int nop_open(struct odm_tunnel *t) { return 0; }
static void nop_close(struct odm_tunnel *t) {}
static int nop_bind(struct odm_tunnel *t, const struct in6_addr *inner,
		    const struct in6_addr *local, const struct in6_addr *remote)
{
	return 0;
}
static int nop_unbind(struct odm_tunnel *t, const struct in6_addr *inner) { return 0; }
static int nop_stats(struct odm_tunnel *t, const struct in6_addr *inner,
		     struct odm_tunnel_stats *st)
{
	memset(st, 0, sizeof(*st));
	return 0;
}
static const struct odm_tunnel_ops nop_ops = {
	.name = "none", .probe = nop_probe, .open = nop_open, .close = nop_close,
	.bind = nop_bind, .unbind = nop_unbind, .stats = nop_stats,
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct in6_addr addr(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		fprintf(stderr, "anchor_bench: bad address %s\n", s);
		exit(2);
	}
	return a;
}

struct bu {
	uint16_t len;
	uint8_t ident;
	uint8_t buf[200];
};

/* BU number i of pass p: identity i % IDENTS, BID i / IDENTS + 1, an
 * allocation (HNP ::) that the second pass on finds bound and refreshes. */
static int build(struct bu *out, const struct odm_identity *ids, size_t i, unsigned pass,
		 uint64_t ntp0, const struct in6_addr *coa)
{
	size_t id = i % IDENTS, k = i / IDENTS;
	uint64_t n = (uint64_t)pass * BIDS + k; /* this identity's BU count so far */
	/* 1/65536 s apart: newer each time, all within the 7 s replay window */
	int len = bench_bu_encode(out->buf, sizeof(out->buf), ids[id].nai, ids[id].spi,
				  ids[id].key, coa, (uint16_t)(n + 1), (uint16_t)(k + 1), 150,
				  ntp0 + (n + 1) * 65536);

	if (len <= 0)
		return -1;
	out->len = (uint16_t)len;
	out->ident = (uint8_t)id;
	return 0;
}

/* in ms, each: a save in-line, the start of the daemon's save, the child */
static void save_stall(struct anchor *an)
{
	char dir[] = "/tmp/odm-bench-save-XXXXXX", path[64];
	uv_loop_t loop;
	double t0, inline_ms, start_ms, child_ms;
	int rc;

	if (!mkdtemp(dir) || uv_loop_init(&loop) != 0 ||
	    statefile_open(&an->sf, dir, ANCHOR_STATE_FILE) != 0) {
		fprintf(stderr, "anchor_bench: no state directory\n");
		exit(1);
	}
	t0 = now_s();
	rc = anchor_state_save(an, 1000);
	inline_ms = (now_s() - t0) * 1e3;
	an->loop = &loop; /* the daemon's way (never run: only the mark) */
	anchor_state_touch(an, 1000);
	t0 = now_s();
	rc |= anchor_state_flush(an, 1000 + ANCHOR_SAVE_DELAY_MS, 0);
	start_ms = (now_s() - t0) * 1e3;
	if (rc < 0 || !bgsave_busy(&an->saver)) {
		fprintf(stderr, "anchor_bench: the state save failed or ran in-line\n");
		exit(1);
	}
	while (bgsave_busy(&an->saver))
		anchor_state_flush(an, 1000 + ANCHOR_SAVE_DELAY_MS, 1);
	child_ms = (now_s() - t0) * 1e3;
	if (an->sf.failures) {
		fprintf(stderr, "anchor_bench: the child's save failed\n");
		exit(1);
	}
	fprintf(stderr, "anchor state save, %zu bindings: in-line %.1f ms; in a child: the loop "
		"waits %.2f ms, the child writes for %.1f ms\n", an->bc.count, inline_ms, start_ms,
		child_ms);
	printf("figure\tanchor stalled by a state save of %zu bindings (child process vs in-line)"
	       "\t%.2f\t%.1f\tms\t-\n", an->bc.count, start_ms, inline_ms);
	printf("figure\tanchor state save of %zu bindings, time in the child\t%.1f\t-\tms\t-\n",
	       an->bc.count, child_ms);
	an->loop = NULL;
	statefile_close(&an->sf);
	snprintf(path, sizeof(path), "%s/%s", dir, ANCHOR_STATE_FILE);
	unlink(path);
	rmdir(dir);
	uv_loop_close(&loop);
}

static void bu_rate(double secs)
{
	static struct odm_identity ids[IDENTS];
	struct in6_addr coa = addr("2001:db8:1::100"), dst = addr(ANCHOR_ADDR);
	struct timespec rt;
	struct odm_config cfg;
	struct odm_tunnel tun;
	struct anchor an;
	struct bu *bus;
	uint8_t reply[MH_MAX_LEN];
	const size_t n = (size_t)IDENTS * BIDS;
	unsigned passes = 0;
	uint64_t handled = 0, ok0;
	double t0, t_create, t, floor_rate, rate;
	size_t verified = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = ODM_ROLE_ANCHOR;
	cfg.mode = ODM_MODE_CHA;
	cfg.modes = ODM_MODE_BIT(ODM_MODE_CHA);
	cfg.address = dst;
	cfg.pool = addr(POOL_PREFIX);
	cfg.pool_plen = 64;
	cfg.max_lifetime = 600;
	cfg.max_bindings = BIDS;
	cfg.answer_rate = 1000;
	cfg.answer_burst = 1000;
	for (size_t i = 0; i < IDENTS; i++) {
		snprintf(ids[i].nai, sizeof(ids[i].nai), "mn%zu@example.test", i);
		ids[i].spi = 0x1000 + (uint32_t)i;
		for (int b = 0; b < MH_AUTH_KEY_LEN; b++)
			ids[i].key[b] = (uint8_t)(i * 31 + b);
	}
	cfg.identities = ids;
	cfg.n_identities = IDENTS;
	memset(&tun, 0, sizeof(tun));
	tun.ops = &nop_ops;
	tun.side = ODM_TUNNEL_ANCHOR;
	snprintf(tun.ifname, sizeof(tun.ifname), "odmbench0");
	if (anchor_init(&an, &cfg, &tun) != 0) {
		fprintf(stderr, "anchor_bench: anchor_init failed\n");
		exit(1);
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	/* Enough passes built beforehand for secs at 1 M BU/s at most. */
	unsigned want = (unsigned)(secs * 1e6 / (double)n) + 2;
	if (want > 16)
		want = 16; /* 16 * 4 000 BUs per identity: sequence numbers stay unique */
	bus = calloc((size_t)want * n, sizeof(*bus));
	if (!bus) {
		fprintf(stderr, "anchor_bench: no memory for %u passes\n", want);
		exit(1);
	}
	uint64_t ntp0 = mh_ntp_from_timespec(&rt) - ((uint64_t)3 << 32); /* 3 s ago */
	for (unsigned p = 0; p < want; p++)
		for (size_t i = 0; i < n; i++)
			if (build(&bus[p * n + i], ids, i, p, ntp0, &coa) != 0) {
				fprintf(stderr, "anchor_bench: encode failed\n");
				exit(1);
			}

	/* The floor: decode and authenticate each BU of the first pass. */
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		struct mh_msg m;
		if (mh_decode(bus[i].buf, bus[i].len, &m, NULL, NULL) == 0 &&
		    mh_auth_verify(bus[i].buf, bus[i].len, &m, ids[bus[i].ident].key, &coa,
				   &in6addr_any) == 0)
			verified++;
	}
	floor_rate = (double)n / (now_s() - t0);
	if (verified != n) {
		fprintf(stderr, "anchor_bench: %zu of %zu BUs authenticate\n", verified, n);
		exit(1);
	}

	/* The anchor: pass 0 creates the bindings, the others refresh them. */
	t0 = now_s();
	t_create = 0;
	ok0 = an.cnt.ba_ok;
	for (unsigned p = 0; p < want; p++) {
		for (size_t i = 0; i < n; i++) {
			const struct bu *b = &bus[p * n + i];
			int r = anchor_handle_bu(&an, b->buf, b->len, &coa, &dst,
						 (uint64_t)((now_s() - t0) * 1000) + 1000, &rt,
						 reply, sizeof(reply));
			if (r <= 0) {
				fprintf(stderr, "anchor_bench: BU %zu of pass %u: no answer (%d)\n", i, p,
					r);
				exit(1);
			}
		}
		handled += n;
		passes++;
		if (p == 0)
			t_create = now_s() - t0;
		if (now_s() - t0 >= secs && passes >= 2)
			break;
	}
	t = now_s() - t0;
	if (an.cnt.ba_ok - ok0 != handled || an.bc.count != n) {
		fprintf(stderr, "anchor_bench: %llu accepted of %llu, %zu bindings\n",
			(unsigned long long)(an.cnt.ba_ok - ok0), (unsigned long long)handled,
			an.bc.count);
		exit(1);
	}
	rate = (double)(handled - n) / (t - t_create);
	fprintf(stderr,
		"anchor in-process: %zu bindings created at %.0f BU/s, refreshed at %.0f BU/s "
		"(%llu BUs in %.2f s); decode+authenticate alone %.0f BU/s\n",
		n, (double)n / t_create, rate, (unsigned long long)handled, t, floor_rate);
	printf("figure\tanchor BU/s in-process, refresh (one core)\t%.0f\t%.0f\tBU/s\todm>=200000\n",
	       rate, floor_rate);
	printf("figure\tanchor BU/s in-process, new binding\t%.0f\t%.0f\tBU/s\todm>=200000\n",
	       (double)n / t_create, floor_rate);
	save_stall(&an);
	anchor_fini(&an);
	free(bus);
}

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void memory(size_t count)
{
	struct in6_addr prefix = addr(POOL_PREFIX), excl = addr(ANCHOR_ADDR);
	struct in6_addr coa = addr("2001:db8:1::100");
	struct bcache bc;
	struct pool pool;
	struct binding tmpl, *b;
	char nai[64];
	size_t before = heap_bytes(), after_pool, after;

	if (pool_init(&pool, &prefix, 64, &excl, (uint32_t)count + 1) != 0 || bcache_init(&bc) != 0) {
		fprintf(stderr, "anchor_bench: pool or cache set-up failed\n");
		exit(1);
	}
	after_pool = heap_bytes();
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.coa = coa;
	tmpl.lifetime = 150;
	for (size_t i = 0; i < count; i++) {
		if (pool_alloc(&pool, &tmpl.hoa) != 0) {
			fprintf(stderr, "anchor_bench: pool ran out at %zu\n", i);
			exit(1);
		}
		/* a realistic identity: about 20 characters */
		snprintf(nai, sizeof(nai), "host%zu@example.test", i / 1000);
		tmpl.nai = nai;
		tmpl.bid = (uint16_t)(i % 1000 + 1);
		tmpl.ident = i / 1000;
		tmpl.created_ms = 1000;
		tmpl.expires_ms = 1000 + 600000 + i % 600000;
		if (bcache_add(&bc, &tmpl, &b) != 0) {
			fprintf(stderr, "anchor_bench: bcache_add failed at %zu\n", i);
			exit(1);
		}
	}
	after = heap_bytes();
	if (bc.count != count || !bcache_find_hoa(&bc, &tmpl.hoa)) {
		fprintf(stderr, "anchor_bench: the cache lost bindings\n");
		exit(1);
	}
	fprintf(stderr,
		"anchor memory: %zu bindings: %.1f bytes each (binding cache %.1f, pool %.1f; "
		"struct binding is %zu bytes)\n",
		count, (double)(after - before) / (double)count,
		(double)(after - after_pool) / (double)count,
		(double)(after_pool - before) / (double)count, sizeof(struct binding));
	printf("figure\tanchor memory per binding at %zu\t%.0f\t-\tbytes\todm<=300\n", count,
	       (double)(after - before) / (double)count);
	bcache_destroy(&bc, NULL, NULL);
	pool_free_all(&pool);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	long count = argc > 2 ? atol(argv[2]) : 1000000;

	if (secs <= 0 || secs > 60 || count <= 0 || count > 4000000) {
		fprintf(stderr, "usage: anchor_bench [SECONDS 0..60] [BINDINGS 1..4000000]\n");
		return 2;
	}
	/* A busy anchor logs at warning level: one info line per BU would be
	 * the measure otherwise (odmagent.conf(5) log-level). */
	odm_log_init("anchor_bench", ODM_LOG_WARN, 0);
	bu_rate(secs);
	memory((size_t)count);
	return 0;
}
