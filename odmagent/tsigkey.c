/* SPDX-License-Identifier: MIT */
/*
 * tsigkey.c — parser of tsig-keygen(8) key files (see tsigkey.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "tsigkey.h"

enum tok_kind { T_END, T_WORD, T_STRING, T_LBRACE, T_RBRACE, T_SEMI };

struct lexer {
	const char *s, *end;
	unsigned line;
	char *err;
	size_t errlen;
	/* the current token */
	enum tok_kind kind;
	char text[TSIGKEY_NAME_MAX + 2 > 96 ? TSIGKEY_NAME_MAX + 2 : 96];
	unsigned tok_line;
};

static int lerr(struct lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int lerr(struct lexer *lx, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (lx->err && lx->errlen) {
		n = snprintf(lx->err, lx->errlen, "line %u: ", lx->tok_line);
		if (n < 0 || (size_t)n >= lx->errlen)
			return -EINVAL;
		va_start(ap, fmt);
		vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Blanks and comments; -EINVAL on an unterminated block comment. */
static int skip_blank(struct lexer *lx)
{
	while (lx->s < lx->end) {
		char c = *lx->s;

		if (c == '\n') {
			lx->line++;
			lx->s++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->s++;
		} else if (c == '#' || (c == '/' && lx->s + 1 < lx->end && lx->s[1] == '/')) {
			while (lx->s < lx->end && *lx->s != '\n')
				lx->s++;
		} else if (c == '/' && lx->s + 1 < lx->end && lx->s[1] == '*') {
			lx->tok_line = lx->line;
			lx->s += 2;
			for (;;) {
				if (lx->s + 1 >= lx->end)
					return lerr(lx, "comment not closed");
				if (lx->s[0] == '*' && lx->s[1] == '/')
					break;
				if (*lx->s == '\n')
					lx->line++;
				lx->s++;
			}
			lx->s += 2;
		} else {
			break;
		}
	}
	return 0;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* Reads the next token into lx->kind/text. */
static int next(struct lexer *lx)
{
	size_t n = 0;
	int r = skip_blank(lx);

	if (r < 0)
		return r;
	lx->tok_line = lx->line;
	lx->text[0] = '\0';
	if (lx->s == lx->end) {
		lx->kind = T_END;
		return 0;
	}
	switch (*lx->s) {
	case '{':
		lx->kind = T_LBRACE;
		lx->s++;
		return 0;
	case '}':
		lx->kind = T_RBRACE;
		lx->s++;
		return 0;
	case ';':
		lx->kind = T_SEMI;
		lx->s++;
		return 0;
	case '"':
		lx->s++;
		while (lx->s < lx->end && *lx->s != '"') {
			unsigned char c = (unsigned char)*lx->s;

			if (c == '\n' || c == '\\' || !isprint(c))
				return lerr(lx, "character 0x%02x not allowed in a quoted string", c);
			if (n + 1 >= sizeof(lx->text))
				return lerr(lx, "quoted string longer than %zu characters",
					    sizeof(lx->text) - 1);
			lx->text[n++] = (char)c;
			lx->s++;
		}
		if (lx->s == lx->end)
			return lerr(lx, "quoted string not closed");
		lx->s++;
		lx->text[n] = '\0';
		lx->kind = T_STRING;
		return 0;
	default:
		if (!word_char(*lx->s))
			return lerr(lx, "unexpected character 0x%02x", (unsigned char)*lx->s);
		while (lx->s < lx->end && word_char(*lx->s)) {
			if (n + 1 >= sizeof(lx->text))
				return lerr(lx, "word longer than %zu characters",
					    sizeof(lx->text) - 1);
			lx->text[n++] = *lx->s++;
		}
		lx->text[n] = '\0';
		lx->kind = T_WORD;
		return 0;
	}
}

static const char *kind_name(enum tok_kind k)
{
	static const char *const names[] = { "end of file", "word", "quoted string", "'{'",
					     "'}'", "';'" };
	return names[k];
}

/*
 * A word of the file fit to quote in a message: a keyword's length of
 * lowercase letters, digits and '-'. Anything else may be the secret
 * itself (a bare base64 secret, or an MN-HA key file named by mistake),
 * which no message repeats (odmagent.conf(5)): it is described instead.
 */
static const char *quotable(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 20)
		return NULL;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return NULL;
	return s - n;
}

static int expect(struct lexer *lx, enum tok_kind k)
{
	int r = next(lx);

	if (r < 0)
		return r;
	if (lx->kind != k) {
		const char *q = quotable(lx->text);

		if (!lx->text[0] || q)
			return lerr(lx, "expected %s, found %s%s%s%s", kind_name(k),
				    kind_name(lx->kind), q ? " \"" : "", q ? q : "", q ? "\"" : "");
		return lerr(lx, "expected %s, found %s of %zu characters (not repeated: it may "
			    "be a secret)", kind_name(k), kind_name(lx->kind), strlen(lx->text));
	}
	return 0;
}

/* A DNS name of letters, digits, '-' and '_' in labels of 1..63. */
static bool dns_name_ok(const char *s)
{
	size_t label = 0, total = strlen(s);

	if (total == 0 || total > TSIGKEY_NAME_MAX)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static int take_name(struct lexer *lx, struct tsig_key *k)
{
	size_t n = strlen(lx->text);
	int dot;

	if (n && lx->text[n - 1] == '.')
		lx->text[--n] = '\0';
	if (!dns_name_ok(lx->text))
		return lerr(lx, "the key's name (%zu characters) is not a DNS name of letters, "
			    "digits, '-' and '_'", n);
	dot = snprintf(k->name, sizeof(k->name), "%s.", lx->text);
	if (dot < 0 || (size_t)dot >= sizeof(k->name))
		return lerr(lx, "key name too long");
	return 0;
}

static int take_alg(struct lexer *lx, struct tsig_key *k)
{
	static const char *const ok[] = { "hmac-sha256", "hmac-sha384", "hmac-sha512" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcasecmp(lx->text, ok[i]) == 0) {
			snprintf(k->alg, sizeof(k->alg), "%s", ok[i]);
			return 0;
		}
	if (quotable(lx->text))
		return lerr(lx, "algorithm \"%s\" not supported (hmac-sha256, hmac-sha384 or "
			    "hmac-sha512)", lx->text);
	return lerr(lx, "the algorithm (%zu characters) is not hmac-sha256, hmac-sha384 or "
		    "hmac-sha512", strlen(lx->text));
}

static int take_secret(struct lexer *lx, struct tsig_key *k)
{
	unsigned char bin[96];
	size_t n = strlen(lx->text), pad = 0;
	int d;

	if (n == 0 || n % 4 != 0 || n >= sizeof(k->secret))
		return lerr(lx, "secret is not base64 of 16 to 64 bytes");
	for (size_t i = 0; i < n; i++) {
		char c = lx->text[i];

		if (c == '=') {
			if (i < n - 2)
				return lerr(lx, "secret is not base64: '=' inside");
			pad++;
		} else if (pad) {
			return lerr(lx, "secret is not base64: '=' inside");
		} else if (!(isalnum((unsigned char)c) || c == '+' || c == '/')) {
			return lerr(lx, "secret is not base64: character '%c'", c);
		}
	}
	d = EVP_DecodeBlock(bin, (const unsigned char *)lx->text, (int)n);
	if (d < 0)
		return lerr(lx, "secret is not base64");
	d -= (int)pad;
	OPENSSL_cleanse(bin, sizeof(bin));
	if (d < 16 || d > 64)
		return lerr(lx, "secret is %d bytes; 16 to 64 wanted", d);
	memcpy(k->secret, lx->text, n + 1);
	return 0;
}

int tsigkey_parse(struct tsig_key *k, const char *text, size_t len, char *err, size_t errlen)
{
	struct lexer lx = { .s = text, .end = text + len, .line = 1, .err = err,
			    .errlen = errlen, .tok_line = 1 };
	bool have_alg = false, have_secret = false;
	int r;

	memset(k, 0, sizeof(*k));
	if (err && errlen)
		err[0] = '\0';
	if (len > TSIGKEY_FILE_MAX)
		return lerr(&lx, "key file larger than %d bytes", TSIGKEY_FILE_MAX);
	if (memchr(text, '\0', len))
		return lerr(&lx, "NUL byte in key file");
	if ((r = expect(&lx, T_WORD)) < 0)
		return r;
	if (strcmp(lx.text, "key") != 0) {
		/* BIND's format: key NAME { algorithm A; secret "S"; }; */
		if (quotable(lx.text))
			return lerr(&lx, "expected \"key\" (BIND's format), found \"%s\"",
				    lx.text);
		return lerr(&lx, "expected \"key\" (BIND's format), found a word of %zu "
			    "characters (not repeated: it may be a secret)", strlen(lx.text));
	}
	if ((r = next(&lx)) < 0)
		return r;
	if (lx.kind != T_STRING && lx.kind != T_WORD)
		return lerr(&lx, "expected the key's name, found %s", kind_name(lx.kind));
	if ((r = take_name(&lx, k)) < 0 || (r = expect(&lx, T_LBRACE)) < 0)
		goto fail;
	for (;;) {
		bool is_alg;

		if ((r = next(&lx)) < 0)
			goto fail;
		if (lx.kind == T_RBRACE)
			break;
		if (lx.kind != T_WORD) {
			r = lerr(&lx, "expected algorithm, secret or '}', found %s", kind_name(lx.kind));
			goto fail;
		}
		is_alg = strcmp(lx.text, "algorithm") == 0;
		if (!is_alg && strcmp(lx.text, "secret") != 0) {
			if (quotable(lx.text))
				r = lerr(&lx, "unknown key field \"%s\" (algorithm or secret)",
					 lx.text);
			else
				r = lerr(&lx, "unknown key field of %zu characters (algorithm "
					 "or secret; not repeated: it may be a secret)",
					 strlen(lx.text));
			goto fail;
		}
		if (is_alg ? have_alg : have_secret) {
			r = lerr(&lx, "%s given twice", lx.text);
			goto fail;
		}
		if ((r = next(&lx)) < 0)
			goto fail;
		if (is_alg ? (lx.kind != T_WORD && lx.kind != T_STRING) : lx.kind != T_STRING) {
			r = lerr(&lx, "expected the %s%s, found %s", is_alg ? "algorithm" : "secret",
				 is_alg ? "" : " in quotes", kind_name(lx.kind));
			goto fail;
		}
		r = is_alg ? take_alg(&lx, k) : take_secret(&lx, k);
		if (r < 0 || (r = expect(&lx, T_SEMI)) < 0)
			goto fail;
		*(is_alg ? &have_alg : &have_secret) = true;
	}
	if (!have_alg || !have_secret) {
		r = lerr(&lx, "key \"%s\" has no %s", k->name, have_alg ? "secret" : "algorithm");
		goto fail;
	}
	if ((r = expect(&lx, T_SEMI)) < 0 || (r = expect(&lx, T_END)) < 0)
		goto fail;
	return 0;
fail:
	OPENSSL_cleanse(k, sizeof(*k));
	OPENSSL_cleanse(lx.text, sizeof(lx.text));
	return r;
}
