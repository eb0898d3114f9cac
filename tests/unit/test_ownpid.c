/* SPDX-License-Identifier: MIT */
/* test_ownpid.c — whose the shim's state is: the owner, a vfork child, a child
 * made without the fork handler (_Fork). */
#include <criterion/criterion.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ownpid.h"

Test(ownpid, the_owner_is_not_foreign)
{
	ownpid_take();
	cr_assert_eq(ownpid_foreign(), 0);
	cr_assert_eq(ownpid_foreign(), 0, "asking twice changes nothing");
}

/* A vfork child writes into the parent's memory: that is how it reports. */
Test(ownpid, a_vfork_child_is_foreign_and_leaves_the_owner_be)
{
	static volatile int in_child = -1;
	int st = 0;
	pid_t pid;

	ownpid_take();
	pid = vfork();
	if (pid == 0) {
		in_child = ownpid_foreign();
		_exit(0);
	}
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert_eq(in_child, 1, "the vfork child must keep its hands off");
	cr_assert_eq(ownpid_foreign(), 0, "the owner is still the owner after the child asked");
}

static int adopted;
static void count_adopt(void)
{
	adopted++;
}

/*
 * A child with a copy of its own made without the fork handler (_Fork,
 * clone without CLONE_VM) takes its copy on its first question: not
 * foreign, and the handler's work (the adopt function) done once.
 */
Test(ownpid, a_child_without_the_fork_handler_takes_its_copy_at_once)
{
	int p[2], st = 0;
	char got[3] = { 0 };
	pid_t pid;

	ownpid_take();
	ownpid_on_adopt(count_adopt);
	adopted = 0;
	cr_assert_eq(pipe(p), 0);
	pid = _Fork();
	if (pid == 0) {
		char r[3];
		r[0] = (char)('0' + ownpid_foreign());
		r[1] = (char)('0' + ownpid_foreign());
		r[2] = (char)('0' + adopted);
		_exit(write(p[1], r, 3) == 3 ? 0 : 1);
	}
	cr_assert_gt(pid, 0);
	cr_assert_eq(read(p[0], got, 3), 3);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert_eq(got[0], '0', "a _Fork child owns its copy at its first question");
	cr_assert_eq(got[1], '0', "and still at its second");
	cr_assert_eq(got[2], '1', "the fork handler's work was done for it, once");
	cr_assert_eq(adopted, 0, "nothing was done in the parent");
	cr_assert_eq(ownpid_foreign(), 0, "the parent is still the owner");
	ownpid_on_adopt(NULL);
	close(p[0]);
	close(p[1]);
}

/* A vfork child asks again and again: it never takes the state, nor is the
 * handler's work done in the memory it shares with the owner. */
Test(ownpid, a_vfork_child_never_takes_the_state)
{
	static volatile int in_child[2] = { -1, -1 };
	int st = 0;
	pid_t pid;

	ownpid_take();
	ownpid_on_adopt(count_adopt);
	adopted = 0;
	pid = vfork();
	if (pid == 0) {
		in_child[0] = ownpid_foreign();
		in_child[1] = ownpid_foreign();
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert_eq(in_child[0], 1);
	cr_assert_eq(in_child[1], 1);
	cr_assert_eq(adopted, 0, "no adopt in the owner's memory");
	ownpid_on_adopt(NULL);
}
