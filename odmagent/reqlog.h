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
 */
#ifndef ODM_REQLOG_H
#define ODM_REQLOG_H

#include <stddef.h>
#include <stdint.h>

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

#endif
