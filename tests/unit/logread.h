/* SPDX-License-Identifier: MIT */
/* logread.h — what a unit test's code logged: its redirected stderr
 * (criterion's cr_redirect_stderr), read back and searched. */
#ifndef ODM_LOGREAD_H
#define ODM_LOGREAD_H

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

/* What the test wrote to its redirected stderr since the last read, into
 * buf (cap bytes, NUL-terminated); returns buf. */
static inline const char *log_read(char *buf, size_t cap)
{
	size_t n;

	fflush(stderr);
	n = fread(buf, 1, cap - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	return buf;
}

/* How many times needle occurs in text (not overlapping). */
static inline int log_count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#endif
