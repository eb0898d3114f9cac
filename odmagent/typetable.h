/* SPDX-License-Identifier: MIT */
/*
 * typetable.h — what each address type of RFC 8653 §3 means on this host,
 * in one table with an entry per type (as iproute2 keeps one link_util per
 * link kind): whether the type is offered and by which anchor, which held
 * address a new request may share, when a held address ends, and what a
 * move does to it. The host engine (hostengine.h) only follows the entry;
 * a type that an anchor starts to offer gets its callbacks here, nothing
 * changes in the engine. Pure: no I/O, no clock.
 */
#ifndef ODM_TYPETABLE_H
#define ODM_TYPETABLE_H

#include <netinet/in.h>
#include <sys/types.h>
#include <stdint.h>

#include "lease.h"
#include "sockdiag.h"

/* A lease request as the host engine sees it, after parsing (and policy) */
struct at_request {
	void *req;               /* opaque reply handle (the control request) */
	int type;                /* enum odm_addr_type, as decided */
	int proto;               /* IPPROTO_TCP or IPPROTO_UDP */
	struct in6_addr dst;     /* the peer the socket is for */
	int has_cha;             /* the peer's correspondent home anchor is known */
	struct in6_addr cha;
	int fresh;               /* IPV6_REQUIRE_SRC_ON_NET: never share */
	uid_t uid;               /* kernel credentials of the requester */
	pid_t pid;
	unsigned skip;           /* AT_SKIP_*: anchors passed over as silent */
};

/* Known anchors a request passed over because they did not answer (the
 * peer's CHA is passed over by clearing has_cha) */
#define AT_SKIP_ACCESS 1u
#define AT_SKIP_HOME   2u

/* The anchors this host may use besides a peer's CHA: the home anchor is
 * homefind's choice (configuration, DNS SRV or RA), set by he_set_home. */
struct at_anchors {
	int has_home;            /* a home anchor: Fixed addresses */
	struct in6_addr home;
	int has_access;          /* the access network's anchor */
	struct in6_addr access;
};

enum at_source {
	AT_NOT_OFFERED = 0, /* EAI_REQUIREDIPNOTSUPPORTED: no anchor provides it */
	AT_PLAIN = 1,       /* the current network's own address, nothing held */
	AT_ANCHORED = 2,    /* a lease at the anchor written to *anchor */
};

/* What a move (a new care-of address) does to addresses of a type */
enum at_move {
	AT_MOVE_REREGISTER = 0, /* the lease follows: re-bound in the tunnel, BU sent */
	AT_MOVE_ABORT_TCP = 1,  /* the address left with the network: its TCP
				 * sockets are destroyed (SOCK_DESTROY) */
};

struct addrtype {
	int type;                /* enum odm_addr_type */
	/*
	 * Where an address for rq comes from, given the anchors known besides the
	 * peer's CHA: *anchor for AT_ANCHORED; *why a
	 * short text when the answer is not the one asked for (a plain address
	 * instead of an anchored one: a fallback; a refusal). NULL: the type
	 * is not offered on this host.
	 */
	enum at_source (*source)(const struct at_request *rq, const struct at_anchors *known,
				 struct in6_addr *anchor, const char **why);
	/* Whether rq may share the held lease l instead of a new address at
	 * anchor; NULL: never shared. */
	int (*may_share)(const struct lease *l, const struct at_request *rq,
			 const struct in6_addr *anchor);
	/* Whether l ends now, from its socket count and last tunnel traffic;
	 * NULL: held until its anchor or the agent ends it. */
	enum lease_verdict (*judge)(const struct lease *l, const struct sockdiag_count *c,
				    uint64_t last_traffic_ms, uint64_t now_ms,
				    const struct lease_policy *p);
	enum at_move move;
	/* the RFC 5149 Service Selection its BUs carry (the odm.h type name),
	 * so that an anchor serving several modes knows what is asked; NULL:
	 * none, the anchor decides by the address */
	const char *service;
};

/* The entry of type; ODM_TYPE_NONE (no type asked for) gets Non-persistent's,
 * the plain address a program without ODM has. NULL for an unknown type. */
const struct addrtype *addrtype_get(int type);

#endif
