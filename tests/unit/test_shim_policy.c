/* SPDX-License-Identifier: MIT */
/*
 * test_shim_policy.c — shim_policy.c: ODM_TYPE parsing, the fallback to the
 * agent's default type, which destinations are worth a lease and which
 * getaddrinfo() names get a cha.<host> lookup.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "odm.h"
#include "shim_policy.h"

Test(shim_policy, parse_type_names)
{
	cr_assert_eq(odm_type_parse("session-lasting"), ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(odm_type_parse("SESSION_LASTING"), ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(odm_type_parse("Session-Lasting"), ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(odm_type_parse("fixed"), ODM_TYPE_FIXED);
	cr_assert_eq(odm_type_parse("non-persistent"), ODM_TYPE_NON_PERSISTENT);
	cr_assert_eq(odm_type_parse("graceful-replacement"),
		     ODM_TYPE_GRACEFUL_REPLACEMENT);
	cr_assert_eq(odm_type_parse("2"), ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(odm_type_parse("4"), ODM_TYPE_GRACEFUL_REPLACEMENT);
}

Test(shim_policy, parse_type_rejects)
{
	cr_assert_eq(odm_type_parse(NULL), -1);
	cr_assert_eq(odm_type_parse(""), -1);
	cr_assert_eq(odm_type_parse("none"), -1, "none is no type to ask for");
	cr_assert_eq(odm_type_parse("0"), -1);
	cr_assert_eq(odm_type_parse("5"), -1);
	cr_assert_eq(odm_type_parse("22"), -1);
	cr_assert_eq(odm_type_parse("session lasting"), -1);
	cr_assert_eq(odm_type_parse("session-lasting-and-then-some-more-text"), -1);
}

Test(shim_policy, env_wins_then_agent_default)
{
	int bad = -1;

	cr_assert_eq(shim_policy_type("session-lasting", ODM_TYPE_NON_PERSISTENT, &bad),
		     ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(bad, 0);
	cr_assert_eq(shim_policy_type(NULL, ODM_TYPE_FIXED, &bad), ODM_TYPE_FIXED);
	cr_assert_eq(bad, 0);
	cr_assert_eq(shim_policy_type("", ODM_TYPE_FIXED, &bad), ODM_TYPE_FIXED);
	cr_assert_eq(bad, 0, "empty ODM_TYPE counts as unset");
	cr_assert_eq(shim_policy_type("bogus", ODM_TYPE_NON_PERSISTENT, &bad),
		     ODM_TYPE_NON_PERSISTENT);
	cr_assert_eq(bad, 1);
	cr_assert_eq(shim_policy_type(NULL, -1, NULL), ODM_TYPE_NONE, "agent unknown: plain");
	cr_assert_eq(shim_policy_type(NULL, 9, NULL), ODM_TYPE_NONE);
	cr_assert_eq(shim_policy_type("bogus", ODM_TYPE_NONE, &bad), ODM_TYPE_NONE);
}

Test(shim_policy, session_lasting_and_graceful_ask_for_leases)
{
	cr_assert(shim_policy_wants_lease(ODM_TYPE_SESSION_LASTING));
	cr_assert(shim_policy_wants_lease(ODM_TYPE_GRACEFUL_REPLACEMENT));
	cr_assert_not(shim_policy_wants_lease(ODM_TYPE_FIXED));
	cr_assert_not(shim_policy_wants_lease(ODM_TYPE_NON_PERSISTENT));
	cr_assert_not(shim_policy_wants_lease(ODM_TYPE_NONE));
}

Test(shim_policy, only_session_lasting_wants_cha)
{
	cr_assert(shim_policy_wants_cha(ODM_TYPE_SESSION_LASTING));
	cr_assert_not(shim_policy_wants_cha(ODM_TYPE_FIXED));
	cr_assert_not(shim_policy_wants_cha(ODM_TYPE_NON_PERSISTENT));
	cr_assert_not(shim_policy_wants_cha(ODM_TYPE_GRACEFUL_REPLACEMENT));
	cr_assert_not(shim_policy_wants_cha(ODM_TYPE_NONE));
}

static int elig6(const char *a)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(80) };

	cr_assert_eq(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return shim_policy_dst_eligible((struct sockaddr *)&s, sizeof(s));
}

Test(shim_policy, destinations)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

	cr_assert(elig6("2001:db8:c0::10"));
	cr_assert(elig6("2001:db8::1"));
	cr_assert_not(elig6("::1"));
	cr_assert_not(elig6("::"));
	cr_assert_not(elig6("fe80::1"));
	cr_assert_not(elig6("ff02::1"));
	cr_assert_not(elig6("::ffff:192.0.2.1"));
	cr_assert_not(shim_policy_dst_eligible((struct sockaddr *)&s4, sizeof(s4)));
	cr_assert_not(shim_policy_dst_eligible(NULL, 0));
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr), 1);
	cr_assert(shim_policy_dst_eligible((struct sockaddr *)&s6, sizeof(s6) - 4),
		  "RFC 2133's sockaddr_in6, without the scope id");
	cr_assert_not(shim_policy_dst_eligible((struct sockaddr *)&s6, sizeof(s6) - 5),
		      "short sockaddr");
}

/* a cha.<host> answer of "a,b,..." picks this index */
static int cha_pick(const char *list)
{
	struct in6_addr a[8];
	char buf[256], *save = NULL;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t && n < 8; t = strtok_r(NULL, ",", &save))
		cr_assert_eq(inet_pton(AF_INET6, t, &a[n++]), 1, "%s", t);
	return shim_policy_cha_pick(a, n);
}

Test(shim_policy, cha_pick)
{
	cr_assert_eq(cha_pick("2001:db8:ca::10"), 0);
	cr_assert_eq(cha_pick("fd00::1"), 0, "a unique local anchor");
	cr_assert_eq(cha_pick("::1"), -1, "loopback");
	cr_assert_eq(cha_pick("::"), -1, "unspecified");
	cr_assert_eq(cha_pick("ff02::1"), -1, "multicast");
	cr_assert_eq(cha_pick("ff0e::1"), -1, "global multicast");
	cr_assert_eq(cha_pick("fe80::1"), -1, "link-local");
	cr_assert_eq(cha_pick("::ffff:198.18.20.10"), -1, "v4-mapped");
	cr_assert_eq(cha_pick("::198.18.20.10"), -1, "v4-compatible");
	cr_assert_eq(cha_pick("::1,ff02::1,2001:db8:ca::10"), 2, "the first that can be one");
	cr_assert_eq(cha_pick("2001:db8:ca::10,2001:db8:ca::11"), 0);
	cr_assert_eq(shim_policy_cha_pick(NULL, 0), -1, "no records");
}

/* shim_policy_dst_local of address a (24 bytes: RFC 2133's length too) */
static const char *local6(const char *a, socklen_t len)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6 };

	cr_assert_eq(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
	return shim_policy_dst_local((struct sockaddr *)&s, len);
}

Test(shim_policy, local_destinations)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	const socklen_t l = sizeof(struct sockaddr_in6);

	cr_assert_str_eq(local6("::1", l), "loopback");
	cr_assert_str_eq(local6("::", l), "unspecified");
	cr_assert_str_eq(local6("fe80::1", l), "link-local");
	cr_assert_str_eq(local6("ff02::fb", l), "multicast");
	cr_assert_str_eq(local6("ff0e::1", l), "multicast");
	cr_assert_str_eq(local6("::198.18.20.10", l), "IPv4-compatible");
	cr_assert_str_eq(local6("::1", 24), "loopback", "RFC 2133's sockaddr_in6");
	cr_assert_null(local6("::1", 23), "short sockaddr");
	cr_assert_null(local6("2001:db8::1", l), "eligible");
	cr_assert_null(local6("fd00::1", l), "unique local: eligible");
	cr_assert_null(local6("::ffff:192.0.2.1", l), "IPv4-mapped: said as IPv4");
	cr_assert_null(shim_policy_dst_local((struct sockaddr *)&s4, sizeof(s4)));
	cr_assert_null(shim_policy_dst_local(NULL, 0));
}

Test(shim_policy, ipv4_destinations)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

	cr_assert(shim_policy_dst_ipv4((struct sockaddr *)&s4, sizeof(s4)));
	cr_assert_not(shim_policy_dst_ipv4((struct sockaddr *)&s4, sizeof(s4) - 1), "short");
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &s6.sin6_addr);
	cr_assert(shim_policy_dst_ipv4((struct sockaddr *)&s6, sizeof(s6)), "v4-mapped");
	cr_assert_not(shim_policy_dst_ipv4((struct sockaddr *)&s6, sizeof(s6) - 5), "short");
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	cr_assert_not(shim_policy_dst_ipv4((struct sockaddr *)&s6, sizeof(s6)));
	cr_assert_not(shim_policy_dst_ipv4(NULL, 0));
}

Test(shim_policy, bind_chooses_nothing)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr *sa = (struct sockaddr *)&s6;

	cr_assert(shim_policy_bind_chooses_nothing(sa, sizeof(s6)), "[::]:0");
	cr_assert(shim_policy_bind_chooses_nothing(sa, sizeof(s6) - 4), "RFC 2133's length");
	cr_assert_not(shim_policy_bind_chooses_nothing(sa, sizeof(s6) - 5), "short");
	s6.sin6_port = htons(5353);
	cr_assert_not(shim_policy_bind_chooses_nothing(sa, sizeof(s6)), "a port is a choice");
	s6.sin6_port = 0;
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	cr_assert_not(shim_policy_bind_chooses_nothing(sa, sizeof(s6)), "an address is one");
	cr_assert_not(shim_policy_bind_chooses_nothing((struct sockaddr *)&s4, sizeof(s4)),
		      "IPv4: never leased, left as it is");
	cr_assert_not(shim_policy_bind_chooses_nothing(NULL, 0));
}

Test(shim_policy, names)
{
	struct addrinfo numeric = { .ai_flags = AI_NUMERICHOST };
	struct addrinfo v4only = { .ai_family = AF_INET };
	struct addrinfo v6 = { .ai_family = AF_INET6 };
	char longname[300];

	cr_assert(shim_policy_name_eligible("cn.example.test", NULL));
	cr_assert(shim_policy_name_eligible("cn", NULL), "short names use the search domains");
	cr_assert(shim_policy_name_eligible("cn.example.test.", &v6));
	cr_assert_not(shim_policy_name_eligible(NULL, NULL));
	cr_assert_not(shim_policy_name_eligible("", NULL));
	cr_assert_not(shim_policy_name_eligible("localhost", NULL));
	cr_assert_not(shim_policy_name_eligible("LocalHost.", NULL));
	cr_assert_not(shim_policy_name_eligible("foo.localhost", NULL));
	cr_assert(shim_policy_name_eligible("notlocalhost", NULL));
	cr_assert_not(shim_policy_name_eligible("192.0.2.1", NULL));
	cr_assert_not(shim_policy_name_eligible("127.1", NULL), "inet_aton form");
	cr_assert_not(shim_policy_name_eligible("2001:db8::1", NULL));
	cr_assert_not(shim_policy_name_eligible("fe80::1%lo", NULL));
	/* the same answers whether or not a name's letters spare it the parsers */
	cr_assert_not(shim_policy_name_eligible("0x7f000001", NULL), "inet_aton hex form");
	cr_assert_not(shim_policy_name_eligible("192.0.2.1 trailing", NULL),
		      "inet_aton ignores what follows a space");
	cr_assert_not(shim_policy_name_eligible("cn.example.test:80", NULL), "a colon");
	cr_assert(shim_policy_name_eligible("deadbeef", NULL), "hex digits, no number");
	cr_assert(shim_policy_name_eligible("cafe.example.test", NULL));
	cr_assert_not(shim_policy_name_eligible("cn.example.test", &numeric));
	cr_assert_not(shim_policy_name_eligible("cn.example.test", &v4only));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_not(shim_policy_name_eligible(longname, NULL));
	/* cha. and a name of 249 octets are a DNS name of 253, the most
	 * (RFC 1035 §2.3.4); the root's dot of a rooted one is not counted */
	for (size_t i = 0; i < 249; i++)
		longname[i] = i % 50 == 49 ? '.' : 'a';
	longname[249] = '\0';
	cr_assert(shim_policy_name_eligible(longname, NULL), "249 octets");
	longname[249] = '.';
	longname[250] = '\0';
	cr_assert(shim_policy_name_eligible(longname, NULL), "249 octets and the root's dot");
	longname[249] = 'a';
	cr_assert_not(shim_policy_name_eligible(longname, NULL), "250 octets");
}
