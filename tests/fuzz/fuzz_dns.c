/* SPDX-License-Identifier: MIT */
/* fuzz_dns.c — libFuzzer harness for what the DNS registration reads from
 * outside: the first byte picks a TSIG key file (tsigkey_parse) or a DNS
 * answer to a signed UPDATE (dnsupd_check). Neither may crash or leak, a
 * refused key file explains itself, and no answer that was not signed with
 * the key is ever taken as done.
 *
 * fuzz-flags: -max_len=4096
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsupdate.h"
#include "tsigkey.h"

static const struct tsig_key key = { "odm-test-key.", "hmac-sha256",
				     "3q2+796tvu/erb7v3q2+796tvu/erb7v3q2+796tvu8=" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dnsupd_msg req;
	struct tsig_key k;
	char err[256];
	int rc, te;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (tsigkey_parse(&k, (const char *)data + 1, size - 1, err, sizeof(err)) < 0) {
			if (strncmp(err, "line ", 5) != 0 || k.secret[0])
				abort();
		} else if (strlen(k.secret) < 24 || k.name[strlen(k.name) - 1] != '.') {
			abort();
		}
		return 0;
	}
	if (!req.wire) {
		struct in6_addr a;

		inet_pton(AF_INET6, "2001:db8:a1::10", &a);
		if (dnsupd_build(&req, "example.test", "mn.example.test", 60, &a, 0x4242, &key) < 0)
			abort();
	}
	/* a forged answer cannot carry a MAC over our request without the key */
	if (dnsupd_check(&req, data + 1, size - 1, &key, &rc, &te) == DNSUPD_DONE)
		abort();
	return 0;
}
