/* SPDX-License-Identifier: MIT */
/*
 * events.c — the agent's event stream (see events.h).
 */
#include <errno.h>
#include <stdio.h>
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

/* ---- kinds, and a monitor's choice of them ---- */

const char *const events_kinds[] = {
	"lost",
	"lease-granted",
	"lease-ended",
	"lease-refused",
	"fallback",
	"graceful-replacement",
	"bu-sent",
	"ba-received",
	"move",
	"home-anchor",
	"dns-updated",
	"dns-failed",
	"config-reloaded",
	"policy-reloaded",
	"socket-destroyed",
};
const size_t events_n_kinds = sizeof(events_kinds) / sizeof(events_kinds[0]);

_Static_assert(sizeof(events_kinds) / sizeof(events_kinds[0]) <= EVENTS_KIND_MAX,
	       "more kinds than a filter's mask holds");

int events_kind_index(const char *kind, size_t len)
{
	for (size_t i = 0; i < events_n_kinds; i++)
		if (strlen(events_kinds[i]) == len && memcmp(events_kinds[i], kind, len) == 0)
			return (int)i;
	return -1;
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* item (len bytes) as the client sent it, for an error: at most 32
 * bytes, each outside printable ASCII as '?' */
static void say_item(char *err, size_t cap, const char *what, const char *item, size_t len)
{
	char shown[33];
	size_t n = len < sizeof(shown) - 1 ? len : sizeof(shown) - 1;

	for (size_t i = 0; i < n; i++)
		shown[i] = item[i] > 0x20 && item[i] < 0x7f ? item[i] : '?';
	shown[n] = '\0';
	snprintf(err, cap, "field \"events\": %s \"%s%s\"", what, shown, len > n ? "..." : "");
}

int events_filter_parse(const char *text, struct events_filter *f, char *err, size_t cap)
{
	uint32_t mask = 0;
	const char *p = text;

	for (;;) {
		const char *end = p + strcspn(p, ",");
		const char *a = p, *b = end;
		int k;

		while (a < b && blank(*a))
			a++;
		while (b > a && blank(b[-1]))
			b--;
		if (a == b) {
			snprintf(err, cap, "field \"events\": an empty kind%s",
				 strchr(text, ',') ? " (two commas, or one at an end)" : "");
			return -1;
		}
		k = events_kind_index(a, (size_t)(b - a));
		if (k < 0) {
			say_item(err, cap, "no such kind of event", a, (size_t)(b - a));
			return -1;
		}
		mask |= 1u << k;
		if (!*end)
			break;
		p = end + 1;
	}
	f->mask = mask;
	f->only = 1;
	return 0;
}

int events_filter_has(const struct events_filter *f, const char *kind)
{
	int k;

	if (!f->only || !kind || strcmp(kind, "lost") == 0)
		return 1;
	k = events_kind_index(kind, strlen(kind));
	return k >= 0 && (f->mask & (1u << k));
}
