/* SPDX-License-Identifier: MIT */
/* monshare.c — a monitor's bounded queue, shared fairly (see monshare.h). */
#include "monshare.h"

#include <string.h>

void monshare_init(struct monshare *m, uid_t self, size_t cap, size_t share, size_t users,
		   size_t low)
{
	memset(m, 0, sizeof(*m));
	m->self = self;
	m->cap = cap;
	m->share = share;
	m->users = users;
	m->low = low;
}

/* The source an event about user belongs to. */
static struct monshare_src *src_of(struct monshare *m, const uid_t *about)
{
	struct monshare_src *free_src = NULL;

	if (!about || *about == m->self)
		return &m->host;
	for (size_t i = 0; i < MONSHARE_USERS; i++) {
		struct monshare_src *s = &m->user[i];

		if (s->used && s->uid == *about)
			return s;
		if (!s->used && !free_src)
			free_src = s;
	}
	if (!free_src)
		return &m->others;
	free_src->used = true;
	free_src->uid = *about;
	free_src->behind = false;
	free_src->bytes = 0;
	return free_src;
}

/* A user's entry that holds nothing is given back. */
static void src_tidy(struct monshare *m, struct monshare_src *s)
{
	if (s != &m->host && s != &m->others && !s->bytes && !s->behind)
		s->used = false;
}

static void count_lost(struct monshare *m, const char *kind)
{
	int k = kind ? events_kind_index(kind, strlen(kind)) : -1;

	m->lost++;
	if (k >= 0)
		m->lost_kind[k]++;
	else
		m->lost_other++;
}

struct monshare_src *monshare_take(struct monshare *m, size_t queued, const char *kind,
				   const uid_t *about, size_t len)
{
	struct monshare_src *s = src_of(m, about);
	bool room = (queued > m->queued ? queued : m->queued) + len <= m->cap;

	/* another user's events: within its share of the queue, and all
	 * other users' within theirs together */
	if (room && s != &m->host &&
	    (s->bytes + len > m->share || m->users_bytes + len > m->users))
		room = false;
	if (s->behind || !room) {
		s->behind = true;
		count_lost(m, kind);
		src_tidy(m, s);
		return NULL;
	}
	s->bytes += len;
	m->queued += len;
	if (s != &m->host)
		m->users_bytes += len;
	return s;
}

int monshare_behind(struct monshare *m, const char *kind, const uid_t *about)
{
	struct monshare_src *s = src_of(m, about);

	if (!s->behind) {
		src_tidy(m, s);
		return 0;
	}
	count_lost(m, kind);
	return 1;
}

void monshare_done(struct monshare *m, struct monshare_src *s, size_t len)
{
	s->bytes -= len < s->bytes ? len : s->bytes;
	m->queued -= len < m->queued ? len : m->queued;
	if (s != &m->host)
		m->users_bytes -= len < m->users_bytes ? len : m->users_bytes;
	src_tidy(m, s);
}

int monshare_tell_now(const struct monshare *m)
{
	return m->lost && m->queued <= m->low;
}

struct monshare_src *monshare_told(struct monshare *m, size_t len)
{
	m->lost = m->lost_other = 0;
	memset(m->lost_kind, 0, sizeof(m->lost_kind));
	m->host.behind = m->others.behind = false;
	for (size_t i = 0; i < MONSHARE_USERS; i++) {
		m->user[i].behind = false;
		src_tidy(m, &m->user[i]);
	}
	m->host.bytes += len;
	m->queued += len;
	return &m->host;
}
