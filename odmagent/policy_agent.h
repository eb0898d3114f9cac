/* SPDX-License-Identifier: MIT */
/*
 * policy_agent.h — the running policy of the host agent (policy.h decides,
 * this file feeds it): the policy file read at start and on reload, the
 * requester's kernel credentials (SO_PEERCRED and SO_PEERGROUPS of its
 * connection, its exe from /proc through peerinfo.h) for every lease and
 * hello, the control ops policy-show, -add,
 * -del, -test and reload, and the events lease-refused and policy-reloaded.
 *
 * Without "policy-file" the policy is the one without a file: every type
 * allowed, no quota, odmagent.conf's default-type for programs that do not
 * ask, which is what the agent did before it had a policy.
 *
 * Nothing here ends a lease: a new policy judges new requests only.
 */
#ifndef ODM_POLICY_AGENT_H
#define ODM_POLICY_AGENT_H

#include <jansson.h>
#include <netinet/in.h>
#include <stddef.h>

#include "policy.h"
#include "statefile.h"

struct odm_agent;
struct odm_config;
struct control_req;
struct lease_table;

struct policy_state {
	struct policy pol;
	char *text;            /* the file as read, for policy-add/del */
	size_t len;
	int has_file;          /* policy-file was given */
	struct statefile sf;   /* that file, replaced atomically (statefile.h) */
};

/*
 * A policy for cfg: its policy-file read and parsed, or the one without a
 * file. 0, or -errno with err naming the file, line and word.
 */
int policy_state_load(const struct odm_config *cfg, struct policy_state **out, char *err,
		      size_t errlen);
void policy_state_free(struct policy_state *ps);

/* Load a->cfg's policy and serve its ops (mn role: also hello, per
 * requester). 0 or -errno (the reason logged). */
int policy_agent_start(struct odm_agent *a);
void policy_agent_stop(struct odm_agent *a);
/* Put ps in force (a->policy's old one is freed) and say so: log, event. */
void policy_agent_install(struct odm_agent *a, struct policy_state *ps);

/*
 * The policy's word on a lease request r (req: its fields, after the
 * schema): *type becomes the type to serve (the one asked, or the
 * default when the request has none) and 0 is returned; or r is answered
 * with the refusal ("REQUIREDIPNOTSUPPORTED" for a type not allowed,
 * "REQUIREDIPFAILED" over quota), a lease-refused event goes out and -1 is
 * returned. leases: the host's, for the quota (requests that would share a
 * lease the uid holds are never over quota); cha: the anchor asked, or NULL.
 */
int policy_gate_lease(struct odm_agent *a, struct control_req *r, const json_t *req,
		      int *type, const struct lease_table *leases, int proto,
		      const struct in6_addr *cha);

#endif
