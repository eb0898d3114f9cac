/* SPDX-License-Identifier: MIT */
/* fuzz_state.c — libFuzzer harness: any text through both state decoders
 * (state.h), the one picked by the length's parity. A decoder either refuses with a reason or yields state that
 * encodes to text it decodes again to the same state; nothing leaks
 * (LeakSanitizer) on either path. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

/* Real state files are far larger, but 1 KiB reaches every branch, and
 * short inputs keep the harness fast (millions of runs per make fuzz). */
#define FUZZ_STATE_MAX 1024

static void mn(const uint8_t *data, size_t size)
{
	struct state_mn s, again;
	char err[256], *text;

	if (state_mn_decode((const char *)data, size, &s, err, sizeof(err)) < 0) {
		if (!err[0] || s.leases || s.anchors)
			abort();
		return;
	}
	text = state_mn_encode(&s);
	if (!text || state_mn_decode(text, strlen(text), &again, err, sizeof(err)) < 0)
		abort();
	if (again.n_leases != s.n_leases || again.n_anchors != s.n_anchors ||
	    again.last_id != s.last_id || strcmp(again.nai, s.nai) != 0 ||
	    (s.n_leases && memcmp(again.leases, s.leases, s.n_leases * sizeof(*s.leases))) ||
	    (s.n_anchors && memcmp(again.anchors, s.anchors, s.n_anchors * sizeof(*s.anchors))))
		abort();
	free(text);
	state_mn_free(&again);
	state_mn_free(&s);
}

static void anchor(const uint8_t *data, size_t size)
{
	struct state_anchor s, again;
	char err[256], *text;

	if (state_anchor_decode((const char *)data, size, &s, err, sizeof(err)) < 0) {
		if (!err[0] || s.bindings || s.idents || s.cooling)
			abort();
		return;
	}
	text = state_anchor_encode(&s);
	if (!text || state_anchor_decode(text, strlen(text), &again, err, sizeof(err)) < 0)
		abort();
	if (again.n_bindings != s.n_bindings || again.n_idents != s.n_idents ||
	    again.pool_plen != s.pool_plen || memcmp(&again.pool, &s.pool, sizeof(s.pool)) ||
	    again.held != s.held || again.n_cooling != s.n_cooling ||
	    (s.n_cooling && memcmp(again.cooling, s.cooling, s.n_cooling * sizeof(*s.cooling))) ||
	    (s.n_bindings &&
	     memcmp(again.bindings, s.bindings, s.n_bindings * sizeof(*s.bindings))) ||
	    (s.n_idents && memcmp(again.idents, s.idents, s.n_idents * sizeof(*s.idents))))
		abort();
	free(text);
	state_anchor_free(&again);
	state_anchor_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_STATE_MAX)
		return 0;
	/* one decoder per input, chosen by a bit both seeds can flip (a
	 * trailing blank), so each sees every shape at half the cost */
	if (size & 1)
		anchor(data, size);
	else
		mn(data, size);
	return 0;
}
