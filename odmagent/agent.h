/* SPDX-License-Identifier: MIT */
/*
 * agent.h — odmagent's single state struct and the exports of each module,
 * listed under the file that defines them. Modules return 0 or -errno.
 */
#ifndef ODM_AGENT_H
#define ODM_AGENT_H

#include <jansson.h>
#include <uv.h>

#include "config.h"
#include "events.h"
#include "reqlog.h"

struct control;
struct mhsock;
struct netconf;
struct odm_tunnel;
struct anchor;
struct mn;
struct policy_state;
struct chasilent;
struct movegap_agent;

struct odm_agent {
	uv_loop_t *loop;
	struct odm_config cfg;
	struct control *control;   /* control socket (control.c) */
	struct netconf *nc;        /* addresses, routes, rules (netconf.c) */
	struct anchor *anchor;     /* role anchor (anchor.c) */
	struct mn *mn;             /* role mn (mn.c) */
	struct events events;      /* event stream for odmctl monitor (events.c) */
	struct policy_state *policy; /* the running policy (policy_agent.c) */
	struct chasilent *cha_silent; /* cha lookups that got no answer (role mn,
				       * chasilent_agent.c) */
	struct movegap_agent *move_gap; /* a move's gap, for the shims' failed
					 * name lookups (role mn, movegap_agent.c) */
	struct reqlog_users req_log; /* its lines about clients' requests: refusals,
				      * false claims, per user (reqlog.h) */
	int log_forced;            /* -d/-v: the least level logged, the config's if above; or -1 */
	int syslog_forced;         /* -s: syslog whatever the config's "log" says */
	int optimistic_forced;     /* --optimistic-dad: 0/1 that wins over the config's, or -1 */
	int solicit_forced;        /* --router-solicit: likewise */
	uv_signal_t sig_term, sig_int, sig_hup;
	const char *config_path;   /* re-read on SIGHUP (main.c) */
	int last_run_unclean;      /* the last agent on this state-dir was killed
				    * or crashed (agentlock.h) */
	int keep_unclean_mark;     /* the role asks the next run to hold back
				    * as after a crash (a pool hold still on, a
				    * last save that failed) */
	int exit_status;           /* main's after a stop by signal: 0, or what
				    * agent_give_up asked for */
};

/* anchor.c — anchor role: BU processing, binding cache, pool, tunnel set-up */
int anchor_start(struct odm_agent *a);
void anchor_stop(struct odm_agent *a);
/* The state-dir was made again under the running agent (removed, main.c):
 * the state is saved there anew soon, changed or not */
void anchor_state_dir_made(struct odm_agent *a);

/* anchor_state.c — the anchor's state across restarts and reloads */
/* SIGHUP: a->cfg has new identities; old_ids/n_old are the ones replaced */
void anchor_reload(struct odm_agent *a, const struct odm_identity *old_ids, size_t n_old);

/* mn.c — mobile-node role: the host engine's I/O (hostengine.h) */
int mn_start(struct odm_agent *a);
void mn_stop(struct odm_agent *a);
/* SIGHUP: a->cfg has new keys, lifetimes, timers */
void mn_reload(struct odm_agent *a);
/* The state-dir was made again under the agent (agentlock_check): the
 * host's state is written there at once */
void mn_state_dir_made(struct odm_agent *a);

/* reload.c — SIGHUP and the reload op: the configuration and the policy
 * file are read again; both take effect or neither does, and no lease or
 * binding ends. who ("SIGHUP", "reload") starts the log line. 0, or -errno
 * with the reason in err. */
int agent_reload(struct odm_agent *a, const char *who, char *err, size_t errlen);
/* What the command line says of the configuration (--optimistic-dad,
 * --router-solicit) put over cfg, at start and on every reload */
void agent_config_forced(const struct odm_agent *a, struct odm_config *cfg);
/* (Re)start logging with the configured or forced level and target */
void agent_log_setup(const struct odm_agent *a);
/* The role cannot go on (reexec.h): the agent stops as on SIGTERM (leases
 * deregistered, state saved) and exits with status. */
void agent_give_up(struct odm_agent *a, int status);
/* The role's tunnel device is gone or down: start again in place
 * (reexec_now, saved as there), or, past its limit, give up with
 * REEXEC_EXIT_STATUS. */
void agent_reexec(struct odm_agent *a, const char *why, int saved);

#endif
