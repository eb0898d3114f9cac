/* SPDX-License-Identifier: MIT */
/* linewords.c — lines and words of the agent's text files (see linewords.h). */
#include <stdio.h>
#include <string.h>

#include "linewords.h"

/* Split line (modified in place) into words; '#' at a word's start ends it. */
static int split(char *line, char **w, int max, int *nw, struct linewords_bad *bad)
{
	int n = 0;
	char *c = line;

	for (;;) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c || *c == '#')
			break;
		if (n == max) {
			c[strcspn(c, " \t")] = '\0';
			bad->word = c;
			snprintf(bad->reason, sizeof(bad->reason), "too many words");
			return LINEWORDS_MANY;
		}
		w[n++] = c;
		while (*c && *c != ' ' && *c != '\t')
			c++;
		if (*c)
			*c++ = '\0';
	}
	*nw = n;
	return 1;
}

int linewords_next(const char *text, size_t len, size_t *pos, char *line, size_t cap,
		   char **w, int max, int *nw, struct linewords_bad *bad)
{
	const char *nl;
	size_t n;

	*nw = 0;
	if (*pos >= len)
		return 0;
	nl = memchr(text + *pos, '\n', len - *pos);
	n = nl ? (size_t)(nl - (text + *pos)) : len - *pos;
	bad->word = "line";
	if (n + 1 > cap) {
		*pos += n + (nl ? 1 : 0);
		snprintf(bad->reason, sizeof(bad->reason), "longer than %zu characters", cap - 1);
		return LINEWORDS_LONG;
	}
	memcpy(line, text + *pos, n);
	line[n] = '\0';
	*pos += n + (nl ? 1 : 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(bad->reason, sizeof(bad->reason),
				 "control character 0x%02x at column %zu%s", c, i + 1,
				 c == '\r' && i + 1 == n ? " (a DOS line ending: the file "
				 "wants Unix ones, e.g. by dos2unix)" : "");
			return LINEWORDS_CONTROL;
		}
	}
	return split(line, w, max, nw, bad);
}
