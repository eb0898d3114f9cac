/* SPDX-License-Identifier: MIT */
/*
 * linewords.h — the text form shared by odmagent.conf and the policy file
 * (odm-policy(5)): lines of at most a given length, no control character
 * but the tab, words separated by blanks (space, tab), a '#' at the start
 * of a word beginning a comment to the end of the line. Pure: the callers
 * read their files and word their own errors as FILE:LINE: WORD: reason.
 */
#ifndef ODM_LINEWORDS_H
#define ODM_LINEWORDS_H

#include <stddef.h>

enum linewords_err {
	LINEWORDS_LONG = -1,    /* a line over the limit */
	LINEWORDS_CONTROL = -2, /* a control character in it */
	LINEWORDS_MANY = -3,    /* more words than the caller takes */
};

/* Where a line went wrong, for the caller's message. */
struct linewords_bad {
	const char *word;      /* the word to name: "line", or the first word too many */
	char reason[128];       /* e.g. "control character 0x01 at column 5" */
};

/*
 * The next line of text[0..len) from *pos (advanced past it and its '\n')
 * copied into line (cap bytes: lines of up to cap - 1 characters) and split
 * in place into at most max words w[0..*nw). Returns 1 for a line (which
 * may hold no word), 0 at the end of the text, or a linewords_err with bad
 * filled (*pos is past the line then too).
 */
int linewords_next(const char *text, size_t len, size_t *pos, char *line, size_t cap,
		   char **w, int max, int *nw, struct linewords_bad *bad);

#endif
