/* SPDX-License-Identifier: MIT */
/*
 * shim_env.h — the shim's variables (odm(7) ENVIRONMENT): ODM_TYPE,
 * ODM_SOCKET and ODM_DEBUG as the process has them at the call, or, when
 * the variable is gone from its environment, as the process had it when
 * the library was loaded (shim_env_take, from the constructor).
 *
 * Both are needed: a program that clears its environment before its first
 * socket (nginx's worker processes keep only TZ) keeps its type, its agent
 * and its debug output, and a program linked with libodm that sets
 * ODM_SOCKET or ODM_TYPE with setenv(3) before its first call
 * (setsc(3), odm_events(3)) is heard. Read with secure_getenv(3), at the
 * call and when taken: nothing in secure-execution mode.
 */
#ifndef ODM_SHIM_ENV_H
#define ODM_SHIM_ENV_H

#pragma GCC visibility push(hidden)

enum shim_env_var { SHIM_ENV_TYPE, SHIM_ENV_SOCKET, SHIM_ENV_DEBUG, SHIM_ENV_N };

/* The three as the process has them now, kept (once; no allocation). */
void shim_env_take(void);

/* The variable's value at this call, else the one taken, else NULL. */
const char *shim_env(enum shim_env_var v);

#pragma GCC visibility pop

#endif
