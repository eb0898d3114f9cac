/* SPDX-License-Identifier: MIT */
/*
 * anchor_mode_home.c — mode home (the Fixed address type): each identity
 * has one home address, the same at every registration, after the host
 * restarts and after the anchor restarts. The address is derived, not
 * stored: a hash of the NAI picks a point in the pool's prefix, so it
 * follows from the configuration alone and survives a lost or deleted
 * state directory, a new machine, or a second anchor configured alike.
 * A /96 or wider pool leaves 2^32 and more points; the pool's dynamic
 * range (the first ANCHOR_POOL_MAX offsets, which cha and Session-lasting
 * hand out), the RFC 2526 anycast top of the prefix and the anchor's own
 * address are skipped by taking the next candidate. Two configured
 * identities on one candidate (for a /64 and a million identities, odds of
 * about 3e-8) are told apart by the NAI: the lower one keeps it, the other
 * takes its next candidate; so the assignment depends on the set of
 * identities, never on their order in the file.
 *
 * The binding is the host's to keep: it refreshes it whether or not a
 * socket uses the address (servers must stay reachable); the anchor keeps
 * it for the lifetime granted, and a deregistration ends the binding but
 * not the assignment.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "anchor.h"
#include "anchor_mode.h"
#include "log.h"

#define HOME_ROUNDS_MAX 64 /* collision rounds; each moves at least one identity */

static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

int anchor_home_candidate(const struct in6_addr *prefix, uint8_t plen, const char *nai,
			  uint32_t k, const struct in6_addr *exclude, struct in6_addr *out)
{
	static const char tag[] = "odm-home";
	uint8_t buf[sizeof tag - 1 + 16 + 1 + 4 + MH_NAI_MAX], md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0, hb = 128u - plen;
	size_t n = strnlen(nai, MH_NAI_MAX), off = 0;
	uint64_t h = 0, mask;

	if (plen < 64 || plen > 96)
		return -EINVAL;
	memcpy(buf, tag, sizeof tag - 1);
	off = sizeof tag - 1;
	memcpy(buf + off, prefix->s6_addr, 16);
	off += 16;
	buf[off++] = plen;
	for (int i = 3; i >= 0; i--)
		buf[off++] = (uint8_t)(k >> (8 * i));
	memcpy(buf + off, nai, n);
	off += n;
	if (!EVP_Digest(buf, off, md, &md_len, EVP_sha256(), NULL) || md_len < 8)
		return -EIO;
	for (int i = 0; i < 8; i++)
		h = h << 8 | md[i];
	mask = hb >= 64 ? UINT64_MAX : (1ull << hb) - 1;
	h &= mask;
	/* the dynamic range (offset 0 included) and the anycast top */
	if (h <= ANCHOR_POOL_MAX || h > mask - 128)
		return -EINVAL;
	*out = *prefix;
	for (int i = 0; i < 8; i++)
		out->s6_addr[15 - i] |= (uint8_t)(h >> (8 * i));
	if (exclude && !memcmp(out, exclude, sizeof *out))
		return -EINVAL;
	return 0;
}

/* The next usable candidate for identity i from k[i] on */
static int next_candidate(struct anchor *an, size_t i, uint32_t *k)
{
	const struct odm_config *cfg = an->cfg;
	int rc;

	for (;; k[i]++) {
		rc = anchor_home_candidate(&cfg->pool, cfg->pool_plen, cfg->identities[i].nai, k[i],
					   &cfg->address, &an->home[i]);
		if (rc != -EINVAL)
			return rc;
		if (k[i] == UINT32_MAX)
			return -ENOSPC;
	}
}

static int by_addr_then_nai(const void *a, const void *b, void *arg)
{
	const struct anchor *an = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = memcmp(&an->home[i], &an->home[j], sizeof an->home[i]);

	return c ? c : strcmp(an->cfg->identities[i].nai, an->cfg->identities[j].nai);
}

int anchor_home_build(struct anchor *an)
{
	size_t n = an->cfg->n_identities;
	uint32_t *k = NULL;
	size_t *order = NULL;
	int rc = 0, moved = 1;

	free(an->home);
	an->home = NULL;
	if (!config_serves(an->cfg, ODM_MODE_HOME) || n == 0)
		return 0;
	an->home = calloc(n, sizeof *an->home);
	k = calloc(n, sizeof *k);
	order = calloc(n, sizeof *order);
	if (!an->home || !k || !order) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		order[i] = i;
		rc = next_candidate(an, i, k);
	}
	for (int round = 0; rc == 0 && moved; round++) {
		if (round == HOME_ROUNDS_MAX) {
			rc = -ELOOP;
			break;
		}
		moved = 0;
		qsort_r(order, n, sizeof *order, by_addr_then_nai, an);
		for (size_t j = 1; j < n && rc == 0; j++)
			if (!memcmp(&an->home[order[j]], &an->home[order[j - 1]],
				    sizeof an->home[0])) {
				k[order[j]]++;
				rc = next_candidate(an, order[j], k);
				moved = 1;
			}
	}
out:
	if (rc < 0) {
		log_warn(rc, "deriving the home addresses");
		free(an->home);
		an->home = NULL;
	}
	free(k);
	free(order);
	return rc;
}

const struct in6_addr *anchor_home_addr(const struct anchor *an, size_t ident)
{
	if (!an->home || ident >= an->cfg->n_identities)
		return NULL;
	return &an->home[ident];
}

static const struct in6_addr *home_target(const struct anchor *an, const struct mh_msg *bu,
					  long ident)
{
	return anchor_home_addr(an, (size_t)ident);
}

static uint8_t home_apply(struct anchor *an, const struct anchor_req *r, struct ba_plan *p)
{
	const struct mh_msg *bu = r->bu;
	const struct in6_addr *home = anchor_home_addr(an, (size_t)r->ident);
	struct binding *b, tmpl;
	uint16_t granted;
	uint64_t expires;

	if (!home || (memcmp(&bu->hnp, &any6, sizeof any6) && memcmp(&bu->hnp, home, sizeof *home)))
		return MH_BA_NOT_HA_FOR_MN;
	b = bcache_find_hoa(&an->bc, home);
	if (b && (b->ident != (size_t)r->ident || b->mode != ODM_MODE_HOME))
		return MH_BA_NOT_HA_FOR_MN; /* a restored binding of another kind */
	p->has_hoa = 1;
	p->hoa = *home;
	if (bu->lifetime == 0 || r->coa_is_hoa) {
		if (b)
			anchor_dereg(an, b, bu->seq, r->now_ms,
				     r->coa_is_hoa ? "care-of address = home address" : "deregistered");
		p->lifetime = 0;
		return MH_BA_ACCEPTED;
	}
	granted = anchor_grant(an, bu->lifetime);
	expires = r->now_ms + (uint64_t)mh_lifetime_seconds(granted) * 1000;
	if (b) {
		if (anchor_binding_update(an, b, bu, &bu->altcoa, granted, r->now_ms, expires) < 0)
			return MH_BA_INSUFFICIENT_RESOURCES;
	} else {
		/* a binding like any other for max-bindings (a restart's
		 * restore counts it so too) */
		if (anchor_quota_full(an, r->ident, r->now_ms))
			return MH_BA_INSUFFICIENT_RESOURCES;
		anchor_binding_tmpl(r, home, granted, ODM_MODE_HOME, &tmpl);
		tmpl.bid = 0; /* one home binding per identity: (NAI, 0) is its key */
		if (anchor_binding_add(an, &tmpl, &b) < 0)
			return MH_BA_INSUFFICIENT_RESOURCES;
	}
	p->lifetime = granted;
	return MH_BA_ACCEPTED;
}

/* The address stays the identity's: nothing to give back */
static void home_put_addr(struct anchor *an, const struct in6_addr *hoa)
{
}

static int home_take_addr(struct anchor *an, const struct in6_addr *hoa, size_t ident)
{
	const struct in6_addr *home = anchor_home_addr(an, ident);

	return home && !memcmp(home, hoa, sizeof *home) ? 0 : -EINVAL;
}

const struct anchor_mode_ops anchor_mode_home = {
	.mode = ODM_MODE_HOME,
	.per_address_route = 0,
	.target = home_target,
	.apply = home_apply,
	.put_addr = home_put_addr,
	.take_addr = home_take_addr,
};
