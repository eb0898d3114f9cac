/* SPDX-License-Identifier: MIT */
/*
 * hook_init.c — the shim's constructor and fork handling.
 *
 * The constructor registers the fork handler and binds the real
 * getaddrinfo, write, writev, send, read and readv, and keeps a copy of
 * ODM_TYPE, ODM_SOCKET and ODM_DEBUG (shim_env.h); everything else starts
 * lazily on first use, so hooks called before it ran (from another
 * library's constructor) still work (libfaketime bugs #132 and #416).
 * In the child: locks are reset (a thread that held one does not exist
 * there; lazylib.c's too, under which a library is loaded), the agent
 * connection is dropped so the child connects with its own pid, the
 * c-ares channel is replaced on next use, and the fd table is kept: the
 * child inherited those fds. A child made without fork() (vfork,
 * posix_spawn) runs no handler and leaves the shim's state alone
 * (ownpid.h).
 */
#include <pthread.h>

#include "agent_client.h"
#include "chacache.h"
#include "chalookup.h"
#include "fdtable.h"
#include "lazylib.h"
#include "libc_real.h"
#include "ownpid.h"
#include "replysrc.h"
#include "shield.h"
#include "shim_connect.h"
#include "shim_env.h"

static void odm_atfork_child(void)
{
	ownpid_take();
	shield_atfork_child();
	fdtable_atfork_child(fdtable_global(0));
	chacache_atfork_child();
	chalookup_atfork_child();
	lazylib_atfork_child();
	agent_client_atfork_child();
	shim_connect_atfork_child();
	replysrc_atfork_child();
}

__attribute__((constructor)) static void odm_shim_init(void)
{
	ownpid_take();
	pthread_atfork(NULL, NULL, odm_atfork_child);
	/* Looked up while ld.so is still at work on this process (its tables
	 * and code at hand), getaddrinfo costs a fraction of what it costs
	 * inside the first call. The others are bound on first use
	 * (libc_real.h), as these are too if a hook runs before this
	 * constructor. */
	(void)REAL(getaddrinfo);
	/* and those a signal handler may well be the first to call (the
	 * self-pipe trick's write()), where dlsym could wait for a lock the
	 * interrupted code holds; a program that prints through stdio never
	 * calls the hooked write() before that */
	(void)REAL(write);
	(void)REAL(writev);
	(void)REAL(send);
	(void)REAL(read);
	(void)REAL(readv);
	/* ODM_TYPE, ODM_SOCKET and ODM_DEBUG as the program was started with
	 * them, for when it has cleared its environment by the time the shim
	 * reads them (nginx's worker processes keep only TZ): its type, its
	 * agent and its debug output stay (shim_env.h, odm(7) ENVIRONMENT) */
	shim_env_take();
}
