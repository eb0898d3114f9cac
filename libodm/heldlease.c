/* SPDX-License-Identifier: MIT */
/* heldlease.c — leases this process holds a socket on (see heldlease.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "heldlease.h"
#include "sigblock.h"

const struct heldlease_entry *heldlease_find(const struct heldlease *h, int type, int proto,
					     const struct in6_addr *anchor)
{
	for (size_t i = 0; i < HELDLEASE_MAX; i++) {
		const struct heldlease_entry *e = &h->e[i];

		if (e->sockets && e->type == type && e->proto == proto &&
		    IN6_ARE_ADDR_EQUAL(&e->anchor, anchor))
			return e;
	}
	return NULL;
}

static struct heldlease_entry *by_addr(struct heldlease *h, const struct in6_addr *addr)
{
	for (size_t i = 0; i < HELDLEASE_MAX; i++)
		if (h->e[i].sockets && IN6_ARE_ADDR_EQUAL(&h->e[i].addr, addr))
			return &h->e[i];
	return NULL;
}

int heldlease_add(struct heldlease *h, int type, int proto, const struct in6_addr *anchor,
		  const struct in6_addr *addr, const char *lease)
{
	struct heldlease_entry *e = by_addr(h, addr), *free_slot = NULL;

	if (e) {
		/* the agent hands one address to one (type, proto, anchor) only */
		if (e->type != type || e->proto != proto || !IN6_ARE_ADDR_EQUAL(&e->anchor, anchor))
			return -EINVAL;
		e->sockets++;
		return 0;
	}
	for (size_t i = 0; i < HELDLEASE_MAX && !free_slot; i++)
		if (!h->e[i].sockets)
			free_slot = &h->e[i];
	if (!free_slot)
		return -ENOSPC;
	free_slot->anchor = *anchor;
	free_slot->addr = *addr;
	free_slot->type = type;
	free_slot->proto = proto;
	free_slot->sockets = 1;
	snprintf(free_slot->lease, sizeof(free_slot->lease), "%s", lease ? lease : "");
	return 0;
}

unsigned heldlease_drop(struct heldlease *h, const struct in6_addr *addr)
{
	struct heldlease_entry *e = by_addr(h, addr);

	if (!e)
		return 0;
	return --e->sockets;
}

void heldlease_forget(struct heldlease *h, const struct in6_addr *addr)
{
	struct heldlease_entry *e = by_addr(h, addr);

	if (e)
		e->sockets = 0;
}

unsigned heldlease_count(const struct heldlease *h, const struct in6_addr *addr)
{
	for (size_t i = 0; i < HELDLEASE_MAX; i++)
		if (h->e[i].sockets && IN6_ARE_ADDR_EQUAL(&h->e[i].addr, addr))
			return h->e[i].sockets;
	return 0;
}

/* ---- the process's table ---- */

static pthread_mutex_t hl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct heldlease hl;
/* the effective ids the leases were granted to: a process that changed
 * them (a daemon dropping root) asks the agent again, as it is now */
static uid_t hl_euid;
static gid_t hl_egid;

int heldlease_lookup(int type, int proto, const struct in6_addr *anchor, struct in6_addr *addr,
		     char *lease, size_t lease_len)
{
	sigset_t old;
	const struct heldlease_entry *e;
	int found = 0;

	sigblock_lock(&hl_lock, &old);
	e = hl_euid == geteuid() && hl_egid == getegid() ? heldlease_find(&hl, type, proto, anchor)
							  : NULL;
	if (e) {
		*addr = e->addr;
		if (lease && lease_len)
			snprintf(lease, lease_len, "%s", e->lease);
		found = 1;
	}
	sigblock_unlock(&hl_lock, &old);
	return found;
}

int heldlease_note(int type, int proto, const struct in6_addr *anchor,
		   const struct in6_addr *addr, const char *lease)
{
	sigset_t old;
	int r;

	sigblock_lock(&hl_lock, &old);
	if (hl_euid != geteuid() || hl_egid != getegid()) {
		/* granted to other ids: none of them is to be shared any more */
		memset(&hl, 0, sizeof(hl));
		hl_euid = geteuid();
		hl_egid = getegid();
	}
	r = heldlease_add(&hl, type, proto, anchor, addr, lease);
	sigblock_unlock(&hl_lock, &old);
	return r;
}

/* The sockets counted on addr, with drop after one of them went */
static unsigned sockets_on(const struct in6_addr *addr, int drop)
{
	sigset_t old;
	unsigned n;

	sigblock_lock(&hl_lock, &old);
	n = drop ? heldlease_drop(&hl, addr) : heldlease_count(&hl, addr);
	sigblock_unlock(&hl_lock, &old);
	return n;
}

unsigned heldlease_release(const struct in6_addr *addr)
{
	return sockets_on(addr, 1);
}

unsigned heldlease_held(const struct in6_addr *addr)
{
	return sockets_on(addr, 0);
}

void heldlease_invalidate(const struct in6_addr *addr)
{
	sigset_t old;
	sigblock_lock(&hl_lock, &old);
	heldlease_forget(&hl, addr);
	sigblock_unlock(&hl_lock, &old);
}

void heldlease_atfork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	hl_lock = fresh;
}
