/* SPDX-License-Identifier: MIT */
/* test_tsigkey.c — tsig-keygen(8) key files (odmagent/tsigkey.c) */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "tsigkey.h"

/* a made-up key of 32 bytes, written the way tsig-keygen writes one */
#define SECRET "3q2+796tvu/erb7v3q2+796tvu/erb7v3q2+796tvu8="
#define KEYGEN "key \"odm-test-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET "\";\n};\n"

static struct tsig_key k;
static char err[256];

static int parse(const char *s)
{
	return tsigkey_parse(&k, s, strlen(s), err, sizeof(err));
}

static void fails(const char *text, const char *want)
{
	cr_assert_eq(parse(text), -EINVAL, "accepted: %s", text);
	cr_assert(strstr(err, want), "for %s\n  got  \"%s\"\n  want \"...%s...\"", text, err, want);
	cr_assert_eq(k.secret[0], '\0', "a refused key left its secret behind");
}

Test(tsigkey, what_tsig_keygen_writes)
{
	cr_assert_eq(parse(KEYGEN), 0, "%s", err);
	cr_assert_str_eq(k.name, "odm-test-key.");
	cr_assert_str_eq(k.alg, "hmac-sha256");
	cr_assert_str_eq(k.secret, SECRET);
}

Test(tsigkey, layout_comments_and_name_forms)
{
	cr_assert_eq(parse("# made by hand\nkey host1.example.test. { secret \"" SECRET "\"; "
			   "/* any order */ algorithm HMAC-SHA512; } ; // end\n"), 0, "%s", err);
	cr_assert_str_eq(k.name, "host1.example.test.");
	cr_assert_str_eq(k.alg, "hmac-sha512");
	cr_assert_eq(parse("key \"k\"{algorithm \"hmac-sha384\";secret \"" SECRET "\";};"), 0,
		     "%s", err);
	cr_assert_str_eq(k.alg, "hmac-sha384");
}

/* a file whose words may be the secret itself: a bare base64 secret, an
 * MN-HA key file named by mistake; no message repeats such a word */
Test(tsigkey, errors_never_repeat_what_may_be_a_secret)
{
#define B64 "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"
	static const char *const files[] = {
		B64 "=\n",
		"0123456789abcdef0123456789abcdef\n",
		"key \"" B64 "=\" {};",
		"key \"k\" { algorithm hmac-sha256; secret \"" B64 "=\" " B64 "; };",
		"key \"k\" { " B64 "; };",
		"key \"k\" { algorithm " B64 "; };",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		cr_assert_eq(parse(files[i]), -EINVAL, "file %zu", i);
		cr_assert_not_null(strstr(err, "line 1"), "file %zu: %s", i, err);
		cr_assert_null(strstr(err, "0123456789"), "file %zu: %s", i, err);
		cr_assert_null(strstr(err, "c2VjcmV0"), "file %zu: %s", i, err);
	}
#undef B64
	/* a keyword-like word is still named */
	fails("zone \"x\" {};", "expected \"key\" (BIND's format), found \"zone\"");
}

Test(tsigkey, errors_name_the_line_and_the_word)
{
	fails("", "line 1: expected word, found end of file");
	fails("zone \"x\" {};", "expected \"key\" (BIND's format), found \"zone\"");
	fails("key \"bad name\" {};", "the key's name (8 characters) is not a DNS name");
	fails("key \"a..b\" {};", "is not a DNS name");
	fails("key \"k\" {\n algorithm hmac-md5;\n secret \"" SECRET "\";\n};",
	      "line 2: algorithm \"hmac-md5\" not supported");
	fails("key \"k\" {\n algorithm hmac-sha1;\n};", "line 2: algorithm \"hmac-sha1\"");
	fails("key \"k\" { algorithm hmac-sha256; };", "has no secret");
	fails("key \"k\" { secret \"" SECRET "\"; };", "has no algorithm");
	fails("key \"k\" { algorithm hmac-sha256; algorithm hmac-sha256; secret \"" SECRET "\"; };",
	      "algorithm given twice");
	fails("key \"k\" { algorithm hmac-sha256; secret " SECRET "; };", "in quotes");
	fails("key \"k\" { algorithm hmac-sha256; secret \"AAAA\"; };", "secret is 3 bytes");
	fails("key \"k\" { algorithm hmac-sha256; secret \"****\"; };", "character '*'");
	fails("key \"k\" { algorithm hmac-sha256; secret \"AB=A\"; };", "'=' inside");
	fails("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; owner x; };",
	      "unknown key field \"owner\"");
	fails(KEYGEN KEYGEN, "line 5: expected end of file, found word \"key\"");
	fails(KEYGEN "}", "expected end of file");
	fails("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; }", "expected ';'");
	fails("key \"k\n\" {};", "character 0x0a not allowed");
	fails("key \"k", "quoted string not closed");
	fails("/* key", "comment not closed");
	fails("key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; }; @", "unexpected character 0x40");
	{
		char nul[] = "key \"k\"\0{";

		cr_assert_eq(tsigkey_parse(&k, nul, sizeof(nul) - 1, err, sizeof(err)), -EINVAL);
		cr_assert(strstr(err, "NUL byte"), "%s", err);
	}
	{
		static char big[TSIGKEY_FILE_MAX + 2];

		memset(big, ' ', sizeof(big) - 1);
		cr_assert_eq(tsigkey_parse(&k, big, sizeof(big) - 1, err, sizeof(err)), -EINVAL);
		cr_assert(strstr(err, "larger than"), "%s", err);
	}
}
