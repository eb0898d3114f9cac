/* SPDX-License-Identifier: MIT */
/*
 * ctl.h — odmctl's subcommands and the helpers they share. One file per
 * subcommand family; the table in odmctl.c drives dispatch and usage.
 */
#ifndef ODM_CTL_H
#define ODM_CTL_H

#include <jansson.h>

/* Exit codes: 0 ok, 1 error, 2 usage. */
#define CTL_EXIT_ERR 1
#define CTL_EXIT_USAGE 2

struct ctl_opts {
	const char *socket; /* -s, else ipc_socket_path() */
	int json;           /* -j */
};

struct ctl_cmd {
	const char *name;
	int (*fn)(const struct ctl_opts *o, int argc, char **argv);
	const char *args;  /* for usage */
	const char *help;
	const char *detail; /* the arguments and options, for COMMAND --help; or NULL */
	int operand_ends_options; /* run: what follows the first operand is the program's;
				   * CTL_OWN_HELP: the command has subcommands and
				   * answers -h and -V itself (policy) */
};

#define CTL_OWN_HELP 2

/* odmctl.c */
extern const char *ctl_prog;
void ctl_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_usage_of(const char *cmd); /* prints usage of cmd, returns CTL_EXIT_USAGE */
/* An option with a value given again would drop the first without a word:
 * if seen, says so and returns ctl_usage_of(cmd); else 0 */
int ctl_once(const char *cmd, const char *opt, int seen);
/* "cannot connect to PATH: why" for ipc_connect's -errno, saying when PATH
 * is no socket at all (a directory, a file) or one nobody listens on */
void ctl_connect_err(const char *path, int err);
/* -s as a program started elsewhere needs it: a relative path joined to
 * the current directory where the result fits in a socket address (else
 * as given); NULL without -s */
const char *ctl_socket_abs(const struct ctl_opts *o, char *buf, size_t len);
/*
 * Validate, send and wait; prints the error (and, with -j, {error, message}
 * on stdout) and returns CTL_EXIT_ERR unless ok. A reply comes back without
 * the protocol's framing fields (id, ok).
 */
int ctl_request(const struct ctl_opts *o, json_t *req, json_t **resp);
/* Print a reply: one line of JSON with -j, else "key value" lines. */
void ctl_print(const struct ctl_opts *o, const json_t *resp);
void ctl_print_value(const json_t *v);
/* A number as the files write them (odmagent.conf(5)): decimal digits, no
 * sign, blank or leading zero, at most max; else -1. */
long long ctl_number(const char *s, long long max);

/* agent.c */
int cmd_hello(const struct ctl_opts *o, int argc, char **argv);
int cmd_status(const struct ctl_opts *o, int argc, char **argv);
int cmd_lease(const struct ctl_opts *o, int argc, char **argv);
int cmd_release(const struct ctl_opts *o, int argc, char **argv);
int cmd_leases(const struct ctl_opts *o, int argc, char **argv);

/* policy.c */
int cmd_policy(const struct ctl_opts *o, int argc, char **argv);
int cmd_reload(const struct ctl_opts *o, int argc, char **argv);
/* monitor.c */
int cmd_monitor(const struct ctl_opts *o, int argc, char **argv);

/* run.c */
int cmd_run(const struct ctl_opts *o, int argc, char **argv);
/* libodm.so: $ODM_LIBODM, next to odmctl, or ../lib from it; -1 (told) if none */
int ctl_find_libodm(char *out, size_t len);

/* genkey.c */
int cmd_genkey(const struct ctl_opts *o, int argc, char **argv);

/* enable.c */
int cmd_enable(const struct ctl_opts *o, int argc, char **argv);
int cmd_disable(const struct ctl_opts *o, int argc, char **argv);

#endif
