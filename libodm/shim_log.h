/* SPDX-License-Identifier: MIT */
/*
 * shim_log.h — the shim's one-line decisions on stderr, only when ODM_DEBUG
 * is set (to anything but "" or "0"). Nothing else is ever printed, an
 * unmodified program's stderr being its own, but for the shim's own input
 * being wrong (shim_warn_once: an ODM_TYPE that names no type), which the
 * person who set it must hear of, as ld.so warns of an LD_PRELOAD it cannot
 * load. errno is preserved.
 */
#ifndef ODM_SHIM_LOG_H
#define ODM_SHIM_LOG_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

/* Nonzero if ODM_DEBUG asks for output (read once). */
int shim_debug_on(void);

/* "odm: <message>\n" in one write(2), if shim_debug_on(). */
void shim_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Like shim_debug(), but at most once per *flag for the process (flags are
 * static ints of the caller), for "agent unreachable"-style conditions.
 */
void shim_debug_once(int *flag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same line at most once per *flag, with or without ODM_DEBUG. */
void shim_warn_once(int *flag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * s for a message: at most size - 1 bytes of it into buf, each byte that is
 * not printable ASCII as '?' (a value from the environment may hold
 * anything); returns buf.
 */
const char *shim_log_clean(char *buf, size_t size, const char *s);

#pragma GCC visibility pop

#endif
