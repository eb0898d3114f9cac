/* SPDX-License-Identifier: MIT */
/*
 * dnsupdate.h — the DNS UPDATE (RFC 2136) that publishes one name's AAAA
 * record, signed with TSIG (RFC 8945), built and checked with ldns. No I/O:
 * dnspub.c sends the bytes and hands the answer back here.
 *
 * The update replaces the name's whole AAAA RRset: "delete all AAAA of
 * NAME" then "add NAME TTL AAAA ADDR" (RFC 2136 §2.5.2 and §2.5.1), with no
 * prerequisite, so repeating it is harmless.
 */
#ifndef ODM_DNSUPDATE_H
#define ODM_DNSUPDATE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "tsigkey.h"

/* Where and what to publish (config: dns-server, dns-name, ...) */
struct dnsupd_cfg {
	struct in6_addr server;
	uint16_t port;
	char name[TSIGKEY_NAME_MAX + 2];  /* the host's own name */
	char zone[TSIGKEY_NAME_MAX + 2];  /* the zone it lives in */
	uint32_t ttl;
	struct tsig_key key;
};

struct dnsupd_msg {
	uint8_t *wire;        /* the signed message (malloc'd by ldns) */
	size_t len;
	uint16_t id;
	void *mac;            /* the request's MAC (ldns_rdf), to check the answer */
};

/*
 * Build the signed update of fqdn in zone to addr. The TSIG time is the
 * wall clock (ldns reads it). 0, -EINVAL (a name is not a DNS name), -ENOMEM.
 */
int dnsupd_build(struct dnsupd_msg *m, const char *zone, const char *fqdn, uint32_t ttl,
		 const struct in6_addr *addr, uint16_t id, const struct tsig_key *k);
void dnsupd_msg_free(struct dnsupd_msg *m);

enum dnsupd_verdict {
	DNSUPD_DONE = 0,      /* signed NOERROR answer: the record is published */
	DNSUPD_REFUSED = 1,   /* signed answer with an error rcode */
	DNSUPD_UNSIGNED = 2,  /* an answer to us whose TSIG does not verify: the
			       * server rejected our key or time (BADKEY,
			       * BADSIG, BADTIME) or someone forged it; it only
			       * ever causes a retry */
	DNSUPD_NOT_OURS = 3,  /* not an answer to this message: ignore it */
};

/*
 * Judge an answer. *rcode gets the DNS rcode and *tsig_error the TSIG error
 * field (0 when absent) for the reasons in logs (dnsupd_reason()).
 */
enum dnsupd_verdict dnsupd_check(const struct dnsupd_msg *m, const uint8_t *wire, size_t len,
				 const struct tsig_key *k, int *rcode, int *tsig_error);

/* "NOERROR", "REFUSED", "NOTAUTH/BADSIG", … into buf. */
const char *dnsupd_reason(int rcode, int tsig_error, char *buf, size_t cap);

/*
 * The zone of fqdn when none is configured: fqdn without its first label.
 * 0 or -EINVAL (a single label).
 */
int dnsupd_parent_zone(const char *fqdn, char *zone, size_t cap);

#endif
