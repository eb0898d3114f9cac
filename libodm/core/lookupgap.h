/* SPDX-License-Identifier: MIT */
/*
 * lookupgap.h — which failures of a program's name lookup may be a move's
 * gap's (the host between two links, no route to its nameserver: the
 * resolver's UDP connect() gets ENETUNREACH at once), so that the shim
 * asks the host agent whether to wait for the new link and look up once
 * more (agent_client.h agent_move_wait; odm(7)). Pure.
 */
#ifndef ODM_LOOKUPGAP_H
#define ODM_LOOKUPGAP_H

#include <netdb.h>

#include "ipc.h"

/* The shim's whole move-wait call: the agent's longest hold, and room for
 * the answer */
#define LOOKUPGAP_CALL_MS (ODM_IPC_MOVE_WAIT_MS + 500)

/* getaddrinfo(3)'s ret with hints: EAI_AGAIN ("Temporary failure in name
 * resolution"), or EAI_NONAME under AI_ADDRCONFIG (no global address
 * left: glibc asks no server at all) */
int lookupgap_gai_failure(int ret, const struct addrinfo *hints);

/* gethostbyname2(3)'s failure, by its h_errno: TRY_AGAIN */
int lookupgap_h_failure(int herr);

#endif
