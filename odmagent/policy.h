/* SPDX-License-Identifier: MIT */
/*
 * policy.h — which address types a program may have, and which one it gets
 * when it does not ask (RFC 8653 §3.3: the host's policy decides for
 * programs that do not use the API). The parser and the decision are pure:
 * no I/O, nothing read from the process; the caller (policy_agent.c) brings
 * the requester's kernel credentials. man/odm-policy.5 is the reference.
 *
 * The file: one directive per line, words separated by blanks, '#' starts a
 * comment. Global directives, each at most once, anywhere in the file:
 *
 *   default TYPE              type for programs that do not ask for one
 *                             (absent: odmagent.conf's default-type)
 *   allow TYPE[,TYPE...]|all  the types a program may have (absent: all)
 *   quota N|none              live leases per uid (absent: none, no limit)
 *
 * and rules, in order, the first that matches deciding alone:
 *
 *   rule MATCH... [default TYPE] [allow LIST] [quota N|none]
 *
 * MATCH is one or more of "exe PATTERN" (an absolute path where '*' matches
 * any run of characters and '?' one, matched against /proc/PID/exe of the
 * requester; no other wildcard, unlike fnmatch(3)), "uid N" and
 * "gid N" (numeric; gid matches the primary or any supplementary group).
 * Every MATCH of a rule must hold. What a rule does not say comes from the
 * global directives. Non-persistent is always allowed: it needs nothing
 * from the network, so there is nothing to withhold. A default that its
 * allow set does not contain is an error.
 *
 * Errors name FILE:LINE: WORD and the reason, like odmagent.conf's.
 */
#ifndef ODM_POLICY_H
#define ODM_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define POLICY_FILE_MAX (256 * 1024) /* bytes */
#define POLICY_LINE_MAX 1024         /* characters in a line */
#define POLICY_RULES_MAX 1024
#define POLICY_QUOTA_MAX 65535u
#define POLICY_NO_QUOTA UINT32_MAX   /* quota none */

/* Bit of type t in an allow mask */
#define POLICY_BIT(t) (1u << (t))
#define POLICY_ALL_TYPES                                                                  \
	(POLICY_BIT(1) | POLICY_BIT(2) | POLICY_BIT(3) | POLICY_BIT(4))

struct policy_rule {
	unsigned line;      /* where it stands in the file */
	char *exe;          /* pattern, NULL = any program */
	int has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	int default_type;   /* 0 = the global default */
	unsigned allow;     /* POLICY_BIT mask; 0 = the global set */
	int has_quota;      /* 0 = the global quota */
	uint32_t quota;     /* POLICY_NO_QUOTA = no limit */
};

struct policy {
	int default_type;   /* the global default (never 0 once parsed) */
	unsigned allow;     /* the global allow set (non-persistent always in) */
	uint32_t quota;     /* POLICY_NO_QUOTA = no limit */
	unsigned default_line, allow_line, quota_line; /* 0 = not in the file */
	int uses_exe;       /* some rule names a program: only then need the
			     * caller look it up (peerinfo.h) */
	struct policy_rule *rules;
	size_t n_rules;
};

/* Who asks: the kernel's word about the requester, never the client's. */
struct policy_who {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;   /* supplementary groups (at connect: SO_PEERGROUPS) */
	size_t n_groups;
	const char *exe;       /* /proc/PID/exe as read, NULL if unknown */
};

enum policy_refusal {
	POLICY_OK = 0,
	POLICY_NOT_ALLOWED = 1, /* the type is not in the allow set */
	POLICY_OVER_QUOTA = 2,  /* the uid holds its quota of leases */
};

struct policy_verdict {
	int type;              /* the type to use: the one asked, or the default */
	int asked;             /* 1 if the program asked for a type */
	enum policy_refusal refused;
	const struct policy_rule *rule; /* the rule that matched, NULL = global */
	size_t rule_no;        /* its number, 1-based; 0 = global */
	unsigned allow;        /* the allow set in force */
	uint32_t quota;        /* the quota in force */
	char reason[192];      /* why refused, naming the rule or the global line */
};

/* The policy without a file: everything allowed, no quota, default_type. */
void policy_init(struct policy *p, int default_type);
void policy_free(struct policy *p);

/*
 * Parse text into p (freed first). fallback_type: the default when the file
 * has no "default" line (odmagent.conf's default-type). 0, or -EINVAL with
 * err "NAME:LINE: WORD: reason" (p then holds the policy without a file).
 */
int policy_parse(struct policy *p, const char *text, size_t len, const char *name,
		 int fallback_type, char *err, size_t errlen);

/* The rule that matches who (1-based number in *no), or NULL for none. */
const struct policy_rule *policy_match(const struct policy *p, const struct policy_who *who,
				       size_t *no);

/*
 * The type for a request of type asked (ODM_TYPE_NONE: the program did not
 * ask) by who: v->type is the type asked or the default; v->refused says
 * POLICY_NOT_ALLOWED if that type is outside the allow set. Fills the allow
 * set and quota in force for policy_quota_check. Returns v->refused.
 */
enum policy_refusal policy_decide(const struct policy *p, const struct policy_who *who,
				  int asked, struct policy_verdict *v);

/*
 * A new lease for a uid that holds live leases already: POLICY_OVER_QUOTA
 * (v->refused and v->reason set) when live has reached the quota in force
 * (global_line: the policy's quota_line, for the reason).
 * Requests that share a lease the uid holds take no new binding and are not
 * checked (the caller knows which).
 */
enum policy_refusal policy_quota_check(struct policy_verdict *v, unsigned global_line,
					size_t live);

/* "exe /usr/bin/curl uid 1000 default session-lasting ...": the rule's
 * words as they would be written after "rule", into buf. */
void policy_rule_text(const struct policy_rule *r, char *buf, size_t cap);
/* "fixed,session-lasting" of a mask */
void policy_allow_text(unsigned allow, char *buf, size_t cap);

/*
 * Editing the file's text for odmctl policy add/del, keeping everything
 * else (comments, blank lines, globals) as it was. New malloc'd text, or
 * NULL with err set. Insert: the line "rule WORDS" before rule number at
 * (1-based) or after the last rule (at 0 or past the end; at the end of
 * the text if there is no rule). Delete: the line of rule number no.
 * The caller parses the result before using it.
 */
/* The rule "rule WORDS" parsed alone: 0, or -EINVAL with err saying
 * "new rule: WORD: why" (it has no line in the file yet). */
int policy_check_rule(const char *words, int fallback_type, char *err, size_t errlen);
char *policy_text_insert(const struct policy *p, const char *text, size_t len, size_t at,
			 const char *words, char *err, size_t errlen);
char *policy_text_delete(const struct policy *p, const char *text, size_t len, size_t no,
			 char *err, size_t errlen);

#endif
