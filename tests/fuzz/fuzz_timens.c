/* SPDX-License-Identifier: MIT */
/* fuzz_timens.c — libFuzzer harness: any bytes as the text of
 * /proc/self/timens_offsets (timens_boot_offset_parse). Nothing may crash
 * or read past the bytes given; the offset is set exactly when 0 is
 * returned, and then lies within +-9e18 ns.
 *
 * fuzz-flags: -max_len=256
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "timens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of its exact size: ASan sees a read past it */
	char *m = malloc(size ? size : 1);
	int64_t off = INT64_MIN;
	int r;

	if (!m)
		return 0;
	memcpy(m, data, size);
	r = timens_boot_offset_parse(m, size, &off);
	if (r != 0 && r != -EINVAL)
		abort();
	if ((r == 0) != (off != INT64_MIN) ||
	    (r == 0 && (off > 9000000000000000000ll + 999999999 || off < -9000000000000000000ll)))
		abort();
	free(m);
	return 0;
}
