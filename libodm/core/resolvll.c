/* SPDX-License-Identifier: MIT */
/* resolvll.c — link-local nameservers for a c-ares channel (see resolvll.h). */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolvll.h"

/* a scope as glibc takes it: an interface number, or a name; 0 if none */
static unsigned scope_index(const char *scope)
{
	char *end;
	unsigned long idx = strtoul(scope, &end, 10);

	if (*scope >= '0' && *scope <= '9' && *end == '\0')
		return idx <= 0xffffffffu ? (unsigned)idx : 0;
	return if_nametoindex(scope);
}

char *resolvll_read(const char *path, size_t *len)
{
	char *buf;
	FILE *f;

	*len = 0;
	f = fopen(path, "re");
	if (!f)
		return NULL;
	buf = malloc(RESOLVLL_READ_MAX);
	*len = buf ? fread(buf, 1, RESOLVLL_READ_MAX, f) : 0;
	fclose(f);
	return buf;
}

int resolvll_apply(struct resolvll *t, ares_channel c, const char *path)
{
	struct ares_addr_port_node nodes[RCNS_MAX];
	struct rcns ns[RCNS_MAX];
	size_t len, n, k = 0;
	int scoped = 0, left = 0;
	char *buf;

	t->n = 0;
	buf = resolvll_read(path, &len);
	n = buf ? rcns_parse(buf, len, ns, RCNS_MAX) : 0;
	free(buf);
	for (size_t i = 0; i < n; i++)
		scoped |= ns[i].scope[0] != '\0';
	if (!scoped)
		return 0; /* c-ares took them all */
	memset(nodes, 0, sizeof(nodes));
	for (size_t i = 0; i < n; i++) {
		struct ares_addr_port_node *a = &nodes[k];

		/* a scope on an address that is not link-local: glibc too
		 * connects to the address alone */
		if (ns[i].family == AF_INET6 && ns[i].scope[0] &&
		    IN6_IS_ADDR_LINKLOCAL(&ns[i].a6)) {
			unsigned ifx = scope_index(ns[i].scope);

			if (!ifx) {
				left++;
				continue;
			}
			t->e[t->n].addr = ns[i].a6;
			t->e[t->n++].ifindex = ifx;
		}
		a->family = ns[i].family;
		if (ns[i].family == AF_INET)
			a->addr.addr4 = ns[i].a4;
		else
			memcpy(&a->addr.addr6, &ns[i].a6, sizeof(ns[i].a6));
		if (k > 0)
			nodes[k - 1].next = a;
		k++;
	}
	if (k && ares_set_servers_ports(c, nodes) != ARES_SUCCESS) {
		t->n = 0;
		return -1;
	}
	return left;
}

int resolvll_scoped(const struct resolvll *t, const struct sockaddr *sa, size_t len,
		    struct sockaddr_in6 *out)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family != AF_INET6 || len < sizeof(*s6) || !IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) ||
	    s6->sin6_scope_id != 0)
		return 0;
	for (size_t i = 0; i < t->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&t->e[i].addr, &s6->sin6_addr)) {
			*out = *s6;
			out->sin6_scope_id = t->e[i].ifindex;
			return 1;
		}
	return 0;
}
