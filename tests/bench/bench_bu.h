/* SPDX-License-Identifier: MIT */
// SPDX-License-Identifier: MIT
/*
 * bench_bu.h — one authenticated Binding Update as the host agent sends
 * it for an anchored address (HNP ::, a Binding Identifier, Alternate CoA,
 * replay timestamp, MN-HA authenticator), for the anchor benchmarks.
 */
#ifndef ODM_BENCH_BU_H
#define ODM_BENCH_BU_H

#include <stdio.h>
#include <string.h>

#include "mh.h"

/* Encode into buf (cap bytes); the length, or MH_E_* (mh.h). */
static inline int bench_bu_encode(uint8_t *buf, size_t cap, const char *nai, uint32_t spi,
				  const uint8_t key[MH_AUTH_KEY_LEN], const struct in6_addr *coa,
				  uint16_t seq, uint16_t bid, uint16_t lifetime, uint64_t ts)
{
	struct mh_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BU;
	m.seq = seq;
	m.flags = MH_BU_A | MH_BU_H;
	m.lifetime = lifetime;
	m.present = MH_HAS_MNID | MH_HAS_AUTH | MH_HAS_ALTCOA | MH_HAS_REPLAY | MH_HAS_HNP |
		    MH_HAS_BID;
	m.altcoa = *coa;
	m.mnid_subtype = MH_MNID_SUBTYPE_NAI;
	snprintf(m.mnid, sizeof(m.mnid), "%s", nai);
	m.hnp_len = 128;
	m.hnp = in6addr_any;
	m.bid = bid;
	m.replay_ts = ts;
	m.auth_subtype = MH_AUTH_SUBTYPE_MNHA;
	m.auth_spi = spi;
	return mh_encode(&m, buf, cap, key, coa, &in6addr_any, NULL, NULL);
}

#endif
