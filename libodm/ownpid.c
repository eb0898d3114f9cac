/* SPDX-License-Identifier: MIT */
/* ownpid.c — the process the shim's state belongs to (see ownpid.h). */
#include "ownpid.h"

#include <sys/types.h>
#include <unistd.h>

static pid_t owner;

void ownpid_take(void)
{
	__atomic_store_n(&owner, getpid(), __ATOMIC_RELAXED);
}

int ownpid_foreign(void)
{
	pid_t o = __atomic_load_n(&owner, __ATOMIC_RELAXED), self = getpid();

	if (o == 0) {
		/* a hook before the constructor: the first to ask owns it */
		__atomic_compare_exchange_n(&owner, &o, self, 0, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
		return o != 0 && o != self;
	}
	return o != self;
}
