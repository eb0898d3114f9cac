/* SPDX-License-Identifier: MIT */
/* shim_log.c — ODM_DEBUG output of the shim (see shim_log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim_env.h"
#include "shim_log.h"

static atomic_int debug_state; /* 0 unknown, 1 off, 2 on */

int shim_debug_on(void)
{
	int st = atomic_load_explicit(&debug_state, memory_order_relaxed);

	if (st == 0) {
		const char *v = shim_env(SHIM_ENV_DEBUG);
		st = (v && *v && strcmp(v, "0") != 0) ? 2 : 1;
		atomic_store_explicit(&debug_state, st, memory_order_relaxed);
	}
	return st == 2;
}

static void vemit(const char *fmt, va_list ap)
{
	char line[512];
	int n;

	memcpy(line, "odm: ", 5);
	n = vsnprintf(line + 5, sizeof(line) - 6, fmt, ap);
	if (n < 0)
		return;
	n += 5;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: concurrent threads do not interleave. */
	(void)!write(2, line, (size_t)n);
}

void shim_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!shim_debug_on())
		return;
	va_start(ap, fmt);
	vemit(fmt, ap);
	va_end(ap);
	errno = saved;
}

/* The line, if *flag was not set yet (and sets it). */
static void vemit_once(int *flag, const char *fmt, va_list ap)
{
	int saved = errno;

	if (__atomic_exchange_n(flag, 1, __ATOMIC_RELAXED))
		return;
	vemit(fmt, ap);
	errno = saved;
}

void shim_debug_once(int *flag, const char *fmt, ...)
{
	va_list ap;

	if (!shim_debug_on())
		return;
	va_start(ap, fmt);
	vemit_once(flag, fmt, ap);
	va_end(ap);
}

void shim_warn_once(int *flag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit_once(flag, fmt, ap);
	va_end(ap);
}

const char *shim_log_clean(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	if (size == 0)
		return "";
	for (; s && s[n] && n + 1 < size; n++)
		buf[n] = (s[n] >= 0x20 && s[n] < 0x7f) ? s[n] : '?';
	buf[n] = '\0';
	return buf;
}
