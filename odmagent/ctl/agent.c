/* SPDX-License-Identifier: MIT */
/*
 * agent.c — odmctl subcommands that talk to the agent: status, hello,
 * leases, and the debugging aids lease and release.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ipc.h"
#include "odm.h"

static const char *const lease_cols[] = { "addr", "type", "anchor", "sockets", "state", NULL };

/* A list of objects: the given columns first, any other field after them. */
static void print_list(const char *title, const json_t *list, const char *const *cols)
{
	size_t i;
	json_t *e;

	if (!json_is_array(list))
		return;
	printf("%s: %zu\n", title, json_array_size(list));
	json_array_foreach(list, i, e) {
		const char *key;
		json_t *v;
		int first = 1;

		fputs("  ", stdout);
		for (const char *const *c = cols; c && *c; c++) {
			printf("%s%s ", first ? "" : "  ", *c);
			ctl_print_value(json_object_get(e, *c));
			first = 0;
		}
		json_object_foreach(e, key, v) {
			int listed = 0;

			for (const char *const *c = cols; c && *c; c++)
				listed |= strcmp(*c, key) == 0;
			if (listed)
				continue;
			printf("%s%s ", first ? "" : "  ", key);
			ctl_print_value(v);
			first = 0;
		}
		putchar('\n');
	}
}

static int no_args(const char *cmd, int argc, char **argv)
{
	if (argc == 1)
		return 0;
	ctl_errx("%s: unexpected %s \"%s\"", cmd, argv[1][0] == '-' ? "option" : "argument",
		 argv[1]);
	return ctl_usage_of(cmd);
}

/* Send req (taken); the exit code for the command, *resp the reply if 0. */
static int call(const struct ctl_opts *o, json_t *req, json_t **resp)
{
	int r = ctl_request(o, req, resp);

	json_decref(req);
	return r;
}

/* The agent's status, for a command that takes no argument. */
static int get_status(const struct ctl_opts *o, const char *cmd, int argc, char **argv,
		      json_t **resp)
{
	int r = no_args(cmd, argc, argv);

	return r ? r : call(o, json_pack("{s:s}", "op", "status"), resp);
}

/* Send req (taken), print the reply; the exit code for the command. */
static int call_and_print(const struct ctl_opts *o, json_t *req)
{
	json_t *resp;
	int r = call(o, req, &resp);

	if (r)
		return r;
	ctl_print(o, resp);
	json_decref(resp);
	return 0;
}

int cmd_hello(const struct ctl_opts *o, int argc, char **argv)
{
	int r;

	if ((r = no_args("hello", argc, argv)))
		return r;
	return call_and_print(o, json_pack("{s:s}", "op", "hello"));
}

int cmd_status(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *resp;
	const char *key;
	json_t *v;
	int r;

	if ((r = get_status(o, "status", argc, argv, &resp)))
		return r;
	if (o->json) {
		ctl_print(o, resp);
		json_decref(resp);
		return 0;
	}
	/* scalars as "key value", the lists of objects as tables below, other
	 * lists (an anchor's modes, its access prefixes) as "key a,b" */
	json_object_foreach(resp, key, v) {
		size_t i;
		json_t *e;

		if (json_is_array(v) && (strcmp(key, "leases") == 0 || strcmp(key, "bindings") == 0 ||
					 strcmp(key, "anchors_on_hold") == 0 ||
					 strcmp(key, "no_route") == 0))
			continue;
		printf("%s ", key);
		if (!json_is_array(v))
			ctl_print_value(v);
		else if (!json_array_size(v))
			fputs("-", stdout);
		json_array_foreach(json_is_array(v) ? v : NULL, i, e) {
			if (i)
				putchar(',');
			ctl_print_value(e);
		}
		putchar('\n');
	}
	print_list("leases", json_object_get(resp, "leases"), lease_cols);
	print_list("bindings", json_object_get(resp, "bindings"), NULL);
	if (json_array_size(json_object_get(resp, "anchors_on_hold")))
		print_list("anchors on hold", json_object_get(resp, "anchors_on_hold"), NULL);
	if (json_array_size(json_object_get(resp, "no_route")))
		print_list("anchors without a route", json_object_get(resp, "no_route"), NULL);
	json_decref(resp);
	return 0;
}

static int check_addr(const char *what, const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		ctl_errx("%s: not an IPv6 address: \"%s\"", what, s);
		return CTL_EXIT_ERR;
	}
	return 0;
}

int cmd_lease(const struct ctl_opts *o, int argc, char **argv)
{
	static const char tcp[] = "tcp";
	const char *type = NULL, *dst = NULL, *cha = NULL, *proto = tcp;
	int fresh = 0, r;
	json_t *req;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cha") == 0 || strcmp(argv[i], "--proto") == 0) {
			if (i + 1 >= argc) {
				ctl_errx("lease: option \"%s\" needs an argument", argv[i]);
				return ctl_usage_of("lease");
			}
			if ((r = ctl_once("lease", argv[i],
					  argv[i][2] == 'c' ? cha != NULL : proto != tcp)))
				return r;
			if (argv[i][2] == 'c')
				cha = argv[++i];
			else
				proto = argv[++i];
		} else if (strcmp(argv[i], "--fresh") == 0) {
			fresh = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			ctl_errx("lease: unknown option \"%s\"", argv[i]);
			return ctl_usage_of("lease");
		} else if (!type) {
			type = argv[i];
		} else if (!dst) {
			dst = argv[i];
		} else {
			ctl_errx("lease: extra argument \"%s\"", argv[i]);
			return ctl_usage_of("lease");
		}
	}
	if (!type || !dst) {
		ctl_errx("lease: no %s given", type ? "DST" : "TYPE");
		return ctl_usage_of("lease");
	}
	if (odm_type_parse(type) < 0) {
		ctl_errx("lease: unknown address type \"%s\" (fixed, session-lasting, "
			 "non-persistent, graceful-replacement, or 1-4)", type);
		return CTL_EXIT_ERR;
	}
	type = odm_type_name(odm_type_parse(type)); /* as the agent spells it */
	if (check_addr("lease: DST", dst) || (cha && check_addr("lease: --cha", cha)))
		return CTL_EXIT_ERR;
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) {
		ctl_errx("lease: --proto must be tcp or udp, not \"%s\"", proto);
		return CTL_EXIT_ERR;
	}
	req = json_pack("{s:s,s:s,s:s,s:s}", "op", "lease", "type", type, "dst", dst, "proto",
			proto);
	if (req && cha)
		json_object_set_new(req, "cha", json_string(cha));
	if (req && fresh)
		json_object_set_new(req, "fresh", json_true());
	return call_and_print(o, req);
}

/*
 * release is a hint: the agent ends a lease when the kernel counts no socket
 * on it. It answers "released": false, with a "reason", when it will not
 * look at the address now: it holds no lease for it ("no-lease", a failure,
 * exit 1), it is stopping ("stopping", exit 1), or the lease is still
 * registering or in its grace after a hand-out ("registering", "grace": it
 * is looked at later, exit 0).
 */
int cmd_release(const struct ctl_opts *o, int argc, char **argv)
{
	const char *why;
	json_t *resp;
	int r;

	if (argc != 2) {
		if (argc < 2)
			ctl_errx("release: no ADDR given");
		else
			ctl_errx("release: extra argument \"%s\"", argv[2]);
		return ctl_usage_of("release");
	}
	if (check_addr("release: ADDR", argv[1]))
		return CTL_EXIT_ERR;
	r = call(o, json_pack("{s:s,s:s}", "op", "release", "addr", argv[1]), &resp);
	if (r)
		return r;
	ctl_print(o, resp);
	why = json_string_value(json_object_get(resp, "reason"));
	if (!json_is_true(json_object_get(resp, "released"))) {
		if (why && (strcmp(why, "registering") == 0 || strcmp(why, "grace") == 0)) {
			ctl_errx("release: %s is %s: the agent looks at it later", argv[1],
				 why[0] == 'r' ? "registering" : "in its grace after hand-out");
		} else if (why && strcmp(why, "stopping") == 0) {
			ctl_errx("release: the agent is stopping");
			r = CTL_EXIT_ERR;
		} else {
			ctl_errx("release: the agent holds no lease for %s", argv[1]);
			r = CTL_EXIT_ERR;
		}
	}
	json_decref(resp);
	return r;
}

/* The host agent's leases (from its status): a table, or with -j one JSON
 * object per lease and per line. */
int cmd_leases(const struct ctl_opts *o, int argc, char **argv)
{
	json_t *resp, *list, *e;
	size_t i;
	int r;

	if ((r = get_status(o, "leases", argc, argv, &resp)))
		return r;
	list = json_object_get(resp, "leases");
	if (!json_is_array(list)) {
		ctl_errx("leases: the agent at %s keeps no leases (role %s)",
			 o->socket ? o->socket : ipc_socket_path(),
			 json_string_value(json_object_get(resp, "role")) ?: "unknown");
		json_decref(resp);
		return CTL_EXIT_ERR;
	}
	if (o->json) {
		json_array_foreach(list, i, e)
			ctl_print(o, e);
	} else {
		print_list("leases", list, lease_cols);
	}
	json_decref(resp);
	return 0;
}
