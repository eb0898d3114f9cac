/* SPDX-License-Identifier: MIT */
/*
 * config.c — odmagent.conf. A directive table drives parsing; each handler
 * checks its words and stores them. Role-specific rules (which directives a
 * role may use, what it must have) are checked once the whole file is read,
 * because "role" may come anywhere. Every error names FILE:LINE: WORD.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addrscope.h"
#include "config.h"
#include "linewords.h"
#include "log.h"
#include "odm.h"
#include "tunnel.h"

#define CONFIG_LINE_MAX 1024
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_IDENTITIES_MAX 100000
#define CONFIG_WORDS_MAX 8
#define KEYFILE_MAX 256

/* Which role may use a directive. */
enum scope { ANY, ANCHOR_ONLY, MN_ONLY };

struct parse {
	struct odm_config *cfg;
	const char *name; /* file name for messages */
	unsigned line;
	char *err;
	size_t errlen;
	unsigned role_line;
	size_t id_cap;
	int nwords;       /* words on the current line, the directive's included */
	const char *what; /* what a value on the line is for ("lifetime"), in errors */
};

struct directive {
	const char *name;
	int nargs;        /* exactly nargs words; -n: 1..n words */
	enum scope scope;
	int (*fn)(struct parse *p, char **w);
};

static int perr(struct parse *p, const char *word, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parse *p, const char *word, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* word NULL: the file as a whole (its size), no line to name */
	if (p->err && p->errlen) {
		if (!word)
			snprintf(p->err, p->errlen, "%s: %s", p->name, reason);
		else if (p->line)
			snprintf(p->err, p->errlen, "%s:%u: %.80s: %s", p->name, p->line,
				 word, reason);
		else
			snprintf(p->err, p->errlen, "%s: %.80s: %s", p->name, word, reason);
	}
	return -EINVAL;
}

void config_defaults(struct odm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = ODM_ROLE_MN;
	cfg->mode = ODM_MODE_CHA;
	cfg->modes = ODM_MODE_BIT(ODM_MODE_CHA);
	cfg->grace_period = CONFIG_GRACE_DEFAULT_S;
	snprintf(cfg->control_path, sizeof(cfg->control_path), "%s", "/run/odm/odmagent.sock");
	cfg->control_gid = (gid_t)-1;
	snprintf(cfg->tunnel_backend, sizeof(cfg->tunnel_backend), "%s", "auto");
	snprintf(cfg->tunnel_ifname, sizeof(cfg->tunnel_ifname), "%s", "odm0");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", "/var/lib/odm");
	cfg->log_level = ODM_LOG_INFO;
	cfg->max_lifetime = 600;
	cfg->max_bindings = 64;
	cfg->answer_rate = 10;
	cfg->answer_burst = 10;
	cfg->identities = NULL;
	cfg->n_identities = 0;
	cfg->default_type = ODM_TYPE_NON_PERSISTENT;
	cfg->lifetime = 300;
	cfg->udp_inactivity = 30;
	cfg->table = 1000;
	cfg->rule_priority = 1000;
	cfg->home_discovery = 1;
	cfg->optimistic_dad = 1;
	cfg->ignore_linkdown = 1;
	cfg->router_solicit = 1;
	cfg->dns.port = 53;
	cfg->dns.ttl = 60;
	/* pool none: an all-zero prefix of length 0 */
}

void config_free(struct odm_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->identities) {
		/* keys are secrets: do not leave them in freed memory */
		explicit_bzero(cfg->identities, cfg->n_identities * sizeof(*cfg->identities));
		free(cfg->identities);
	}
	cfg->identities = NULL;
	cfg->n_identities = 0;
	explicit_bzero(&cfg->dns.key, sizeof(cfg->dns.key));
}

const struct odm_identity *config_identity(const struct odm_config *cfg, const char *nai)
{
	if (!cfg || !nai)
		return NULL;
	for (size_t i = 0; i < cfg->n_identities; i++)
		if (strcmp(cfg->identities[i].nai, nai) == 0)
			return &cfg->identities[i];
	return NULL;
}

/* Word helpers ----------------------------------------------------------- */

/* Decimal, no sign, no leading zeros beyond "0", within [lo, hi]. Errors
 * name the value, then what it is for: "0300: number with leading zero
 * (lifetime)". */
static int parse_u32(struct parse *p, const char *w, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long v = 0;

	if (!*w)
		return perr(p, w, "not a number (%s)", p->what);
	for (const char *c = w; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return perr(p, w, "not a number (%s)", p->what);
		v = v * 10 + (unsigned)(*c - '0');
		if (v > UINT32_MAX)
			return perr(p, w, "number out of range %u..%u (%s)", lo, hi, p->what);
	}
	if (w[0] == '0' && w[1])
		return perr(p, w, "number with leading zero (%s)", p->what);
	if (v < lo || v > hi)
		return perr(p, w, "number out of range %u..%u (%s)", lo, hi, p->what);
	*out = (uint32_t)v;
	return 0;
}

static int parse_addr(struct parse *p, const char *w, struct in6_addr *a)
{
	if (inet_pton(AF_INET6, w, a) != 1)
		return perr(p, w, "not an IPv6 address (%s)", p->what);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 2*MH_AUTH_KEY_LEN hex digits. word is what errors name. */
static int parse_key(struct parse *p, const char *word, const char *hex, size_t n,
		     uint8_t key[MH_AUTH_KEY_LEN])
{
	if (n != 2 * MH_AUTH_KEY_LEN)
		return perr(p, word, "key must be %d hex digits, not %zu", 2 * MH_AUTH_KEY_LEN, n);
	for (size_t i = 0; i < MH_AUTH_KEY_LEN; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return perr(p, word, "key is not hexadecimal");
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Directive handlers ----------------------------------------------------- */

static int d_role(struct parse *p, char **w)
{
	if (strcmp(w[1], "mn") == 0)
		p->cfg->role = ODM_ROLE_MN;
	else if (strcmp(w[1], "anchor") == 0)
		p->cfg->role = ODM_ROLE_ANCHOR;
	else
		return perr(p, w[1], "role must be mn or anchor");
	p->role_line = p->line;
	return 0;
}

static const char *const mode_names[] = { "cha", "home", "access" };

const char *config_mode_name(enum odm_anchor_mode mode)
{
	return (unsigned)mode < 3 ? mode_names[mode] : "?";
}

const char *config_role_name(enum odm_role role)
{
	return role == ODM_ROLE_ANCHOR ? "anchor" : role == ODM_ROLE_MN ? "mn" : "?";
}

/* One anchor may serve several modes (man/odmagent.conf.5 says how a BU
 * finds its mode); each may be named once. */
static int d_mode(struct parse *p, char **w)
{
	unsigned modes = 0;

	for (int k = 1; k < p->nwords; k++) {
		int i;

		for (i = 0; i < ODM_MODE_COUNT; i++)
			if (strcmp(w[k], mode_names[i]) == 0)
				break;
		if (i == ODM_MODE_COUNT)
			return perr(p, w[k], "mode must be cha, home or access");
		if (modes & ODM_MODE_BIT(i))
			return perr(p, w[k], "mode named twice");
		if (!modes)
			p->cfg->mode = (enum odm_anchor_mode)i;
		modes |= ODM_MODE_BIT(i);
	}
	p->cfg->modes = modes;
	return 0;
}

static int d_control(struct parse *p, char **w)
{
	if (w[1][0] != '/')
		return perr(p, w[1], "control socket path must be absolute");
	if (strlen(w[1]) >= sizeof(p->cfg->control_path))
		return perr(p, w[1], "path longer than %zu characters",
			    sizeof(p->cfg->control_path) - 1);
	memcpy(p->cfg->control_path, w[1], strlen(w[1]) + 1);
	p->cfg->control_line = p->line;
	return 0;
}

/* An absolute path that fits dst (cap bytes); what names it in the error. */
static int abs_path(struct parse *p, const char *w, char *dst, size_t cap, const char *what)
{
	if (w[0] != '/')
		return perr(p, w, "%s must be absolute", what);
	if (strlen(w) >= cap)
		return perr(p, w, "path longer than %zu characters", cap - 1);
	memcpy(dst, w, strlen(w) + 1);
	return 0;
}

static int d_state_dir(struct parse *p, char **w)
{
	p->cfg->state_dir_line = p->line;
	return abs_path(p, w[1], p->cfg->state_dir, sizeof(p->cfg->state_dir),
			"state directory");
}

static int d_policy_file(struct parse *p, char **w)
{
	size_t n = strlen(w[1]);

	if (n && w[1][n - 1] == '/')
		return perr(p, w[1], "a policy file, not a directory");
	p->cfg->policy_file_line = p->line;
	return abs_path(p, w[1], p->cfg->policy_file, sizeof(p->cfg->policy_file),
			"policy file");
}

static int d_control_group(struct parse *p, char **w)
{
	uint32_t gid;

	if (isdigit((unsigned char)w[1][0])) {
		/* (gid_t)-1 means "unset", so it cannot be given */
		if (parse_u32(p, w[1], 0, UINT32_MAX - 1, &gid) < 0)
			return -EINVAL;
		p->cfg->control_gid = (gid_t)gid;
		return 0;
	}
	struct group *g = getgrnam(w[1]);
	if (!g)
		return perr(p, w[1], "no such group");
	p->cfg->control_gid = g->gr_gid;
	return 0;
}

static int d_tunnel(struct parse *p, char **w)
{
	static const char *const ok[] = { "auto", "kernel", "bpf", "user", "userspace" };
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(w[1], ok[i]) == 0)
			break;
	if (i == sizeof ok / sizeof ok[0])
		return perr(p, w[1], "tunnel must be auto, kernel, bpf or user");
	snprintf(p->cfg->tunnel_backend, sizeof(p->cfg->tunnel_backend), "%s", w[1]);
	return 0;
}

static int d_tunnel_encap(struct parse *p, char **w)
{
	if (strcmp(w[1], "ip6ip6") == 0)
		p->cfg->tunnel_encap = ODM_ENCAP_IP6IP6;
	else if (strcmp(w[1], "udp") == 0)
		p->cfg->tunnel_encap = ODM_ENCAP_UDP;
	else
		return perr(p, w[1], "tunnel-encap must be ip6ip6 or udp");
	return 0;
}

static int d_tunnel_device(struct parse *p, char **w)
{
	size_t n = strlen(w[1]);

	if (n >= IFNAMSIZ)
		return perr(p, w[1], "interface name longer than %d characters", IFNAMSIZ - 1);
	if (strcmp(w[1], ".") == 0 || strcmp(w[1], "..") == 0 || strpbrk(w[1], "/:"))
		return perr(p, w[1], "not a valid interface name");
	memcpy(p->cfg->tunnel_ifname, w[1], n + 1);
	return 0;
}

static int d_log_level(struct parse *p, char **w)
{
	int l = odm_log_level_from_name(w[1]);

	if (l < 0)
		return perr(p, w[1], "log-level must be error, warn, info or debug");
	p->cfg->log_level = l;
	return 0;
}

static int d_log(struct parse *p, char **w)
{
	if (strcmp(w[1], "stderr") == 0)
		p->cfg->log_syslog = 0;
	else if (strcmp(w[1], "syslog") == 0)
		p->cfg->log_syslog = 1;
	else
		return perr(p, w[1], "log must be stderr or syslog");
	return 0;
}

static int d_address(struct parse *p, char **w)
{
	struct in6_addr a;

	if (parse_addr(p, w[1], &a) < 0)
		return -EINVAL;
	/* hosts reach it from other networks: a link-local one would do for none */
	if (!addr_is_routable(&a))
		return perr(p, w[1], "not a global unicast or unique local address "
				     "(2000::/3, fc00::/7)");
	p->cfg->address = a;
	return 0;
}

/* PREFIX/LEN with LEN in lo..hi, host bits clear, unicast */
static int parse_prefix(struct parse *p, const char *w, uint32_t lo, uint32_t hi,
			struct in6_addr *out, uint8_t *out_plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct in6_addr a;
	uint32_t plen;
	char *slash;

	if (strlen(w) >= sizeof(buf))
		return perr(p, w, "not a prefix");
	snprintf(buf, sizeof(buf), "%s", w);
	slash = strchr(buf, '/');
	if (!slash)
		return perr(p, w, "prefix needs a /LEN");
	*slash = '\0';
	if (inet_pton(AF_INET6, buf, &a) != 1)
		return perr(p, w, "not an IPv6 prefix");
	if (parse_u32(p, slash + 1, lo, hi, &plen) < 0)
		return perr(p, w, "prefix length must be %u..%u", lo, hi);
	for (unsigned bit = plen; bit < 128; bit++)
		if (a.s6_addr[bit / 8] & (0x80 >> (bit % 8)))
			return perr(p, w, "host bits set after /%u", plen);
	/* handed out or tunnelled to hosts on other networks, as the
	 * anchor's own address is reached from there (d_address) */
	if (!addr_is_routable(&a))
		return perr(p, w, "not a global unicast or unique local prefix "
			    "(2000::/3, fc00::/7)");
	*out = a;
	*out_plen = (uint8_t)plen;
	return 0;
}

static int d_pool(struct parse *p, char **w)
{
	/* at least two addresses, and no wider than the /64 of one link */
	return parse_prefix(p, w[1], 64, 127, &p->cfg->pool, &p->cfg->pool_plen);
}

static int prefixes_overlap(const struct odm_prefix *a, const struct odm_prefix *b)
{
	unsigned n = a->plen < b->plen ? a->plen : b->plen;

	for (unsigned bit = 0; bit < n; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((a->addr.s6_addr[bit / 8] & m) != (b->addr.s6_addr[bit / 8] & m))
			return 0;
	}
	return 1;
}

/* An on-link prefix of an access router: a SLAAC /64 or anything longer */
static int d_access_prefix(struct parse *p, char **w)
{
	struct odm_config *cfg = p->cfg;
	struct odm_prefix px;

	memset(&px, 0, sizeof(px)); /* compared with memcmp on reload */
	if (cfg->n_access_prefixes >= CONFIG_ACCESS_PREFIXES_MAX)
		return perr(p, w[1], "more than %d access prefixes", CONFIG_ACCESS_PREFIXES_MAX);
	if (parse_prefix(p, w[1], 64, 128, &px.addr, &px.plen) < 0)
		return -EINVAL;
	for (size_t i = 0; i < cfg->n_access_prefixes; i++)
		if (prefixes_overlap(&px, &cfg->access_prefixes[i]))
			return perr(p, w[1], "overlaps another access-prefix");
	cfg->access_prefixes[cfg->n_access_prefixes++] = px;
	return 0;
}

static int d_grace_period(struct parse *p, char **w)
{
	/* one lifetime unit at least (RFC 6275 §6.1.7: 4 s) */
	return parse_u32(p, w[1], 4, 86400, &p->cfg->grace_period);
}

static int d_max_lifetime(struct parse *p, char **w)
{
	return parse_u32(p, w[1], 4, MH_LIFETIME_MAX_S, &p->cfg->max_lifetime);
}

static int d_max_bindings(struct parse *p, char **w)
{
	return parse_u32(p, w[1], 1, 1000000, &p->cfg->max_bindings);
}

static int d_answer_rate(struct parse *p, char **w)
{
	return parse_u32(p, w[1], 0, 100000, &p->cfg->answer_rate);
}

static int d_answer_burst(struct parse *p, char **w)
{
	return parse_u32(p, w[1], 1, 100000, &p->cfg->answer_burst);
}

int config_foreign_owner(uid_t uid)
{
	return uid != geteuid() && uid != 0;
}

/*
 * Read a secret file of at most cap-1 bytes into buf (NUL-terminated, *len
 * bytes): a relative path is taken from the directory of the config file;
 * the file must be regular, closed to others and the agent's user's or
 * root's. The caller wipes buf.
 */
static int read_secret_file(struct parse *p, const char *path, const char *what, char *buf,
			    size_t cap, size_t *len)
{
	char full[PATH_MAX];
	struct stat st;
	size_t n = 0;
	int fd, r;

	if (path[0] != '/' && strchr(p->name, '/')) {
		int dl = (int)(strrchr(p->name, '/') - p->name);

		if ((size_t)snprintf(full, sizeof(full), "%.*s/%s", dl, p->name, path) >=
		    sizeof(full))
			return perr(p, path, "path too long");
	} else {
		if (strlen(path) >= sizeof(full))
			return perr(p, path, "path too long");
		snprintf(full, sizeof(full), "%s", path);
	}
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	/* a relative path: say where it was looked for, the agent's working
	 * directory being none of the operator's business */
	if (fd < 0 && strcmp(full, path) != 0)
		return perr(p, path, "cannot open %s %s: %s", what, full, strerror(errno));
	if (fd < 0)
		return perr(p, path, "cannot open %s: %s", what, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return perr(p, path, "%s is not a regular file", what);
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		return perr(p, path, "%s is accessible by others (mode %04o); chmod o-rw it", what,
			    (unsigned)(st.st_mode & 07777));
	}
	/* its owner could read the key, and put another there */
	if (config_foreign_owner(st.st_uid)) {
		close(fd);
		return perr(p, path, "%s is owned by uid %u, neither the agent's user nor root; "
			    "chown it", what, (unsigned)st.st_uid);
	}
	while (n < cap) {
		ssize_t k = read(fd, buf + n, cap - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = errno;
			close(fd);
			return perr(p, path, "cannot read %s: %s", what, strerror(r));
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (n >= cap)
		return perr(p, path, "%s longer than %zu bytes", what, cap - 1);
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* Read the key of a key-file: 32 hex digits, blanks around them ignored. */
static int read_keyfile(struct parse *p, const char *path, uint8_t key[MH_AUTH_KEY_LEN])
{
	char buf[KEYFILE_MAX + 1];
	size_t n = 0, b, e;
	int r = read_secret_file(p, path, "key file", buf, sizeof(buf), &n);

	if (r < 0) {
		explicit_bzero(buf, sizeof(buf));
		return r;
	}
	b = 0;
	e = n;
	while (b < e && isspace((unsigned char)buf[b]))
		b++;
	while (e > b && isspace((unsigned char)buf[e - 1]))
		e--;
	r = parse_key(p, path, buf + b, e - b, key);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* an anchor's address: a global or unique-local unicast one, as the
 * anchor's own address directive and the lease op's "cha" must be (not a
 * v4-mapped, site-local or NAT64 one, which no Binding Update reaches) */
static int parse_anchor_addr(struct parse *p, const char *word, struct in6_addr *a)
{
	if (parse_addr(p, word, a) < 0)
		return -EINVAL;
	if (!addr_is_routable(a))
		return perr(p, word, "not a global unicast or unique local address "
			    "(2000::/3, fc00::/7)");
	return 0;
}

static int d_home_anchor(struct parse *p, char **w)
{
	struct in6_addr a;

	if (parse_anchor_addr(p, w[1], &a) < 0)
		return -EINVAL;
	p->cfg->home_anchor = a;
	p->cfg->has_home_anchor = 1;
	return 0;
}

/* access-anchor ADDR (repeatable), ra (learn them from RAs, accessra.h),
 * off (none; alone) */
static int d_access_anchor(struct parse *p, char **w)
{
	struct odm_config *c = p->cfg;
	struct in6_addr a;

	/* each line at most once, as every directive (odmagent.conf(5)) */
	if ((strcmp(w[1], "off") == 0 && c->access_off) ||
	    (strcmp(w[1], "ra") == 0 && c->access_from_ra))
		return perr(p, w[1], "access-anchor %s given twice", w[1]);
	if (c->access_off || (strcmp(w[1], "off") == 0 && (c->n_access_anchors || c->access_from_ra)))
		return perr(p, w[1], "access-anchor off goes alone");
	if (strcmp(w[1], "off") == 0) {
		c->access_off = 1;
		return 0;
	}
	if (strcmp(w[1], "ra") == 0) {
		c->access_from_ra = 1;
		return 0;
	}
	if (parse_anchor_addr(p, w[1], &a) < 0)
		return -EINVAL;
	for (size_t i = 0; i < c->n_access_anchors; i++)
		if (IN6_ARE_ADDR_EQUAL(&c->access_anchors[i], &a))
			return perr(p, w[1], "access-anchor given twice");
	if (p->cfg->n_access_anchors == CONFIG_ACCESS_ANCHORS_MAX)
		return perr(p, w[1], "too many access-anchor lines");
	p->cfg->access_anchors[p->cfg->n_access_anchors++] = a;
	return 0;
}

int config_onoff(const char *word)
{
	if (strcmp(word, "on") == 0)
		return 1;
	if (strcmp(word, "off") == 0)
		return 0;
	return -1;
}

/* DIRECTIVE on|off into *out */
static int parse_onoff(struct parse *p, const char *directive, char *word, int *out)
{
	int v = config_onoff(word);

	if (v < 0)
		return perr(p, word, "%s must be on or off", directive);
	*out = v;
	return 0;
}

static int d_home_discovery(struct parse *p, char **w)
{
	return parse_onoff(p, "home-discovery", w[1], &p->cfg->home_discovery);
}

static int d_optimistic_dad(struct parse *p, char **w)
{
	return parse_onoff(p, "optimistic-dad", w[1], &p->cfg->optimistic_dad);
}

static int d_ignore_linkdown(struct parse *p, char **w)
{
	return parse_onoff(p, "ignore-linkdown", w[1], &p->cfg->ignore_linkdown);
}

static int d_router_solicit(struct parse *p, char **w)
{
	return parse_onoff(p, "router-solicit", w[1], &p->cfg->router_solicit);
}

/* ---- DNS registration (mn): dns-publish, dns-server, dns-name, ... ---- */

static int d_dns_publish(struct parse *p, char **w)
{
	if (strcmp(w[1], "off") == 0)
		p->cfg->dns_publish = DNS_PUBLISH_OFF;
	else if (strcmp(w[1], "current") == 0)
		p->cfg->dns_publish = DNS_PUBLISH_CURRENT;
	else if (strcmp(w[1], "fixed") == 0)
		p->cfg->dns_publish = DNS_PUBLISH_FIXED;
	else
		return perr(p, w[1], "dns-publish must be off, current or fixed");
	return 0;
}

static int d_dns_server(struct parse *p, char **w)
{
	struct in6_addr a;

	if (parse_addr(p, w[1], &a) < 0)
		return -EINVAL;
	if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_LINKLOCAL(&a))
		return perr(p, w[1], "not a usable unicast address");
	p->cfg->dns.server = a;
	return 0;
}

static int d_dns_port(struct parse *p, char **w)
{
	uint32_t port;

	if (parse_u32(p, w[1], 1, 65535, &port) < 0)
		return -EINVAL;
	p->cfg->dns.port = (uint16_t)port;
	return 0;
}

/* A fully qualified DNS name into out (with the final dot added). */
static int parse_dns_name(struct parse *p, const char *w, char *out, size_t cap)
{
	size_t n = strlen(w), label = 0;

	if (n && w[n - 1] == '.')
		n--;
	if (n == 0 || n > TSIGKEY_NAME_MAX)
		return perr(p, w, "not a DNS name (1 to %d characters)", TSIGKEY_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		if (w[i] == '.') {
			if (label == 0)
				return perr(p, w, "empty label in DNS name");
			label = 0;
		} else if (isalnum((unsigned char)w[i]) || w[i] == '-' || w[i] == '_') {
			if (++label > 63)
				return perr(p, w, "DNS label longer than 63 characters");
		} else {
			return perr(p, w, "character '%c' not allowed in a DNS name", w[i]);
		}
	}
	if (!memchr(w, '.', n))
		return perr(p, w, "give the fully qualified name (with its domain)");
	snprintf(out, cap, "%.*s.", (int)n, w);
	return 0;
}

static int d_dns_name(struct parse *p, char **w)
{
	return parse_dns_name(p, w[1], p->cfg->dns.name, sizeof(p->cfg->dns.name));
}

static int d_dns_zone(struct parse *p, char **w)
{
	return parse_dns_name(p, w[1], p->cfg->dns.zone, sizeof(p->cfg->dns.zone));
}

static int d_dns_ttl(struct parse *p, char **w)
{
	return parse_u32(p, w[1], 0, 86400, &p->cfg->dns.ttl);
}

static int d_dns_key(struct parse *p, char **w)
{
	char buf[TSIGKEY_FILE_MAX + 1], err[200];
	size_t n = 0;
	int r = read_secret_file(p, w[1], "TSIG key file", buf, sizeof(buf), &n);

	if (r == 0 && tsigkey_parse(&p->cfg->dns.key, buf, n, err, sizeof(err)) < 0)
		r = perr(p, w[1], "%s", err);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

static int d_identity(struct parse *p, char **w)
{
	struct odm_config *cfg = p->cfg;
	struct odm_identity id;
	size_t n = strlen(w[1]);
	int r;

	memset(&id, 0, sizeof(id));
	if (n == 0 || n > MH_NAI_MAX)
		return perr(p, w[1], "NAI must be 1..%d characters", MH_NAI_MAX);
	for (const char *c = w[1]; *c; c++)
		if (!isgraph((unsigned char)*c))
			return perr(p, w[1], "NAI has a non-printable character");
	memcpy(id.nai, w[1], n + 1);
	if (strcmp(w[2], "spi") != 0)
		return perr(p, w[2], "expected \"spi\"");
	/* RFC 4285 section 5.1: SPIs 0-255 are reserved (odmctl genkey agrees) */
	p->what = "spi of identity";
	if (parse_u32(p, w[3], 256, UINT32_MAX, &id.spi) < 0)
		return -EINVAL;
	if (strcmp(w[4], "key") == 0) {
		/* named by its identity: a key, even a mistyped one, is not logged */
		r = parse_key(p, id.nai, w[5], strlen(w[5]), id.key);
		if (!cfg->inline_key_line)
			cfg->inline_key_line = p->line;
	} else if (strcmp(w[4], "key-file") == 0)
		r = read_keyfile(p, w[5], id.key);
	else
		return perr(p, w[4], "expected \"key\" or \"key-file\"");
	if (r < 0)
		return r;
	if (config_identity(cfg, id.nai)) {
		explicit_bzero(&id, sizeof(id));
		return perr(p, w[1], "identity given twice");
	}
	if (cfg->n_identities >= CONFIG_IDENTITIES_MAX) {
		explicit_bzero(&id, sizeof(id));
		return perr(p, w[1], "more than %d identities", CONFIG_IDENTITIES_MAX);
	}
	if (cfg->n_identities == p->id_cap) {
		size_t cap = p->id_cap ? p->id_cap * 2 : 8;
		struct odm_identity *v = malloc(cap * sizeof(*v));

		if (!v) {
			explicit_bzero(&id, sizeof(id));
			return perr(p, w[1], "out of memory");
		}
		/* not realloc: the old block must be wiped, it holds keys */
		if (cfg->n_identities) {
			memcpy(v, cfg->identities, cfg->n_identities * sizeof(*v));
			explicit_bzero(cfg->identities, cfg->n_identities * sizeof(*v));
		}
		free(cfg->identities);
		cfg->identities = v;
		p->id_cap = cap;
	}
	cfg->identities[cfg->n_identities++] = id;
	explicit_bzero(&id, sizeof(id));
	return 0;
}

static int d_default_type(struct parse *p, char **w)
{
	int t = odm_type_from_name(w[1]);

	if (t <= 0)
		return perr(p, w[1], "unknown address type (fixed, session-lasting, "
				     "non-persistent, graceful-replacement)");
	p->cfg->default_type = t;
	return 0;
}

static int d_lifetime(struct parse *p, char **w)
{
	return parse_u32(p, w[1], 4, MH_LIFETIME_MAX_S, &p->cfg->lifetime);
}

static int d_udp_inactivity(struct parse *p, char **w)
{
	return parse_u32(p, w[1], 1, 86400, &p->cfg->udp_inactivity);
}

static int d_table(struct parse *p, char **w)
{
	if (parse_u32(p, w[1], 1, UINT32_MAX, &p->cfg->table) < 0)
		return -EINVAL;
	/* 253..255 are the kernel's default, main and local tables */
	if (p->cfg->table >= 253 && p->cfg->table <= 255)
		return perr(p, w[1], "table %u is reserved by the kernel", p->cfg->table);
	return 0;
}

static int d_rule_priority(struct parse *p, char **w)
{
	/* below the main table's rule (32766), above the local one (0) */
	return parse_u32(p, w[1], 1, 32765, &p->cfg->rule_priority);
}

static const struct directive directives[] = {
	{ "role", 1, ANY, d_role },
	{ "mode", -ODM_MODE_COUNT, ANCHOR_ONLY, d_mode },
	{ "control", 1, ANY, d_control },
	{ "control-group", 1, ANY, d_control_group },
	{ "state-dir", 1, ANY, d_state_dir },
	{ "tunnel", 1, ANY, d_tunnel },
	{ "tunnel-device", 1, ANY, d_tunnel_device },
	{ "tunnel-encap", 1, ANY, d_tunnel_encap },
	{ "log-level", 1, ANY, d_log_level },
	{ "log", 1, ANY, d_log },
	{ "address", 1, ANCHOR_ONLY, d_address },
	{ "pool", 1, ANCHOR_ONLY, d_pool },
	{ "max-lifetime", 1, ANCHOR_ONLY, d_max_lifetime },
	{ "max-bindings", 1, ANCHOR_ONLY, d_max_bindings },
	{ "answer-rate", 1, ANCHOR_ONLY, d_answer_rate },
	{ "answer-burst", 1, ANCHOR_ONLY, d_answer_burst },
	{ "access-prefix", 1, ANCHOR_ONLY, d_access_prefix },
	{ "grace-period", 1, ANCHOR_ONLY, d_grace_period },
	{ "identity", 5, ANY, d_identity },
	{ "default-type", 1, MN_ONLY, d_default_type },
	{ "lifetime", 1, MN_ONLY, d_lifetime },
	{ "udp-inactivity", 1, MN_ONLY, d_udp_inactivity },
	{ "table", 1, MN_ONLY, d_table },
	{ "rule-priority", 1, MN_ONLY, d_rule_priority },
	{ "home-anchor", 1, MN_ONLY, d_home_anchor },
	{ "access-anchor", 1, MN_ONLY, d_access_anchor },
	{ "home-discovery", 1, MN_ONLY, d_home_discovery },
	{ "optimistic-dad", 1, MN_ONLY, d_optimistic_dad },
	{ "router-solicit", 1, MN_ONLY, d_router_solicit },
	{ "ignore-linkdown", 1, MN_ONLY, d_ignore_linkdown },
	{ "dns-publish", 1, MN_ONLY, d_dns_publish },
	{ "dns-server", 1, MN_ONLY, d_dns_server },
	{ "dns-port", 1, MN_ONLY, d_dns_port },
	{ "dns-name", 1, MN_ONLY, d_dns_name },
	{ "dns-zone", 1, MN_ONLY, d_dns_zone },
	{ "dns-ttl", 1, MN_ONLY, d_dns_ttl },
	{ "dns-key", 1, MN_ONLY, d_dns_key },
	{ "policy-file", 1, MN_ONLY, d_policy_file },
};

#define N_DIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* Line a directive was given on, 0 if not given. */
static unsigned seen_line(const unsigned *seen, const char *name)
{
	for (size_t i = 0; i < N_DIRECTIVES; i++)
		if (strcmp(directives[i].name, name) == 0)
			return seen[i];
	return 0;
}

/* dns-publish needs a server, a name and a key; the other dns-* need it. */
static int check_dns(struct parse *p, const unsigned *seen)
{
	static const char *const need[] = { "dns-server", "dns-name", "dns-key" };
	static const char *const dns[] = { "dns-server", "dns-port", "dns-name",
					   "dns-zone", "dns-ttl", "dns-key" };
	struct odm_config *cfg = p->cfg;

	if (cfg->dns_publish == DNS_PUBLISH_OFF) {
		for (size_t i = 0; i < sizeof(dns) / sizeof(dns[0]); i++)
			if (seen_line(seen, dns[i])) {
				p->line = seen_line(seen, dns[i]);
				return perr(p, dns[i], "has no effect with dns-publish off");
			}
		return 0;
	}
	p->line = seen_line(seen, "dns-publish");
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!seen_line(seen, need[i]))
			return perr(p, need[i], "required by dns-publish");
	if (!cfg->dns.zone[0] &&
	    dnsupd_parent_zone(cfg->dns.name, cfg->dns.zone, sizeof(cfg->dns.zone)) < 0)
		return perr(p, cfg->dns.name, "no zone: give dns-zone");
	return 0;
}

/* tunnel-encap udp runs on the userspace backend alone: a file naming
 * another backend for it could never start, so it does not pass -n */
static int check_tunnel(struct parse *p, const unsigned *seen)
{
	const char *b = p->cfg->tunnel_backend;

	if (p->cfg->tunnel_encap != ODM_ENCAP_UDP || (strcmp(b, "kernel") != 0 &&
						      strcmp(b, "bpf") != 0))
		return 0;
	p->line = seen_line(seen, "tunnel-encap");
	return perr(p, "tunnel-encap", "udp runs on the userspace backend only, not on "
		    "\"tunnel %s\" (line %u): write tunnel user or auto", b, seen_line(seen, "tunnel"));
}

static int check_role(struct parse *p, const unsigned *seen)
{
	struct odm_config *cfg = p->cfg;

	for (size_t i = 0; i < N_DIRECTIVES; i++) {
		if (!seen[i])
			continue;
		if ((directives[i].scope == ANCHOR_ONLY && cfg->role != ODM_ROLE_ANCHOR) ||
		    (directives[i].scope == MN_ONLY && cfg->role != ODM_ROLE_MN)) {
			p->line = seen[i];
			return perr(p, directives[i].name, "not valid for role %s",
				    config_role_name(cfg->role));
		}
	}
	p->line = p->role_line;
	if (cfg->role == ODM_ROLE_ANCHOR) {
		int pooled = config_serves(cfg, ODM_MODE_CHA) || config_serves(cfg, ODM_MODE_HOME);
		int access = config_serves(cfg, ODM_MODE_ACCESS);

		if (!seen_line(seen, "address"))
			return perr(p, "address", "required for role anchor (given on this line), "
				    "none given");
		if (pooled && !seen_line(seen, "pool"))
			return perr(p, "pool", "required for role anchor (given on this line) in "
				    "mode cha or home, none given");
		if (!pooled && seen_line(seen, "pool")) {
			p->line = seen_line(seen, "pool");
			return perr(p, "pool", "only mode cha and mode home hand out addresses");
		}
		if (config_serves(cfg, ODM_MODE_HOME) && cfg->pool_plen > 96) {
			p->line = seen_line(seen, "pool");
			return perr(p, "pool", "mode home derives addresses over the pool: "
					       "it needs a /96 or wider");
		}
		if (access && !cfg->n_access_prefixes) {
			p->line = seen_line(seen, "mode");
			return perr(p, "access-prefix", "mode access needs at least one");
		}
		if (!access && (seen_line(seen, "access-prefix") || seen_line(seen, "grace-period"))) {
			p->line = seen_line(seen, "access-prefix") ? seen_line(seen, "access-prefix")
								     : seen_line(seen, "grace-period");
			return perr(p, seen_line(seen, "access-prefix") ? "access-prefix" : "grace-period",
				    "only valid with mode access");
		}
		for (size_t i = 0; pooled && i < cfg->n_access_prefixes; i++) {
			struct odm_prefix pool = { cfg->pool, cfg->pool_plen };

			if (prefixes_overlap(&pool, &cfg->access_prefixes[i])) {
				p->line = seen_line(seen, "pool");
				return perr(p, "pool", "overlaps an access-prefix");
			}
		}
		p->line = p->role_line;
		if (cfg->n_identities < 1)
			return perr(p, "identity", "role anchor needs at least one");
	} else {
		/* more than one: named at the last of them */
		if (cfg->n_identities > 1)
			p->line = seen_line(seen, "identity");
		if (cfg->n_identities != 1)
			return perr(p, "identity", "role mn needs exactly one, %zu given",
				    cfg->n_identities);
		if (check_dns(p, seen) < 0)
			return -EINVAL;
	}
	return 0;
}

int config_parse(struct odm_config *cfg, const char *text, size_t len, const char *name,
		 char *err, size_t errlen)
{
	struct parse p = { .cfg = cfg, .name = name ? name : "(config)", .err = err,
			   .errlen = errlen };
	unsigned seen[N_DIRECTIVES] = { 0 };
	char line[CONFIG_LINE_MAX + 1];
	size_t pos = 0;
	int r = 0;

	config_defaults(cfg);
	snprintf(cfg->source, sizeof(cfg->source), "%s", p.name);
	if (err && errlen)
		err[0] = '\0';
	if (!text && len)
		return perr(&p, NULL, "no text");
	if (len > CONFIG_FILE_MAX)
		return perr(&p, NULL, "file larger than %d bytes", CONFIG_FILE_MAX);

	for (;;) {
		char *w[CONFIG_WORDS_MAX];
		const struct directive *d = NULL;
		struct linewords_bad bad;
		int nw = 0;

		r = linewords_next(text, len, &pos, line, sizeof(line), w, CONFIG_WORDS_MAX, &nw,
				   &bad);
		if (r == 0)
			break;
		p.line++;
		if (r < 0) {
			r = perr(&p, bad.word, "%s", bad.reason);
			goto fail;
		}
		if (nw == 0)
			continue;
		for (size_t i = 0; i < N_DIRECTIVES; i++)
			if (strcmp(directives[i].name, w[0]) == 0) {
				d = &directives[i];
				break;
			}
		if (!d) {
			r = perr(&p, w[0], "unknown directive");
			goto fail;
		}
		if (nw - 1 < (d->nargs < 0 ? 1 : d->nargs)) {
			r = perr(&p, w[0], "missing argument (%d expected)",
				 d->nargs < 0 ? 1 : d->nargs);
			goto fail;
		}
		if (nw - 1 > (d->nargs < 0 ? -d->nargs : d->nargs)) {
			int max = d->nargs < 0 ? -d->nargs : d->nargs;

			r = perr(&p, w[max + 1], "extra argument to %s", w[0]);
			goto fail;
		}
		p.nwords = nw;
		if (seen[d - directives] && d->fn != d_identity && d->fn != d_access_prefix &&
		    d->fn != d_access_anchor) {
			r = perr(&p, w[0], "given twice (first on line %u)", seen[d - directives]);
			goto fail;
		}
		seen[d - directives] = p.line;
		p.what = d->name;
		r = d->fn(&p, w);
		if (r < 0)
			goto fail;
	}
	r = check_role(&p, seen);
	if (r == 0)
		r = check_tunnel(&p, seen);
	if (r < 0)
		goto fail;
	explicit_bzero(line, sizeof(line));
	return 0;
fail:
	explicit_bzero(line, sizeof(line));
	config_free(cfg);
	return r;
}

int config_load(struct odm_config *cfg, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *text;
	size_t n = 0;
	int fd, r;

	config_defaults(cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	/* anyone could give the agent identities, anchors and a policy */
	if (st.st_mode & S_IWOTH) {
		close(fd);
		snprintf(err, errlen, "%s: writable by others (mode %04o); chmod o-w it", path,
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		close(fd);
		snprintf(err, errlen, "%s: file larger than %d bytes", path, CONFIG_FILE_MAX);
		return -EFBIG;
	}
	/* one byte more than allowed, so a file that grew meanwhile is caught */
	text = malloc(CONFIG_FILE_MAX + 1);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (n < CONFIG_FILE_MAX + 1) {
		ssize_t k = read(fd, text + n, CONFIG_FILE_MAX + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			close(fd);
			free(text);
			return r;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	r = config_parse(cfg, text, n, path, err, errlen);
	cfg->file_mode = (unsigned)(st.st_mode & 07777);
	explicit_bzero(text, n);
	free(text);
	return r;
}

const char *config_exposed_key(const struct odm_config *cfg, const char *path, char *buf,
			       size_t n)
{
	/* (a file others may write is refused by config_load) */
	if (!cfg->inline_key_line || !(cfg->file_mode & S_IROTH))
		return NULL;
	snprintf(buf, n, "%s:%u: a key written in a file others may read (mode %04o): anyone on "
		 "this host can read it and register as that identity; use key-file, or chmod o-r %s",
		 path, cfg->inline_key_line, cfg->file_mode, path);
	return buf;
}

static int by_key(const void *a, const void *b)
{
	const struct odm_identity *x = *(const struct odm_identity *const *)a;
	const struct odm_identity *y = *(const struct odm_identity *const *)b;
	int c = memcmp(x->key, y->key, sizeof(x->key));

	return c ? c : strcmp(x->nai, y->nai);
}

const char *config_shared_key(const struct odm_config *cfg, const char *path, char *buf,
			      size_t n)
{
	const struct odm_identity **v;
	const struct odm_identity *a = NULL, *b = NULL;
	size_t i, more = 0;

	if (cfg->n_identities < 2)
		return NULL;
	v = malloc(cfg->n_identities * sizeof(*v));
	if (!v)
		return NULL; /* a warning only: nothing to refuse for it */
	for (i = 0; i < cfg->n_identities; i++)
		v[i] = &cfg->identities[i];
	qsort(v, cfg->n_identities, sizeof(*v), by_key);
	for (i = 1; i < cfg->n_identities; i++) {
		if (memcmp(v[i - 1]->key, v[i]->key, sizeof(v[i]->key)) != 0)
			continue;
		if (a)
			more++;
		else
			a = v[i - 1], b = v[i];
	}
	if (a)
		snprintf(buf, n, "%s: identities %s and %s have the same key%s: a host holding it "
			 "can register as either, and the anchor cannot tell them apart; give each "
			 "host a key of its own (odmctl genkey)", path, a->nai, b->nai,
			 more ? " (and more identities share keys)" : "");
	free(v);
	return a ? buf : NULL;
}

int config_reload(struct odm_config *cur, struct odm_config *next, char *err, size_t errlen)
{
	struct odm_identity *ids;
	size_t n;
	const char *fixed = NULL;

	if (cur->role != next->role)
		fixed = "role";
	else if (cur->mode != next->mode || cur->modes != next->modes)
		fixed = "mode";
	else if (cur->n_access_prefixes != next->n_access_prefixes ||
		 memcmp(cur->access_prefixes, next->access_prefixes,
			sizeof(cur->access_prefixes)) != 0)
		fixed = "access-prefix";
	else if (strcmp(cur->control_path, next->control_path) != 0)
		fixed = "control";
	else if (cur->control_gid != next->control_gid)
		fixed = "control-group";
	else if (strcmp(cur->state_dir, next->state_dir) != 0)
		fixed = "state-dir";
	else if (strcmp(cur->tunnel_backend, next->tunnel_backend) != 0)
		fixed = "tunnel";
	else if (strcmp(cur->tunnel_ifname, next->tunnel_ifname) != 0)
		fixed = "tunnel-device";
	else if (cur->tunnel_encap != next->tunnel_encap)
		fixed = "tunnel-encap";
	else if (memcmp(&cur->address, &next->address, sizeof(cur->address)) != 0)
		fixed = "address";
	else if (memcmp(&cur->pool, &next->pool, sizeof(cur->pool)) != 0 ||
		 cur->pool_plen != next->pool_plen)
		fixed = "pool";
	else if (cur->table != next->table)
		fixed = "table";
	else if (cur->rule_priority != next->rule_priority)
		fixed = "rule-priority";
	else if (cur->dns_publish != next->dns_publish)
		fixed = "dns-publish";
	else if (cur->has_home_anchor != next->has_home_anchor ||
		 memcmp(&cur->home_anchor, &next->home_anchor, sizeof(cur->home_anchor)) != 0)
		fixed = "home-anchor";
	else if (cur->home_discovery != next->home_discovery)
		fixed = "home-discovery";
	else if (cur->optimistic_dad != next->optimistic_dad)
		fixed = "optimistic-dad";
	else if (cur->router_solicit != next->router_solicit)
		fixed = "router-solicit";
	else if (cur->ignore_linkdown != next->ignore_linkdown)
		fixed = "ignore-linkdown";
	else if (cur->n_access_anchors != next->n_access_anchors ||
		 cur->access_from_ra != next->access_from_ra || cur->access_off != next->access_off ||
		 memcmp(cur->access_anchors, next->access_anchors,
			cur->n_access_anchors * sizeof(cur->access_anchors[0])) != 0)
		fixed = "access-anchor";
	if (fixed) {
		snprintf(err, errlen, "%s changed: it takes a restart", fixed);
		return -EINVAL;
	}
	cur->log_level = next->log_level;
	cur->log_syslog = next->log_syslog;
	cur->max_lifetime = next->max_lifetime;
	cur->max_bindings = next->max_bindings;
	cur->answer_rate = next->answer_rate;
	cur->answer_burst = next->answer_burst;
	cur->grace_period = next->grace_period;
	cur->default_type = next->default_type;
	cur->lifetime = next->lifetime;
	cur->udp_inactivity = next->udp_inactivity;
	cur->dns = next->dns;      /* a new TSIG key, name or server: dnspub re-publishes */
	memcpy(cur->policy_file, next->policy_file, sizeof(cur->policy_file));
	cur->policy_file_line = next->policy_file_line;
	/* swap, so the caller frees the old ones after the role re-keyed */
	ids = cur->identities;
	n = cur->n_identities;
	cur->identities = next->identities;
	cur->n_identities = next->n_identities;
	next->identities = ids;
	next->n_identities = n;
	return 0;
}
