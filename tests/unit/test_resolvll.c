/* SPDX-License-Identifier: MIT */
/* test_resolvll.c — link-local nameservers for a c-ares channel
 * (libodm/core/resolvll.h), from resolv.conf files of the test's own. */
#include <ares.h>
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resolvll.h"
#include "testaddr.h"

static char path[32];

static ares_channel channel_for(const char *text)
{
	ares_channel c;
	int fd;

	snprintf(path, sizeof(path), "/tmp/odm-resolvll-XXXXXX");
	fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(ares_library_init(ARES_LIB_INIT_ALL), ARES_SUCCESS);
	cr_assert_eq(ares_init(&c), ARES_SUCCESS);
	return c;
}

/* the channel's servers, written one after the other, into out */
static void servers_of(ares_channel c, char *out, size_t max)
{
	struct ares_addr_port_node *s, *p;
	char b[INET6_ADDRSTRLEN];

	out[0] = '\0';
	cr_assert_eq(ares_get_servers_ports(c, &s), ARES_SUCCESS);
	for (p = s; p; p = p->next) {
		inet_ntop(p->family, &p->addr, b, sizeof(b));
		snprintf(out + strlen(out), max - strlen(out), "%s%s", out[0] ? " " : "", b);
	}
	ares_free_data(s);
}

/* A scoped line: the servers are the file's lines in their order; the
 * link-local one's scope (by name, by number) is kept for its connects */
Test(resolvll, the_servers_in_order_and_the_scope_kept)
{
	ares_channel c = channel_for("nameserver fe80::1%lo\nnameserver 192.0.2.1\n"
				     "nameserver fe80::2%1\n");
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 }, out;
	struct resolvll t;
	char s[256];

	cr_assert_eq(resolvll_apply(&t, c, path), 0);
	unlink(path);
	servers_of(c, s, sizeof(s));
	cr_assert_str_eq(s, "fe80::1 192.0.2.1 fe80::2");
	cr_assert_eq(t.n, 2);
	sa.sin6_addr = A("fe80::1");
	cr_assert_eq(resolvll_scoped(&t, (struct sockaddr *)&sa, sizeof(sa), &out), 1);
	cr_assert_eq(out.sin6_scope_id, if_nametoindex("lo"));
	sa.sin6_addr = A("fe80::2");
	cr_assert_eq(resolvll_scoped(&t, (struct sockaddr *)&sa, sizeof(sa), &out), 1);
	cr_assert_eq(out.sin6_scope_id, 1);
	sa.sin6_addr = A("fe80::3");
	cr_assert_eq(resolvll_scoped(&t, (struct sockaddr *)&sa, sizeof(sa), &out), 0,
		     "not a server of the file");
	ares_destroy(c);
}

/* No scoped line: the channel is c-ares's; a scope naming no interface:
 * its line left out, said so */
Test(resolvll, without_a_scope_nothing_changes_and_a_bad_one_is_left_out)
{
	ares_channel c = channel_for("nameserver 192.0.2.1\n");
	struct resolvll t;
	char before[256], after[256];

	servers_of(c, before, sizeof(before));
	cr_assert_eq(resolvll_apply(&t, c, path), 0);
	unlink(path);
	servers_of(c, after, sizeof(after));
	cr_assert_str_eq(after, before);
	cr_assert_eq(t.n, 0);
	ares_destroy(c);
	c = channel_for("nameserver fe80::1%odmnosuchif\nnameserver 192.0.2.7\n");
	cr_assert_eq(resolvll_apply(&t, c, path), 1);
	unlink(path);
	servers_of(c, after, sizeof(after));
	cr_assert_str_eq(after, "192.0.2.7");
	ares_destroy(c);
}
