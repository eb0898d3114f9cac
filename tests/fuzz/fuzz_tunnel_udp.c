/* SPDX-License-Identifier: MIT */
/* fuzz_tunnel_udp.c — libFuzzer harness for the UDP encapsulation's receive
 * splitter (tunnel_udp.h): the first two bytes are a UDP_GRO size, the rest
 * a received buffer. The pieces must tile the buffer exactly, each within
 * it and no longer than the size, every one but the last exactly the size;
 * the whole-packet check reads only inside its piece. Each piece that
 * passes it is decapsulated under each outer ECN field (tunnel_ecn.h, as
 * tunnel_user.c does): the inner field becomes what RFC 6040 section 4.2's
 * table (spelled out again here) says, or the packet is dropped exactly
 * where the table says so, and no other bit of the packet changes. The
 * same bytes as packet lengths into tudp_run: a run is never empty for a
 * non-empty first length and obeys the UDP_SEGMENT rules.
 *
 * fuzz-flags: -max_len=70000
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel_ecn.h"
#include "tunnel_udp.h"

#define MAXP (70000 / TUDP_INNER_MIN + 1)

static size_t off[MAXP], len[MAXP];

/* RFC 6040 section 4.2, [inner][outer]; -1: drop. Fields: 0 Not-ECT,
 * 1 ECT(1), 2 ECT(0), 3 CE (RFC 3168 section 5) */
static const int RFC6040[4][4] = {
	/* outer:   Not-ECT ECT(1) ECT(0) CE */
	[0] = { 0, 0, 0, -1 }, /* inner Not-ECT */
	[1] = { 1, 1, 1, 3 },  /* inner ECT(1) */
	[2] = { 2, 1, 2, 3 },  /* inner ECT(0) */
	[3] = { 3, 3, 3, 3 },  /* inner CE */
};

/* a piece decapsulated under each outer field, as tunnel_user.c does */
static void check_ecn(const uint8_t *pkt)
{
	unsigned inner = (pkt[1] >> 4) & 3u;

	for (unsigned outer = 0; outer < 4; outer++) {
		uint8_t h[2] = { pkt[0], pkt[1] };
		int ecn = tunnel_ecn_decap(outer, tunnel_ecn_of(h));

		if (ecn != RFC6040[inner][outer])
			abort();
		if (ecn == TUNNEL_ECN_DROP)
			continue;
		tunnel_ecn_set(h, (unsigned)ecn);
		if (tunnel_ecn_of(h) != (unsigned)ecn || h[0] != pkt[0] ||
		    (h[1] & ~0x30u) != (pkt[1] & ~0x30u))
			abort();
	}
}

static void check_run(const uint8_t *d, size_t n)
{
	size_t lens[TUDP_SEGS_MAX + 8], cnt = 0, k, sum = 0;

	for (size_t i = 0; i + 1 < n && cnt < sizeof lens / sizeof lens[0]; i += 2)
		lens[cnt++] = (size_t)((d[i] << 8) | d[i + 1]);
	k = tudp_run(lens, cnt);
	if (cnt == 0 || lens[0] == 0) {
		if (k != 0)
			abort();
		return;
	}
	if (k < 1 || k > cnt || k > TUDP_SEGS_MAX)
		abort();
	for (size_t i = 0; i < k; i++) {
		if (lens[i] == 0 || lens[i] > lens[0] || (i + 1 < k && lens[i] != lens[0]))
			abort();
		sum += lens[i];
	}
	if (k > 1 && sum > TUDP_SEND_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *buf;
	size_t n, gso, at = 0;
	int cnt;
	uint8_t *copy;

	check_run(data, size);
	if (size < 2)
		return 0;
	gso = (size_t)((data[0] << 8) | data[1]);
	n = size - 2;
	/* an exact-size copy, so a read past a piece's buffer is caught */
	copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 2, n);
	buf = copy;
	cnt = tudp_split(n, gso, off, len, MAXP);
	if (cnt < 0) {
		free(copy);
		return 0;
	}
	if (gso == 0)
		gso = n;
	for (int i = 0; i < cnt; i++) {
		if (off[i] != at || len[i] == 0 || len[i] > gso || off[i] + len[i] > n ||
		    (i + 1 < cnt && len[i] != gso))
			abort();
		if (tudp_inner_ok(buf + off[i], len[i]))
			check_ecn(buf + off[i]);
		at += len[i];
	}
	if (at != n)
		abort();
	free(copy);
	return 0;
}
