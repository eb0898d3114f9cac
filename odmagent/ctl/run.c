/* SPDX-License-Identifier: MIT */
/*
 * run.c — "odmctl run": start a program with libodm.so preloaded. The
 * library is APPENDED to LD_PRELOAD, never put in place of what is there,
 * so other preloaded tools keep working (the mptcpize lesson).
 *
 * Where libodm.so is looked for, first hit wins:
 *   $ODM_LIBODM, then next to odmctl's own executable, then ../lib from it.
 *
 * The shim quietly hands out plain addresses when it cannot reach the
 * agent, so run first tries the control socket itself and warns when the
 * calling user cannot reach it (or no agent listens there). It warns too
 * when the shim will not be loaded at all: a statically linked program
 * (no dynamic loader runs), or one the loader runs in secure-execution
 * mode (ld.so(8)), set-user-ID, set-group-ID or gaining file capabilities,
 * where a preloaded library given by its path is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctl.h"
#include "ipc.h"
#include "odm.h"
#include "preloadable.h"

int ctl_find_libodm(char *out, size_t len)
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

#define PROBE_TIMEOUT_MS 1000

/* What command gets without an agent (odm(7) ENVIRONMENT): a program run
 * with a type that needs a lease gets errors, never a quiet plain address. */
static void outcome(char *buf, size_t len, const char *prog)
{
	int t = odm_type_parse(getenv("ODM_TYPE"));

	if (t > 0 && t != ODM_TYPE_NON_PERSISTENT)
		snprintf(buf, len, "%s's connects that need a %s address fail with "
				   "EADDRNOTAVAIL", prog, odm_type_name(t));
	else
		snprintf(buf, len, "%s gets plain addresses", prog);
}

static void warn_unreachable(const struct ctl_opts *o, const char *prog)
{
	const char *path = o->socket ? o->socket : ipc_socket_path();
	int fd = ipc_connect(path, PROBE_TIMEOUT_MS);
	char what[320];

	if (fd >= 0) {
		close(fd);
		return;
	}
	outcome(what, sizeof(what), prog);
	if (fd == -EACCES || fd == -EPERM)
		fprintf(stderr, "%s: run: warning: uid %u cannot reach the agent's control "
				"socket %s: %s (its group is control-group in odmagent.conf(5)); "
				"%s\n",
			ctl_prog, (unsigned)geteuid(), path, strerror(-fd), what);
	else
		fprintf(stderr, "%s: run: warning: no agent at %s: %s; %s\n", ctl_prog, path,
			strerror(-fd), what);
}

/* The file execvp(3) will run for cmd: cmd itself when it has a slash, else
 * the first executable regular file named cmd in $PATH (an empty entry is
 * the current directory; without PATH, confstr's default). 0, or -1 when
 * there is none (execvp then says why). */
static int find_program(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	char def[256];
	struct stat st;

	if (strchr(cmd, '/')) {
		if ((size_t)snprintf(out, len, "%s", cmd) >= len)
			return -1;
		return 0;
	}
	if (!path) {
		size_t n = confstr(_CS_PATH, def, sizeof(def));
		path = n > 0 && n <= sizeof(def) ? def : "/bin:/usr/bin";
	}
	for (p = path;; p = end + 1) {
		int dl;

		end = strchr(p, ':');
		dl = end ? (int)(end - p) : (int)strlen(p);
		if ((size_t)snprintf(out, len, "%.*s%s%s", dl, p, dl ? "/" : "", cmd) < len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		if (!end)
			return -1;
	}
}

static int in_my_groups(gid_t g)
{
	int n = getgroups(0, NULL), found = 0;
	gid_t *list;

	if (g == getegid())
		return 1;
	if (n <= 0 || !(list = calloc((size_t)n, sizeof(*list))))
		return 0;
	n = getgroups(n, list);
	for (int i = 0; i < n && !found; i++)
		found = list[i] == g;
	free(list);
	return found;
}

/* Why the loader will run the program open at fd in secure-execution mode
 * for this caller (ld.so(8)), in words, into why; NULL when it will not.
 * On a nosuid file system execve(2) ignores set-ID bits and capabilities. */
static const char *secure_exec(int fd, const struct stat *st, char *why, size_t len)
{
	struct statvfs fs;

	if (fstatvfs(fd, &fs) == 0 && (fs.f_flag & ST_NOSUID))
		return NULL;
	if ((st->st_mode & S_ISUID) && st->st_uid != geteuid())
		snprintf(why, len, "is set-user-ID (uid %u)", (unsigned)st->st_uid);
	else if ((st->st_mode & S_ISGID) && !in_my_groups(st->st_gid))
		snprintf(why, len, "is set-group-ID (gid %u)", (unsigned)st->st_gid);
	else if (geteuid() != 0 && fgetxattr(fd, "security.capability", NULL, 0) > 0)
		snprintf(why, len, "has file capabilities (getcap(8)) that uid %u gains",
			 (unsigned)geteuid());
	else
		return NULL;
	return why;
}

/* Warn when libodm.so will not act in the program: the dynamic loader will
 * not load it, or the program's socket calls do not go through the C
 * library. The type asked for would then be silently ignored. 1 if it
 * warned. */
static int warn_not_preloaded(const char *cmd)
{
	unsigned char head[PRELOADABLE_PROBE_LEN];
	char prog[PATH_MAX], why[96];
	struct stat st;
	ssize_t n;
	int fd;

	if (find_program(cmd, prog, sizeof(prog)) < 0)
		return 0;
	fd = open(prog, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* execvp says why it cannot run it */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if (secure_exec(fd, &st, why, sizeof(why))) {
		fprintf(stderr, "%s: run: warning: %s %s: the dynamic loader ignores LD_PRELOAD "
				"for it (ld.so(8), secure-execution mode); %s gets plain addresses\n",
			ctl_prog, prog, why, cmd);
		close(fd);
		return 1;
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	switch (n > 0 ? preloadable_elf(head, (size_t)n) : PRELOADABLE_UNKNOWN) {
	case PRELOADABLE_STATIC:
		fprintf(stderr, "%s: run: warning: %s is statically linked: no dynamic loader "
				"runs for it to load libodm.so (odm(7), CAVEATS); %s gets plain "
				"addresses\n",
			ctl_prog, prog, cmd);
		return 1;
	case PRELOADABLE_GO:
		fprintf(stderr, "%s: run: warning: %s is a Go program: the Go runtime makes its "
				"socket calls itself, not through the C library, with cgo or "
				"without (odm(7), CAVEATS); %s gets plain addresses\n",
			ctl_prog, prog, cmd);
		return 1;
	default:
		return 0;
	}
}

int cmd_run(const struct ctl_opts *o, int argc, char **argv)
{
	char lib[PATH_MAX];
	const char *type = NULL, *old, *env;
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
			if (type)
				return ctl_once("run", "--type", 1);
			type = argv[++i];
			continue;
		}
		if (argv[i][0] == '-') {
			ctl_errx("run: unknown option \"%s\"", argv[i]);
			return ctl_usage_of("run");
		}
		break; /* the command, without a "--" */
	}
	if (i >= argc) {
		ctl_errx("run: no command given");
		return ctl_usage_of("run");
	}
	if (type && odm_type_parse(type) < 0) {
		ctl_errx("run: unknown address type \"%s\" (fixed, session-lasting, "
			 "non-persistent, graceful-replacement, or 1-4)", type);
		return CTL_EXIT_ERR;
	}
	if (type)
		type = odm_type_name(odm_type_parse(type));
	if (ctl_find_libodm(lib, sizeof(lib)) < 0)
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
	/* -s reaches the shim the same way it reaches odmctl; a relative path
	 * made absolute, so that it still names the socket once the program
	 * changes its directory (a daemon's chdir("/")), where it fits in a
	 * socket address (odm(7), ODM_SOCKET). So is a relative ODM_SOCKET
	 * odmctl inherits: it named the socket odmctl found, from here. */
	env = secure_getenv(ODM_IPC_ENV);
	if (o->socket || (env && env[0] && env[0] != '/')) {
		struct ctl_opts so = *o;
		char abs[PATH_MAX];
		const char *sock;

		if (!so.socket)
			so.socket = env;
		sock = ctl_socket_abs(&so, abs, sizeof(abs));
		if (sock != env && setenv(ODM_IPC_ENV, sock, 1) < 0) {
			ctl_errx("run: setenv: %s", strerror(errno));
			return CTL_EXIT_ERR;
		}
	}
	/* a program the shim will not act in is not told about the agent too */
	if (!warn_not_preloaded(argv[i]))
		warn_unreachable(o, argv[i]);
	execvp(argv[i], argv + i);
	ctl_errx("run: %s: %s", argv[i], strerror(errno));
	return CTL_EXIT_ERR;
}
