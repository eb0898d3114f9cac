/* SPDX-License-Identifier: MIT */
/*
 * mn_journal.h — the host role's journal of the allocations it holds.
 *
 * The state file (mn_state.h) is written up to MN_SAVE_MAX_MS after a
 * change, so a host agent killed in that window leaves bindings at its
 * anchors that its next run does not know: they would live out their
 * lifetime, counting against the host's share of the anchor. So does a
 * state file the next run cannot read (cut short, damaged, of another
 * version): it starts without it. The journal closes both: before the
 * first Binding Update of an allocation leaves, one line (anchor, BID,
 * address type) is appended to STATE-DIR/mn.journal with a single
 * write(2), and once its address is configured on the host, another with
 * the address too; no fsync (the leases are kernel state that a reboot
 * loses anyway; a killed process's writes are in the page cache). After
 * a save of the state that follows the end of an allocation (or a failed
 * append) the journal is replaced by the entries whose binding still
 * lives, saved or not; the appends are in it already. The next run deregisters, by BID,
 * every journaled binding it did not take over (hostengine.h
 * he_deregister_orphans), and ends the TCP sockets on each journaled
 * address of those; the leases it took over are journaled again where
 * the journal lacks them (mnj_cover).
 *
 * Fixed addresses are not journaled (the home anchor keys them by the
 * identity: the next run asks for the same binding again), nor are access
 * claims (their BUs name the address, and the next claim of it takes the
 * binding over).
 *
 * The line format and the parser are pure (unit-tested); the file is
 * written through statefile.h and one descriptor for the appends.
 */
#ifndef ODM_MN_JOURNAL_H
#define ODM_MN_JOURNAL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "statefile.h"

#define MN_JOURNAL_FILE "mn.journal"
/* entries kept and read at most: one per BID */
#define MNJ_MAX 65536
/* one line: anchor, BID, type, address and spaces, newline */
#define MNJ_LINE_MAX (2 * INET6_ADDRSTRLEN + 6 + 24 + 4)

struct mnj_entry {
	struct in6_addr anchor;
	uint16_t bid;
	char type[24]; /* the address type's odm.h name, "" for none */
	struct in6_addr addr; /* the address configured, :: before the BA */
};

/* The line for e in buf (NUL-terminated, with its newline): its length,
 * or -ENOSPC when cap is too small. */
int mnj_format(const struct mnj_entry *e, char *buf, size_t cap);
/*
 * Parse a journal (len bytes, need not be NUL-terminated): at most MNJ_MAX
 * lines "ANCHOR BID TYPE [ADDR]\n", ANCHOR an IPv6 address, BID 1-65535,
 * TYPE an address type name of odm.h or "-" for none, ADDR the address
 * configured (a second line of the binding). A last line with
 * no newline (a write cut short) is left out (and mnj_open cuts it off
 * the file, so that no append is glued to it). 0 with *out (to free) and
 * *n, or -EINVAL with the line number and reason in err (nothing to free),
 * -ENOMEM.
 */
int mnj_parse(const char *text, size_t len, struct mnj_entry **out, size_t *n, char *err,
	      size_t errlen);
/* Where a restarted host's lease ids go on: past last_id and past each
 * journaled BID (ids wrap: "past" within half the space) */
uint16_t mnj_resume_id(uint16_t last_id, const struct mnj_entry *v, size_t n);

struct mnjournal {
	struct statefile sf;
	int fd;               /* O_APPEND, -1 = none */
	struct mnj_entry *v;  /* entries not known saved, oldest first */
	size_t n, cap;
	int dirty;            /* the file holds other entries than v */
	int last_err;         /* last append's or rewrite's -errno, told once */
	unsigned dropped;     /* entries not kept for want of room (MNJ_MAX) */
};

/* Open dir's journal and read it into j->v (logged); a journal that does
 * not parse is ignored with a log line. 0 or -errno (nothing open). */
int mnj_open(struct mnjournal *j, const char *dir);
void mnj_close(struct mnjournal *j);
/* Note e, and append its line to the file (a failure is logged once, and
 * the next rewrite tries again). */
void mnj_append(struct mnjournal *j, const struct mnj_entry *e);
/* Append each of the n entries of v that j does not hold yet (the same
 * anchor, BID, type and address): the leases a run took over from the
 * state, journaled once whatever the journal it read held. */
void mnj_cover(struct mnjournal *j, const struct mnj_entry *v, size_t n);
/* The state was saved: keep the entries for which keep() says 1, and
 * replace the file with them if it holds anything else. */
void mnj_settle(struct mnjournal *j, int (*keep)(void *arg, const struct mnj_entry *e),
		void *arg);

#endif
