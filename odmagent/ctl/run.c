/*
 * run.c — "odmctl run": start a program with libodm.so preloaded. The
 * library is APPENDED to LD_PRELOAD, never put in place of what is there,
 * so other preloaded tools keep working (the mptcpize lesson).
 *
 * Where libodm.so is looked for, first hit wins:
 *   $ODM_LIBODM, then next to odmctl's own executable, then ../lib from it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"
#include "odm.h"

static int find_libodm(char *out, size_t len)
{
	const char *env = getenv("ODM_LIBODM");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env) {
		if (access(env, R_OK) != 0) {
			ctl_errx("run: $ODM_LIBODM: %s: %s", env, strerror(errno));
			return -1;
		}
		snprintf(out, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		ctl_errx("run: cannot find my own executable: %s", strerror(errno));
		return -1;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if ((size_t)snprintf(out, len, "%s/libodm.so", exe) < len && access(out, R_OK) == 0)
		return 0;
	if ((size_t)snprintf(out, len, "%s/../lib/libodm.so", exe) < len && access(out, R_OK) == 0)
		return 0;
	ctl_errx("run: libodm.so not found next to %s or in %s/../lib; set ODM_LIBODM", exe, exe);
	return -1;
}

/* LD_PRELOAD takes blank- or colon-separated names: is lib there already? */
static int preload_has(const char *list, const char *lib)
{
	size_t n = strlen(lib);

	for (const char *p = list; (p = strstr(p, lib)); p += n) {
		int start = p == list || p[-1] == ':' || p[-1] == ' ';
		int end = p[n] == '\0' || p[n] == ':' || p[n] == ' ';

		if (start && end)
			return 1;
	}
	return 0;
}

int cmd_run(const struct ctl_opts *o, int argc, char **argv)
{
	char lib[PATH_MAX];
	const char *type = NULL, *old;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--type") == 0) {
			if (i + 1 >= argc) {
				ctl_errx("run: option \"--type\" needs an argument");
				return ctl_usage_of("run");
			}
			type = argv[++i];
			continue;
		}
		if (argv[i][0] == '-') {
			ctl_errx("run: unknown option \"%s\"", argv[i]);
			return ctl_usage_of("run");
		}
		break; /* the command, without a "--" */
	}
	if (i >= argc)
		return ctl_usage_of("run");
	if (type && odm_type_from_name(type) <= 0) {
		ctl_errx("run: unknown address type \"%s\" (fixed, session-lasting, "
			 "non-persistent, graceful-replacement)", type);
		return CTL_EXIT_ERR;
	}
	if (find_libodm(lib, sizeof(lib)) < 0)
		return CTL_EXIT_ERR;

	old = getenv("LD_PRELOAD");
	if (old && *old && !preload_has(old, lib)) {
		size_t n = strlen(old) + 1 + strlen(lib) + 1;
		char *v = malloc(n);

		if (!v) {
			ctl_errx("run: out of memory");
			return CTL_EXIT_ERR;
		}
		snprintf(v, n, "%s:%s", old, lib);
		if (setenv("LD_PRELOAD", v, 1) < 0) {
			free(v);
			ctl_errx("run: setenv: %s", strerror(errno));
			return CTL_EXIT_ERR;
		}
		free(v);
	} else if (!old || !*old) {
		if (setenv("LD_PRELOAD", lib, 1) < 0) {
			ctl_errx("run: setenv: %s", strerror(errno));
			return CTL_EXIT_ERR;
		}
	}
	if (type && setenv("ODM_TYPE", type, 1) < 0) {
		ctl_errx("run: setenv: %s", strerror(errno));
		return CTL_EXIT_ERR;
	}
	/* -s reaches the shim the same way it reaches odmctl */
	if (o->socket && setenv(ODM_IPC_ENV, o->socket, 1) < 0) {
		ctl_errx("run: setenv: %s", strerror(errno));
		return CTL_EXIT_ERR;
	}
	execvp(argv[i], argv + i);
	ctl_errx("run: %s: %s", argv[i], strerror(errno));
	return CTL_EXIT_ERR;
}
