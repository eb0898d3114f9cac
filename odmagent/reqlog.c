/* SPDX-License-Identifier: MIT */
/* reqlog.c — log lines that others' requests cause, held to a rate (see
 * reqlog.h). */
#include "reqlog.h"

#include <stdarg.h>
#include <stdio.h>

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

void reqlog_sayf(struct reqlog *r, uint64_t now_ms, int level, const char *func, const char *fmt,
		 ...)
{
	char line[REQLOG_LINE], tail[80];
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
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	odm_logf(level, func, 0, "%s%s", line, reqlog_held_text(tail, sizeof(tail), held));
}
