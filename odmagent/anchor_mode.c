/* SPDX-License-Identifier: MIT */
/*
 * anchor_mode.c — which mode a Binding Update is for. An anchor may serve
 * several modes at one address; the BU's Service Selection option (RFC
 * 5149: the host names the address type of odm.h it wants) and its Home
 * Network Prefix decide (anchor.h lists the rules and statuses).
 */
#include <string.h>

#include "anchor.h"
#include "anchor_mode.h"
#include "odm.h"
#include "tunnel_guard.h"

static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

const struct anchor_mode_ops *anchor_mode_ops(enum odm_anchor_mode mode)
{
	switch (mode) {
	case ODM_MODE_HOME:
		return &anchor_mode_home;
	case ODM_MODE_ACCESS:
		return &anchor_mode_access;
	case ODM_MODE_CHA:
	default:
		return &anchor_mode_cha;
	}
}

int anchor_in_access_prefix(const struct anchor *an, const struct in6_addr *a)
{
	const struct odm_config *cfg = an->cfg;

	if (!config_serves(cfg, ODM_MODE_ACCESS))
		return 0;
	for (size_t i = 0; i < cfg->n_access_prefixes; i++)
		if (tunnel_prefix_contains(&cfg->access_prefixes[i].addr,
					   cfg->access_prefixes[i].plen, a))
			return 1;
	return 0;
}

/* The odm.h type a Service Selection identifier names: ODM_TYPE_*, 0 when
 * the option is absent, -1 for anything else (compared octet for octet) */
static int service_type(const struct mh_msg *bu)
{
	char name[MH_SERVICE_MAX + 1];
	int t;

	if (!(bu->present & MH_HAS_SERVICE))
		return 0;
	if (memchr(bu->service, '\0', bu->service_len))
		return -1;
	memcpy(name, bu->service, bu->service_len);
	name[bu->service_len] = '\0';
	t = odm_type_from_name(name);
	return t > 0 ? t : -1;
}

const struct anchor_mode_ops *anchor_mode_select(const struct anchor *an,
						 const struct mh_msg *bu, long ident,
						 int *graceful, uint8_t *status)
{
	const struct odm_config *cfg = an->cfg;
	int type = service_type(bu);
	const struct in6_addr *home = anchor_home_addr(an, (size_t)ident);
	const struct binding *b;

	*graceful = type == ODM_TYPE_GRACEFUL_REPLACEMENT;
	*status = MH_BA_SERVICE_AUTH_FAILED;
	if (type < 0 || type == ODM_TYPE_NON_PERSISTENT)
		return NULL; /* a plain address needs no anchor */
	if (anchor_in_access_prefix(an, &bu->hnp)) {
		if (type == ODM_TYPE_FIXED)
			return NULL;
		return &anchor_mode_access;
	}
	if (!an->pooled) {
		/* an access anchor alone: only its own prefixes (RFC 6275 §6.1.8) */
		*status = MH_BA_NOT_HOME_SUBNET;
		return NULL;
	}
	switch (type) {
	case ODM_TYPE_FIXED:
		return home ? &anchor_mode_home : NULL;
	case ODM_TYPE_GRACEFUL_REPLACEMENT:
		/* only an access anchor keeps an address for a grace period */
		if (config_serves(cfg, ODM_MODE_ACCESS))
			*status = MH_BA_NOT_HOME_SUBNET;
		return NULL;
	case ODM_TYPE_SESSION_LASTING:
		/* a home anchor is the last resort for Session-lasting: it hands
		 * out pool addresses as a CHA does */
		return &anchor_mode_cha;
	default:
		break;
	}
	/* no Service Selection: what the address is, or the first pool mode */
	if (!memcmp(&bu->hnp, &any6, sizeof any6))
		return config_serves(cfg, ODM_MODE_CHA) ? &anchor_mode_cha : &anchor_mode_home;
	b = bcache_find_hoa(&an->bc, &bu->hnp);
	if (b)
		return anchor_mode_ops(b->mode);
	if (home && !memcmp(home, &bu->hnp, sizeof *home))
		return &anchor_mode_home;
	return &anchor_mode_cha;
}

const struct anchor_mode_ops *anchor_mode_of(const struct anchor *an, const struct in6_addr *hoa,
					     size_t ident)
{
	const struct in6_addr *home = anchor_home_addr(an, ident);

	if (anchor_in_access_prefix(an, hoa))
		return &anchor_mode_access;
	if (!an->pooled || !tunnel_prefix_contains(&an->cfg->pool, an->cfg->pool_plen, hoa))
		return NULL;
	if (home && !memcmp(home, hoa, sizeof *home))
		return &anchor_mode_home;
	return &anchor_mode_cha;
}
