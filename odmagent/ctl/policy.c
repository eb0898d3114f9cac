/* SPDX-License-Identifier: MIT */
/*
 * policy.c — odmctl policy show|add|del|test and odmctl reload: the host
 * agent's policy (odm-policy(5)) read, changed and tried out through the
 * control socket. add, del and reload are root's (the agent answers EPERM
 * to anyone else); the agent writes the file, never odmctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"
#include "odm.h"

struct pol_sub {
	const char *name;
	int (*fn)(const struct ctl_opts *o, int argc, char **argv);
	const char *args;
	const char *help;
	const char *detail;
};

static int p_show(const struct ctl_opts *o, int argc, char **argv);
static int p_add(const struct ctl_opts *o, int argc, char **argv);
static int p_del(const struct ctl_opts *o, int argc, char **argv);
static int p_test(const struct ctl_opts *o, int argc, char **argv);

static const struct pol_sub subs[] = {
	{ "show", p_show, "", "print the policy in force: globals and rules, numbered",
	  "  with -j: one JSON object {file, default, allow, quota, rules}\n" },
	{ "add", p_add, "[--at N] RULE...",
	  "add a rule to the policy file and put it in force (root)",
	  "  RULE...   the words of a rule after \"rule\", e.g.\n"
	  "            exe /usr/bin/curl default session-lasting\n"
	  "  --at N    insert it before rule N (default: after the last rule)\n" },
	{ "del", p_del, "N", "delete rule N from the policy file and the policy in force (root)",
	  "  N         the rule's number, as \"policy show\" lists it\n" },
	{ "test", p_test, "--uid N [--gid N] [--exe PATH] [--type TYPE]",
	  "what the policy gives a program: its type, or the refusal",
	  "  --uid N       the user\n"
	  "  --gid N       a group (primary or supplementary)\n"
	  "  --exe PATH    the program, as /proc/PID/exe shows it\n"
	  "  --type TYPE   the type it asks for; without: a program that does not ask\n" },
};

#define N_SUBS (sizeof(subs) / sizeof(subs[0]))

static void sub_usage_line(FILE *f, const struct pol_sub *s)
{
	fprintf(f, "usage: %s [-j] [-s socket] policy %s%s%s\n", ctl_prog, s->name,
		*s->args ? " " : "", s->args);
}

static int sub_usage(const struct pol_sub *s)
{
	sub_usage_line(stderr, s);
	fprintf(stderr, "Try '%s policy %s --help' for more information.\n", ctl_prog, s->name);
	return CTL_EXIT_USAGE;
}

static void policy_help(FILE *f)
{
	fprintf(f, "usage: %s [-j] [-s socket] policy show|add|del|test [ARG...]\n\n"
		   "The host agent's policy: which address types programs may have, and\n"
		   "which one they get when they do not ask (odm-policy(5)).\n\n",
		ctl_prog);
	for (size_t i = 0; i < N_SUBS; i++)
		fprintf(f, "  %-5s %s\n", subs[i].name, subs[i].help);
	fprintf(f, "\n%s policy SUBCOMMAND --help for each; more in odmctl(8).\n", ctl_prog);
}

/* -h/--help or -V/--version before "--": 1 help, 2 version, 0 neither. */
static int info_flag(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
		if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0)
			return 2;
	}
	return 0;
}

int cmd_policy(const struct ctl_opts *o, int argc, char **argv)
{
	const struct pol_sub *s = NULL;

	if (argc < 2) {
		ctl_errx("policy: no subcommand (show, add, del, test)");
		return ctl_usage_of("policy");
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		policy_help(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", ctl_prog, ODM_VERSION);
		return 0;
	}
	for (size_t i = 0; i < N_SUBS; i++)
		if (strcmp(subs[i].name, argv[1]) == 0)
			s = &subs[i];
	if (!s) {
		ctl_errx("policy: unknown subcommand \"%s\"", argv[1]);
		return ctl_usage_of("policy");
	}
	switch (info_flag(argc - 1, argv + 1)) {
	case 1:
		sub_usage_line(stdout, s);
		printf("\n%s.\n\n%s", s->help, s->detail);
		printf("\n-j and -s: see %s --help; more in odmctl(8) and odm-policy(5).\n",
		       ctl_prog);
		return 0;
	case 2:
		printf("%s %s\n", ctl_prog, ODM_VERSION);
		return 0;
	}
	return s->fn(o, argc - 1, argv + 1);
}

/* Send req (taken); the exit code, *resp the reply when 0. */
static int call(const struct ctl_opts *o, json_t *req, json_t **resp)
{
	int r;

	if (!req) {
		ctl_errx("out of memory");
		return CTL_EXIT_ERR;
	}
	r = ctl_request(o, req, resp);
	json_decref(req);
	return r;
}

/* "allow a,b" and "quota N" or "quota none", the lines show and test share */
static void print_allow_quota(const json_t *resp)
{
	const json_t *t = json_object_get(resp, "quota");
	json_t *e;
	size_t j;

	printf("allow ");
	json_array_foreach(json_object_get(resp, "allow"), j, e)
		printf("%s%s", j ? "," : "", json_string_value(e));
	if (json_is_integer(t))
		printf("\nquota %lld\n", (long long)json_integer_value(t));
	else
		printf("\nquota none\n");
}

/* A whole decimal number in [0, max]; -1 if s is not one. */
static int p_show(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *resp, *rules, *ru;
	size_t i;
	int r;

	if (argc > 1) {
		ctl_errx("policy show: unexpected argument \"%s\"", argv[1]);
		return sub_usage(&subs[0]);
	}
	if ((r = call(o, json_pack("{s:s}", "op", "policy-show"), &resp)))
		return r;
	if (o->json) {
		ctl_print(o, resp);
		json_decref(resp);
		return 0;
	}
	printf("file ");
	ctl_print_value(json_object_get(resp, "file"));
	printf("\ndefault %s\n", json_string_value(json_object_get(resp, "default")));
	print_allow_quota(resp);
	rules = json_object_get(resp, "rules");
	printf("rules %zu\n", json_array_size(rules));
	json_array_foreach(rules, i, ru)
		printf("  %lld  line %lld  rule %s\n",
		       (long long)json_integer_value(json_object_get(ru, "rule")),
		       (long long)json_integer_value(json_object_get(ru, "line")),
		       json_string_value(json_object_get(ru, "text")));
	json_decref(resp);
	return 0;
}

static int p_add(const struct ctl_opts *o, int argc, char **argv)
{
	char rule[1100];
	size_t off = 0;
	long long at = 0;
	json_t *req, *resp;
	int i = 1, r;

	if (i < argc && strcmp(argv[i], "--at") == 0) {
		if (i + 1 >= argc) {
			ctl_errx("policy add: option \"--at\" needs an argument");
			return sub_usage(&subs[1]);
		}
		if ((at = ctl_number(argv[i + 1], 65535)) < 1) {
			/* a bad value, not a usage error (odmctl(8) EXIT STATUS) */
			ctl_errx("policy add: --at needs a rule number 1..65535, not \"%s\"",
				 argv[i + 1]);
			return CTL_EXIT_ERR;
		}
		i += 2;
		/* a second would go to the agent as the rule's first words */
		if (i < argc && strcmp(argv[i], "--at") == 0) {
			ctl_errx("policy add: option \"--at\" given twice");
			return sub_usage(&subs[1]);
		}
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		ctl_errx("policy add: no rule given");
		return sub_usage(&subs[1]);
	}
	for (; i < argc; i++) {
		if (off + strlen(argv[i]) + 2 > sizeof(rule)) {
			ctl_errx("policy add: the rule is too long");
			return CTL_EXIT_USAGE;
		}
		off += (size_t)snprintf(rule + off, sizeof(rule) - off, "%s%s", off ? " " : "",
					argv[i]);
	}
	req = json_pack("{s:s, s:s}", "op", "policy-add", "rule", rule);
	if (req && at)
		json_object_set_new(req, "at", json_integer(at));
	if ((r = call(o, req, &resp)))
		return r;
	if (o->json)
		ctl_print(o, resp);
	else
		printf("rule %lld added (%lld rules)\n",
		       (long long)json_integer_value(json_object_get(resp, "rule")),
		       (long long)json_integer_value(json_object_get(resp, "rules")));
	json_decref(resp);
	return 0;
}

static int p_del(const struct ctl_opts *o, int argc, char **argv)
{
	long long no;
	json_t *resp;
	int r;

	if (argc != 2 || (no = ctl_number(argv[1], 65535)) < 1) {
		if (argc < 2)
			ctl_errx("policy del: no rule number given");
		else if (argc > 2)
			ctl_errx("policy del: unexpected argument \"%s\"", argv[2]);
		else {
			/* a bad value, not a usage error (odmctl(8) EXIT STATUS) */
			ctl_errx("policy del: not a rule number 1..65535: \"%s\"", argv[1]);
			return CTL_EXIT_ERR;
		}
		return sub_usage(&subs[2]);
	}
	if ((r = call(o, json_pack("{s:s, s:I}", "op", "policy-del", "rule", (json_int_t)no),
		      &resp)))
		return r;
	if (o->json)
		ctl_print(o, resp);
	else
		printf("rule %lld deleted (%lld rules)\n", no,
		       (long long)json_integer_value(json_object_get(resp, "rules")));
	json_decref(resp);
	return 0;
}

static int p_test(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "op", "policy-test"), *resp;
	int r, have_uid = 0;

	if (!req)
		return CTL_EXIT_ERR;
	for (int i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		long long n;

		if (strcmp(opt, "--uid") != 0 && strcmp(opt, "--gid") != 0 &&
		    strcmp(opt, "--exe") != 0 && strcmp(opt, "--type") != 0) {
			ctl_errx("policy test: unexpected %s \"%s\"",
				 opt[0] == '-' ? "option" : "argument", opt);
			goto usage;
		}
		if (!val) {
			ctl_errx("policy test: option \"%s\" needs an argument", opt);
			goto usage;
		}
		if (json_object_get(req, opt + 2)) {
			ctl_errx("policy test: option \"%s\" given twice", opt);
			goto usage;
		}
		if (strcmp(opt, "--uid") == 0 || strcmp(opt, "--gid") == 0) {
			n = ctl_number(val, 4294967294LL);
			if (n < 0) {
				/* (uid_t)-1 is "no uid" to the kernel: never a user */
				ctl_errx("policy test: %s: not a number 0..4294967294: \"%s\"",
					 opt, val);
				goto bad; /* a bad value, not a usage error (odmctl(8)) */
			}
			json_object_set_new(req, opt + 2, json_integer(n));
			have_uid |= opt[2] == 'u';
		} else if (strcmp(opt, "--type") == 0) {
			if (odm_type_parse(val) < 0) {
				ctl_errx("policy test: --type: unknown address type \"%s\" (fixed, "
					 "session-lasting, non-persistent, graceful-replacement, "
					 "or 1-4)", val);
				goto bad;
			}
			json_object_set_new(req, "type", json_string(odm_type_name(odm_type_parse(val))));
		} else {
			/* a rule names a program by its absolute path: a relative
			 * one would match none, silently */
			if (val[0] != '/') {
				ctl_errx("policy test: --exe: \"%s\" is not an absolute path "
					 "(as /proc/PID/exe shows a program)", val);
				goto bad;
			}
			json_object_set_new(req, opt + 2, json_string(val));
		}
	}
	if (!have_uid) {
		ctl_errx("policy test: --uid is needed");
		goto usage;
	}
	if ((r = call(o, req, &resp)))
		return r;
	if (o->json) {
		ctl_print(o, resp);
	} else {
		const char *key;
		json_t *v;

		/* the allow set and quota as policy show writes them */
		json_object_foreach(resp, key, v) {
			if (strcmp(key, "allow") == 0 || strcmp(key, "quota") == 0)
				continue;
			printf("%s ", key);
			ctl_print_value(v);
			putchar('\n');
		}
		print_allow_quota(resp);
	}
	json_decref(resp);
	return 0;
usage:
	json_decref(req);
	return sub_usage(&subs[3]);
bad:
	json_decref(req);
	return CTL_EXIT_ERR;
}

int cmd_reload(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *resp;
	int r;

	if (argc > 1) {
		ctl_errx("reload: unexpected %s \"%s\"", argv[1][0] == '-' ? "option" : "argument",
			 argv[1]);
		return ctl_usage_of("reload");
	}
	if ((r = call(o, json_pack("{s:s}", "op", "reload"), &resp)))
		return r;
	if (o->json) {
		ctl_print(o, resp);
	} else {
		printf("reloaded %s", json_string_value(json_object_get(resp, "config")));
		if (json_is_string(json_object_get(resp, "policy")))
			printf(", policy %s (%lld rules)",
			       json_string_value(json_object_get(resp, "policy")),
			       (long long)json_integer_value(json_object_get(resp, "rules")));
		putchar('\n');
	}
	json_decref(resp);
	return 0;
}
