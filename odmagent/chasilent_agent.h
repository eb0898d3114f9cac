/* SPDX-License-Identifier: MIT */
/*
 * chasilent_agent.h — the host agent's control ops over chasilent.h:
 * "cha-check" answers a shim about to look cha.<name> up whether its
 * user's processes saw that lookup get no answer lately, and "cha-result"
 * takes what a shim's lookup got (ipc.h; odm(7)). The user is the one the
 * kernel says the connection is from (SO_PEERCRED), never one it names.
 */
#ifndef ODM_CHASILENT_AGENT_H
#define ODM_CHASILENT_AGENT_H

struct odm_agent;

/* a->cha_silent made and the two ops registered: 0 or -errno */
int chasilent_agent_open(struct odm_agent *a);
/* a->cha_silent freed (NULL is fine) */
void chasilent_agent_close(struct odm_agent *a);

#endif
