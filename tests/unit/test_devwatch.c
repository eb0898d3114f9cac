/* SPDX-License-Identifier: MIT */
/* test_devwatch.c — odmagent/devwatch.h: when the tunnel device is gone. */
#include <criterion/criterion.h>
#include <errno.h>

#include "devwatch.h"

Test(devwatch, gone_only_when_the_name_names_no_device_or_another)
{
	cr_assert_eq(devwatch_gone(5, 5, 0), 0, "still there");
	cr_assert_eq(devwatch_gone(5, 0, ENODEV), 1, "deleted (or renamed)");
	cr_assert_eq(devwatch_gone(5, 9, 0), 1, "the name is another device's now");
	/* if_nametoindex's own failures say nothing about the device */
	cr_assert_eq(devwatch_gone(5, 0, EMFILE), 0, "no descriptor for the ioctl");
	cr_assert_eq(devwatch_gone(5, 0, ENOMEM), 0);
}

/* The kernel's answer for devices every namespace has (the loopback is up)
 * or none has; one set down is the network suite's (test_restart j). */
Test(devwatch, what_the_kernel_says_of_a_device)
{
	cr_assert_eq(devwatch_device("lo", 1), DEVWATCH_UP);
	cr_assert_eq(devwatch_device("lo", 999), DEVWATCH_GONE, "the name is another's");
	cr_assert_eq(devwatch_device("odmnosuch0", 7), DEVWATCH_GONE);
	cr_assert_str_eq(devwatch_what_name(DEVWATCH_DOWN), "set down");
	cr_assert_str_eq(devwatch_what_name(DEVWATCH_GONE), "deleted");
}
