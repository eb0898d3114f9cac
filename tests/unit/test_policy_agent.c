/* SPDX-License-Identifier: MIT */
/* test_policy_agent.c — the running policy: loading the file odmagent.conf
 * names (and the errors that keep an agent from starting), and the
 * policy-reloaded event when a policy is put in force (policy_agent.h). */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "odm.h"
#include "policy_agent.h"

static char dir[64];
static struct odm_config cfg;
static char err[512];

static void setup(void)
{
	odm_log_init("test", ODM_LOG_ERR, 0);
	snprintf(dir, sizeof(dir), "/tmp/odm-pol-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	config_defaults(&cfg);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(policy_agent, .init = setup, .fini = teardown);

/* Write text to dir/name and make cfg name it. */
static void policy_file(const char *name, const char *text)
{
	FILE *f;

	snprintf(cfg.policy_file, sizeof(cfg.policy_file), "%s/%s", dir, name);
	f = fopen(cfg.policy_file, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(policy_agent, no_file_is_the_policy_without_one)
{
	struct policy_state *ps;

	cfg.default_type = ODM_TYPE_SESSION_LASTING;
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ps->has_file, 0);
	cr_assert_eq(ps->pol.default_type, ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(ps->pol.allow, POLICY_ALL_TYPES);
	policy_state_free(ps);
}

Test(policy_agent, a_file_is_read_and_kept_for_edits)
{
	static const char text[] = "# comment\nquota 3\nrule uid 7 allow all\n";
	struct policy_state *ps;

	policy_file("policy", text);
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ps->has_file, 1);
	cr_assert_eq(ps->pol.n_rules, 1);
	cr_assert_eq(ps->pol.quota, 3);
	cr_assert_str_eq(ps->text, text);
	cr_assert_str_eq(ps->sf.path, cfg.policy_file);
	policy_state_free(ps);
}

Test(policy_agent, errors_name_the_file_and_line)
{
	struct policy_state *ps = (void *)1;
	char link[128];

	policy_file("bad", "quota 3\nrule uid x\n");
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), -EINVAL);
	cr_assert_null(ps);
	cr_assert(strstr(err, "/bad:2: x: expected a number"), "%s", err);
	snprintf(cfg.policy_file, sizeof(cfg.policy_file), "%s/missing", dir);
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "/missing: No such file or directory"), "%s", err);
	/* the directive is named: the operator knows where the path came from */
	cr_assert_eq(strncmp(err, "policy-file /", 13), 0, "%s", err);
	/* and with the configuration's file and line, when known */
	snprintf(cfg.source, sizeof(cfg.source), "/etc/odm/odmagent.conf");
	cfg.policy_file_line = 7;
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), -ENOENT);
	cr_assert_eq(strncmp(err, "/etc/odm/odmagent.conf:7: policy-file /", 39), 0, "%s", err);
	/* a policy anyone may write is refused: anyone could give themselves
	 * any type and no quota */
	policy_file("open", "quota 3\n");
	cr_assert_eq(chmod(cfg.policy_file, 0646), 0);
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), -EPERM);
	cr_assert_null(ps);
	cr_assert(strstr(err, "/open: writable by others (mode 0646); chmod o-w it"), "%s", err);
	cr_assert_eq(chmod(cfg.policy_file, 0664), 0);
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), 0, "%s", err);
	policy_state_free(ps);
	/* nor one another user owns, who may write it whatever its mode (as
	 * root only: nobody else can give a file away) */
	if (geteuid() == 0) {
		cr_assert_eq(chown(cfg.policy_file, 65534, 65534), 0);
		cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), -EPERM);
		cr_assert_null(ps);
		cr_assert(strstr(err, "/open: owned by uid 65534, neither the agent's user nor "
				      "root; chown it"), "%s", err);
		cr_assert_eq(chown(cfg.policy_file, 0, 0), 0);
	}
	cfg.source[0] = '\0';
	cfg.policy_file_line = 0;
	/* a file in a directory that is not there: refused, the directory not made */
	{
		char sub[160];
		struct stat st;

		snprintf(sub, sizeof(sub), "%s/nodir", dir);
		snprintf(cfg.policy_file, sizeof(cfg.policy_file), "%s/policy", sub);
		cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), -ENOENT);
		cr_assert(stat(sub, &st) < 0 && errno == ENOENT,
			  "loading a policy made its directory %s", sub);
	}
	/* a symbolic link would be replaced by policy-add, not its target */
	policy_file("target", "quota 1\n");
	snprintf(link, sizeof(link), "%s/link", dir);
	cr_assert_eq(symlink(cfg.policy_file, link), 0);
	snprintf(cfg.policy_file, sizeof(cfg.policy_file), "%s", link);
	cr_assert_lt(policy_state_load(&cfg, &ps, err, sizeof(err)), 0);
	cr_assert(strstr(err, "/link: a symbolic link (not followed)"), "%s", err);
}

/*
 * The policy file's directory is held to the state-dir's rule (statefile.h):
 * whoever may write it can rename another file over the policy (any type
 * and no quota for anyone). Refused, and the error says so; before, the
 * check of statefile_open() refused it as "Operation not permitted".
 */
Test(policy_agent, a_directory_others_may_write_is_refused_naming_why)
{
	struct policy_state *ps;
	char sub[160];

	snprintf(sub, sizeof(sub), "%s/open", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	cr_assert_eq(chmod(sub, 0777), 0);
	snprintf(cfg.policy_file, sizeof(cfg.policy_file), "%s/policy", sub);
	policy_file("open/policy", "quota 3\n");
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), -EPERM);
	cr_assert_null(ps);
	cr_assert(strstr(err, "/open/policy: its directory: writable by others (mode 0777)"),
		  "%s", err);
	cr_assert_null(strstr(err, "Operation not permitted"), "%s", err);
	/* sticky (as /tmp): others still put files there */
	cr_assert_eq(chmod(sub, 01777), 0);
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), -EPERM);
	cr_assert(strstr(err, "writable by others (mode 1777)"), "%s", err);
	cr_assert_eq(chmod(sub, 0755), 0);
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), 0, "%s", err);
	policy_state_free(ps);
}

struct heard {
	int n;
	char kind[32], file[128];
	json_int_t rules;
};

static void on_event(void *ctx, const json_t *e, const struct events_audience *to)
{
	struct heard *h = ctx;
	const char *file = json_string_value(json_object_get(e, "file"));

	h->n++;
	snprintf(h->kind, sizeof(h->kind), "%s", json_string_value(json_object_get(e, "event")));
	snprintf(h->file, sizeof(h->file), "%s", file ? file : "(null)");
	h->rules = json_integer_value(json_object_get(e, "rules"));
}

Test(policy_agent, installing_a_policy_is_told_as_policy_reloaded)
{
	struct odm_agent a;
	struct policy_state *ps;
	struct heard h = { 0 };

	memset(&a, 0, sizeof(a));
	events_init(&a.events);
	cr_assert_eq(events_subscribe(&a.events, on_event, &h), 0);
	policy_file("policy", "rule uid 1\nrule uid 2\n");
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), 0, "%s", err);
	policy_agent_install(&a, ps);
	cr_assert_eq(a.policy, ps);
	cr_assert_eq(h.n, 1);
	cr_assert_str_eq(h.kind, "policy-reloaded");
	cr_assert_str_eq(h.file, cfg.policy_file);
	cr_assert_eq(h.rules, 2);
	/* the next one replaces it (the old one is freed: LeakSanitizer in make san) */
	cfg.policy_file[0] = '\0';
	cr_assert_eq(policy_state_load(&cfg, &ps, err, sizeof(err)), 0, "%s", err);
	policy_agent_install(&a, ps);
	cr_assert_eq(h.n, 2);
	cr_assert_str_eq(h.file, "(null)");
	cr_assert_eq(h.rules, 0);
	policy_agent_stop(&a);
	cr_assert_null(a.policy);
	events_clear(&a.events);
}
