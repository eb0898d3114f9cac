/* SPDX-License-Identifier: MIT */
/* ownpid.c — the process the shim's state belongs to (see ownpid.h). */
#include "ownpid.h"

#include <errno.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static pid_t owner;
static void (*adopt_fn)(void);

void ownpid_take(void)
{
	__atomic_store_n(&owner, getpid(), __ATOMIC_RELAXED);
}

void ownpid_on_adopt(void (*fn)(void))
{
	__atomic_store_n(&adopt_fn, fn, __ATOMIC_RELAXED);
}

/*
 * Whether self runs in o's memory (kcmp(2) KCMP_VM): 1 it does (vfork,
 * CLONE_VM), 0 it has a copy of its own, or o is gone (the memory it had
 * is no one else's now); -1 when the kernel will not say (no kcmp, not
 * permitted), errno kept.
 */
static int shares_memory(pid_t self, pid_t o)
{
	int saved = errno;
	long r = syscall(SYS_kcmp, self, o, KCMP_VM, 0, 0);
	int ret = r == 0 ? 1 : r > 0 || errno == ESRCH ? 0 : -1;

	errno = saved;
	return ret;
}

int ownpid_foreign(void)
{
	pid_t o = __atomic_load_n(&owner, __ATOMIC_RELAXED), self = getpid();
	void (*fn)(void);

	if (o == 0) {
		/* a hook before the constructor: the first to ask owns it */
		__atomic_compare_exchange_n(&owner, &o, self, 0, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
		return o != 0 && o != self;
	}
	if (o == self)
		return 0;
	/* a child made without the fork handler: in the owner's memory, hands
	 * off; with a copy of its own (_Fork, clone without CLONE_VM), it takes
	 * that copy now, as the handler would have at the fork (the first of
	 * its threads to ask; the others meet it taken) */
	if (shares_memory(self, o) != 0)
		return 1;
	if (__atomic_compare_exchange_n(&owner, &o, self, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		fn = __atomic_load_n(&adopt_fn, __ATOMIC_RELAXED);
		if (fn)
			fn();
	}
	return __atomic_load_n(&owner, __ATOMIC_RELAXED) != self;
}
