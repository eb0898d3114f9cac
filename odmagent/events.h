/* SPDX-License-Identifier: MIT */
/*
 * events.h — the agent's event stream: what happened (lease granted or
 * ended, move, BU sent, BA received, socket destroyed, policy reloaded,
 * fallback), told to whoever subscribed (odmctl monitor through the control
 * socket, tests). One emitter for the whole agent; no I/O here.
 *
 * An event is a JSON object { "event": KIND, "ms": monotonic ms, ...fields }.
 * Kinds are lower-case words joined by '-', e.g. "lease-granted".
 */
#ifndef ODM_EVENTS_H
#define ODM_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct odm_agent;

typedef void (*events_fn)(void *ctx, const json_t *event);

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
 * Tell every subscriber about an event of kind, with fields (an object whose
 * reference is taken; NULL for none) at monotonic time now_ms. Without
 * subscribers it costs only the reference drop.
 */
void events_emit(struct events *ev, const char *kind, json_t *fields, uint64_t now_ms);

#endif
