/* SPDX-License-Identifier: MIT */
/* chasilent.c — cha lookups that got no answer, per user (see chasilent.h). */
#include <errno.h>
#include <string.h>

#include "chasilent.h"
#include "dnsname.h"

/* when e's memory ends: its hold, or the probe after it */
static uint64_t end_of(const struct chasilent_entry *e)
{
	return e->probe_until_ms > e->until_ms ? e->probe_until_ms : e->until_ms;
}

static struct chasilent_entry *find(struct chasilent *s, uid_t uid, const char *key)
{
	for (size_t i = 0; i < CHASILENT_MAX; i++)
		if (s->e[i].used && s->e[i].uid == uid && strcmp(s->e[i].name, key) == 0)
			return &s->e[i];
	return NULL;
}

/* a slot for a new entry of uid's: one of its own that ends first when it
 * holds CHASILENT_PER_UID, else a free or ended one, else the one that
 * ends first */
static struct chasilent_entry *slot(struct chasilent *s, uid_t uid, uint64_t now)
{
	struct chasilent_entry *own = NULL, *any = NULL, *free_e = NULL;
	size_t mine = 0;

	for (size_t i = 0; i < CHASILENT_MAX; i++) {
		struct chasilent_entry *e = &s->e[i];

		if (!e->used || end_of(e) <= now) {
			if (!free_e)
				free_e = e;
			continue;
		}
		if (e->uid == uid) {
			mine++;
			if (!own || end_of(e) < end_of(own))
				own = e;
		}
		if (!any || end_of(e) < end_of(any))
			any = e;
	}
	if (mine >= CHASILENT_PER_UID)
		return own;
	return free_e ? free_e : any;
}

int chasilent_check(struct chasilent *s, uid_t uid, const char *name, uint64_t now,
		    uint64_t *left_ms, int *probe)
{
	char key[CHASILENT_NAME_MAX + 1];
	struct chasilent_entry *e;

	*probe = 0;
	*left_ms = 0;
	if (!dnsname_fold(name, key, CHASILENT_NAME_MAX) || !(e = find(s, uid, key)))
		return 0;
	if (e->until_ms > now) {
		*left_ms = e->until_ms - now;
		s->spared++;
		return 1;
	}
	if (!e->probe_until_ms) {
		/* the hold is over: this one asks again, the others wait for it */
		e->probe_until_ms = now + CHASILENT_PROBE_MS;
		*probe = 1;
		return 0;
	}
	if (e->probe_until_ms > now) {
		*left_ms = e->probe_until_ms - now;
		s->spared++;
		return 1;
	}
	/* the probe said nothing: forgotten */
	e->used = 0;
	return 0;
}

int chasilent_note(struct chasilent *s, uid_t uid, const char *name, int answered,
		   uint64_t now)
{
	char key[CHASILENT_NAME_MAX + 1];
	struct chasilent_entry *e;

	if (!dnsname_fold(name, key, CHASILENT_NAME_MAX))
		return -EINVAL;
	e = find(s, uid, key);
	if (answered) {
		if (e)
			e->used = 0;
		return 0;
	}
	if (!e) {
		e = slot(s, uid, now);
		e->used = 1;
		e->uid = uid;
		memcpy(e->name, key, sizeof(key));
	}
	e->until_ms = now + CHASILENT_HOLD_MS;
	e->probe_until_ms = 0;
	s->notes++;
	return 0;
}

size_t chasilent_count(const struct chasilent *s, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < CHASILENT_MAX; i++)
		n += s->e[i].used && end_of(&s->e[i]) > now;
	return n;
}

size_t chasilent_forget_all(struct chasilent *s, uint64_t now)
{
	size_t n = chasilent_count(s, now);

	for (size_t i = 0; i < CHASILENT_MAX; i++)
		s->e[i].used = 0;
	return n;
}
