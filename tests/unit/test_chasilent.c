/* SPDX-License-Identifier: MIT */
/* test_chasilent.c — the agent's memory of cha lookups that got no answer
 * (chasilent.h), with a hand-driven clock. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chasilent.h"

static struct chasilent *s;

static void setup(void)
{
	s = calloc(1, sizeof(*s));
	cr_assert_not_null(s);
}

static void teardown(void)
{
	free(s);
}

TestSuite(chasilent, .init = setup, .fini = teardown);

/* check's verdict; *probe and *left as it set them */
static int check(uid_t uid, const char *name, uint64_t now, int *probe, uint64_t *left)
{
	return chasilent_check(s, uid, name, now, left, probe);
}

Test(chasilent, unknown_names_are_looked_up)
{
	uint64_t left;
	int probe;

	cr_assert_eq(check(1000, "cn.example.test", 5000, &probe, &left), 0);
	cr_assert_eq(probe, 0, "nothing was said of it: no probe");
	cr_assert_eq(chasilent_count(s, 5000), 0);
}

Test(chasilent, a_report_holds_for_the_users_processes)
{
	uint64_t left;
	int probe;

	cr_assert_eq(chasilent_note(s, 1000, "cn.example.test", 0, 5000), 0);
	cr_assert_eq(check(1000, "cn.example.test", 5001, &probe, &left), 1);
	cr_assert_eq(left, CHASILENT_HOLD_MS - 1);
	cr_assert_eq(check(1000, "CN.Example.TEST.", 5002, &probe, &left), 1,
		     "names compare without case or trailing dot");
	cr_assert_eq(check(1001, "cn.example.test", 5002, &probe, &left), 0,
		     "another user's lookups are not skipped for it");
	cr_assert_eq(probe, 0);
	cr_assert_eq(check(1000, "cn2.example.test", 5002, &probe, &left), 0,
		     "nor other names");
	cr_assert_eq(chasilent_count(s, 5002), 1);
	cr_assert_eq(s->spared, 2);
}

Test(chasilent, after_the_hold_one_probes_while_the_others_skip)
{
	uint64_t t = 5000 + CHASILENT_HOLD_MS, left;
	int probe;

	chasilent_note(s, 0, "cn", 0, 5000);
	cr_assert_eq(check(0, "cn", t, &probe, &left), 0, "the hold is over: look");
	cr_assert_eq(probe, 1, "and say how it went");
	cr_assert_eq(check(0, "cn", t + 100, &probe, &left), 1, "the others wait for it");
	cr_assert_eq(probe, 0);
	cr_assert_eq(left, CHASILENT_PROBE_MS - 100);
	/* the probe got no answer either: a new hold */
	chasilent_note(s, 0, "cn", 0, t + 2000);
	cr_assert_eq(check(0, "cn", t + 2000 + CHASILENT_HOLD_MS - 1, &probe, &left), 1);
	cr_assert_eq(check(0, "cn", t + 2000 + CHASILENT_HOLD_MS, &probe, &left), 0);
	cr_assert_eq(probe, 1);
	/* this probe got an answer: forgotten, everyone looks */
	chasilent_note(s, 0, "cn", 1, t + 2000 + CHASILENT_HOLD_MS + 50);
	cr_assert_eq(check(0, "cn", t + 2000 + CHASILENT_HOLD_MS + 60, &probe, &left), 0);
	cr_assert_eq(probe, 0);
	cr_assert_eq(chasilent_count(s, t + 2000 + CHASILENT_HOLD_MS + 60), 0);
}

Test(chasilent, a_probe_that_says_nothing_ends_the_memory)
{
	uint64_t t = 5000 + CHASILENT_HOLD_MS, left;
	int probe;

	chasilent_note(s, 0, "cn", 0, 5000);
	cr_assert_eq(check(0, "cn", t, &probe, &left), 0);
	cr_assert_eq(probe, 1);
	cr_assert_eq(check(0, "cn", t + CHASILENT_PROBE_MS, &probe, &left), 0);
	cr_assert_eq(probe, 0, "the prober went away: plain lookups again");
	cr_assert_eq(check(0, "cn", t + CHASILENT_PROBE_MS + 1, &probe, &left), 0);
	cr_assert_eq(probe, 0);
}

Test(chasilent, bounded_per_user_and_in_all)
{
	char name[32];
	uint64_t left;
	int probe, held = 0;

	/* one user says more names than its share: its own oldest go */
	for (int i = 0; i < CHASILENT_PER_UID + 10; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		cr_assert_eq(chasilent_note(s, 7, name, 0, 1000 + (uint64_t)i), 0);
	}
	cr_assert_eq(chasilent_count(s, 2000), CHASILENT_PER_UID);
	cr_assert_eq(check(7, "n0", 2000, &probe, &left), 0, "the oldest made room");
	cr_assert_eq(check(7, "n73", 2000, &probe, &left), 1);
	/* other users fill the rest: the table stays at its bound */
	for (uid_t u = 100; u < 110; u++)
		for (int i = 0; i < CHASILENT_PER_UID; i++) {
			snprintf(name, sizeof(name), "u%d", i);
			chasilent_note(s, u, name, 0, 3000);
		}
	cr_assert_eq(chasilent_count(s, 3000), CHASILENT_MAX);
	for (uid_t u = 100; u < 110; u++)
		held += check(u, "u0", 3000, &probe, &left);
	cr_assert_gt(held, 0);
	/* an ended entry's slot is taken before a live one's */
	cr_assert_eq(chasilent_count(s, 3000 + CHASILENT_HOLD_MS), 0);
	cr_assert_eq(chasilent_note(s, 1, "new", 0, 3000 + CHASILENT_HOLD_MS), 0);
	cr_assert_eq(chasilent_count(s, 3000 + CHASILENT_HOLD_MS), 1);
}

Test(chasilent, names_out_of_bounds)
{
	char name[CHASILENT_NAME_MAX + 2];
	uint64_t left;
	int probe;

	cr_assert_eq(chasilent_note(s, 0, "", 0, 1), -EINVAL);
	cr_assert_eq(chasilent_note(s, 0, ".", 0, 1), -EINVAL);
	cr_assert_eq(chasilent_note(s, 0, NULL, 0, 1), -EINVAL);
	memset(name, 'a', sizeof(name));
	name[CHASILENT_NAME_MAX + 1] = '\0';
	cr_assert_eq(chasilent_note(s, 0, name, 0, 1), -EINVAL);
	cr_assert_eq(check(0, name, 2, &probe, &left), 0);
	name[CHASILENT_NAME_MAX] = '\0';
	cr_assert_eq(chasilent_note(s, 0, name, 0, 1), 0);
	cr_assert_eq(check(0, name, 2, &probe, &left), 1);
}

/* A move: every user's names are forgotten (a probe's too), the next
 * process of each looks them up again, without being told it probes */
Test(chasilent, a_move_forgets_everything)
{
	uint64_t left;
	int probe;

	cr_assert_eq(chasilent_note(s, 1000, "cn.example.test", 0, 5000), 0);
	cr_assert_eq(chasilent_note(s, 1001, "cn2.example.test", 0, 5000), 0);
	cr_assert_eq(chasilent_note(s, 1000, "cn3.example.test", 0, 5000), 0);
	/* cn3's hold over: one process probes it */
	cr_assert_eq(check(1000, "cn3.example.test", 5000 + CHASILENT_HOLD_MS, &probe, &left), 0);
	cr_assert_eq(probe, 1);
	cr_assert_eq(chasilent_forget_all(s, 5000 + CHASILENT_HOLD_MS - 1), 3);
	cr_assert_eq(check(1000, "cn.example.test", 5100, &probe, &left), 0);
	cr_assert_eq(probe, 0);
	cr_assert_eq(check(1001, "cn2.example.test", 5100, &probe, &left), 0);
	cr_assert_eq(check(1000, "cn3.example.test", 5100, &probe, &left), 0);
	cr_assert_eq(probe, 0, "forgotten, not probed");
	cr_assert_eq(chasilent_count(s, 5100), 0);
}
