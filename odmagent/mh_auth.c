/* SPDX-License-Identifier: MIT */
/*
 * mh_auth.c — RFC 4285 MN-HA Mobility Message Authentication option
 * (RFC 4285 §5.1): Authenticator = First(96, HMAC-SHA1(key, CoA ‖ HoA ‖
 * MH data)), where MH data runs from Payload Proto through the option's SPI
 * with the checksum field zero. HMAC comes from OpenSSL's libcrypto.
 */
#include "mh_priv.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

/*
 * HMAC-SHA1 (RFC 2104) over EVP digests with SHA-1 fetched once: OpenSSL
 * 3's one-shot HMAC() looks the algorithm up by name on every call, which
 * made it most of an anchor's time per Binding Update (two per BU).
 */
#define SHA1_BLOCK 64
#define SHA1_LEN 20

static EVP_MD *sha1_md;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void sha1_fetch(void)
{
	sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
}

/* SHA-1 of pad (one block) followed by the n parts. */
static int sha1_of(EVP_MD_CTX *c, const uint8_t pad[SHA1_BLOCK], const uint8_t **part,
		   const size_t *len, int n, uint8_t out[SHA1_LEN])
{
	if (!EVP_DigestInit_ex(c, sha1_md, NULL) || !EVP_DigestUpdate(c, pad, SHA1_BLOCK))
		return 0;
	for (int i = 0; i < n; i++)
		if (len[i] && !EVP_DigestUpdate(c, part[i], len[i]))
			return 0;
	return EVP_DigestFinal_ex(c, out, NULL);
}

int mh_auth_compute(const uint8_t *buf, size_t auth_off,
		    const uint8_t key[MH_AUTH_KEY_LEN],
		    const struct in6_addr *coa, const struct in6_addr *hoa,
		    uint8_t out[MH_AUTH_LEN])
{
	static const uint8_t zero[2];
	uint8_t ipad[SHA1_BLOCK], opad[SHA1_BLOCK], inner[SHA1_LEN], md[SHA1_LEN];
	size_t n = auth_off + MH_AUTH_SPI_END;
	/* the checksum is not known yet on the sender, so it never counts */
	const uint8_t *part[5] = { coa->s6_addr, hoa->s6_addr, buf, zero,
				   buf + MH_CKSUM_OFF + 2 };
	size_t len[5] = { 16, 16, MH_CKSUM_OFF, 2, 0 };
	const uint8_t *ipart[1] = { inner };
	size_t ilen[1] = { SHA1_LEN };
	EVP_MD_CTX *c;
	int ok;

	if (n > MH_MAX_LEN || n < MH_CKSUM_OFF + 2)
		return MH_E_INVAL;
	len[4] = n - MH_CKSUM_OFF - 2;
	pthread_once(&sha1_once, sha1_fetch);
	if (!sha1_md || !(c = EVP_MD_CTX_new()))
		return MH_E_CRYPTO;
	/* The key (16 octets) is shorter than a block: zero-padded, no hashing. */
	memset(ipad, 0x36, sizeof ipad);
	memset(opad, 0x5c, sizeof opad);
	for (int i = 0; i < MH_AUTH_KEY_LEN; i++) {
		ipad[i] ^= key[i];
		opad[i] ^= key[i];
	}
	ok = sha1_of(c, ipad, part, len, 5, inner) && sha1_of(c, opad, ipart, ilen, 1, md);
	EVP_MD_CTX_free(c);
	if (ok)
		memcpy(out, md, MH_AUTH_LEN);
	OPENSSL_cleanse(ipad, sizeof ipad);
	OPENSSL_cleanse(opad, sizeof opad);
	OPENSSL_cleanse(inner, sizeof inner);
	OPENSSL_cleanse(md, sizeof md);
	return ok ? 0 : MH_E_CRYPTO;
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
