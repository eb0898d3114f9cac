/* SPDX-License-Identifier: MIT */
/*
 * tsigkey.h — a TSIG key (RFC 8945) as BIND's tsig-keygen(8) writes it:
 *
 *   key "NAME" {
 *           algorithm hmac-sha256;
 *           secret "BASE64";
 *   };
 *
 * Strict: exactly one key clause, each field once, a DNS name, an HMAC-SHA2
 * algorithm (MD5 and SHA-1 are refused), a base64 secret of 16 to 64 bytes.
 * Comments (#, // and C-style blocks) and any layout of blanks are accepted. Errors name
 * the line and the bad word.
 */
#ifndef ODM_TSIGKEY_H
#define ODM_TSIGKEY_H

#include <stddef.h>

#define TSIGKEY_FILE_MAX 4096
#define TSIGKEY_NAME_MAX 253

struct tsig_key {
	char name[TSIGKEY_NAME_MAX + 2];  /* fully qualified: ends with '.' */
	char alg[16];                     /* "hmac-sha256" etc., without the dot */
	char secret[96];                  /* base64, as ldns wants it */
};

/* 0, or -EINVAL with a message "line N: ..." in err. */
int tsigkey_parse(struct tsig_key *k, const char *text, size_t len, char *err, size_t errlen);

#endif
