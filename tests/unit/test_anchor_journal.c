/* SPDX-License-Identifier: MIT */
/*
 * test_anchor_journal.c — the anchor's journal of deregistrations
 * (anchor_journal.h): its lines and the strict parser.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "anchor_journal.h"
#include "testaddr.h"

static int parse(const char *text, struct aj_entry **v, size_t *n, char *err)
{
	return aj_parse(text, strlen(text), v, n, err, 128);
}

Test(anchor_journal, a_line_reads_back_as_written)
{
	struct in6_addr hoa = A("2001:db8:c4a::1002");
	char line[AJ_LINE_MAX + 1], err[128];
	struct aj_entry *v;
	size_t n;
	int len = aj_format(&hoa, 65535, "mn@example.test", line, sizeof(line));

	cr_assert_eq(len, (int)strlen("2001:db8:c4a::1002 65535 mn@example.test\n"));
	cr_assert_str_eq(line, "2001:db8:c4a::1002 65535 mn@example.test\n");
	cr_assert_eq(parse(line, &v, &n, err), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert(!memcmp(&v[0].hoa, &hoa, sizeof(hoa)));
	cr_assert_eq(v[0].seq, 65535);
	cr_assert_str_eq(v[0].nai, "mn@example.test");
	free(v);
}

Test(anchor_journal, a_nai_a_line_cannot_hold_is_refused)
{
	struct in6_addr hoa = A("2001:db8:c4a::1");
	char line[AJ_LINE_MAX + 1], nai[MH_NAI_MAX + 2];

	cr_assert_eq(aj_format(&hoa, 1, "", line, sizeof(line)), -EINVAL);
	cr_assert_eq(aj_format(&hoa, 1, "a b@c", line, sizeof(line)), -EINVAL);
	cr_assert_eq(aj_format(&hoa, 1, "a\n@c", line, sizeof(line)), -EINVAL);
	memset(nai, 'n', sizeof(nai) - 1);
	nai[sizeof(nai) - 1] = '\0';
	cr_assert_eq(aj_format(&hoa, 1, nai, line, sizeof(line)), -EINVAL);
	nai[MH_NAI_MAX] = '\0';
	cr_assert_gt(aj_format(&hoa, 1, nai, line, sizeof(line)), 0);
	cr_assert_eq(aj_format(&hoa, 1, "mn@example.test", line, 10), -ENOSPC);
}

Test(anchor_journal, a_last_line_cut_short_is_left_out)
{
	struct aj_entry *v;
	size_t n;
	char err[128];

	cr_assert_eq(parse("2001:db8::1 7 a@b\n2001:db8::2 8 a@", &v, &n, err), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].seq, 7);
	free(v);
	cr_assert_eq(parse("", &v, &n, err), 0);
	cr_assert_eq(n, 0);
	free(v);
}

Test(anchor_journal, malformed_lines_are_refused_with_their_number)
{
	static const char *bad[] = {
		"2001:db8::1 7 a@b\nnot-an-address 7 a@b\n",
		"2001:db8::1 7 a@b\n2001:db8::1  7 a@b\n",
		"2001:db8::1 7 a@b\n2001:db8::1 65536 a@b\n",
		"2001:db8::1 7 a@b\n2001:db8::1 007 a@b\n",
		"2001:db8::1 7 a@b\n2001:db8::1 -7 a@b\n",
		"2001:db8::1 7 a@b\n2001:db8::1 7\n",
		"2001:db8::1 7 a@b\n2001:db8::1 7 \n",
		"2001:db8::1 7 a@b\n2001:db8::1 7 a b\n",
		"2001:db8::1 7 a@b\n192.0.2.1 7 a@b\n",
	};
	struct aj_entry *v = NULL;
	size_t n = 0;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse(bad[i], &v, &n, err), -EINVAL, "accepted: %s", bad[i]);
		cr_assert(strstr(err, "line 2"), "%s: %s", bad[i], err);
	}
}

Test(anchor_journal, no_more_lines_than_the_journal_holds)
{
	const char *l = "2001:db8::1 7 a@b\n";
	size_t ll = strlen(l), n;
	char *text = malloc(ll * (AJ_MAX + 1)), err[128];
	struct aj_entry *v;

	cr_assert(text);
	for (size_t i = 0; i < AJ_MAX; i++)
		memcpy(text + i * ll, l, ll);
	cr_assert_eq(aj_parse(text, ll * AJ_MAX, &v, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, AJ_MAX);
	free(v);
	memcpy(text + AJ_MAX * ll, l, ll);
	cr_assert_eq(aj_parse(text, ll * (AJ_MAX + 1), &v, &n, err, sizeof(err)), -EINVAL);
	free(text);
}
