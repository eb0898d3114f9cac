/* SPDX-License-Identifier: MIT */
/*
 * test_fdtable_prefs.c — fdtable.c keeps socket option bits the kernel drops
 * (IPV6_REQUIRE_SRC_ON_NET): per socket, shared by dups, forgotten with the
 * last close, carried over when the socket takes a lease, kept when the
 * socket is decided plain. Pure bookkeeping: no real fds are involved.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fdtable.h"
#include "odm.h"

#define ON_NET IPV6_REQUIRE_SRC_ON_NET

/* A new table in which fd's socket carries the flag. */
static struct fdtable *flagged(int fd)
{
	struct fdtable *t = fdtable_new(64);

	cr_assert_not_null(t);
	cr_assert_eq(fdtable_set_prefs(t, fd, ON_NET), 0);
	return t;
}

Test(fdtable_prefs, set_read_and_forget_at_close)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease out;

	cr_assert_eq(fdtable_prefs(t, 5), 0u);
	cr_assert_eq(fdtable_set_prefs(t, 5, ON_NET), 0);
	cr_assert_eq(fdtable_state(t, 5), FDT_OPTS, "flagged but not decided");
	cr_assert_eq(fdtable_prefs(t, 5), ON_NET);
	cr_assert_eq(fdtable_get(t, 5, &out), 0, "options are not a lease");
	cr_assert_eq(fdtable_drop(t, 5, &out), 0, "no lease to hand back");
	cr_assert_eq(fdtable_state(t, 5), FDT_UNKNOWN);
	cr_assert_eq(fdtable_prefs(t, 5), 0u, "a reused number must not inherit the flag");
	fdtable_free(t);
}

Test(fdtable_prefs, clearing_and_range)
{
	struct fdtable *t = fdtable_new(64);

	cr_assert_eq(fdtable_set_prefs(t, 7, 0), 0);
	cr_assert_eq(fdtable_state(t, 7), FDT_UNKNOWN, "clearing nothing makes no entry");
	cr_assert_eq(fdtable_set_prefs(t, 7, ON_NET), 0);
	cr_assert_eq(fdtable_set_prefs(t, 7, 0), 0);
	cr_assert_eq(fdtable_prefs(t, 7), 0u);
	cr_assert_eq(fdtable_set_prefs(t, 64, ON_NET), -EBADF);
	cr_assert_eq(fdtable_set_prefs(NULL, 3, ON_NET), -EBADF);
	cr_assert_eq(fdtable_prefs(NULL, 3), 0u);
	fdtable_free(t);
}

Test(fdtable_prefs, dups_share_the_socket_flag)
{
	struct fdtable *t = flagged(5);
	struct fd_lease out;

	cr_assert_eq(fdtable_dup(t, 5, 6, &out), 0);
	cr_assert_eq(fdtable_prefs(t, 6), ON_NET, "dup sees the flag");
	cr_assert_eq(fdtable_refs(t, 5), 2);
	/* one socket: clearing through the dup clears it for both */
	cr_assert_eq(fdtable_set_prefs(t, 6, 0), 0);
	cr_assert_eq(fdtable_prefs(t, 5), 0u);
	cr_assert_eq(fdtable_set_prefs(t, 5, ON_NET), 0);
	cr_assert_eq(fdtable_prefs(t, 6), ON_NET);
	cr_assert_eq(fdtable_drop(t, 5, &out), 0);
	cr_assert_eq(fdtable_prefs(t, 6), ON_NET, "the dup still holds the socket");
	cr_assert_eq(fdtable_drop(t, 6, &out), 0);
	cr_assert_eq(fdtable_state(t, 6), FDT_UNKNOWN);
	fdtable_free(t);
}

Test(fdtable_prefs, dup2_of_an_untracked_fd_clears_the_flag)
{
	struct fdtable *t = flagged(5);
	struct fd_lease out;

	cr_assert_eq(fdtable_dup(t, 9, 5, &out), 0);
	cr_assert_eq(fdtable_state(t, 5), FDT_UNKNOWN);
	cr_assert_eq(fdtable_prefs(t, 5), 0u);
	fdtable_free(t);
}

Test(fdtable_prefs, the_flagged_socket_takes_its_lease_with_its_dups)
{
	struct fdtable *t = flagged(5);
	struct fd_lease l, out;
	char buf[INET6_ADDRSTRLEN];

	memset(&l, 0, sizeof(l));
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8:c4a::7", &l.addr), 1);
	strcpy(l.lease, "9");
	cr_assert_eq(fdtable_dup(t, 5, 6, &out), 0);
	cr_assert_eq(fdtable_track(t, 5, &l), 0);
	cr_assert_eq(fdtable_state(t, 5), FDT_LEASED);
	cr_assert_eq(fdtable_state(t, 6), FDT_LEASED, "the dup shares the lease");
	cr_assert_eq(fdtable_refs(t, 6), 2);
	cr_assert_eq(fdtable_prefs(t, 6), ON_NET, "the flag stays for getsockopt");
	cr_assert_eq(fdtable_drop(t, 5, &out), 0, "the dup still holds the lease");
	cr_assert_eq(fdtable_drop(t, 6, &out), 1, "the last fd hands the lease back");
	inet_ntop(AF_INET6, &out.addr, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2001:db8:c4a::7");
	cr_assert_str_eq(out.lease, "9");
	fdtable_free(t);
}

Test(fdtable_prefs, decided_plain_keeps_the_flag)
{
	struct fdtable *t = flagged(5);

	fdtable_mark_seen(t, 5);
	cr_assert_eq(fdtable_state(t, 5), FDT_SEEN);
	cr_assert_eq(fdtable_prefs(t, 5), ON_NET);
	/* set after the decision: stays decided */
	fdtable_mark_seen(t, 8);
	cr_assert_eq(fdtable_set_prefs(t, 8, ON_NET), 0);
	cr_assert_eq(fdtable_state(t, 8), FDT_SEEN);
	cr_assert_eq(fdtable_prefs(t, 8), ON_NET);
	/* the shim's own fds keep no options */
	fdtable_mark_internal(t, 9, 1);
	cr_assert_eq(fdtable_set_prefs(t, 9, ON_NET), 0);
	cr_assert_eq(fdtable_state(t, 9), FDT_INTERNAL);
	cr_assert_eq(fdtable_prefs(t, 9), 0u);
	fdtable_free(t);
}

Test(fdtable_prefs, close_range_forgets_options_without_a_lease)
{
	struct fdtable *t = flagged(3);
	struct fd_lease gone;

	cr_assert_eq(fdtable_set_prefs(t, 4, ON_NET), 0);
	cr_assert_eq(fdtable_drop_range(t, 0, 63), 0);
	cr_assert_eq(fdtable_take_released(t, &gone), 0);
	cr_assert_eq(fdtable_state(t, 3), FDT_UNKNOWN);
	cr_assert_eq(fdtable_prefs(t, 4), 0u);
	fdtable_free(t);
}
