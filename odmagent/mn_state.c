/* SPDX-License-Identifier: MIT */
/*
 * mn_state.c — the host role's state across restarts (see mn_state.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mn_state.h"
#include "monotime.h"

/* the idle anchors the host engine keeps (reg_anchors_trim) all fit in the
 * state, their sequence counters and timestamps carried across a restart */
_Static_assert(REG_ANCHORS_MAX <= STATE_MAX_ANCHORS, "REG_ANCHORS_MAX beyond the state's bound");

int mnstate_snapshot(const struct reg_ctx *reg, const struct lease_table *t,
		     int64_t now_wall_ms, uint64_t now_mono_ms, struct state_mn *out)
{
	size_t na = 0, nl = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->nai, sizeof(out->nai), "%s", reg->cfg.nai);
	out->last_id = t->last_id;
	for (const struct reg_anchor *an = reg->anchors; an; an = an->next)
		na++;
	out->anchors = calloc(na + 1, sizeof(*out->anchors));
	out->leases = calloc(t->n + 1, sizeof(*out->leases));
	if (!out->anchors || !out->leases) {
		state_mn_free(out);
		return -ENOMEM;
	}
	/* anchors with bindings first (their leases need them), then the
	 * others while the decoder's limit allows: a host that met more
	 * anchors than that forgets the counters of some idle ones only */
	for (int pass = 0; pass < 2; pass++)
		for (const struct reg_anchor *an = reg->anchors; an; an = an->next) {
			struct state_mn_anchor *a;

			if ((an->bindings == NULL) != pass ||
			    (pass && out->n_anchors >= STATE_MAX_ANCHORS))
				continue;
			a = &out->anchors[out->n_anchors++];
			a->addr = an->addr;
			a->seq = an->seq;
			a->last_ts = an->last_ts;
		}
	for (const struct lease *l = t->head; l && nl < t->n; l = l->next) {
		const struct reg_binding *b = l->rb;
		struct state_mn_lease *s;

		if (l->state != LEASE_REGISTERED || !b || !b->registered)
			continue;
		s = &out->leases[nl++];
		s->bid = l->id;
		s->type = l->type;
		s->proto = l->proto;
		s->addr = l->addr;
		s->anchor = l->anchor;
		s->dst = l->dst;
		s->uid = (uint32_t)l->uid;
		s->pid = (int32_t)l->pid;
		s->fresh = l->fresh;
		/* a shared lease's users: who hears its events and counts it
		 * in quota after a restart (beyond the bound, the first ones) */
		if (l->n_uids > 1)
			for (size_t j = 0; j < l->n_uids && s->n_holders < STATE_MAX_HOLDERS; j++)
				s->holders[s->n_holders++] = (uint32_t)l->uids[j];
		s->created_ms = now_wall_ms - (int64_t)(now_mono_ms - l->created_ms);
		s->expires_ms = now_wall_ms + ((int64_t)b->expires_ms - (int64_t)now_mono_ms);
		if (s->created_ms < 0)
			s->created_ms = 0;
		if (s->expires_ms < 0)
			s->expires_ms = 0;
	}
	out->n_leases = nl;
	return 0;
}

int mnstate_adopt(const struct state_mn *s, const char *nai, struct lease_table *t,
		  struct reg_ctx *reg, int64_t now_wall_ms, uint64_t now_mono_ms)
{
	int n = 0;

	if (strcmp(s->nai, nai) != 0)
		return 0;
	for (size_t i = 0; i < s->n_anchors; i++) {
		const struct state_mn_anchor *a = &s->anchors[i];
		/* reg_anchor_get makes seq_start the next BU's number */
		struct reg_anchor *an = reg_anchor_get(reg, &a->addr,
						       (uint16_t)(state_seq_resume(a->seq) + 1));

		if (!an)
			return -ENOMEM;
		if (an->last_ts < a->last_ts)
			an->last_ts = a->last_ts;
	}
	for (size_t i = 0; i < s->n_leases; i++) {
		const struct state_mn_lease *sl = &s->leases[i];
		uint64_t dl = state_deadline(sl->expires_ms, now_wall_ms, now_mono_ms,
					     MN_STATE_ADOPT_MARGIN_MS);
		struct reg_anchor *an = reg_anchor_find(reg, &sl->anchor);
		struct lease *l;

		if (!dl || !an || lease_by_id(t, sl->bid) || lease_by_addr(t, &sl->addr))
			continue;
		/* lease_new takes the id after last_id that is free: this one */
		t->last_id = (uint16_t)(sl->bid - 1);
		l = lease_new(t, sl->type, sl->proto, &sl->anchor, &sl->dst, now_mono_ms);
		if (!l)
			return -ENOMEM;
		l->addr = sl->addr;
		l->uid = (uid_t)sl->uid;
		l->pid = (pid_t)sl->pid;
		l->fresh = sl->fresh; /* still its socket's own after a restart */
		for (size_t j = 0; j < sl->n_holders; j++)
			if (lease_add_holder(l, (uid_t)sl->holders[j]) < 0) {
				lease_free(t, l);
				return -ENOMEM;
			}
		l->state = LEASE_REGISTERED;
		l->registered_ms = l->handed_ms = now_mono_ms;
		l->rb = reg_binding_add(reg, an, l->id, l);
		if (!l->rb) {
			lease_free(t, l);
			return -ENOMEM;
		}
		l->rb->hnp = sl->addr;
		l->rb->registered = 1;
		l->rb->expires_ms = dl;
		l->rb->granted_s = (uint32_t)((dl - now_mono_ms) / 1000);
		n++;
	}
	t->last_id = s->last_id;
	return n;
}

int mnstate_load(struct statefile *sf, const char *nai, struct lease_table *t,
		 struct reg_ctx *reg)
{
	struct state_mn s;
	char err[256], *text;
	size_t len;
	int rc;

	rc = statefile_read(sf, &text, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		log_warnx("reading %s: %s: starting without it", sf->path, statefile_strerror(rc));
		return 0;
	}
	rc = state_mn_decode(text, len, &s, err, sizeof(err));
	free(text);
	if (rc < 0) {
		log_warnx("%s: %s: starting without it", sf->path, err);
		return 0;
	}
	if (strcmp(s.nai, nai) != 0)
		log_warnx("%s belongs to %s, not %s: not adopted", sf->path, s.nai, nai);
	rc = mnstate_adopt(&s, nai, t, reg, wall_ms(), mono_ms());
	if (rc >= 0 && (size_t)rc < s.n_leases)
		log_info("%s: %zu lease(s) had expired or were invalid, not adopted", sf->path,
			 s.n_leases - (size_t)rc);
	state_mn_free(&s);
	return rc;
}

int mnstate_save(struct statefile *sf, const struct reg_ctx *reg, const struct lease_table *t)
{
	struct state_mn s;
	char *text;

	if (!sf->path)
		return -EINVAL;
	if (mnstate_snapshot(reg, t, wall_ms(), mono_ms(), &s) < 0) {
		/* said at the first of a run of failures, as the others are: a
		 * save follows every event, and memory may stay short a while */
		statefile_account(sf, -ENOMEM, "taking the state snapshot");
		return -ENOMEM;
	}
	text = state_mn_encode(&s);
	state_mn_free(&s);
	return statefile_commit(sf, text);
}
