/* SPDX-License-Identifier: MIT */
/* chasearch.c — the names and the end of a cha.<host> search (see chasearch.h). */
#include <stdio.h>
#include <string.h>

#include "chasearch.h"

/* "cha." + node [+ "." + domain] into out; 0 if longer than a DNS name */
static int one_name(const char *node, const char *domain, char *out)
{
	size_t len;
	int w;

	if (domain)
		w = snprintf(out, CHASEARCH_NAME_MAX, "cha.%s.%s", node, domain);
	else
		w = snprintf(out, CHASEARCH_NAME_MAX, "cha.%s", node);
	if (w < 0 || (size_t)w >= CHASEARCH_NAME_MAX)
		return 0;
	len = (size_t)w;
	/* a final dot is the root's, not part of the 253 */
	if (len > 0 && out[len - 1] == '.')
		len--;
	return len <= 253;
}

size_t chasearch_names(const char *node, const char *const *domains, size_t ndomains, int ndots,
		       char (*out)[CHASEARCH_NAME_MAX], size_t max)
{
	size_t n = 0, dots = 0, len;
	int as_is_first;

	if (!node || !*node)
		return 0;
	len = strlen(node);
	if (node[len - 1] == '.') {
		/* rooted: the name as it is, nothing else */
		return max > 0 && one_name(node, NULL, out[0]) ? 1 : 0;
	}
	for (const char *p = node; *p; p++)
		dots += *p == '.';
	/* the list ends at a name longer than a DNS name may be */
	as_is_first = ndots >= 0 && dots >= (size_t)ndots;
	if (as_is_first && n < max && !one_name(node, NULL, out[n++]))
		return n - 1;
	for (size_t i = 0; i < ndomains && n < max; i++)
		if (domains[i] && *domains[i] && !one_name(node, domains[i], out[n++]))
			return n - 1;
	if (!as_is_first && n < max && !one_name(node, NULL, out[n++]))
		return n - 1;
	return n;
}

enum chasearch_verdict chasearch_step(struct chasearch *s, enum chasearch_answer a, int last)
{
	switch (a) {
	case CHASEARCH_FOUND:
		return CHASEARCH_IS;
	case CHASEARCH_NODATA:
		s->nodata = 1;
		break;
	case CHASEARCH_NXDOMAIN:
		break;
	case CHASEARCH_SERVFAIL:
		s->failed = 1;
		break;
	default:
		s->failed = 1;
		last = 1; /* refused, no answer: the search ends here */
		break;
	}
	if (!last)
		return CHASEARCH_GO_ON;
	if (s->nodata)
		return CHASEARCH_NONE;
	return s->failed ? CHASEARCH_UNKNOWN : CHASEARCH_NONE;
}
