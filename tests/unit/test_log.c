/* SPDX-License-Identifier: MIT */
/*
 * test_log.c — the log's timestamp (ISO 8601, UTC, milliseconds), its line
 * on standard error, and the "log" directive that picks stderr or syslog.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <regex.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

Test(log, stamp_is_iso8601_utc_with_ms)
{
	/* 2026-01-31 12:00:00 UTC; 5 ms after it, and the last ms of the second */
	struct timespec t1 = { .tv_sec = 1769860800, .tv_nsec = 5999999 };
	struct timespec t2 = { .tv_sec = 1769860800, .tv_nsec = 999999999 };
	char out[LOG_STAMP_MAX];

	cr_assert_eq(log_stamp(out, sizeof out, &t1), 24);
	cr_assert_str_eq(out, "2026-01-31T12:00:00.005Z");
	log_stamp(out, sizeof out, &t2);
	cr_assert_str_eq(out, "2026-01-31T12:00:00.999Z");
}

Test(log, stamp_too_long_for_the_buffer_is_empty)
{
	struct timespec t = { .tv_sec = 0, .tv_nsec = 0 };
	char out[24];

	cr_assert_eq(log_stamp(out, sizeof out, &t), 0, "24 characters and a NUL need 25");
	cr_assert_str_empty(out);
	cr_assert_eq(log_stamp(out, 0, &t), 0);
}

Test(log, stderr_line_has_stamp_ident_pid_level_function, .init = cr_redirect_stderr)
{
	char line[512], want[64];
	regex_t re;
	size_t n;
	FILE *f;

	odm_log_init("odmtest", ODM_LOG_INFO, 0);
	log_info("hello %d", 42);
	log_debug("not shown");
	fflush(stderr);
	f = cr_get_redirected_stderr();
	n = fread(line, 1, sizeof line - 1, f);
	line[n] = '\0';
	snprintf(want, sizeof want, " odmtest[%ld] info: ", (long)getpid());
	cr_assert(strstr(line, want), "%s", line);
	cr_assert_eq(regcomp(&re,
			     "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
			     "odmtest\\[[0-9]+\\] info: [a-z_]+: hello 42\n$",
			     REG_EXTENDED),
		     0);
	cr_assert_eq(regexec(&re, line, 0, NULL, 0), 0, "line: %s", line);
	regfree(&re);
}

Test(log, one_call_is_one_line_whatever_the_message_holds, .init = cr_redirect_stderr)
{
	char out[512];
	size_t n;
	FILE *f;

	odm_log_init("odmtest", ODM_LOG_INFO, 0);
	/* a string from a client: a newline and a forged line after it */
	log_info("claims to run %s", "/bin/x\n2099-01-01T00:00:00.000Z odmagent[1] error: FORGED\r\x1b[2J");
	fflush(stderr);
	f = cr_get_redirected_stderr();
	n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	cr_assert(strstr(out, "/bin/x 2099-01-01T00:00:00.000Z odmagent[1] error: FORGED??[2J\n"), "%s",
		  out);
	cr_assert_eq(strchr(out, '\n'), out + n - 1, "one line: %s", out);
}

static int parse(struct odm_config *c, const char *text, char *err, size_t len)
{
	return config_parse(c, text, strlen(text), "t.conf", err, len);
}

#define ID "identity h@example.org spi 300 key 0123456789abcdef0123456789abcdef\n"

Test(log, directive_picks_the_target)
{
	struct odm_config c;
	char err[256];

	cr_assert_eq(parse(&c, ID, err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.log_syslog, 0, "stderr by default");
	config_free(&c);
	cr_assert_eq(parse(&c, ID "log syslog\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.log_syslog, 1);
	config_free(&c);
	cr_assert_eq(parse(&c, ID "log stderr\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(c.log_syslog, 0);
	config_free(&c);
	cr_assert_lt(parse(&c, ID "log journal\n", err, sizeof err), 0);
	cr_assert_str_eq(err, "t.conf:2: journal: log must be stderr or syslog");
	cr_assert_lt(parse(&c, "role anchor\nlog syslog\nlog stderr\n", err, sizeof err), 0);
	cr_assert(strstr(err, "t.conf:3: log: given twice"), "%s", err);
}

Test(log, reload_takes_the_new_target)
{
	struct odm_config cur, next;
	char err[256];

	cr_assert_eq(parse(&cur, ID, err, sizeof err), 0, "%s", err);
	cr_assert_eq(parse(&next, ID "log syslog\n", err, sizeof err), 0, "%s", err);
	cr_assert_eq(config_reload(&cur, &next, err, sizeof err), 0, "%s", err);
	cr_assert_eq(cur.log_syslog, 1);
	config_free(&cur);
	config_free(&next);
}
