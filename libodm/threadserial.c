/* SPDX-License-Identifier: MIT */
/* threadserial.c — a serial number per thread, never reused (see threadserial.h). */
#include "threadserial.h"

static uint64_t last;
/* initial-exec, as guard.c: the general model calls __tls_get_addr, which
 * would make the dynamic loader a library libodm.so needs by name */
static __thread uint64_t mine __attribute__((tls_model("initial-exec")));

uint64_t threadserial_self(void)
{
	if (!mine)
		mine = __atomic_add_fetch(&last, 1, __ATOMIC_RELAXED);
	return mine;
}
