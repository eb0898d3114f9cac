/* SPDX-License-Identifier: MIT */
/*
 * test_reqlog.c — lines that clients' requests cause, held to a rate
 * (reqlog.h): what is held back is counted once, in the next line written.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "reqlog.h"

#define T0 7000000ull

/* What the test wrote to its redirected stderr, into buf (cap bytes) */
static void stderr_read(char *buf, size_t cap)
{
	size_t n;

	fflush(stderr);
	n = fread(buf, 1, cap - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
}

/*
 * One bucket holds lines of two levels (the policy's: warnings about false
 * claims, refusals at info). With the log at the warning level, info lines
 * are written nowhere: they must neither spend the bucket, which would
 * hold back the warnings, nor take the count of the warnings held back,
 * which would then be said by no line.
 */
Test(reqlog, a_line_below_the_log_level_spends_nothing_and_takes_no_count,
     .init = cr_redirect_stderr)
{
	static char buf[1 << 16];
	struct reqlog r;
	const char *p;
	int warns = 0;

	odm_log_init("test", ODM_LOG_WARN, 0);
	reqlog_init(&r, REQLOG_RATE, REQLOG_BURST, T0);
	/* a flood of refusals (info, not written at this level) */
	for (int i = 0; i < 1000; i++)
		reqlog_say(&r, T0 + (uint64_t)i / 10, ODM_LOG_INFO, "refused %d", i);
	/* then false claims: the first ones are warnings the log shows */
	for (int i = 0; i < 30; i++)
		reqlog_say(&r, T0 + 100, ODM_LOG_WARN, "claims %d", i);
	/* a refusal lets through nothing, then a warning a second later */
	reqlog_say(&r, T0 + 1100, ODM_LOG_INFO, "refused again");
	reqlog_say(&r, T0 + 1100, ODM_LOG_WARN, "claims again");
	stderr_read(buf, sizeof buf);
	for (p = buf; (p = strstr(p, "claims ")); p++)
		warns++;
	cr_assert_eq(warns, REQLOG_BURST + 1, "%d warnings written:\n%s", warns, buf);
	cr_assert_null(strstr(buf, "refused"), "%s", buf);
	/* the 10 claims held back are said by the next warning, none lost */
	cr_assert(strstr(buf, "claims again (and 10 more such line(s) since the last: debug level)"),
		  "%s", buf);
}

/* At the info level every line of the bucket counts, as before. */
Test(reqlog, held_lines_are_counted_once_in_the_next_line, .init = cr_redirect_stderr)
{
	static char buf[1 << 16];
	struct reqlog r;

	odm_log_init("test", ODM_LOG_INFO, 0);
	reqlog_init(&r, REQLOG_RATE, REQLOG_BURST, T0);
	for (int i = 0; i < REQLOG_BURST + 7; i++)
		reqlog_say(&r, T0, ODM_LOG_INFO, "line %d", i);
	reqlog_say(&r, T0 + 200, ODM_LOG_INFO, "next one");
	reqlog_say(&r, T0 + 400, ODM_LOG_INFO, "and one more");
	stderr_read(buf, sizeof buf);
	cr_assert(strstr(buf, "next one (and 7 more such line(s) since the last: debug level)"), "%s",
		  buf);
	cr_assert(strstr(buf, "and one more\n"), "no count twice:\n%s", buf);
}
