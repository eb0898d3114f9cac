/* SPDX-License-Identifier: MIT */
/* fuzz_dns.c — libFuzzer harness for what the DNS registration reads from
 * outside: the first byte picks a TSIG key file (tsigkey_parse) or a DNS
 * answer to a signed UPDATE (dnsupd_check), as it came or (bit 1) made an
 * answer to that UPDATE and signed with the key over its MAC, as the server
 * would. Neither may crash or leak, a refused key file explains itself, no
 * answer that was not signed with the key is ever taken as done, and a
 * signed answer is taken: done exactly when its rcode is NOERROR. The
 * reason logged for an answer (dnsupd_reason) is always some text.
 *
 * fuzz-flags: -max_len=4096
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsupdate.h"
#include "tsigkey.h"

static const struct tsig_key key = { "odm-test-key.", "hmac-sha256",
				     "3q2+796tvu/erb7v3q2+796tvu/erb7v3q2+796tvu8=" };

static struct dnsupd_msg req;

static void check_reason(int rc, int te)
{
	char why[64];

	if (strlen(dnsupd_reason(rc, te, why, sizeof(why))) == 0)
		abort();
}

/* The bytes as the body of the server's answer: its id, QR and opcode set,
 * any TSIG replaced by the key's over the request's MAC */
static int signed_answer(const uint8_t *data, size_t size)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL, *ans;
	size_t len;
	int rc, te;
	enum dnsupd_verdict v;

	if (size < 12 || !(ans = malloc(size)))
		return 0;
	memcpy(ans, data, size);
	ans[0] = (uint8_t)(req.id >> 8);
	ans[1] = (uint8_t)req.id;
	ans[2] = (uint8_t)(0x80 | LDNS_PACKET_UPDATE << 3 | (ans[2] & 0x07));
	/* as it is, an answer to our request that cannot be taken; ldns reads
	 * it only if dnsupd_check found its records whole (ldns leaks those of
	 * a message it fails to read part-way) */
	v = dnsupd_check(&req, ans, size, &key, &rc, &te);
	if (v == DNSUPD_DONE)
		abort();
	check_reason(rc, te);
	if (v == DNSUPD_NOT_OURS || ldns_wire2pkt(&p, ans, size) != LDNS_STATUS_OK) {
		free(ans);
		return 0;
	}
	free(ans);
	ldns_rr_free(ldns_pkt_tsig(p));
	ldns_pkt_set_tsig(p, NULL);
	if (ldns_pkt_tsig_sign(p, key.name, key.secret, 300, "hmac-sha256.", req.mac) !=
		    LDNS_STATUS_OK ||
	    ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK) {
		ldns_pkt_free(p);
		free(wire);
		return 0;
	}
	v = dnsupd_check(&req, wire, len, &key, &rc, &te);
	/* an answer with another TSIG record besides ours is not taken */
	if (v == DNSUPD_UNSIGNED || (v == DNSUPD_DONE) != (rc == LDNS_RCODE_NOERROR) ||
	    (v != DNSUPD_NOT_OURS && (te != 0 || rc != (int)ldns_pkt_get_rcode(p))))
		abort();
	check_reason(rc, te);
	ldns_pkt_free(p);
	free(wire);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
	if (data[0] & 2)
		return signed_answer(data + 1, size - 1);
	/* a forged answer cannot carry a MAC over our request without the key */
	if (dnsupd_check(&req, data + 1, size - 1, &key, &rc, &te) == DNSUPD_DONE)
		abort();
	check_reason(rc, te);
	return 0;
}
