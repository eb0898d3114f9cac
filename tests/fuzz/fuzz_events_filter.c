/* SPDX-License-Identifier: MIT */
/* fuzz_events_filter.c — libFuzzer harness: any text as a monitor's
 * "events" (events_filter_parse). Nothing may crash or read past the
 * text (ASan, an exact-size copy); a text taken names kinds of
 * events_kinds only, and those kinds written back joined by ',' parse to
 * the same filter; a text refused is said in a message of printable ASCII
 * that leaves the filter as it was.
 *
 * fuzz-flags: -max_len=512
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct events_filter f = { .mask = 0xdead, .only = 7 }, g = { 0 };
	char err[160], back[512];
	size_t at = 0;
	char *t = malloc(size + 1);

	if (!t)
		return 0;
	memcpy(t, data, size);
	t[size] = '\0';
	if (events_filter_parse(t, &f, err, sizeof(err)) < 0) {
		if (f.mask != 0xdead || f.only != 7 || !err[0])
			abort();
		for (const char *p = err; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
		free(t);
		return 0;
	}
	if (!f.only || !f.mask || f.mask >> events_n_kinds)
		abort();
	for (size_t i = 0; i < events_n_kinds; i++) {
		if (!(f.mask & (1u << i)))
			continue;
		if (!events_filter_has(&f, events_kinds[i]))
			abort();
		at += (size_t)snprintf(back + at, sizeof(back) - at, "%s%s", at ? "," : "",
				       events_kinds[i]);
	}
	if (events_filter_parse(back, &g, err, sizeof(err)) < 0 || g.mask != f.mask || !g.only)
		abort();
	/* what the text did not name does not pass, "lost" always does */
	if (!events_filter_has(&f, "lost") || events_filter_has(&f, "no-such-kind"))
		abort();
	free(t);
	return 0;
}
