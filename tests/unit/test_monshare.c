/* SPDX-License-Identifier: MIT */
/*
 * test_monshare.c — what a monitor's bounded queue takes (monshare.h): one
 * user's flood takes its share only, a source that lost an event is behind
 * until the queue drains, and then one "lost" is told with its kinds.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "monshare.h"

#define CAP 65536
#define SHARE (CAP / 4)
#define USERS (CAP - SHARE)
#define LOW (CAP / 8)
#define LINE 200

static int kind_no(const char *kind)
{
	return events_kind_index(kind, strlen(kind));
}

/* Root's monitor: uid 1000 floods; its events fill its share and no more;
 * another user's and the host's still go in. */
Test(monshare, one_users_flood_takes_its_share_only)
{
	const uid_t flooder = 1000, other = 1001;
	struct monshare m;
	size_t queued = 0;
	int taken = 0;

	monshare_init(&m, 0, CAP, SHARE, USERS, LOW);
	for (int i = 0; i < 1000; i++)
		if (monshare_take(&m, queued, "lease-refused", &flooder, LINE)) {
			queued += LINE;
			taken++;
		}
	cr_assert_eq(taken, SHARE / LINE, "%d of the flooder's taken", taken);
	cr_assert_eq(m.lost, 1000 - (uint64_t)taken);
	cr_assert_not_null(monshare_take(&m, queued, "lease-refused", &other, LINE),
			   "another user's event was dropped for the flood");
	queued += LINE;
	cr_assert_not_null(monshare_take(&m, queued, "move", NULL, LINE),
			   "the host's event was dropped for the flood");
}

/* A source that lost an event loses the next ones too, room or not, until
 * the queue has drained to LOW and the loss was told: one notice per
 * drain, not one between every two events. */
Test(monshare, a_source_is_behind_until_the_queue_has_drained)
{
	const uid_t flooder = 1000;
	struct monshare m;
	struct monshare_src *s[SHARE / LINE + 1];
	size_t queued = 0;
	int n = 0;

	monshare_init(&m, 0, CAP, SHARE, USERS, LOW);
	while (n < (int)(sizeof(s) / sizeof(s[0])) &&
	       (s[n] = monshare_take(&m, queued, "lease-refused", &flooder, LINE))) {
		queued += LINE;
		n++;
	}
	cr_assert_eq(m.lost, 1, "the share was not full at %d lines", n);
	/* one line read: room in its share again, but it is behind */
	monshare_done(&m, s[--n], LINE);
	queued -= LINE;
	cr_assert_null(monshare_take(&m, queued, "lease-refused", &flooder, LINE));
	cr_assert(monshare_behind(&m, "fallback", &flooder));
	cr_assert_eq(m.lost, 3);
	cr_assert_not(monshare_tell_now(&m), "told before the queue drained");
	while (queued > LOW) {
		monshare_done(&m, s[--n], LINE);
		queued -= LINE;
	}
	cr_assert(monshare_tell_now(&m));
	cr_assert_eq(m.lost_kind[kind_no("lease-refused")], 2);
	cr_assert_eq(m.lost_kind[kind_no("fallback")], 1);
	cr_assert_not_null(monshare_told(&m, 0));
	cr_assert_eq(m.lost, 0);
	cr_assert_not(monshare_tell_now(&m));
	cr_assert_not(monshare_behind(&m, "lease-refused", &flooder));
	cr_assert_not_null(monshare_take(&m, queued, "lease-refused", &flooder, LINE));
}

/* A user's own monitor: its events take no share, only the whole queue. */
Test(monshare, the_monitors_own_events_take_the_whole_queue)
{
	const uid_t self = 1000;
	struct monshare m;
	size_t queued = 0;

	monshare_init(&m, self, CAP, SHARE, USERS, LOW);
	while (monshare_take(&m, queued, "lease-refused", &self, LINE))
		queued += LINE;
	cr_assert_gt(queued, CAP - LINE);
	cr_assert_leq(queued, CAP);
	/* the host's share the same room: it is behind with them */
	cr_assert(monshare_behind(&m, "move", NULL));
}

/* Past MONSHARE_USERS users with lines queued, the others share one share. */
Test(monshare, users_past_the_table_share_one_share)
{
	struct monshare m;
	size_t queued = 0;
	uid_t u;
	int taken = 0;

	monshare_init(&m, 0, 1 << 20, SHARE, 1 << 20, LOW);
	for (u = 2000; u < 2000 + MONSHARE_USERS; u++) {
		cr_assert_not_null(monshare_take(&m, queued, "lease-granted", &u, LINE));
		queued += LINE;
	}
	for (u = 3000; u < 3000 + SHARE; u++)
		if (monshare_take(&m, queued, "lease-granted", &u, LINE)) {
			queued += LINE;
			taken++;
		}
	cr_assert_eq(taken, SHARE / LINE, "%d lines of users past the table", taken);
}

/*
 * A reader fast enough that the kernel takes each line at once: the
 * stream's queue is empty, yet the lines are done only a round of the loop
 * later. The share and the telling go by the lines not done: the flooder
 * is held to its share, and "lost" is not told between every two events
 * (which, told by the empty stream queue, made the stream all "lost"
 * lines of count 1).
 */
Test(monshare, lines_written_at_once_count_until_done)
{
	const uid_t flooder = 1000;
	struct monshare m;
	int taken = 0, told = 0;

	monshare_init(&m, 0, CAP, SHARE, USERS, LOW);
	for (int i = 0; i < 1000; i++) {
		if (monshare_tell_now(&m)) {
			monshare_told(&m, LINE);
			told++;
		}
		if (monshare_take(&m, 0, "lease-refused", &flooder, LINE))
			taken++;
	}
	cr_assert_eq(taken, SHARE / LINE, "%d taken in one round", taken);
	cr_assert_eq(told, 0, "lost told %d times with nothing done", told);
}

/*
 * Root's monitor behind the floods of several users at once (or of one
 * user with several uids: a container's): each takes its share, but all of
 * them together take USERS at most, so the host's events (a move, a
 * reload) still go in, however many users flood. Before, four users'
 * shares filled the whole queue and the host's events were dropped.
 */
Test(monshare, many_users_floods_leave_the_host_its_room)
{
	struct monshare m;
	struct {
		struct monshare_src *src;
		size_t len;
	} q[CAP / LINE];
	size_t queued = 0, n = 0;

	monshare_init(&m, 0, CAP, SHARE, USERS, LOW);
	for (uid_t u = 1000; u < 1000 + 2 * MONSHARE_USERS; u++)
		for (int i = 0; i < 1000; i++)
			if ((q[n].src = monshare_take(&m, queued, "lease-refused", &u, LINE))) {
				q[n++].len = LINE;
				queued += LINE;
			}
	cr_assert_leq(queued, USERS, "%zu bytes of other users' events queued", queued);
	cr_assert_not_null(q[n].src = monshare_take(&m, queued, "move", NULL, LINE),
			   "the host's event was dropped for %zu lines of other users", n);
	q[n++].len = LINE;
	/* all read: the users' room is theirs again, all of it */
	while (n) {
		n--;
		monshare_done(&m, q[n].src, q[n].len);
	}
	cr_assert(monshare_tell_now(&m));
	monshare_done(&m, monshare_told(&m, LINE), LINE);
	for (n = 0; n < USERS / LINE; n++) {
		uid_t late = 5000 + (uid_t)(n % 4);

		cr_assert_not_null(monshare_take(&m, n * LINE, "lease-granted", &late, LINE),
				   "a user's event dropped at %zu bytes after the queue drained",
				   n * LINE);
	}
}
