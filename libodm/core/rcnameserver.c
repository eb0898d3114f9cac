/* SPDX-License-Identifier: MIT */
/* rcnameserver.c — the nameserver lines of a resolv.conf (see rcnameserver.h). */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "rcnameserver.h"

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* one line (n bytes, no newline) into *ns: 1 if it names a server */
static int one_line(const char *l, size_t n, struct rcns *ns)
{
	static const char kw[] = "nameserver";
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	size_t i = sizeof(kw) - 1, a;
	const char *pct;

	if (n <= i || memcmp(l, kw, i) != 0 || !blank(l[i]))
		return 0;
	while (i < n && blank(l[i]))
		i++;
	for (a = i; i < n && !blank(l[i]) && l[i] != '\r'; i++)
		;
	if (i == a || i - a >= sizeof(addr))
		return 0;
	memcpy(addr, l + a, i - a);
	addr[i - a] = '\0';
	memset(ns, 0, sizeof(*ns));
	if (inet_pton(AF_INET, addr, &ns->a4) == 1) {
		ns->family = AF_INET;
		return 1;
	}
	pct = strchr(addr, '%');
	if (pct) {
		size_t sl = strlen(pct + 1);

		if (sl == 0 || sl >= sizeof(ns->scope))
			return 0;
		memcpy(ns->scope, pct + 1, sl + 1);
		addr[pct - addr] = '\0';
	}
	if (inet_pton(AF_INET6, addr, &ns->a6) != 1)
		return 0;
	ns->family = AF_INET6;
	return 1;
}

size_t rcns_parse(const char *text, size_t len, struct rcns *out, size_t max)
{
	size_t n = 0, at = 0;

	while (at < len && n < max) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (text + at)) : len - at;

		n += (size_t)one_line(text + at, l, &out[n]);
		at += l + 1;
	}
	return n;
}
