/* SPDX-License-Identifier: MIT */
/*
 * log.h — odmagent's log (the shim has its own, shim_log.h). Every line names
 * the function it comes from. log_warn()/log_err() append strerror() of the
 * errno value given; none of these functions changes errno.
 */
#ifndef ODM_LOG_H
#define ODM_LOG_H

#include <stddef.h>
#include <time.h>

enum { ODM_LOG_ERR = 0, ODM_LOG_WARN = 1, ODM_LOG_INFO = 2, ODM_LOG_DEBUG = 3 };

/*
 * ident: program name; level: most verbose level shown; to_syslog: 0 =
 * standard error, lines "2026-01-31T12:00:00.123Z ident[pid] level: func:
 * message" (UTC); 1 = syslog(3), facility LOG_DAEMON, priority LOG_ERR,
 * LOG_WARNING, LOG_INFO or LOG_DEBUG by level. May be called again (SIGHUP).
 */
void odm_log_init(const char *ident, int level, int to_syslog);
int odm_log_level(void);
int odm_log_level_from_name(const char *name); /* -1 if unknown */

/*
 * ts as ISO 8601 in UTC with milliseconds, "2026-01-31T12:00:00.123Z", in
 * out (cap bytes, LOG_STAMP_MAX is enough). Returns its length, 0 (and an
 * empty string) if it does not fit.
 */
#define LOG_STAMP_MAX 32
size_t log_stamp(char *out, size_t cap, const struct timespec *ts);

void odm_logf(int level, const char *func, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Bytes from the wire (an NAI, a name) made safe for one log line: every
 * byte outside printable ASCII, and the backslash itself, is written \xNN,
 * so no newline, escape sequence or other control can reach the log. At most
 * max bytes of s are read (it may lack a NUL); the result is cut short, with
 * "..." at its end, when out (cap bytes) is too small. Returns out.
 */
#define LOG_ESC_MAX 1024 /* a buffer for the longest escaped NAI (254 * 4) */
const char *log_escape(char *out, size_t cap, const char *s, size_t max);

/*
 * The level is checked before the call, so a line that would be discarded
 * costs no formatting and no evaluation of its arguments (ntop6(),
 * log_escape() and the like run on every Binding Update otherwise).
 */
#define odm_log_at(level, err, ...)                                      \
	do {                                                             \
		int odm_log_lvl_ = (level);                              \
		if (odm_log_level() >= odm_log_lvl_)                     \
			odm_logf(odm_log_lvl_, __func__, (err), __VA_ARGS__); \
	} while (0)

/* err: an errno value, positive or negative (the -errno returns of modules) */
#define log_err(err, ...) odm_log_at(ODM_LOG_ERR, (err), __VA_ARGS__)
#define log_warn(err, ...) odm_log_at(ODM_LOG_WARN, (err), __VA_ARGS__)
#define log_warnx(...) odm_log_at(ODM_LOG_WARN, 0, __VA_ARGS__)
#define log_info(...) odm_log_at(ODM_LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) odm_log_at(ODM_LOG_DEBUG, 0, __VA_ARGS__)

#endif
