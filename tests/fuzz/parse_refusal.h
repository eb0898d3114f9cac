/* SPDX-License-Identifier: MIT */
/* parse_refusal.h — the contract of a journal parser's refusal, shared by
 * the harnesses of the host's and the anchor's (fuzz_journal.c,
 * fuzz_anchor_journal.c): rc is 0, or -EINVAL with a reason in err, or
 * -ENOMEM, and a refusal leaves nothing to free and no entry counted.
 * Aborts when it is broken; 1 for a refusal, 0 for a success. */
#ifndef ODM_FUZZ_PARSE_REFUSAL_H
#define ODM_FUZZ_PARSE_REFUSAL_H

#include <errno.h>
#include <stdlib.h>

static inline int parse_refused(int rc, const void *v, size_t n, const char *err)
{
	if (rc == 0)
		return 0;
	if (rc != -EINVAL && rc != -ENOMEM)
		abort();
	if (v || n || (rc == -EINVAL && !err[0]))
		abort();
	return 1;
}

#endif
