/* SPDX-License-Identifier: MIT */
/*
 * reload.c — the agent's reload (SIGHUP, and the reload op of odmctl
 * reload): the configuration is read again and applied where a running
 * agent can change it (config_reload), and the policy file it names is read
 * again. Either both take effect or nothing changes: a file that does not
 * parse, or a change that takes a restart, leaves the old configuration and
 * policy in force and says why. No lease, binding or session ends.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "monotime.h"
#include "policy_agent.h"
#include "reexec.h"

void agent_config_forced(const struct odm_agent *a, struct odm_config *cfg)
{
	if (a->optimistic_forced >= 0)
		cfg->optimistic_dad = a->optimistic_forced;
	if (a->solicit_forced >= 0)
		cfg->router_solicit = a->solicit_forced;
}

int agent_reload(struct odm_agent *a, const char *who, char *err, size_t errlen)
{
	struct policy_state *ps = NULL;
	struct odm_config next;
	const char *exposed, *shared;
	char reason[400], kbuf[400], sbuf[1024];
	int r;

	r = config_load(&next, a->config_path, err, errlen);
	if (r < 0)
		return r;
	agent_config_forced(a, &next);
	/* the policy first: a bad one must stop the configuration too */
	if (next.role == ODM_ROLE_MN) {
		r = policy_state_load(&next, &ps, err, errlen);
		if (r < 0) {
			config_free(&next);
			return r;
		}
	}
	r = config_reload(&a->cfg, &next, reason, sizeof(reason));
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", a->config_path, reason);
		policy_state_free(ps);
		config_free(&next);
		return r;
	}
	agent_log_setup(a);
	/* next now holds the old identities: the role re-keys from them */
	if (a->cfg.role == ODM_ROLE_ANCHOR)
		anchor_reload(a, next.identities, next.n_identities);
	else
		mn_reload(a);
	exposed = config_exposed_key(&next, a->config_path, kbuf, sizeof(kbuf));
	config_free(&next);
	/* (next holds the old identities now: the new ones are a->cfg's) */
	shared = config_shared_key(&a->cfg, a->config_path, sbuf, sizeof(sbuf));
	log_info("%s: %s reloaded (%zu identities)", who, a->config_path, a->cfg.n_identities);
	if (exposed)
		log_warnx("%s", exposed);
	if (shared)
		log_warnx("%s", shared);
	events_emit(&a->events, "config-reloaded", json_pack("{s:s}", "file", a->config_path),
		    public_ms());
	if (ps)
		policy_agent_install(a, ps);
	return 0;
}

void agent_give_up(struct odm_agent *a, int status)
{
	a->exit_status = status;
	raise(SIGTERM); /* main.c's handler stops it, on the loop's next turn */
}

void agent_reexec(struct odm_agent *a, const char *why, int saved)
{
	if (reexec_now(why, saved) < 0)
		agent_give_up(a, REEXEC_EXIT_STATUS);
}

void agent_log_setup(const struct odm_agent *a)
{
	/* -v is "at least info": a file's debug stays debug, its warn is raised */
	odm_log_init("odmagent", a->log_forced > a->cfg.log_level ? a->log_forced : a->cfg.log_level,
		     a->syslog_forced || a->cfg.log_syslog);
}
