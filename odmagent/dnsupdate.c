/* SPDX-License-Identifier: MIT */
/*
 * dnsupdate.c — signed DNS UPDATE of one AAAA RRset, with ldns (see
 * dnsupdate.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnsupdate.h"

#define TSIG_FUDGE 300 /* seconds of clock difference allowed (RFC 8945 §10) */

/* TSIG RR rdata fields, in ldns's order (RFC 8945 §4.2) */
enum { TSIG_F_ALG = 0, TSIG_F_TIME = 1, TSIG_F_FUDGE = 2, TSIG_F_MAC = 3, TSIG_F_ID = 4,
       TSIG_F_ERROR = 5 };

static ldns_rdf *dname(const char *s)
{
	char buf[TSIGKEY_NAME_MAX + 2];
	size_t n = strlen(s);

	if (n == 0 || n > TSIGKEY_NAME_MAX)
		return NULL;
	/* ldns takes a name without the final dot as relative: make it absolute */
	snprintf(buf, sizeof(buf), "%s%s", s, s[n - 1] == '.' ? "" : ".");
	return ldns_dname_new_frm_str(buf);
}

static ldns_rr *aaaa_rr(const char *fqdn, uint32_t ttl, ldns_rr_class c,
			const struct in6_addr *addr)
{
	ldns_rr *rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_AAAA);
	ldns_rdf *owner = dname(fqdn);

	if (!rr || !owner)
		goto fail;
	ldns_rr_set_owner(rr, owner);
	owner = NULL;
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, c);
	if (addr) {
		ldns_rdf *a = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, addr);

		if (!a)
			goto fail;
		ldns_rr_set_rdf(rr, a, 0);
	} else {
		/* "delete an RRset": class ANY, TTL 0, no rdata (RFC 2136 §2.5.2) */
		ldns_rr_set_rd_count(rr, 0);
	}
	return rr;
fail:
	ldns_rdf_deep_free(owner);
	ldns_rr_free(rr);
	return NULL;
}

int dnsupd_build(struct dnsupd_msg *m, const char *zone, const char *fqdn, uint32_t ttl,
		 const struct in6_addr *addr, uint16_t id, const struct tsig_key *k)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rdf *zrdf = dname(zone);
	ldns_rr *del = aaaa_rr(fqdn, 0, LDNS_RR_CLASS_ANY, NULL);
	ldns_rr *add = aaaa_rr(fqdn, ttl, LDNS_RR_CLASS_IN, addr);
	ldns_pkt *p = NULL;
	ldns_rr *tsig;
	char alg[sizeof(k->alg) + 1];
	int rc = -ENOMEM;

	memset(m, 0, sizeof(*m));
	if (!zrdf || !del || !add) {
		rc = -EINVAL; /* dname() refuses what is not a DNS name */
		goto out;
	}
	if (!up || !ldns_rr_list_push_rr(up, del))
		goto out;
	del = NULL;
	if (!ldns_rr_list_push_rr(up, add))
		goto out;
	add = NULL;
	p = ldns_update_pkt_new(zrdf, LDNS_RR_CLASS_IN, NULL, up, NULL);
	if (!p)
		goto out;
	zrdf = NULL; /* the packet owns it */
	ldns_pkt_set_id(p, id);
	snprintf(alg, sizeof(alg), "%s.", k->alg);
	if (ldns_pkt_tsig_sign(p, k->name, k->secret, TSIG_FUDGE, alg, NULL) != LDNS_STATUS_OK) {
		rc = -EINVAL;
		goto out;
	}
	tsig = ldns_pkt_tsig(p);
	if (!tsig || ldns_rr_rd_count(tsig) <= TSIG_F_MAC)
		goto out;
	m->mac = ldns_rdf_clone(ldns_rr_rdf(tsig, TSIG_F_MAC));
	if (!m->mac || ldns_pkt2wire(&m->wire, p, &m->len) != LDNS_STATUS_OK) {
		dnsupd_msg_free(m);
		goto out;
	}
	m->id = id;
	rc = 0;
out:
	ldns_pkt_free(p);
	ldns_rdf_deep_free(zrdf);
	ldns_rr_free(del);
	ldns_rr_free(add);
	ldns_rr_list_deep_free(up);
	return rc;
}

void dnsupd_msg_free(struct dnsupd_msg *m)
{
	free(m->wire);
	ldns_rdf_deep_free(m->mac);
	memset(m, 0, sizeof(*m));
}

/* The TSIG RR names our key and our algorithm. */
static int tsig_is_ours(const ldns_rr *tsig, const struct tsig_key *k)
{
	char alg[sizeof(k->alg) + 1];
	ldns_rdf *want_alg, *want_name;
	int ok;

	if (ldns_rr_rd_count(tsig) <= TSIG_F_ERROR || !ldns_rr_rdf(tsig, TSIG_F_ALG) ||
	    !ldns_rr_owner(tsig))
		return 0;
	snprintf(alg, sizeof(alg), "%s.", k->alg);
	want_alg = ldns_dname_new_frm_str(alg);
	want_name = ldns_dname_new_frm_str(k->name);
	ok = want_alg && want_name &&
	     ldns_dname_compare(ldns_rr_rdf(tsig, TSIG_F_ALG), want_alg) == 0 &&
	     ldns_dname_compare(ldns_rr_owner(tsig), want_name) == 0;
	ldns_rdf_deep_free(want_alg);
	ldns_rdf_deep_free(want_name);
	return ok;
}

/* The end of the name at wire[off] (labels, or a pointer that ends it),
 * or 0 if it runs past len (RFC 1035 §4.1.4) */
static size_t skip_name(const uint8_t *wire, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = wire[off];

		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		off += 1 + (size_t)l;
		if (l == 0)
			return off;
	}
	return 0;
}

/*
 * The TSIG records of a DNS message, or -1 if its records do not walk as
 * its header counts them. ldns leaks records of a message it fails to
 * read part-way, and keeps one TSIG per packet, losing any earlier one:
 * neither kind is given to it (RFC 8945 §5.1: one TSIG, the last record).
 */
static int tsig_records(const uint8_t *wire, size_t len)
{
	size_t off = 12, qd, rrs;
	int n = 0;

	if (len < 12)
		return -1;
	qd = (size_t)wire[4] << 8 | wire[5];
	rrs = ((size_t)wire[6] << 8 | wire[7]) + ((size_t)wire[8] << 8 | wire[9]) +
	      ((size_t)wire[10] << 8 | wire[11]);
	for (size_t i = 0; i < qd; i++) {
		off = skip_name(wire, len, off);
		if (!off || off + 4 > len)
			return -1;
		off += 4;
	}
	for (size_t i = 0; i < rrs; i++) {
		off = skip_name(wire, len, off);
		if (!off || off + 10 > len)
			return -1;
		n += ((unsigned)wire[off] << 8 | wire[off + 1]) == LDNS_RR_TYPE_TSIG;
		off += 10 + ((size_t)wire[off + 8] << 8 | wire[off + 9]);
		if (off > len)
			return -1;
	}
	return n;
}

enum dnsupd_verdict dnsupd_check(const struct dnsupd_msg *m, const uint8_t *wire, size_t len,
				 const struct tsig_key *k, int *rcode, int *tsig_error)
{
	ldns_pkt *p = NULL;
	ldns_rr *tsig;
	enum dnsupd_verdict v;
	int n;

	*rcode = -1;
	*tsig_error = 0;
	if (!m->wire || len < 12 || len > 65535)
		return DNSUPD_NOT_OURS;
	n = tsig_records(wire, len);
	if (n < 0 || n > 1 || ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK)
		return DNSUPD_NOT_OURS;
	if (!ldns_pkt_qr(p) || ldns_pkt_id(p) != m->id ||
	    ldns_pkt_get_opcode(p) != LDNS_PACKET_UPDATE) {
		ldns_pkt_free(p);
		return DNSUPD_NOT_OURS;
	}
	*rcode = (int)ldns_pkt_get_rcode(p);
	tsig = ldns_pkt_tsig(p);
	if (tsig && ldns_rr_rd_count(tsig) > TSIG_F_ERROR && ldns_rr_rdf(tsig, TSIG_F_ERROR))
		*tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, TSIG_F_ERROR));
	/* the answer must be signed with our key over our MAC (RFC 8945 §5.3);
	 * one naming another key or algorithm is not verified at all (ldns
	 * leaks memory verifying an unknown algorithm) */
	if (!tsig || !tsig_is_ours(tsig, k) ||
	    !ldns_pkt_tsig_verify(p, wire, len, k->name, k->secret, m->mac))
		v = DNSUPD_UNSIGNED;
	else
		v = *rcode == LDNS_RCODE_NOERROR && *tsig_error == 0 ? DNSUPD_DONE : DNSUPD_REFUSED;
	/* ldns takes the TSIG record off the packet while it verifies and does
	 * not put it back when it cannot compute a MAC (an algorithm it does
	 * not know): then it is ours to free */
	if (tsig && ldns_pkt_tsig(p) != tsig)
		ldns_rr_free(tsig);
	ldns_pkt_free(p);
	return v;
}

const char *dnsupd_reason(int rcode, int tsig_error, char *buf, size_t cap)
{
	static const char *const tsig_err[] = { [16] = "BADSIG", [17] = "BADKEY",
						[18] = "BADTIME", [22] = "BADTRUNC" };
	const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);
	const char *rc = lt ? lt->name : NULL;
	const char *te = tsig_error > 0 && tsig_error < (int)(sizeof(tsig_err) / sizeof(tsig_err[0]))
				 ? tsig_err[tsig_error] : NULL;

	if (rcode < 0)
		snprintf(buf, cap, "no answer");
	else if (tsig_error)
		snprintf(buf, cap, "%s/%s", rc ? rc : "RCODE", te ? te : "TSIG error");
	else if (rc)
		snprintf(buf, cap, "%s", rc);
	else
		snprintf(buf, cap, "rcode %d", rcode);
	if (tsig_error && !te) {
		size_t n = strlen(buf);

		snprintf(buf + n, cap - n, " %d", tsig_error);
	}
	return buf;
}

int dnsupd_parent_zone(const char *fqdn, char *zone, size_t cap)
{
	const char *dot = strchr(fqdn, '.');

	if (!dot || !dot[1] || strcmp(dot, ".") == 0)
		return -EINVAL;
	if ((size_t)snprintf(zone, cap, "%s", dot + 1) >= cap)
		return -EINVAL;
	return 0;
}
