/* SPDX-License-Identifier: MIT */
/*
 * enable.c — "odmctl enable SERVICE" and "odmctl disable SERVICE": a
 * systemd drop-in, /etc/systemd/system/SERVICE.service.d/odm.conf
 * (systemd.unit(5)), that runs the service with LD_PRELOAD set to libodm.so
 * (an Environment= line, which replaces the unit's own LD_PRELOAD), the way
 * mptcpize enable does for MPTCP. Then
 * systemd reloads its units, if it runs (sd_booted(3): /run/systemd/system).
 *
 * The drop-in starts with a marker line; a file without it is someone
 * else's and is neither replaced nor removed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "odm.h"

#define DROPIN_MARK "# Written by odmctl enable"
#define UNIT_DIR "/etc/systemd/system"
#define DROPIN_NAME "odm.conf"
#define SERVICE_MAX 200

/* Why s cannot be the value of an Environment= line, NULL if it can:
 * systemd.exec(5) would split it at a blank, unquote or expand it, and a
 * control character (a newline) would end the line, the rest read as a
 * directive of its own */
static const char *not_a_unit_word(const char *s)
{
	for (; *s; s++)
		if (strchr(" \t\"'\\%", *s) || (unsigned char)*s < 0x20 || *s == 0x7f)
			return "a blank, quote, backslash, % or control character cannot go into "
			       "a unit file";
	return NULL;
}

/* A service name as systemd.unit(5) allows: letters, digits, ":-_.@\" */
static int unit_of(const char *service, char *unit, size_t len)
{
	const char *suffix = ".service";
	size_t n = strlen(service), s = strlen(suffix);

	if (n > s && strcmp(service + n - s, suffix) == 0)
		n -= s;
	if (n == 0 || n > SERVICE_MAX || service[0] == '.' || service[0] == '-')
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = service[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(":-_.@\\", c)))
			return -1;
	}
	snprintf(unit, len, "%.*s%s", (int)n, service, suffix);
	return 0;
}

/* The type of a unit named with another suffix than .service (systemd.unit(5)),
 * such as "socket" for "web.socket"; NULL for any other name. */
static const char *other_unit_type(const char *name)
{
	static const char *const types[] = { "socket", "device", "mount", "automount", "swap",
					     "target", "path", "timer", "slice", "scope" };
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot + 1, types[i]) == 0)
			return types[i];
	return NULL;
}

/* mkdir -p path (absolute) */
static int make_dirs(char *path)
{
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			*p = c;
			return -e;
		}
		*p = c;
		if (!c)
			return 0;
	}
}

/* 1: path is our drop-in, 0: someone else's, -errno: unreadable (ENOENT: absent) */
static int is_ours(const char *path)
{
	char line[64] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strncmp(line, DROPIN_MARK, strlen(DROPIN_MARK)) == 0;
}

/* systemctl daemon-reload, when systemd runs and the root is the real one */
static int reload_systemd(const char *root)
{
	int st;
	pid_t pid;

	if (root || access("/run/systemd/system", F_OK) != 0)
		return 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("systemctl", "systemctl", "daemon-reload", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

/* The library's path for the drop-in: absolute, the soname's link if there is one */
static int dropin_lib(char *out, size_t len)
{
	char found[PATH_MAX], dir[PATH_MAX], *slash;

	if (ctl_find_libodm(found, sizeof(found)) < 0)
		return -1;
	slash = strrchr(found, '/');
	if (slash) {
		*slash = '\0';
		if (!realpath(found[0] ? found : "/", dir)) {
			ctl_errx("%s: %s", found, strerror(errno));
			return -1;
		}
		*slash = '/';
	} else if (!getcwd(dir, sizeof(dir))) {
		ctl_errx("getcwd: %s", strerror(errno));
		return -1;
	}
	slash = strrchr(found, '/');
	if ((size_t)snprintf(out, len, "%s/%s.0", strcmp(dir, "/") ? dir : "",
			     slash ? slash + 1 : found) >= len)
		return -1;
	if (access(out, R_OK) != 0)
		out[strlen(out) - 2] = '\0'; /* no soname link: the plain name */
	if (not_a_unit_word(out)) {
		ctl_errx("%s: %s", out, not_a_unit_word(out));
		return -1;
	}
	return 0;
}

struct enable_args {
	const char *service;
	const char *root;
	const char *type;
	char unit[SERVICE_MAX + 16];
	char dir[PATH_MAX];
	char path[PATH_MAX];
};

static int parse(const char *cmd, int argc, char **argv, struct enable_args *e)
{
	int opts = 1;

	memset(e, 0, sizeof(*e));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts && strcmp(a, "--") == 0) {
			opts = 0;
		} else if (!opts) {
			if (e->service) {
				ctl_errx("%s: unexpected argument \"%s\"", cmd, a);
				return ctl_usage_of(cmd);
			}
			e->service = a;
		} else if (strcmp(a, "--root") == 0 || (strcmp(a, "--type") == 0 && cmd[0] == 'e')) {
			if (i + 1 >= argc) {
				ctl_errx("%s: option \"%s\" needs an argument", cmd, a);
				return ctl_usage_of(cmd);
			}
			if (ctl_once(cmd, a, (a[2] == 'r' ? e->root : e->type) != NULL))
				return CTL_EXIT_USAGE;
			*(a[2] == 'r' ? &e->root : &e->type) = argv[++i];
		} else if (a[0] == '-' || e->service) {
			ctl_errx("%s: unexpected %s \"%s\"", cmd, a[0] == '-' ? "option" : "argument",
				 a);
			return ctl_usage_of(cmd);
		} else {
			e->service = a;
		}
	}
	if (!e->service) {
		ctl_errx("%s: no service given", cmd);
		return ctl_usage_of(cmd);
	}
	if (other_unit_type(e->service)) {
		/* its drop-in would name "SERVICE.socket.service", a unit nobody has */
		ctl_errx("%s: \"%s\" is a %s unit, not a service: name the service that runs "
			 "the program (with or without .service)", cmd, e->service,
			 other_unit_type(e->service));
		return CTL_EXIT_ERR;
	}
	if (unit_of(e->service, e->unit, sizeof(e->unit)) < 0) {
		ctl_errx("%s: \"%s\" is not a service name", cmd, e->service);
		return CTL_EXIT_ERR;
	}
	if (e->type && odm_type_parse(e->type) < 0) {
		ctl_errx("%s: unknown address type \"%s\" (fixed, session-lasting, "
			 "non-persistent, graceful-replacement, or 1-4)", cmd, e->type);
		return CTL_EXIT_ERR;
	}
	if (e->type)
		e->type = odm_type_name(odm_type_parse(e->type));
	if (e->root && e->root[0] != '/') {
		ctl_errx("%s: --root \"%s\" is not an absolute path", cmd, e->root);
		return CTL_EXIT_ERR;
	}
	/* the unit directory is made under it, not a whole tree from nothing
	 * (a mistyped --root would otherwise be taken for a new one) */
	if (e->root) {
		struct stat st;

		if (stat(e->root, &st) != 0) {
			ctl_errx("%s: --root \"%s\": %s", cmd, e->root, strerror(errno));
			return CTL_EXIT_ERR;
		}
		if (!S_ISDIR(st.st_mode)) {
			ctl_errx("%s: --root \"%s\": not a directory", cmd, e->root);
			return CTL_EXIT_ERR;
		}
	}
	if ((size_t)snprintf(e->dir, sizeof(e->dir), "%s" UNIT_DIR "/%s.d",
			     e->root && strcmp(e->root, "/") ? e->root : "", e->unit) >= sizeof(e->dir) ||
	    (size_t)snprintf(e->path, sizeof(e->path), "%s/" DROPIN_NAME, e->dir) >= sizeof(e->path)) {
		ctl_errx("%s: path too long", cmd);
		return CTL_EXIT_ERR;
	}
	return 0;
}

static int after_change(const char *cmd, const struct enable_args *e)
{
	int r = reload_systemd(e->root);

	if (r < 0) {
		ctl_errx("%s: %s changed, but systemctl daemon-reload failed", cmd, e->path);
		return CTL_EXIT_ERR;
	}
	fprintf(stderr, "%s: restart %s for it to take effect\n", ctl_prog, e->unit);
	return 0;
}

/* Whether -s, as ctl_socket_abs made it, can go to the service: an
 * absolute path (it starts in /) that fits in a socket address, as odm(7)
 * says of ODM_SOCKET, and one word of a unit file. Else -1 with why in
 * buf. */
static int sock_unfit(const char *sock, char *buf, size_t len)
{
	const char *why = not_a_unit_word(sock);
	int abs = sock[0] == '/', cwd_err = 0;
	char cwd[PATH_MAX];

	if (!abs && !getcwd(cwd, sizeof(cwd)))
		cwd_err = errno;
	if (!abs && cwd_err)
		snprintf(buf, len, "no absolute path: the current directory: %s",
			 strerror(cwd_err));
	else if (!abs || strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		snprintf(buf, len, "%s is too long for a socket address (%zu bytes at most)",
			 abs ? "the path" : "its absolute path",
			 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	else if (why)
		snprintf(buf, len, "%s", why);
	else
		return 0;
	return -1;
}

int cmd_enable(const struct ctl_opts *o, int argc, char **argv)
{
	struct enable_args e;
	char lib[PATH_MAX], tmp[PATH_MAX + 8], sockbuf[PATH_MAX], why[160];
	const char *sock;
	FILE *f;
	int r, fd;

	if ((r = parse("enable", argc, argv, &e)) != 0)
		return r;
	if (dropin_lib(lib, sizeof(lib)) < 0)
		return CTL_EXIT_ERR;
	/* -s goes to the service as it goes to run's program: absolute (a
	 * service starts in /), and as a word Environment= takes whole */
	sock = ctl_socket_abs(o, sockbuf, sizeof(sockbuf));
	if (sock && (r = sock_unfit(sock, why, sizeof(why))) < 0) {
		ctl_errx("enable: -s \"%s\": %s", sock, why);
		return CTL_EXIT_ERR;
	}
	r = is_ours(e.path);
	if (r == 0) {
		ctl_errx("enable: %s exists and was not written by odmctl; left alone", e.path);
		return CTL_EXIT_ERR;
	}
	r = make_dirs(e.dir);
	if (r < 0) {
		ctl_errx("enable: %s: %s", e.dir, strerror(-r));
		return CTL_EXIT_ERR;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", e.path);
	fd = mkstemp(tmp);
	if (fd < 0 || fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		ctl_errx("enable: %s: %s", e.dir, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return CTL_EXIT_ERR;
	}
	fprintf(f, DROPIN_MARK "; \"odmctl disable %s\" removes it.\n"
		   "# %s runs with libodm.so preloaded (odm(7)).\n"
		   "[Service]\n"
		   "Environment=LD_PRELOAD=%s\n",
		e.service, e.unit, lib);
	if (e.type)
		fprintf(f, "Environment=ODM_TYPE=%s\n", e.type);
	if (sock)
		fprintf(f, "Environment=ODM_SOCKET=%s\n", sock);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0 || fclose(f) != 0 || rename(tmp, e.path) < 0) {
		ctl_errx("enable: %s: %s", e.path, strerror(errno));
		unlink(tmp);
		return CTL_EXIT_ERR;
	}
	printf("%s\n", e.path);
	return after_change("enable", &e);
}

int cmd_disable(const struct ctl_opts *o, int argc, char **argv)
{
	struct enable_args e;
	int r;

	(void)o;
	if ((r = parse("disable", argc, argv, &e)) != 0)
		return r;
	r = is_ours(e.path);
	if (r == -ENOENT) {
		ctl_errx("disable: %s is not enabled (no %s)", e.unit, e.path);
		return CTL_EXIT_ERR;
	}
	if (r < 0 || r == 0) {
		ctl_errx("disable: %s: %s", e.path,
			 r ? strerror(-r) : "not written by odmctl; left alone");
		return CTL_EXIT_ERR;
	}
	if (unlink(e.path) < 0) {
		ctl_errx("disable: %s: %s", e.path, strerror(errno));
		return CTL_EXIT_ERR;
	}
	rmdir(e.dir); /* only if nothing else is in it */
	printf("%s\n", e.path);
	return after_change("disable", &e);
}
