/* SPDX-License-Identifier: MIT */
/*
 * reqlog.h — log lines that others' requests cause, held to a rate.
 *
 * A line about one request (a client's lease refused, or one that falls
 * back to a plain address, or that claims another uid or program) costs a
 * local user nothing to cause: one control connection can send a hundred
 * thousand requests a second, and the agent, which runs as root, would
 * write each line to the journal. So such lines go out at their own level
 * only while a token bucket allows (ratelimit.h); the others are written at
 * debug level and counted, and the next line let through says how many
 * there were ("and N more such line(s) since the last: debug level").
 *
 * reqlog_allow decides (pure: time is passed in); reqlog_say writes.
 *
 * Lines that a local user's requests cause are held per user (struct
 * reqlog_users): each uid has its own bucket of REQLOG_BURST lines at once
 * and REQLOG_RATE a second, so one user's flood spends only its own and
 * another user's line is still written at its level; and all users
 * together have one of REQLOG_ALL_BURST and REQLOG_ALL_RATE, so the log
 * stays bounded however many users flood at once. The count in a line let
 * through is of that user's lines held back (of a user past the table, of
 * the lines of all users there, and the line says so).
 */
#ifndef ODM_REQLOG_H
#define ODM_REQLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ratelimit.h"

/* lines a second, and at once, that requests may cause (odmagent(8)) */
#define REQLOG_RATE 5
#define REQLOG_BURST 20

struct reqlog {
	struct ratelimit rl;
	uint64_t told; /* rl.limited when the last line was let through */
};

void reqlog_init(struct reqlog *r, uint32_t rate, uint32_t burst, uint64_t now_ms);

/*
 * 1 if a line may go out at its own level at now_ms, with *held the lines
 * held back (put to debug level) since the last one let through; 0 if it
 * is held back itself (counted).
 */
int reqlog_allow(struct reqlog *r, uint64_t now_ms, uint64_t *held);

/* " (and N more such line(s) since the last: debug level)" in buf (cap
 * bytes) for held lines held back, "" for none: the end of the line let
 * through. Returns buf. */
const char *reqlog_held_text(char *buf, size_t cap, uint64_t held);

/* The line of fmt at level if reqlog_allow lets it through (with the count
 * of those held back before it), else at debug level; func names the
 * caller, as every line does (log.h). A line below the log's level is
 * nothing: it spends no token and takes no count (one bucket may hold
 * lines of several levels). */
void reqlog_sayf(struct reqlog *r, uint64_t now_ms, int level, const char *func, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));
#define reqlog_say(r, now_ms, level, ...) reqlog_sayf((r), (now_ms), (level), __func__, __VA_ARGS__)

/* all users together (odmagent(8)): four users' worth */
#define REQLOG_ALL_RATE (4 * REQLOG_RATE)
#define REQLOG_ALL_BURST (4 * REQLOG_BURST)
/* users with a bucket of their own at once; past that many, the others
 * share one (a bucket is given back once it is full again and owes no
 * count, so it is then the same as a new one) */
#define REQLOG_USERS 32

struct reqlog_user {
	uid_t uid;
	bool used;
	struct ratelimit rl;
	uint64_t held; /* lines held back since the last let through */
};

struct reqlog_users {
	struct ratelimit all;
	struct reqlog_user user[REQLOG_USERS];
	struct reqlog_user rest; /* users past REQLOG_USERS, together */
	uint32_t rate, burst;
};

/* rate and burst per user, all_rate and all_burst for all together */
void reqlog_users_init(struct reqlog_users *r, uint32_t rate, uint32_t burst, uint32_t all_rate,
		       uint32_t all_burst, uint64_t now_ms);

/*
 * 1 if a line of uid's may go out at its own level at now_ms (a token of
 * uid's bucket and one of all users' taken), with *held the lines of uid's
 * held back since its last one let through; 0 if held back itself
 * (counted for uid). *shared: uid is past the table, and *held is of all
 * the users there together.
 */
int reqlog_users_allow(struct reqlog_users *r, uid_t uid, uint64_t now_ms, uint64_t *held,
		       bool *shared);

/* reqlog_sayf for a line uid's request caused */
void reqlog_users_sayf(struct reqlog_users *r, uid_t uid, uint64_t now_ms, int level,
		       const char *func, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define reqlog_user_say(r, uid, now_ms, level, ...)                                         \
	reqlog_users_sayf((r), (uid), (now_ms), (level), __func__, __VA_ARGS__)

#endif
