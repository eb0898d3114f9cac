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

#include "config.h"
#include "log.h"
#include "odm.h"

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
};

struct directive {
	const char *name;
	int nargs;
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
	if (p->err && p->errlen) {
		if (p->line)
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

/* Decimal, no sign, no leading zeros beyond "0", within [lo, hi]. */
static int parse_u32(struct parse *p, const char *w, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long v = 0;

	if (!*w)
		return perr(p, w, "not a number");
	for (const char *c = w; *c; c++) {
		if (!isdigit((unsigned char)*c))
			return perr(p, w, "not a number");
		v = v * 10 + (unsigned)(*c - '0');
		if (v > UINT32_MAX)
			return perr(p, w, "number out of range %u..%u", lo, hi);
	}
	if (w[0] == '0' && w[1])
		return perr(p, w, "number with leading zero");
	if (v < lo || v > hi)
		return perr(p, w, "number out of range %u..%u", lo, hi);
	*out = (uint32_t)v;
	return 0;
}

static int parse_addr(struct parse *p, const char *w, struct in6_addr *a)
{
	if (inet_pton(AF_INET6, w, a) != 1)
		return perr(p, w, "not an IPv6 address");
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

static int d_mode(struct parse *p, char **w)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(w[1], mode_names[i]) == 0) {
			p->cfg->mode = (enum odm_anchor_mode)i;
			return 0;
		}
	return perr(p, w[1], "mode must be cha, home or access");
}

static int d_control(struct parse *p, char **w)
{
	if (w[1][0] != '/')
		return perr(p, w[1], "control socket path must be absolute");
	if (strlen(w[1]) >= sizeof(p->cfg->control_path))
		return perr(p, w[1], "path longer than %zu characters",
			    sizeof(p->cfg->control_path) - 1);
	memcpy(p->cfg->control_path, w[1], strlen(w[1]) + 1);
	return 0;
}

static int d_state_dir(struct parse *p, char **w)
{
	if (w[1][0] != '/')
		return perr(p, w[1], "state directory must be absolute");
	if (strlen(w[1]) >= sizeof(p->cfg->state_dir))
		return perr(p, w[1], "path longer than %zu characters",
			    sizeof(p->cfg->state_dir) - 1);
	memcpy(p->cfg->state_dir, w[1], strlen(w[1]) + 1);
	return 0;
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
	static const char *const ok[] = { "auto", "kernel", "user", "userspace" };
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(w[1], ok[i]) == 0)
			break;
	if (i == sizeof ok / sizeof ok[0])
		return perr(p, w[1], "tunnel must be auto, kernel or user");
	snprintf(p->cfg->tunnel_backend, sizeof(p->cfg->tunnel_backend), "%s", w[1]);
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

static int d_address(struct parse *p, char **w)
{
	struct in6_addr a;

	if (parse_addr(p, w[1], &a) < 0)
		return -EINVAL;
	if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_LOOPBACK(&a))
		return perr(p, w[1], "not a usable unicast address");
	p->cfg->address = a;
	return 0;
}

static int d_pool(struct parse *p, char **w)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct in6_addr a;
	uint32_t plen;
	char *slash;

	if (strlen(w[1]) >= sizeof(buf))
		return perr(p, w[1], "not a prefix");
	snprintf(buf, sizeof(buf), "%s", w[1]);
	slash = strchr(buf, '/');
	if (!slash)
		return perr(p, w[1], "prefix needs a /LEN");
	*slash = '\0';
	if (inet_pton(AF_INET6, buf, &a) != 1)
		return perr(p, w[1], "not an IPv6 prefix");
	/* at least two addresses, and no wider than the /64 of one link */
	if (parse_u32(p, slash + 1, 64, 127, &plen) < 0)
		return perr(p, w[1], "prefix length must be 64..127");
	for (unsigned bit = plen; bit < 128; bit++)
		if (a.s6_addr[bit / 8] & (0x80 >> (bit % 8)))
			return perr(p, w[1], "host bits set after /%u", plen);
	if (IN6_IS_ADDR_MULTICAST(&a) || IN6_IS_ADDR_UNSPECIFIED(&a))
		return perr(p, w[1], "not a unicast prefix");
	p->cfg->pool = a;
	p->cfg->pool_plen = (uint8_t)plen;
	return 0;
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

/* Read the key of a key-file: 32 hex digits, blanks around them ignored. */
static int read_keyfile(struct parse *p, const char *path, uint8_t key[MH_AUTH_KEY_LEN])
{
	char full[PATH_MAX], buf[KEYFILE_MAX + 1];
	struct stat st;
	size_t n = 0, b, e;
	int fd, r;

	/* a relative path is taken from the directory of the config file */
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
	if (fd < 0)
		return perr(p, path, "cannot open key file: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return perr(p, path, "key file is not a regular file");
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		return perr(p, path, "key file is accessible by others (mode %04o); chmod o-rw it",
			    (unsigned)(st.st_mode & 07777));
	}
	while (n < sizeof(buf)) {
		ssize_t k = read(fd, buf + n, sizeof(buf) - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = errno;
			close(fd);
			return perr(p, path, "cannot read key file: %s", strerror(r));
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (n > KEYFILE_MAX) {
		explicit_bzero(buf, sizeof(buf));
		return perr(p, path, "key file longer than %d bytes", KEYFILE_MAX);
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
	if (parse_u32(p, w[3], 0, UINT32_MAX, &id.spi) < 0)
		return -EINVAL;
	if (strcmp(w[4], "key") == 0)
		r = parse_key(p, w[5], w[5], strlen(w[5]), id.key);
	else if (strcmp(w[4], "key-file") == 0)
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
	{ "mode", 1, ANCHOR_ONLY, d_mode },
	{ "control", 1, ANY, d_control },
	{ "control-group", 1, ANY, d_control_group },
	{ "state-dir", 1, ANY, d_state_dir },
	{ "tunnel", 1, ANY, d_tunnel },
	{ "tunnel-device", 1, ANY, d_tunnel_device },
	{ "log-level", 1, ANY, d_log_level },
	{ "address", 1, ANCHOR_ONLY, d_address },
	{ "pool", 1, ANCHOR_ONLY, d_pool },
	{ "max-lifetime", 1, ANCHOR_ONLY, d_max_lifetime },
	{ "max-bindings", 1, ANCHOR_ONLY, d_max_bindings },
	{ "answer-rate", 1, ANCHOR_ONLY, d_answer_rate },
	{ "answer-burst", 1, ANCHOR_ONLY, d_answer_burst },
	{ "identity", 5, ANY, d_identity },
	{ "default-type", 1, MN_ONLY, d_default_type },
	{ "lifetime", 1, MN_ONLY, d_lifetime },
	{ "udp-inactivity", 1, MN_ONLY, d_udp_inactivity },
	{ "table", 1, MN_ONLY, d_table },
	{ "rule-priority", 1, MN_ONLY, d_rule_priority },
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

/* Split line (modified in place) into words; '#' starts a comment. */
static int split(struct parse *p, char *line, char **w, int *nw)
{
	int n = 0;
	char *c = line;

	for (;;) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c || *c == '#')
			break;
		if (n == CONFIG_WORDS_MAX) {
			c[strcspn(c, " \t")] = '\0';
			return perr(p, c, "too many words");
		}
		w[n++] = c;
		while (*c && *c != ' ' && *c != '\t')
			c++;
		if (*c)
			*c++ = '\0';
	}
	*nw = n;
	return 0;
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
		if (!seen_line(seen, "address"))
			return perr(p, "address", "required for role anchor");
		if (!seen_line(seen, "pool"))
			return perr(p, "pool", "required for role anchor");
		if (cfg->n_identities < 1)
			return perr(p, "identity", "role anchor needs at least one");
	} else {
		if (cfg->n_identities != 1)
			return perr(p, "identity", "role mn needs exactly one, %zu given",
				    cfg->n_identities);
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
	if (err && errlen)
		err[0] = '\0';
	if (!text && len)
		return perr(&p, p.name, "no text");
	if (len > CONFIG_FILE_MAX)
		return perr(&p, p.name, "file larger than %d bytes", CONFIG_FILE_MAX);

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *w[CONFIG_WORDS_MAX];
		const struct directive *d = NULL;
		int nw = 0;

		p.line++;
		if (n > CONFIG_LINE_MAX) {
			r = perr(&p, "line", "longer than %d characters", CONFIG_LINE_MAX);
			goto fail;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)line[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				r = perr(&p, "line", "control character 0x%02x at column %zu", c,
					 i + 1);
				goto fail;
			}
		}
		r = split(&p, line, w, &nw);
		if (r < 0)
			goto fail;
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
		if (nw - 1 < d->nargs) {
			r = perr(&p, w[0], "missing argument (%d expected)", d->nargs);
			goto fail;
		}
		if (nw - 1 > d->nargs) {
			r = perr(&p, w[d->nargs + 1], "extra argument to %s", w[0]);
			goto fail;
		}
		if (seen[d - directives] && d->fn != d_identity) {
			r = perr(&p, w[0], "given twice (first on line %u)", seen[d - directives]);
			goto fail;
		}
		seen[d - directives] = p.line;
		r = d->fn(&p, w);
		if (r < 0)
			goto fail;
	}
	r = check_role(&p, seen);
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
	explicit_bzero(text, n);
	free(text);
	return r;
}

int config_reload(struct odm_config *cur, struct odm_config *next, char *err, size_t errlen)
{
	struct odm_identity *ids;
	size_t n;
	const char *fixed = NULL;

	if (cur->role != next->role)
		fixed = "role";
	else if (cur->mode != next->mode)
		fixed = "mode";
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
	else if (memcmp(&cur->address, &next->address, sizeof(cur->address)) != 0)
		fixed = "address";
	else if (memcmp(&cur->pool, &next->pool, sizeof(cur->pool)) != 0 ||
		 cur->pool_plen != next->pool_plen)
		fixed = "pool";
	else if (cur->table != next->table)
		fixed = "table";
	else if (cur->rule_priority != next->rule_priority)
		fixed = "rule-priority";
	if (fixed) {
		snprintf(err, errlen, "%s changed: it takes a restart, nothing reloaded", fixed);
		return -EINVAL;
	}
	cur->log_level = next->log_level;
	cur->max_lifetime = next->max_lifetime;
	cur->max_bindings = next->max_bindings;
	cur->default_type = next->default_type;
	cur->lifetime = next->lifetime;
	cur->udp_inactivity = next->udp_inactivity;
	/* swap, so the caller frees the old ones after the role re-keyed */
	ids = cur->identities;
	n = cur->n_identities;
	cur->identities = next->identities;
	cur->n_identities = next->n_identities;
	next->identities = ids;
	next->n_identities = n;
	return 0;
}
