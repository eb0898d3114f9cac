/* SPDX-License-Identifier: MIT */
/* typetable.c — the per-type table of the host engine (see typetable.h). */
#include <stddef.h>

#include "typetable.h"
#include "odm.h"

/* Non-persistent (RFC 8653 §3.1): the address of the network the host is
 * on, never anchored; its TCP connections end when it leaves. */
static enum at_source nonpersistent_source(const struct at_request *rq,
					   const struct at_anchors *known, struct in6_addr *anchor,
					   const char **why)
{
	(void)rq;
	(void)known;
	(void)anchor;
	*why = NULL;
	return AT_PLAIN;
}

/*
 * Session-lasting (RFC 8653 §3.1): anchored at the peer's correspondent
 * home anchor when one is known, else at the access network's anchor, else
 * at the home anchor. With none of them the socket gets the plain address,
 * as a legacy program would.
 */
static enum at_source session_source(const struct at_request *rq,
				     const struct at_anchors *known, struct in6_addr *anchor,
				     const char **why)
{
	*why = NULL;
	if (rq->has_cha)
		*anchor = rq->cha;
	else if (known->has_access)
		*anchor = known->access;
	else if (known->has_home)
		*anchor = known->home;
	else {
		*why = "no anchor for this destination: plain address";
		return AT_PLAIN;
	}
	return AT_ANCHORED;
}

/*
 * A claim of the host's access address at the anchor of its link
 * (accessclaim.h) is the address every user's plain sockets use already:
 * while the host is on that link, Session-lasting and Graceful-replacement
 * requests of every user, for either protocol, share the one claim (the
 * anchor holds one binding per address). A claim of a link the host left
 * (configured on the tunnel) takes nobody new, and a socket that asked
 * for a fresh address (IPV6_REQUIRE_SRC_ON_NET) shares nothing.
 */
static int claim_may_share(const struct lease *l, const struct at_request *rq,
			   const struct in6_addr *anchor)
{
	return !rq->fresh && !l->host_cfg && IN6_ARE_ADDR_EQUAL(&l->anchor, anchor) &&
	       (l->type == ODM_TYPE_SESSION_LASTING || l->type == ODM_TYPE_GRACEFUL_REPLACEMENT);
}

/* Otherwise one user's sockets toward one anchor share an address, unless
 * the socket asked for a fresh one, or the lease was made for such a
 * socket (it stays that socket's own: RFC 8653 §6.2); two users never do. */
static int session_may_share(const struct lease *l, const struct at_request *rq,
			     const struct in6_addr *anchor)
{
	if (l->claimed)
		return claim_may_share(l, rq, anchor);
	return !rq->fresh && !l->fresh && l->type == rq->type && l->proto == rq->proto &&
	       l->uid == rq->uid && IN6_ARE_ADDR_EQUAL(&l->anchor, anchor);
}

/*
 * Graceful-replacement (RFC 8653 §3.1): the current access address, claimed
 * at the access anchor of the link (accessclaim.h), kept for the anchor's
 * grace period after a move. Without an access anchor on this link it is
 * not offered.
 */
static enum at_source graceful_source(const struct at_request *rq,
				      const struct at_anchors *known, struct in6_addr *anchor,
				      const char **why)
{
	(void)rq;
	*why = NULL;
	if (!known->has_access) {
		*why = "without an access anchor on this link";
		return AT_NOT_OFFERED;
	}
	*anchor = known->access;
	return AT_ANCHORED;
}

/*
 * Fixed (RFC 8653 §3.1): the one address the home anchor keeps for this
 * host's identity. Only with a home anchor; no fallback to a plain address,
 * which would not be what the type promises.
 */
static enum at_source fixed_source(const struct at_request *rq, const struct at_anchors *known,
				   struct in6_addr *anchor, const char **why)
{
	(void)rq;
	*why = NULL;
	if (!known->has_home) {
		*why = "without a home anchor";
		return AT_NOT_OFFERED;
	}
	*anchor = known->home;
	return AT_ANCHORED;
}

/* Every Fixed request gets the identity's one address at that anchor,
 * whoever asks (policy has already said who may) and for either protocol;
 * "fresh" cannot apply to an address that never changes. */
static int fixed_may_share(const struct lease *l, const struct at_request *rq,
			   const struct in6_addr *anchor)
{
	return l->type == rq->type && IN6_ARE_ADDR_EQUAL(&l->anchor, anchor);
}

static const struct addrtype table[] = {
	{
		.type = ODM_TYPE_NON_PERSISTENT,
		.source = nonpersistent_source,
		.move = AT_MOVE_ABORT_TCP,
	},
	/* named in its BUs: a home anchor, the type's last provider, gives
	 * it an address of its pool then, not the identity's Fixed one */
	{
		.type = ODM_TYPE_SESSION_LASTING,
		.source = session_source,
		.may_share = session_may_share,
		.judge = lease_judge,
		.move = AT_MOVE_REREGISTER,
		.service = "session-lasting",
	},
	/* held whether or not a socket uses it (servers must stay reachable
	 * on it): no judge; fixedaddr.c keeps it registered */
	{
		.type = ODM_TYPE_FIXED,
		.source = fixed_source,
		.may_share = fixed_may_share,
		.move = AT_MOVE_REREGISTER,
		.service = "fixed",
	},
	{
		.type = ODM_TYPE_GRACEFUL_REPLACEMENT,
		.source = graceful_source,
		.may_share = session_may_share,
		.judge = lease_judge,
		.move = AT_MOVE_REREGISTER,
	},
};

const struct addrtype *addrtype_get(int type)
{
	if (type == ODM_TYPE_NONE)
		type = ODM_TYPE_NON_PERSISTENT;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].type == type)
			return &table[i];
	return NULL;
}
