/* SPDX-License-Identifier: MIT */
/*
 * events.c — the agent's event stream (see events.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

const struct events_audience events_everyone = { .everyone = 1 };
const struct events_audience events_root_only = { .everyone = 0 };

int events_audience_has(const struct events_audience *to, uid_t uid)
{
	if (uid == 0 || !to || to->everyone)
		return 1;
	for (size_t i = 0; i < to->n; i++)
		if (to->uids[i] == uid)
			return 1;
	return 0;
}

void events_init(struct events *ev)
{
	memset(ev, 0, sizeof(*ev));
}

void events_clear(struct events *ev)
{
	free(ev->subs);
	memset(ev, 0, sizeof(*ev));
}

int events_subscribe(struct events *ev, events_fn fn, void *ctx)
{
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 4;
		struct events_sub *s = realloc(ev->subs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		ev->subs = s;
		ev->cap = cap;
	}
	ev->subs[ev->n].fn = fn;
	ev->subs[ev->n].ctx = ctx;
	ev->n++;
	return 0;
}

void events_unsubscribe(struct events *ev, events_fn fn, void *ctx)
{
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->subs[i].fn == fn && ev->subs[i].ctx == ctx) {
			/* keep the order: subscribers hear events as they came */
			memmove(&ev->subs[i], &ev->subs[i + 1],
				(ev->n - i - 1) * sizeof(ev->subs[0]));
			ev->n--;
			return;
		}
	}
}

size_t events_subscribers(const struct events *ev)
{
	return ev->n;
}

void events_emit(struct events *ev, const char *kind, json_t *fields, uint64_t now_ms)
{
	events_emit_to(ev, kind, fields, &events_everyone, now_ms);
}

void events_emit_to(struct events *ev, const char *kind, json_t *fields,
		    const struct events_audience *to, uint64_t now_ms)
{
	json_t *e;

	ev->emitted++;
	if (ev->n == 0) {
		json_decref(fields);
		return;
	}
	e = fields ? fields : json_object();
	if (!e)
		return;
	json_object_set_new(e, "event", json_string(kind));
	json_object_set_new(e, "ms", json_integer((json_int_t)now_ms));
	/*
	 * Walk by index and re-check n: a subscriber that unsubscribes itself
	 * (a monitor whose client went away) shifts the ones after it down.
	 */
	for (size_t i = 0; i < ev->n;) {
		struct events_sub s = ev->subs[i];

		s.fn(s.ctx, e, to ? to : &events_everyone);
		if (i < ev->n && ev->subs[i].fn == s.fn && ev->subs[i].ctx == s.ctx)
			i++;
	}
	json_decref(e);
}
