/* SPDX-License-Identifier: MIT */
/* test_events.c — the agent's event stream (odmagent/events.c) */
#include <criterion/criterion.h>
#include <string.h>

#include "events.h"

struct seen {
	int n;
	char kind[32];
	json_int_t ms;
	json_int_t x;
	struct events *ev;  /* set: unsubscribe on first event */
};

static void on_event(void *ctx, const json_t *e, const struct events_audience *to)
{
	struct seen *s = ctx;

	s->n++;
	snprintf(s->kind, sizeof(s->kind), "%s", json_string_value(json_object_get(e, "event")));
	s->ms = json_integer_value(json_object_get(e, "ms"));
	s->x = json_integer_value(json_object_get(e, "x"));
	if (s->ev)
		events_unsubscribe(s->ev, on_event, s);
}

Test(events, every_subscriber_hears_kind_time_and_fields)
{
	struct events ev;
	struct seen a = { 0 }, b = { 0 };

	events_init(&ev);
	cr_assert_eq(events_subscribe(&ev, on_event, &a), 0);
	cr_assert_eq(events_subscribe(&ev, on_event, &b), 0);
	events_emit(&ev, "lease-granted", json_pack("{s:i}", "x", 7), 1234);
	cr_assert_eq(a.n, 1);
	cr_assert_eq(b.n, 1);
	cr_assert_str_eq(a.kind, "lease-granted");
	cr_assert_eq(b.ms, 1234);
	cr_assert_eq(b.x, 7);
	events_emit(&ev, "move", NULL, 1300);
	cr_assert_eq(a.n, 2);
	cr_assert_str_eq(b.kind, "move");
	cr_assert_eq(ev.emitted, 2);
	events_clear(&ev);
}

Test(events, a_subscriber_leaving_inside_its_callback_skips_nobody)
{
	struct events ev;
	struct seen a = { 0 }, b = { 0 }, c = { 0 };

	events_init(&ev);
	a.ev = &ev;  /* a leaves on its first event */
	events_subscribe(&ev, on_event, &a);
	events_subscribe(&ev, on_event, &b);
	events_subscribe(&ev, on_event, &c);
	events_emit(&ev, "move", NULL, 1);
	cr_assert_eq(a.n, 1);
	cr_assert_eq(b.n, 1, "the one after the leaver was skipped");
	cr_assert_eq(c.n, 1);
	cr_assert_eq(events_subscribers(&ev), 2);
	events_emit(&ev, "move", NULL, 2);
	cr_assert_eq(a.n, 1);
	cr_assert_eq(b.n, 2);
	events_clear(&ev);
}

static const struct events_audience *last_to;

static void keep_to(void *ctx, const json_t *e, const struct events_audience *to)
{
	last_to = to;
}

Test(events, the_audience_says_who_may_hear)
{
	uid_t two[2] = { 1000, 1001 };
	struct events_audience to = { .uids = two, .n = 2 };
	struct events ev;

	cr_assert(events_audience_has(&to, 1000));
	cr_assert(events_audience_has(&to, 1001));
	cr_assert_not(events_audience_has(&to, 1002), "another user");
	cr_assert(events_audience_has(&to, 0), "root hears all");
	cr_assert_not(events_audience_has(&events_root_only, 1000));
	cr_assert(events_audience_has(&events_root_only, 0));
	cr_assert(events_audience_has(&events_everyone, 65534));
	cr_assert(events_audience_has(NULL, 65534));
	/* the subscriber is handed the audience; plain emits are for everyone */
	events_init(&ev);
	events_subscribe(&ev, keep_to, NULL);
	events_emit_to(&ev, "lease-ended", NULL, &to, 1);
	cr_assert_eq(last_to, &to);
	events_emit(&ev, "move", NULL, 2);
	cr_assert(last_to && last_to->everyone);
	events_clear(&ev);
}

/* A monitor's "events": kinds joined by ',', blanks around each allowed;
 * every kind the agent makes is one a monitor may ask for. */
Test(events, a_filter_takes_known_kinds_with_blanks_around_them)
{
	struct events_filter f = { 0 };
	char err[160];

	cr_assert(events_filter_has(&f, "move"), "a zeroed filter lets everything through");
	cr_assert(events_filter_has(&f, "test-event"));
	cr_assert_eq(events_filter_parse(" move ,\tdns-updated,lease-granted", &f, err, sizeof(err)),
		     0, "%s", err);
	cr_assert(events_filter_has(&f, "move"));
	cr_assert(events_filter_has(&f, "dns-updated"));
	cr_assert(events_filter_has(&f, "lease-granted"));
	cr_assert(events_filter_has(&f, "lost"), "lost is always told");
	cr_assert_not(events_filter_has(&f, "lease-ended"));
	cr_assert_not(events_filter_has(&f, "test-event"));
	for (size_t i = 0; i < events_n_kinds; i++) {
		struct events_filter g = { 0 };

		cr_assert_eq(events_filter_parse(events_kinds[i], &g, err, sizeof(err)), 0, "%s",
			     err);
		cr_assert(events_filter_has(&g, events_kinds[i]));
	}
}

/* A kind that is none, or an empty one, is an error naming it, and the
 * filter is left as it was. */
Test(events, a_filter_refuses_what_is_no_kind_and_names_it)
{
	static const struct {
		const char *text, *said;
	} bad[] = {
		{ "move,lease-grantd", "\"lease-grantd\"" },
		{ "Move", "\"Move\"" },
		{ "move,", "an empty kind" },
		{ ",move", "an empty kind" },
		{ "move,,dns-updated", "an empty kind" },
		{ " ", "an empty kind" },
		{ "", "an empty kind" },
		{ "move;dns-updated", "\"move;dns-updated\"" },
		{ "a\nb", "\"a?b\"" },
		{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct events_filter f = { .mask = 5, .only = 1 };
		char err[160] = "";

		cr_assert_eq(events_filter_parse(bad[i].text, &f, err, sizeof(err)), -1, "%s",
			     bad[i].text);
		cr_assert(strstr(err, bad[i].said), "\"%s\": %s", bad[i].text, err);
		cr_assert(f.mask == 5 && f.only == 1, "\"%s\" changed the filter", bad[i].text);
		/* commas blamed only where there are some */
		cr_assert(!strstr(err, "comma") || strchr(bad[i].text, ','), "\"%s\": %s",
			  bad[i].text, err);
	}
}
