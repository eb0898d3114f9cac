/* lease.c — the mn role's lease table and its pure decisions (see lease.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"

void lease_table_init(struct lease_table *t, uint16_t first_id)
{
	memset(t, 0, sizeof(*t));
	/* lease_new() pre-increments, so the first id handed out is first_id */
	t->last_id = (uint16_t)(first_id - 1);
}

static void lease_destroy(struct lease *l)
{
	free(l->waiters);
	free(l);
}

void lease_table_clear(struct lease_table *t)
{
	struct lease *l, *next;

	for (l = t->head; l; l = next) {
		next = l->next;
		lease_destroy(l);
	}
	t->head = NULL;
	t->n = 0;
}

struct lease *lease_by_id(const struct lease_table *t, uint16_t id)
{
	for (struct lease *l = t->head; l; l = l->next)
		if (l->id == id)
			return l;
	return NULL;
}

struct lease *lease_by_addr(const struct lease_table *t, const struct in6_addr *addr)
{
	if (IN6_IS_ADDR_UNSPECIFIED(addr))
		return NULL;
	for (struct lease *l = t->head; l; l = l->next)
		if (IN6_ARE_ADDR_EQUAL(&l->addr, addr))
			return l;
	return NULL;
}

struct lease *lease_new(struct lease_table *t, int type, int proto,
			const struct in6_addr *anchor, const struct in6_addr *dst,
			uint64_t now_ms)
{
	struct lease *l;
	uint16_t id = t->last_id;
	unsigned tries;

	/* ids rise monotonically so a BID that just ended (its deregistration
	 * may still be in flight) is not handed out again for a long time */
	for (tries = 0; tries < 65536; tries++) {
		id++;
		if (id != 0 && !lease_by_id(t, id))
			break;
	}
	if (tries == 65536)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	t->last_id = id;
	l->id = id;
	l->type = type;
	l->proto = proto;
	l->state = LEASE_REGISTERING;
	l->anchor = *anchor;
	if (dst)
		l->dst = *dst;
	l->created_ms = now_ms;
	l->handed_ms = now_ms;
	l->next = t->head;
	t->head = l;
	t->n++;
	return l;
}

void lease_free(struct lease_table *t, struct lease *l)
{
	for (struct lease **pp = &t->head; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			t->n--;
			break;
		}
	}
	lease_destroy(l);
}

struct lease *lease_find_reusable(const struct lease_table *t, int type, int proto,
				  const struct in6_addr *anchor, uid_t uid,
				  int include_registering)
{
	struct lease *pending = NULL;

	for (struct lease *l = t->head; l; l = l->next) {
		if (l->type != type || l->proto != proto || l->uid != uid ||
		    !IN6_ARE_ADDR_EQUAL(&l->anchor, anchor))
			continue;
		if (l->state == LEASE_REGISTERED)
			return l;
		if (l->state == LEASE_REGISTERING && !pending)
			pending = l;
	}
	return include_registering ? pending : NULL;
}

size_t lease_count_configured(const struct lease_table *t)
{
	size_t n = 0;

	for (struct lease *l = t->head; l; l = l->next)
		if (l->host_cfg)
			n++;
	return n;
}

size_t lease_count_uid(const struct lease_table *t, uid_t uid)
{
	size_t n = 0;

	for (struct lease *l = t->head; l; l = l->next)
		if (l->uid == uid)
			n++;
	return n;
}

int lease_add_waiter(struct lease *l, void *req)
{
	if (l->n_waiters == l->cap_waiters) {
		size_t cap = l->cap_waiters ? l->cap_waiters * 2 : 4;
		void **w = realloc(l->waiters, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		l->waiters = w;
		l->cap_waiters = cap;
	}
	l->waiters[l->n_waiters++] = req;
	return 0;
}

void **lease_take_waiters(struct lease *l, size_t *n)
{
	void **w = l->waiters;

	*n = l->n_waiters;
	l->waiters = NULL;
	l->n_waiters = l->cap_waiters = 0;
	return w;
}

enum lease_verdict lease_judge(const struct lease *l, const struct sockdiag_count *c,
			       uint64_t last_traffic_ms, uint64_t now_ms,
			       const struct lease_policy *p)
{
	uint64_t last;

	if (l->state != LEASE_REGISTERED)
		return LEASE_KEEP;
	if (now_ms < l->handed_ms + p->grace_ms)
		return LEASE_KEEP;
	if (c->tcp + c->udp == 0)
		return LEASE_END_UNUSED;
	/* A UDP socket never says it is done; silence on the tunnel does. A
	 * TCP socket on the address (not expected, leases are per protocol)
	 * would still hold it. */
	if (l->proto == IPPROTO_UDP && p->udp_inactivity_s && c->tcp == 0) {
		last = last_traffic_ms;
		if (l->registered_ms > last)
			last = l->registered_ms;
		if (l->handed_ms > last)
			last = l->handed_ms;
		if (now_ms >= last + (uint64_t)p->udp_inactivity_s * 1000)
			return LEASE_END_IDLE;
	}
	return LEASE_KEEP;
}

const char *lease_state_name(enum lease_state s)
{
	switch (s) {
	case LEASE_REGISTERING:
		return "registering";
	case LEASE_REGISTERED:
		return "registered";
	}
	return "unknown";
}

const char *lease_verdict_name(enum lease_verdict v)
{
	switch (v) {
	case LEASE_KEEP:
		return "in use";
	case LEASE_END_UNUSED:
		return "no sockets";
	case LEASE_END_IDLE:
		return "UDP idle";
	}
	return "unknown";
}
