/* SPDX-License-Identifier: MIT */
/*
 * policy_agent.c — the host agent's running policy: loading, the lease
 * gate, hello per requester, and the control ops (see policy_agent.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "agent.h"
#include "control.h"
#include "ipc.h"
#include "lease.h"
#include "log.h"
#include "monotime.h"
#include "odm.h"
#include "peerinfo.h"
#include "policy_agent.h"
#include "privilege.h"

/* ---- loading ---- */

void policy_state_free(struct policy_state *ps)
{
	if (!ps)
		return;
	policy_free(&ps->pol);
	free(ps->text);
	if (ps->has_file)
		statefile_close(&ps->sf);
	free(ps);
}

/* "file:line: " of the policy-file directive, or "" when not known */
static const char *where(const struct odm_config *cfg, char *buf, size_t n)
{
	if (!cfg->source[0] || !cfg->policy_file_line)
		return "";
	snprintf(buf, n, "%s:%u: ", cfg->source, cfg->policy_file_line);
	return buf;
}

int policy_state_load(const struct odm_config *cfg, struct policy_state **out, char *err,
		      size_t errlen)
{
	const char *path = cfg->policy_file;
	struct policy_state *ps = calloc(1, sizeof(*ps));
	char dir[sizeof(cfg->policy_file)];
	char why[160];
	const char *slash = strrchr(path, '/');
	char at[sizeof(cfg->source) + 16];
	struct stat st;
	int rc;

	*out = NULL;
	if (!ps) {
		snprintf(err, errlen, "out of memory for the policy");
		return -ENOMEM;
	}
	policy_init(&ps->pol, cfg->default_type);
	if (!path[0]) {
		*out = ps;
		return 0;
	}
	/* config.c made it absolute and not a directory: slash is there */
	if (!slash || !slash[1]) {
		snprintf(err, errlen, "%s: not a file path", path);
		policy_state_free(ps);
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	/* statefile_open makes a missing directory: a policy that is not there
	 * must not leave one behind (odmagent -n checks without side effects) */
	if (access(dir, F_OK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%spolicy-file %s: %s", where(cfg, at, sizeof(at)), path,
			 strerror(-rc));
		policy_state_free(ps);
		return rc;
	}
	/* anyone could give themselves any type and no quota */
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IWOTH)) {
		snprintf(err, errlen, "%spolicy-file %s: writable by others (mode %04o); chmod "
			 "o-w it", where(cfg, at, sizeof(at)), path, (unsigned)(st.st_mode & 07777));
		policy_state_free(ps);
		return -EPERM;
	}
	/* nor another user's, who may write it whatever its mode */
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && config_foreign_owner(st.st_uid)) {
		snprintf(err, errlen, "%spolicy-file %s: owned by uid %u, neither the agent's user "
			 "nor root; chown it", where(cfg, at, sizeof(at)), path,
			 (unsigned)st.st_uid);
		policy_state_free(ps);
		return -EPERM;
	}
	/* a directory others may write, or another user's, is refused as a
	 * state-dir is (statefile_dir): they could rename a file of theirs
	 * over the policy; said here, which statefile_open() does not */
	rc = statefile_dir(dir, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%spolicy-file %s: its directory: %s",
			 where(cfg, at, sizeof(at)), path, why);
		policy_state_free(ps);
		return rc;
	}
	rc = statefile_open(&ps->sf, dir, slash + 1);
	if (rc < 0) {
		snprintf(err, errlen, "%spolicy-file %s: %s", where(cfg, at, sizeof(at)), path,
			 strerror(-rc));
		policy_state_free(ps);
		return rc;
	}
	ps->has_file = 1;
	/* the administrator's file: policy add and del keep its mode and owner */
	statefile_keep_perms(&ps->sf);
	/* O_NOFOLLOW: the file is replaced by rename on policy-add/del, which
	 * would replace a symbolic link rather than what it points to */
	rc = statefile_read(&ps->sf, &ps->text, &ps->len);
	if (rc < 0) {
		snprintf(err, errlen, "%spolicy-file %s: %s", where(cfg, at, sizeof(at)), path,
			 statefile_strerror(rc));
		policy_state_free(ps);
		return rc;
	}
	rc = policy_parse(&ps->pol, ps->text, ps->len, path, cfg->default_type, err, errlen);
	if (rc < 0) {
		policy_state_free(ps);
		return rc;
	}
	*out = ps;
	return 0;
}

/*
 * exe rules read /proc/PID/exe of the requester, which the kernel lets the
 * agent do for another user's process, or one holding capabilities the
 * agent lacks (any program root runs), only with CAP_SYS_PTRACE (ptrace(2),
 * "ptrace access mode checking"): without it those rules match no such
 * program, so the log says so whenever a policy with them comes in force.
 */
static void say_exe_unseen(const struct policy_state *ps)
{
	uint64_t capeff;
	size_t i;

	if (!ps->pol.uses_exe || priv_effective(&capeff) < 0 || priv_has_ptrace(capeff))
		return;
	for (i = 0; i < ps->pol.n_rules && !ps->pol.rules[i].exe; i++)
		;
	log_warnx("policy %s:%u: an exe rule, but without CAP_SYS_PTRACE the agent cannot read "
		  "/proc/PID/exe of another user's program, or of one with capabilities it lacks: "
		  "such programs match no exe rule (odmagent(8) Privileges: how to give it)",
		  ps->has_file ? ps->sf.path : "?", i < ps->pol.n_rules ? ps->pol.rules[i].line : 0);
}

void policy_agent_install(struct odm_agent *a, struct policy_state *ps)
{
	struct policy_state *old = a->policy;
	const char *file = ps->has_file ? ps->sf.path : NULL;

	a->policy = ps;
	policy_state_free(old);
	log_info("policy %s: %zu rule(s), default %s, quota %s", file ? file : "(none)",
		 ps->pol.n_rules, odm_type_name(ps->pol.default_type),
		 ps->pol.quota == POLICY_NO_QUOTA ? "none" : "set");
	say_exe_unseen(ps);
	events_emit(&a->events, "policy-reloaded",
		    json_pack("{s:s?, s:I}", "file", file, "rules", (json_int_t)ps->pol.n_rules),
		    public_ms());
}

/* ---- who asks ---- */

static const struct policy *policy_of(struct odm_agent *a, struct policy *fallback)
{
	if (a->policy)
		return &a->policy->pol;
	policy_init(fallback, a->cfg.default_type);
	return fallback;
}

/* The kernel's word on the requester of r: its ids and groups as it
 * connected, and its exe as much as p looks at (always when the request
 * makes claims, to log them); pi holds the string. */
static void who_of(const struct policy *p, struct control_req *r, int claims,
		   struct peerinfo *pi, struct policy_who *w)
{
	const struct ucred *c = control_req_cred(r);

	peerinfo_read(c->pid, p->uses_exe || claims, pi);
	memset(w, 0, sizeof(*w));
	w->uid = c->uid;
	w->gid = c->gid;
	w->groups = control_req_groups(r, &w->n_groups);
	w->exe = pi->has_exe ? pi->exe : NULL;
}

/* A program's path for a log line: a client's words, or a file name a user
 * chose, so escaped (log.h) */
static const char *exe_text(const char *exe, char *out, size_t cap)
{
	return exe ? log_escape(out, cap, exe, PATH_MAX) : "(exe unknown)";
}

/* A client that says who it is: noted when it is not so, never believed. */
static void note_claims(struct odm_agent *a, const struct ucred *c, const struct policy_who *w,
			const json_t *req, uint64_t now)
{
	const json_t *uid = json_object_get(req, "uid");
	const char *exe = json_string_value(json_object_get(req, "exe"));
	char said[LOG_ESC_MAX / 2], is[LOG_ESC_MAX / 2];

	if (uid && json_integer_value(uid) != (json_int_t)c->uid)
		reqlog_user_say(&a->req_log, c->uid, now, ODM_LOG_WARN,
				"uid %u pid %d claims to be uid %lld: judged as uid %u",
				(unsigned)c->uid, (int)c->pid, (long long)json_integer_value(uid),
				(unsigned)c->uid);
	if (exe && (!w->exe || strcmp(exe, w->exe) != 0))
		reqlog_user_say(&a->req_log, c->uid, now, ODM_LOG_WARN,
				"uid %u pid %d claims to run %s: judged as %s", (unsigned)c->uid,
				(int)c->pid, exe_text(exe, said, sizeof(said)),
				exe_text(w->exe, is, sizeof(is)));
}

/* Types whose grant takes a binding at an anchor (the quota counts them). */
static int takes_binding(int type, const struct in6_addr *cha)
{
	if (type == ODM_TYPE_SESSION_LASTING)
		return cha != NULL; /* without a CHA: plain, for now */
	return type == ODM_TYPE_FIXED || type == ODM_TYPE_GRACEFUL_REPLACEMENT;
}

int policy_gate_lease(struct odm_agent *a, struct control_req *r, const json_t *req,
		      int *type, const struct lease_table *leases, int proto,
		      const struct in6_addr *cha)
{
	const struct ucred *c = control_req_cred(r);
	const char *tname = json_string_value(json_object_get(req, "type"));
	int asked = tname ? odm_type_from_name(tname) : ODM_TYPE_NONE;
	struct in6_addr any = IN6ADDR_ANY_INIT;
	struct policy fallback;
	const struct policy *p = policy_of(a, &fallback);
	struct policy_verdict v;
	struct peerinfo pi;
	struct policy_who w;
	const char *code;
	char is[LOG_ESC_MAX / 2];
	uint64_t now = mono_ms();

	who_of(p, r, json_object_get(req, "exe") != NULL, &pi, &w);
	note_claims(a, c, &w, req, now);
	if (policy_decide(p, &w, asked, &v) == POLICY_OK && takes_binding(v.type, cha) &&
	    (json_is_true(json_object_get(req, "fresh")) ||
	     !lease_find_reusable(leases, v.type, proto, cha ? cha : &any, c->uid, 1)))
		policy_quota_check(&v, p->quota_line, lease_count_uid(leases, c->uid));
	if (v.refused == POLICY_OK) {
		log_debug("uid %u pid %d %s: %s%s (rule %zu)", (unsigned)c->uid, (int)c->pid,
			  exe_text(w.exe, is, sizeof(is)), odm_type_name(v.type),
			  v.asked ? "" : " by default", v.rule_no);
		*type = v.type;
		return 0;
	}
	code = v.refused == POLICY_NOT_ALLOWED ? "REQUIREDIPNOTSUPPORTED" : "REQUIREDIPFAILED";
	reqlog_user_say(&a->req_log, c->uid, now, ODM_LOG_INFO, "uid %u pid %d %s: %s refused: %s",
			(unsigned)c->uid, (int)c->pid, exe_text(w.exe, is, sizeof(is)),
			odm_type_name(v.type), v.reason);
	events_emit_to(&a->events, "lease-refused",
		       json_pack("{s:s, s:I, s:I, s:s, s:s}", "type", odm_type_name(v.type),
				 "uid", (json_int_t)c->uid, "pid", (json_int_t)c->pid, "reason",
				 v.reason, "error",
				 v.refused == POLICY_NOT_ALLOWED ? "EAI_REQUIREDIPNOTSUPPORTED" :
								   "EAI_REQUIREDIPFAILED"),
		       &(struct events_audience){ .uids = &c->uid, .n = 1 }, public_ms());
	control_reply_error(r, code, "%s", v.reason);
	return -1;
}

/* ---- control ops ---- */

/* hello, per requester: the default type is the policy's for this program. */
static void on_hello(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct policy fallback;
	const struct policy *p = policy_of(a, &fallback);
	struct policy_verdict v;
	struct peerinfo pi;
	struct policy_who w;

	(void)req;
	who_of(p, r, 0, &pi, &w);
	policy_decide(p, &w, ODM_TYPE_NONE, &v);
	control_reply(r, json_pack("{s:s, s:i, s:s}", "role", config_role_name(a->cfg.role),
				   "version", ODM_IPC_VERSION, "default_type",
				   odm_type_name(v.refused ? ODM_TYPE_NON_PERSISTENT : v.type)));
}

static int root_only(struct control_req *r, const char *what)
{
	const struct ucred *c = control_req_cred(r);

	if (c->uid == 0)
		return 0;
	control_reply_error(r, "EPERM", "only root may %s (uid %u asked)", what, (unsigned)c->uid);
	return -1;
}

static void on_reload(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	char err[512];

	(void)req;
	if (root_only(r, "reload the agent") < 0)
		return;
	if (agent_reload(a, "reload", err, sizeof(err)) < 0) {
		log_warnx("reload: %s: configuration and policy kept as they were", err);
		control_reply_error(r, "EINVAL", "%s: configuration and policy kept as they were",
				    err);
		return;
	}
	control_reply(r, json_pack("{s:s, s:s?, s:I}", "config", a->config_path, "policy",
				   a->policy && a->policy->has_file ? a->policy->sf.path : NULL,
				   "rules", (json_int_t)(a->policy ? a->policy->pol.n_rules : 0)));
}

static json_t *allow_json(unsigned allow)
{
	json_t *arr = json_array();

	for (int t = ODM_TYPE_FIXED; arr && t <= ODM_TYPE_GRACEFUL_REPLACEMENT; t++)
		if (allow & POLICY_BIT(t))
			json_array_append_new(arr, json_string(odm_type_name(t)));
	return arr;
}

static json_t *quota_json(uint32_t q)
{
	return q == POLICY_NO_QUOTA ? json_null() : json_integer(q);
}

static json_t *rule_json(const struct policy_rule *ru, size_t no)
{
	char text[POLICY_LINE_MAX + 1];
	json_t *o = json_pack("{s:I, s:I}", "rule", (json_int_t)no, "line", (json_int_t)ru->line);

	if (!o)
		return NULL;
	if (ru->exe)
		json_object_set_new(o, "exe", json_string(ru->exe));
	if (ru->has_uid)
		json_object_set_new(o, "uid", json_integer(ru->uid));
	if (ru->has_gid)
		json_object_set_new(o, "gid", json_integer(ru->gid));
	if (ru->default_type)
		json_object_set_new(o, "default", json_string(odm_type_name(ru->default_type)));
	if (ru->allow)
		json_object_set_new(o, "allow", allow_json(ru->allow));
	if (ru->has_quota)
		json_object_set_new(o, "quota", quota_json(ru->quota));
	policy_rule_text(ru, text, sizeof(text));
	json_object_set_new(o, "text", json_string(text));
	return o;
}

static void on_show(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct policy fallback;
	const struct policy *p = policy_of(a, &fallback);
	json_t *rules = json_array(), *resp;

	(void)req;
	for (size_t i = 0; rules && i < p->n_rules; i++)
		json_array_append_new(rules, rule_json(&p->rules[i], i + 1));
	resp = json_pack("{s:s?, s:s, s:o, s:o, s:o}", "file",
			 a->policy && a->policy->has_file ? a->policy->sf.path : NULL, "default",
			 odm_type_name(p->default_type), "allow", allow_json(p->allow), "quota",
			 quota_json(p->quota), "rules", rules);
	if (!resp)
		control_reply_error(r, "ENOMEM", "cannot build the policy");
	else
		control_reply(r, resp);
}

/* A file edit (add or del) in text (taken): parsed, written, put in force. */
static void apply_edit(struct odm_agent *a, struct control_req *r, char *text, const char *what,
		       json_t *resp)
{
	struct policy_state *ps = a->policy;
	struct policy next;
	char err[512];
	size_t len = strlen(text);
	int rc;

	memset(&next, 0, sizeof(next));
	rc = policy_parse(&next, text, len, ps->sf.path, a->cfg.default_type, err, sizeof(err));
	if (rc < 0) {
		control_reply_error(r, "EINVAL", "%s", err);
		goto fail;
	}
	rc = statefile_save(&ps->sf, text, len);
	if (rc < 0) {
		log_warn(rc, "writing %s", ps->sf.path);
		control_reply_error(r, "EIO", "writing %s: %s (the policy is unchanged)",
				    ps->sf.path, strerror(-rc));
		goto fail;
	}
	policy_free(&ps->pol);
	ps->pol = next;
	free(ps->text);
	ps->text = text;
	ps->len = len;
	log_info("policy %s: %s, now %zu rule(s)", ps->sf.path, what, ps->pol.n_rules);
	say_exe_unseen(ps);
	events_emit(&a->events, "policy-reloaded",
		    json_pack("{s:s, s:I}", "file", ps->sf.path, "rules",
			      (json_int_t)ps->pol.n_rules),
		    public_ms());
	json_object_set_new(resp, "rules", json_integer((json_int_t)ps->pol.n_rules));
	control_reply(r, resp);
	return;
fail:
	policy_free(&next);
	free(text);
	json_decref(resp);
}

/* The policy to edit: root, and a file to write. NULL if r was answered. */
static struct policy_state *editable(struct odm_agent *a, struct control_req *r)
{
	if (root_only(r, "change the policy") < 0)
		return NULL;
	if (!a->policy || !a->policy->has_file) {
		control_reply_error(r, "EINVAL", "no policy-file in %s: nothing to change",
				    a->config_path);
		return NULL;
	}
	return a->policy;
}

static void on_add(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	const char *words = json_string_value(json_object_get(req, "rule"));
	json_int_t at = json_integer_value(json_object_get(req, "at"));
	struct policy_state *ps = editable(a, r);
	char err[256], line[POLICY_LINE_MAX + 1];
	size_t no;
	char *text;

	if (!ps)
		return;
	/* absent: after the last rule; present, a rule's number (0 is none) */
	if ((json_object_get(req, "at") && at < 1) || (size_t)at > ps->pol.n_rules + 1) {
		control_reply_error(r, "EINVAL", "field \"at\": no rule %lld (the policy has %zu)",
				    (long long)at, ps->pol.n_rules);
		return;
	}
	/* alone first: its error names the new rule, not the line it would take */
	/* with the file's own default, as the rule would be read in it */
	if (words && *words && policy_check_rule(words, ps->pol.default_type, err, sizeof(err)) < 0) {
		control_reply_error(r, "EINVAL", "%s", err);
		return;
	}
	text = policy_text_insert(&ps->pol, ps->text, ps->len, (size_t)at, words, err,
				  sizeof(err));
	if (!text) {
		control_reply_error(r, "EINVAL", "%s", err);
		return;
	}
	no = at >= 1 && (size_t)at <= ps->pol.n_rules ? (size_t)at : ps->pol.n_rules + 1;
	snprintf(line, sizeof(line), "rule %zu added", no);
	apply_edit(a, r, text, line, json_pack("{s:I}", "rule", (json_int_t)no));
}

static void on_del(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	json_int_t no = json_integer_value(json_object_get(req, "rule"));
	struct policy_state *ps = editable(a, r);
	char err[256], what[64];
	char *text;

	if (!ps)
		return;
	if (no < 1 || (size_t)no > ps->pol.n_rules) {
		control_reply_error(r, "EINVAL", "field \"rule\": no rule %lld (the policy has %zu)",
				    (long long)no, ps->pol.n_rules);
		return;
	}
	text = policy_text_delete(&ps->pol, ps->text, ps->len, (size_t)no, err, sizeof(err));
	if (!text) {
		control_reply_error(r, "EINVAL", "%s", err);
		return;
	}
	snprintf(what, sizeof(what), "rule %lld deleted", (long long)no);
	apply_edit(a, r, text, what, json_object());
}

/* A uid or gid field: 0 read, 1 absent, -1 bad (r answered); (uid_t)-1 is
 * "no change" to the kernel, never an id. */
static int id_field(struct control_req *r, const json_t *req, const char *key, uint32_t *out)
{
	const json_t *v = json_object_get(req, key);
	json_int_t n;

	if (!v)
		return 1;
	n = json_integer_value(v);
	if (n < 0 || n >= (json_int_t)UINT32_MAX) {
		control_reply_error(r, "EINVAL", "field \"%s\": %lld is no %s", key, (long long)n,
				    key);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

static void on_test(struct odm_agent *a, struct control_req *r, const json_t *req)
{
	struct policy fallback;
	const struct policy *p = policy_of(a, &fallback);
	const char *tname = json_string_value(json_object_get(req, "type"));
	struct policy_who w;
	struct policy_verdict v;
	uint32_t uid = 0, gid = UINT32_MAX;
	json_t *resp;

	if (id_field(r, req, "uid", &uid) < 0 || id_field(r, req, "gid", &gid) < 0)
		return;
	memset(&w, 0, sizeof(w));
	w.uid = (uid_t)uid;
	w.gid = (gid_t)gid; /* none given: (gid_t)-1, which no rule names */
	w.exe = json_string_value(json_object_get(req, "exe"));
	policy_decide(p, &w, tname ? odm_type_from_name(tname) : ODM_TYPE_NONE, &v);
	resp = json_pack("{s:s, s:b, s:b, s:o, s:o, s:o}", "type", odm_type_name(v.type), "asked",
			 v.asked, "allowed", v.refused == POLICY_OK, "rule",
			 v.rule ? json_integer((json_int_t)v.rule_no) : json_null(), "allow",
			 allow_json(v.allow), "quota", quota_json(v.quota));
	if (resp && v.refused)
		json_object_set_new(resp, "reason", json_string(v.reason));
	if (!resp)
		control_reply_error(r, "ENOMEM", "cannot build the answer");
	else
		control_reply(r, resp);
}

/* ---- start and stop ---- */

int policy_agent_start(struct odm_agent *a)
{
	struct policy_state *ps;
	char err[512];
	int rc;

	if ((rc = control_register(a, "reload", on_reload)) < 0) {
		log_err(rc, "registering the reload op");
		return rc;
	}
	if (a->cfg.role != ODM_ROLE_MN)
		return 0;
	reqlog_users_init(&a->req_log, REQLOG_RATE, REQLOG_BURST, REQLOG_ALL_RATE, REQLOG_ALL_BURST,
			  mono_ms());
	rc = policy_state_load(&a->cfg, &ps, err, sizeof(err));
	if (rc < 0) {
		log_err(0, "%s", err);
		return rc;
	}
	a->policy = ps;
	log_info("policy %s: %zu rule(s), default %s", ps->has_file ? ps->sf.path : "(none)",
		 ps->pol.n_rules, odm_type_name(ps->pol.default_type));
	say_exe_unseen(ps);
	if ((rc = control_register(a, "hello", on_hello)) < 0 ||
	    (rc = control_register(a, "policy-show", on_show)) < 0 ||
	    (rc = control_register(a, "policy-add", on_add)) < 0 ||
	    (rc = control_register(a, "policy-del", on_del)) < 0 ||
	    (rc = control_register(a, "policy-test", on_test)) < 0) {
		log_err(rc, "registering the policy ops");
		return rc;
	}
	return 0;
}

void policy_agent_stop(struct odm_agent *a)
{
	policy_state_free(a->policy);
	a->policy = NULL;
}
