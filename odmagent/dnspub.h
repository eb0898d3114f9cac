/* SPDX-License-Identifier: MIT */
/*
 * dnspub.h — the host's DNS registration: keeps NAME's AAAA record at the
 * address the host is reachable on, with signed RFC 2136 updates built by
 * dnsupdate.c, re-publishing after every move. A failed update is
 * retried with exponential back-off (1 s doubling to 5 min, +0–25 % jitter)
 * and reported in the log, in `odmctl status` and as events; it never stops
 * the agent.
 */
#ifndef ODM_DNSPUB_H
#define ODM_DNSPUB_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <uv.h>

#include "dnsupdate.h"

struct events;
struct dnspub;

#define DNSPUB_TIMEOUT_MS 2000     /* an attempt without an answer has failed */
#define DNSPUB_RETRY_MIN_MS 1000
#define DNSPUB_RETRY_MAX_MS 300000

int dnspub_open(struct dnspub **out, uv_loop_t *loop, const struct dnsupd_cfg *cfg,
		struct events *ev);
/* Frees asynchronously (the handles close on the next loop turn). */
void dnspub_close(struct dnspub *d);
/* New settings (SIGHUP): re-publishes if the name, zone, TTL or key changed. */
void dnspub_reconfigure(struct dnspub *d, const struct dnsupd_cfg *cfg);

/* Make addr the published address (nothing to do if it already is). */
void dnspub_publish(struct dnspub *d, const struct in6_addr *addr);
/* The address last made the published one (NULL: none yet): the care-of
 * address in use when the kernel's source toward the server is judged
 * (movement_coa). */
const struct in6_addr *dnspub_wanted(const struct dnspub *d);
/* The server, for asking the kernel which source address reaches it. */
const struct in6_addr *dnspub_server(const struct dnspub *d);
json_t *dnspub_status_json(const struct dnspub *d);

/* Pure: the wait before retry number attempt (1, 2, ...); rnd is random. */
uint32_t dnspub_retry_ms(unsigned attempt, uint32_t rnd);

#endif
