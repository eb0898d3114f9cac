/* SPDX-License-Identifier: MIT */
/*
 * test_fdtable.c — fdtable.c: dup chains share one refcounted entry, the
 * lease is handed back only when the last fd goes, dup2 over a tracked fd
 * drops it, purge of a reused number, SEEN and INTERNAL marks, close_range.
 * Pure bookkeeping: no real fds are involved.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fdtable.h"
#include "watchdog.h"

static struct fd_lease mk(const char *addr)
{
	struct fd_lease l;

	memset(&l, 0, sizeof(l));
	cr_assert_eq(inet_pton(AF_INET6, addr, &l.addr), 1);
	strcpy(l.lease, "7");
	l.type = 2;
	return l;
}

static void assert_lease(const struct fd_lease *l, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &l->addr, buf, sizeof(buf));
	cr_assert_str_eq(buf, want);
}

Test(fdtable, untracked_fds_are_unknown)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease out;

	cr_assert_eq(fdtable_state(t, 5), FDT_UNKNOWN);
	cr_assert_eq(fdtable_state(t, -1), FDT_UNKNOWN);
	cr_assert_eq(fdtable_state(t, 64), FDT_UNKNOWN);
	cr_assert_eq(fdtable_state(NULL, 3), FDT_UNKNOWN);
	cr_assert_eq(fdtable_drop(t, 5, &out), 0);
	cr_assert_eq(fdtable_get(t, 5, &out), 0);
	cr_assert_eq(fdtable_refs(t, 5), 0);
	fdtable_free(t);
}

Test(fdtable, track_get_drop)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8:c4a::2"), out;

	cr_assert_eq(fdtable_track(t, 5, &l), 0);
	cr_assert_eq(fdtable_state(t, 5), FDT_LEASED);
	cr_assert_eq(fdtable_refs(t, 5), 1);
	cr_assert_eq(fdtable_get(t, 5, &out), 1);
	assert_lease(&out, "2001:db8:c4a::2");
	cr_assert_str_eq(out.lease, "7");
	memset(&out, 0, sizeof(out));
	cr_assert_eq(fdtable_drop(t, 5, &out), 1, "last fd of a lease");
	assert_lease(&out, "2001:db8:c4a::2");
	cr_assert_eq(fdtable_state(t, 5), FDT_UNKNOWN);
	cr_assert_eq(fdtable_drop(t, 5, &out), 0, "second close of the same fd");
	fdtable_free(t);
}

Test(fdtable, out_of_range_is_refused)
{
	struct fdtable *t = fdtable_new(8);
	struct fd_lease l = mk("2001:db8::1");

	cr_assert_eq(fdtable_track(t, 8, &l), -EBADF);
	cr_assert_eq(fdtable_track(t, -1, &l), -EBADF);
	fdtable_mark_seen(t, 100);
	cr_assert_eq(fdtable_state(t, 100), FDT_UNKNOWN);
	fdtable_free(t);
}

Test(fdtable, dup_chain_releases_once_at_the_last_close)
{
	struct fdtable *t = fdtable_new(128);
	struct fd_lease l = mk("2001:db8:c4a::2"), out;

	fdtable_track(t, 3, &l);
	cr_assert_eq(fdtable_dup(t, 3, 4, &out), 0);   /* dup */
	cr_assert_eq(fdtable_dup(t, 4, 40, &out), 0);  /* dup2 of the dup */
	cr_assert_eq(fdtable_dup(t, 40, 41, &out), 0); /* dup3 */
	cr_assert_eq(fdtable_dup(t, 3, 50, &out), 0);  /* F_DUPFD */
	cr_assert_eq(fdtable_refs(t, 3), 5);
	cr_assert_eq(fdtable_refs(t, 50), 5, "all share one entry");
	cr_assert_eq(fdtable_drop(t, 3, &out), 0);
	cr_assert_eq(fdtable_drop(t, 40, &out), 0);
	cr_assert_eq(fdtable_drop(t, 4, &out), 0);
	cr_assert_eq(fdtable_drop(t, 50, &out), 0);
	cr_assert_eq(fdtable_refs(t, 41), 1);
	cr_assert_eq(fdtable_drop(t, 41, &out), 1, "the last one releases");
	assert_lease(&out, "2001:db8:c4a::2");
	fdtable_free(t);
}

Test(fdtable, dup2_over_a_tracked_fd_drops_it)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease a = mk("2001:db8:c4a::a"), b = mk("2001:db8:c4a::b"), out;

	fdtable_track(t, 5, &a);
	fdtable_track(t, 6, &b);
	/* dup2(5, 6): 6's socket loses its only fd, so its lease goes */
	cr_assert_eq(fdtable_dup(t, 5, 6, &out), 1);
	assert_lease(&out, "2001:db8:c4a::b");
	cr_assert_eq(fdtable_refs(t, 5), 2);
	cr_assert_eq(fdtable_get(t, 6, &out), 1);
	assert_lease(&out, "2001:db8:c4a::a");
	fdtable_free(t);
}

Test(fdtable, dup_of_untracked_over_tracked_clears)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease a = mk("2001:db8:c4a::a"), out;

	fdtable_track(t, 6, &a);
	/* dup2(pipe_fd, 6): 6 is no socket of ours any more */
	cr_assert_eq(fdtable_dup(t, 9, 6, &out), 1);
	cr_assert_eq(fdtable_state(t, 6), FDT_UNKNOWN);
	cr_assert_eq(fdtable_dup(t, 9, 9, &out), 0, "dup2(fd, fd) changes nothing");
	fdtable_free(t);
}

Test(fdtable, purge_of_a_reused_number)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease a = mk("2001:db8:c4a::a"), out;

	/* fd 7 closed behind our back, then socket() hands out 7 again */
	fdtable_track(t, 7, &a);
	cr_assert_eq(fdtable_drop(t, 7, &out), 1);
	cr_assert_eq(fdtable_state(t, 7), FDT_UNKNOWN, "the new socket is not leased");
	/* purge of a dup'ed number keeps the entry alive for the other fd */
	fdtable_track(t, 7, &a);
	fdtable_dup(t, 7, 8, &out);
	cr_assert_eq(fdtable_drop(t, 8, &out), 0);
	cr_assert_eq(fdtable_refs(t, 7), 1);
	fdtable_free(t);
}

Test(fdtable, seen_marks)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease a = mk("2001:db8:c4a::a"), out;

	fdtable_mark_seen(t, 4);
	cr_assert_eq(fdtable_state(t, 4), FDT_SEEN);
	cr_assert_eq(fdtable_get(t, 4, &out), 0);
	cr_assert_eq(fdtable_refs(t, 4), 0);
	cr_assert_eq(fdtable_dup(t, 4, 9, &out), 0);
	cr_assert_eq(fdtable_state(t, 9), FDT_SEEN, "a dup of a decided socket is decided");
	cr_assert_eq(fdtable_drop(t, 4, &out), 0);
	cr_assert_eq(fdtable_state(t, 4), FDT_UNKNOWN);
	/* mark_seen never hides a lease */
	fdtable_track(t, 5, &a);
	fdtable_mark_seen(t, 5);
	cr_assert_eq(fdtable_state(t, 5), FDT_LEASED);
	/* a lease replaces a seen mark */
	fdtable_track(t, 9, &a);
	cr_assert_eq(fdtable_state(t, 9), FDT_LEASED);
	fdtable_free(t);
}

Test(fdtable, internal_marks)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease out;

	fdtable_mark_internal(t, 3, 1);
	cr_assert_eq(fdtable_state(t, 3), FDT_INTERNAL);
	cr_assert_eq(fdtable_dup(t, 3, 10, &out), 0);
	cr_assert_eq(fdtable_state(t, 10), FDT_UNKNOWN, "a dup of our fd is the app's");
	fdtable_mark_internal(t, 3, 0);
	cr_assert_eq(fdtable_state(t, 3), FDT_UNKNOWN);
	fdtable_mark_seen(t, 4);
	fdtable_mark_internal(t, 4, 0);
	cr_assert_eq(fdtable_state(t, 4), FDT_SEEN, "clear only touches internal slots");
	fdtable_free(t);
}

/* fdtable_drop_range over [first, last], then the leases it kept, taken
 * (fdtable_take_released) into gone[] (room for 8): how many */
static size_t drop_all(struct fdtable *t, unsigned int first, unsigned int last,
		       struct fd_lease *gone)
{
	size_t kept = fdtable_drop_range(t, first, last), n = 0;

	while (n < 8 && fdtable_take_released(t, &gone[n]))
		n++;
	cr_assert_eq(n, kept, "%zu kept, %zu taken", kept, n);
	cr_assert_eq(fdtable_take_released(t, &gone[7]), 0, "taken once each");
	return n;
}

/* newest first: the order fdtable_take_released hands them out */
Test(fdtable, close_range_returns_each_last_lease)
{
	struct fdtable *t = fdtable_new(256);
	struct fd_lease a = mk("2001:db8:c4a::a"), b = mk("2001:db8:c4a::b"),
			c = mk("2001:db8:c4a::c"), gone[8], out;

	fdtable_track(t, 3, &a);
	fdtable_dup(t, 3, 4, &out);
	fdtable_track(t, 10, &b);
	fdtable_dup(t, 10, 2, &out); /* outside the range: b survives */
	fdtable_track(t, 200, &c);
	fdtable_mark_seen(t, 20);
	cr_assert_eq(drop_all(t, 3, ~0U, gone), 2);
	assert_lease(&gone[0], "2001:db8:c4a::c");
	assert_lease(&gone[1], "2001:db8:c4a::a");
	cr_assert_eq(fdtable_state(t, 20), FDT_UNKNOWN);
	cr_assert_eq(fdtable_refs(t, 2), 1);
	cr_assert_eq(drop_all(t, 0, 2, gone), 1);
	assert_lease(&gone[0], "2001:db8:c4a::b");
	cr_assert_eq(drop_all(t, 0, ~0U, gone), 0);
	fdtable_free(t);
}

/* The whole range is dropped at once, before any release is taken: a
 * socket made on one of its numbers after that keeps its entry, and the
 * entries kept for their releases are no slot's (recycled only once
 * taken). */
Test(fdtable, close_range_drops_the_whole_range_before_any_release)
{
	struct fdtable *t = fdtable_new(256);
	struct fd_lease l[3], gone;
	char name[32];

	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "2001:db8:c4a::%d", i + 1);
		l[i] = mk(name);
		fdtable_track(t, 10 + 20 * i, &l[i]);
	}
	cr_assert_eq(fdtable_drop_range(t, 0, ~0U), 3);
	for (int fd = 0; fd < 256; fd++)
		cr_assert_eq(fdtable_state(t, fd), FDT_UNKNOWN, "fd %d left", fd);
	/* another thread's new socket on a number of the range */
	cr_assert_eq(fdtable_track(t, 50, &l[0]), 0);
	cr_assert_eq(fdtable_take_released(t, &gone), 1);
	assert_lease(&gone, "2001:db8:c4a::3");
	cr_assert_eq(fdtable_take_released(t, &gone), 1);
	cr_assert_eq(fdtable_take_released(t, &gone), 1);
	cr_assert_eq(fdtable_take_released(t, &gone), 0);
	cr_assert_eq(fdtable_state(t, 50), FDT_LEASED, "the new socket keeps its entry");
	cr_assert_eq(fdtable_get(t, 50, &gone), 1);
	assert_lease(&gone, "2001:db8:c4a::1");
	fdtable_free(t);
}

/* Each Criterion test runs in a process of its own, so nothing has asked
 * for the table yet: a query must not make one, the first use must. */
Test(fdtable, global_is_lazy)
{
	struct fdtable *t;

	cr_assert_null(fdtable_global(0), "a query made the table");
	cr_assert_null(fdtable_global(0), "a second query made the table");
	t = fdtable_global(1);
	cr_assert_not_null(t, "the first use did not make the table");
	cr_assert_eq(fdtable_global(0), t, "a query after the first use finds it");
	cr_assert_eq(fdtable_global(1), t, "a second use makes another table");
	cr_assert_eq(fdtable_state(t, 3), FDT_UNKNOWN, "the table starts empty");
}

/*
 * A signal handler may close or dup a tracked socket (both are
 * async-signal-safe): it does so here at a high rate while the thread it
 * interrupts works the same table. Without every signal held off under
 * the table's lock, the handler waits for the lock its own thread holds,
 * and the test hangs (its timeout fails it).
 */
static struct fdtable *sig_table;
static volatile sig_atomic_t sig_runs;

static void on_alarm(int sig)
{
	struct fd_lease l;

	(void)sig;
	fdtable_dup(sig_table, 3, 9, &l);
	fdtable_drop(sig_table, 9, &l);
	sig_runs++;
}

Test(fdtable, a_handler_that_closes_a_tracked_fd_does_not_deadlock)
{
	struct itimerval every = { { 0, 50 }, { 0, 50 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct fd_lease l = mk("2001:db8::1"), out;

	unit_watchdog(30);

	sig_table = fdtable_new(64);
	cr_assert_not_null(sig_table);
	cr_assert_eq(fdtable_track(sig_table, 3, &l), 0);
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
	cr_assert_eq(setitimer(ITIMER_REAL, &every, NULL), 0);
	for (int i = 0; i < 100000 || sig_runs < 200; i++) {
		cr_assert_eq(fdtable_set_prefs(sig_table, 5, 1), 0);
		cr_assert_eq(fdtable_track(sig_table, 6, &l), 0);
		cr_assert_eq(fdtable_state(sig_table, 6), FDT_LEASED);
		fdtable_dup(sig_table, 6, 7, &out);
		fdtable_drop(sig_table, 7, &out);
		cr_assert_eq(fdtable_drop(sig_table, 6, &out), 1);
		fdtable_drop(sig_table, 5, &out);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	cr_assert_geq(sig_runs, 200, "the handler ran %d times", (int)sig_runs);
	cr_assert_eq(fdtable_state(sig_table, 3), FDT_LEASED, "the handler's dups came and went");
	fdtable_free(sig_table);
}

/* a leased socket's connect is noted in its entry, which its dups share:
 * the first says not tried, the next ones tried; a new lease on the fd
 * comes with its own; an untracked fd has none */
Test(fdtable, a_connect_is_noted_per_lease)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8::1"), out;

	cr_assert_eq(fdtable_connect(t, 3, &out), 0, "an untracked fd holds no lease");
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	fdtable_dup(t, 3, 4, &out);
	cr_assert_eq(fdtable_connect(t, 3, &out), 1);
	cr_assert_eq(out.tried, 0, "the first connect");
	assert_lease(&out, "2001:db8::1");
	cr_assert_eq(fdtable_connect(t, 3, &out), 1);
	cr_assert_eq(out.tried, 1, "one made again");
	cr_assert_eq(fdtable_connect(t, 4, &out), 1);
	cr_assert_eq(out.tried, 1, "the dup shares the note");
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	cr_assert_eq(fdtable_connect(t, 3, &out), 1);
	cr_assert_eq(out.tried, 0, "a new lease comes with its own");
	l.tried = 1;
	cr_assert_eq(fdtable_track(t, 5, &l), 0);
	cr_assert_eq(fdtable_connect(t, 5, &out), 1);
	cr_assert_eq(out.tried, 1, "leased for its connect: the next one is again");
	fdtable_free(t);
}

static uint64_t clock_now;
static unsigned clock_reads;

static uint64_t fake_clock(void)
{
	clock_reads++;
	return clock_now;
}

/* fdtable_state_due with the clock at now (ms); a look it says is due
 * finds the lease alive, the next due in 1000 ms (as shim_connect.c) */
static int due_at(struct fdtable *t, int fd, uint64_t now, struct fd_lease *due)
{
	int st;

	clock_now = now;
	st = fdtable_state_due(t, fd, fake_clock, due);
	if (due->udp)
		fdtable_looked(t, fd, now + 1000);
	return st;
}

Test(fdtable, a_udp_lease_is_due_a_look_once_a_period)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8::1"), tcp = mk("2001:db8::2"), due;

	cr_assert_eq(due_at(t, 3, 5000, &due), FDT_UNKNOWN);
	cr_assert_eq(due.udp, 0, "an untracked fd is due nothing");
	l.udp = 1;
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	fdtable_dup(t, 3, 4, &due);
	cr_assert_eq(due_at(t, 3, 5000, &due), FDT_LEASED);
	cr_assert_eq(due.udp, 1, "the first send after the lease looks");
	assert_lease(&due, "2001:db8::1");
	cr_assert_eq(due_at(t, 3, 5999, &due), FDT_LEASED);
	cr_assert_eq(due.udp, 0, "not again within the period");
	cr_assert_eq(due_at(t, 4, 5500, &due), FDT_LEASED);
	cr_assert_eq(due.udp, 0, "a dup shares the socket's period");
	cr_assert_eq(due_at(t, 3, 6000, &due), FDT_LEASED);
	cr_assert_eq(due.udp, 1, "once it is over");
	fdtable_due_now(t, 4);
	cr_assert_eq(due_at(t, 3, 6001, &due), FDT_LEASED);
	cr_assert_eq(due.udp, 1, "made due again (through a dup)");
	fdtable_due_now(t, 9);
	cr_assert_eq(fdtable_state(t, 9), FDT_UNKNOWN, "an untracked fd stays so");
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	cr_assert_eq(due_at(t, 3, 6001, &due), FDT_LEASED);
	cr_assert_eq(due.udp, 1, "a new lease is looked at from its start");
	cr_assert_eq(fdtable_track(t, 5, &tcp), 0);
	cr_assert_eq(due_at(t, 5, 9000, &due), FDT_LEASED);
	cr_assert_eq(due.udp, 0, "a TCP lease never is");
	fdtable_mark_seen(t, 6);
	clock_reads = 0;
	cr_assert_eq(due_at(t, 6, 9000, &due), FDT_SEEN);
	cr_assert_eq(due.udp, 0);
	cr_assert_eq(due_at(t, 5, 9000, &due), FDT_LEASED);
	cr_assert_eq(clock_reads, 0, "the clock is read for a leased UDP socket only");
	fdtable_free(t);
}

/* ECONNABORTED seen on a leased socket (fdtable_aborted): due a look at
 * once, and its lease says so, through its dups, until it is leased anew;
 * the shim takes its address's absence for the lease's end only then
 * (shim_connect.c udp_ended), not a link down for a moment */
Test(fdtable, an_aborted_udp_lease_is_due_and_says_so_until_leased_anew)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8::1"), due, got;

	l.udp = 1;
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	fdtable_dup(t, 3, 4, &due);
	cr_assert_eq(due_at(t, 3, 5000, &due), FDT_LEASED);
	cr_assert(fdtable_get(t, 3, &got));
	cr_assert_eq(got.aborted, 0, "not before the kernel said so");
	fdtable_aborted(t, 4);
	cr_assert_eq(due_at(t, 3, 5001, &due), FDT_LEASED);
	cr_assert_eq(due.udp, 1, "due at once");
	cr_assert_eq(due.aborted, 1, "and its lease says it was aborted (through a dup)");
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	cr_assert(fdtable_get(t, 4, &got));
	cr_assert_eq(got.aborted, 0, "leased anew: no more");
	fdtable_aborted(t, 9);
	cr_assert_eq(fdtable_state(t, 9), FDT_UNKNOWN, "an untracked fd stays so");
	fdtable_free(t);
}

/* A leased UDP socket's port (fd_lease.port), which its program's
 * disconnect changes (fdtable_set_port): kept through its dups, for a
 * lease only, and the new lease's own when it is leased anew */
Test(fdtable, a_udp_lease_keeps_its_port_until_leased_anew)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8::1"), got;

	l.udp = 1;
	l.port = htons(40000);
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	fdtable_dup(t, 3, 4, &got);
	fdtable_set_port(t, 4, htons(40001));
	cr_assert(fdtable_get(t, 3, &got));
	cr_assert_eq(ntohs(got.port), 40001, "its program's disconnect took another");
	l.port = htons(40002);
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	cr_assert(fdtable_get(t, 4, &got));
	cr_assert_eq(ntohs(got.port), 40002, "leased anew: the new lease's");
	fdtable_mark_seen(t, 5);
	fdtable_set_port(t, 5, htons(1));
	cr_assert_eq(fdtable_state(t, 5), FDT_SEEN, "not a lease's: nothing kept");
	fdtable_free(t);
}

/* A look that finds the lease ended does not say so (fdtable_looked): it
 * stays due, and every thread sending on the socket meanwhile looks too,
 * rather than one looking and the others sending from the ended address. */
/* fdtable_state_due at now with no look made after it: whether fd, a
 * lease's, is due one */
static int due_only(struct fdtable *t, int fd, uint64_t now)
{
	struct fd_lease out;

	clock_now = now;
	cr_assert_eq(fdtable_state_due(t, fd, fake_clock, &out), FDT_LEASED);
	return out.udp;
}

Test(fdtable, a_udp_lease_stays_due_until_a_look_finds_it_alive)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8::1"), out;

	l.udp = 1;
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	cr_assert_eq(due_only(t, 3, 5000), 1, "due from its start");
	cr_assert_eq(due_only(t, 3, 5001), 1, "still due: the first look did not find it alive");
	fdtable_looked(t, 3, 6000);
	cr_assert_eq(due_only(t, 3, 5002), 0, "found alive: not due until 6000");
	cr_assert_eq(due_only(t, 3, 6000), 1, "due again at 6000");
	fdtable_unlease(t, 3);
	fdtable_looked(t, 3, 9000);
	cr_assert_eq(fdtable_state_due(t, 3, fake_clock, &out), FDT_SEEN, "no lease's any more");
	fdtable_free(t);
}

/* fd holds a UDP lease of 2001:db8::1, looked at (due, found alive) at 5000 */
static void udp_looked(struct fdtable *t, int fd)
{
	struct fd_lease l = mk("2001:db8::1"), out;

	l.udp = 1;
	cr_assert_eq(fdtable_track(t, fd, &l), 0);
	cr_assert_eq(due_at(t, fd, 5000, &out), FDT_LEASED);
	cr_assert_eq(out.udp, 1, "due from its start");
}

/* Between its looks a leased UDP socket is told so without the table's
 * lock (state_of reads the entry's due time): never once it is no lease's,
 * or no longer fd's. */
Test(fdtable, a_udp_lease_between_looks_is_told_only_while_it_is_one)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease out;

	udp_looked(t, 3);
	cr_assert_eq(due_at(t, 3, 5100, &out), FDT_LEASED, "between looks");
	fdtable_unlease(t, 3);
	cr_assert_eq(due_at(t, 3, 5200, &out), FDT_SEEN, "unleased (plain) between looks");
	udp_looked(t, 4);
	cr_assert_eq(fdtable_drop(t, 4, &out), 1);
	cr_assert_eq(due_at(t, 4, 5100, &out), FDT_UNKNOWN, "closed between looks");
	fdtable_mark_seen(t, 4);
	cr_assert_eq(due_at(t, 4, 5200, &out), FDT_SEEN, "its number reused, decided plain");
	fdtable_free(t);
}

/* What another thread does while state_of reads the clock: fd 3 closed, and
 * its number taken by a new socket whose options the table keeps (its
 * entry the closed one's, recycled). */
static struct fdtable *reuse_t;

static uint64_t clock_reusing_3(void)
{
	struct fd_lease gone;

	if (reuse_t) {
		cr_assert_eq(fdtable_drop(reuse_t, 3, &gone), 1);
		cr_assert_eq(fdtable_set_prefs(reuse_t, 3, 1), 0);
		reuse_t = NULL;
	}
	return clock_now;
}

/* The lock-free look between a UDP lease's looks reads the entry, then the
 * slot again: an entry retired and taken again for the same number in
 * between is another socket's, undecided, and must not be told leased. */
Test(fdtable, a_udp_lease_between_looks_is_not_told_of_its_recycled_entry)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease out;

	udp_looked(t, 3);
	reuse_t = t;
	clock_now = 5100;
	cr_assert_eq(fdtable_state_due(t, 3, clock_reusing_3, &out), FDT_OPTS,
		     "the new socket's state, not the closed one's lease");
	cr_assert_eq(out.udp, 0);
	cr_assert_eq(fdtable_state(t, 3), FDT_OPTS);
	fdtable_free(t);
}

Test(fdtable, a_udp_lease_keeps_its_peer)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8::1"), tcp = mk("2001:db8::2"), out;
	struct sockaddr_in6 peer = { .sin6_family = AF_INET6, .sin6_port = htons(7777) };
	char buf[INET6_ADDRSTRLEN];

	cr_assert_eq(inet_pton(AF_INET6, "2001:db8:c::5", &peer.sin6_addr), 1);
	fdtable_set_peer(t, 3, &peer);
	cr_assert_eq(fdtable_state(t, 3), FDT_UNKNOWN, "an untracked fd stays so");
	l.udp = 1;
	cr_assert_eq(fdtable_track(t, 3, &l), 0);
	fdtable_dup(t, 3, 4, &out);
	cr_assert_eq(fdtable_get(t, 3, &out), 1);
	cr_assert_eq(out.peer.sin6_family, 0, "a new lease has no peer");
	fdtable_set_peer(t, 3, &peer);
	cr_assert_eq(fdtable_get(t, 4, &out), 1);
	cr_assert_eq(out.peer.sin6_family, AF_INET6, "the dup shares it");
	cr_assert_eq(ntohs(out.peer.sin6_port), 7777);
	inet_ntop(AF_INET6, &out.peer.sin6_addr, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2001:db8:c::5");
	fdtable_set_peer(t, 4, NULL);
	cr_assert_eq(fdtable_get(t, 3, &out), 1);
	cr_assert_eq(out.peer.sin6_family, 0, "a disconnect forgets it");
	cr_assert_eq(fdtable_track(t, 5, &tcp), 0);
	fdtable_set_peer(t, 5, &peer);
	cr_assert_eq(fdtable_get(t, 5, &out), 1);
	cr_assert_eq(out.peer.sin6_family, 0, "a TCP lease keeps none");
	fdtable_free(t);
}

/* A socket leased anew (shim_connect.c: after a failed connect, or its UDP
 * lease ended under it) is one socket however many fds it has: the new
 * lease is its dups' too, and goes with the last of them, once. */
Test(fdtable, a_lease_taken_anew_is_the_dups_too)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l0 = mk("2001:db8:c4a::2"), l1 = mk("2001:db8:c4a::3"), out;

	cr_assert_eq(fdtable_track(t, 5, &l0), 0);
	cr_assert_eq(fdtable_dup(t, 5, 6, &out), 0);
	cr_assert_eq(fdtable_track(t, 5, &l1), 0);
	cr_assert_eq(fdtable_refs(t, 5), 2);
	cr_assert_eq(fdtable_get(t, 6, &out), 1);
	assert_lease(&out, "2001:db8:c4a::3");
	cr_assert_eq(fdtable_drop(t, 5, &out), 0, "the dup still holds the socket");
	cr_assert_eq(fdtable_drop(t, 6, &out), 1);
	assert_lease(&out, "2001:db8:c4a::3");
	fdtable_free(t);
}

/* ...and one leased anew that gets no lease (plain) is no lease's for any
 * of its fds: none releases one at its close */
Test(fdtable, a_socket_unleased_is_its_dups_too)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8:c4a::2"), out;

	fdtable_unlease(t, 5);
	cr_assert_eq(fdtable_state(t, 5), FDT_UNKNOWN, "an untracked fd stays so");
	cr_assert_eq(fdtable_set_prefs(t, 5, 4), 0);
	cr_assert_eq(fdtable_track(t, 5, &l), 0);
	cr_assert_eq(fdtable_dup(t, 5, 6, &out), 0);
	fdtable_unlease(t, 5);
	cr_assert_eq(fdtable_state(t, 5), FDT_SEEN);
	cr_assert_eq(fdtable_state(t, 6), FDT_SEEN, "the dup's too");
	cr_assert_eq(fdtable_prefs(t, 6), 4, "the options stay");
	cr_assert_eq(fdtable_get(t, 6, &out), 0);
	cr_assert_eq(fdtable_drop(t, 5, &out), 0);
	cr_assert_eq(fdtable_drop(t, 6, &out), 0, "no lease to release at the last close");
	cr_assert_eq(fdtable_state(t, 6), FDT_UNKNOWN);
	fdtable_free(t);
}

/* A lease's count in the held leases goes back once: the first mark says
 * so (1), a second, or one after the last fd went (a close on another
 * thread, which gave it back itself), does not; the dups share the mark and
 * the last close hands it on; a lease anew starts unmarked. */
Test(fdtable, a_lease_is_marked_unheld_once)
{
	struct fdtable *t = fdtable_new(64);
	struct fd_lease l = mk("2001:db8:c4a::2"), other = mk("2001:db8:c4a::3"), out;

	cr_assert_eq(fdtable_mark_unheld(t, 5, &l.addr), 0, "no lease, nothing to mark");
	cr_assert_eq(fdtable_track(t, 5, &l), 0);
	cr_assert_eq(fdtable_dup(t, 5, 6, &out), 0);
	cr_assert_eq(fdtable_mark_unheld(t, 5, &other.addr), 0, "a lease of another address");
	cr_assert_eq(fdtable_mark_unheld(t, 5, &l.addr), 1);
	cr_assert_eq(fdtable_mark_unheld(t, 6, &l.addr), 0, "marked already (its dup)");
	cr_assert_eq(fdtable_get(t, 6, &out), 1);
	cr_assert_eq(out.unheld, 1);
	cr_assert_eq(fdtable_drop(t, 5, &out), 0);
	cr_assert_eq(fdtable_drop(t, 6, &out), 1);
	cr_assert_eq(out.unheld, 1, "the last close is told");
	cr_assert_eq(fdtable_mark_unheld(t, 6, &l.addr), 0, "closed: its close gave it back");
	cr_assert_eq(fdtable_track(t, 7, &l), 0);
	cr_assert_eq(fdtable_mark_unheld(t, 7, &l.addr), 1);
	cr_assert_eq(fdtable_track(t, 7, &other), 0);
	cr_assert_eq(fdtable_get(t, 7, &out), 1);
	cr_assert_eq(out.unheld, 0, "a lease anew is counted anew");
	cr_assert_eq(fdtable_mark_unheld(t, 7, &other.addr), 1);
	fdtable_free(t);
}
