/* SPDX-License-Identifier: MIT */
/* fuzz_rcnameserver.c — libFuzzer harness: any bytes as a resolv.conf
 * (rcns_parse; and its options, rcopt_use_vc). Nothing may crash or read
 * past the bytes given; at most max entries come out, each IPv4 or IPv6,
 * a scope only on an IPv6 one, NUL-terminated and not empty; and the text
 * parsed again, cut after its last whole line, gives no more entries than
 * the whole, nor an options line the whole has not.
 *
 * fuzz-flags: -max_len=4096
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rcnameserver.h"
#include "rcoptions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rcns ns[RCNS_MAX];
	size_t max = size ? data[0] % (RCNS_MAX + 1) : RCNS_MAX, n, m;

	n = rcns_parse((const char *)data, size, ns, max);
	(void)rcopt_use_vc_in((const char *)data, size);
	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		size_t sl = strnlen(ns[i].scope, sizeof(ns[i].scope));

		if (ns[i].family != AF_INET && ns[i].family != AF_INET6)
			abort();
		if (sl == sizeof(ns[i].scope) || (sl && ns[i].family != AF_INET6))
			abort();
	}
	/* cut after its last whole line (not anywhere: "nameserver :::" cut
	 * by one byte becomes "::", an address), the lines before it are the
	 * same lines: no more entries than the whole */
	for (size_t cut = size; cut > 0; cut--) {
		if (data[cut - 1] != '\n' || cut == size)
			continue;
		m = rcns_parse((const char *)data, cut, ns, max);
		if (m > n)
			abort();
		/* (an options line among the whole lines is in the whole) */
		if (rcopt_use_vc((const char *)data, cut) && !rcopt_use_vc((const char *)data, size))
			abort();
		break;
	}
	return 0;
}
