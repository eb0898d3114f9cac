/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mh.c — libFuzzer harness for the Mobility Header codec.
 *
 * For any input: decode it with and without checksum checking (the two
 * results must agree, up to MH_E_CHECKSUM), and run mh_auth_verify() with a
 * fixed key on whatever decodes. For every successful decode, re-encode,
 * decode again and re-encode again: the two decoded messages must be equal
 * field by field and the two encodings byte for byte, the re-encoding must
 * pass its own checksum and authenticator, and a buffer one byte short must
 * give MH_E_NOSPACE. A message of an unknown type decodes to MH_E_TYPE
 * with its type and nothing else (what the host and the anchor answer with
 * a Binding Error, status 2), and that answer decodes as a known type, so
 * that two agents never answer each other's answers.
 * Any input also goes to mhparam_build (the ICMPv6
 * Parameter Problem it draws, mhparam.h): it draws one exactly when
 * mhparam_field names a field, never when it decodes, always when the
 * decoder says Payload Proto; the answer fits in 1280 octets with its
 * IPv6 header, points at 40 + the field and quotes the input's first
 * octets after a header that gives its length. Any inconsistency abort()s.
 *
 * fuzz-flags: -max_len=2049
 * (one byte over MH_MAX_LEN, so that the length limit is reached too)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh.h"
#include "mhparam.h"

static const uint8_t key[MH_AUTH_KEY_LEN] = {
	0x6f, 0x64, 0x6d, 0x2d, 0x66, 0x75, 0x7a, 0x7a,
	0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x31, 0x36, 0x21,
};
/* 2001:db8::1 (CoA / source) and 2001:db8::2 (HoA / destination) */
static const struct in6_addr addr_a = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 0, 1 } } };
static const struct in6_addr addr_b = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
					    0, 0, 0, 0, 0, 0, 0, 0, 2 } } };

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond))                                              \
			abort();                                          \
	} while (0)

static int same_msg(const struct mh_msg *a, const struct mh_msg *b)
{
	/* auth bytes and offsets legitimately change on re-encoding */
	return a->type == b->type && a->seq == b->seq &&
	       a->flags == b->flags && a->lifetime == b->lifetime &&
	       a->status == b->status &&
	       !memcmp(&a->be_home, &b->be_home, 16) &&
	       a->present == b->present && a->bra_refresh == b->bra_refresh &&
	       !memcmp(&a->altcoa, &b->altcoa, 16) &&
	       a->mnid_subtype == b->mnid_subtype &&
	       a->mnid_len == b->mnid_len &&
	       !memcmp(a->mnid, b->mnid, (size_t)a->mnid_len + 1) &&
	       a->hnp_len == b->hnp_len && !memcmp(&a->hnp, &b->hnp, 16) &&
	       a->replay_ts == b->replay_ts && a->timestamp == b->timestamp &&
	       a->bid == b->bid && a->bid_status == b->bid_status &&
	       a->bid_flags == b->bid_flags && a->coa_lost_ms == b->coa_lost_ms &&
	       a->coa_lost_tag == b->coa_lost_tag &&
	       a->service_len == b->service_len &&
	       !memcmp(a->service, b->service, a->service_len) &&
	       a->auth_subtype == b->auth_subtype &&
	       a->auth_spi == b->auth_spi;
}

static int encode(const struct mh_msg *m, uint8_t *buf, size_t cap)
{
	return mh_encode(m, buf, cap, key, &addr_a, &addr_b, &addr_a, &addr_b);
}

static void round_trip(struct mh_msg *m1)
{
	static uint8_t enc1[MH_MAX_LEN], enc2[MH_MAX_LEN];
	struct mh_msg m2;
	int len1, len2;

	/* the encoder can only produce MN-HA authenticators */
	if (m1->present & MH_HAS_AUTH)
		m1->auth_subtype = MH_AUTH_SUBTYPE_MNHA;
	len1 = encode(m1, enc1, sizeof enc1);
	CHECK(len1 > 0 && len1 % 8 == 0 && len1 <= MH_MAX_LEN);
	CHECK(encode(m1, enc2, (size_t)len1 - 1) == MH_E_NOSPACE);

	CHECK(mh_decode(enc1, (size_t)len1, &m2, &addr_a, &addr_b) == 0);
	CHECK(same_msg(m1, &m2));
	if (m2.present & MH_HAS_AUTH)
		CHECK(mh_auth_verify(enc1, (size_t)len1, &m2, key, &addr_a,
				     &addr_b) == 0);

	len2 = encode(&m2, enc2, sizeof enc2);
	CHECK(len2 == len1 && !memcmp(enc1, enc2, (size_t)len1));
}

/* An unknown type: m holds it alone; the Binding Error that answers it
 * (RFC 6275 section 9.2, as hostengine.c and anchor.c encode it) is of a
 * type every agent knows */
static void unknown_type(const uint8_t *data, size_t size, const struct mh_msg *m)
{
	struct mh_msg z, be;
	uint8_t ans[64];
	int n;

	CHECK(size >= 6);
	memset(&z, 0, sizeof z);
	z.type = data[2];
	CHECK(!memcmp(m, &z, sizeof z));
	memset(&be, 0, sizeof be);
	be.type = MH_TYPE_BE;
	be.status = MH_BE_UNKNOWN_MH;
	n = mh_encode(&be, ans, sizeof ans, NULL, NULL, NULL, NULL, NULL);
	CHECK(n > 0 && mh_decode(ans, (size_t)n, &z, NULL, NULL) == 0 && z.type == MH_TYPE_BE &&
	      z.status == MH_BE_UNKNOWN_MH);
}

static void param_problem(const uint8_t *data, size_t size, int rc)
{
	static uint8_t out[MHPARAM_MAX_LEN];
	const struct mhparam_rx rx = { .told = 1, .hoplimit = 64, .flowinfo = 0x0fffffff };
	int field = mhparam_field(data, size), n;
	size_t q;

	CHECK(field >= -1 && field <= MHPARAM_AT_HDRLEN);
	CHECK(field < 0 || rc != 0);
	if (rc == MH_E_PROTO)
		CHECK(field == MHPARAM_AT_PROTO);
	if (rc == MH_E_TRUNCATED && size >= 8 && ((size_t)data[1] + 1) * 8 == size &&
	    mh_min_len(data[2]) > 0)
		CHECK(field == MHPARAM_AT_HDRLEN);
	n = mhparam_build(data, size, &addr_a, &addr_b, &rx, out, sizeof out);
	CHECK((n > 0) == (field >= 0));
	if (n <= 0)
		return;
	CHECK(n <= MHPARAM_MAX_LEN && n >= MHPARAM_ICMP_HDR + MHPARAM_IP6_HDR + 8);
	CHECK(out[0] == 4 && out[1] == 0 && out[4] == 0 && out[5] == 0 && out[6] == 0);
	CHECK(out[7] == MHPARAM_IP6_HDR + field);
	CHECK(out[8] == 0x6f && out[14] == 135 && out[15] == 64);
	CHECK((size_t)(out[12] << 8 | out[13]) == size);
	q = (size_t)n - MHPARAM_ICMP_HDR - MHPARAM_IP6_HDR;
	CHECK(q == size || (q < size && n == MHPARAM_MAX_LEN));
	CHECK(memcmp(out + MHPARAM_ICMP_HDR + MHPARAM_IP6_HDR, data, q) == 0);
	CHECK(mhparam_build(data, size, &addr_a, &addr_b, &rx, out, (size_t)n - 1) == -ENOSPC);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mh_msg m1, mc;
	int rc, rc_ck;

	rc = mh_decode(data, size, &m1, NULL, NULL);
	param_problem(data, size, rc);
	rc_ck = mh_decode(data, size, &mc, &addr_a, &addr_b);
	/* a checksum check can only add MH_E_CHECKSUM, and only after the
	 * length checks */
	if (rc == MH_E_TRUNCATED && size < 6)
		CHECK(rc_ck == rc);
	else if (rc == MH_E_HDRLEN)
		CHECK(rc_ck == rc);
	else
		CHECK(rc_ck == rc || rc_ck == MH_E_CHECKSUM);
	CHECK(rc <= 0 && rc != MH_E_NOSPACE && rc != MH_E_INVAL &&
	      rc != MH_E_CRYPTO);
	if (rc == MH_E_TYPE)
		unknown_type(data, size, &m1);
	if (rc != 0)
		return 0;

	rc = mh_auth_verify(data, size, &m1, key, &addr_a, &addr_b);
	CHECK(rc == 0 || rc == MH_E_AUTH || rc == MH_E_AUTH_MISSING);
	CHECK((rc == MH_E_AUTH_MISSING) == !(m1.present & MH_HAS_AUTH));

	round_trip(&m1);
	return 0;
}
