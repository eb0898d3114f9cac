/* SPDX-License-Identifier: MIT */
/* reqlog.c — log lines that others' requests cause, held to a rate (see
 * reqlog.h). */
#include "reqlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* the longest line written (longer ones are cut): an escaped program path
 * and reason fit */
#define REQLOG_LINE 2048

void reqlog_init(struct reqlog *r, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	ratelimit_init(&r->rl, rate, burst, now_ms);
	r->told = 0;
}

int reqlog_allow(struct reqlog *r, uint64_t now_ms, uint64_t *held)
{
	if (!ratelimit_allow(&r->rl, now_ms))
		return 0;
	*held = r->rl.limited - r->told;
	r->told = r->rl.limited;
	return 1;
}

const char *reqlog_held_text(char *buf, size_t cap, uint64_t held)
{
	if (!held)
		snprintf(buf, cap, "%s", "");
	else
		snprintf(buf, cap, " (and %llu more such line(s) since the last: debug level)",
			 (unsigned long long)held);
	return buf;
}

static void say(int level, const char *func, const char *tail, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void say(int level, const char *func, const char *tail, const char *fmt, va_list ap)
{
	char line[REQLOG_LINE];

	vsnprintf(line, sizeof(line), fmt, ap);
	odm_logf(level, func, 0, "%s%s", line, tail);
}

void reqlog_sayf(struct reqlog *r, uint64_t now_ms, int level, const char *func, const char *fmt,
		 ...)
{
	char tail[80];
	uint64_t held = 0;
	va_list ap;

	/* a line the log does not take at its level is written nowhere,
	 * nor at debug level: it spends no token that a line of a higher
	 * level sharing the bucket needs, nor takes the count of the held
	 * lines, which the next line written says */
	if (odm_log_level() < level)
		return;
	if (!reqlog_allow(r, now_ms, &held)) {
		level = ODM_LOG_DEBUG;
		if (odm_log_level() < level)
			return;
	}
	va_start(ap, fmt);
	say(level, func, reqlog_held_text(tail, sizeof(tail), held), fmt, ap);
	va_end(ap);
}

/* ---- per user ---- */

void reqlog_users_init(struct reqlog_users *r, uint32_t rate, uint32_t burst, uint32_t all_rate,
		       uint32_t all_burst, uint64_t now_ms)
{
	memset(r, 0, sizeof(*r));
	r->rate = rate;
	r->burst = burst;
	ratelimit_init(&r->all, all_rate, all_burst, now_ms);
	ratelimit_init(&r->rest.rl, rate, burst, now_ms);
}

/* uid's bucket: its own, a free one (or one given back: full, owing no
 * count), else the one the users past the table share */
static struct reqlog_user *user_of(struct reqlog_users *r, uid_t uid, uint64_t now_ms)
{
	struct reqlog_user *spare = NULL;

	for (size_t i = 0; i < REQLOG_USERS; i++) {
		struct reqlog_user *u = &r->user[i];

		if (u->used && u->uid == uid)
			return u;
		if (!spare && (!u->used || (!u->held && ratelimit_full(&u->rl, now_ms))))
			spare = u;
	}
	if (!spare)
		return &r->rest;
	spare->used = true;
	spare->uid = uid;
	spare->held = 0;
	ratelimit_init(&spare->rl, r->rate, r->burst, now_ms);
	return spare;
}

int reqlog_users_allow(struct reqlog_users *r, uid_t uid, uint64_t now_ms, uint64_t *held,
		       bool *shared)
{
	struct reqlog_user *u = user_of(r, uid, now_ms);

	*shared = u == &r->rest;
	/* both or neither: a line held back by the bound on all users takes
	 * nothing of its user's own */
	if (!ratelimit_ready(&u->rl, now_ms) || !ratelimit_ready(&r->all, now_ms)) {
		u->held++;
		return 0;
	}
	ratelimit_spend(&u->rl);
	ratelimit_spend(&r->all);
	*held = u->held;
	u->held = 0;
	return 1;
}

void reqlog_users_sayf(struct reqlog_users *r, uid_t uid, uint64_t now_ms, int level,
		       const char *func, const char *fmt, ...)
{
	char tail[128];
	uint64_t held = 0;
	bool shared;
	va_list ap;

	/* as reqlog_sayf: below the log's level, nothing at all */
	if (odm_log_level() < level)
		return;
	if (!reqlog_users_allow(r, uid, now_ms, &held, &shared)) {
		level = ODM_LOG_DEBUG;
		if (odm_log_level() < level)
			return;
	}
	/* the users past the table have one count: it is not this user's */
	if (held && shared)
		snprintf(tail, sizeof(tail),
			 " (and %llu more such line(s) of users past the %d kept since the last: "
			 "debug level)",
			 (unsigned long long)held, REQLOG_USERS);
	else
		reqlog_held_text(tail, sizeof(tail), held);
	va_start(ap, fmt);
	say(level, func, tail, fmt, ap);
	va_end(ap);
}
