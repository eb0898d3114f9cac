/* SPDX-License-Identifier: MIT */
/* test_ownpid.c — whose the shim's state is: the owner, a vfork child, a fork child. */
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

/* A fork child is foreign until it takes the state (the fork handler does). */
Test(ownpid, a_fork_child_owns_its_copy_once_it_takes_it)
{
	int p[2], st = 0;
	char got[2] = { 0 };
	pid_t pid;

	ownpid_take();
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		char r[2];
		r[0] = (char)('0' + ownpid_foreign());
		ownpid_take();
		r[1] = (char)('0' + ownpid_foreign());
		_exit(write(p[1], r, 2) == 2 ? 0 : 1);
	}
	cr_assert_gt(pid, 0);
	cr_assert_eq(read(p[0], got, 2), 2);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert_eq(got[0], '1', "before it takes the state, a fork child is foreign");
	cr_assert_eq(got[1], '0', "after it takes it, the child owns its copy");
	close(p[0]);
	close(p[1]);
}
