/*
 * mh_auth.c — RFC 4285 MN-HA Mobility Message Authentication option
 * (RFC 4285 §5.1): Authenticator = First(96, HMAC-SHA1(key, CoA ‖ HoA ‖
 * MH data)), where MH data runs from Payload Proto through the option's SPI
 * with the checksum field zero. HMAC comes from OpenSSL's libcrypto.
 */
#include "mh_priv.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

int mh_auth_compute(const uint8_t *buf, size_t auth_off,
		    const uint8_t key[MH_AUTH_KEY_LEN],
		    const struct in6_addr *coa, const struct in6_addr *hoa,
		    uint8_t out[MH_AUTH_LEN])
{
	/* One contiguous copy keeps this to the one-shot HMAC() call, which
	 * (unlike HMAC_CTX) is not deprecated in OpenSSL 3; 2 KB is cheap. */
	uint8_t data[32 + MH_MAX_LEN];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t n = auth_off + MH_AUTH_SPI_END;

	if (n > MH_MAX_LEN)
		return MH_E_INVAL;
	memcpy(data, coa->s6_addr, 16);
	memcpy(data + 16, hoa->s6_addr, 16);
	memcpy(data + 32, buf, n);
	/* the checksum is not known yet on the sender, so it never counts */
	data[32 + MH_CKSUM_OFF] = 0;
	data[32 + MH_CKSUM_OFF + 1] = 0;
	if (!HMAC(EVP_sha1(), key, MH_AUTH_KEY_LEN, data, 32 + n, md, &md_len) ||
	    md_len < MH_AUTH_LEN)
		return MH_E_CRYPTO;
	memcpy(out, md, MH_AUTH_LEN);
	OPENSSL_cleanse(md, sizeof md);
	return 0;
}

/*
 * m must come from mh_decode() of this very buf; the option is re-checked
 * here anyway, so a mismatched pair cannot make us read out of bounds.
 */
static int auth_option_sane(const uint8_t *buf, size_t len,
			    const struct mh_msg *m)
{
	size_t off = m->auth_off;

	if (len > MH_MAX_LEN || off + MH_AUTH_OPT_TOTAL > len)
		return 0;
	return buf[off] == MH_OPT_AUTH && buf[off + 1] == MH_AUTH_OPT_LEN;
}

int mh_auth_verify(const uint8_t *buf, size_t len, const struct mh_msg *m,
		   const uint8_t key[MH_AUTH_KEY_LEN],
		   const struct in6_addr *auth_coa, const struct in6_addr *auth_hoa)
{
	uint8_t want[MH_AUTH_LEN];
	int rc;

	if (!buf || !m || !key || !auth_coa || !auth_hoa)
		return MH_E_INVAL;
	if (!(m->present & MH_HAS_AUTH))
		return MH_E_AUTH_MISSING;
	if (!auth_option_sane(buf, len, m))
		return MH_E_INVAL;
	/* MN-AAA (subtype 2) needs the AAA server; ODM has only MN-HA keys */
	if (buf[m->auth_off + 2] != MH_AUTH_SUBTYPE_MNHA)
		return MH_E_AUTH;
	rc = mh_auth_compute(buf, m->auth_off, key, auth_coa, auth_hoa, want);
	if (rc)
		return rc;
	/* constant time, so a forger learns nothing from how long we took */
	if (CRYPTO_memcmp(want, buf + m->auth_off + MH_AUTH_SPI_END,
			  MH_AUTH_LEN) != 0)
		return MH_E_AUTH;
	return 0;
}
