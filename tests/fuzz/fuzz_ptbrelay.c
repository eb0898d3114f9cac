/* SPDX-License-Identifier: MIT */
/* fuzz_ptbrelay.c — libFuzzer harness: any bytes as an ICMPv6 message to
 * the anchor (ptbrelay_parse), and what it takes passed on (inner MTU,
 * build). Nothing may crash or read past the input (ASan, exact-size
 * copies); what is taken is a Packet Too Big whose quote lies within the
 * input, and the message built is bounded and quotes it.
 *
 * fuzz-flags: -max_len=1500
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ptbrelay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *m = malloc(size ? size : 1), out[PTBRELAY_MAX_LEN];
	struct ptb_about a;
	uint32_t mtu;
	int n;

	if (!m)
		return 0;
	memcpy(m, data, size);
	if (ptbrelay_parse(m, size, &a) == 0) {
		if (size < 88 || m[0] != 2 || m[1] != 0)
			abort();
		if (a.inner < m || a.inner + a.inner_len != m + size)
			abort();
		(void)ptbrelay_may_tell(&a);
		mtu = ptbrelay_inner_mtu(&a);
		if (mtu && mtu < PTBRELAY_MIN_MTU)
			abort();
		n = ptbrelay_build(&a, mtu, out, sizeof(out));
		if (n < 48 || n > PTBRELAY_MAX_LEN || memcmp(out + 8, a.inner, (size_t)n - 8))
			abort();
	}
	free(m);
	return 0;
}
