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

/*
 * The kinds of event the agent makes (odmctl(8), EVENTS), and "lost", which
 * a monitor is told of (control.c) and always gets. A monitor's "events"
 * names some of them; a kind not in this list is an error there.
 */
enum {
	EVENTS_KIND_MAX = 32 /* room in a struct events_filter */
};
extern const char *const events_kinds[];
extern const size_t events_n_kinds;

/* The index of kind (len bytes) in events_kinds, or -1. */
int events_kind_index(const char *kind, size_t len);

/* The kinds a monitor asked for: with only 0 (as zeroed) every kind, and
 * those not in the list (a later release's, a test's); else those of mask
 * (bit i: events_kinds[i]) */
struct events_filter {
	uint32_t mask;
	int only;
};

/*
 * A monitor's "events": kinds of events_kinds separated by ',', blanks
 * (space, tab) around each allowed. 0 and *f set; or -1 with err (cap
 * bytes) naming the first bad item (an unknown kind, an empty one) and *f
 * untouched. Bounded: reads text to its NUL once, keeps nothing of it.
 */
int events_filter_parse(const char *text, struct events_filter *f, char *err, size_t cap);

/* Whether f lets an event of kind through ("lost" always). */
int events_filter_has(const struct events_filter *f, const char *kind);

#endif
