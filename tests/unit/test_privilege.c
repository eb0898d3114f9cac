/* SPDX-License-Identifier: MIT */
/* test_privilege.c — the missing capabilities are named with their use. */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "privilege.h"

#define BIT(c) (UINT64_C(1) << (c))

Test(privilege, both_held_says_nothing)
{
	char out[256] = "x";

	cr_assert_eq(priv_missing(BIT(CAP_NET_ADMIN) | BIT(CAP_NET_RAW), out, sizeof out), 0);
	cr_assert_str_empty(out);
}

Test(privilege, each_missing_one_is_named_with_its_use)
{
	char out[256];

	cr_assert_eq(priv_missing(BIT(CAP_NET_ADMIN), out, sizeof out), 1);
	cr_assert(strstr(out, "CAP_NET_RAW (to open the raw sockets"), "%s", out);
	cr_assert_null(strstr(out, "CAP_NET_ADMIN"), "%s", out);
	cr_assert_eq(priv_missing(BIT(CAP_NET_RAW) | BIT(CAP_SYS_ADMIN), out, sizeof out), 1);
	cr_assert(strstr(out, "CAP_NET_ADMIN (to create the tunnel device"), "%s", out);
	cr_assert_null(strstr(out, "CAP_NET_RAW"), "%s", out);
}

Test(privilege, none_held_names_both)
{
	char out[512];

	cr_assert_eq(priv_missing(0, out, sizeof out), 2);
	cr_assert(strstr(out, "CAP_NET_ADMIN ("), "%s", out);
	cr_assert(strstr(out, ") and CAP_NET_RAW ("), "%s", out);
}

Test(privilege, a_short_buffer_is_cut_not_overrun)
{
	char out[16];

	memset(out, 'z', sizeof out);
	cr_assert_eq(priv_missing(0, out, 12), 2, "the count does not depend on the room");
	cr_assert_eq(strlen(out), 11);
	cr_assert_eq(out[12], 'z', "wrote past cap");
}

/* capget(2) agrees with what the kernel shows in /proc/self/status */
Test(privilege, this_process_reads_its_set)
{
	unsigned long long proc = 0;
	uint64_t eff = 0;
	char line[256];
	int found = 0;
	FILE *f;

	cr_assert_eq(priv_effective(&eff), 0);
	f = fopen("/proc/self/status", "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &proc) == 1)
			found = 1;
	fclose(f);
	cr_assert(found, "no CapEff line");
	cr_assert_eq(eff, (uint64_t)proc, "capget %#llx, /proc %#llx", (unsigned long long)eff,
		     proc);
}
