/* SPDX-License-Identifier: MIT */
/* test_lookupgap.c — which lookup failures may be a move's gap's (lookupgap.h). */
#include <criterion/criterion.h>

#include "lookupgap.h"

Test(lookupgap, temporary_failures_are_asked_about)
{
	struct addrinfo h = { .ai_family = AF_INET6 };

	cr_assert(lookupgap_gai_failure(EAI_AGAIN, NULL));
	cr_assert(lookupgap_gai_failure(EAI_AGAIN, &h));
}

Test(lookupgap, no_name_only_under_addrconfig)
{
	struct addrinfo h = { .ai_family = AF_UNSPEC };

	cr_assert_not(lookupgap_gai_failure(EAI_NONAME, NULL), "a name that is not there");
	cr_assert_not(lookupgap_gai_failure(EAI_NONAME, &h));
	h.ai_flags = AI_ADDRCONFIG;
	cr_assert(lookupgap_gai_failure(EAI_NONAME, &h), "no address left to look up for");
}

Test(lookupgap, other_failures_and_success_are_not)
{
	struct addrinfo h = { .ai_flags = AI_ADDRCONFIG };

	cr_assert_not(lookupgap_gai_failure(0, &h));
	cr_assert_not(lookupgap_gai_failure(EAI_FAIL, &h));
	cr_assert_not(lookupgap_gai_failure(EAI_SYSTEM, &h));
	cr_assert_not(lookupgap_gai_failure(EAI_MEMORY, &h));
	cr_assert(lookupgap_h_failure(TRY_AGAIN));
	cr_assert_not(lookupgap_h_failure(HOST_NOT_FOUND));
	cr_assert_not(lookupgap_h_failure(NETDB_INTERNAL));
	cr_assert_not(lookupgap_h_failure(NO_DATA));
}
