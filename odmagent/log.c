/* SPDX-License-Identifier: MIT */
/*
 * log.c — one line per event, prefixed with the level and the function; to
 * standard error with a UTC timestamp, or to syslog(3) as ident[pid] with the
 * facility LOG_DAEMON and a priority matching the level.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "odm";
static int log_max = ODM_LOG_INFO;
static int log_syslog;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void odm_log_init(const char *ident, int level, int to_syslog)
{
	if (log_syslog && !to_syslog)
		closelog();
	log_ident = ident ? ident : "odm";
	log_max = level;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

size_t log_stamp(char *out, size_t cap, const struct timespec *ts)
{
	struct tm tm;
	char day[32];
	int n;

	if (!out || cap == 0)
		return 0;
	out[0] = '\0';
	if (!gmtime_r(&ts->tv_sec, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	n = snprintf(out, cap, "%s.%03ldZ", day, ts->tv_nsec / 1000000);
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

int odm_log_level(void)
{
	return log_max;
}

int odm_log_level_from_name(const char *name)
{
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (name && strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void odm_logf(int level, const char *func, int errnum, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int saved = errno;
	char msg[1024];
	va_list ap;
	int n;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (errnum && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
			 strerror(errnum < 0 ? -errnum : errnum));
	/* one call, one line: a control character that reached the message
	 * unescaped (a client's string, a path with a newline) cannot start a
	 * line of its own making; a line break or tab (a library's message of
	 * several lines) reads as a space */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (level < 0)
		level = 0;
	if (level > ODM_LOG_DEBUG)
		level = ODM_LOG_DEBUG;
	if (log_syslog) {
		syslog(prio[level], "%s: %s", func, msg);
	} else {
		struct timespec ts;
		char stamp[LOG_STAMP_MAX];

		clock_gettime(CLOCK_REALTIME, &ts);
		log_stamp(stamp, sizeof(stamp), &ts);
		fprintf(stderr, "%s %s[%ld] %s: %s: %s\n", stamp, log_ident, (long)getpid(),
			level_names[level], func, msg);
	}
	errno = saved;
}

static int esc_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

const char *log_escape(char *out, size_t cap, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, need = 0, n = 0;

	if (!out || cap == 0)
		return "";
	while (s && n < max && s[n]) {
		need += esc_plain((unsigned char)s[n]) ? 1 : 4;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t w = esc_plain(c) ? 1 : 4;

		/* cut short: keep room for "..." and the NUL */
		if (need >= cap && o + w + 4 > cap) {
			if (o + 4 <= cap) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (w == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
