/* SPDX-License-Identifier: MIT */
/*
 * sigblock.h — every signal held off while the shim holds one of its locks.
 *
 * close() and dup() are async-signal-safe (signal-safety(7)): a program's
 * handler may call them, and the shim's hooks then take the locks of the fd
 * table, the shield and the held leases. Were the handler to run on a
 * thread already inside one of those sections, it would wait for itself.
 * With every signal blocked for the section, a handler runs only once the
 * lock is free again. The sections are short and never wait on the agent.
 */
#ifndef ODM_SIGBLOCK_H
#define ODM_SIGBLOCK_H

#include <pthread.h>
#include <signal.h>

#pragma GCC visibility push(hidden)

static inline void sigblock_lock(pthread_mutex_t *m, sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
	pthread_mutex_lock(m);
}

static inline void sigblock_unlock(pthread_mutex_t *m, const sigset_t *old)
{
	pthread_mutex_unlock(m);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

#pragma GCC visibility pop

#endif
