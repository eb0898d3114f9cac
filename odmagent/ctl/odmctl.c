/*
 * odmctl.c — the command table, global options and the helpers every
 * subcommand shares: one request path (validated against the same schema
 * the agent uses) and one printing path for text and -j JSON.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"

#define CTL_TIMEOUT_MS 5000

const char *ctl_prog = "odmctl";

static const struct ctl_cmd commands[] = {
	{ "status", cmd_status, "", "show role, care-of address, leases and bindings" },
	{ "hello", cmd_hello, "", "show the agent's role, version and default type" },
	{ "lease", cmd_lease, "TYPE DST [--cha ADDR] [--proto tcp|udp] [--fresh]",
	  "lease an address of TYPE for a flow to DST (debugging)" },
	{ "release", cmd_release, "ADDR", "release a leased address (debugging)" },
	{ "run", cmd_run, "[--type TYPE] -- COMMAND [ARG...]",
	  "run COMMAND with libodm.so preloaded" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [-j] [-s socket] COMMAND [ARG...]\n\ncommands:\n", ctl_prog);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int ctl_usage_of(const char *cmd)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, cmd) == 0)
			fprintf(stderr, "usage: %s [-j] [-s socket] %s%s%s\n", ctl_prog, cmd,
				*commands[i].args ? " " : "", commands[i].args);
	return CTL_EXIT_USAGE;
}

void ctl_errx(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctl_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int ctl_request(const struct ctl_opts *o, json_t *req, json_t **resp)
{
	const char *path = o->socket ? o->socket : ipc_socket_path();
	const char *op = json_string_value(json_object_get(req, "op"));
	char err[256];
	int fd, r;

	*resp = NULL;
	/* the schema is shared: a bad request is caught here with the agent's words */
	if (!json_object_get(req, "id"))
		json_object_set_new(req, "id", json_integer(getpid()));
	if (ipc_validate_request(req, err, sizeof(err)) < 0) {
		ctl_errx("%s: %s", op ? op : "request", err);
		return CTL_EXIT_ERR;
	}
	fd = ipc_connect(path, CTL_TIMEOUT_MS);
	if (fd < 0) {
		ctl_errx("cannot connect to %s: %s", path, strerror(-fd));
		return CTL_EXIT_ERR;
	}
	r = ipc_call(fd, req, resp, CTL_TIMEOUT_MS);
	close(fd);
	if (r < 0) {
		ctl_errx("%s: no answer from %s: %s", op, path, strerror(-r));
		return CTL_EXIT_ERR;
	}
	if (!json_is_true(json_object_get(*resp, "ok"))) {
		const char *code = json_string_value(json_object_get(*resp, "error"));
		const char *msg = json_string_value(json_object_get(*resp, "message"));

		ctl_errx("%s: %s: %s", op, code ? code : "error", msg ? msg : "(no message)");
		if (o->json)
			ctl_print(o, *resp);
		json_decref(*resp);
		*resp = NULL;
		return CTL_EXIT_ERR;
	}
	return 0;
}

void ctl_print_value(const json_t *v)
{
	char *s;

	if (!v || json_is_null(v)) {
		fputs("-", stdout);
	} else if (json_is_string(v)) {
		fputs(json_string_value(v), stdout);
	} else {
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		fputs(s ? s : "?", stdout);
		free(s);
	}
}

void ctl_print(const struct ctl_opts *o, const json_t *resp)
{
	const char *key;
	json_t *v;

	if (o->json) {
		char *s = json_dumps(resp, JSON_COMPACT);

		if (s)
			puts(s);
		free(s);
		return;
	}
	json_object_foreach((json_t *)resp, key, v) {
		/* framing fields say nothing to a reader */
		if (strcmp(key, "id") == 0 || strcmp(key, "ok") == 0)
			continue;
		printf("%s ", key);
		ctl_print_value(v);
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	struct ctl_opts o = { 0 };
	int c;

	/* '+': options after the command belong to the command */
	while ((c = getopt(argc, argv, "+hjs:")) != -1) {
		switch (c) {
		case 'j':
			o.json = 1;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, argv[optind]) == 0)
			return commands[i].fn(&o, argc - optind, argv + optind);
	ctl_errx("unknown command \"%s\"", argv[optind]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
