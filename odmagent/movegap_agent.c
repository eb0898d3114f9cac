/* SPDX-License-Identifier: MIT */
/* movegap_agent.c — "move-wait" (see movegap_agent.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "control.h"
#include "log.h"
#include "monotime.h"
#include "movegap.h"
#include "movegap_agent.h"
#include "movement.h"
#include "vanished.h"

/* The fewest waiting questions a sweep of those whose client is gone
 * waits for (drop_gone) */
#define GAP_SWEEP_MIN 64

struct gap_waiter {
	struct control_req *r;
	uint64_t asked_ms;
	struct gap_waiter *next;
};

struct movegap_agent {
	struct movegap g;
	struct movement *mv;
	struct in6_addr usable[VANISHED_MAX]; /* at the last look */
	uint32_t down[VANISHED_MAX];         /* their devices' carrier losses then */
	size_t n_usable;
	struct gap_waiter *waiters;
	size_t n_waiters;
	size_t sweep_at; /* n_waiters at which the gone ones are dropped */
	uv_timer_t timer; /* the bound of the gap they wait in */
};

static void answer(struct gap_waiter *w, int retry, uint64_t now)
{
	const struct ucred *who = control_req_cred(w->r);
	uint64_t waited = now > w->asked_ms ? now - w->asked_ms : 0;

	log_debug("uid %u pid %d: a name lookup that failed in a move's gap waited %llu ms: %s",
		  (unsigned)who->uid, (int)who->pid, (unsigned long long)waited,
		  retry ? "the new link is up, asked again" : "no link came back, the failure stands");
	control_reply(w->r, json_pack("{s:b, s:I}", "retry", retry, "waited_ms",
				      (json_int_t)waited));
	free(w);
}

static void on_bound(uv_timer_t *t);

/* The waiting requests the gap's state now decides, answered; the timer
 * set for the others' bound */
static void settle(struct movegap_agent *m, uint64_t now)
{
	uint64_t until = 0;
	enum movegap_verdict v = movegap_ask(&m->g, now, &until);

	if (v == MOVEGAP_WAIT) {
		if (m->waiters)
			uv_timer_start(&m->timer, on_bound, until - now, 0);
		return;
	}
	uv_timer_stop(&m->timer);
	while (m->waiters) {
		struct gap_waiter *w = m->waiters;

		m->waiters = w->next;
		m->n_waiters--;
		answer(w, v == MOVEGAP_RETRY, now);
	}
}

/*
 * The waiting questions whose client has gone, dropped: their answer
 * would be dropped anyway, and each holds its connection's memory until
 * answered, so that a client looping connect, move-wait, close in a gap
 * would make the agent grow for the whole bound (the control socket's
 * caps count only open connections). Made when the list has doubled since
 * the last sweep: each question pays O(1) on average, and the list stays
 * within twice the live ones (or GAP_SWEEP_MIN), which control.c bounds.
 */
static void drop_gone(struct movegap_agent *m)
{
	struct gap_waiter **p = &m->waiters;

	while (*p) {
		struct gap_waiter *w = *p;

		if (!control_req_gone(w->r)) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		m->n_waiters--;
		control_reply(w->r, NULL); /* dropped: frees the request */
		free(w);
	}
	m->sweep_at = m->n_waiters * 2 > GAP_SWEEP_MIN ? m->n_waiters * 2 : GAP_SWEEP_MIN;
}

static void on_bound(uv_timer_t *t)
{
	settle(t->data, mono_ms());
}

/* A look at the usable addresses at now, about a change since since */
static void look(struct movegap_agent *m, uint64_t since, uint64_t now)
{
	struct in6_addr cur[VANISHED_MAX], went[VANISHED_MAX];
	uint32_t down[VANISHED_MAX];
	int n = movement_usable_addrs_down(m->mv, cur, down, VANISHED_MAX);
	size_t nw;

	if (n < 0) {
		/* no verdict: the last look stands (the next event looks again) */
		log_debug("move-wait: no look at the usable addresses: %s", strerror(-n));
		return;
	}
	nw = vanished_addrs(m->usable, m->n_usable, cur, (size_t)n, NULL, 0, went);
	/*
	 * One still there whose link lost its carrier since the last look
	 * was gone meanwhile, and is back: a gap this look did not see (the
	 * agent did not run across it, its events read after the return).
	 * A lookup that failed in it is the move's: asked again, not failed
	 * (one was, held 0.4 s by a stopped agent, across a 0.3 s loss).
	 */
	for (size_t i = 0; !nw && i < (size_t)n; i++)
		for (size_t j = 0; j < m->n_usable; j++)
			if (IN6_ARE_ADDR_EQUAL(&cur[i], &m->usable[j]) && down[i] != m->down[j])
				nw = 1;
	movegap_look(&m->g, (size_t)n, nw, since, now);
	memcpy(m->usable, cur, (size_t)n * sizeof(cur[0]));
	memcpy(m->down, down, (size_t)n * sizeof(down[0]));
	m->n_usable = (size_t)n;
}

void movegap_agent_look(struct odm_agent *a, uint64_t since)
{
	struct movegap_agent *m = a->move_gap;
	uint64_t now = mono_ms();

	if (!m)
		return;
	look(m, since, now);
	settle(m, now);
}

/* move-wait {since_ms?} -> {retry, waited_ms}, now or when the gap ends */
static void on_wait(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct movegap_agent *m = a->move_gap;
	json_t *since = json_object_get(req, "since_ms");
	struct gap_waiter *w;
	uint64_t now = mono_ms();

	if (!m) {
		control_reply(r, json_pack("{s:b, s:i}", "retry", 0, "waited_ms", 0));
		return;
	}
	/* the program's failure may be ahead of the events that tell of
	 * it: the kernel is asked as it is now */
	look(m, 0, now);
	/* a lookup that got no answer in since_ms: the move's only if the
	 * host moved meanwhile (movegap_moved_since), else the DNS's */
	if (json_is_integer(since) && json_integer_value(since) > 0) {
		uint64_t ms = (uint64_t)json_integer_value(since);

		if (!movegap_moved_since(&m->g, ms < now ? now - ms : 0)) {
			control_reply(r, json_pack("{s:b, s:i}", "retry", 0, "waited_ms", 0));
			return;
		}
	}
	if (m->n_waiters >= m->sweep_at)
		drop_gone(m);
	w = calloc(1, sizeof(*w));
	if (!w) {
		/* no room to wait: the failure stands */
		control_reply(r, json_pack("{s:b, s:i}", "retry", 0, "waited_ms", 0));
		return;
	}
	w->r = r;
	w->asked_ms = now;
	w->next = m->waiters;
	m->waiters = w;
	m->n_waiters++;
	settle(m, now);
}

int movegap_agent_open(struct odm_agent *a, struct movement *mv)
{
	struct movegap_agent *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	m->mv = mv;
	m->sweep_at = GAP_SWEEP_MIN;
	uv_timer_init(a->loop, &m->timer);
	m->timer.data = m;
	a->move_gap = m;
	look(m, 0, mono_ms());
	if ((rc = control_register(a, "move-wait", on_wait)) < 0) {
		movegap_agent_close(a);
		return rc;
	}
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void movegap_agent_close(struct odm_agent *a)
{
	struct movegap_agent *m = a->move_gap;
	uint64_t now = mono_ms();

	if (!m)
		return;
	a->move_gap = NULL;
	while (m->waiters) {
		struct gap_waiter *w = m->waiters;

		m->waiters = w->next;
		m->n_waiters--;
		answer(w, 0, now);
	}
	uv_close((uv_handle_t *)&m->timer, on_closed);
}
