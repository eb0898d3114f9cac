/* SPDX-License-Identifier: MIT */
/*
 * test_tunnel_table.c — the backends' bindings table (tunnel_table.h):
 * add, find, delete across growth, endpoint counts, and the stats op's
 * lookup.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "testaddr.h"
#include "tunnel_table.h"

/* 2001:db8:c4a::<i> */
static struct in6_addr inner(unsigned i)
{
	char s[48];

	snprintf(s, sizeof s, "2001:db8:c4a::%x", i);
	return A(s);
}

Test(tunnel_table, add_find_del_across_growth)
{
	struct tunnel_table tt;
	const unsigned n = 1000; /* past several doublings of the 16 buckets */

	cr_assert_eq(tunnel_table_init(&tt), 0);
	for (unsigned i = 1; i <= n; i++) {
		struct in6_addr a = inner(i);
		struct tunnel_entry *e = tunnel_table_add(&tt, &a);

		cr_assert_not_null(e);
		e->st.rx_packets = i;
	}
	cr_assert_eq(tt.count, n);
	cr_assert_gt(tt.nbuckets, 16);
	for (unsigned i = 1; i <= n; i++) {
		struct in6_addr a = inner(i);
		struct tunnel_entry *e = tunnel_table_find(&tt, &a);

		cr_assert_not_null(e, "entry %u lost", i);
		cr_assert_eq(e->st.rx_packets, i, "entry %u is another's", i);
	}
	for (unsigned i = 1; i <= n; i += 2) {
		struct in6_addr a = inner(i);

		cr_assert_eq(tunnel_table_del(&tt, &a), 0);
		cr_assert_eq(tunnel_table_del(&tt, &a), -ENOENT, "deleted twice");
	}
	cr_assert_eq(tt.count, n / 2);
	for (unsigned i = 1; i <= n; i++) {
		struct in6_addr a = inner(i);

		cr_assert_eq(tunnel_table_find(&tt, &a) != NULL, i % 2 == 0, "entry %u", i);
	}
	tunnel_table_free(&tt);
	cr_assert_eq(tt.count, 0);
}

Test(tunnel_table, count_local_and_stats)
{
	struct tunnel_table tt;
	struct in6_addr coa1 = A("2001:db8:a1::1"), coa2 = A("2001:db8:a2::1");
	struct in6_addr a = inner(1), b = inner(2), c = inner(3);
	struct odm_tunnel_stats total = { .rx_packets = 7 }, st;

	cr_assert_eq(tunnel_table_init(&tt), 0);
	tunnel_table_add(&tt, &a)->local = coa1;
	tunnel_table_add(&tt, &b)->local = coa1;
	tunnel_table_add(&tt, &c)->local = coa2;
	cr_assert_eq(tunnel_table_count_local(&tt, &coa1), 2);
	cr_assert_eq(tunnel_table_count_local(&tt, &coa2), 1);
	tunnel_table_find(&tt, &b)->st.tx_packets = 5;
	cr_assert_eq(tunnel_table_stats(&tt, &total, NULL, &st), 0);
	cr_assert_eq(st.rx_packets, 7, "NULL inner: the totals");
	cr_assert_eq(tunnel_table_stats(&tt, &total, &b, &st), 0);
	cr_assert_eq(st.tx_packets, 5);
	cr_assert_eq(st.rx_packets, 0);
	struct in6_addr none = inner(9);
	cr_assert_eq(tunnel_table_stats(&tt, &total, &none, &st), -ENOENT);
	tunnel_table_free(&tt);
}

/* A device's totals (the sum) do not fall when a binding ends: the deleted
 * entry's packets, bytes and replays stay in them; its times do not. */
Test(tunnel_table, sum_keeps_the_traffic_of_deleted_entries)
{
	struct tunnel_table tt;
	struct in6_addr a = inner(1), b = inner(2);
	struct odm_tunnel_stats sum = { 0 };
	struct tunnel_entry *e;

	cr_assert_eq(tunnel_table_init(&tt), 0);
	e = tunnel_table_add(&tt, &a);
	e->st = (struct odm_tunnel_stats){ .rx_packets = 10, .rx_bytes = 1000, .tx_packets = 4,
					   .tx_bytes = 400, .replayed = 2, .last_rx_ms = 50 };
	e = tunnel_table_add(&tt, &b);
	e->st = (struct odm_tunnel_stats){ .rx_packets = 1, .rx_bytes = 100, .last_rx_ms = 20 };
	cr_assert_eq(tunnel_table_del(&tt, &a), 0);
	tunnel_table_sum(&tt, &sum);
	cr_assert_eq(sum.rx_packets, 11);
	cr_assert_eq(sum.rx_bytes, 1100);
	cr_assert_eq(sum.tx_packets, 4);
	cr_assert_eq(sum.tx_bytes, 400);
	cr_assert_eq(sum.replayed, 2);
	cr_assert_eq(sum.last_rx_ms, 20, "the times are the live bindings' only");
	cr_assert_eq(tunnel_table_del(&tt, &b), 0);
	memset(&sum, 0, sizeof sum);
	tunnel_table_sum(&tt, &sum);
	cr_assert_eq(sum.rx_packets, 11, "with no binding left");
	cr_assert_eq(tunnel_table_del(&tt, &b), -ENOENT);
	memset(&sum, 0, sizeof sum);
	tunnel_table_sum(&tt, &sum);
	cr_assert_eq(sum.rx_packets, 11, "a failed delete counts nothing twice");
	tunnel_table_free(&tt);
}
