/* SPDX-License-Identifier: MIT */
/* test_dnsnegttl.c — libodm/core/dnsnegttl.c: how long a negative answer is kept. */
#include <criterion/criterion.h>
#include <string.h>

#include "dnsnegttl.h"

/* NXDOMAIN for cha.cn.example.test AAAA, the zone's SOA in the authority
 * section: owner example.test (a pointer to the question's), TTL soa_ttl,
 * MNAME ns1.example.test, RNAME hostmaster.example.test (pointers), and
 * MINIMUM min */
static size_t nxdomain(unsigned char *m, uint32_t soa_ttl, uint32_t min)
{
	static const unsigned char head[] = {
		0x12, 0x34, 0x84, 0x03, 0, 1, 0, 0, 0, 1, 0, 0,
		/* question at 12: cha.cn.example.test AAAA IN */
		3, 'c', 'h', 'a', 2, 'c', 'n', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's',
		't', 0, 0, 28, 0, 1,
	};
	size_t n = sizeof(head), rdlen;

	memcpy(m, head, n);
	/* owner: example.test at offset 12 + 4 + 3 = 19 */
	m[n++] = 0xc0, m[n++] = 19;
	m[n++] = 0, m[n++] = 6, m[n++] = 0, m[n++] = 1;
	m[n++] = soa_ttl >> 24, m[n++] = soa_ttl >> 16, m[n++] = soa_ttl >> 8, m[n++] = soa_ttl;
	rdlen = 4 + 2 + 11 + 2 + 20;
	m[n++] = 0, m[n++] = (unsigned char)rdlen;
	memcpy(m + n, "\3ns1\xc0\x13", 6), n += 6;
	memcpy(m + n, "\12hostmaster\xc0\x13", 13), n += 13;
	for (int i = 0; i < 4; i++)
		m[n++] = 0, m[n++] = 0, m[n++] = 0, m[n++] = (unsigned char)(i + 1);
	m[n++] = min >> 24, m[n++] = min >> 16, m[n++] = min >> 8, m[n++] = min;
	return n;
}

Test(dnsnegttl, the_smaller_of_the_soa_ttl_and_its_minimum)
{
	unsigned char m[512];
	uint32_t t = 99;
	size_t n = nxdomain(m, 30, 2);

	cr_assert_eq(dns_negative_ttl(m, n, &t), 0);
	cr_assert_eq(t, 2);
	n = nxdomain(m, 5, 600);
	cr_assert_eq(dns_negative_ttl(m, n, &t), 0);
	cr_assert_eq(t, 5);
	/* a TTL with its top bit set is 0 (RFC 2181 §8) */
	n = nxdomain(m, 0x80000000u, 600);
	cr_assert_eq(dns_negative_ttl(m, n, &t), 0);
	cr_assert_eq(t, 0);
}

Test(dnsnegttl, no_soa_or_a_malformed_message_says_nothing)
{
	unsigned char m[512];
	uint32_t t = 99;
	size_t n = nxdomain(m, 30, 2);

	/* no authority record */
	m[9] = 0;
	cr_assert_eq(dns_negative_ttl(m, n, &t), -1);
	m[9] = 1;
	/* the SOA counted as an answer record, not an authority one */
	m[7] = 1, m[9] = 0;
	cr_assert_eq(dns_negative_ttl(m, n, &t), -1);
	m[7] = 0, m[9] = 1;
	/* any cut of the message */
	for (size_t cut = 0; cut < n; cut++)
		cr_assert_eq(dns_negative_ttl(m, cut, &t), -1, "cut at %zu", cut);
	/* RDATA one byte longer than its names and fields */
	m[n] = 0;
	m[48]++;
	cr_assert_eq(dns_negative_ttl(m, n + 1, &t), -1);
	m[48]--;
	/* a pointer that does not point back: to itself */
	m[38] = 37;
	cr_assert_eq(dns_negative_ttl(m, n, &t), -1);
	m[38] = 19;
	/* another type than SOA */
	m[40] = 2;
	cr_assert_eq(dns_negative_ttl(m, n, &t), -1);
	m[40] = 6;
	cr_assert_eq(t, 99, "untouched");
	cr_assert_eq(dns_negative_ttl(m, n, &t), 0);
	cr_assert_eq(dns_negative_ttl(NULL, 0, &t), -1);
}

/* NXDOMAIN whose question name is 192 + last octets long with its root
 * label (three labels of 63 and one of last - 2), then an SOA of the root
 * (owner, MNAME and RNAME the root label) with TTL 7 and MINIMUM 9 */
static size_t long_question(unsigned char *m, size_t last)
{
	static const unsigned char head[] = { 0x12, 0x34, 0x84, 0x03, 0, 1, 0, 0, 0, 1, 0, 0 };
	size_t n = sizeof(head);

	memcpy(m, head, n);
	for (int i = 0; i < 3; i++) {
		m[n++] = 63;
		memset(m + n, 'a', 63), n += 63;
	}
	m[n++] = (unsigned char)(last - 2);
	memset(m + n, 'b', last - 2), n += last - 2;
	m[n++] = 0;
	m[n++] = 0, m[n++] = 28, m[n++] = 0, m[n++] = 1;
	m[n++] = 0;
	m[n++] = 0, m[n++] = 6, m[n++] = 0, m[n++] = 1;
	m[n++] = 0, m[n++] = 0, m[n++] = 0, m[n++] = 7;
	m[n++] = 0, m[n++] = 22, m[n++] = 0, m[n++] = 0;
	for (int i = 0; i < 4; i++)
		m[n++] = 0, m[n++] = 0, m[n++] = 0, m[n++] = 1;
	m[n++] = 0, m[n++] = 0, m[n++] = 0, m[n++] = 9;
	return n;
}

/* RFC 1035 §2.3.4: 255 octets at most, its root label's included; and a
 * compression pointer points at a name, past the 12-octet header */
Test(dnsnegttl, a_name_of_256_octets_or_a_pointer_into_the_header_is_malformed)
{
	unsigned char m[512];
	uint32_t t = 99;
	size_t n = long_question(m, 63);

	cr_assert_eq(n - 12 - 4 - 33, 255);
	cr_assert_eq(dns_negative_ttl(m, n, &t), 0, "a name of 255 octets");
	cr_assert_eq(t, 7);
	t = 99;
	n = long_question(m, 64);
	cr_assert_eq(n - 12 - 4 - 33, 256);
	cr_assert_eq(dns_negative_ttl(m, n, &t), -1, "a name of 256 octets");
	cr_assert_eq(t, 99);

	n = nxdomain(m, 30, 2);
	cr_assert_eq(dns_negative_ttl(m, n, &t), 0);
	/* the SOA's owner pointing at offset 4 (the counts) rather than 19 */
	m[38] = 4;
	t = 99;
	cr_assert_eq(dns_negative_ttl(m, n, &t), -1, "a pointer into the header");
	cr_assert_eq(t, 99);
}
