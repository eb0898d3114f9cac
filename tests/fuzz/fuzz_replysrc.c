/* SPDX-License-Identifier: MIT */
/* fuzz_replysrc.c — libFuzzer harness: any bytes as what the kernel hands
 * the shim's answers from the address asked (libodm/replysrc.h): as the
 * answer to RTM_GETADDR (addrflags_deprecated: 1, 0 or a negative errno),
 * as a received message's control data (cmsgstrip, with the room its first
 * byte names: never more used than that room, nothing read or written
 * past either buffer) and as the control data of a message to send
 * (cmsg_has_pktinfo). Exact-size copies at an 8-byte boundary, as the
 * kernel's buffers are, so ASan sees any read past them.
 *
 * fuzz-flags: -max_len=512
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrflags.h"
#include "cmsgstrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *in, *out;
	size_t room, used;
	struct in6_pktinfo pi;
	int r, ctrunc, have;

	in = malloc(size ? size : 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	r = addrflags_deprecated(in, size);
	if (r > 1 || r < -4095)
		abort();
	(void)cmsg_has_pktinfo(in, size);
	room = size ? data[0] : 0;
	out = malloc(room ? room : 1);
	if (out) {
		used = cmsgstrip(size > 1 ? in + 1 : in, size > 1 ? size - 1 : 0,
				 room ? out : NULL, room, &ctrunc, &pi, &have);
		if (used > room || (ctrunc != 0 && ctrunc != 1) || (have != 0 && have != 1))
			abort();
		free(out);
	}
	free(in);
	return 0;
}
