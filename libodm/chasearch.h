/* SPDX-License-Identifier: MIT */
/*
 * chasearch.h — the names cha.<host> is asked under, in the order the C
 * library's resolver searched <host> (resolv.conf(5) search and ndots,
 * res_search(3)), and when that search ends and with what. Pure: the
 * caller (chalookup.c) asks each name with c-ares and reports its answer.
 *
 * The shim asks the names itself rather than with c-ares' own search,
 * which ends at the first answer other than "no such name", "no such
 * record" or "server failure": a short name whose cha.<host>.<domain> has
 * no AAAA record (an A record only) went on to cha.<host> as it is, which
 * a DNS that serves only its own zones refuses, and the search ended
 * refused: the answer, known, was taken for none at all. The C library's
 * res_search(3) keeps the "no such record" it met on the way (glibc's
 * got_nodata) and answers it when the search ends without a record.
 */
#ifndef ODM_CHASEARCH_H
#define ODM_CHASEARCH_H

#include <stddef.h>

/* a DNS name's longest text form, 253 characters (RFC 1035 §2.3.4), and
 * its terminating dot and NUL */
#define CHASEARCH_NAME_MAX 255
/* the names of one search: resolv.conf(5)'s search list has 6 domains at
 * most (glibc's MAXDNSRCH), and the name as it is */
#define CHASEARCH_MAX 8

/*
 * "cha." + each name res_search(3) tries for node, into out (max of them):
 * node alone when it ends with a dot; else node with each domain after it,
 * and node as it is, first when node has at least ndots dots, last
 * otherwise. The list ends before a name longer than a DNS name may be (no
 * record can be there: the search ends there, odm(7)). How many; 0 for a
 * NULL or empty node.
 */
size_t chasearch_names(const char *node, const char *const *domains, size_t ndomains, int ndots,
		       char (*out)[CHASEARCH_NAME_MAX], size_t max);

/* One name's answer, as its AAAA query came back */
enum chasearch_answer {
	CHASEARCH_FOUND,    /* AAAA records */
	CHASEARCH_NODATA,   /* the name is there, with no AAAA record */
	CHASEARCH_NXDOMAIN, /* no such name */
	CHASEARCH_SERVFAIL, /* the server failed (the next name is asked) */
	CHASEARCH_FAILED,   /* no answer, refused...: the search ends */
};

/* What the search knows: the "no such record" and the failures met */
struct chasearch {
	int nodata;
	int failed;
};

/* The search's end */
enum chasearch_verdict {
	CHASEARCH_GO_ON,  /* ask the next name */
	CHASEARCH_IS,     /* the answer is the last name's records */
	CHASEARCH_NONE,   /* no cha: no record under any name */
	CHASEARCH_UNKNOWN /* no answer to rely on */
};

/*
 * s took answer a for its name, last when no name comes after it. A found
 * record ends the search (CHASEARCH_IS); "no such name" and "no such
 * record" go on to the next name, and so does a server failure; anything
 * else ends it. At the end, a "no such record" met on the way is the
 * answer (CHASEARCH_NONE), as res_search(3) answers NO_DATA; else a failure
 * met leaves it CHASEARCH_UNKNOWN, and otherwise there is none.
 */
enum chasearch_verdict chasearch_step(struct chasearch *s, enum chasearch_answer a, int last);

#endif
