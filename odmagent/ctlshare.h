/* SPDX-License-Identifier: MIT */
/*
 * ctlshare.h — who may hold how much of the control socket: the pure
 * admission and idleness decisions of control.c (no I/O, time passed in), so
 * the numbers are tested without root and without sockets.
 *
 * Connections are counted per uid (SO_PEERCRED). Of max_conns slots:
 *   - the trusted uid (root) may use all of them;
 *   - a uid with no connection open may use all but root_reserve;
 *   - a uid that already has one may use all but root_reserve +
 *     newcomer_reserve, and never more than uid_conns of them.
 * So a uid (or several) holding its whole share leaves root_reserve slots
 * for root and newcomer_reserve more for users that have none open.
 *
 * Unanswered requests are counted per uid too: at uid_pending the agent stops
 * reading that uid's connections (the requests wait in the socket, none is
 * dropped) until an answer frees a slot. A connection with nothing pending
 * that has sent nothing for idle_ms is closed.
 *
 * A uid refused a slot may have one of its own instead, one that has waited
 * for nothing for spare_ms (the shim keeps its connection open after its
 * answer, to the idle time): the longest such is closed for the new one, so
 * that a user's share bounds the connections that are in use, not those of
 * processes that were answered and went quiet.
 */
#ifndef ODM_CTLSHARE_H
#define ODM_CTLSHARE_H

#include <stdint.h>
#include <sys/types.h>

struct ctlshare_limits {
	unsigned max_conns;        /* all connections together */
	unsigned uid_conns;        /* per uid other than trusted_uid */
	unsigned root_reserve;     /* the last slots: trusted_uid only */
	unsigned newcomer_reserve; /* before those: uids with none open */
	unsigned uid_pending;      /* unanswered requests per uid */
	uint32_t idle_ms;          /* 0: never close idle connections */
	uint32_t spare_ms;         /* 0: never close one for another */
	uid_t trusted_uid;         /* 0 in the agent */
};

/* The agent's numbers (odmagent(8), CONTROL SOCKET). */
void ctlshare_defaults(struct ctlshare_limits *l);

/*
 * Fewest connections an agent serves: below that it is of no use, and a
 * limit on open files that leaves less room is an error at start.
 */
#define CTLSHARE_MIN_CONNS 16

/*
 * Fit l into fd_limit open files (RLIMIT_NOFILE's soft limit), of which
 * overhead are kept for the agent's other descriptors and for connections
 * on their way to being refused. Where max_conns does not fit it becomes
 * what does, and the per-uid share and both reserves keep their proportion
 * of it (at least 1 each). Returns max_conns as it now is, or 0 (l
 * unchanged) when fewer than CTLSHARE_MIN_CONNS would fit.
 */
unsigned ctlshare_fit_fds(struct ctlshare_limits *l, uint64_t fd_limit, unsigned overhead);

enum ctlshare_verdict {
	CTLSHARE_ADMIT = 0,
	CTLSHARE_FULL = 1,      /* every slot this uid may use is taken */
	CTLSHARE_UID_SHARE = 2, /* this uid holds its whole share */
};

/*
 * A new connection of uid, with n_total connections open in all and n_uid
 * of them uid's own.
 */
enum ctlshare_verdict ctlshare_admit(const struct ctlshare_limits *l, uid_t uid,
				     unsigned n_total, unsigned n_uid);

/* 1 if a uid with n_pending requests unanswered may have one more read. */
int ctlshare_may_read(const struct ctlshare_limits *l, unsigned n_pending);

/*
 * 1 if a connection with n_pending unanswered requests, last heard from at
 * last_ms, is idle at now_ms and should be closed.
 */
int ctlshare_idle(const struct ctlshare_limits *l, unsigned n_pending, uint64_t last_ms,
		  uint64_t now_ms);

/*
 * A new connection of uid that ctlshare_admit refused, with n_total
 * connections open and n_uid of them uid's own: 1 if it is admitted in the
 * place of one of uid's own that is spare (ctlshare_spare), which is closed
 * for it. Every other user's count, and the room left to it, stay as they
 * were.
 */
int ctlshare_may_replace(const struct ctlshare_limits *l, uid_t uid, unsigned n_total,
			 unsigned n_uid);

/*
 * 1 if a connection with n_pending unanswered requests, last heard from at
 * last_ms, may be closed at now_ms for a new one of its uid. The caller
 * rules out a monitor, and one with a part of a line read, a line not yet
 * read or replies unread.
 */
int ctlshare_spare(const struct ctlshare_limits *l, unsigned n_pending, uint64_t last_ms,
		   uint64_t now_ms);

const char *ctlshare_verdict_name(enum ctlshare_verdict v);

#endif
