/* SPDX-License-Identifier: MIT */
/* test_chasearch.c — libodm/chasearch.c: the names of a cha.<host> search and its end. */
#include <criterion/criterion.h>
#include <string.h>

#include "chasearch.h"

static char names[CHASEARCH_MAX][CHASEARCH_NAME_MAX];
static const char *const one[] = { "example.test" };
static const char *const two[] = { "example.test", "corp.test" };

Test(chasearch, a_short_name_takes_the_search_list_first)
{
	size_t n = chasearch_names("cnds4", two, 2, 1, names, CHASEARCH_MAX);

	cr_assert_eq(n, 3);
	cr_assert_str_eq(names[0], "cha.cnds4.example.test");
	cr_assert_str_eq(names[1], "cha.cnds4.corp.test");
	cr_assert_str_eq(names[2], "cha.cnds4");
}

Test(chasearch, a_name_of_ndots_dots_is_asked_as_it_is_first)
{
	size_t n = chasearch_names("cn.example.test", one, 1, 1, names, CHASEARCH_MAX);

	cr_assert_eq(n, 2);
	cr_assert_str_eq(names[0], "cha.cn.example.test");
	cr_assert_str_eq(names[1], "cha.cn.example.test.example.test");
	/* ndots 3: two dots are too few, the search list first */
	n = chasearch_names("cn.example.test", one, 1, 3, names, CHASEARCH_MAX);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(names[0], "cha.cn.example.test.example.test");
	cr_assert_str_eq(names[1], "cha.cn.example.test");
}

Test(chasearch, a_rooted_name_alone_and_bounds)
{
	char big[300];

	cr_assert_eq(chasearch_names("cn.example.test.", two, 2, 1, names, CHASEARCH_MAX), 1);
	cr_assert_str_eq(names[0], "cha.cn.example.test.");
	cr_assert_eq(chasearch_names("cn", NULL, 0, 1, names, CHASEARCH_MAX), 1);
	cr_assert_str_eq(names[0], "cha.cn");
	cr_assert_eq(chasearch_names("cn", two, 2, 1, names, 2), 2, "at most max");
	cr_assert_eq(chasearch_names("", two, 2, 1, names, CHASEARCH_MAX), 0);
	cr_assert_eq(chasearch_names(NULL, two, 2, 1, names, CHASEARCH_MAX), 0);
	/* 249 characters: cha.<it> is 253, with a domain after it too long */
	memset(big, 'a', 249);
	big[249] = '\0';
	for (int i = 63; i < 249; i += 64)
		big[i] = '.';
	cr_assert_eq(chasearch_names(big, one, 1, 1, names, CHASEARCH_MAX), 1,
		     "the search ends before the name with the domain");
	cr_assert_eq(strlen(names[0]), 253);
	/* 248 with ndots 4: the search list first, and its long name ends it */
	big[248] = '\0';
	cr_assert_eq(chasearch_names(big, one, 1, 4, names, CHASEARCH_MAX), 0);
	big[248] = 'a';
	big[249] = 'a';
	big[250] = '\0';
	cr_assert_eq(chasearch_names(big, one, 1, 1, names, CHASEARCH_MAX), 0,
		     "no name can be asked: longer than a DNS name");
}

/* A short name whose cha.<name>.<domain> has an A record only (no AAAA),
 * and cha.<name> as it is refused (a DNS that serves only its own zones):
 * no CHA, as res_search(3) answers NO_DATA. */
Test(chasearch, no_record_under_one_name_outlasts_a_refusal_after_it)
{
	struct chasearch s = { 0 };

	cr_assert_eq(chasearch_step(&s, CHASEARCH_NODATA, 0), CHASEARCH_GO_ON);
	cr_assert_eq(chasearch_step(&s, CHASEARCH_FAILED, 1), CHASEARCH_NONE);
}

Test(chasearch, the_other_ends)
{
	struct chasearch s = { 0 };

	/* a record under the second name */
	cr_assert_eq(chasearch_step(&s, CHASEARCH_NXDOMAIN, 0), CHASEARCH_GO_ON);
	cr_assert_eq(chasearch_step(&s, CHASEARCH_FOUND, 0), CHASEARCH_IS);
	/* no such name anywhere: none */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(chasearch_step(&s, CHASEARCH_NXDOMAIN, 0), CHASEARCH_GO_ON);
	cr_assert_eq(chasearch_step(&s, CHASEARCH_NXDOMAIN, 1), CHASEARCH_NONE);
	/* no such name, then refused: nothing known (a short name with no cha
	 * anywhere, on a DNS that refuses the name as it is) */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(chasearch_step(&s, CHASEARCH_NXDOMAIN, 0), CHASEARCH_GO_ON);
	cr_assert_eq(chasearch_step(&s, CHASEARCH_FAILED, 0), CHASEARCH_UNKNOWN);
	/* a server failure goes on, and is what is known at the end */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(chasearch_step(&s, CHASEARCH_SERVFAIL, 0), CHASEARCH_GO_ON);
	cr_assert_eq(chasearch_step(&s, CHASEARCH_NXDOMAIN, 1), CHASEARCH_UNKNOWN);
	/* no answer at the first name: nothing known */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(chasearch_step(&s, CHASEARCH_FAILED, 0), CHASEARCH_UNKNOWN);
	/* a record found ends it, whatever came before */
	memset(&s, 0, sizeof(s));
	cr_assert_eq(chasearch_step(&s, CHASEARCH_NODATA, 0), CHASEARCH_GO_ON);
	cr_assert_eq(chasearch_step(&s, CHASEARCH_FOUND, 1), CHASEARCH_IS);
}
