/* SPDX-License-Identifier: MIT */
/*
 * anchor_journal.h — the anchor role's journal of the deregistrations it
 * acknowledged.
 *
 * The anchor's state file is written in the background after a change
 * (anchor_state.c), after the Binding Acknowledgement left. An anchor
 * killed in between comes back with the bindings of its last save: one
 * it made or moved meanwhile is found again by the host's next packet (a
 * Binding Error, odmagent(8) Restarts), but one the host deregistered
 * would come back for the rest of its lifetime, tunnelling to the host an
 * address it no longer has and holding it from the pool, and the host,
 * answered, never sends that deregistration again. So before the
 * acknowledgement of a deregistration leaves, one line (home address,
 * the BU's sequence number, the host's NAI) is appended to
 * STATE-DIR/anchor.journal with a single write(2) (no fsync: what a
 * killed process wrote is in the page cache). The next run ends each
 * restored binding of that address and NAI whose sequence number is older
 * than the line's (RFC 6275 9.5.1); the journal is emptied by each save
 * that holds all its lines.
 *
 * The line format and the parser are pure (unit-tested).
 */
#ifndef ODM_ANCHOR_JOURNAL_H
#define ODM_ANCHOR_JOURNAL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "mh.h"

#define ANCHOR_JOURNAL_FILE "anchor.journal"
/* lines appended before the state is saved in-line and the journal emptied;
 * also the most a journal read may hold */
#define AJ_MAX 4096
/* one line: address, sequence number, NAI, spaces and newline */
#define AJ_LINE_MAX (INET6_ADDRSTRLEN + 6 + MH_NAI_MAX + 2)

struct aj_entry {
	struct in6_addr hoa;
	uint16_t seq;
	char nai[MH_NAI_MAX + 1];
};

/* The line "HOA SEQ NAI\n" in buf (NUL-terminated): its length, -EINVAL
 * for a NAI that is empty, longer than MH_NAI_MAX or holds other than
 * printable ASCII without spaces, -ENOSPC when cap is too small. */
int aj_format(const struct in6_addr *hoa, uint16_t seq, const char *nai, char *buf, size_t cap);
/*
 * Parse a journal (len bytes, need not be NUL-terminated): at most AJ_MAX
 * lines of aj_format. A last line with no newline (a write cut short) is
 * left out. 0 with *out (to free) and *n, or -EINVAL with the line number
 * and reason in err (nothing to free), -ENOMEM.
 */
int aj_parse(const char *text, size_t len, struct aj_entry **out, size_t *n, char *err,
	     size_t errlen);

#endif
