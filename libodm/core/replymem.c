/* SPDX-License-Identifier: MIT */
/* replymem.c — where a wildcard UDP socket's answers go out from (see replymem.h). */
#include <string.h>

#include "replymem.h"

void replymem_init(struct replymem *m)
{
	memset(m, 0, sizeof(*m));
}

static struct replymem_peer *slot_of(struct replymem *m, const struct in6_addr *peer,
				     uint16_t port)
{
	for (unsigned int i = 0; i < REPLYMEM_PEERS; i++)
		if (m->p[i].used && m->p[i].port == port && IN6_ARE_ADDR_EQUAL(&m->p[i].peer, peer))
			return &m->p[i];
	return NULL;
}

void replymem_note(struct replymem *m, const struct in6_addr *peer, uint16_t port,
		   const struct in6_addr *local)
{
	struct replymem_peer *s = slot_of(m, peer, port);

	if (!s) {
		/* a free slot, else the least recently used */
		s = &m->p[0];
		for (unsigned int i = 0; i < REPLYMEM_PEERS && s->used; i++)
			if (!m->p[i].used || m->p[i].used < s->used)
				s = &m->p[i];
		if (!s->used)
			m->n++;
		s->peer = *peer;
		s->port = port;
	}
	s->local = *local;
	s->used = ++m->tick;
}

void replymem_forget(struct replymem *m, const struct in6_addr *peer, uint16_t port)
{
	struct replymem_peer *s = m->n ? slot_of(m, peer, port) : NULL;

	if (s) {
		memset(s, 0, sizeof(*s));
		m->n--;
	}
}

int replymem_find(struct replymem *m, const struct in6_addr *peer, uint16_t port,
		  struct in6_addr *local)
{
	struct replymem_peer *s = m->n ? slot_of(m, peer, port) : NULL;

	if (!s)
		return 0;
	s->used = ++m->tick;
	*local = s->local;
	return 1;
}

int replymem_known(const struct replymem *m, const struct in6_addr *addr, uint64_t now_ms,
		   int *answer_from)
{
	for (unsigned int i = 0; i < REPLYMEM_ADDRS; i++) {
		const struct replymem_addr *a = &m->a[i];

		if (a->at_ms && IN6_ARE_ADDR_EQUAL(&a->addr, addr)) {
			if (now_ms < a->at_ms || now_ms - a->at_ms >= REPLYMEM_VERDICT_MS)
				return 0;
			*answer_from = a->answer_from;
			return 1;
		}
	}
	return 0;
}

void replymem_learned(struct replymem *m, const struct in6_addr *addr, int answer_from,
		      uint64_t now_ms)
{
	struct replymem_addr *s = NULL;

	for (unsigned int i = 0; i < REPLYMEM_ADDRS && !s; i++)
		if (m->a[i].at_ms && IN6_ARE_ADDR_EQUAL(&m->a[i].addr, addr))
			s = &m->a[i];
	if (!s) {
		s = &m->a[0];
		for (unsigned int i = 1; i < REPLYMEM_ADDRS && s->at_ms; i++)
			if (!m->a[i].at_ms || m->a[i].at_ms < s->at_ms)
				s = &m->a[i];
	}
	s->addr = *addr;
	/* (0 means free: a clock at 0 is taken as 1) */
	s->at_ms = now_ms ? now_ms : 1;
	s->answer_from = answer_from;
}
