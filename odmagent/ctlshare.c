/* SPDX-License-Identifier: MIT */
/* ctlshare.c — fair shares of the control socket (see ctlshare.h). */
#include "ctlshare.h"

/*
 * 1024 connections: one per process using the shim, so a host with a few
 * hundred such processes is served; each costs one fd and a 16 KiB buffer.
 * A user other than root gets a quarter of them. The reserves keep 64 slots
 * for root and 64 more for users with nothing open. 256 unanswered requests
 * per user cover one outstanding lease per connection of a full share. 10 s
 * of silence ends a connection: the shim reconnects on its next call. A
 * user at its share has one of its own silent for 2.5 s closed for a new
 * one: less than the shim's 4 s of tries for a lease, more than a client
 * that keeps its connections in use is silent between requests.
 */
void ctlshare_defaults(struct ctlshare_limits *l)
{
	l->max_conns = 1024;
	l->uid_conns = 256;
	l->root_reserve = 64;
	l->newcomer_reserve = 64;
	l->uid_pending = 256;
	l->idle_ms = 10000;
	l->spare_ms = 2500;
	l->trusted_uid = 0;
}

static unsigned scaled(unsigned v, unsigned to, unsigned from)
{
	uint64_t r = (uint64_t)v * to / from;

	return r ? (unsigned)r : 1;
}

unsigned ctlshare_fit_fds(struct ctlshare_limits *l, uint64_t fd_limit, unsigned overhead)
{
	uint64_t room = fd_limit > overhead ? fd_limit - overhead : 0;
	unsigned from = l->max_conns;

	if (room >= from)
		return from;
	if (room < CTLSHARE_MIN_CONNS)
		return 0;
	l->max_conns = (unsigned)room;
	l->uid_conns = scaled(l->uid_conns, l->max_conns, from);
	l->root_reserve = scaled(l->root_reserve, l->max_conns, from);
	l->newcomer_reserve = scaled(l->newcomer_reserve, l->max_conns, from);
	return l->max_conns;
}

/* Slots a uid may fill, all together, given what it holds already. */
static unsigned ceiling(const struct ctlshare_limits *l, uid_t uid, unsigned n_uid)
{
	unsigned keep;

	if (uid == l->trusted_uid)
		return l->max_conns;
	keep = l->root_reserve + (n_uid > 0 ? l->newcomer_reserve : 0);
	return keep < l->max_conns ? l->max_conns - keep : 0;
}

enum ctlshare_verdict ctlshare_admit(const struct ctlshare_limits *l, uid_t uid,
				     unsigned n_total, unsigned n_uid)
{
	if (uid != l->trusted_uid && n_uid >= l->uid_conns)
		return CTLSHARE_UID_SHARE;
	if (n_total >= ceiling(l, uid, n_uid))
		return CTLSHARE_FULL;
	return CTLSHARE_ADMIT;
}

int ctlshare_may_read(const struct ctlshare_limits *l, unsigned n_pending)
{
	return n_pending < l->uid_pending;
}

int ctlshare_idle(const struct ctlshare_limits *l, unsigned n_pending, uint64_t last_ms,
		  uint64_t now_ms)
{
	if (!l->idle_ms || n_pending > 0)
		return 0;
	return now_ms >= last_ms + l->idle_ms;
}

int ctlshare_may_replace(const struct ctlshare_limits *l, uid_t uid, unsigned n_total,
			 unsigned n_uid)
{
	if (!l->spare_ms || !n_uid || !n_total)
		return 0;
	return ctlshare_admit(l, uid, n_total - 1, n_uid - 1) == CTLSHARE_ADMIT;
}

int ctlshare_spare(const struct ctlshare_limits *l, unsigned n_pending, uint64_t last_ms,
		   uint64_t now_ms)
{
	if (!l->spare_ms || n_pending > 0)
		return 0;
	return now_ms >= last_ms + l->spare_ms;
}

const char *ctlshare_verdict_name(enum ctlshare_verdict v)
{
	switch (v) {
	case CTLSHARE_ADMIT:
		return "admitted";
	case CTLSHARE_FULL:
		return "no slot left for this user";
	case CTLSHARE_UID_SHARE:
		return "the user holds its whole share";
	}
	return "unknown";
}
