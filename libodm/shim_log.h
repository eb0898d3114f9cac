/* SPDX-License-Identifier: MIT */
/*
 * shim_log.h — the shim's one-line decisions on stderr, only when ODM_DEBUG
 * is set (to anything but "" or "0"). Nothing is ever printed otherwise: an
 * unmodified program's stderr belongs to it. errno is preserved.
 */
#ifndef ODM_SHIM_LOG_H
#define ODM_SHIM_LOG_H

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

#pragma GCC visibility pop

#endif
