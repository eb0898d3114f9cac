/* SPDX-License-Identifier: MIT */
/*
 * mh_priv.h — internals shared by the Mobility Header codec's own files
 * (mh.c, mh_auth.c, cksum.c). Not part of the contract in mh.h; nothing but
 * the codec's own files should include it.
 */
#ifndef ODM_MH_PRIV_H
#define ODM_MH_PRIV_H

#include "mh.h"

#define MH_PAYLOAD_PROTO 59 /* IPPROTO_NONE */
#define MH_CKSUM_OFF 4

/* Auth option: Type, Length, Subtype, SPI (4), Authenticator (12) */
#define MH_AUTH_OPT_LEN 17                 /* the Length byte */
#define MH_AUTH_SPI_END 7                  /* from the Type byte: end of SPI */
#define MH_AUTH_OPT_TOTAL (2 + MH_AUTH_OPT_LEN)

/*
 * MN-HA authenticator of the message in buf whose auth option starts at
 * auth_off: First(96, HMAC-SHA1(key, coa ‖ hoa ‖ buf[0 .. auth_off+7)))
 * with the checksum field taken as zero. The caller guarantees
 * auth_off + MH_AUTH_SPI_END <= MH_MAX_LEN and that many bytes exist.
 * Returns 0 or MH_E_CRYPTO.
 */
int mh_auth_compute(const uint8_t *buf, size_t auth_off,
		    const uint8_t key[MH_AUTH_KEY_LEN],
		    const struct in6_addr *coa, const struct in6_addr *hoa,
		    uint8_t out[MH_AUTH_LEN]);

#endif
