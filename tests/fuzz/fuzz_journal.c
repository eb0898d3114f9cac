/* SPDX-License-Identifier: MIT */
/* fuzz_journal.c — libFuzzer harness: any bytes through the host role's
 * journal parser (mn_journal.h). It either refuses them whole with a
 * reason and nothing to free, or yields entries that, formatted again line
 * by line, parse back to the same entries; nothing leaks (LeakSanitizer).
 *
 * fuzz-flags: -max_len=2048
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mn_journal.h"
#include "parse_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mnj_entry *v = NULL, *again = NULL;
	char err[128] = "", *text;
	size_t n = 0, n2 = 0, off = 0;
	int rc = mnj_parse((const char *)data, size, &v, &n, err, sizeof(err));

	if (parse_refused(rc, v, n, err))
		return 0;
	if (n > MNJ_MAX || (n && !v))
		abort();
	text = malloc(n * (MNJ_LINE_MAX + 2) + 1);
	if (!text)
		abort();
	for (size_t i = 0; i < n; i++) {
		int k = mnj_format(&v[i], text + off, MNJ_LINE_MAX + 2);

		if (k <= 0 || v[i].bid == 0)
			abort();
		off += (size_t)k;
	}
	if (mnj_parse(text, off, &again, &n2, err, sizeof(err)) != 0 || n2 != n ||
	    (n && memcmp(again, v, n * sizeof(*v)) != 0))
		abort();
	free(again);
	free(text);
	free(v);
	return 0;
}
