/* SPDX-License-Identifier: MIT */
/*
 * movegap_agent.h — the host agent's "move-wait" op over movegap.h: a
 * shim whose program's name lookup failed at once for want of a route
 * (getaddrinfo's EAI_AGAIN, or EAI_NONAME under AI_ADDRCONFIG) asks
 * whether the host is in a move's gap; the answer comes when the gap ends
 * ({retry: true}: ask again), at once when the failure is not a move's
 * ({retry: false}), or once MOVEGAP_WAIT_MS have passed since the gap
 * began ({retry: false}: offline). Any user may ask (ipc.h; odm(7)).
 */
#ifndef ODM_MOVEGAP_AGENT_H
#define ODM_MOVEGAP_AGENT_H

#include <stdint.h>

struct odm_agent;
struct movement;

/* a->move_gap made (its first look taken) and the op registered: 0 or
 * -errno. mv: the role's movement handle, for its address dumps. */
int movegap_agent_open(struct odm_agent *a, struct movement *mv);
/* A look at the host's addresses (a move's events), about a change that
 * began at since (monotonic ms, 0: now): the waiting requests whose gap
 * ended are answered. */
void movegap_agent_look(struct odm_agent *a, uint64_t since);
/* Every waiting request answered {retry: false}, a->move_gap freed (NULL
 * is fine). */
void movegap_agent_close(struct odm_agent *a);

#endif
