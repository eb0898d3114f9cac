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
#include "logread.h"
#include "reqlog.h"

#define T0 7000000ull

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
	log_read(buf, sizeof buf);
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
	log_read(buf, sizeof buf);
	cr_assert(strstr(buf, "next one (and 7 more such line(s) since the last: debug level)"), "%s",
		  buf);
	cr_assert(strstr(buf, "and one more\n"), "no count twice:\n%s", buf);
}

/* How many times needle is in the NUL-terminated text */
static int count_in(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/*
 * One user floods (a thousand refusals in half a second): it spends its own
 * bucket only. Another user's line in the middle of the flood is written at
 * its level with no count of the flooder's; the flooder's next line let
 * through says how many of its own were held back. Before, one bucket held
 * every user's lines: the other user's went to debug level.
 */
Test(reqlog, one_users_flood_spends_its_own_bucket_only, .init = cr_redirect_stderr)
{
	static char buf[1 << 17];
	struct reqlog_users r;
	int flood = 0;

	odm_log_init("test", ODM_LOG_INFO, 0);
	reqlog_users_init(&r, REQLOG_RATE, REQLOG_BURST, REQLOG_ALL_RATE, REQLOG_ALL_BURST, T0);
	for (int i = 0; i < 1000; i++) {
		reqlog_user_say(&r, 1000, T0 + (uint64_t)i / 2, ODM_LOG_INFO, "uid 1000 refused %d", i);
		if (i == 500)
			reqlog_user_say(&r, 1001, T0 + 250, ODM_LOG_INFO, "uid 1001 refused");
	}
	reqlog_user_say(&r, 1000, T0 + 1500, ODM_LOG_INFO, "uid 1000 refused later");
	log_read(buf, sizeof buf);
	flood = count_in(buf, "uid 1000 refused");
	/* the burst, 5 a second over the half second, and the last one */
	cr_assert_leq(flood, REQLOG_BURST + 3 + 1, "%d lines of the flooder:\n%s", flood, buf);
	cr_assert_geq(flood, REQLOG_BURST + 1, "%d lines of the flooder:\n%s", flood, buf);
	cr_assert(strstr(buf, "uid 1001 refused\n"), "the other user's line, at info level and "
		  "with no count:\n%s", buf + (strlen(buf) > 3000 ? strlen(buf) - 3000 : 0));
	cr_assert(strstr(buf, "uid 1000 refused later (and "), "%s",
		  buf + (strlen(buf) > 3000 ? strlen(buf) - 3000 : 0));
}

/*
 * Many users flooding at once: each has its own bucket, but all of them
 * together are held to REQLOG_ALL_BURST lines at once, the table of users
 * full or not (a hundred users, more than REQLOG_USERS). A line held back
 * by that bound is counted for its user and said by its next line.
 */
Test(reqlog, all_users_together_are_bounded, .init = cr_redirect_stderr)
{
	static char buf[1 << 20];
	struct reqlog_users r;
	char want[96];
	int lines;

	odm_log_init("test", ODM_LOG_INFO, 0);
	reqlog_users_init(&r, REQLOG_RATE, REQLOG_BURST, REQLOG_ALL_RATE, REQLOG_ALL_BURST, T0);
	for (int i = 0; i < 30; i++)
		for (uid_t u = 2000; u < 2100; u++)
			reqlog_user_say(&r, u, T0, ODM_LOG_INFO, "flood of uid %u", (unsigned)u);
	/* a second later: more for all users together */
	reqlog_user_say(&r, 2000, T0 + 1000, ODM_LOG_INFO, "last of uid 2000");
	log_read(buf, sizeof buf);
	lines = count_in(buf, "flood of uid");
	cr_assert_eq(lines, REQLOG_ALL_BURST, "%d lines at once from 100 users", lines);
	/* uid 2000's lines not let through are counted, in its next line */
	snprintf(want, sizeof(want), "last of uid 2000 (and %d more such line(s)",
		 30 - count_in(buf, "flood of uid 2000\n"));
	cr_assert(strstr(buf, want), "no \"%s\" in:\n%s", want,
		  buf + (strlen(buf) > 3000 ? strlen(buf) - 3000 : 0));
}

/*
 * The table of users is bounded (REQLOG_USERS): past it, users share one
 * bucket; a user's own bucket is given back once it is full again and owes
 * no count, so a new user later gets a whole one of its own.
 */
Test(reqlog, a_full_quiet_bucket_is_given_back, .init = cr_redirect_stderr)
{
	static char buf[1 << 17];
	struct reqlog_users r;

	odm_log_init("test", ODM_LOG_INFO, 0);
	/* all users together unbounded here: only the table is looked at */
	reqlog_users_init(&r, REQLOG_RATE, REQLOG_BURST, 1000000, 1000000, T0);
	for (uid_t u = 3000; u < 3000 + REQLOG_USERS; u++)
		reqlog_user_say(&r, u, T0, ODM_LOG_INFO, "one line of uid %u", (unsigned)u);
	/* the table is full of buckets just spent: these two share one */
	for (int i = 0; i < REQLOG_BURST + 5; i++)
		reqlog_user_say(&r, 4000, T0, ODM_LOG_INFO, "shared by uid 4000");
	for (int i = 0; i < 5; i++)
		reqlog_user_say(&r, 4001, T0, ODM_LOG_INFO, "shared by uid 4001");
	/* a second later those buckets are full again: a new user gets one */
	for (int i = 0; i < REQLOG_BURST + 5; i++)
		reqlog_user_say(&r, 4002, T0 + 1000, ODM_LOG_INFO, "own of uid 4002");
	log_read(buf, sizeof buf);
	cr_assert_eq(count_in(buf, "shared by uid 4000"), REQLOG_BURST);
	cr_assert_eq(count_in(buf, "shared by uid 4001"), 0, "the shared bucket was spent");
	cr_assert_eq(count_in(buf, "own of uid 4002"), REQLOG_BURST, "%s",
		     buf + (strlen(buf) > 3000 ? strlen(buf) - 3000 : 0));
}

/*
 * The users past the table share one bucket and one count: the line of one
 * of them let through says that the lines held back were of those users,
 * not that they were its own (uid 4001 here sent no other line).
 */
Test(reqlog, the_shared_count_is_not_said_as_one_users_own, .init = cr_redirect_stderr)
{
	static char buf[1 << 17];
	struct reqlog_users r;
	char want[128];

	odm_log_init("test", ODM_LOG_INFO, 0);
	/* 2 lines at once, 1 a second per user; all users unbounded */
	reqlog_users_init(&r, 1, 2, 1000000, 1000000, T0);
	/* the table's buckets all spent: full again only 2 s later */
	for (uid_t u = 3000; u < 3000 + REQLOG_USERS; u++)
		for (int i = 0; i < 2; i++)
			reqlog_user_say(&r, u, T0, ODM_LOG_INFO, "line of uid %u", (unsigned)u);
	/* uid 4000, past the table: 2 lines let through, 5 held back */
	for (int i = 0; i < 2 + 5; i++)
		reqlog_user_say(&r, 4000, T0, ODM_LOG_INFO, "shared by uid 4000");
	reqlog_user_say(&r, 4001, T0 + 1000, ODM_LOG_INFO, "shared by uid 4001");
	log_read(buf, sizeof buf);
	snprintf(want, sizeof(want),
		 "shared by uid 4001 (and 5 more such line(s) of users past the %d kept since "
		 "the last: debug level)\n",
		 REQLOG_USERS);
	cr_assert(strstr(buf, want), "no \"%s\" in %zu bytes:\n%s", want, strlen(buf),
		  buf + (strlen(buf) > 1000 ? strlen(buf) - 1000 : 0));
}
