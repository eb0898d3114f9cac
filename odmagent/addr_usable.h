/* SPDX-License-Identifier: MIT */
/*
 * addr_usable.h — addresses just added to the host that applications may
 * not use yet. The kernel acknowledges RTM_NEWADDR before duplicate address
 * detection has run (even the skipped DAD of IFA_F_NODAD runs later, on a
 * workqueue, RFC 4862 §5.4): until then the address is tentative, has no
 * local route, and bind() to it fails with EADDRNOTAVAIL. The host role
 * keeps here who waits for which address and asks the kernel again on a
 * short timer; this part only decides, from the answers it is given and the
 * time passed in: no I/O, no clock.
 */
#ifndef ODM_ADDR_USABLE_H
#define ODM_ADDR_USABLE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_USABLE_POLL_MS 1    /* how often the host role asks the kernel */
#define ADDR_USABLE_BOUND_MS 500 /* then the wait fails: never a hang */

struct addr_wait {
	const void *key;      /* the waiting object (a lease); one entry per key */
	struct in6_addr addr;
	uint64_t since_ms;    /* when the address was added */
};

struct addr_waits {
	struct addr_wait *v;
	size_t n, cap;
};

enum addr_verdict {
	ADDR_WAIT,   /* not local yet, still within the bound: ask again later */
	ADDR_READY,  /* the kernel routes it as local: hand it out */
	ADDR_FAILED, /* not local within the bound: give up with an error */
};

void addr_waits_init(struct addr_waits *w);
void addr_waits_clear(struct addr_waits *w);

/* Start waiting for addr on behalf of key (again: restarts its wait).
 * 0 or -ENOMEM, -EINVAL. */
int addr_waits_add(struct addr_waits *w, const void *key, const struct in6_addr *addr,
		   uint64_t now_ms);
/* The entry of key, or NULL. */
const struct addr_wait *addr_waits_find(const struct addr_waits *w, const void *key);
/* Stop waiting for key; 1 if it was waiting, 0 if not. Keeps the order of
 * the others, so a caller walking the entries by index stays on course. */
int addr_waits_del(struct addr_waits *w, const void *key);

/*
 * What to do about e now, given local, the kernel's answer to "is e->addr
 * routed as local": 1 yes, 0 not yet, -errno the question failed (counted
 * as not yet: the bound still ends the wait).
 */
enum addr_verdict addr_wait_judge(const struct addr_wait *e, int local, uint64_t now_ms);

const char *addr_verdict_name(enum addr_verdict v);

#endif
