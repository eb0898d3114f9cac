/* SPDX-License-Identifier: MIT */
/*
 * test_mh_helpers.c — the small MH helpers: checksum, sequence-number
 * comparison, lifetime units, NTP timestamps, names.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "test_mh_fixture.h"

/* ---- checksum ---- */

Test(mh_checksum, hand_computed_brr)
{
	/*
	 * BRR 3b 00 00 00 | 00 00 | 00 00 from 2001:db8::1 to 2001:db8::2.
	 * 16-bit words, summed by hand:
	 *   src  2001 + 0db8 + 0001          = 2dba
	 *   dst  2001 + 0db8 + 0002          = 2dbb   -> 5b75
	 *   length 0000 0008                 -> 5b7d
	 *   zero, zero, 00 87 (NH 135)       -> 5c04
	 *   MH   3b00 + 0000 + (0000) + 0000 -> 9704  (no carry)
	 *   one's complement of 9704         =  68fb
	 */
	uint8_t brr[8] = { 0x3b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	struct in6_addr s = fx_addr("2001:db8::1"), d = fx_addr("2001:db8::2");
	struct mh_msg m;

	cr_assert_eq(mh_checksum(brr, sizeof brr, &s, &d), 0x68fb);
	/* the stored field does not count */
	brr[4] = 0x68;
	brr[5] = 0xfb;
	cr_assert_eq(mh_checksum(brr, sizeof brr, &s, &d), 0x68fb);
	cr_assert_eq(mh_decode(brr, sizeof brr, &m, &s, &d), 0);
	/* and the encoder produces the same bytes */
	memset(&m, 0, sizeof m);
	m.type = MH_TYPE_BRR;
	cr_assert_eq(mh_encode(&m, brr, sizeof brr, NULL, NULL, NULL, &s, &d), 8);
	cr_assert_eq(brr[4], 0x68);
	cr_assert_eq(brr[5], 0xfb);
}

Test(mh_checksum, hand_computed_with_carries)
{
	/*
	 * Eight bytes ff ff 00 00 ff ff ff ff, src = dst = :::
	 *   pseudo: length 0008 + NH 0087      = 008f
	 *   ffff + (checksum skipped) + ffff + ffff = 2fffd
	 *   008f + 2fffd = 3008c -> fold 008c + 3 = 008f
	 *   one's complement                  = ff70
	 */
	const uint8_t b[8] = { 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff };
	struct in6_addr z = IN6ADDR_ANY_INIT;

	cr_assert_eq(mh_checksum(b, sizeof b, &z, &z), 0xff70);
}

/* Plain reference: sums a copy with the field zeroed, one word at a time */
static uint16_t ref_cksum(const uint8_t *buf, size_t len,
			  const struct in6_addr *s, const struct in6_addr *d)
{
	uint8_t tmp[40 + MH_MAX_LEN + 1] = { 0 };
	uint64_t sum = 0;
	size_t i, n = 40 + len;

	memcpy(tmp, s, 16);
	memcpy(tmp + 16, d, 16);
	tmp[32] = (uint8_t)(len >> 24);
	tmp[33] = (uint8_t)(len >> 16);
	tmp[34] = (uint8_t)(len >> 8);
	tmp[35] = (uint8_t)len;
	tmp[39] = 135;
	memcpy(tmp + 40, buf, len);
	tmp[44] = tmp[45] = 0;
	for (i = 0; i < n; i += 2)
		sum += (uint64_t)tmp[i] << 8 | tmp[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

Test(mh_checksum, matches_reference_on_random_data)
{
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr s, d;
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 200; round++) {
		size_t len = 6 + (size_t)rand_r(&seed) % (MH_MAX_LEN - 5), i;

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		for (i = 0; i < 16; i++) {
			s.s6_addr[i] = (uint8_t)rand_r(&seed);
			d.s6_addr[i] = (uint8_t)rand_r(&seed);
		}
		cr_assert_eq(mh_checksum(buf, len, &s, &d),
			     ref_cksum(buf, len, &s, &d), "len %zu", len);
	}
}

/* ---- sequence numbers ---- */

Test(mh_seq, last_15_exhaustive)
{
	uint32_t v;

	/* RFC 6275 §9.5.1 (modulo 2^16): with last = 15, 0..15 and 32783..65535 are stale */
	for (v = 0; v <= 0xffff; v++) {
		int want = v >= 16 && v <= 32782;

		cr_assert_eq(mh_seq_newer((uint16_t)v, 15), want, "seq %u", v);
	}
}

Test(mh_seq, edges)
{
	cr_assert(!mh_seq_newer(0, 0), "equal is not newer");
	cr_assert(mh_seq_newer(1, 0));
	cr_assert(mh_seq_newer(32767, 0));
	cr_assert(!mh_seq_newer(32768, 0), "exactly half way is stale");
	cr_assert(!mh_seq_newer(65535, 0));
	cr_assert(mh_seq_newer(0, 65535), "wraps");
	cr_assert(mh_seq_newer(32766, 65535));
	cr_assert(!mh_seq_newer(32767, 65535));
	cr_assert(!mh_seq_newer(65534, 65535));
}

/* ---- lifetimes ---- */

Test(mh_lifetime, units_and_seconds)
{
	cr_assert_eq(mh_lifetime_units(0), 0);
	cr_assert_eq(mh_lifetime_units(3), 0, "rounded down");
	cr_assert_eq(mh_lifetime_units(4), 1);
	cr_assert_eq(mh_lifetime_units(600), 150);
	cr_assert_eq(mh_lifetime_units(MH_LIFETIME_MAX_S), 0xffff);
	cr_assert_eq(mh_lifetime_units(MH_LIFETIME_MAX_S + 4), 0xffff, "capped");
	cr_assert_eq(mh_lifetime_units(UINT32_MAX), 0xffff);
	cr_assert_eq(mh_lifetime_seconds(0), 0);
	cr_assert_eq(mh_lifetime_seconds(150), 600);
	cr_assert_eq(mh_lifetime_seconds(0xffff), MH_LIFETIME_MAX_S);
}

/* ---- NTP ---- */

Test(mh_ntp, from_timespec)
{
	struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 250000000 };

	cr_assert_eq(mh_ntp_from_timespec(&ts),
		     (1700000000ull + 2208988800ull) << 32 | 0x40000000u);
	ts.tv_sec = 0;
	ts.tv_nsec = 500000000;
	cr_assert_eq(mh_ntp_from_timespec(&ts), 2208988800ull << 32 | 0x80000000u);
}

Test(mh_ntp, round_trip_to_the_nanosecond)
{
	static const long ns[] = { 0, 1, 2, 499999999, 500000000, 999999998,
				   999999999 };
	size_t i;

	for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		struct timespec in = { .tv_sec = 1700000000, .tv_nsec = ns[i] };
		struct timespec out;

		mh_ntp_to_timespec(mh_ntp_from_timespec(&in), &out);
		cr_assert_eq(out.tv_sec, in.tv_sec);
		cr_assert_eq(out.tv_nsec, in.tv_nsec, "ns %ld", ns[i]);
	}
}

Test(mh_ntp, era_wrap_2036)
{
	/* 2036-02-07 06:28:16 UTC is NTP second 2^32, i.e. 0 in era 1 */
	struct timespec in = { .tv_sec = 2085978496, .tv_nsec = 0 }, out;
	struct timespec before = { .tv_sec = 2085978495, .tv_nsec = 0 };
	uint64_t a = mh_ntp_from_timespec(&in);
	uint64_t b = mh_ntp_from_timespec(&before);

	cr_assert_eq(a, 0);
	mh_ntp_to_timespec(a, &out);
	cr_assert_eq(out.tv_sec, in.tv_sec);
	cr_assert_eq(mh_ntp_diff_ms(a, b), 1000);
	cr_assert_eq(mh_ntp_diff_ms(b, a), -1000);
}

Test(mh_ntp, diff_ms)
{
	uint64_t t = 3908988800ull << 32;

	cr_assert_eq(mh_ntp_diff_ms(t, t), 0);
	cr_assert_eq(mh_ntp_diff_ms(t + (1ull << 32) + 0x80000000u, t), 1500);
	cr_assert_eq(mh_ntp_diff_ms(t, t + (1ull << 32) + 0x80000000u), -1500);
	cr_assert_eq(mh_ntp_diff_ms(t + (7ull << 32), t), 7000);
	/* 1/65536 s apart is 0.015 ms: floors to 0 one way, -1 the other */
	cr_assert_eq(mh_ntp_diff_ms(t + 0x10000, t), 0);
	cr_assert_eq(mh_ntp_diff_ms(t, t + 0x10000), -1);
}

/* ---- names ---- */

Test(mh_names, every_error_has_its_own_text)
{
	int e, f;

	for (e = MH_E_CRYPTO; e <= MH_E_TRUNCATED; e++) {
		cr_assert_str_neq(mh_strerror(e), mh_strerror(-100), "code %d", e);
		for (f = e + 1; f <= MH_E_TRUNCATED; f++)
			cr_assert_str_neq(mh_strerror(e), mh_strerror(f));
	}
	cr_assert_str_eq(mh_strerror(0), "success");
}

Test(mh_names, status_and_type)
{
	cr_assert_str_eq(mh_status_name(MH_BA_ACCEPTED), "accepted");
	cr_assert_str_eq(mh_status_name(MH_BA_AUTH_FAIL), "MIPV6-AUTH-FAIL");
	cr_assert_str_eq(mh_status_name(MH_BA_MESG_ID_REQD), "MIPV6-MESG-ID-REQD");
	cr_assert_str_eq(mh_status_name(MH_BA_ID_MISMATCH), "MIPV6-ID-MISMATCH");
	cr_assert_str_eq(mh_status_name(MH_BA_SEQ_OUT_OF_WINDOW),
			 "sequence number out of window");
	cr_assert_str_eq(mh_status_name(77), "accepted (unknown code)");
	cr_assert_str_eq(mh_status_name(250), "rejected (unknown code)");
	cr_assert_str_eq(mh_type_name(MH_TYPE_BU), "BU");
	cr_assert_str_eq(mh_type_name(MH_TYPE_BA), "BA");
	cr_assert_str_eq(mh_type_name(MH_TYPE_BE), "BE");
	cr_assert_str_eq(mh_type_name(MH_TYPE_BRR), "BRR");
	cr_assert_str_eq(mh_type_name(99), "unknown");
}
