/* SPDX-License-Identifier: MIT */
/* rcoptions.c — a resolv.conf's options the shim follows (see rcoptions.h). */
#include <string.h>

#include "rcoptions.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int rcopt_use_vc_in(const char *s, size_t len)
{
	static const char opt[] = "use-vc";
	size_t i = 0;

	while (i < len) {
		size_t a;

		while (i < len && blank(s[i]))
			i++;
		for (a = i; i < len && !blank(s[i]); i++)
			;
		if (i - a == sizeof(opt) - 1 && memcmp(s + a, opt, i - a) == 0)
			return 1;
	}
	return 0;
}

int rcopt_use_vc(const char *text, size_t len)
{
	static const char kw[] = "options";
	const size_t k = sizeof(kw) - 1;
	size_t at = 0;

	while (at < len) {
		const char *l = text + at, *nl = memchr(l, '\n', len - at);
		size_t n = nl ? (size_t)(nl - l) : len - at;

		if (n > k && memcmp(l, kw, k) == 0 && (l[k] == ' ' || l[k] == '\t') &&
		    rcopt_use_vc_in(l + k, n - k))
			return 1;
		at += n + 1;
	}
	return 0;
}
