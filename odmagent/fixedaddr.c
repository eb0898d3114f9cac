/* SPDX-License-Identifier: MIT */
/* fixedaddr.c — the host's Fixed address at its home anchor (see fixedaddr.h). */
#include <stdio.h>
#include <string.h>

#include "addrtext.h"
#include "fixedaddr.h"
#include "hostengine.h"
#include "log.h"
#include "odm.h"

/* (asked after every event: no walk of the leases without a home anchor) */
static struct lease *held(const struct hostengine *e)
{
	if (!e->anchors.has_home)
		return NULL;
	for (struct lease *l = e->leases.head; l; l = l->next)
		if (l->type == ODM_TYPE_FIXED && IN6_ARE_ADDR_EQUAL(&l->anchor, &e->anchors.home))
			return l;
	return NULL;
}

uint64_t fixed_retry_ms(unsigned tries)
{
	uint64_t w = FIXED_RETRY_MS;

	for (unsigned i = 1; i < tries && w < FIXED_RETRY_MAX_MS; i++)
		w *= 2;
	return w < FIXED_RETRY_MAX_MS ? w : FIXED_RETRY_MAX_MS;
}

/* A Fixed lease at an anchor that is not the home anchor (any more) */
static int stale(const struct hostengine *e, const struct lease *l)
{
	return l->type == ODM_TYPE_FIXED &&
	       !(e->anchors.has_home && IN6_ARE_ADDR_EQUAL(&l->anchor, &e->anchors.home));
}

/* Make before break: the Fixed leases at former home anchors end once the
 * home anchor has registered one */
static void end_stale(struct hostengine *e)
{
	struct lease *l, *next;

	for (l = e->leases.head; l; l = next) {
		next = l->next;
		if (stale(e, l))
			lease_end(e, l, "anchor-changed", "the new home anchor registered the Fixed "
				  "address");
	}
}

void fixed_keep(struct hostengine *e)
{
	char a1[INET6_ADDRSTRLEN];
	struct lease *l;

	if (e->stopping || !e->anchors.has_home)
		return;
	l = held(e);
	if (l) {
		if (l->state == LEASE_REGISTERED) {
			e->fixed_tries = 0;
			e->fixed_no_coa = 0;
			end_stale(e);
		}
		return;
	}
	if (e->fixed_tries && e->now < e->fixed_try_ms + fixed_retry_ms(e->fixed_tries))
		return;
	e->fixed_try_ms = e->now;
	e->fixed_tries++;
	if (!lease_hold(e, ODM_TYPE_FIXED, &e->anchors.home))
		log_warnx("no memory to ask home anchor %s for the Fixed address",
			  ntop6(&e->anchors.home, a1));
}

void fixed_moved(struct hostengine *e)
{
	struct in6_addr coa;

	if (!e->fixed_no_coa || e->stopping || !e->anchors.has_home ||
	    e->ops->coa(e->arg, &e->anchors.home, NULL, &coa) < 0)
		return;
	e->fixed_no_coa = 0;
	/* a try under way sends its BU at this move (registration.c
	 * transmit): it is the first the anchor sees, and its silence waits
	 * as a first one's would, not none at all */
	e->fixed_tries = held(e) ? 1 : 0;
	fixed_keep(e);
}

void he_set_home(struct hostengine *e, const struct in6_addr *home, uint64_t now)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	char was[INET6_ADDRSTRLEN];
	const struct lease *l, *kept = NULL;

	e->now = now;
	if (e->stopping)
		return;
	if (!home) {
		if (e->anchors.has_home)
			log_info("no home anchor known any more: Fixed requests are refused, the "
				 "address held stays while %s keeps it",
				 ntop6(&e->anchors.home, a1));
		e->anchors.has_home = 0;
		return;
	}
	if (!e->anchors.has_home || !IN6_ARE_ADDR_EQUAL(&e->anchors.home, home)) {
		snprintf(was, sizeof(was), "%s", e->anchors.has_home ?
			 ntop6(&e->anchors.home, a2) : "none");
		e->anchors.home = *home;
		e->anchors.has_home = 1;
		e->fixed_tries = 0;
		for (l = e->leases.head; l && !kept; l = l->next)
			if (stale(e, l) && l->state == LEASE_REGISTERED)
				kept = l;
		l = held(e);
		if (l && l->state == LEASE_REGISTERED)
			log_info("home anchor %s (was %s): the Fixed address %s held there stays",
				 ntop6(home, a1), was, ntop6(&l->addr, a2));
		else if (kept)
			log_info("home anchor %s (was %s): the Fixed address comes from there; %s "
				 "at %s is kept until it is registered", ntop6(home, a1), was,
				 ntop6(&kept->addr, a2), ntop6(&kept->anchor, a3));
		else
			log_info("home anchor %s (was %s): the Fixed address comes from there",
				 ntop6(home, a1), was);
	}
	fixed_keep(e);
	e->ops->save(e->arg);
}

uint64_t he_anchor_hold_left(struct hostengine *e, const struct in6_addr *anchor, uint64_t now)
{
	const struct reg_anchor *an = reg_anchor_find(&e->reg, anchor);
	uint64_t left = an ? he_hold_left(an, now) : 0;

	/* an anchor that holds the registered Fixed address is not passed
	 * over for an allocation (of another lease) it let go unanswered: its
	 * binding's refreshes tell whether it still answers, and the Fixed
	 * address would move away and back for one lost exchange. Asked only
	 * of an anchor on hold (most candidates were never asked anything). */
	for (const struct lease *l = e->leases.head; left && l; l = l->next)
		if (l->type == ODM_TYPE_FIXED && l->state == LEASE_REGISTERED &&
		    IN6_ARE_ADDR_EQUAL(&l->anchor, anchor))
			return 0;
	return left;
}

const struct in6_addr *he_fixed_addr(const struct hostengine *e)
{
	const struct lease *l = held(e);

	return l && l->state == LEASE_REGISTERED ? &l->addr : NULL;
}
