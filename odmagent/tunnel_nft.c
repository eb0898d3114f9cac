/* SPDX-License-Identifier: MIT */
/* tunnel_nft.c — endpoint checks and counters of the kernel data path (see tunnel_nft.h). */
#include "tunnel_nft.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tunnel_guard.h"

/* Bit offsets from the outer IPv6 header (40 bytes each, no extension
 * headers: the rules drop those): the inner source and destination, and
 * the next-header field of the outer header and of the 1st..4th inner one. */
#define OFF_INNER_SRC 384
#define OFF_INNER_DST 512
#define NH_AT(level) (48 + 320 * (level))

struct tunnel_nft {
	struct nft_ctx *ctx;
	char table[32];
	int host;
};

/* Run cmd (one transaction); 0, or -EIO with nft's message logged unless quiet. */
static int run(struct tunnel_nft *n, const char *cmd, int quiet)
{
	int rc = nft_run_cmd_from_buffer(n->ctx, cmd);

	if (rc != 0 && !quiet) {
		const char *err = nft_ctx_get_error_buffer(n->ctx);

		log_warnx("nftables: %s", err && *err ? err : "failed");
	}
	return rc ? -EIO : 0;
}

static void hex128(const struct in6_addr *a, char out[35])
{
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", a->s6_addr[i]);
}

/* "0x..." (leading zeros may be missing) -> a; 0 or -1 */
static int unhex128(const char *s, struct in6_addr *a)
{
	size_t len;

	memset(a, 0, sizeof *a);
	if (!s || strncmp(s, "0x", 2) != 0)
		return -1;
	s += 2;
	len = strlen(s);
	if (len == 0 || len > 32)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[len - 1 - i];
		int v;

		if (!isxdigit((unsigned char)c))
			return -1;
		v = isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
		a->s6_addr[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	return 0;
}

static struct nft_ctx *new_ctx(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx)
		return NULL;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	return ctx;
}

int tunnel_nft_probe(void)
{
	struct nft_ctx *ctx = new_ctx();
	int rc;

	if (!ctx)
		return -ENOMEM;
	rc = nft_run_cmd_from_buffer(ctx, "list tables ip6") ? -EPERM : 0;
	nft_ctx_free(ctx);
	return rc;
}

int tunnel_nft_open(struct tunnel_nft **out, const char *ifname, enum odm_tunnel_side side,
		    int fresh)
{
	struct tunnel_nft *n = calloc(1, sizeof *n);
	char *cmd, unb_rule[256];
	const char *t, *unb;
	int key, rc;

	*out = NULL;
	if (!n)
		return -ENOMEM;
	n->ctx = new_ctx();
	if (!n->ctx) {
		free(n);
		return -ENOMEM;
	}
	n->host = side == ODM_TUNNEL_HOST;
	/* the device name with what nft's names do not allow made '_' */
	snprintf(n->table, sizeof n->table, "odm_%s", ifname);
	for (char *c = n->table; *c; c++)
		if (!isalnum((unsigned char)*c))
			*c = '_';
	t = n->table;
	unb = "";
	if (!n->host) {
		snprintf(unb_rule, sizeof unb_rule,
			 "add rule ip6 %1$s pre meta l4proto ipv6 @nh,%2$d,128 @guard jump dec\n"
			 "add rule ip6 %1$s dec add @unbound { @nh,%2$d,128 . ip6 saddr }\n", t,
			 OFF_INNER_SRC);
		unb = unb_rule;
	}
	key = n->host ? OFF_INNER_DST : OFF_INNER_SRC;
	if (fresh) {
		char del[64];

		snprintf(del, sizeof del, "delete table ip6 %s", t);
		(void)run(n, del, 1); /* none: nothing to do */
	}
	/* sets survive a restart (add is idempotent); the rules are
	 * replaced in the same transaction, so no packet sees none */
	rc = asprintf(&cmd,
		"add table ip6 %1$s\n"
		"add set ip6 %1$s locals { type ipv6_addr; }\n"
		"add set ip6 %1$s peers { typeof ip6 daddr . ip6 saddr . @nh,%2$d,128; counter; }\n"
		"add set ip6 %1$s txk { type ipv6_addr; counter; }\n"
		"add set ip6 %1$s guard { typeof @nh,%3$d,128; flags interval; }\n"
		"add set ip6 %1$s unbound { typeof @nh,%2$d,128 . ip6 saddr; size 256; "
		"flags dynamic,timeout; timeout 2s; }\n"
		"add counter ip6 %1$s dropped\n"
		"add counter ip6 %1$s looped\n"
		"add chain ip6 %1$s pre { type filter hook prerouting priority raw; policy accept; }\n"
		"add chain ip6 %1$s out { type filter hook output priority raw; policy accept; }\n"
		"add chain ip6 %1$s dec\n"
		"add chain ip6 %1$s enc\n"
		"flush chain ip6 %1$s pre\n"
		"flush chain ip6 %1$s out\n"
		"flush chain ip6 %1$s dec\n"
		"flush chain ip6 %1$s enc\n"
		"add rule ip6 %1$s pre meta l4proto ipv6 %10$s jump dec\n"
		"add rule ip6 %1$s %4$s ip6 %5$s @txk jump enc\n"
		"add rule ip6 %1$s dec ip6 nexthdr != ipv6 counter name dropped drop\n"
		"add rule ip6 %1$s dec @nh,%6$d,8 41 @nh,%7$d,8 41 @nh,%8$d,8 41 @nh,%9$d,8 41 "
		"counter name looped drop\n"
		"add rule ip6 %1$s dec @nh,%3$d,128 @guard counter name looped drop\n"
		"add rule ip6 %1$s dec ip6 daddr . ip6 saddr . @nh,%2$d,128 @peers accept\n"
		"%11$s"
		"add rule ip6 %1$s dec counter name dropped drop\n"
		"add rule ip6 %1$s enc ip6 nexthdr ipv6 @nh,%6$d,8 41 @nh,%7$d,8 41 @nh,%8$d,8 41 "
		"counter name looped drop\n",
		t, key, OFF_INNER_DST, n->host ? "out" : "pre", n->host ? "saddr" : "daddr",
		NH_AT(1), NH_AT(2), NH_AT(3), NH_AT(4),
		"ip6 daddr @locals", unb);
	if (rc < 0) {
		tunnel_nft_close(n);
		return -ENOMEM;
	}
	rc = run(n, cmd, 0);
	free(cmd);
	if (rc < 0) {
		nft_ctx_free(n->ctx);
		free(n);
		return rc;
	}
	*out = n;
	return 0;
}

void tunnel_nft_close(struct tunnel_nft *n)
{
	char cmd[64];

	if (!n)
		return;
	snprintf(cmd, sizeof cmd, "delete table ip6 %s", n->table);
	(void)run(n, cmd, 1);
	nft_ctx_free(n->ctx);
	free(n);
}

int tunnel_nft_guard(struct tunnel_nft *n, const struct in6_addr *prefix, uint8_t plen)
{
	struct in6_addr lo = *prefix, hi;
	char a[35], b[35], cmd[160];

	if (plen > 128)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		int bits = (int)plen - 8 * i;
		uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		lo.s6_addr[i] &= m;
		hi.s6_addr[i] = lo.s6_addr[i] | (uint8_t)~m;
	}
	hex128(&lo, a);
	hex128(&hi, b);
	snprintf(cmd, sizeof cmd, "add element ip6 %s guard { %s-%s }", n->table, a, b);
	return run(n, cmd, 0);
}

static void peer_elem(const struct tunnel_entry *e, char *out, size_t cap)
{
	char l[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN], k[35];

	hex128(&e->inner, k);
	snprintf(out, cap, "%s . %s . %s", inet_ntop(AF_INET6, &e->local, l, sizeof l),
		 inet_ntop(AF_INET6, &e->remote, r, sizeof r), k);
}

void tunnel_nft_unbind(struct tunnel_nft *n, const struct tunnel_entry *e, int drop_inner,
		       int drop_local)
{
	char el[200], cmd[320], a[INET6_ADDRSTRLEN];

	/* one command each: a failed delete must not undo the others */
	peer_elem(e, el, sizeof el);
	snprintf(cmd, sizeof cmd, "delete element ip6 %s peers { %s }", n->table, el);
	(void)run(n, cmd, 1);
	if (drop_inner) {
		snprintf(cmd, sizeof cmd, "delete element ip6 %s txk { %s }", n->table,
			 inet_ntop(AF_INET6, &e->inner, a, sizeof a));
		(void)run(n, cmd, 1);
	}
	if (drop_local) {
		snprintf(cmd, sizeof cmd, "delete element ip6 %s locals { %s }", n->table,
			 inet_ntop(AF_INET6, &e->local, a, sizeof a));
		(void)run(n, cmd, 1);
	}
}

int tunnel_nft_bind(struct tunnel_nft *n, const struct tunnel_entry *e)
{
	char el[200], cmd[640], l[INET6_ADDRSTRLEN], i[INET6_ADDRSTRLEN];

	peer_elem(e, el, sizeof el);
	snprintf(cmd, sizeof cmd,
		 "add element ip6 %1$s locals { %2$s }\n"
		 "add element ip6 %1$s peers { %3$s }\n"
		 "add element ip6 %1$s txk { %4$s }\n",
		 n->table, inet_ntop(AF_INET6, &e->local, l, sizeof l), el,
		 inet_ntop(AF_INET6, &e->inner, i, sizeof i));
	return run(n, cmd, 0);
}

/* A peers element's value {"concat": [local, remote, "0x<inner>"]}: 0 or -1 */
static int peer_of(json_t *val, struct in6_addr *local, struct in6_addr *remote,
		   struct in6_addr *inner)
{
	json_t *c = json_object_get(val, "concat");

	return json_array_size(c) == 3 &&
	       inet_pton(AF_INET6, json_string_value(json_array_get(c, 0)) ?: "", local) == 1 &&
	       inet_pton(AF_INET6, json_string_value(json_array_get(c, 1)) ?: "", remote) == 1 &&
	       unhex128(json_string_value(json_array_get(c, 2)), inner) == 0 ? 0 : -1;
}

static void take(uint64_t v, uint64_t *dst, uint64_t *last, uint64_t now)
{
	if (v > *dst)
		*last = now;
	*dst = v;
}

static void read_set(json_t *set, int peers, struct tunnel_table *tt, uint64_t now)
{
	json_t *elems = json_object_get(set, "elem"), *it;
	size_t i;

	json_array_foreach(elems, i, it) {
		json_t *el = json_object_get(it, "elem");
		json_t *val = json_object_get(el, "val"), *cnt = json_object_get(el, "counter");
		uint64_t pk = (uint64_t)json_integer_value(json_object_get(cnt, "packets"));
		uint64_t by = (uint64_t)json_integer_value(json_object_get(cnt, "bytes"));
		struct in6_addr inner, local, remote;
		struct tunnel_entry *e;

		if (peers) {
			if (peer_of(val, &local, &remote, &inner) < 0)
				continue;
			e = tunnel_table_find(tt, &inner);
			/* an element of the binding before a move is not this one */
			if (!e || memcmp(&e->local, &local, sizeof local) != 0 ||
			    memcmp(&e->remote, &remote, sizeof remote) != 0)
				continue;
			/* outer bytes counted: the inner packet is 40 bytes shorter */
			take(pk, &e->st.rx_packets, &e->st.last_rx_ms, now);
			e->st.rx_bytes = by > 40 * pk ? by - 40 * pk : 0;
		} else {
			if (inet_pton(AF_INET6, json_string_value(val) ?: "", &inner) != 1)
				continue;
			e = tunnel_table_find(tt, &inner);
			if (!e)
				continue;
			take(pk, &e->st.tx_packets, &e->st.last_tx_ms, now);
			e->st.tx_bytes = by;
		}
	}
}

/* The whole table (set NULL) or one set of it, as nft's JSON, or NULL */
static json_t *list_json(struct tunnel_nft *n, const char *set)
{
	char cmd[96];
	json_error_t jerr;
	int rc;

	nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_JSON);
	if (set)
		snprintf(cmd, sizeof cmd, "list set ip6 %s %s", n->table, set);
	else
		snprintf(cmd, sizeof cmd, "list table ip6 %s", n->table);
	rc = run(n, cmd, 1);
	nft_ctx_output_set_flags(n->ctx, 0);
	if (rc < 0)
		return NULL;
	return json_loads(nft_ctx_get_output_buffer(n->ctx), 0, &jerr);
}

int tunnel_nft_take_unbound(struct tunnel_nft *n, tunnel_unbound_fn fn, void *arg)
{
	json_t *root = list_json(n, "unbound"), *arr, *it;
	size_t i, k, found = 0;
	char cmd[96];

	if (!root)
		return -EIO;
	arr = json_object_get(root, "nftables");
	json_array_foreach(arr, i, it) {
		json_t *elems = json_object_get(json_object_get(it, "set"), "elem"), *el;

		json_array_foreach(elems, k, el) {
			/* {"elem": {"val": {"concat": [...]}, ...}} with a
			 * timeout, {"concat": [...]} without */
			json_t *in = json_object_get(el, "elem");
			json_t *c = json_object_get(in ? json_object_get(in, "val") : el, "concat");
			struct in6_addr inner, osrc;

			if (json_array_size(c) != 2 ||
			    unhex128(json_string_value(json_array_get(c, 0)), &inner) < 0 ||
			    inet_pton(AF_INET6, json_string_value(json_array_get(c, 1)) ?: "", &osrc) != 1)
				continue;
			fn(arg, &inner, &osrc);
			found++;
		}
	}
	json_decref(root);
	if (found) {
		snprintf(cmd, sizeof cmd, "flush set ip6 %s unbound", n->table);
		(void)run(n, cmd, 1);
	}
	return (int)found;
}

int tunnel_nft_read(struct tunnel_nft *n, struct tunnel_table *tt,
		    struct odm_tunnel_stats *total, uint64_t now)
{
	json_t *root = list_json(n, NULL), *arr, *it;
	size_t i;

	if (!root)
		return -EIO;
	arr = json_object_get(root, "nftables");
	json_array_foreach(arr, i, it) {
		json_t *set = json_object_get(it, "set"), *cnt = json_object_get(it, "counter");
		const char *name;

		if (set && (name = json_string_value(json_object_get(set, "name")))) {
			if (strcmp(name, "peers") == 0 || strcmp(name, "txk") == 0)
				read_set(set, name[0] == 'p', tt, now);
		} else if (cnt && (name = json_string_value(json_object_get(cnt, "name")))) {
			uint64_t pk = (uint64_t)json_integer_value(json_object_get(cnt, "packets"));

			if (strcmp(name, "dropped") == 0)
				total->dropped = pk;
			else if (strcmp(name, "looped") == 0)
				total->looped = pk;
		}
	}
	json_decref(root);
	return 0;
}

int tunnel_nft_found(struct tunnel_nft *n, void (*fn)(void *arg, const struct adopt_found *f),
		     void *arg)
{
	json_t *root = list_json(n, NULL), *arr, *it;
	size_t i, k;

	if (!root)
		return -EIO;
	arr = json_object_get(root, "nftables");
	json_array_foreach(arr, i, it) {
		json_t *set = json_object_get(it, "set"), *el;
		const char *name = json_string_value(json_object_get(set, "name"));
		int peers = name && strcmp(name, "peers") == 0;

		if (!name || (!peers && strcmp(name, "locals") != 0))
			continue;
		json_array_foreach(json_object_get(set, "elem"), k, el) {
			/* {"elem": {"val": ..., "counter": ...}} with a counter */
			json_t *in = json_object_get(el, "elem");
			json_t *val = in ? json_object_get(in, "val") : el;
			struct adopt_found f;

			memset(&f, 0, sizeof f);
			f.kind = peers ? ADOPT_ELEM : ADOPT_LOCAL;
			if (peers ? peer_of(val, &f.local, &f.remote, &f.inner) < 0
				  : inet_pton(AF_INET6, json_string_value(val) ?: "", &f.local) != 1)
				continue;
			fn(arg, &f);
		}
	}
	json_decref(root);
	return 0;
}
