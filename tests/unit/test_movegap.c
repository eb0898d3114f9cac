/* SPDX-License-Identifier: MIT */
/* test_movegap.c — a move's gap (movegap.h), with a hand-driven clock. */
#include <criterion/criterion.h>

#include <string.h>

#include "movegap.h"

static struct movegap g;

static void setup(void)
{
	memset(&g, 0, sizeof(g));
}

TestSuite(movegap, .init = setup);

static enum movegap_verdict ask(uint64_t now, uint64_t *until)
{
	return movegap_ask(&g, now, until);
}

Test(movegap, a_host_that_never_had_an_address_is_never_in_a_gap)
{
	uint64_t until;

	cr_assert_eq(ask(1000, &until), MOVEGAP_NO);
	movegap_look(&g, 0, 0, 0, 2000);
	cr_assert_eq(ask(2001, &until), MOVEGAP_NO, "no address yet is no move");
	cr_assert_eq(until, 0);
}

Test(movegap, a_host_with_its_address_is_not_in_a_gap)
{
	uint64_t until;

	movegap_look(&g, 1, 0, 0, 1000);
	cr_assert_eq(ask(1001, &until), MOVEGAP_NO, "the first address is no gap's end");
	movegap_look(&g, 2, 0, 0, 5000);
	cr_assert_eq(ask(5001, &until), MOVEGAP_NO, "an address added is no move");
}

Test(movegap, a_lookup_in_the_gap_waits_for_its_end)
{
	uint64_t until;

	movegap_look(&g, 1, 0, 0, 1000);
	/* the link went at 9990, seen at 10000 */
	movegap_look(&g, 0, 1, 9990, 10000);
	cr_assert_eq(ask(10005, &until), MOVEGAP_WAIT);
	cr_assert_eq(until, 9990 + MOVEGAP_WAIT_MS, "bounded from the gap's start");
	/* a look while the gap lasts does not move its start */
	movegap_look(&g, 0, 0, 10020, 10030);
	cr_assert_eq(ask(10040, &until), MOVEGAP_WAIT);
	cr_assert_eq(until, 9990 + MOVEGAP_WAIT_MS);
	/* the new address: ask again */
	movegap_look(&g, 1, 0, 10050, 10060);
	cr_assert_eq(ask(10060, &until), MOVEGAP_RETRY);
	cr_assert_eq(until, 0);
}

Test(movegap, a_failure_told_after_the_gap_ended_is_asked_again_then_not)
{
	uint64_t until;

	movegap_look(&g, 1, 0, 0, 1000);
	movegap_look(&g, 0, 1, 0, 2000);
	movegap_look(&g, 1, 0, 0, 2030);
	cr_assert_eq(ask(2030 + MOVEGAP_RECENT_MS, &until), MOVEGAP_RETRY);
	cr_assert_eq(ask(2031 + MOVEGAP_RECENT_MS, &until), MOVEGAP_NO,
		     "long after the move, a failure is not its");
}

Test(movegap, an_unseen_gap_is_a_usable_address_replaced)
{
	uint64_t until;

	movegap_look(&g, 1, 0, 0, 1000);
	/* the agent looked only once the new link was up */
	movegap_look(&g, 1, 1, 0, 3000);
	cr_assert_eq(ask(3002, &until), MOVEGAP_RETRY);
}

Test(movegap, an_offline_host_waits_once_then_fails_at_once)
{
	uint64_t until;

	movegap_look(&g, 1, 0, 0, 1000);
	movegap_look(&g, 0, 1, 0, 2000);
	cr_assert_eq(ask(2000 + MOVEGAP_WAIT_MS - 1, &until), MOVEGAP_WAIT);
	cr_assert_eq(until, 2000 + MOVEGAP_WAIT_MS);
	cr_assert_eq(ask(2000 + MOVEGAP_WAIT_MS, &until), MOVEGAP_NO, "the bound is over");
	movegap_look(&g, 0, 0, 0, 9000);
	cr_assert_eq(ask(9001, &until), MOVEGAP_NO, "a later look is no new gap");
	/* back online, then the link goes again: a new gap, a new bound */
	movegap_look(&g, 1, 0, 0, 20000);
	movegap_look(&g, 0, 1, 0, 30000);
	cr_assert_eq(ask(30001, &until), MOVEGAP_WAIT);
	cr_assert_eq(until, 30000 + MOVEGAP_WAIT_MS);
}

Test(movegap, a_since_after_now_is_now)
{
	uint64_t until;

	movegap_look(&g, 1, 0, 0, 1000);
	movegap_look(&g, 0, 1, 5000, 2000);
	cr_assert_eq(ask(2001, &until), MOVEGAP_WAIT);
	cr_assert_eq(until, 2000 + MOVEGAP_WAIT_MS);
}

Test(movegap, an_unanswered_lookup_is_the_moves_only_if_the_host_moved_while_it_was_out)
{
	cr_assert_not(movegap_moved_since(&g, 0), "nothing seen yet");
	movegap_look(&g, 1, 0, 0, 1000);
	cr_assert_not(movegap_moved_since(&g, 500), "the first address is no move");
	/* a move: the old link went at 5000, the new address at 5100 */
	movegap_look(&g, 0, 1, 0, 5000);
	cr_assert(movegap_moved_since(&g, 4000), "in the gap now");
	cr_assert(movegap_moved_since(&g, 5050), "in the gap, whenever it was asked");
	movegap_look(&g, 1, 0, 0, 5100);
	cr_assert(movegap_moved_since(&g, 4000), "asked before the gap ended");
	cr_assert(movegap_moved_since(&g, 5100), "asked as it ended");
	cr_assert_not(movegap_moved_since(&g, 5101),
		      "asked after it ended: the move lost nothing of it, the DNS was silent");
	/* an unseen gap (a usable address replaced, or a carrier's loss) */
	movegap_look(&g, 1, 1, 0, 9000);
	cr_assert(movegap_moved_since(&g, 7000));
	cr_assert_not(movegap_moved_since(&g, 9001));
}
