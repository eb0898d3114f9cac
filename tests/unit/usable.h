/* SPDX-License-Identifier: MIT */
/*
 * usable.h — for unit tests that bind an address right after adding it:
 * netconf_addr_add() returns while the address is still tentative, so wait
 * (tests may sleep; the agent asks from a timer instead) until the kernel
 * routes it as local. Returns the microseconds waited; fails the test after
 * ADDR_USABLE_BOUND_MS, the bound the agent uses.
 */
#ifndef ODM_TEST_USABLE_H
#define ODM_TEST_USABLE_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <unistd.h>

#include "addr_usable.h"
#include "monotime.h"
#include "netconf.h"

static inline uint64_t test_wait_usable(struct netconf *nc, const struct in6_addr *a)
{
	uint64_t t0 = mono_us(), t;
	int r;

	for (;;) {
		r = netconf_addr_usable(nc, a);
		t = mono_us() - t0;
		if (r == 1)
			return t;
		cr_assert_geq(r, 0, "asking whether the address is local: %d", r);
		cr_assert_lt(t, (uint64_t)ADDR_USABLE_BOUND_MS * 1000,
			     "address not local after %llu us", (unsigned long long)t);
		usleep(100);
	}
}

#endif
