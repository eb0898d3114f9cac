/* SPDX-License-Identifier: MIT */
/*
 * monshare.h — what a monitor's bounded queue takes (control.c): the pure
 * decisions, no I/O; the bytes queued are passed in.
 *
 * The agent never waits for a monitor (odmctl monitor, odm_events_fd): its
 * queue holds at most cap bytes and the events past that are dropped and
 * counted. So that a monitor behind one user's flood (a lease refused a
 * hundred thousand times a second) still gets a stream worth reading:
 *
 *   - share: the events about a user other than the monitor's own (the
 *     first uid of the event's audience, events.h) take at most share
 *     bytes of its queue per user, and users bytes for all such users
 *     together; the events of other users and of the host (a move, a
 *     reload) keep the rest, and are not dropped for the flood (root's
 *     monitor hears every user's). With users below cap, the host's (and
 *     the monitor's own user's) always have cap - users, however many
 *     users (or uids of one: a container's) flood at once;
 *   - once a source (a user, or the host and the monitor's own user
 *     together) has had an event dropped, its events are dropped until the
 *     queue has drained to low bytes; then what was dropped is told in one
 *     "lost" line, with a count per kind, and every source is taken again.
 *     A monitor behind a flood so gets runs of events between "lost" lines,
 *     not a "lost" line between every two events.
 *
 * Users past MONSHARE_USERS with lines queued at once share one share.
 */
#ifndef ODM_MONSHARE_H
#define ODM_MONSHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"

#define MONSHARE_USERS 16

struct monshare_src {
	uid_t uid;
	bool used;
	bool behind;  /* an event dropped since the last "lost" told */
	size_t bytes; /* its lines queued */
};

struct monshare {
	uid_t self;       /* the monitor's user: its events take no share */
	size_t cap, share, users, low;
	struct monshare_src user[MONSHARE_USERS];
	struct monshare_src others; /* users past the table, together */
	struct monshare_src host;   /* the host's events and self's */
	size_t queued;              /* bytes of all sources' lines not done */
	size_t users_bytes;         /* of them, of users other than self */
	uint64_t lost;              /* dropped, not yet told */
	uint64_t lost_kind[EVENTS_KIND_MAX]; /* of them, per events_kinds */
	uint64_t lost_other;        /* of them, of kinds in no list */
};

/* share per user other than self, users for all of them together */
void monshare_init(struct monshare *m, uid_t self, size_t cap, size_t share, size_t users,
		   size_t low);

/*
 * An event of kind about user (NULL: the host), len bytes as a line, with
 * queued bytes in the stream's queue now (the cap is of that and of the
 * lines not done, the larger): its source if it is to be queued (its
 * bytes counted there until monshare_done), NULL if it is dropped (counted
 * lost).
 */
struct monshare_src *monshare_take(struct monshare *m, size_t queued, const char *kind,
				   const uid_t *about, size_t len);

/* 1 (and the event counted lost) if the source of an event of kind about
 * user is behind: it is dropped without a look at its size. */
int monshare_behind(struct monshare *m, const char *kind, const uid_t *about);

/* A line of len bytes that monshare_take let through for src left the queue. */
void monshare_done(struct monshare *m, struct monshare_src *src, size_t len);

/*
 * 1 if the lost events are to be told now: once the lines taken and not
 * yet done (written out) are down to low bytes. That count, not the
 * stream's queue, is what the shares are of: a line written at once is
 * done only a round of the loop later.
 */
int monshare_tell_now(const struct monshare *m);

/* They were told, in a line of len bytes queued (done as the host's): the
 * counts start again and every source is taken. The host's source. */
struct monshare_src *monshare_told(struct monshare *m, size_t len);

#endif
