/* SPDX-License-Identifier: MIT */
/*
 * anchor_state.c — the anchor's state across restarts and reloads: its
 * bindings (home address, care-of address, identity, BID, last sequence
 * number, lifetime, expiry as wall-clock time), which pool addresses they
 * hold, and each identity's last accepted sequence number and replay
 * timestamp, so a restarted anchor neither forgets a host nor accepts a BU
 * it has already seen (RFC 4285 §6). The snapshot and the restore take the
 * time as arguments; anchor.c calls them and owns the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addrtext.h"
#include "agent.h"
#include "anchor.h"
#include "anchor_journal.h"
#include "anchor_mode.h"
#include "log.h"
#include "monotime.h"
#include "mhsock.h"

struct snap_ctx {
	struct state_anchor *s;
	int64_t now_wall;
	uint64_t now_mono;
	size_t cooling_cap;
};

static void snap_one(const struct binding *b, void *arg)
{
	struct snap_ctx *c = arg;
	struct state_anchor_binding *o = &c->s->bindings[c->s->n_bindings++];

	o->hoa = b->hoa;
	o->coa = b->coa;
	snprintf(o->nai, sizeof(o->nai), "%s", b->nai);
	o->bid = b->bid;
	o->seq = b->seq;
	o->lifetime = b->lifetime ? b->lifetime : 1;
	o->expires_ms = c->now_wall + ((int64_t)b->expires_ms - (int64_t)c->now_mono);
	if (o->expires_ms < 0)
		o->expires_ms = 0;
	o->graceful = b->graceful;
	if (b->deadline_ms) {
		o->deadline_ms = c->now_wall + ((int64_t)b->deadline_ms - (int64_t)c->now_mono);
		if (o->deadline_ms < 1)
			o->deadline_ms = 1; /* past: 0 would mean none */
	}
}

/* A cooling address as the state keeps it: its release on the wall clock */
static void snap_cooling(uint32_t off, uint64_t at_ms, void *arg)
{
	struct snap_ctx *c = arg;
	struct state_anchor_cooling *o;

	if (c->s->n_cooling >= c->cooling_cap)
		return; /* one entry per cooling address (pool.h): not reached */
	o = &c->s->cooling[c->s->n_cooling++];
	o->off = off;
	o->released_ms = c->now_wall + ((int64_t)at_ms - (int64_t)c->now_mono);
	if (o->released_ms < 0)
		o->released_ms = 0;
}

int anchor_state_snapshot(const struct anchor *an, int64_t now_wall_ms, uint64_t now_mono_ms,
			  struct state_anchor *out)
{
	struct snap_ctx c = { out, now_wall_ms, now_mono_ms, 0 };

	memset(out, 0, sizeof(*out));
	out->pool = an->cfg->pool;
	out->pool_plen = an->cfg->pool_plen;
	/* a crash during a hold: the next hold covers this one's too; and the
	 * bindings made between this save and a crash are past the highest
	 * allocated address or past the highest cooling one (pool.h), which
	 * the state does not list: the hold must reach past it too */
	out->held = an->hold_until_ms ? an->pool.held : 0;
	if (an->pooled) {
		uint32_t top = pool_highest_cooling(&an->pool);

		if (top > out->held)
			out->held = top;
	}
	out->idents = calloc(an->cfg->n_identities + 1, sizeof(*out->idents));
	out->bindings = calloc(an->bc.count + 1, sizeof(*out->bindings));
	/* and what cools: a clean restart must not hand it out at once */
	c.cooling_cap = an->pooled ? pool_cooling_count(&an->pool) : 0;
	out->cooling = calloc(c.cooling_cap + 1, sizeof(*out->cooling));
	if (!out->idents || !out->bindings || !out->cooling) {
		state_anchor_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < an->cfg->n_identities; i++) {
		struct state_anchor_ident *d;

		if (!an->ids[i].has_last)
			continue;
		d = &out->idents[out->n_idents++];
		snprintf(d->nai, sizeof(d->nai), "%s", an->cfg->identities[i].nai);
		d->seq = an->ids[i].last_seq;
		d->last_ts = an->ids[i].last_ts;
	}
	bcache_foreach(&an->bc, snap_one, &c);
	if (an->pooled)
		pool_cooling_each(&an->pool, snap_cooling, &c);
	return 0;
}

/*
 * The addresses the last run left cooling cool on for what remains of
 * their time (a release "in the future", the wall clock set back since,
 * cools in full): a clean restart does not hand a just-released address
 * to the next host. Before the bindings: one the binding cache refuses
 * gives its address back stamped "now", after which an earlier release
 * is out of the ring's order (pool_cool_from); a binding's address listed
 * here the pool takes from cooling (pool_reserve).
 */
static void restore_cooling(struct anchor *an, const struct state_anchor *s,
			    int64_t now_wall_ms, uint64_t now_mono_ms)
{
	uint32_t n = 0, bad = 0;

	if (!an->pooled)
		return;
	for (size_t i = 0; i < s->n_cooling; i++) {
		int64_t age = now_wall_ms - s->cooling[i].released_ms;
		uint64_t at;

		if (age >= (int64_t)POOL_COOL_MS)
			continue;
		if (age < 0)
			age = 0;
		/* the clock since boot may be younger than the release */
		at = now_mono_ms > (uint64_t)age ? now_mono_ms - (uint64_t)age : 0;
		/* as the release times, never decreasing: the ring's order */
		if (pool_cool_from(&an->pool, s->cooling[i].off, at) == 0)
			n++;
		else
			bad++;
	}
	if (n)
		log_info("%u pool addresses released by the last run cool on (up to %us) before "
			 "they are handed out", n, POOL_COOL_MS / 1000);
	if (bad)
		log_warnx("%u cooling addresses in the saved state are not in the pool, "
			  "or bound, or listed twice, or out of order: not restored", bad);
}

int anchor_state_restore(struct anchor *an, const struct state_anchor *s,
			 int64_t now_wall_ms, uint64_t now_mono_ms)
{
	char h[INET6_ADDRSTRLEN];
	int n = 0, rc;

	for (size_t i = 0; i < s->n_idents; i++) {
		long k = anchor_ident_find(an, s->idents[i].nai);

		if (k < 0)
			continue; /* no longer configured */
		an->ids[k].has_last = 1;
		an->ids[k].last_seq = s->idents[i].seq;
		an->ids[k].last_ts = s->idents[i].last_ts;
	}
	if (memcmp(&s->pool, &an->cfg->pool, sizeof(s->pool)) != 0 ||
	    s->pool_plen != an->cfg->pool_plen) {
		log_warnx("the saved bindings are from another pool: not restored");
		return 0;
	}
	an->restored_held = s->held;
	/* an address a binding not restored gives back cools from now */
	if (an->pooled)
		pool_clock(&an->pool, now_mono_ms);
	restore_cooling(an, s, now_wall_ms, now_mono_ms);
	for (size_t i = 0; i < s->n_bindings; i++) {
		const struct state_anchor_binding *sb = &s->bindings[i];
		uint64_t dl = state_deadline(sb->expires_ms, now_wall_ms, now_mono_ms, 0);
		long k = anchor_ident_find(an, sb->nai);
		const struct anchor_mode_ops *ops;
		struct binding tmpl, *b;

		if (!dl || k < 0 || (an->cfg->max_bindings &&
				     an->ids[k].nbindings >= an->cfg->max_bindings)) {
			log_info("saved binding %s %s not restored (%s)", sb->nai,
				 ntop6(&sb->hoa, h),
				 !dl ? "expired" : k < 0 ? "identity gone" : "over quota");
			continue;
		}
		ops = anchor_mode_of(an, &sb->hoa, (size_t)k);
		if (!ops || ops->take_addr(an, &sb->hoa, (size_t)k) < 0) {
			log_warnx("saved binding %s %s: address not free in the pool, not restored",
				  sb->nai, ntop6(&sb->hoa, h));
			continue;
		}
		/* no binding outlives the lifetime it was granted from now */
		if (dl > now_mono_ms + (uint64_t)mh_lifetime_seconds(sb->lifetime) * 1000)
			dl = now_mono_ms + (uint64_t)mh_lifetime_seconds(sb->lifetime) * 1000;
		memset(&tmpl, 0, sizeof(tmpl));
		tmpl.hoa = sb->hoa;
		tmpl.coa = sb->coa;
		tmpl.nai = sb->nai;
		tmpl.bid = sb->bid;
		tmpl.seq = sb->seq;
		tmpl.lifetime = sb->lifetime;
		tmpl.created_ms = now_mono_ms;
		tmpl.expires_ms = dl;
		tmpl.ident = (size_t)k;
		tmpl.mode = (uint8_t)ops->mode;
		if (ops->mode == ODM_MODE_ACCESS && sb->graceful) {
			tmpl.graceful = 1;
			if (sb->deadline_ms) {
				/* a deadline already past ends it at once (dl is
				 * at most it) */
				tmpl.deadline_ms = state_deadline(sb->deadline_ms, now_wall_ms,
								  now_mono_ms, 0);
				if (!tmpl.deadline_ms)
					tmpl.deadline_ms = now_mono_ms;
				if (tmpl.expires_ms > tmpl.deadline_ms)
					tmpl.expires_ms = tmpl.deadline_ms;
			}
		}
		rc = anchor_binding_add(an, &tmpl, &b);
		if (rc < 0) {
			log_warn(rc, "saved binding %s %s not restored", sb->nai, ntop6(&sb->hoa, h));
			ops->put_addr(an, &sb->hoa);
			continue;
		}
		n++;
	}
	return n;
}

/*
 * The last run's state could not be read: this run's is saved at once, not
 * at the first change of a binding, so that the next start (after a clean
 * stop too) reads a state again rather than the same unreadable file, and
 * holds back the whole pool again for nothing.
 */
/* ---- the journal of deregistrations (anchor_journal.h) ---- */

/* the restored bindings that the journal's lines end */
static unsigned journal_apply(struct anchor *an, const struct aj_entry *v, size_t n)
{
	unsigned k = 0;

	for (size_t i = 0; i < n; i++) {
		struct binding *b = bcache_find_hoa(&an->bc, &v[i].hoa);

		if (!b || strcmp(b->nai, v[i].nai) || !mh_seq_newer(v[i].seq, b->seq))
			continue; /* made again since, or never saved */
		anchor_release(an, b, "deregistered before the last run's save");
		k++;
	}
	return k;
}

/* Open the journal for appends after applying what it holds: the lines of a
 * last run killed before its save; they stay in the file until a save holds
 * what they did. 0, or -errno (the directory is there: the state's). */
static int journal_open(struct anchor *an, uint64_t now_mono_ms)
{
	char *path, *text = NULL, *end, err[128];
	struct aj_entry *v = NULL;
	size_t n = 0, len = 0;
	struct stat st = { 0 };
	off_t keep;
	int fd, rc;

	if (asprintf(&path, "%s/%s", an->sf.dir, ANCHOR_JOURNAL_FILE) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		log_err(rc, "%s", path);
		free(path);
		return rc;
	}
	if (fstat(fd, &st) < 0)
		st.st_size = 0;
	rc = 0;
	if (st.st_size > AJ_MAX * AJ_LINE_MAX) {
		snprintf(err, sizeof(err), "%lld bytes, more than a journal holds",
			 (long long)st.st_size);
		rc = -EINVAL;
	} else if (st.st_size > 0 && !(text = malloc((size_t)st.st_size))) {
		rc = -ENOMEM;
	} else if (st.st_size > 0) {
		ssize_t got = pread(fd, text, (size_t)st.st_size, 0);

		len = got > 0 ? (size_t)got : 0;
		rc = len ? aj_parse(text, len, &v, &n, err, sizeof(err)) : 0;
	}
	/* a last line cut short (aj_parse leaves it out) goes, so that no
	 * append is glued to it; so does a journal ignored */
	end = rc == 0 && len ? memrchr(text, '\n', len) : NULL;
	keep = end ? (off_t)(end - text) + 1 : 0;
	free(text);
	if (rc != -ENOMEM && keep < st.st_size && ftruncate(fd, keep) < 0)
		log_warn(-errno, "%s", path);
	if (rc == -EINVAL)
		log_warnx("%s: %s: ignored", path, err);
	else if (rc == 0 && n) {
		unsigned k = journal_apply(an, v, n);

		log_info("%s: %zu deregistration(s) the last run acknowledged: %u restored "
			 "binding(s) ended by them", path, n, k);
		an->jn = (unsigned)n;
		anchor_state_touch(an, now_mono_ms);
	}
	free(v);
	free(path);
	an->jfd = fd;
	an->jfd_open = 1;
	return 0;
}

/* a save that holds every line of the journal succeeded: empty it */
static void journal_settle(struct anchor *an, unsigned jn_in_save)
{
	if (!an->jfd_open || !an->jn || an->jn != jn_in_save)
		return;
	if (ftruncate(an->jfd, 0) < 0) {
		log_warn(-errno, "emptying the journal of deregistrations");
		return;
	}
	an->jn = 0;
}

void anchor_journal_close(struct anchor *an)
{
	if (an->jfd_open)
		close(an->jfd);
	an->jfd_open = 0;
	an->jn = 0;
	/* a save under way holds none of the lines of a journal opened
	 * anew: its end (journal_settle) must not empty that one */
	an->jn_at_save = UINT_MAX;
}

void anchor_journal_reopen(struct anchor *an, uint64_t now_mono_ms)
{
	if (!an->jfd_open)
		return;
	anchor_journal_close(an);
	journal_open(an, now_mono_ms);
}

void anchor_dereg(struct anchor *an, struct binding *b, uint16_t seq, uint64_t now_ms,
		  const char *why)
{
	char line[AJ_LINE_MAX + 1];
	int len, full;

	if (an->jfd_open) {
		/* full: saved now, which empties it */
		if (an->jn >= AJ_MAX) {
			anchor_state_touch(an, now_ms);
			anchor_state_flush(an, now_ms, 1);
		}
		len = aj_format(&b->hoa, seq, b->nai, line, sizeof(line));
		errno = 0;
		/* still full, that save failed: a line more would make the next
		 * run's read (aj_parse: AJ_MAX lines) ignore every line there */
		full = an->jn >= AJ_MAX;
		if (len > 0 && !full && write(an->jfd, line, (size_t)len) == len) {
			an->jn++;
			an->j_err = 0;
		} else if (len > 0 && !an->j_err) {
			an->j_err = full ? -EFBIG : errno ? -errno : -EIO;
			if (full)
				log_warn(an->j_err, "appending to the journal of deregistrations: "
					 "%d lines since the last save", AJ_MAX);
			else
				log_warn(an->j_err, "appending to the journal of deregistrations");
		}
	}
	anchor_release(an, b, why);
}

static int state_unread(struct anchor *an, uint64_t now_mono_ms)
{
	an->state_unread = 1;
	anchor_state_touch(an, now_mono_ms);
	return journal_open(an, now_mono_ms);
}

int anchor_state_load(struct anchor *an, uint64_t now_mono_ms)
{
	struct state_anchor s;
	char err[256], *text;
	size_t len;
	int rc = statefile_open(&an->sf, an->cfg->state_dir, ANCHOR_STATE_FILE);

	if (rc < 0) {
		log_err(rc, "state directory %s", an->cfg->state_dir);
		return rc;
	}
	rc = statefile_read(&an->sf, &text, &len);
	/* room to save the bindings in, should the file system fill up */
	statefile_keep_reserve(&an->sf);
	if (rc == -ENOENT)
		return journal_open(an, now_mono_ms);
	if (rc < 0) {
		log_warnx("reading %s: %s: starting without it", an->sf.path,
			  statefile_strerror(rc));
		return state_unread(an, now_mono_ms);
	}
	rc = state_anchor_decode(text, len, &s, err, sizeof(err));
	free(text);
	if (rc < 0) {
		log_warnx("%s: %s: starting without it", an->sf.path, err);
		return state_unread(an, now_mono_ms);
	}
	rc = anchor_state_restore(an, &s, wall_ms(), now_mono_ms);
	log_info("%s: %d of %zu binding(s) restored, replay state of %zu identities",
		 an->sf.path, rc, s.n_bindings, s.n_idents);
	state_anchor_free(&s);
	if (rc >= 0) {
		int jrc = journal_open(an, now_mono_ms);

		if (jrc < 0)
			return jrc;
	}
	return rc;
}

int anchor_state_save(struct anchor *an, uint64_t now_mono_ms)
{
	struct state_anchor s;
	char *text;

	if (!an->sf.path)
		return 0;
	if (anchor_state_snapshot(an, wall_ms(), now_mono_ms, &s) < 0) {
		log_warnx("no memory for the state snapshot");
		return -ENOMEM;
	}
	text = state_anchor_encode(&s);
	state_anchor_free(&s);
	return statefile_commit(&an->sf, text);
}

void anchor_state_touch(struct anchor *an, uint64_t now_mono_ms)
{
	uint64_t want = now_mono_ms + ANCHOR_SAVE_DELAY_MS;

	/* a change brings a later due save forward (the retry of a failed
	 * one: the failure may be gone), but not past the pace */
	if (want < an->save_after_ms)
		want = an->save_after_ms;
	if (!an->save_due_ms || an->save_due_ms > want)
		an->save_due_ms = want;
}

/* in the child (bgsave.h): the snapshot as of the fork, written */
static int save_in_child(void *arg)
{
	struct anchor *an = arg;
	struct state_anchor s;
	char *text, *tmp;
	int rc;

	/* a temporary file of its own: the parent's in-line save (a stop
	 * after this child was killed) must not write into the same one */
	if (asprintf(&tmp, "%s.child", an->sf.tmp) < 0)
		return -ENOMEM;
	an->sf.tmp = tmp; /* the child's copy of the struct */
	if (anchor_state_snapshot(an, an->save_at_wall, an->save_at_ms, &s) < 0)
		return -ENOMEM;
	text = state_anchor_encode(&s);
	state_anchor_free(&s);
	if (!text)
		return -ENOMEM;
	rc = statefile_save(&an->sf, text, strlen(text));
	free(text);
	return rc < 0 ? rc : 0;
}

/* the child ended (rc, took_ms) at now */
static void saved(struct anchor *an, int rc, uint64_t took_ms, uint64_t now_mono_ms)
{
	uint64_t pace = took_ms * ANCHOR_SAVE_PACE;

	if (pace > ANCHOR_SAVE_PACE_MAX_MS)
		pace = ANCHOR_SAVE_PACE_MAX_MS;
	statefile_account(&an->sf, rc, "in the child process that writes it");
	if (rc >= 0) {
		an->sf.writes++;
		journal_settle(an, an->jn_at_save);
	}
	an->save_took_ms = took_ms;
	an->save_after_ms = now_mono_ms + pace;
	if (rc < 0 && (!an->save_due_ms || an->save_due_ms > now_mono_ms + ANCHOR_SAVE_RETRY_MS))
		an->save_due_ms = now_mono_ms + ANCHOR_SAVE_RETRY_MS;
	log_debug("state saved by a child in %llu ms (%s); the next save %llu ms on at the "
		  "earliest", (unsigned long long)took_ms, rc < 0 ? "failed" : "done",
		  (unsigned long long)pace);
}

static int save_inline(struct anchor *an, uint64_t now_mono_ms, int force)
{
	int rc = anchor_state_save(an, now_mono_ms);

	if (rc >= 0)
		journal_settle(an, an->jn);
	/* a failed save (full disk, ...) is tried again, not left until the
	 * next change: a restart would start from the older copy */
	if (rc < 0 && !force)
		an->save_due_ms = now_mono_ms + ANCHOR_SAVE_RETRY_MS;
	return rc < 0 ? rc : 0;
}

int anchor_state_flush(struct anchor *an, uint64_t now_mono_ms, int force)
{
	uint64_t took;
	int rc;

	if (bgsave_reap(&an->saver, force, now_mono_ms, &rc, &took))
		saved(an, rc, took, now_mono_ms);
	else if (bgsave_busy(&an->saver))
		an->save_poll_ms = now_mono_ms + ANCHOR_SAVE_POLL_MS;
	if (!an->save_due_ms || (!force && now_mono_ms < an->save_due_ms))
		return 0;
	if (force || !an->loop || !an->sf.path) {
		an->save_due_ms = 0;
		return save_inline(an, now_mono_ms, force);
	}
	if (bgsave_busy(&an->saver))
		return 0; /* what changed meanwhile goes in the next one */
	if (now_mono_ms < an->save_after_ms) {
		an->save_due_ms = an->save_after_ms;
		return 0;
	}
	an->save_due_ms = 0;
	an->save_at_ms = now_mono_ms;
	an->save_at_wall = wall_ms();
	an->jn_at_save = an->jn;
	/* the child writes the file: an in-line save later must not skip
	 * text it takes for what is there */
	statefile_forget(&an->sf);
	rc = bgsave_start(&an->saver, now_mono_ms, save_in_child, an);
	if (rc == 0) {
		an->save_poll_ms = now_mono_ms + ANCHOR_SAVE_POLL_MS;
		an->fork_failed = 0;
		return 0;
	}
	/* said once a streak (fork fails under memory pressure, again and
	 * again) */
	if (!an->fork_failed++)
		log_warn(rc, "starting the process that saves the state: saving in-line "
			 "until it works again");
	return save_inline(an, now_mono_ms, 0);
}

uint64_t anchor_state_next(const struct anchor *an, uint64_t now_mono_ms)
{
	/* an absolute time: a BU that rearms the timer must not put it off */
	if (bgsave_busy(&an->saver))
		return an->save_poll_ms > now_mono_ms ? an->save_poll_ms : now_mono_ms;
	return an->save_due_ms ? an->save_due_ms : UINT64_MAX;
}

/* ---- SIGHUP ---- */

struct orphan_ctx {
	struct anchor *an;
	struct binding **v;
	size_t n;
};

static void find_orphan(const struct binding *b, void *arg)
{
	struct orphan_ctx *c = arg;

	if (anchor_ident_find(c->an, b->nai) < 0)
		c->v[c->n++] = (struct binding *)b;
}

/* A home binding whose identity's address changed with the new set */
static void find_rehomed(const struct binding *b, void *arg)
{
	struct orphan_ctx *c = arg;
	const struct in6_addr *home = anchor_home_addr(c->an, b->ident);

	if (b->mode == ODM_MODE_HOME && (!home || memcmp(home, &b->hoa, sizeof(*home))))
		c->v[c->n++] = (struct binding *)b;
}

static void remap_one(const struct binding *b, void *arg)
{
	struct anchor *an = arg;
	long k = anchor_ident_find(an, b->nai);

	/* find_orphan removed those without an identity */
	((struct binding *)b)->ident = (size_t)k;
	an->ids[k].nbindings++;
}

/*
 * What a reload changed in the identities: one line each for those added,
 * removed, or given another key or spi (the NAIs come from the operator's
 * own file), at most ANCHOR_RELOAD_IDENT_LINES, then how many more. An
 * operator who replaced a key file sees the anchor took it; one who did
 * not mean to change a key sees which.
 */
#define ANCHOR_RELOAD_IDENT_LINES 8
static void say_identity_changes(struct anchor *an, const struct odm_identity *old_ids,
				 size_t n_old)
{
	const struct odm_config *cfg = an->cfg;
	unsigned said = 0, more = 0;
	/* each new identity's old one, + 1 (0: none): a lookup per old one,
	 * not a walk of the old ones per new one */
	size_t *was = calloc(cfg->n_identities + 1, sizeof(*was));

#define SAY_IDENT(...)                                   \
	do {                                             \
		if (said < ANCHOR_RELOAD_IDENT_LINES) {  \
			said++;                          \
			log_info(__VA_ARGS__);           \
		} else {                                 \
			more++;                          \
		}                                        \
	} while (0)
	if (!was) {
		log_warnx("the identities' changes not said: out of memory");
		return;
	}
	for (size_t j = 0; j < n_old; j++) {
		long k = anchor_ident_find(an, old_ids[j].nai);

		if (k >= 0)
			was[k] = j + 1;
	}
	for (size_t i = 0; i < cfg->n_identities; i++) {
		const struct odm_identity *o = was[i] ? &old_ids[was[i] - 1] : NULL;
		const struct odm_identity *id = &cfg->identities[i];
		int kchg, schg;

		if (!o) {
			SAY_IDENT("identity %s added (spi %u)", id->nai, id->spi);
			continue;
		}
		kchg = memcmp(o->key, id->key, sizeof(o->key)) != 0;
		schg = o->spi != id->spi;
		if (kchg || schg)
			SAY_IDENT("identity %s: %s changed (spi %u -> %u): its host's BUs must be "
				  "signed with the new one", id->nai,
				  kchg && schg ? "key and spi" : kchg ? "key" : "spi", o->spi, id->spi);
	}
	for (size_t j = 0; j < n_old; j++)
		if (anchor_ident_find(an, old_ids[j].nai) < 0)
			SAY_IDENT("identity %s removed, with its bindings", old_ids[j].nai);
#undef SAY_IDENT
	free(was);
	if (more)
		log_info("and %u more identity change(s)", more);
}

int anchor_state_rekey(struct anchor *an, const struct odm_identity *old_ids, size_t n_old)
{
	struct anchor_ident *ids = calloc(an->cfg->n_identities + 1, sizeof(*ids));
	struct orphan_ctx oc = { an, calloc(an->bc.count + 1, sizeof(struct binding *)), 0 };
	size_t n;

	/* the identities are others: their NAI index is made anew at the next
	 * lookup (the new array may lie where a freed one did) */
	free(an->by_nai);
	an->by_nai = NULL;
	if (!ids || !oc.v) {
		free(ids);
		free(oc.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < an->cfg->n_identities; i++)
		anchor_ident_init(&ids[i]);
	say_identity_changes(an, old_ids, n_old);
	/* an identity that is gone takes its bindings with it */
	bcache_foreach(&an->bc, find_orphan, &oc);
	for (size_t i = 0; i < oc.n; i++)
		anchor_release(an, oc.v[i], "identity removed by reload");
	free(oc.v);
	/* replay state follows the NAI, whatever its new position */
	for (size_t j = 0; j < n_old; j++) {
		long k = anchor_ident_find(an, old_ids[j].nai);

		if (k >= 0) {
			ids[k] = an->ids[j];
			ids[k].nbindings = 0;
		}
	}
	free(an->ids);
	an->ids = ids;
	bcache_foreach(&an->bc, remap_one, an);
	/* home addresses follow the set of identities (anchor_mode_home.c) */
	if (anchor_home_build(an) < 0)
		log_warnx("home addresses not derived after the reload");
	n = oc.n;
	oc.n = 0;
	oc.v = calloc(an->bc.count + 1, sizeof(struct binding *));
	if (oc.v) {
		bcache_foreach(&an->bc, find_rehomed, &oc);
		for (size_t i = 0; i < oc.n; i++)
			anchor_release(an, oc.v[i], "home address changed by reload");
		free(oc.v);
	}
	return (int)(n + oc.n);
}

void anchor_reload(struct odm_agent *a, const struct odm_identity *old_ids, size_t n_old)
{
	struct anchor *an = a->anchor;
	uint64_t now;
	int rc;

	if (!an)
		return;
	now = mono_ms();
	ratelimit_set(&an->answers, a->cfg.answer_rate, a->cfg.answer_burst);
	/* the addresses the rekey releases cool from now, not from the last BU */
	if (an->pooled)
		pool_clock(&an->pool, now);
	rc = anchor_state_rekey(an, old_ids, n_old);
	if (rc < 0) {
		log_err(rc, "re-keying after the reload");
		return;
	}
	/* in-line, after a save in a child (if one runs) has ended: never
	 * two writers of the file at once */
	anchor_state_touch(an, now);
	anchor_state_flush(an, now, 1);
	log_info("anchor reloaded: %zu identities, %zu binding(s) kept, %d ended", a->cfg.n_identities,
		 an->bc.count, rc);
}

/* ---- bindings a restart lost ---- */

void anchor_lost_be_prepare(struct anchor *an)
{
	volatile struct anchor_lost_slot *v;

	if (an->lost_be || an->lost_be_nomem)
		return;
	an->lost_be = calloc(ANCHOR_LOST_BE_SLOTS, sizeof(*an->lost_be));
	an->lost_be_nomem = !an->lost_be;
	/* every page written once: the table's memory is the process's from
	 * now on, not taken a page at a time as pairs come (which reads as a
	 * slow leak) */
	v = an->lost_be;
	for (size_t i = 0; v && i < ANCHOR_LOST_BE_SLOTS; i += 4096 / sizeof(*v))
		v[i].tag = 0;
}

/* Whether (inner, osrc) may be told now, noting it in its slot: a pair its
 * slot holds is told once per ANCHOR_LOST_BE_GAP_MS; a new one (it takes
 * the slot) when the limit shared by new pairs allows (anchor.h) */
static int lost_be_allowed(struct anchor *an, const struct in6_addr *inner,
			   const struct in6_addr *osrc, uint64_t now_ms)
{
	struct in6_addr pair[2] = { *inner, *osrc };
	uint64_t h = bcache_hash(&an->bc, pair, sizeof(pair));
	struct anchor_lost_slot *sl;
	uint32_t tag = (uint32_t)(h >> 32) | 1, now32 = (uint32_t)now_ms | 1;

	anchor_lost_be_prepare(an);
	if (!an->lost_be)
		return ratelimit_spaced(&an->lost_new_ms, ANCHOR_LOST_BE_GAP_MS, now_ms);
	sl = &an->lost_be[h & (ANCHOR_LOST_BE_SLOTS - 1)];
	if (sl->tag == tag) {
		/* seen before: its own limit (wrap-safe over 49 days), and the
		 * one all such pairs share */
		if (sl->told && now32 - sl->told < ANCHOR_LOST_BE_GAP_MS)
			return 0;
		if (!ratelimit_allow(&an->lost_seen, now_ms))
			return 0;
	} else {
		sl->tag = tag;
		sl->told = 0;
		if (!ratelimit_spaced(&an->lost_new_ms, ANCHOR_LOST_BE_GAP_MS, now_ms))
			return 0;
	}
	sl->told = now32;
	return 1;
}

int anchor_lost_be(struct anchor *an, const struct in6_addr *inner, const struct in6_addr *osrc,
		   uint64_t now_ms, uint8_t *buf, size_t cap)
{
	const struct binding *b;
	struct mh_msg be;
	int n;

	if (!((an->pooled && pool_contains(&an->pool, inner)) ||
	      anchor_in_access_prefix(an, inner)))
		return 0;
	b = bcache_find_hoa(&an->bc, inner);
	if (b && IN6_ARE_ADDR_EQUAL(&b->coa, osrc))
		return 0;
	/* only a care-of address can have lost its binding: an outer source
	 * no BU could make one (an address of the pool or an access prefix,
	 * the anchor's own, one not routable) is forged, or the host's own
	 * packet nested in its tunnel; told, a bound host would refresh for
	 * nothing, as often as the forger sends. What the configuration
	 * refuses first, so that such a flood takes no turn of the limit;
	 * the host's own addresses (is_local, a netlink dump at times) only
	 * for what the limit lets through, not for every forged packet */
	if (anchor_coa_check_cfg(an, osrc) != ANCHOR_COA_OK)
		return 0;
	if (!lost_be_allowed(an, inner, osrc, now_ms))
		return 0;
	if (anchor_coa_check(an, osrc, NULL, NULL) != ANCHOR_COA_OK)
		return 0;
	memset(&be, 0, sizeof(be));
	be.type = MH_TYPE_BE;
	be.status = MH_BE_UNKNOWN_HAO;
	be.be_home = *inner;
	n = mh_encode(&be, buf, cap, NULL, NULL, NULL, NULL, NULL);
	if (n < 0)
		return 0;
	an->cnt.be_tx++;
	an->lost_be_tx++;
	return n;
}

void anchor_lost_hook(void *arg, const struct in6_addr *inner, const struct in6_addr *osrc)
{
	struct anchor *an = arg;
	uint8_t buf[MH_MAX_LEN];
	char h[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN], more[64];
	int n, rc;

	if (!an->mh || !an->loop)
		return;
	n = anchor_lost_be(an, inner, osrc, mono_ms(), buf, sizeof(buf));
	if (n <= 0)
		return;
	rc = mhsock_send(an->mh, buf, (size_t)n, &an->cfg->address, osrc);
	/* a line a second at most: a flood of forged sources draws one
	 * Binding Error per packet */
	if (!ratelimit_spaced(&an->lost_log_ms, 1000, mono_ms())) {
		an->lost_unlogged++;
		return;
	}
	more[0] = '\0';
	if (an->lost_unlogged)
		snprintf(more, sizeof more, " (%" PRIu64 " more since the last line)",
			 an->lost_unlogged);
	log_info("tunnelled packet from %s (outer %s) has no binding%s: Binding Error status 1 %s%s",
		 ntop6(inner, h), ntop6(osrc, s),
		 bcache_find_hoa(&an->bc, inner) ? " to that care-of address" : "",
		 rc < 0 ? "NOT sent" : "sent", more);
	an->lost_unlogged = 0;
}
