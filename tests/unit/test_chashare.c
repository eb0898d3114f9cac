/* SPDX-License-Identifier: MIT */
/* test_chashare.c — what a shim's cha.<host> lookup tells the agent
 * (chashare.h chashare_report). */
#include <criterion/criterion.h>

#include <errno.h>

#include "chacache.h"
#include "chashare.h"

Test(chashare, a_lookup_tells_its_silence_and_a_probe_its_answer)
{
	cr_assert_eq(chashare_report(-ETIMEDOUT, 0, 0), 0, "no answer in time: said");
	cr_assert_eq(chashare_report(-ETIMEDOUT, 1, 0), 0, "a probe's silence: said");
	cr_assert_eq(chashare_report(CHA_FOUND, 1, 0), 1, "a probe's answer: said");
	cr_assert_eq(chashare_report(CHA_NONE, 1, 0), 1, "a probe's 'none': an answer");
	cr_assert_eq(chashare_report(CHA_FOUND, 0, 0), -1, "an answer of no probe: nothing");
	cr_assert_eq(chashare_report(-EIO, 0, 0), -1, "a failure that is no silence: nothing");
}

/* A set-user-ID root program run by another user: that user can stop it
 * past its wait (SIGSTOP), and its silence, said as root's, would make
 * root's processes skip the name. It says no silence; a probe's answer
 * (which only makes them look again) still goes. */
Test(chashare, a_process_in_secure_execution_never_says_it_got_no_answer)
{
	cr_assert_eq(chashare_report(-ETIMEDOUT, 0, 1), -1);
	cr_assert_eq(chashare_report(-ETIMEDOUT, 1, 1), -1);
	cr_assert_eq(chashare_report(CHA_FOUND, 1, 1), 1);
}

/* A lookup that could send no query (the process out of descriptors,
 * chalookup.c sock_open) learned nothing of the DNS: a probe's said as an
 * answer would end the user's memory of a silent DNS, and every other
 * process would wait its 2 s again. */
Test(chashare, a_lookup_that_sent_no_query_says_nothing)
{
	cr_assert_eq(chashare_report(-EMFILE, 1, 0), -1, "a probe with no descriptor: nothing");
	cr_assert_eq(chashare_report(-ENFILE, 1, 0), -1, "a probe, the system out of files: nothing");
	cr_assert_eq(chashare_report(-EMFILE, 0, 0), -1, "no probe: nothing");
}
