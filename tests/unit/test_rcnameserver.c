/* SPDX-License-Identifier: MIT */
/* test_rcnameserver.c — the nameserver lines of a resolv.conf
 * (libodm/core/rcnameserver.h). */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>

#include "rcnameserver.h"
#include "rcoptions.h"
#include "testaddr.h"

static size_t parse(const char *text, struct rcns *ns)
{
	return rcns_parse(text, strlen(text), ns, RCNS_MAX);
}

/* glibc's lines: addresses of both families, a scope by name or number,
 * comments, other keywords and the rest of a line passed over */
Test(rcnameserver, the_lines_glibc_reads)
{
	struct rcns ns[RCNS_MAX];
	size_t n = parse("# generated\n"
			 "search example.test\n"
			 "nameserver 192.0.2.53\n"
			 "nameserver\tfe80::1%eth1   # the router\n"
			 "nameserver 2001:db8::53\r\n"
			 "nameserver fe80::2%3\n"
			 "options edns0\n",
			 ns);

	cr_assert_eq(n, 4);
	cr_assert_eq(ns[0].family, AF_INET);
	cr_assert_eq(ns[0].a4.s_addr, htonl(0xc0000235));
	cr_assert_eq(ns[1].family, AF_INET6);
	assert_addr(&ns[1].a6, "fe80::1");
	cr_assert_str_eq(ns[1].scope, "eth1");
	assert_addr(&ns[2].a6, "2001:db8::53");
	cr_assert_str_eq(ns[2].scope, "");
	assert_addr(&ns[3].a6, "fe80::2");
	cr_assert_str_eq(ns[3].scope, "3");
}

/* what names no server is skipped; the list stops at max */
Test(rcnameserver, bad_lines_are_skipped_and_the_list_is_bounded)
{
	struct rcns ns[RCNS_MAX];
	char many[64 * 24] = "";
	size_t n = parse(" nameserver 192.0.2.1\n"       /* not at the line's start */
			 "nameservers 192.0.2.2\n"       /* another keyword */
			 "nameserver\n"                  /* no address */
			 "nameserver 192.0.2.300\n"      /* not an address */
			 "nameserver fe80::1%\n"         /* an empty scope */
			 "nameserver fe80::1%abcdefghijklmnop\n" /* longer than IF_NAMESIZE */
			 "nameserver 192.0.2.3",         /* no newline at the end */
			 ns);

	cr_assert_eq(n, 1);
	cr_assert_eq(ns[0].a4.s_addr, htonl(0xc0000203));
	for (int i = 0; i < 20; i++)
		strcat(many, "nameserver 192.0.2.9\n");
	cr_assert_eq(parse(many, ns), RCNS_MAX);
	cr_assert_eq(rcns_parse(many, strlen(many), ns, 2), 2);
}

static int use_vc(const char *text)
{
	return rcopt_use_vc(text, strlen(text));
}

/* "options use-vc" (rcoptions.h): on an options line, among others, as
 * glibc reads it; not a longer option, a comment, nor another keyword */
Test(rcnameserver, options_use_vc)
{
	cr_assert(use_vc("nameserver 192.0.2.1\noptions use-vc\n"));
	cr_assert(use_vc("options ndots:2\trotate  use-vc\r\n"));
	cr_assert(use_vc("search a.test\noptions rotate\noptions use-vc"));
	cr_assert(!use_vc("options use-vcs\n"));
	cr_assert(!use_vc("#options use-vc\n"));
	cr_assert(!use_vc("optionsuse-vc\n"));
	cr_assert(!use_vc("search use-vc\nnameserver 192.0.2.1\n"));
	cr_assert(!use_vc("options\n use-vc\n"));
	cr_assert(!use_vc(""));
	/* cut short: the bytes given only */
	cr_assert(!rcopt_use_vc("options use-vc", 13));
	cr_assert(rcopt_use_vc_in("rotate use-vc", 13));
	cr_assert(!rcopt_use_vc_in("use-vc", 5));
}
