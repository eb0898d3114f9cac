/* SPDX-License-Identifier: MIT */
/*
 * events.h — the agent's event stream: what happened (lease granted or
 * ended, move, BU sent, BA received, socket destroyed, policy reloaded,
 * fallback), told to whoever subscribed (odmctl monitor through the control
 * socket, tests). One emitter for the whole agent; no I/O here.
 *
 * An event is a JSON object { "event": KIND, "ms": monotonic ms, ...fields }.
 * Kinds are lower-case words joined by '-', e.g. "lease-granted".
 *
 * Each event has an audience: the users it is about. Events about a lease
 * or a request (lease-granted, lease-ended, lease-refused, fallback,
 * graceful-replacement, bu-sent, ba-received of a lease's address) are
 * for the users who hold that lease or made that request; events about the
 * host as a whole (move, home-anchor, dns-*, *-reloaded) are for everyone;
 * what counts other users' sockets (socket-destroyed) is for root alone.
 * Root (uid 0) hears everything. A subscriber that serves a user passes
 * the user's kernel credentials to events_audience_has(); the audience
 * itself is never part of the event.
 */
#ifndef ODM_EVENTS_H
#define ODM_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct odm_agent;

/* Who an event is for, besides root: everyone, or the n users of uids
 * (n = 0 and !everyone: root alone). uids is only read during the emit. */
struct events_audience {
	int everyone;
	const uid_t *uids;
	size_t n;
};

/* Host-wide events: for every user. */
extern const struct events_audience events_everyone;
/* For root alone. */
extern const struct events_audience events_root_only;

/* Whether the user uid may hear an event for audience to (NULL: everyone). */
int events_audience_has(const struct events_audience *to, uid_t uid);

typedef void (*events_fn)(void *ctx, const json_t *event, const struct events_audience *to);

struct events_sub {
	events_fn fn;
	void *ctx;
};

struct events {
	struct events_sub *subs;
	size_t n, cap;
	uint64_t emitted;        /* events made since start (status) */
};

void events_init(struct events *ev);
void events_clear(struct events *ev);

/* 0 or -ENOMEM. A subscriber may unsubscribe itself from inside fn. */
int events_subscribe(struct events *ev, events_fn fn, void *ctx);
void events_unsubscribe(struct events *ev, events_fn fn, void *ctx);
size_t events_subscribers(const struct events *ev);

/*
 * Tell every subscriber (each decides by the audience) about a host-wide
 * event of kind, with fields (an object whose
 * reference is taken; NULL for none) at monotonic time now_ms. Without
 * subscribers it costs only the reference drop.
 */
void events_emit(struct events *ev, const char *kind, json_t *fields, uint64_t now_ms);
/* The same, for audience to (NULL: everyone). */
void events_emit_to(struct events *ev, const char *kind, json_t *fields,
		    const struct events_audience *to, uint64_t now_ms);

#endif
