/* SPDX-License-Identifier: MIT */
/* test_policy.c — the policy file's parser, its decisions, the quota count
 * and the text edits of odmctl policy add/del (policy.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "log.h"
#include "odm.h"
#include "policy.h"
#include "testaddr.h"

static struct policy P;
static char err[512];

static void setup(void)
{
	odm_log_init("test", ODM_LOG_ERR, 0);
	policy_init(&P, ODM_TYPE_NON_PERSISTENT);
}

static void teardown(void)
{
	policy_free(&P);
}

TestSuite(policy, .init = setup, .fini = teardown);

static int parse(const char *text, int fallback)
{
	return policy_parse(&P, text, strlen(text), "p.conf", fallback, err, sizeof(err));
}

static void bad(const char *text, const char *want)
{
	cr_assert_eq(parse(text, ODM_TYPE_NON_PERSISTENT), -EINVAL, "accepted: %s", text);
	cr_assert(strstr(err, want), "for %s: got \"%s\", want \"%s\"", text, err, want);
	/* a failed parse leaves the policy without a file */
	cr_assert_eq(P.n_rules, 0);
	cr_assert_eq(P.allow, POLICY_ALL_TYPES);
}

/* who asks */
static struct policy_who W(uid_t uid, gid_t gid, const char *exe)
{
	struct policy_who w = { .uid = uid, .gid = gid, .exe = exe };

	return w;
}

Test(policy, no_file_allows_everything_with_the_config_default)
{
	struct policy_who w = W(1000, 1000, "/usr/bin/curl");
	struct policy_verdict v;

	cr_assert_eq(parse("", ODM_TYPE_SESSION_LASTING), 0);
	cr_assert_eq(policy_decide(&P, &w, ODM_TYPE_NONE, &v), POLICY_OK);
	cr_assert_eq(v.type, ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(v.asked, 0);
	cr_assert_eq(v.quota, POLICY_NO_QUOTA);
	for (int t = ODM_TYPE_FIXED; t <= ODM_TYPE_GRACEFUL_REPLACEMENT; t++) {
		cr_assert_eq(policy_decide(&P, &w, t, &v), POLICY_OK, "type %d", t);
		cr_assert_eq(v.type, t);
		cr_assert_eq(v.asked, 1);
	}
}

static const char example[] = "# host policy\n"
			      "default non-persistent\n"
			      "allow session-lasting\n"
			      "quota 4\n"
			      "\n"
			      "rule exe /usr/bin/curl default session-lasting   # downloads\n"
			      "rule uid 0 allow all quota none\n"
			      "rule gid 27 exe /opt/* allow fixed,session-lasting quota 2\n"
			      "rule uid 65534 allow non-persistent quota 0\n";

Test(policy, parses_globals_and_rules_in_order)
{
	cr_assert_eq(parse(example, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	cr_assert_eq(P.default_type, ODM_TYPE_NON_PERSISTENT);
	cr_assert_eq(P.allow, POLICY_BIT(ODM_TYPE_SESSION_LASTING) |
				      POLICY_BIT(ODM_TYPE_NON_PERSISTENT));
	cr_assert_eq(P.quota, 4);
	cr_assert_eq(P.default_line, 2);
	cr_assert_eq(P.quota_line, 4);
	cr_assert_eq(P.n_rules, 4);
	cr_assert_str_eq(P.rules[0].exe, "/usr/bin/curl");
	cr_assert_eq(P.rules[0].line, 6);
	cr_assert_eq(P.rules[0].default_type, ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(P.rules[0].allow, 0);
	cr_assert(P.rules[1].has_uid && P.rules[1].uid == 0);
	cr_assert_eq(P.rules[1].quota, POLICY_NO_QUOTA);
	cr_assert(P.rules[2].has_gid && P.rules[2].gid == 27);
	cr_assert_eq(P.rules[2].quota, 2);
	cr_assert_eq(P.rules[3].allow, POLICY_BIT(ODM_TYPE_NON_PERSISTENT));
	/* rules name programs: the agent must look them up */
	cr_assert(P.uses_exe);
}

Test(policy, only_what_rules_name_is_looked_up)
{
	cr_assert_eq(parse("quota 3\nrule uid 0 quota none\n", ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	cr_assert(!P.uses_exe, "uid rules need no /proc read");
	cr_assert_eq(parse("rule exe /bin/x\n", ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	cr_assert(P.uses_exe);
	cr_assert_eq(parse("rule gid 4\n", ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	cr_assert(!P.uses_exe, "groups come with the connection (SO_PEERGROUPS)");
	/* a failed parse forgets them */
	cr_assert_eq(parse("rule exe /bin/x\nfrob\n", ODM_TYPE_NON_PERSISTENT), -EINVAL);
	cr_assert(!P.uses_exe);
}

Test(policy, a_legacy_program_gets_its_rules_default)
{
	struct policy_who curl = W(1000, 1000, "/usr/bin/curl");
	struct policy_who wget = W(1000, 1000, "/usr/bin/wget");
	struct policy_verdict v;

	cr_assert_eq(parse(example, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	cr_assert_eq(policy_decide(&P, &curl, ODM_TYPE_NONE, &v), POLICY_OK);
	cr_assert_eq(v.type, ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(v.rule_no, 1);
	cr_assert_eq(policy_decide(&P, &wget, ODM_TYPE_NONE, &v), POLICY_OK);
	cr_assert_eq(v.type, ODM_TYPE_NON_PERSISTENT);
	cr_assert_null(v.rule);
	cr_assert_eq(v.rule_no, 0);
}

Test(policy, a_type_outside_the_allow_set_is_refused_naming_the_rule)
{
	struct policy_who nobody = W(65534, 65534, "/usr/bin/python3");
	struct policy_who user = W(1000, 1000, "/usr/bin/python3");
	struct policy_verdict v;

	cr_assert_eq(parse(example, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	cr_assert_eq(policy_decide(&P, &nobody, ODM_TYPE_FIXED, &v), POLICY_NOT_ALLOWED);
	cr_assert_eq(v.type, ODM_TYPE_FIXED);
	cr_assert(strstr(v.reason, "fixed is not allowed for uid 65534 (rule 4, line 9)"), "%s",
		  v.reason);
	cr_assert_eq(policy_decide(&P, &nobody, ODM_TYPE_SESSION_LASTING, &v), POLICY_NOT_ALLOWED);
	/* non-persistent is always allowed */
	cr_assert_eq(policy_decide(&P, &nobody, ODM_TYPE_NON_PERSISTENT, &v), POLICY_OK);
	/* the global set: session-lasting yes, fixed no */
	cr_assert_eq(policy_decide(&P, &user, ODM_TYPE_SESSION_LASTING, &v), POLICY_OK);
	cr_assert_eq(policy_decide(&P, &user, ODM_TYPE_FIXED, &v), POLICY_NOT_ALLOWED);
	cr_assert(strstr(v.reason, "global allow, line 3"), "%s", v.reason);
}

Test(policy, first_match_wins)
{
	struct policy_who root_curl = W(0, 0, "/usr/bin/curl");
	struct policy_verdict v;

	cr_assert_eq(parse(example, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	/* rule 1 (exe curl) before rule 2 (uid 0): root's curl does not get fixed */
	cr_assert_eq(policy_decide(&P, &root_curl, ODM_TYPE_FIXED, &v), POLICY_NOT_ALLOWED);
	cr_assert_eq(v.rule_no, 1);
	root_curl.exe = "/usr/bin/ssh";
	cr_assert_eq(policy_decide(&P, &root_curl, ODM_TYPE_FIXED, &v), POLICY_OK);
	cr_assert_eq(v.rule_no, 2);
}

Test(policy, every_match_of_a_rule_must_hold_and_groups_count)
{
	gid_t groups[] = { 4, 27, 100 };
	struct policy_who w = W(1000, 1000, "/opt/app/bin/app");
	struct policy_verdict v;

	cr_assert_eq(parse(example, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	/* exe matches, gid 27 missing */
	cr_assert_eq(policy_decide(&P, &w, ODM_TYPE_FIXED, &v), POLICY_NOT_ALLOWED);
	cr_assert_eq(v.rule_no, 0);
	/* a supplementary group 27 */
	w.groups = groups;
	w.n_groups = 3;
	cr_assert_eq(policy_decide(&P, &w, ODM_TYPE_FIXED, &v), POLICY_OK);
	cr_assert_eq(v.rule_no, 3);
	cr_assert_eq(v.quota, 2);
	/* the primary group 27 */
	w.groups = NULL;
	w.n_groups = 0;
	w.gid = 27;
	cr_assert_eq(policy_decide(&P, &w, ODM_TYPE_FIXED, &v), POLICY_OK);
	/* an unknown exe never matches an exe rule */
	w.exe = NULL;
	cr_assert_eq(policy_decide(&P, &w, ODM_TYPE_FIXED, &v), POLICY_NOT_ALLOWED);
}

Test(policy, exe_patterns)
{
	struct policy_who w = W(1, 1, NULL);
	struct policy_verdict v;
	static const struct {
		const char *pat, *exe;
		int match;
	} cases[] = {
		{ "/usr/bin/curl", "/usr/bin/curl", 1 },
		{ "/usr/bin/curl", "/usr/bin/curl2", 0 },
		{ "/usr/bin/*", "/usr/bin/curl", 1 },
		{ "/usr/*/curl", "/usr/local/bin/curl", 1 },
		{ "/usr/bin/py*3", "/usr/bin/python3", 1 },
		{ "/usr/bin/py*3", "/usr/bin/python3.11", 0 },
		{ "/usr/bin/python3.??", "/usr/bin/python3.11", 1 },
		{ "/usr/bin/python3.??", "/usr/bin/python3.1", 0 },
		{ "/*a*a*a*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
		{ "/x/*", "/x/", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];

		snprintf(text, sizeof(text), "rule exe %s allow fixed\n", cases[i].pat);
		cr_assert_eq(parse(text, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
		w.exe = cases[i].exe;
		policy_decide(&P, &w, ODM_TYPE_FIXED, &v);
		cr_assert_eq(v.rule_no == 1, cases[i].match, "%s vs %s", cases[i].pat, cases[i].exe);
	}
}

Test(policy, quota_counts_live_leases_of_the_rule_or_the_global)
{
	struct policy_who user = W(1000, 1000, "/usr/bin/python3");
	struct policy_who root = W(0, 0, "/usr/bin/python3");
	struct policy_who nobody = W(65534, 65534, "/usr/bin/python3");
	struct policy_verdict v;

	cr_assert_eq(parse(example, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	policy_decide(&P, &user, ODM_TYPE_SESSION_LASTING, &v);
	cr_assert_eq(policy_quota_check(&v, P.quota_line, 3), POLICY_OK);
	cr_assert_eq(policy_quota_check(&v, P.quota_line, 4), POLICY_OVER_QUOTA);
	cr_assert(strstr(v.reason, "quota of 4 leases reached (global quota, line 4)"), "%s",
		  v.reason);
	policy_decide(&P, &root, ODM_TYPE_SESSION_LASTING, &v);
	cr_assert_eq(policy_quota_check(&v, P.quota_line, 100000), POLICY_OK);
	policy_decide(&P, &nobody, ODM_TYPE_NON_PERSISTENT, &v);
	cr_assert_eq(policy_quota_check(&v, P.quota_line, 0), POLICY_OVER_QUOTA);
	cr_assert(strstr(v.reason, "rule 4, line 9"), "%s", v.reason);
	/* a refusal for the type stays that refusal */
	policy_decide(&P, &nobody, ODM_TYPE_FIXED, &v);
	cr_assert_eq(policy_quota_check(&v, P.quota_line, 0), POLICY_NOT_ALLOWED);
}

Test(policy, lease_count_uid_counts_each_users_leases)
{
	struct lease_table t;
	struct in6_addr an = A("2001:db8:ca::10");
	struct lease *l;

	lease_table_init(&t, 1);
	for (int i = 0; i < 5; i++) {
		l = lease_new(&t, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &an, NULL, 0);
		cr_assert_not_null(l);
		l->uid = i < 3 ? 65534 : 0;
	}
	cr_assert_eq(lease_count_uid(&t, 65534), 3);
	cr_assert_eq(lease_count_uid(&t, 0), 2);
	cr_assert_eq(lease_count_uid(&t, 1000), 0);
	lease_free(&t, t.head);
	cr_assert_eq(lease_count_uid(&t, 0) + lease_count_uid(&t, 65534), 4);
	lease_table_clear(&t);
}

Test(policy, fallback_default_must_be_allowed)
{
	/* the config's default-type, when the file names none */
	cr_assert_eq(parse("allow non-persistent\n", ODM_TYPE_SESSION_LASTING), -EINVAL);
	cr_assert(strstr(err, "p.conf:1: allow: the default type session-lasting "
			      "(default-type of odmagent.conf) is not in the allow set"),
		  "%s", err);
	cr_assert_eq(parse("allow non-persistent\n", ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
}

Test(policy, errors_name_file_line_and_word)
{
	bad("default mobile\n", "p.conf:1: mobile: unknown address type");
	bad("\n\nfrobnicate 1\n", "p.conf:3: frobnicate: unknown directive");
	bad("default fixed\ndefault fixed\n", "p.conf:2: default: given twice (first on line 1)");
	bad("default\n", "p.conf:1: default: missing argument");
	bad("quota 1 2\n", "p.conf:1: 2: extra argument to quota");
	bad("quota 65536\n", "p.conf:1: 65536: expected \"none\" or a number from 0 to 65535");
	bad("quota -1\n", "p.conf:1: -1: expected");
	bad("quota 007\n", "p.conf:1: 007: expected");
	bad("allow fixed,,session-lasting\n", "p.conf:1: fixed,,session-lasting: expected");
	bad("allow fixed,fixed\n", "type \"fixed\" listed twice");
	bad("allow none\n", "unknown address type \"none\"");
	bad("default fixed\nallow session-lasting\n",
	    "p.conf:1: default: the default type fixed is not in the allow set");
	bad("rule default fixed\n", "p.conf:1: rule: a rule needs exe, uid or gid");
	bad("rule\n", "p.conf:1: rule: expected exe, uid or gid and a value");
	bad("rule default fixed allow all\n", "p.conf:1: rule: a rule needs exe, uid or gid");
	/* the word at fault is named, not "rule" (it said "rule: expected exe,
	 * uid or gid and a value" for both) */
	bad("rule uid\n", "p.conf:1: uid: missing value");
	bad("rule bogus\n", "p.conf:1: bogus: unknown rule key");
	bad("rule uid 1 gid\n", "p.conf:1: gid: missing value");
	bad("rule uid 1 uid 2\n", "p.conf:1: uid: given twice in one rule");
	bad("rule user 1\n", "p.conf:1: user: unknown rule key");
	bad("rule uid 4294967295\n", "p.conf:1: 4294967295: expected a number from 0 to 4294967294");
	bad("rule uid root\n", "p.conf:1: root: expected a number");
	bad("rule uid 01000\n", "p.conf:1: 01000: number with a leading zero");
	/* of two numbers in a rule, the error says which */
	bad("rule uid 1000 gid x\n", "p.conf:1: x: expected a number from 0 to 4294967294 (gid)");
	bad("rule gid 10 uid 010\n", "p.conf:1: 010: number with a leading zero (a number from 0 "
				     "to 4294967294, in decimal) (uid)");
	bad("rule exe curl\n", "p.conf:1: curl: expected an absolute path");
	bad("rule uid 1 allow non-persistent default fixed\n",
	    "p.conf:1: rule: its default type fixed is not in its allow set");
	bad("rule uid 1\x01\n", "p.conf:1: line: control character 0x01 at column 11");
	bad("rule uid 1 gid 2 exe /a default fixed allow all quota 1 uid 3 x y z\n",
	    "too many words");
}

Test(policy, size_bounds)
{
	size_t n = POLICY_LINE_MAX + 1;
	char *s = malloc(POLICY_FILE_MAX + 2);

	memset(s, ' ', n);
	s[n] = '\0';
	bad(s, "p.conf:1: line: longer than 1024 characters");
	/* exactly the longest line is fine */
	s[n - 1] = '\0';
	cr_assert_eq(parse(s, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	memset(s, '\n', POLICY_FILE_MAX + 1);
	cr_assert_eq(policy_parse(&P, s, POLICY_FILE_MAX + 1, "p.conf", 3, err, sizeof(err)),
		     -EINVAL);
	/* the file as a whole: named once, no line 0 */
	cr_assert_str_eq(err, "p.conf: file larger than 262144 bytes");
	free(s);
}

Test(policy, too_many_rules)
{
	size_t cap = (POLICY_RULES_MAX + 1) * 12 + 1, off = 0;
	char *s = malloc(cap);

	for (int i = 0; i <= POLICY_RULES_MAX; i++)
		off += (size_t)snprintf(s + off, cap - off, "rule uid %d\n", i % 10);
	bad(s, "more than 1024 rules");
	free(s);
}

Test(policy, rule_text_round_trips)
{
	char text[POLICY_LINE_MAX + 8], again[POLICY_LINE_MAX + 16];

	cr_assert_eq(parse(example, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	policy_rule_text(&P.rules[2], text, sizeof(text));
	cr_assert_str_eq(text, "exe /opt/* gid 27 allow fixed,session-lasting,non-persistent quota 2");
	policy_rule_text(&P.rules[1], text, sizeof(text));
	cr_assert_str_eq(text, "uid 0 allow fixed,session-lasting,non-persistent,"
			       "graceful-replacement quota none");
	snprintf(again, sizeof(again), "rule %s\n", text);
	cr_assert_eq(parse(again, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	policy_rule_text(&P.rules[0], again, sizeof(again));
	cr_assert_str_eq(again, text);
}

Test(policy, text_edits_keep_everything_else)
{
	char *t, *u;

	cr_assert_eq(parse(example, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	/* after the last rule */
	t = policy_text_insert(&P, example, strlen(example), 0, "uid 1000 allow all", err,
			       sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_assert(strncmp(t, example, strlen(example)) == 0);
	cr_assert_str_eq(t + strlen(example), "rule uid 1000 allow all\n");
	free(t);
	/* before rule 2 */
	t = policy_text_insert(&P, example, strlen(example), 2, "uid 5", err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_assert(strstr(t, "# downloads\nrule uid 5\nrule uid 0 allow all"), "%s", t);
	cr_assert_eq(parse(t, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	cr_assert_eq(P.n_rules, 5);
	cr_assert_eq(P.rules[1].uid, 5);
	/* delete it again: the original text */
	u = policy_text_delete(&P, t, strlen(t), 2, err, sizeof(err));
	cr_assert_not_null(u, "%s", err);
	cr_assert_str_eq(u, example);
	free(t);
	free(u);
	/* a rule out of range, a line break smuggled in */
	cr_assert_null(policy_text_delete(&P, example, strlen(example), 6, err, sizeof(err)));
	cr_assert(strstr(err, "no rule 6"), "%s", err);
	cr_assert_null(policy_text_insert(&P, example, strlen(example), 0, "uid 1\nquota 0", err,
					  sizeof(err)));
	cr_assert(strstr(err, "control character"), "%s", err);
}

/* A rule's own comment lines stay over it when a rule is put before it. */
Test(policy, text_insert_above_the_comment_of_the_rule)
{
	static const char commented[] = "quota 4\n"
					"\n"
					"# ssh sessions survive moves.\n"
					"  # (both lines are the rule's)\n"
					"rule exe /usr/bin/ssh default session-lasting\n"
					"rule uid 0 allow all\n";
	char *t;

	cr_assert_eq(parse(commented, ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	t = policy_text_insert(&P, commented, strlen(commented), 1, "uid 5", err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_assert_str_eq(t, "quota 4\n"
			    "\n"
			    "rule uid 5\n"
			    "# ssh sessions survive moves.\n"
			    "  # (both lines are the rule's)\n"
			    "rule exe /usr/bin/ssh default session-lasting\n"
			    "rule uid 0 allow all\n");
	free(t);
	/* no comment over rule 2: right before it */
	t = policy_text_insert(&P, commented, strlen(commented), 2, "uid 6", err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_assert(strstr(t, "session-lasting\nrule uid 6\nrule uid 0 allow all\n"), "%s", t);
	free(t);
	/* a comment at the very top of the file goes with the first rule too */
	cr_assert_eq(parse("# top\nrule uid 1\n", ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	t = policy_text_insert(&P, "# top\nrule uid 1\n", 17, 1, "uid 2", err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	cr_assert_str_eq(t, "rule uid 2\n# top\nrule uid 1\n");
	free(t);
}

/* The new rule's error names it, not a line of the file it is not in yet. */
Test(policy, check_rule_alone)
{
	cr_assert_eq(policy_check_rule("uid 1000 allow all", ODM_TYPE_NON_PERSISTENT, err,
				       sizeof(err)), 0, "%s", err);
	cr_assert_eq(policy_check_rule("uid x", ODM_TYPE_NON_PERSISTENT, err, sizeof(err)),
		     -EINVAL);
	cr_assert_str_eq(err, "new rule: x: expected a number from 0 to 4294967294 (uid)");
	cr_assert_eq(policy_check_rule("", ODM_TYPE_NON_PERSISTENT, err, sizeof(err)), -EINVAL);
	cr_assert(strncmp(err, "new rule: ", 10) == 0, "%s", err);
}

Test(policy, text_insert_without_rules_or_final_newline)
{
	char *t;

	cr_assert_eq(parse("quota 3", ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	t = policy_text_insert(&P, "quota 3", 7, 0, "uid 1", err, sizeof(err));
	cr_assert_str_eq(t, "quota 3\nrule uid 1\n");
	free(t);
	cr_assert_eq(parse("rule uid 2", ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	t = policy_text_insert(&P, "rule uid 2", 10, 0, "uid 1", err, sizeof(err));
	cr_assert_str_eq(t, "rule uid 2\nrule uid 1\n");
	free(t);
	cr_assert_eq(parse("", ODM_TYPE_NON_PERSISTENT), 0, "%s", err);
	t = policy_text_insert(&P, "", 0, 0, "uid 1", err, sizeof(err));
	cr_assert_str_eq(t, "rule uid 1\n");
	free(t);
}

