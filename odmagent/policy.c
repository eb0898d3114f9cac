/* SPDX-License-Identifier: MIT */
/*
 * policy.c — the policy file and its decisions (see policy.h and
 * man/odm-policy.5). A directive table drives the globals; "rule" lines
 * are key/value pairs checked by one table of keys. Every limit is a
 * constant of policy.h, and every error names FILE:LINE: WORD.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linewords.h"
#include "odm.h"
#include "policy.h"

#define POLICY_WORDS_MAX 16

struct pparse {
	struct policy *p;
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
};

static int perr(struct pparse *pp, const char *word, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct pparse *pp, const char *word, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* word NULL: the file as a whole (its size), no line to name */
	if (pp->err && pp->errlen && !word)
		snprintf(pp->err, pp->errlen, "%s: %s", pp->name, reason);
	else if (pp->err && pp->errlen)
		snprintf(pp->err, pp->errlen, "%s:%u: %.80s: %s", pp->name, pp->line, word,
			 reason);
	return -EINVAL;
}

void policy_init(struct policy *p, int default_type)
{
	memset(p, 0, sizeof(*p));
	p->default_type = default_type > 0 ? default_type : ODM_TYPE_NON_PERSISTENT;
	p->allow = POLICY_ALL_TYPES;
	p->quota = POLICY_NO_QUOTA;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		free(p->rules[i].exe);
	free(p->rules);
	p->rules = NULL;
	p->n_rules = 0;
}

/* ---- words ---- */

static int parse_type(struct pparse *pp, const char *w, int *out)
{
	int t = odm_type_from_name(w);

	if (t <= 0)
		return perr(pp, w, "unknown address type (fixed, session-lasting, "
				   "non-persistent, graceful-replacement)");
	*out = t;
	return 0;
}

static int parse_allow(struct pparse *pp, const char *w, unsigned *out)
{
	char item[32];
	const char *c = w;
	unsigned mask = 0;

	if (strcmp(w, "all") == 0) {
		*out = POLICY_ALL_TYPES;
		return 0;
	}
	for (;;) {
		size_t n = strcspn(c, ",");
		int t;

		if (n == 0 || n >= sizeof(item))
			return perr(pp, w, "expected \"all\" or types separated by commas");
		memcpy(item, c, n);
		item[n] = '\0';
		t = odm_type_from_name(item);
		if (t <= 0)
			return perr(pp, w, "unknown address type \"%s\"", item);
		if (mask & POLICY_BIT(t))
			return perr(pp, w, "type \"%s\" listed twice", item);
		mask |= POLICY_BIT(t);
		if (!c[n])
			break;
		c += n + 1;
	}
	*out = mask | POLICY_BIT(ODM_TYPE_NON_PERSISTENT);
	return 0;
}

/* Decimal, no sign, no leading zero, at most max; errors say what the
 * number is for ("(uid)"), a rule having more than one. */
static int parse_num(struct pparse *pp, const char *w, uint64_t max, const char *what,
		     uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(w);

	if (n > 1 && w[0] == '0' && strspn(w, "0123456789") == n)
		return perr(pp, w, "number with a leading zero (a number from 0 to %llu, in "
			    "decimal) (%s)", (unsigned long long)max, what);
	if (n == 0 || n > 10)
		return perr(pp, w, "expected a number from 0 to %llu (%s)",
			    (unsigned long long)max, what);
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return perr(pp, w, "expected a number from 0 to %llu (%s)",
				    (unsigned long long)max, what);
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	if (v > max)
		return perr(pp, w, "expected a number from 0 to %llu (%s)",
			    (unsigned long long)max, what);
	*out = v;
	return 0;
}

static int parse_quota(struct pparse *pp, const char *w, uint32_t *out)
{
	uint64_t v;

	if (strcmp(w, "none") == 0) {
		*out = POLICY_NO_QUOTA;
		return 0;
	}
	if (parse_num(pp, w, POLICY_QUOTA_MAX, "quota", &v) < 0)
		return perr(pp, w, "expected \"none\" or a number from 0 to %u", POLICY_QUOTA_MAX);
	*out = (uint32_t)v;
	return 0;
}

static int parse_exe(struct pparse *pp, const char *w, char **out)
{
	if (w[0] != '/')
		return perr(pp, w, "expected an absolute path or pattern (starting with '/')");
	*out = strdup(w);
	if (!*out)
		return perr(pp, w, "out of memory");
	return 0;
}

/* ---- rules ---- */

enum rule_key { K_EXE, K_UID, K_GID, K_DEFAULT, K_ALLOW, K_QUOTA, K_N };
static const char *const rule_keys[K_N] = { "exe", "uid", "gid", "default", "allow", "quota" };

static int parse_rule(struct pparse *pp, char **w, int nw, struct policy_rule *r)
{
	unsigned seen = 0;
	uint64_t v;
	int i, k;

	memset(r, 0, sizeof(*r));
	r->line = pp->line;
	/* "rule" alone; one word more is named below, as a key or its value */
	if (nw < 2)
		return perr(pp, w[0], "expected exe, uid or gid and a value");
	for (i = 1; i < nw; i += 2) {
		for (k = 0; k < K_N; k++)
			if (strcmp(w[i], rule_keys[k]) == 0)
				break;
		if (k == K_N)
			return perr(pp, w[i], "unknown rule key (exe, uid, gid, default, allow, "
					      "quota)");
		if (seen & (1u << k))
			return perr(pp, w[i], "given twice in one rule");
		seen |= 1u << k;
		if (i + 1 >= nw)
			return perr(pp, w[i], "missing value");
		switch (k) {
		case K_EXE:
			if (parse_exe(pp, w[i + 1], &r->exe) < 0)
				return -EINVAL;
			break;
		case K_UID:
		case K_GID:
			/* (uid_t)-1 means "no change" to the kernel: never a user */
			if (parse_num(pp, w[i + 1], UINT32_MAX - 1, rule_keys[k], &v) < 0)
				return -EINVAL;
			if (k == K_UID) {
				r->has_uid = 1;
				r->uid = (uid_t)v;
			} else {
				r->has_gid = 1;
				r->gid = (gid_t)v;
			}
			break;
		case K_DEFAULT:
			if (parse_type(pp, w[i + 1], &r->default_type) < 0)
				return -EINVAL;
			break;
		case K_ALLOW:
			if (parse_allow(pp, w[i + 1], &r->allow) < 0)
				return -EINVAL;
			break;
		case K_QUOTA:
			if (parse_quota(pp, w[i + 1], &r->quota) < 0)
				return -EINVAL;
			r->has_quota = 1;
			break;
		}
	}
	if (!(seen & ((1u << K_EXE) | (1u << K_UID) | (1u << K_GID))))
		return perr(pp, w[0], "a rule needs exe, uid or gid (the global directives "
				      "apply to everyone else)");
	return 0;
}

static int add_rule(struct pparse *pp, const struct policy_rule *r, size_t *cap)
{
	struct policy *p = pp->p;

	if (p->n_rules == POLICY_RULES_MAX)
		return perr(pp, "rule", "more than %d rules", POLICY_RULES_MAX);
	if (p->n_rules == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct policy_rule *v = realloc(p->rules, nc * sizeof(*v));

		if (!v)
			return perr(pp, "rule", "out of memory");
		p->rules = v;
		*cap = nc;
	}
	p->rules[p->n_rules++] = *r;
	p->uses_exe |= r->exe != NULL;
	return 0;
}

static int global(struct pparse *pp, char **w, int nw)
{
	struct policy *p = pp->p;
	unsigned *line;

	if (strcmp(w[0], "default") == 0)
		line = &p->default_line;
	else if (strcmp(w[0], "allow") == 0)
		line = &p->allow_line;
	else if (strcmp(w[0], "quota") == 0)
		line = &p->quota_line;
	else
		return perr(pp, w[0], "unknown directive (default, allow, quota, rule)");
	if (nw < 2)
		return perr(pp, w[0], "missing argument");
	if (nw > 2)
		return perr(pp, w[2], "extra argument to %s", w[0]);
	if (*line)
		return perr(pp, w[0], "given twice (first on line %u)", *line);
	*line = pp->line;
	if (line == &p->default_line)
		return parse_type(pp, w[1], &p->default_type);
	if (line == &p->allow_line)
		return parse_allow(pp, w[1], &p->allow);
	return parse_quota(pp, w[1], &p->quota);
}

/* Each default (global, and each rule's in force) must be allowed. */
static int check_defaults(struct pparse *pp)
{
	struct policy *p = pp->p;

	if (!(p->allow & POLICY_BIT(p->default_type))) {
		pp->line = p->default_line ? p->default_line : p->allow_line;
		return perr(pp, p->default_line ? "default" : "allow",
			    "the default type %s%s is not in the allow set",
			    odm_type_name(p->default_type),
			    p->default_line ? "" : " (default-type of odmagent.conf)");
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		int def = r->default_type ? r->default_type : p->default_type;
		unsigned allow = r->allow ? r->allow : p->allow;

		if (!(allow & POLICY_BIT(def))) {
			pp->line = r->line;
			return perr(pp, "rule", "its default type %s is not in its allow set",
				    odm_type_name(def));
		}
	}
	return 0;
}

int policy_parse(struct policy *p, const char *text, size_t len, const char *name,
		 int fallback_type, char *err, size_t errlen)
{
	struct pparse pp = { .p = p, .name = name ? name : "(policy)", .err = err,
			     .errlen = errlen };
	char line[POLICY_LINE_MAX + 1];
	size_t pos = 0, cap = 0;
	int r = 0;

	policy_free(p);
	policy_init(p, fallback_type);
	if (err && errlen)
		err[0] = '\0';
	if (!text && len)
		return perr(&pp, NULL, "no text");
	if (len > POLICY_FILE_MAX)
		return perr(&pp, NULL, "file larger than %d bytes", POLICY_FILE_MAX);
	for (;;) {
		char *w[POLICY_WORDS_MAX];
		struct linewords_bad bad;
		int nw = 0;

		r = linewords_next(text, len, &pos, line, sizeof(line), w, POLICY_WORDS_MAX, &nw,
				   &bad);
		if (r == 0)
			break;
		pp.line++;
		if (r < 0) {
			r = perr(&pp, bad.word, "%s", bad.reason);
			goto fail;
		}
		if (nw == 0)
			continue;
		if (strcmp(w[0], "rule") == 0) {
			struct policy_rule rule;

			/* parse_rule clears rule first: exe is NULL or its own copy */
			r = parse_rule(&pp, w, nw, &rule);
			if (r == 0)
				r = add_rule(&pp, &rule, &cap);
			if (r < 0) {
				free(rule.exe);
				goto fail;
			}
		} else {
			r = global(&pp, w, nw);
			if (r < 0)
				goto fail;
		}
	}
	r = check_defaults(&pp);
	if (r < 0)
		goto fail;
	return 0;
fail:
	policy_free(p);
	policy_init(p, fallback_type);
	return r;
}

/* ---- decisions ---- */

/*
 * '*' matches any run of characters ('/' included), '?' any one, every
 * other character itself. One backtrack point: O(len(pat) * len(s)) at
 * worst, unlike fnmatch(3)'s recursion, whatever a file holds.
 */
static int glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *ss = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			ss = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++ss;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static int in_group(const struct policy_who *who, gid_t gid)
{
	if (who->gid == gid)
		return 1;
	for (size_t i = 0; i < who->n_groups; i++)
		if (who->groups[i] == gid)
			return 1;
	return 0;
}

const struct policy_rule *policy_match(const struct policy *p, const struct policy_who *who,
				       size_t *no)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->has_uid && r->uid != who->uid)
			continue;
		if (r->has_gid && !in_group(who, r->gid))
			continue;
		if (r->exe && (!who->exe || !glob_match(r->exe, who->exe)))
			continue;
		if (no)
			*no = i + 1;
		return r;
	}
	if (no)
		*no = 0;
	return NULL;
}

/* "rule 2 (line 7)" or "the global allow (line 3)" */
static void where(const struct policy_verdict *v, const char *what, unsigned global_line,
		  char *buf, size_t cap)
{
	if (v->rule)
		snprintf(buf, cap, "rule %zu, line %u", v->rule_no, v->rule->line);
	else if (global_line)
		snprintf(buf, cap, "global %s, line %u", what, global_line);
	else
		snprintf(buf, cap, "no %s in the policy", what);
}

enum policy_refusal policy_decide(const struct policy *p, const struct policy_who *who,
				  int asked, struct policy_verdict *v)
{
	const struct policy_rule *r;
	char w[64];
	int def;

	memset(v, 0, sizeof(*v));
	r = policy_match(p, who, &v->rule_no);
	v->rule = r;
	v->allow = r && r->allow ? r->allow : p->allow;
	v->quota = r && r->has_quota ? r->quota : p->quota;
	def = r && r->default_type ? r->default_type : p->default_type;
	v->asked = asked > ODM_TYPE_NONE;
	v->type = v->asked ? asked : def;
	if (v->type <= ODM_TYPE_NONE || v->type > ODM_TYPE_GRACEFUL_REPLACEMENT ||
	    !(v->allow & POLICY_BIT(v->type))) {
		where(v, "allow", p->allow_line, w, sizeof(w));
		snprintf(v->reason, sizeof(v->reason), "policy: %s is not allowed for uid %u (%s)",
			 odm_type_name(v->type), (unsigned)who->uid, w);
		v->refused = POLICY_NOT_ALLOWED;
	}
	return v->refused;
}

enum policy_refusal policy_quota_check(struct policy_verdict *v, unsigned global_line,
					size_t live)
{
	char w[64];

	if (v->refused || v->quota == POLICY_NO_QUOTA || live < v->quota)
		return v->refused;
	where(v, "quota", global_line, w, sizeof(w));
	snprintf(v->reason, sizeof(v->reason), "policy: quota of %u lease%s reached (%s)",
		 v->quota, v->quota == 1 ? "" : "s", w);
	v->refused = POLICY_OVER_QUOTA;
	return v->refused;
}

/* ---- text ---- */

void policy_allow_text(unsigned allow, char *buf, size_t cap)
{
	size_t off = 0;

	if (cap)
		buf[0] = '\0';
	for (int t = ODM_TYPE_FIXED; t <= ODM_TYPE_GRACEFUL_REPLACEMENT; t++)
		if ((allow & POLICY_BIT(t)) && off < cap)
			off += (size_t)snprintf(buf + off, cap - off, "%s%s", off ? "," : "",
						odm_type_name(t));
}

void policy_rule_text(const struct policy_rule *r, char *buf, size_t cap)
{
	char allow[96];
	size_t off = 0;

#define ADD(...)                                                                    \
	do {                                                                        \
		if (off < cap)                                                      \
			off += (size_t)snprintf(buf + off, cap - off, __VA_ARGS__); \
	} while (0)
	if (cap)
		buf[0] = '\0';
	if (r->exe)
		ADD("%sexe %s", off ? " " : "", r->exe);
	if (r->has_uid)
		ADD("%suid %u", off ? " " : "", (unsigned)r->uid);
	if (r->has_gid)
		ADD("%sgid %u", off ? " " : "", (unsigned)r->gid);
	if (r->default_type)
		ADD("%sdefault %s", off ? " " : "", odm_type_name(r->default_type));
	if (r->allow) {
		policy_allow_text(r->allow, allow, sizeof(allow));
		ADD("%sallow %s", off ? " " : "", allow);
	}
	if (r->has_quota) {
		if (r->quota == POLICY_NO_QUOTA)
			ADD("%squota none", off ? " " : "");
		else
			ADD("%squota %u", off ? " " : "", r->quota);
	}
#undef ADD
}

/* Offsets of line no (1-based) of text: [*b, *e), e past its '\n'. */
static int line_span(const char *text, size_t len, unsigned no, size_t *b, size_t *e)
{
	size_t pos = 0;
	unsigned line = 1;

	while (line < no) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		if (!nl)
			return -ENOENT;
		pos = (size_t)(nl - text) + 1;
		line++;
	}
	if (pos >= len)
		return -ENOENT;
	*b = pos;
	{
		const char *nl = memchr(text + pos, '\n', len - pos);

		*e = nl ? (size_t)(nl - text) + 1 : len;
	}
	return 0;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* text[0..b) + ins + text[e..len), as a new NUL-terminated string */
static char *splice(const char *text, size_t len, size_t b, size_t e, const char *ins,
		    size_t ins_len, char *err, size_t errlen)
{
	char *out;
	size_t n = b + ins_len + (len - e);

	if (n > POLICY_FILE_MAX) {
		seterr(err, errlen, "the policy would exceed %d bytes", POLICY_FILE_MAX);
		return NULL;
	}
	out = malloc(n + 1);
	if (!out) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(out, text, b);
	memcpy(out + b, ins, ins_len);
	memcpy(out + b + ins_len, text + e, len - e);
	out[n] = '\0';
	return out;
}

char *policy_text_insert(const struct policy *p, const char *text, size_t len, size_t at,
			 const char *words, char *err, size_t errlen)
{
	char line[POLICY_LINE_MAX + 2];
	size_t b, e, n;
	int need_nl = 0;

	if (!words || !*words) {
		seterr(err, errlen, "an empty rule");
		return NULL;
	}
	for (const char *c = words; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			seterr(err, errlen, "the rule has a control character");
			return NULL;
		}
	n = (size_t)snprintf(line, sizeof(line), "rule %s\n", words);
	if (n >= sizeof(line) || n - 1 > POLICY_LINE_MAX) {
		seterr(err, errlen, "the rule is longer than %d characters", POLICY_LINE_MAX);
		return NULL;
	}
	if (at >= 1 && at <= p->n_rules) {
		if (line_span(text, len, p->rules[at - 1].line, &b, &e) < 0) {
			seterr(err, errlen, "rule %zu is not in the text", at);
			return NULL;
		}
		/* above the comment lines right over rule at: they are its own */
		while (b > 0) {
			size_t pb = b - 1, w;

			while (pb > 0 && text[pb - 1] != '\n')
				pb--;
			for (w = pb; w < b && (text[w] == ' ' || text[w] == '\t'); w++)
				;
			if (w >= b || text[w] != '#')
				break;
			b = pb;
		}
		return splice(text, len, b, b, line, n, err, errlen);
	}
	if (p->n_rules) {
		if (line_span(text, len, p->rules[p->n_rules - 1].line, &b, &e) < 0) {
			seterr(err, errlen, "the last rule is not in the text");
			return NULL;
		}
		need_nl = e == len && len && text[len - 1] != '\n';
	} else {
		e = len;
		need_nl = len && text[len - 1] != '\n';
	}
	if (need_nl) {
		char joined[POLICY_LINE_MAX + 3];

		joined[0] = '\n';
		memcpy(joined + 1, line, n + 1);
		return splice(text, len, e, e, joined, n + 1, err, errlen);
	}
	return splice(text, len, e, e, line, n, err, errlen);
}

int policy_check_rule(const char *words, int fallback_type, char *err, size_t errlen)
{
	static const char name[] = "new rule";
	char line[POLICY_LINE_MAX + 2];
	struct policy tmp;
	size_t n;
	int r;

	n = (size_t)snprintf(line, sizeof(line), "rule %s\n", words ? words : "");
	if (n >= sizeof(line))
		n = sizeof(line) - 1; /* policy_parse says it is too long */
	memset(&tmp, 0, sizeof(tmp));
	r = policy_parse(&tmp, line, n, name, fallback_type, err, errlen);
	policy_free(&tmp);
	/* "new rule:1: x: ..." -> "new rule: x: ...": it has no line yet */
	if (r < 0 && err && strncmp(err, "new rule:1: ", sizeof(name) + 3) == 0)
		memmove(err + sizeof(name) - 1, err + sizeof(name) + 1,
			strlen(err + sizeof(name) + 1) + 1);
	return r;
}

char *policy_text_delete(const struct policy *p, const char *text, size_t len, size_t no,
			 char *err, size_t errlen)
{
	size_t b, e;

	if (no < 1 || no > p->n_rules) {
		seterr(err, errlen, "no rule %zu (the policy has %zu)", no, p->n_rules);
		return NULL;
	}
	if (line_span(text, len, p->rules[no - 1].line, &b, &e) < 0) {
		seterr(err, errlen, "rule %zu is not in the text", no);
		return NULL;
	}
	return splice(text, len, b, e, "", 0, err, errlen);
}
