/* SPDX-License-Identifier: MIT */
/* anchor_journal.c — see anchor_journal.h */
#include "anchor_journal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nai_ok(const char *s, size_t len)
{
	if (len == 0 || len > MH_NAI_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

int aj_format(const struct in6_addr *hoa, uint16_t seq, const char *nai, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (!nai_ok(nai, strlen(nai)))
		return -EINVAL;
	inet_ntop(AF_INET6, hoa, a, sizeof(a));
	n = snprintf(buf, cap, "%s %u %s\n", a, (unsigned)seq, nai);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* one line (no newline) into e: 0, or -EINVAL with why */
static int parse_line(const char *s, size_t len, struct aj_entry *e, const char **why)
{
	const char *sp1 = memchr(s, ' ', len), *sp2, *p;
	char a[INET6_ADDRSTRLEN];
	unsigned long seq = 0;

	if (!sp1 || (size_t)(sp1 - s) >= sizeof(a)) {
		*why = "no address";
		return -EINVAL;
	}
	memcpy(a, s, (size_t)(sp1 - s));
	a[sp1 - s] = '\0';
	if (inet_pton(AF_INET6, a, &e->hoa) != 1) {
		*why = "not an IPv6 address";
		return -EINVAL;
	}
	p = sp1 + 1;
	sp2 = memchr(p, ' ', len - (size_t)(p - s));
	if (!sp2 || sp2 == p || sp2 - p > 5 || (sp2 - p > 1 && *p == '0')) {
		*why = "no sequence number";
		return -EINVAL;
	}
	for (; p < sp2; p++) {
		if (*p < '0' || *p > '9') {
			*why = "no sequence number";
			return -EINVAL;
		}
		seq = seq * 10 + (unsigned long)(*p - '0');
	}
	if (seq > UINT16_MAX) {
		*why = "sequence number past 65535";
		return -EINVAL;
	}
	e->seq = (uint16_t)seq;
	p = sp2 + 1;
	if (!nai_ok(p, len - (size_t)(p - s))) {
		*why = "no NAI";
		return -EINVAL;
	}
	memcpy(e->nai, p, len - (size_t)(p - s));
	e->nai[len - (size_t)(p - s)] = '\0';
	return 0;
}

int aj_parse(const char *text, size_t len, struct aj_entry **out, size_t *n, char *err,
	     size_t errlen)
{
	struct aj_entry *v = NULL, *nv;
	size_t k = 0, cap = 0, line = 0, off = 0;
	const char *why;

	while (off < len) {
		const char *s = text + off, *nl = memchr(s, '\n', len - off);

		if (!nl)
			break; /* cut short: left out */
		line++;
		if (k == AJ_MAX) {
			snprintf(err, errlen, "line %zu: more than %d lines", line, AJ_MAX);
			free(v);
			return -EINVAL;
		}
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		if (parse_line(s, (size_t)(nl - s), &v[k], &why) < 0) {
			snprintf(err, errlen, "line %zu: %s", line, why);
			free(v);
			return -EINVAL;
		}
		k++;
		off = (size_t)(nl - text) + 1;
	}
	*out = v;
	*n = k;
	return 0;
}
