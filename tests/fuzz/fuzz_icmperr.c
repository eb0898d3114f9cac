/* SPDX-License-Identifier: MIT */
/* fuzz_icmperr.c — libFuzzer harness: any bytes as an ICMPv6 message
 * (icmperr_parse). Nothing may crash or read past the input (ASan, with
 * exact-size copies); what is taken is one of the two error types and one
 * of the two protocols, or a Parameter Problem about a Mobility Header
 * message, its addresses copied from within the input; a UDP datagram
 * right after the IPv6 header is one to the encapsulation's port
 * (TUDP_PORT, RFC 5555 section 4.1), whose quote holds that port.
 *
 * fuzz-flags: -max_len=1280
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icmperr.h"
#include "tunnel_udp.h"

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
		/* (the ICMPv6 header, 8 octets, then the invoking packet) */
		if (e.proto == 17 && m[8 + 6] == 17 &&
		    (size < 8 + 40 + 4 || ((unsigned)m[8 + 40 + 2] << 8 | m[8 + 40 + 3]) != TUDP_PORT))
			abort();
	}
	free(m);
	return 0;
}
