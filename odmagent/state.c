/* SPDX-License-Identifier: MIT */
/*
 * state.c — the agents' state as JSON: encoding, strict decoding and the
 * restore decisions (see state.h for the format).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

/* ---- encoding ---- */

static json_t *addr_json(const struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return json_string(inet_ntop(AF_INET6, a, buf, sizeof(buf)));
}

static json_t *ts_json(uint64_t ts)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, ts);
	return json_string(buf);
}

static char *dump(json_t *root)
{
	char *text = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(root);
	return text;
}

char *state_mn_encode(const struct state_mn *s)
{
	json_t *anchors = json_array(), *leases = json_array();

	for (size_t i = 0; anchors && i < s->n_anchors; i++) {
		const struct state_mn_anchor *a = &s->anchors[i];

		json_array_append_new(anchors,
				      json_pack("{s:o, s:i, s:o}", "addr", addr_json(&a->addr),
						"seq", (int)a->seq, "last_ts", ts_json(a->last_ts)));
	}
	for (size_t i = 0; leases && i < s->n_leases; i++) {
		const struct state_mn_lease *l = &s->leases[i];
		json_t *o, *h;

		json_array_append_new(
			leases,
			o = json_pack("{s:i, s:i, s:i, s:o, s:o, s:o, s:I, s:I, s:I, s:I}", "bid",
				  (int)l->bid, "type", l->type, "proto", l->proto, "addr",
				  addr_json(&l->addr), "anchor", addr_json(&l->anchor), "dst",
				  addr_json(&l->dst), "uid", (json_int_t)l->uid, "pid",
				  (json_int_t)l->pid, "created", (json_int_t)l->created_ms,
				  "expires", (json_int_t)l->expires_ms));
		if (o && l->fresh)
			json_object_set_new(o, "fresh", json_true());
		if (o && l->n_holders && (h = json_array())) {
			for (size_t j = 0; j < l->n_holders; j++)
				json_array_append_new(h, json_integer(l->holders[j]));
			json_object_set_new(o, "holders", h);
		}
	}
	if (!anchors || !leases) {
		json_decref(anchors);
		json_decref(leases);
		return NULL;
	}
	return dump(json_pack("{s:i, s:s, s:s, s:i, s:o, s:o}", "version", STATE_VERSION,
			      "role", "mn", "nai", s->nai, "last_id", (int)s->last_id,
			      "anchors", anchors, "leases", leases));
}

char *state_anchor_encode(const struct state_anchor *s)
{
	json_t *ids = json_array(), *bs = json_array(), *root;
	char pfx[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];

	for (size_t i = 0; ids && i < s->n_idents; i++) {
		const struct state_anchor_ident *d = &s->idents[i];

		json_array_append_new(ids, json_pack("{s:s, s:i, s:o}", "nai", d->nai, "seq",
						     (int)d->seq, "last_ts", ts_json(d->last_ts)));
	}
	for (size_t i = 0; bs && i < s->n_bindings; i++) {
		const struct state_anchor_binding *b = &s->bindings[i];
		json_t *o = json_pack("{s:o, s:o, s:s, s:i, s:i, s:i, s:I}", "hoa",
				      addr_json(&b->hoa), "coa", addr_json(&b->coa), "nai", b->nai,
				      "bid", (int)b->bid, "seq", (int)b->seq, "lifetime",
				      (int)b->lifetime, "expires", (json_int_t)b->expires_ms);

		if (o && b->graceful)
			json_object_set_new(o, "graceful", json_true());
		if (o && b->graceful && b->deadline_ms)
			json_object_set_new(o, "deadline", json_integer(b->deadline_ms));
		json_array_append_new(bs, o);
	}
	if (!ids || !bs) {
		json_decref(ids);
		json_decref(bs);
		return NULL;
	}
	inet_ntop(AF_INET6, &s->pool, a, sizeof(a));
	snprintf(pfx, sizeof(pfx), "%s/%u", a, s->pool_plen);
	root = json_pack("{s:i, s:s, s:s, s:o, s:o}", "version", STATE_VERSION, "role", "anchor",
			 "pool", pfx, "identities", ids, "bindings", bs);
	if (root && s->held)
		json_object_set_new(root, "held", json_integer(s->held));
	if (root && s->n_cooling) {
		json_t *c = json_array();

		for (size_t i = 0; c && i < s->n_cooling; i++)
			json_array_append_new(c, json_pack("{s:I, s:I}", "off",
							   (json_int_t)s->cooling[i].off, "released",
							   (json_int_t)s->cooling[i].released_ms));
		if (!c || json_array_size(c) != s->n_cooling) {
			json_decref(c);
			json_decref(root);
			return NULL;
		}
		json_object_set_new(root, "cooling", c);
	}
	return dump(root);
}

/* ---- strict decoding ---- */

struct dec {
	char *err;
	size_t errlen;
	const char *where; /* "leases[3]" etc. */
	char wbuf[48];
};

static int fail(struct dec *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct dec *d, const char *key, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* the document as a whole (it is not JSON): no key to name */
	if (d->err && d->errlen && !*d->where && !*key)
		snprintf(d->err, d->errlen, "%s", why);
	else if (d->err && d->errlen)
		snprintf(d->err, d->errlen, "%s%s%s: %s", d->where, *d->where ? "." : "", key,
			 why);
	return -EINVAL;
}

/* 1 if k is in the NULL-terminated list (a NULL list holds nothing) */
static int key_listed(const char *const *keys, const char *k)
{
	for (; keys && *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return 1;
	return 0;
}

/*
 * obj is an object holding every key of keys (NULL-terminated) and no key
 * outside keys and optional (NULL-terminated, or NULL: none); the caller
 * checks the optional keys' values.
 */
static int exact_keys_opt(struct dec *d, const json_t *obj, const char *const *keys,
			  const char *const *optional)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj))
		return fail(d, "", "not an object");
	for (const char *const *p = keys; *p; p++)
		if (!json_object_get(obj, *p))
			return fail(d, *p, "missing");
	json_object_foreach((json_t *)obj, k, v) {
		(void)v;
		if (!key_listed(keys, k) && !key_listed(optional, k))
			return fail(d, "", "unknown key \"%.40s\"", k);
	}
	return 0;
}

/* obj is an object whose keys are exactly those listed (NULL-terminated) */
static int exact_keys(struct dec *d, const json_t *obj, const char *const *keys)
{
	return exact_keys_opt(d, obj, keys, NULL);
}

static int get_int(struct dec *d, const json_t *obj, const char *key, json_int_t lo,
		   json_int_t hi, json_int_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		return fail(d, key, "not an integer");
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return fail(d, key, "%" JSON_INTEGER_FORMAT " out of range", *out);
	return 0;
}

static int get_u16(struct dec *d, const json_t *obj, const char *key, uint16_t lo,
		   uint16_t *out)
{
	json_int_t v;
	int rc = get_int(d, obj, key, lo, UINT16_MAX, &v);

	if (rc == 0)
		*out = (uint16_t)v;
	return rc;
}

static int get_str(struct dec *d, const json_t *obj, const char *key, char *buf, size_t cap)
{
	const json_t *v = json_object_get(obj, key);
	size_t n;

	if (!json_is_string(v))
		return fail(d, key, "not a string");
	n = json_string_length(v);
	if (n >= cap || memchr(json_string_value(v), '\0', n))
		return fail(d, key, "too long or holds a NUL");
	memcpy(buf, json_string_value(v), n + 1);
	return 0;
}

static int get_nai(struct dec *d, const json_t *obj, const char *key, char *buf)
{
	int rc = get_str(d, obj, key, buf, MH_NAI_MAX + 1);

	if (rc == 0 && !*buf)
		return fail(d, key, "empty");
	for (const char *p = buf; rc == 0 && *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return fail(d, key, "not printable ASCII");
	return rc;
}

static int get_addr(struct dec *d, const json_t *obj, const char *key, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (get_str(d, obj, key, buf, sizeof(buf)) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET6, buf, a) != 1)
		return fail(d, key, "not an IPv6 address");
	return 0;
}

static int get_ts(struct dec *d, const json_t *obj, const char *key, uint64_t *out)
{
	char buf[24];
	uint64_t v = 0;

	if (get_str(d, obj, key, buf, 21) < 0)
		return -EINVAL;
	if (!buf[0] || (buf[0] == '0' && buf[1]))
		return fail(d, key, "not a decimal number");
	for (const char *p = buf; *p; p++) {
		unsigned dig = (unsigned)(*p - '0');

		if (*p < '0' || *p > '9')
			return fail(d, key, "not a decimal number");
		if (v > (UINT64_MAX - dig) / 10)
			return fail(d, key, "out of range");
		v = v * 10 + dig;
	}
	*out = v;
	return 0;
}

/* 2 digits... : wall-clock ms, from 1970 up to year ~2286 */
#define STATE_WALL_MAX ((json_int_t)9999999999999LL)

static int get_wall(struct dec *d, const json_t *obj, const char *key, int64_t *out)
{
	json_int_t v;
	int rc = get_int(d, obj, key, 0, STATE_WALL_MAX, &v);

	if (rc == 0)
		*out = (int64_t)v;
	return rc;
}

/* Clear the output (ssize bytes at s) and err, parse and check the
 * envelope; returns the root (to decref) or NULL */
static json_t *envelope(struct dec *d, const char *text, size_t len, const char *role,
			const char *const *keys, const char *const *optional, void *s,
			size_t ssize)
{
	json_error_t je;
	json_t *root;
	json_int_t ver;

	memset(s, 0, ssize);
	if (d->err && d->errlen)
		d->err[0] = '\0';
	d->where = "";
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		fail(d, "", "JSON error at line %d column %d: %s", je.line, je.column, je.text);
		return NULL;
	}
	/* the version first, so a newer file is named as such */
	if (json_is_object(root) && json_object_get(root, "version") &&
	    get_int(d, root, "version", STATE_VERSION, STATE_VERSION, &ver) < 0)
		goto bad;
	if (exact_keys_opt(d, root, keys, optional) < 0)
		goto bad;
	if (!json_is_string(json_object_get(root, "role")) ||
	    strcmp(json_string_value(json_object_get(root, "role")), role) != 0) {
		fail(d, "role", "not \"%s\"", role);
		goto bad;
	}
	return root;
bad:
	json_decref(root);
	return NULL;
}

/* The array obj[key], at most max entries, and room for them (one more,
 * so an empty array still allocates) in *mem, zeroed; NULL on error */
static const json_t *get_array(struct dec *d, const json_t *obj, const char *key, size_t max,
			       size_t elem, void **mem)
{
	const json_t *v = json_object_get(obj, key);

	d->where = "";
	if (!json_is_array(v)) {
		fail(d, key, "not an array");
		return NULL;
	}
	if (json_array_size(v) > max) {
		fail(d, key, "more than %zu entries", max);
		return NULL;
	}
	*mem = calloc(json_array_size(v) + 1, elem);
	if (!*mem) {
		fail(d, key, "out of memory");
		return NULL;
	}
	return v;
}

static void at(struct dec *d, const char *what, size_t i)
{
	snprintf(d->wbuf, sizeof(d->wbuf), "%s[%zu]", what, i);
	d->where = d->wbuf;
}

static const char *const MN_KEYS[] = { "version", "role", "nai", "last_id", "anchors",
				       "leases", NULL };
static const char *const MN_ANCHOR_KEYS[] = { "addr", "seq", "last_ts", NULL };
static const char *const MN_LEASE_KEYS[] = { "bid", "type", "proto", "addr", "anchor",
					     "dst", "uid", "pid", "created", "expires",
					     NULL };

/* The optional "holders" of a lease: 2 to STATE_MAX_HOLDERS distinct
 * users, its owner first (written only when others share it) */
static int mn_lease_holders(struct dec *d, const json_t *o, struct state_mn_lease *l)
{
	const json_t *h = json_object_get(o, "holders");
	size_t n;

	if (!h)
		return 0;
	if (!json_is_array(h))
		return fail(d, "holders", "not an array");
	n = json_array_size(h);
	if (n < 2 || n > STATE_MAX_HOLDERS)
		return fail(d, "holders", "%zu entries, not 2 to %d", n, STATE_MAX_HOLDERS);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(h, i);
		json_int_t u = json_is_integer(v) ? json_integer_value(v) : -1;

		/* the agent's own uid (-1) never holds a shared lease */
		if (u < 0 || u >= (json_int_t)UINT32_MAX)
			return fail(d, "holders", "entry %zu is not a uid", i);
		for (size_t j = 0; j < i; j++)
			if (l->holders[j] == (uint32_t)u)
				return fail(d, "holders", "uid %u listed twice", (unsigned)u);
		l->holders[i] = (uint32_t)u;
	}
	if (l->holders[0] != l->uid)
		return fail(d, "holders", "the owner (uid) is not first");
	l->n_holders = n;
	return 0;
}

static int mn_lease(struct dec *d, const json_t *o, struct state_mn_lease *l)
{
	static const char *const optional[] = { "holders", "fresh", NULL };
	const json_t *f = json_object_get(o, "fresh");
	json_int_t v;

	if (f && !json_is_true(f))
		return fail(d, "fresh", "only true is written");
	l->fresh = f != NULL;
	if (exact_keys_opt(d, o, MN_LEASE_KEYS, optional) < 0 ||
	    get_u16(d, o, "bid", 1, &l->bid) < 0 || get_int(d, o, "type", 1, 4, &v) < 0)
		return -EINVAL;
	l->type = (int)v;
	if (get_int(d, o, "proto", 0, 255, &v) < 0)
		return -EINVAL;
	if (v != IPPROTO_TCP && v != IPPROTO_UDP)
		return fail(d, "proto", "neither TCP nor UDP");
	l->proto = (int)v;
	if (get_addr(d, o, "addr", &l->addr) < 0 || get_addr(d, o, "anchor", &l->anchor) < 0 ||
	    get_addr(d, o, "dst", &l->dst) < 0)
		return -EINVAL;
	if (IN6_IS_ADDR_UNSPECIFIED(&l->addr) || IN6_IS_ADDR_UNSPECIFIED(&l->anchor))
		return fail(d, "addr", "unspecified");
	if (get_int(d, o, "uid", 0, UINT32_MAX, &v) < 0)
		return -EINVAL;
	l->uid = (uint32_t)v;
	if (get_int(d, o, "pid", 0, INT32_MAX, &v) < 0)
		return -EINVAL;
	l->pid = (int32_t)v;
	return get_wall(d, o, "created", &l->created_ms) < 0 ||
			       get_wall(d, o, "expires", &l->expires_ms) < 0 ||
			       mn_lease_holders(d, o, l) < 0 ?
		       -EINVAL :
		       0;
}

int state_mn_decode(const char *text, size_t len, struct state_mn *s, char *err,
		    size_t errlen)
{
	struct dec d = { .err = err, .errlen = errlen, .where = "" };
	const json_t *arr;
	json_t *root;

	root = envelope(&d, text, len, "mn", MN_KEYS, NULL, s, sizeof(*s));
	if (!root)
		return -EINVAL;
	if (get_nai(&d, root, "nai", s->nai) < 0 || get_u16(&d, root, "last_id", 0, &s->last_id) < 0)
		goto bad;
	if (!(arr = get_array(&d, root, "anchors", STATE_MAX_ANCHORS, sizeof(*s->anchors),
			      (void **)&s->anchors)))
		goto bad;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i);
		struct state_mn_anchor *a = &s->anchors[i];

		at(&d, "anchors", i);
		if (exact_keys(&d, o, MN_ANCHOR_KEYS) < 0 || get_addr(&d, o, "addr", &a->addr) < 0 ||
		    get_u16(&d, o, "seq", 0, &a->seq) < 0 || get_ts(&d, o, "last_ts", &a->last_ts) < 0)
			goto bad;
		for (size_t j = 0; j < i; j++)
			if (IN6_ARE_ADDR_EQUAL(&s->anchors[j].addr, &a->addr)) {
				fail(&d, "addr", "listed twice");
				goto bad;
			}
		s->n_anchors++;
	}
	if (!(arr = get_array(&d, root, "leases", STATE_MAX_LEASES, sizeof(*s->leases),
			      (void **)&s->leases)))
		goto bad;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct state_mn_lease *l = &s->leases[i];
		int has_anchor = 0;

		at(&d, "leases", i);
		if (mn_lease(&d, json_array_get(arr, i), l) < 0)
			goto bad;
		for (size_t j = 0; j < s->n_anchors; j++)
			has_anchor |= IN6_ARE_ADDR_EQUAL(&s->anchors[j].addr, &l->anchor);
		if (!has_anchor) {
			fail(&d, "anchor", "not among the anchors");
			goto bad;
		}
		/* ids and addresses are unique among live leases (lease.h);
		 * quadratic, but only on the (bounded) restore path */
		for (size_t j = 0; j < i; j++)
			if (s->leases[j].bid == l->bid ||
			    IN6_ARE_ADDR_EQUAL(&s->leases[j].addr, &l->addr)) {
				fail(&d, "bid", "bid or address listed twice");
				goto bad;
			}
		s->n_leases++;
	}
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	state_mn_free(s);
	return -EINVAL;
}

static const char *const AN_KEYS[] = { "version", "role", "pool", "identities", "bindings",
				       NULL };
/* "held": the pool's offsets 1..held held back after a crash (anchor.h);
 * "cooling": the pool's addresses released shortly before (pool.h) */
static const char *const AN_OPT_KEYS[] = { "held", "cooling", NULL };
static const char *const AN_COOLING_KEYS[] = { "off", "released", NULL };
static const char *const AN_IDENT_KEYS[] = { "nai", "seq", "last_ts", NULL };
static const char *const AN_BINDING_KEYS[] = { "hoa", "coa", "nai", "bid", "seq",
					       "lifetime", "expires", NULL };

static int get_prefix(struct dec *d, const json_t *o, const char *key, struct in6_addr *a,
		      uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long n;

	if (get_str(d, o, key, buf, sizeof(buf)) < 0)
		return -EINVAL;
	slash = strchr(buf, '/');
	if (!slash || !slash[1] || (slash[1] == '0' && slash[2]))
		return fail(d, key, "not PREFIX/LEN");
	*slash = '\0';
	n = strtoul(slash + 1, &end, 10);
	if (*end || n > 128 || slash[1] < '0' || slash[1] > '9')
		return fail(d, key, "bad prefix length");
	if (inet_pton(AF_INET6, buf, a) != 1)
		return fail(d, key, "not an IPv6 prefix");
	*plen = (uint8_t)n;
	return 0;
}

/* The optional keys of a binding: "graceful" (only true), and "deadline"
 * (only with it); the rest must be exactly AN_BINDING_KEYS */
static int an_binding_grace(struct dec *d, const json_t *o, struct state_anchor_binding *b)
{
	static const char *const optional[] = { "graceful", "deadline", NULL };
	const json_t *g = json_object_get(o, "graceful");
	int rc;

	rc = exact_keys_opt(d, o, AN_BINDING_KEYS, optional);
	if (rc < 0)
		return rc;
	if (g && !json_is_true(g))
		return fail(d, "graceful", "only true is written");
	b->graceful = g != NULL;
	if (!json_object_get(o, "deadline"))
		return 0;
	if (!g)
		return fail(d, "deadline", "without graceful");
	if (get_wall(d, o, "deadline", &b->deadline_ms) < 0)
		return -EINVAL;
	if (b->deadline_ms == 0)
		return fail(d, "deadline", "0 is written as no key");
	return 0;
}

static int an_binding(struct dec *d, const json_t *o, struct state_anchor_binding *b)
{
	if (!json_is_object(o))
		return fail(d, "", "not an object");
	if (an_binding_grace(d, o, b) < 0 || get_addr(d, o, "hoa", &b->hoa) < 0 ||
	    get_addr(d, o, "coa", &b->coa) < 0 || get_nai(d, o, "nai", b->nai) < 0 ||
	    get_u16(d, o, "bid", 0, &b->bid) < 0 || get_u16(d, o, "seq", 0, &b->seq) < 0 ||
	    get_u16(d, o, "lifetime", 1, &b->lifetime) < 0 ||
	    get_wall(d, o, "expires", &b->expires_ms) < 0)
		return -EINVAL;
	if (IN6_IS_ADDR_UNSPECIFIED(&b->hoa) || IN6_IS_ADDR_UNSPECIFIED(&b->coa))
		return fail(d, "hoa", "unspecified address");
	return 0;
}

/* "cooling": offsets and release times, in release order (an offset given
 * twice, or one the bindings hold, the pool itself refuses at restore) */
static int an_cooling(struct dec *d, const json_t *root, struct state_anchor *s)
{
	const json_t *arr = get_array(d, root, "cooling", STATE_MAX_COOLING, sizeof(*s->cooling),
				      (void **)&s->cooling);

	if (!arr)
		return -EINVAL;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i);
		struct state_anchor_cooling *c = &s->cooling[i];
		json_int_t off;

		at(d, "cooling", i);
		if (exact_keys(d, o, AN_COOLING_KEYS) < 0 ||
		    get_int(d, o, "off", 1, UINT32_MAX, &off) < 0 ||
		    get_wall(d, o, "released", &c->released_ms) < 0)
			return -EINVAL;
		c->off = (uint32_t)off;
		if (i && c->released_ms < s->cooling[i - 1].released_ms)
			return fail(d, "released", "before the one listed before it");
		s->n_cooling++;
	}
	return 0;
}

int state_anchor_decode(const char *text, size_t len, struct state_anchor *s, char *err,
			size_t errlen)
{
	struct dec d = { .err = err, .errlen = errlen, .where = "" };
	const json_t *arr;
	json_t *root;

	root = envelope(&d, text, len, "anchor", AN_KEYS, AN_OPT_KEYS, s, sizeof(*s));
	if (!root)
		return -EINVAL;
	if (get_prefix(&d, root, "pool", &s->pool, &s->pool_plen) < 0)
		goto bad;
	if (json_object_get(root, "held")) {
		json_int_t held;

		if (get_int(&d, root, "held", 1, UINT32_MAX, &held) < 0)
			goto bad;
		s->held = (uint32_t)held;
	}
	if (!(arr = get_array(&d, root, "identities", STATE_MAX_IDENTITIES, sizeof(*s->idents),
			      (void **)&s->idents)))
		goto bad;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i);
		struct state_anchor_ident *id = &s->idents[i];

		at(&d, "identities", i);
		if (exact_keys(&d, o, AN_IDENT_KEYS) < 0 || get_nai(&d, o, "nai", id->nai) < 0 ||
		    get_u16(&d, o, "seq", 0, &id->seq) < 0 ||
		    get_ts(&d, o, "last_ts", &id->last_ts) < 0)
			goto bad;
		s->n_idents++;
	}
	if (!(arr = get_array(&d, root, "bindings", STATE_MAX_BINDINGS, sizeof(*s->bindings),
			      (void **)&s->bindings)))
		goto bad;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		at(&d, "bindings", i);
		if (an_binding(&d, json_array_get(arr, i), &s->bindings[i]) < 0)
			goto bad;
		s->n_bindings++;
	}
	/* duplicates (an address or an (NAI, BID) twice) are refused by the
	 * binding cache itself when the restore inserts them */
	if (json_object_get(root, "cooling") && an_cooling(&d, root, s) < 0)
		goto bad;
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	state_anchor_free(s);
	return -EINVAL;
}

void state_mn_free(struct state_mn *s)
{
	free(s->anchors);
	free(s->leases);
	memset(s, 0, sizeof(*s));
}

void state_anchor_free(struct state_anchor *s)
{
	free(s->idents);
	free(s->bindings);
	free(s->cooling);
	memset(s, 0, sizeof(*s));
}

/* ---- restore decisions ---- */

uint64_t state_deadline(int64_t wall_ms, int64_t now_wall_ms, uint64_t now_mono_ms,
			uint32_t margin_ms)
{
	int64_t left = wall_ms - now_wall_ms;

	if (left <= (int64_t)margin_ms)
		return 0;
	return now_mono_ms + (uint64_t)left;
}

uint16_t state_seq_resume(uint16_t stored)
{
	return (uint16_t)(stored + STATE_SEQ_SLACK);
}
