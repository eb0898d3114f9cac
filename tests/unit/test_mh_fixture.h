/* SPDX-License-Identifier: MIT */
/*
 * test_mh_fixture.h — shared inputs for the test_mh_*.c files: one message
 * of each type with every option, and the addresses and key it is signed
 * with. The values match tests/unit/vectors/mh_vectors.py; change both
 * together. Header-only (static inline) because every file of tests/unit
 * becomes part of one binary.
 */
#ifndef TEST_MH_FIXTURE_H
#define TEST_MH_FIXTURE_H

#include <arpa/inet.h>
#include <string.h>

#include "mh.h"

#define FX_COA "2001:db8:1::100"
#define FX_HOA "2001:db8:2::5"
#define FX_HA "2001:db8:2::1"
#define FX_NAI "mn1@example.org"
#define FX_SPI 0x100u
#define FX_UNIX 1700000000ull
#define FX_NTP_OFFSET 2208988800ull

static inline struct in6_addr fx_addr(const char *text)
{
	struct in6_addr a;

	memset(&a, 0, sizeof a);
	if (inet_pton(AF_INET6, text, &a) != 1)
		memset(&a, 0xee, sizeof a); /* makes a typo visible at once */
	return a;
}

static inline const uint8_t *fx_key(void)
{
	static const uint8_t key[MH_AUTH_KEY_LEN] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	};
	return key;
}

/* Every option, filled as in mh_vectors.py */
static inline void fx_all_options(struct mh_msg *m)
{
	m->present = MH_HAS_BRA | MH_HAS_ALTCOA | MH_HAS_HNP | MH_HAS_BID |
		     MH_HAS_MNID | MH_HAS_TIMESTAMP | MH_HAS_REPLAY |
		     MH_HAS_AUTH;
	m->bra_refresh = 75;
	m->altcoa = fx_addr(FX_COA);
	m->bid = 1;
	m->bid_status = 0;
	m->bid_flags = 0x80;
	m->mnid_subtype = MH_MNID_SUBTYPE_NAI;
	strcpy(m->mnid, FX_NAI);
	m->mnid_len = (uint8_t)strlen(FX_NAI);
	m->timestamp = FX_UNIX << 16 | 0x8000;
	m->replay_ts = (FX_UNIX + FX_NTP_OFFSET) << 32 | 0x40000000u;
	m->auth_subtype = MH_AUTH_SUBTYPE_MNHA;
	m->auth_spi = FX_SPI;
}

static inline void fx_bu(struct mh_msg *m)
{
	memset(m, 0, sizeof *m);
	m->type = MH_TYPE_BU;
	m->seq = 0x1234;
	m->flags = MH_BU_A | MH_BU_H;
	m->lifetime = 150;
	fx_all_options(m);
	m->hnp_len = 128; /* ::/128: "allocate a prefix for me" */
}

static inline void fx_ba(struct mh_msg *m)
{
	memset(m, 0, sizeof *m);
	m->type = MH_TYPE_BA;
	m->status = MH_BA_ACCEPTED;
	m->seq = 0x1234;
	m->lifetime = 150;
	fx_all_options(m);
	m->hnp_len = 64;
	m->hnp = fx_addr("2001:db8:100::");
}

/* Encode a BU (CoA -> HA) or a BA (HA -> CoA) signed with the fixture key */
static inline int fx_encode(const struct mh_msg *m, uint8_t *buf, size_t cap)
{
	struct in6_addr coa = fx_addr(FX_COA), hoa = fx_addr(FX_HOA);
	struct in6_addr ha = fx_addr(FX_HA);
	int is_ba = m->type == MH_TYPE_BA;

	return mh_encode(m, buf, cap, fx_key(), &coa, &hoa,
			 is_ba ? &ha : &coa, is_ba ? &coa : &ha);
}

#endif
