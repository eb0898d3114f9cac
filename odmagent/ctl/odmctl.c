/* SPDX-License-Identifier: MIT */
/*
 * odmctl.c — the command table, global options and the helpers every
 * subcommand shares: one request path (validated against the same schema
 * the agent uses) and one printing path for text and -j JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"

#define CTL_TIMEOUT_MS 5000

const char *ctl_prog = "odmctl";

static const struct ctl_cmd commands[] = {
	{ "status", cmd_status, "", "show role, care-of address, leases and bindings", NULL, 0 },
	{ "hello", cmd_hello, "", "show the agent's role, version and default type", NULL, 0 },
	{ "lease", cmd_lease, "TYPE DST [--cha ADDR] [--proto tcp|udp] [--fresh]",
	  "lease an address of TYPE for a flow to DST (debugging)",
	  "  TYPE             fixed, session-lasting, non-persistent or graceful-replacement\n"
	  "  DST              the peer's IPv6 address\n"
	  "  --cha ADDR       the anchor to ask, an IPv6 address\n"
	  "  --proto tcp|udp  the flow's protocol (default tcp)\n"
	  "  --fresh          a new address, not one the host already holds\n",
	  0 },
	{ "release", cmd_release, "ADDR", "release a leased address (debugging)",
	  "  ADDR             a leased IPv6 address; the agent ends its lease once no\n"
	  "                   socket uses it (exit 1 if it holds no lease for ADDR)\n",
	  0 },
	{ "leases", cmd_leases, "", "list the host agent's leases",
	  "  with -j: one JSON object per lease and line\n", 0 },
	{ "monitor", cmd_monitor, "", "print the agent's events as they happen",
	  "  one line per event (lease granted or ended, move, BU sent, BA received,\n"
	  "  socket destroyed, reload...), flushed at once; with -j one JSON object\n"
	  "  per line. Runs until SIGINT or SIGTERM (exit 0); exit 1 when the agent\n"
	  "  cannot be reached or goes away\n",
	  0 },
	{ "policy", cmd_policy, "show|add|del|test [ARG...]",
	  "show, change or try out the agent's policy (odm-policy(5))", NULL, CTL_OWN_HELP },
	{ "reload", cmd_reload, "", "re-read the agent's configuration and policy (root)",
	  "  as SIGHUP does: no lease or binding ends; a file that does not parse,\n"
	  "  or a change that takes a restart, changes nothing, and the agent's\n"
	  "  reason is printed (exit 1)\n",
	  0 },
	{ "run", cmd_run, "[--type TYPE] [--] COMMAND [ARG...]",
	  "run COMMAND with libodm.so preloaded",
	  "  --type TYPE      ask for TYPE for COMMAND's sockets (sets ODM_TYPE)\n"
	  "  COMMAND [ARG...] the program; libodm.so is appended to LD_PRELOAD, and\n"
	  "                   with -s, ODM_SOCKET is set; a warning if the agent's\n"
	  "                   control socket cannot be reached\n",
	  1 },
	{ "genkey", cmd_genkey, "[-f] [-o FILE] [--nai NAI] [--spi N]",
	  "make a new random key and print the identity line that uses it",
	  "  -o FILE          write the key to FILE (mode 0600), never over an existing\n"
	  "                   file; without -o the line printed holds the key itself\n"
	  "  -f, --force      replace FILE if it exists\n"
	  "  --nai NAI        the host's identity (default: this host's name)\n"
	  "  --spi N          security parameter index, 256..4294967295 (default random)\n",
	  0 },
	{ "enable", cmd_enable, "[--root DIR] [--type TYPE] SERVICE",
	  "run a systemd service under libodm.so (a drop-in)",
	  "  SERVICE          a unit name; writes /etc/systemd/system/SERVICE.service.d/odm.conf\n"
	  "                   setting LD_PRELOAD, then systemctl daemon-reload\n"
	  "  --type TYPE      also set ODM_TYPE for the service's sockets\n"
	  "  --root DIR       write under DIR instead of / (no daemon-reload)\n"
	  "  with -s, ODM_SOCKET too, set to the socket's absolute path\n",
	  0 },
	{ "disable", cmd_disable, "[--root DIR] SERVICE",
	  "remove the drop-in written by enable",
	  "  SERVICE          a unit name enabled with odmctl enable\n"
	  "  --root DIR       as for enable\n",
	  0 },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* subcommand options that take the next word as their argument */
static const char *const ctl_arg_opts[] = { "--cha", "--proto", "--type", "-o", "--nai",
					     "--spi", "--root", NULL };

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [-j] [-s socket] COMMAND [ARG...]\n"
		   "       %s -h | --help | -V | --version\n\n"
		   "options:\n"
		   "  -j, --json         print JSON objects, one per line\n"
		   "  -s, --socket PATH  the agent's control socket\n"
		   "  -h, --help         this help\n"
		   "  -V, --version      print the version\n\n"
		   "commands (COMMAND --help for each):\n",
		ctl_prog, ctl_prog);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

static void print_usage_line(FILE *f, const struct ctl_cmd *c)
{
	fprintf(f, "usage: %s [-j] [-s socket] %s%s%s\n", ctl_prog, c->name, *c->args ? " " : "",
		c->args);
}

static const struct ctl_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int ctl_usage_of(const char *cmd)
{
	const struct ctl_cmd *c = find_command(cmd);

	if (c) {
		print_usage_line(stderr, c);
		fprintf(stderr, "Try '%s %s --help' for more information.\n", ctl_prog, cmd);
	}
	return CTL_EXIT_USAGE;
}

static void print_version(void)
{
	printf("%s %s\n", ctl_prog, ODM_VERSION);
}

/*
 * -h/--help or -V/--version among a subcommand's own options: 1 help,
 * 2 version, 0 neither. Words after "--", the arguments of options such as
 * --cha, and (for run) everything from the program's name on are not
 * options of the subcommand.
 */
static int subcommand_info_flag(const struct ctl_cmd *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return 1;
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)
			return 2;
		if (a[0] != '-' && c->operand_ends_options)
			break;
		for (const char *const *o = ctl_arg_opts; *o; o++)
			if (strcmp(a, *o) == 0) {
				i++;
				break;
			}
	}
	return 0;
}

int ctl_once(const char *cmd, const char *opt, int seen)
{
	if (!seen)
		return 0;
	ctl_errx("%s: option \"%s\" given twice", cmd, opt);
	return ctl_usage_of(cmd);
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

long long ctl_number(const char *s, long long max)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1]))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return v;
}

const char *ctl_socket_abs(const struct ctl_opts *o, char *buf, size_t len)
{
	size_t n;

	if (!o->socket || o->socket[0] == '/' || !getcwd(buf, len))
		return o->socket;
	n = strlen(buf);
	if (n + 1 + strlen(o->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
	    n + 1 + strlen(o->socket) >= len)
		return o->socket;
	snprintf(buf + n, len - n, "/%s", o->socket);
	return buf;
}

void ctl_connect_err(const char *path, int err)
{
	struct stat st;

	if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		ctl_errx("cannot connect to %s: not a socket (%s); the agent's is its "
			 "\"control\" (odmagent.conf(5))", path,
			 S_ISDIR(st.st_mode) ? "a directory" :
			 S_ISREG(st.st_mode) ? "a regular file" : "not a socket file");
	else if (err == -ECONNREFUSED)
		ctl_errx("cannot connect to %s: %s (no agent listens there: one that was "
			 "killed leaves its socket behind)", path, strerror(-err));
	else
		ctl_errx("cannot connect to %s: %s", path, strerror(-err));
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
		ctl_connect_err(path, fd);
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

		code = code ? code : "error";
		msg = msg ? msg : "(no message)";
		ctl_errx("%s: %s: %s", op, code, msg);
		if (o->json) {
			json_t *e = json_pack("{s:s,s:s}", "error", code, "message", msg);

			if (e)
				ctl_print(o, e);
			json_decref(e);
		}
		json_decref(*resp);
		*resp = NULL;
		return CTL_EXIT_ERR;
	}
	/* framing fields of the protocol say nothing to a reader or a script */
	json_object_del(*resp, "id");
	json_object_del(*resp, "ok");
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
		printf("%s ", key);
		ctl_print_value(v);
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd;
	struct ctl_opts o = { 0 };
	int c, li = -1, only = 0;

	opterr = 0; /* the messages below name the bad word */
	/* '+': options after the command belong to the command */
	while ((c = getopt_long(argc, argv, "+:hjs:V", longopts, &li)) != -1) {
		switch (c) {
		case 'j':
			o.json = 1;
			break;
		case 's':
			/* "" would connect to an unnamed abstract socket, and run
			 * would hand the shim an ODM_SOCKET it takes for unset */
			if (!*optarg) {
				ctl_errx("option \"%s\" needs a path, not an empty word",
					 li >= 0 ? "--socket" : "-s");
				fprintf(stderr, "Try '%s --help' for more information.\n", ctl_prog);
				return CTL_EXIT_USAGE;
			}
			if (o.socket) {
				/* the first would be dropped without a word */
				ctl_errx("option \"%s\" given twice", li >= 0 ? "--socket" : "-s");
				fprintf(stderr, "Try '%s --help' for more information.\n", ctl_prog);
				return CTL_EXIT_USAGE;
			}
			o.socket = optarg;
			break;
		case 'h':
		case 'V':
			only = c;
			break;
		case ':':
			ctl_errx("option \"%s\" needs an argument", argv[optind - 1]);
			fprintf(stderr, "Try '%s --help' for more information.\n", ctl_prog);
			return CTL_EXIT_USAGE;
		default: {
			/* a long option is named as typed (getopt gives --json=1
			 * the short letter of --json) */
			const char *w = argv[optind - 1];

			if (w && w[0] == '-' && w[1] == '-' && strchr(w, '='))
				ctl_errx("option \"%.*s\" takes no value (\"%s\")",
					 (int)(strchr(w, '=') - w), w, w);
			else if (optopt && !(w && w[0] == '-' && w[1] == '-'))
				ctl_errx("unknown option \"-%c\"", optopt);
			else
				ctl_errx("unknown option \"%s\"", w);
			fprintf(stderr, "Try '%s --help' for more information.\n", ctl_prog);
			return CTL_EXIT_USAGE;
		}
		}
		li = -1;
	}
	if (only && optind < argc) {
		ctl_errx("unexpected argument \"%s\" after %s", argv[optind],
			 only == 'h' ? "--help" : "--version");
		fprintf(stderr, "Try '%s --help' for more information.\n", ctl_prog);
		return CTL_EXIT_USAGE;
	}
	if (only == 'h') {
		usage(stdout);
		return 0;
	}
	if (only == 'V') {
		print_version();
		return 0;
	}
	if (optind >= argc) {
		ctl_errx("no command given");
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd) {
		ctl_errx("unknown command \"%s\"", argv[optind]);
		fprintf(stderr, "Try '%s --help' for the list of commands.\n", ctl_prog);
		return CTL_EXIT_USAGE;
	}
	if (cmd->operand_ends_options == CTL_OWN_HELP)
		return cmd->fn(&o, argc - optind, argv + optind);
	switch (subcommand_info_flag(cmd, argc - optind, argv + optind)) {
	case 1:
		print_usage_line(stdout, cmd);
		printf("\n%s.\n", cmd->help);
		if (cmd->detail)
			printf("\n%s", cmd->detail);
		printf("\n-j and -s: see %s --help; more in odmctl(8).\n", ctl_prog);
		return 0;
	case 2:
		print_version();
		return 0;
	}
	return cmd->fn(&o, argc - optind, argv + optind);
}
