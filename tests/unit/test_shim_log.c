/* SPDX-License-Identifier: MIT */
/*
 * test_shim_log.c — shim_log.c: a value from the environment made printable
 * and bounded before the shim writes it on a program's stderr.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "shim_log.h"

Test(shim_log, clean_keeps_printable_ascii)
{
	char b[32];

	cr_assert_str_eq(shim_log_clean(b, sizeof(b), "session-lasting"), "session-lasting");
	cr_assert_str_eq(shim_log_clean(b, sizeof(b), ""), "");
	cr_assert_str_eq(shim_log_clean(b, sizeof(b), NULL), "");
}

Test(shim_log, clean_masks_control_and_high_bytes)
{
	char b[32];

	cr_assert_str_eq(shim_log_clean(b, sizeof(b), "a\033[31mb\n\x7f\xc3\xa9"), "a?[31mb????");
}

Test(shim_log, clean_bounds_to_the_buffer)
{
	char b[8], big[100];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_str_eq(shim_log_clean(b, sizeof(b), big), "xxxxxxx");
	cr_assert_str_eq(shim_log_clean(b, 1, big), "");
	cr_assert_str_eq(shim_log_clean(b, 0, big), "");
}
