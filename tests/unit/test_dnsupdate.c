/* SPDX-License-Identifier: MIT */
/*
 * test_dnsupdate.c — the signed DNS UPDATE and the judging of its answer
 * (odmagent/dnsupdate.c), and dnspub's retry schedule. The answers are made
 * here with ldns the way a server makes them (RFC 8945 §5.3: signed over the
 * request's MAC); the network suite (test_dnspub.sh) talks to BIND itself.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnspub.h"
#include "dnsupdate.h"

#define SECRET "3q2+796tvu/erb7v3q2+796tvu/erb7v3q2+796tvu8="
#define OTHER "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static struct tsig_key key = { "odm-test-key.", "hmac-sha256", SECRET };
static struct tsig_key other = { "odm-test-key.", "hmac-sha256", OTHER };

static struct in6_addr addr(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static void build(struct dnsupd_msg *m, uint16_t id)
{
	struct in6_addr a = addr("2001:db8:a1::10");

	cr_assert_eq(dnsupd_build(m, "example.test", "mn.example.test.", 60, &a, id, &key), 0);
}

/* The server's answer to m: rcode, signed with k (NULL: unsigned) over mac. */
static size_t answer(const struct dnsupd_msg *m, int rcode, const struct tsig_key *k,
		     const ldns_rdf *mac, uint16_t id, uint8_t out[512])
{
	ldns_pkt *p = NULL;
	uint8_t *w = NULL;
	size_t n = 0;

	cr_assert_eq(ldns_wire2pkt(&p, m->wire, m->len), LDNS_STATUS_OK);
	ldns_rr_free(ldns_pkt_tsig(p));
	ldns_pkt_set_tsig(p, NULL);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	/* an answer carries no update section */
	ldns_rr_list_deep_free(ldns_pkt_authority(p));
	ldns_pkt_set_authority(p, ldns_rr_list_new());
	ldns_pkt_set_nscount(p, 0);
	if (k)
		cr_assert_eq(ldns_pkt_tsig_sign(p, k->name, k->secret, 300, "hmac-sha256.", mac),
			     LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt2wire(&w, p, &n), LDNS_STATUS_OK);
	cr_assert_leq(n, 512);
	memcpy(out, w, n);
	free(w);
	ldns_pkt_free(p);
	return n;
}

Test(dnsupdate, the_update_replaces_the_aaaa_rrset_and_is_signed)
{
	struct dnsupd_msg m;
	ldns_pkt *p = NULL;
	ldns_rr_list *up;
	ldns_rr *del, *add;
	struct in6_addr want = addr("2001:db8:a1::10");
	char *s;

	build(&m, 0x1234);
	cr_assert_eq(ldns_wire2pkt(&p, m.wire, m.len), LDNS_STATUS_OK);
	cr_assert_eq(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	cr_assert_eq(ldns_pkt_id(p), 0x1234);
	s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0)));
	cr_assert_str_eq(s, "example.test.");
	free(s);
	cr_assert_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p), 0)), LDNS_RR_TYPE_SOA);
	up = ldns_pkt_authority(p);
	cr_assert_eq(ldns_rr_list_rr_count(up), 2);
	del = ldns_rr_list_rr(up, 0);
	add = ldns_rr_list_rr(up, 1);
	/* RFC 2136 §2.5.2: class ANY, TTL 0, no rdata deletes the RRset */
	cr_assert_eq(ldns_rr_get_class(del), LDNS_RR_CLASS_ANY);
	cr_assert_eq(ldns_rr_get_type(del), LDNS_RR_TYPE_AAAA);
	cr_assert_eq(ldns_rr_ttl(del), 0);
	cr_assert_eq(ldns_rr_rd_count(del), 0);
	cr_assert_eq(ldns_rr_get_class(add), LDNS_RR_CLASS_IN);
	cr_assert_eq(ldns_rr_ttl(add), 60);
	cr_assert_eq(memcmp(ldns_rdf_data(ldns_rr_rdf(add, 0)), &want, 16), 0);
	s = ldns_rdf2str(ldns_rr_owner(add));
	cr_assert_str_eq(s, "mn.example.test.");
	free(s);
	/* signed with the key: a server holding it accepts the request */
	cr_assert(ldns_pkt_tsig_verify(p, m.wire, m.len, key.name, key.secret, NULL));
	cr_assert_not(ldns_pkt_tsig_verify(p, m.wire, m.len, other.name, other.secret, NULL));
	ldns_pkt_free(p);
	dnsupd_msg_free(&m);
}

Test(dnsupdate, answers_are_judged_by_id_signature_and_rcode)
{
	struct dnsupd_msg m, old;
	uint8_t w[512];
	size_t n;
	int rc, te;

	build(&m, 77);
	n = answer(&m, LDNS_RCODE_NOERROR, &key, m.mac, 77, w);
	cr_assert_eq(dnsupd_check(&m, w, n, &key, &rc, &te), DNSUPD_DONE);
	cr_assert_eq(rc, 0);

	n = answer(&m, LDNS_RCODE_REFUSED, &key, m.mac, 77, w);
	cr_assert_eq(dnsupd_check(&m, w, n, &key, &rc, &te), DNSUPD_REFUSED);
	cr_assert_eq(rc, LDNS_RCODE_REFUSED);

	/* signed with another key, or under another key name or algorithm, or
	 * not at all: never taken as done */
	{
		struct tsig_key named = key;

		snprintf(named.name, sizeof(named.name), "other-key.");
		n = answer(&m, LDNS_RCODE_NOERROR, &named, m.mac, 77, w);
		cr_assert_eq(dnsupd_check(&m, w, n, &key, &rc, &te), DNSUPD_UNSIGNED);
	}
	n = answer(&m, LDNS_RCODE_NOERROR, &key, m.mac, 77, w);
	{
		/* the algorithm's name in the TSIG RR made unknown, wire only */
		uint8_t *alg = memmem(w, n, "hmac-sha256", 11);

		cr_assert_not_null(alg);
		alg[10] = '5';
		cr_assert_eq(dnsupd_check(&m, w, n, &key, &rc, &te), DNSUPD_UNSIGNED);
	}
	n = answer(&m, LDNS_RCODE_NOERROR, &other, m.mac, 77, w);
	cr_assert_eq(dnsupd_check(&m, w, n, &key, &rc, &te), DNSUPD_UNSIGNED);
	n = answer(&m, LDNS_RCODE_NOERROR, NULL, NULL, 77, w);
	cr_assert_eq(dnsupd_check(&m, w, n, &key, &rc, &te), DNSUPD_UNSIGNED);

	/* another id, or the signed answer to an earlier request replayed */
	n = answer(&m, LDNS_RCODE_NOERROR, &key, m.mac, 78, w);
	cr_assert_eq(dnsupd_check(&m, w, n, &key, &rc, &te), DNSUPD_NOT_OURS);
	{
		/* the same id, another address: another MAC */
		struct in6_addr a = addr("2001:db8:a2::10");

		cr_assert_eq(dnsupd_build(&old, "example.test", "mn.example.test.", 60, &a, 77,
					  &key), 0);
	}
	n = answer(&old, LDNS_RCODE_NOERROR, &key, old.mac, 77, w);
	dnsupd_msg_free(&old);
	cr_assert_eq(dnsupd_check(&m, w, n, &key, &rc, &te), DNSUPD_UNSIGNED,
		     "an answer signed over another request's MAC was accepted");

	/* our own request echoed back is no answer; nor is garbage */
	cr_assert_eq(dnsupd_check(&m, m.wire, m.len, &key, &rc, &te), DNSUPD_NOT_OURS);
	memset(w, 0xff, sizeof(w));
	cr_assert_eq(dnsupd_check(&m, w, sizeof(w), &key, &rc, &te), DNSUPD_NOT_OURS);
	cr_assert_eq(dnsupd_check(&m, w, 5, &key, &rc, &te), DNSUPD_NOT_OURS);
	dnsupd_msg_free(&m);
}

Test(dnsupdate, reasons_and_zones)
{
	char b[48], z[64];

	cr_assert_str_eq(dnsupd_reason(9, 16, b, sizeof(b)), "NOTAUTH/BADSIG");
	cr_assert_str_eq(dnsupd_reason(5, 0, b, sizeof(b)), "REFUSED");
	cr_assert_str_eq(dnsupd_reason(-1, 0, b, sizeof(b)), "no answer");
	cr_assert_eq(dnsupd_parent_zone("mn.example.test.", z, sizeof(z)), 0);
	cr_assert_str_eq(z, "example.test.");
	cr_assert_eq(dnsupd_parent_zone("mn.", z, sizeof(z)), -EINVAL);
	cr_assert_eq(dnsupd_parent_zone("mn", z, sizeof(z)), -EINVAL);
}

Test(dnsupdate, bad_names_are_refused)
{
	struct dnsupd_msg m;
	struct in6_addr a = addr("2001:db8::1");
	char longname[300];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_eq(dnsupd_build(&m, "example.test", longname, 60, &a, 1, &key), -EINVAL);
	cr_assert_null(m.wire);
}

Test(dnspub, retries_double_from_one_second_to_five_minutes_with_jitter)
{
	cr_assert_eq(dnspub_retry_ms(1, 0), 1000);
	cr_assert_eq(dnspub_retry_ms(2, 0), 2000);
	cr_assert_eq(dnspub_retry_ms(3, 0), 4000);
	cr_assert_eq(dnspub_retry_ms(1, 250), 1250);
	cr_assert_eq(dnspub_retry_ms(1, 251), 1000, "jitter beyond a quarter");
	cr_assert_eq(dnspub_retry_ms(9, 0), 256000);
	cr_assert_eq(dnspub_retry_ms(10, 0), 300000);
	cr_assert_eq(dnspub_retry_ms(1000, 0), 300000);
	cr_assert_leq(dnspub_retry_ms(1000, 0xffffffffu), 375000);
}
