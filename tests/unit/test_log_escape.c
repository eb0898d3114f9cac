/* SPDX-License-Identifier: MIT */
/* test_log_escape.c — log_escape(): nothing from the wire can shape a log line. */
#include <criterion/criterion.h>
#include <string.h>

#include "log.h"
#include "mh.h"

Test(log_escape, printable_ascii_unchanged)
{
	char out[LOG_ESC_MAX];

	cr_assert_str_eq(log_escape(out, sizeof out, "mn1@example.org", 255),
			 "mn1@example.org");
}

Test(log_escape, controls_escape_backslash_and_high_bytes)
{
	char out[LOG_ESC_MAX];
	const char in[] = "a\nb\x1b[2Jc\\d\x7f\xc3\xa9\r\t";

	cr_assert_str_eq(log_escape(out, sizeof out, in, sizeof in),
			 "a\\x0ab\\x1b[2Jc\\x5cd\\x7f\\xc3\\xa9\\x0d\\x09");
	for (const char *p = out; *p; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "byte %#x left in the line", *p);
}

Test(log_escape, stops_at_max_without_a_nul)
{
	char out[16];
	const char in[4] = { 'a', 'b', '\n', 'c' }; /* no NUL */

	cr_assert_str_eq(log_escape(out, sizeof out, in, 3), "ab\\x0a");
}

Test(log_escape, exact_fit_and_cut_short)
{
	char out[8];

	cr_assert_str_eq(log_escape(out, sizeof out, "1234567", 100), "1234567", "fits");
	cr_assert_str_eq(log_escape(out, sizeof out, "12345678", 100), "1234...");
	/* an escape is never cut in the middle */
	cr_assert_str_eq(log_escape(out, sizeof out, "12\n45678", 100), "12...");
	cr_assert_str_eq(log_escape(out, 1, "abc", 3), "");
}

Test(log_escape, longest_nai_fits)
{
	char in[MH_NAI_MAX + 1], out[LOG_ESC_MAX];

	memset(in, '\n', MH_NAI_MAX);
	in[MH_NAI_MAX] = '\0';
	log_escape(out, sizeof out, in, sizeof in);
	cr_assert_eq(strlen(out), 4 * MH_NAI_MAX, "no truncation of a 254-byte NAI");
}
