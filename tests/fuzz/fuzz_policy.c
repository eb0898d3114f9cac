/* SPDX-License-Identifier: MIT */
/* fuzz_policy.c — libFuzzer harness: any text through policy_parse, and
 * what a parsed policy does with it: decisions for a few requesters, each
 * rule written back as text and parsed again (to a rule written back as
 * the same text), the edits of odmctl policy
 * add/del. Whatever the outcome, nothing leaks (LeakSanitizer checks).
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
	if (p.n_rules) {
		t = policy_text_delete(&p, (const char *)data, size, 1, err, sizeof(err));
		if (!t)
			abort();
		free(t);
	}
	t = policy_text_insert(&p, (const char *)data, size, 1, "uid 7 quota 1", err,
			       sizeof(err));
	free(t);
	policy_free(&q);
	policy_free(&p);
	return 0;
}
