/* SPDX-License-Identifier: MIT */
/*
 * main.c — odmagent: read the configuration, set up the shared parts
 * (log, loop, netlink, control socket), start the configured role and run
 * the loop until SIGTERM or SIGINT. SIGHUP re-reads the configuration and
 * applies what can change while bindings live (config_reload). Teardown
 * runs in reverse order through one exit path, whatever step failed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "agentlock.h"
#include "monotime.h"
#include "control.h"
#include "ipc.h"
#include "log.h"
#include "reexec.h"
#include "statefile.h"
#include "tunnel.h"
#include "netconf.h"
#include "policy_agent.h"
#include "privilege.h"

#define DEFAULT_CONFIG "/etc/odm/odmagent.conf"

/* set by on_signal: the role is stopped and the control socket closed */
static int stopped;

/*
 * SIGHUP: a new configuration and policy replace the parts a running agent
 * can change (identities and keys, log level, lifetimes, quotas, the
 * policy); no binding or lease ends for it. A file that does not parse, or
 * a change that needs a restart, changes nothing and says why (reload.c).
 */
static void on_hup(uv_signal_t *s, int signum)
{
	struct odm_agent *a = s->data;
	char err[512];

	(void)signum;
	if (agent_reload(a, "SIGHUP", err, sizeof(err)) < 0)
		log_warnx("SIGHUP: %s: configuration and policy kept as they were", err);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: odmagent [-dnsv] [-f config] [--optimistic-dad on|off]\n"
		   "                [--router-solicit on|off]\n"
		   "       odmagent --probe-tunnel auto|kernel|bpf|user\n"
		   "       odmagent -h | --help | -V | --version\n\n"
		   "  -f, --config FILE  configuration file (default " DEFAULT_CONFIG ")\n"
		   "  -n, --check        check the configuration and exit\n"
		   "  -s, --syslog       log to syslog, not standard error\n"
		   "  -d, --debug        log at the debug level\n"
		   "  -v, --verbose      log at least at the info level\n"
		   "  --optimistic-dad on|off  mn: optimistic DAD on access links (wins over the file)\n"
		   "  --router-solicit on|off  mn: a Router Solicitation as a link comes up (likewise)\n"
		   "  --probe-tunnel BACKEND   whether that tunnel backend can run on this host\n"
		   "                     (auto: which one \"tunnel auto\" takes); exit 0 if so\n"
		   "  -h, --help         this help\n"
		   "  -V, --version      print the version\n");
}

/* A usage error: name the bad word, hint at --help, exit 2. */
static void __attribute__((format(printf, 1, 2), noreturn)) usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("odmagent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'odmagent --help' for more information.\n", stderr);
	exit(2);
}

/* 1 if word is a long option of opts ("--name" or "--name=...") whose
 * short letter is val */
static int long_named(const struct option *opts, const char *word, int val)
{
	size_t n;

	if (strncmp(word, "--", 2) != 0)
		return 0;
	word += 2;
	n = strcspn(word, "=");
	for (; opts->name; opts++)
		if (strlen(opts->name) == n && strncmp(opts->name, word, n) == 0)
			return opts->val == val;
	return 0;
}

/* --probe-tunnel: 0 if backend can run here (printed, with the one auto
 * takes), else 1 and why; 2 for a name that is no backend */
static int probe_tunnel(const char *backend)
{
	const char *chosen;
	char why[96];
	int rc;

	/* what the trial logs is odmagent's, as odmagent(8) shows its lines */
	odm_log_init("odmagent", ODM_LOG_INFO, 0);
	rc = tunnel_probe(backend, &chosen, why, sizeof why);

	if (rc == -ENOENT)
		usage_error("--probe-tunnel: \"%s\" is no tunnel backend (auto, kernel, bpf or user)",
			    backend);
	if (rc == 0 && strcmp(backend, "auto") == 0)
		printf("odmagent: tunnel auto takes the %s backend on this host\n", chosen);
	else if (rc == 0)
		printf("odmagent: tunnel %s can run on this host\n", backend);
	else
		printf("odmagent: tunnel %s cannot run on this host: %s\n", backend,
		       why[0] ? why : strerror(-rc));
	return rc == 0 ? 0 : 1;
}

/* -n: the state-dir and the control socket's directory as the start
 * judges them (odmagent.conf(5)), when they are there: one others may
 * write, or another user's, is refused now, not at start. 0 or -1, said. */
static int check_dirs(const struct odm_config *cfg, const char *path)
{
	char dir[sizeof(cfg->control_path)], why[200], at[300];
	char *slash;

	snprintf(at, sizeof(at), cfg->state_dir_line ? "%s:%u" : "%s", path, cfg->state_dir_line);
	if (statefile_dir_check(cfg->state_dir, why, sizeof(why)) < 0) {
		fprintf(stderr, "odmagent: %s: %s: state-dir: %s\n", at, cfg->state_dir, why);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", cfg->control_path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	slash[slash == dir] = '\0'; /* "/x.sock": "/" */
	snprintf(at, sizeof(at), cfg->control_line ? "%s:%u" : "%s", path, cfg->control_line);
	if (statefile_dir_check(dir, why, sizeof(why)) < 0) {
		fprintf(stderr, "odmagent: %s: %s: the control socket's directory %s: %s\n", at,
			cfg->control_path, dir, why);
		return -1;
	}
	return 0;
}

static void stop_role(struct odm_agent *a)
{
	if (a->cfg.role == ODM_ROLE_ANCHOR)
		anchor_stop(a);
	else
		mn_stop(a);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct odm_agent *a = s->data;

	if (a->exit_status)
		log_info("%s: stopping, to exit with status %d", strsignal(signum), a->exit_status);
	else
		log_info("%s: stopping", strsignal(signum));
	stopped = 1;
	/* the role first (it may still answer clients), then the socket */
	stop_role(a);
	control_close(a);
	uv_signal_stop(&a->sig_term);
	uv_signal_stop(&a->sig_int);
	uv_signal_stop(&a->sig_hup);
	uv_close((uv_handle_t *)&a->sig_term, NULL);
	uv_close((uv_handle_t *)&a->sig_int, NULL);
	uv_close((uv_handle_t *)&a->sig_hup, NULL);
	/* uv_run returns once every handle the modules own has closed */
}

/* The state-dir's lock, looked at each second (agentlock_check): taken
 * again if the directory or the file was removed or replaced under the
 * agent. */
static struct {
	uv_timer_t timer;
	struct odm_agent *a;
	int fd, said;
	char dir[sizeof(((struct odm_config *)0)->state_dir)];
} lockwatch = { .fd = -1 };

static void on_lockwatch(uv_timer_t *t)
{
	int fd = agentlock_check(lockwatch.fd, lockwatch.dir, &lockwatch.said);

	(void)t;
	if (fd == lockwatch.fd)
		return;
	lockwatch.fd = fd;
	reexec_remember_lock(fd);
	/* the state file may have gone with the lock's: written anew */
	if (lockwatch.a->anchor)
		anchor_state_dir_made(lockwatch.a);
	if (lockwatch.a->mn)
		mn_state_dir_made(lockwatch.a);
}

static void on_walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	struct odm_agent agent;
	struct odm_agent *a = &agent;
	uv_loop_t loop;
	char err[512];
	int check = 0, debug = 0, verbose = 0, to_syslog = 0, c, r, rc = 1;
	int loop_ok = 0, sigs_ok = 0, started = 0, optimistic = -1, solicit = -1, lock_fd = -1;
	int role_began = 0, only = 0, li = -1, path_given = 0;
	const char *probe = NULL;
	char with_probe[24] = ""; /* the first option the agent's form takes, as given */
	uint64_t capeff;

	reexec_remember(argv); /* before getopt permutes it */
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "syslog", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "optimistic-dad", required_argument, NULL, 'O' },
		{ "router-solicit", required_argument, NULL, 'R' },
		{ "probe-tunnel", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	char shortopt[3] = "-?";

	opterr = 0; /* usage_error names the bad word */
	while ((c = getopt_long(argc, argv, ":f:ndsvhV", longopts, &li)) != -1) {
		switch (c) {
		case 'h':
		case 'V':
			only = c;
			break;
		case ':':
			usage_error("option \"%s\" needs an argument", argv[optind - 1]);
		case '?':
			/* a long option given an argument it takes none of
			 * (--check=1): getopt says its short letter, not it */
			if (long_named(longopts, argv[optind - 1], optopt))
				usage_error("option \"%.*s\" takes no argument",
					    (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
			shortopt[1] = (char)optopt;
			usage_error("unknown option \"%s\"", optopt ? shortopt : argv[optind - 1]);
		case 'f':
			/* a second one would drop the first without a word */
			if (path_given++)
				usage_error("option \"-f\" (--config) given twice");
			/* not a file "": open() would say only "No such file" */
			if (!*optarg)
				usage_error("option \"%s\" needs a file name, not an empty word",
					    li >= 0 ? "--config" : "-f");
			path = optarg;
			break;
		case 'P':
			if (probe)
				usage_error("option \"--probe-tunnel\" given twice");
			probe = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 's':
			to_syslog = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'O':
		case 'R':
			if (*(c == 'O' ? &optimistic : &solicit) >= 0)
				usage_error("option \"%s\" given twice",
					    c == 'O' ? "--optimistic-dad" : "--router-solicit");
			r = config_onoff(optarg);
			if (r < 0)
				usage_error("%s must be on or off, not \"%s\"",
					    c == 'O' ? "--optimistic-dad" : "--router-solicit", optarg);
			*(c == 'O' ? &optimistic : &solicit) = r;
			break;
		}
		if (!with_probe[0] && strchr("fnsdvOR", c)) {
			if (li >= 0)
				snprintf(with_probe, sizeof with_probe, "--%s", longopts[li].name);
			else
				snprintf(with_probe, sizeof with_probe, "-%c", c);
		}
		li = -1;
	}
	if (optind != argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	if (only == 'h') {
		usage(stdout);
		return 0;
	}
	if (only == 'V') {
		printf("odmagent %s\n", ODM_VERSION);
		return 0;
	}
	/* a form of its own (odmagent(8) SYNOPSIS): -n there would have the
	 * trial touch routes and programs a check promises to leave alone */
	if (probe && with_probe[0])
		usage_error("option \"%s\" does not go with --probe-tunnel", with_probe);
	if (probe)
		return probe_tunnel(probe);

	memset(a, 0, sizeof(*a));
	a->log_forced = -1; /* -d / -v: the least level logged, whatever the file says, also on reload */
	a->syslog_forced = to_syslog; /* -s: syslog whatever the configuration's "log" says */
	a->optimistic_forced = optimistic;
	a->solicit_forced = solicit;
	events_init(&a->events);
	a->config_path = path;
	r = config_load(&a->cfg, path, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "odmagent: %s\n", err);
		config_free(&a->cfg);
		return 1;
	}
	agent_config_forced(a, &a->cfg);
	if (check) {
		struct policy_state *ps = NULL;

		/* the policy file is part of the configuration: checked too */
		if (a->cfg.role == ODM_ROLE_MN &&
		    policy_state_load(&a->cfg, &ps, err, sizeof(err)) < 0) {
			fprintf(stderr, "odmagent: %s\n", err);
			config_free(&a->cfg);
			return 1;
		}
		policy_state_free(ps);
		if (check_dirs(&a->cfg, path) < 0) {
			config_free(&a->cfg);
			return 1;
		}
		if (config_exposed_key(&a->cfg, path, err, sizeof(err)))
			fprintf(stderr, "odmagent: warning: %s\n", err);
		if (config_shared_key(&a->cfg, path, err, sizeof(err)))
			fprintf(stderr, "odmagent: warning: %s\n", err);
		fprintf(stderr, "odmagent: %s: configuration OK (role %s)\n", path,
			config_role_name(a->cfg.role));
		config_free(&a->cfg);
		return 0;
	}
	/* the agent stays in the foreground; a supervisor or the shell owns it */
	if (debug)
		a->log_forced = ODM_LOG_DEBUG;
	else if (verbose)
		a->log_forced = ODM_LOG_INFO;
	agent_log_setup(a);
	if (config_exposed_key(&a->cfg, path, err, sizeof(err)))
		log_warnx("%s", err);
	if (config_shared_key(&a->cfg, path, err, sizeof(err)))
		log_warnx("%s", err);
	/* a client that vanishes mid-write must not kill the agent */
	signal(SIGPIPE, SIG_IGN);

	/* say which privilege is missing before an operation fails for it */
	if (priv_effective(&capeff) == 0 && priv_missing(capeff, err, sizeof(err)) > 0) {
		log_err(0, "role %s cannot start: odmagent lacks %s; run it as root with "
			   "both (systemd: CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW)",
			config_role_name(a->cfg.role), err);
		goto out;
	}

	/* before anything of the state dir's is touched: a second agent on it
	 * would take over and end what the first one holds */
	lock_fd = agentlock_take(a->cfg.state_dir, &a->last_run_unclean, err, sizeof(err));
	reexec_remember_lock(lock_fd);
	if (lock_fd < 0) {
		log_err(0, "role %s cannot start: %s", config_role_name(a->cfg.role), err);
		goto out;
	}
	if (a->last_run_unclean)
		log_warnx("the last agent on state-dir %s did not stop cleanly (killed or crashed)",
			  a->cfg.state_dir);

	r = uv_loop_init(&loop);
	if (r < 0) {
		log_err(r, "uv_loop_init");
		goto out;
	}
	loop_ok = 1;
	a->loop = &loop;
	lockwatch.fd = lock_fd;
	lockwatch.a = a;
	memcpy(lockwatch.dir, a->cfg.state_dir, sizeof(lockwatch.dir));
	uv_timer_init(&loop, &lockwatch.timer);
	uv_timer_start(&lockwatch.timer, on_lockwatch, 1000, 1000);
	/* the loop ends once the role's handles are closed, this one or not */
	uv_unref((uv_handle_t *)&lockwatch.timer);

	r = netconf_open(&a->nc);
	if (r < 0) {
		log_err(r, "netlink");
		goto out;
	}
	r = control_open(a);
	if (r < 0) {
		log_err(r, "control socket %s", a->cfg.control_path);
		goto out;
	}
	uv_signal_init(&loop, &a->sig_term);
	uv_signal_init(&loop, &a->sig_int);
	uv_signal_init(&loop, &a->sig_hup);
	a->sig_term.data = a;
	a->sig_int.data = a;
	a->sig_hup.data = a;
	sigs_ok = 1;
	if ((r = uv_signal_start(&a->sig_term, on_signal, SIGTERM)) < 0 ||
	    (r = uv_signal_start(&a->sig_int, on_signal, SIGINT)) < 0 ||
	    (r = uv_signal_start(&a->sig_hup, on_hup, SIGHUP)) < 0) {
		log_err(r, "uv_signal_start");
		goto out;
	}

	/* before the role: its first lease request meets the policy */
	r = policy_agent_start(a);
	if (r < 0)
		goto out;
	role_began = 1;
	r = a->cfg.role == ODM_ROLE_ANCHOR ? anchor_start(a) : mn_start(a);
	if (r < 0) {
		log_err(r, "role %s failed to start", config_role_name(a->cfg.role));
		goto out;
	}
	started = 1;
	log_info("role %s started, control socket %s", config_role_name(a->cfg.role),
		 a->cfg.control_path);

	uv_run(&loop, UV_RUN_DEFAULT);
	log_info("role %s stopped", config_role_name(a->cfg.role));
	/* only a signal ends the loop normally; anything else is a failure */
	rc = stopped ? a->exit_status : 1;
	if (stopped)
		started = 0;

out:
	/* reverse order of set-up; each step copes with "never happened" */
	if (started)
		stop_role(a);
	control_close(a);
	policy_agent_stop(a);
	if (sigs_ok && !uv_is_closing((uv_handle_t *)&a->sig_term)) {
		uv_close((uv_handle_t *)&a->sig_term, NULL);
		uv_close((uv_handle_t *)&a->sig_int, NULL);
		uv_close((uv_handle_t *)&a->sig_hup, NULL);
	}
	if (loop_ok) {
		/* let close callbacks run, then close what a module forgot */
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_walk(&loop, on_walk_close, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		r = uv_loop_close(&loop);
		if (r < 0)
			log_warnx("uv_loop_close: %s", uv_strerror(r));
	}
	netconf_close(a->nc);
	a->nc = NULL;
	events_clear(&a->events);
	config_free(&a->cfg);
	/* clean: stopped by a signal with the state saved and no hold left to
	 * keep, or never got as far as the role, which leaves the last run's
	 * mark as it found it */
	if (lockwatch.fd >= 0)
		lock_fd = lockwatch.fd; /* taken again meanwhile */
	agentlock_release(lock_fd, (stopped && !a->keep_unclean_mark) ||
				   (!role_began && !a->last_run_unclean));
	return rc;
}
