/* SPDX-License-Identifier: MIT */
/*
 * guard.h — per-thread recursion guard of the shim.
 *
 * While the shim itself works (logs, talks to the agent, resolves with
 * c-ares, which opens its own sockets), every hook must go straight to libc.
 * A static __thread flag does that (the idea comes from libfaketime). The
 * TLS model is initial-exec so that touching the flag never calls
 * __tls_get_addr, which may allocate, from inside a hook.
 */
#ifndef ODM_GUARD_H
#define ODM_GUARD_H

#pragma GCC visibility push(hidden)

extern __thread int odm_guard_depth __attribute__((tls_model("initial-exec")));

/* Nonzero while this thread runs shim code: hooks must pass straight through. */
static inline int guard_active(void)
{
	return odm_guard_depth != 0;
}

static inline void guard_enter(void)
{
	odm_guard_depth++;
}

static inline void guard_leave(void)
{
	odm_guard_depth--;
}

#pragma GCC visibility pop

#endif
