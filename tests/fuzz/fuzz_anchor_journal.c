/* SPDX-License-Identifier: MIT */
/* fuzz_anchor_journal.c — libFuzzer harness: any bytes through the anchor
 * role's journal parser (anchor_journal.h), which a restarted anchor reads
 * from its state directory. It either refuses them whole with a reason and
 * nothing to free, or yields at most AJ_MAX entries, each with a NAI of
 * printable ASCII and no space, that formatted again line by line parse
 * back to the same entries; nothing leaks (LeakSanitizer).
 *
 * fuzz-flags: -max_len=4096
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anchor_journal.h"
#include "parse_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aj_entry *v = NULL, *again = NULL;
	char err[128] = "", *text;
	size_t n = 0, n2 = 0, off = 0;
	int rc = aj_parse((const char *)data, size, &v, &n, err, sizeof(err));

	if (parse_refused(rc, v, n, err))
		return 0;
	if (n > AJ_MAX || (n && !v))
		abort();
	text = malloc(n * AJ_LINE_MAX + 1);
	if (!text)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t nl = strnlen(v[i].nai, sizeof(v[i].nai));
		int k;

		if (nl == 0 || nl > MH_NAI_MAX)
			abort();
		for (size_t j = 0; j < nl; j++)
			if (v[i].nai[j] <= ' ' || v[i].nai[j] > '~')
				abort();
		k = aj_format(&v[i].hoa, v[i].seq, v[i].nai, text + off, AJ_LINE_MAX + 1);
		if (k <= 0 || text[off + (size_t)k - 1] != '\n')
			abort();
		off += (size_t)k;
	}
	if (aj_parse(text, off, &again, &n2, err, sizeof(err)) != 0 || n2 != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!IN6_ARE_ADDR_EQUAL(&again[i].hoa, &v[i].hoa) || again[i].seq != v[i].seq ||
		    strcmp(again[i].nai, v[i].nai) != 0)
			abort();
	free(again);
	free(text);
	free(v);
	return 0;
}
