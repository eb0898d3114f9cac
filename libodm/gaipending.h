/* SPDX-License-Identifier: MIT */
/*
 * gaipending.h — the getaddrinfo_a() requests whose result the shim has
 * not noted yet (hook_getaddrinfo.c).
 *
 * A request's result is noted the first time the shim sees it done
 * (GAI_WAIT returning, gai_error() saying 0), and only then: a program may
 * free the result with freeaddrinfo() and go on asking gai_error() about
 * the request, which says 0 again, and the shim must not read the freed
 * list then. The requests are kept as pointers only, compared and never
 * followed (a program may free a request it never asked about); the
 * oldest give way when GAIPENDING_MAX are kept (the newer ones' results
 * are then simply not noted). Atomic slots, no lock: gai_error() may be
 * called from a signal handler or a forked child.
 */
#ifndef ODM_GAIPENDING_H
#define ODM_GAIPENDING_H

#include <netdb.h>

#define GAIPENDING_MAX 256

/* g was handed to getaddrinfo_a(): its result is to be noted once */
void gaipending_add(const struct gaicb *g);
/* 1 when g was handed to getaddrinfo_a() and not taken since (it is not
 * pending any more), else 0 */
int gaipending_take(const struct gaicb *g);

#endif
