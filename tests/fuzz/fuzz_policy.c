/* SPDX-License-Identifier: MIT */
/* fuzz_policy.c — libFuzzer harness: any text through policy_parse, and
 * what a parsed policy does with it: decisions for a few requesters, each
 * rule written back as text and parsed again (to a rule written back as
 * the same text), the edits of odmctl policy add/del: without its first
 * rule the text parses to the policy without it; with a rule added first
 * (the words of a first line "#WORDS" where there is one) it parses, where
 * it does, to that rule and the policy's. Whatever the outcome, nothing
 * leaks (LeakSanitizer checks).
 *
 * fuzz-flags: -max_len=4096
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "odm.h"
#include "policy.h"

static void decide_all(const struct policy *p)
{
	static const gid_t groups[] = { 0, 27, 100 };
	static const char *const exes[] = { "/usr/bin/curl", "/opt/x/bin/app", NULL };
	struct policy_verdict v;

	for (size_t e = 0; e < 3; e++)
		for (uid_t uid = 0; uid < 3; uid++)
			for (int t = ODM_TYPE_NONE; t <= ODM_TYPE_GRACEFUL_REPLACEMENT; t++) {
				struct policy_who w = { .uid = uid * 1000, .gid = uid,
							.groups = groups, .n_groups = 3,
							.exe = exes[e] };

				policy_decide(p, &w, t, &v);
				/* the default is always allowed; non-persistent always */
				if (t == ODM_TYPE_NONE && v.refused)
					abort();
				if (t == ODM_TYPE_NON_PERSISTENT && v.refused)
					abort();
				if (v.refused && !v.reason[0])
					abort();
				policy_quota_check(&v, p->quota_line, 3);
			}
}

/* rule i of a, written back, is rule j of b, written back */
static int same_rule(const struct policy *a, size_t i, const struct policy *b, size_t j)
{
	char ta[POLICY_LINE_MAX + 16], tb[POLICY_LINE_MAX + 16];

	policy_rule_text(&a->rules[i], ta, sizeof(ta));
	policy_rule_text(&b->rules[j], tb, sizeof(tb));
	return strcmp(ta, tb) == 0;
}

/* odmctl policy del 1: the text parses as the policy without its first rule */
static void check_delete(const struct policy *p, const uint8_t *data, size_t size)
{
	struct policy q;
	char err[512], *t = policy_text_delete(p, (const char *)data, size, 1, err, sizeof(err));

	memset(&q, 0, sizeof(q));
	if (!t || policy_parse(&q, t, strlen(t), "del", ODM_TYPE_NON_PERSISTENT, err,
			       sizeof(err)) < 0 ||
	    q.n_rules != p->n_rules - 1)
		abort();
	for (size_t i = 0; i < q.n_rules; i++)
		if (!same_rule(p, i + 1, &q, i))
			abort();
	free(t);
	policy_free(&q);
}

/*
 * odmctl policy add: the words of a first line "#WORDS" (a comment to the
 * parser), else a rule of our own, put first. Where the new text parses,
 * its first rule is those words' and the others are the policy's.
 */
static void check_insert(const struct policy *p, const uint8_t *data, size_t size)
{
	struct policy q, alone;
	char err[512], words[POLICY_LINE_MAX + 8] = "uid 7 quota 1", line[POLICY_LINE_MAX + 16];
	const char *nl = memchr(data, '\n', size);
	char *t;

	if (size > 1 && data[0] == '#') {
		size_t n = (nl ? (size_t)(nl - (const char *)data) : size) - 1;

		if (n >= sizeof(words) || memchr(data + 1, '\0', n))
			return;
		memcpy(words, data + 1, n);
		words[n] = '\0';
	}
	memset(&q, 0, sizeof(q));
	memset(&alone, 0, sizeof(alone));
	t = policy_text_insert(p, (const char *)data, size, 1, words, err, sizeof(err));
	if (t && policy_check_rule(words, ODM_TYPE_NON_PERSISTENT, err, sizeof(err)) == 0 &&
	    policy_parse(&q, t, strlen(t), "add", ODM_TYPE_NON_PERSISTENT, err, sizeof(err)) == 0) {
		snprintf(line, sizeof(line), "rule %s\n", words);
		if (policy_parse(&alone, line, strlen(line), "alone", ODM_TYPE_NON_PERSISTENT,
				 err, sizeof(err)) < 0 ||
		    q.n_rules != p->n_rules + 1 || !same_rule(&alone, 0, &q, 0))
			abort();
		for (size_t i = 0; i < p->n_rules; i++)
			if (!same_rule(p, i, &q, i + 1))
				abort();
	}
	free(t);
	policy_free(&q);
	policy_free(&alone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct policy p, q;
	char err[512], text[POLICY_LINE_MAX + 16], line[POLICY_LINE_MAX + 32];
	char again[POLICY_LINE_MAX + 16];
	char *t;

	if (!quiet) {
		odm_log_init("fuzz", ODM_LOG_ERR, 0);
		quiet = 1;
	}
	memset(&p, 0, sizeof(p));
	memset(&q, 0, sizeof(q));
	if (policy_parse(&p, (const char *)data, size, "fuzz.policy", ODM_TYPE_NON_PERSISTENT,
			 err, sizeof(err)) < 0) {
		/* a failure explains itself, naming the file, and keeps nothing */
		if (strncmp(err, "fuzz.policy", 11) != 0 || p.n_rules)
			abort();
		policy_free(&p);
		return 0;
	}
	decide_all(&p);
	for (size_t i = 0; i < p.n_rules; i++) {
		policy_rule_text(&p.rules[i], text, sizeof(text));
		snprintf(line, sizeof(line), "rule %s\n", text);
		/* what policy-show writes parses again (globals aside), as
		 * the same one rule */
		if (strlen(line) > POLICY_LINE_MAX)
			continue;
		if (policy_parse(&q, line, strlen(line), "again", ODM_TYPE_NON_PERSISTENT, err,
				 sizeof(err)) < 0) {
			if (!strstr(err, "allow set"))
				abort();
			continue;
		}
		if (q.n_rules != 1)
			abort();
		policy_rule_text(&q.rules[0], again, sizeof(again));
		if (strcmp(text, again) != 0)
			abort();
	}
	if (p.n_rules)
		check_delete(&p, data, size);
	check_insert(&p, data, size);
	policy_free(&q);
	policy_free(&p);
	return 0;
}
