/* SPDX-License-Identifier: MIT */
/* threadserial.c — a serial number per thread, never reused (see threadserial.h). */
#include "threadserial.h"

static uint64_t last;
static __thread uint64_t mine;

uint64_t threadserial_self(void)
{
	if (!mine)
		mine = __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
	return mine;
}
