/* SPDX-License-Identifier: MIT */
/* fuzz_dnsnegttl.c — libFuzzer harness: any bytes as a DNS server's negative
 * answer (dns_negative_ttl). Nothing may crash or read past the bytes given;
 * a TTL is set exactly when 0 is returned, and is below 2^31 (RFC 2181 §8).
 *
 * fuzz-flags: -max_len=1024
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsnegttl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of its exact size: ASan sees a read past it */
	unsigned char *m = malloc(size ? size : 1);
	uint32_t t = 0xffffffffu;
	int r;

	if (!m)
		return 0;
	memcpy(m, data, size);
	r = dns_negative_ttl(m, size, &t);
	if (r != 0 && r != -1)
		abort();
	if ((r == 0) != (t != 0xffffffffu) || (r == 0 && t >= 0x80000000u))
		abort();
	free(m);
	return 0;
}
