/* SPDX-License-Identifier: MIT */
/* lookupgap.c — failures of a name lookup a move's gap may cause (see lookupgap.h). */
#include "lookupgap.h"

int lookupgap_gai_failure(int ret, const struct addrinfo *hints)
{
	if (ret == EAI_AGAIN)
		return 1;
	return ret == EAI_NONAME && hints && (hints->ai_flags & AI_ADDRCONFIG);
}

int lookupgap_h_failure(int herr)
{
	return herr == TRY_AGAIN;
}
