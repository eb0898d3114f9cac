/* SPDX-License-Identifier: MIT */
/*
 * test_shield.c — the shim's records of its own fds (libodm/shield.c): a
 * number the application closed and the kernel gave to a socket of the
 * shim's other owner is not taken for the first owner's.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shield.h"

/* what a close_range(first, ~0) of the application leaves: the records
 * marked closed (the hook's part), the fds closed */
static void app_close(int fd)
{
	shield_app_closed((unsigned)fd, ~0U);
	close(fd);
}

Test(shield, a_number_reused_by_the_other_owner_is_not_the_first_ones)
{
	int a = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), b;

	cr_assert_geq(a, 0);
	cr_assert_eq(shield_add(a, SHIELD_AGENT), 0);
	cr_assert_eq(shield_valid(a, SHIELD_AGENT), 1);
	cr_assert_eq(shield_valid(a, SHIELD_CARES), 0, "recorded for the agent client only");
	app_close(a);
	/* c-ares opens a socket: the kernel gives it the lowest free number */
	b = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(b, a, "the number was not reused (%d, %d): the test shows nothing", a, b);
	cr_assert_eq(shield_add(b, SHIELD_CARES), 0);
	cr_assert_eq(shield_valid(b, SHIELD_CARES), 1);
	cr_assert_eq(shield_valid(a, SHIELD_AGENT), 0,
		     "c-ares' new socket taken for the agent connection the application closed");
	cr_assert_eq(shield_remove(a, SHIELD_AGENT), 0, "so the agent client would close it");
	cr_assert_geq(fcntl(b, F_GETFD), 0);
	cr_assert_eq(shield_valid(b, SHIELD_CARES), 1, "c-ares' record outlives the other's");
	cr_assert_eq(shield_remove(b, SHIELD_CARES), 1);
	close(b);
}

/* the same the other way round, and with a close no hook saw (glibc's
 * closefrom): the socket's identity tells */
Test(shield, a_number_reused_unseen_is_told_by_the_socket)
{
	int a = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), b;

	cr_assert_geq(a, 0);
	cr_assert_eq(shield_add(a, SHIELD_CARES), 0);
	close(a);
	b = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(b, a);
	cr_assert_eq(shield_add(b, SHIELD_AGENT), 0);
	cr_assert_eq(shield_valid(a, SHIELD_CARES), 0);
	cr_assert_eq(shield_remove(a, SHIELD_CARES), 0);
	cr_assert_eq(shield_valid(b, SHIELD_AGENT), 1);
	cr_assert_eq(shield_remove(b, SHIELD_AGENT), 1);
	close(b);
}

/* a socket of the shim's on a standard stream's number (the program closed
 * its standard input or output) is moved above 2, close-on-exec, and the
 * number is free again: the program's read or write there fails EBADF */
Test(shield, a_socket_on_a_standard_stream_number_is_moved_above_it)
{
	int saved = dup(STDIN_FILENO), s, moved;

	cr_assert_geq(saved, 0);
	close(STDIN_FILENO);
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(s, STDIN_FILENO, "the socket did not get number 0 (%d): the test shows nothing", s);
	moved = shield_above_stdio(s);
	cr_assert_gt(moved, STDERR_FILENO, "still on %d", moved);
	cr_assert_eq(fcntl(moved, F_GETFD), FD_CLOEXEC);
	cr_assert_lt(fcntl(STDIN_FILENO, F_GETFD), 0, "number 0 still open");
	cr_assert_eq(shield_above_stdio(moved), moved, "an fd above 2 is left where it is");
	close(moved);
	cr_assert_eq(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}
