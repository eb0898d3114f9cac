/* SPDX-License-Identifier: MIT */
/*
 * hmac_reuse.c — HMAC() for the fuzz harnesses, linked into each of them
 * ahead of libcrypto's.
 *
 * OpenSSL 3's one-shot HMAC() fetches its digest and allocates and frees
 * its contexts on every call: about 5 µs under ASan (1.7 µs without), and
 * with three MACs per Binding Update step (the harness signs, the anchor
 * verifies, the anchor signs its BA) that was most of fuzz_anchor's time.
 * Here HMAC-SHA1 (RFC 2104) is computed with libcrypto's plain SHA-1
 * functions, the padded-key states kept for the last key; it is checked
 * against the RFC 2202 test vector before first use (a mismatch aborts).
 * Any other digest goes to libcrypto's own HMAC().
 */
/* SHA1_Init() and friends are deprecated in OpenSSL 3 but still there, and
 * they neither fetch nor allocate. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define SHA1_BLOCK 64
#define SHA1_LEN 20

typedef unsigned char *hmac_fn(const EVP_MD *, const void *, int, const unsigned char *, size_t,
			       unsigned char *, unsigned int *);

/* the hash states after the inner and outer padded key, for the last key */
static struct {
	int valid;
	size_t klen;
	unsigned char key[SHA1_BLOCK];
	SHA_CTX inner, outer;
} last;

static void load_key(const void *key, size_t klen)
{
	unsigned char k[SHA1_BLOCK] = { 0 }, pad[SHA1_BLOCK];

	if (last.valid && klen == last.klen && klen <= SHA1_BLOCK && memcmp(key, last.key, klen) == 0)
		return;
	if (klen > SHA1_BLOCK) {
		SHA1(key, klen, k);
		last.valid = 0;
	} else {
		memcpy(k, key, klen);
		memcpy(last.key, key, klen);
		last.klen = klen;
		last.valid = 1;
	}
	for (int i = 0; i < SHA1_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	SHA1_Init(&last.inner);
	SHA1_Update(&last.inner, pad, sizeof pad);
	for (int i = 0; i < SHA1_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA1_Init(&last.outer);
	SHA1_Update(&last.outer, pad, sizeof pad);
}

static int hmac_sha1(const void *key, size_t klen, const unsigned char *data, size_t dlen,
		     unsigned char *out)
{
	unsigned char inner[SHA1_LEN];
	SHA_CTX c;

	load_key(key, klen);
	c = last.inner;
	SHA1_Update(&c, data, dlen);
	SHA1_Final(inner, &c);
	c = last.outer;
	SHA1_Update(&c, inner, sizeof inner);
	SHA1_Final(out, &c);
	if (klen > SHA1_BLOCK)
		last.valid = 0;
	return 1;
}

/* RFC 2202 §3, test case 1 */
static void self_test(void)
{
	static const unsigned char want[SHA1_LEN] = {
		0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
		0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
	};
	unsigned char key[20], out[SHA1_LEN];

	memset(key, 0x0b, sizeof key);
	if (!hmac_sha1(key, sizeof key, (const unsigned char *)"Hi There", 8, out) ||
	    memcmp(out, want, sizeof want) != 0)
		abort();
}

unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data,
		    size_t data_len, unsigned char *md, unsigned int *md_len)
{
	hmac_fn *real;
	void *sym;

	static int tested;
	static const EVP_MD *sha1_md;

	if (!tested) {
		self_test();
		tested = 1;
	}
	/* EVP_MD_is_a() looks the name up (and allocates) on every call:
	 * the digest it accepted last is remembered */
	if (evp_md && evp_md != sha1_md && EVP_MD_is_a(evp_md, "SHA1"))
		sha1_md = evp_md;
	if (evp_md && md && key_len >= 0 && evp_md == sha1_md) {
		if (!hmac_sha1(key, (size_t)key_len, data, data_len, md))
			return NULL;
		if (md_len)
			*md_len = SHA1_LEN;
		return md;
	}
	sym = dlsym(RTLD_NEXT, "HMAC");
	if (!sym)
		abort();
	memcpy(&real, &sym, sizeof real);
	return real(evp_md, key, key_len, data, data_len, md, md_len);
}
