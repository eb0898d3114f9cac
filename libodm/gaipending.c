/* SPDX-License-Identifier: MIT */
/* gaipending.c — getaddrinfo_a() requests not noted yet (see gaipending.h). */
#include "gaipending.h"

#include <stddef.h>

static const struct gaicb *pending[GAIPENDING_MAX];
static unsigned next_slot;

void gaipending_add(const struct gaicb *g)
{
	unsigned i;

	for (i = 0; i < GAIPENDING_MAX; i++)
		if (__atomic_load_n(&pending[i], __ATOMIC_ACQUIRE) == g)
			return;
	i = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED) % GAIPENDING_MAX;
	__atomic_store_n(&pending[i], g, __ATOMIC_RELEASE);
}

int gaipending_take(const struct gaicb *g)
{
	for (unsigned i = 0; i < GAIPENDING_MAX; i++) {
		const struct gaicb *want = g;

		if (g && __atomic_compare_exchange_n(&pending[i], &want, NULL, 0, __ATOMIC_ACQ_REL,
						     __ATOMIC_RELAXED))
			return 1;
	}
	return 0;
}
