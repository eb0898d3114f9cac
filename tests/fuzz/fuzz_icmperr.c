/* SPDX-License-Identifier: MIT */
/* fuzz_icmperr.c — libFuzzer harness: any bytes as an ICMPv6 message
 * (icmperr_parse). Nothing may crash or read past the input (ASan, with
 * exact-size copies); what is taken is one of the two error types and one
 * of the two protocols, or a Parameter Problem about a Mobility Header
 * message, its addresses copied from within the input.
 *
 * fuzz-flags: -max_len=1280
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icmperr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *m = malloc(size ? size : 1);
	struct icmperr e;

	if (!m)
		return 0;
	memcpy(m, data, size);
	if (icmperr_parse(m, size, &e) == 0) {
		if (size < 48 || (e.type != 1 && e.type != 4))
			abort();
		if (e.proto != 41 && e.proto != 17 &&
		    !(e.proto == ICMPERR_PROTO_MH && e.type == 4 && e.code == 1))
			abort();
		if (memcmp(&e.src, m + 16, 16) || memcmp(&e.dst, m + 32, 16))
			abort();
	}
	free(m);
	return 0;
}
