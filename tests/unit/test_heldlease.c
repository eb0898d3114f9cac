/* SPDX-License-Identifier: MIT */
/* test_heldlease.c — the process's held leases: found, counted, forgotten. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "heldlease.h"
#include "odm.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

Test(heldlease, found_only_for_its_type_proto_and_anchor)
{
	static struct heldlease h;
	struct in6_addr cha = A("2001:db8:ca::10"), other = A("2001:db8:ca::11");
	struct in6_addr x = A("2001:db8:c4a::5");
	const struct heldlease_entry *e;

	cr_assert_null(heldlease_find(&h, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha));
	cr_assert_eq(heldlease_add(&h, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha, &x, "7"), 0);
	e = heldlease_find(&h, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &cha);
	cr_assert_not_null(e);
	cr_assert(IN6_ARE_ADDR_EQUAL(&e->addr, &x));
	cr_assert_str_eq(e->lease, "7");
	cr_assert_null(heldlease_find(&h, ODM_TYPE_SESSION_LASTING, IPPROTO_UDP, &cha));
	cr_assert_null(heldlease_find(&h, ODM_TYPE_FIXED, IPPROTO_TCP, &cha));
	cr_assert_null(heldlease_find(&h, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &other));
	/* the same address for another anchor is a contradiction, not a second use */
	cr_assert_eq(heldlease_add(&h, ODM_TYPE_SESSION_LASTING, IPPROTO_TCP, &other, &x, "7"),
		     -EINVAL);
}

Test(heldlease, last_socket_ends_the_entry)
{
	static struct heldlease h;
	struct in6_addr cha = A("2001:db8:ca::10"), x = A("2001:db8:c4a::5");

	for (int i = 0; i < 3; i++)
		cr_assert_eq(heldlease_add(&h, 2, IPPROTO_TCP, &cha, &x, "7"), 0);
	cr_assert_eq(heldlease_drop(&h, &x), 2);
	cr_assert_eq(heldlease_drop(&h, &x), 1);
	cr_assert_not_null(heldlease_find(&h, 2, IPPROTO_TCP, &cha), "one socket still holds it");
	cr_assert_eq(heldlease_drop(&h, &x), 0);
	cr_assert_null(heldlease_find(&h, 2, IPPROTO_TCP, &cha), "no socket holds it any more");
	cr_assert_eq(heldlease_drop(&h, &x), 0, "an unknown address has no sockets");
}

Test(heldlease, forget_and_full_table)
{
	static struct heldlease h;
	struct in6_addr cha = A("2001:db8:ca::10"), x = A("2001:db8:c4a::5");
	char buf[INET6_ADDRSTRLEN];

	cr_assert_eq(heldlease_add(&h, 2, IPPROTO_TCP, &cha, &x, "7"), 0);
	cr_assert_eq(heldlease_add(&h, 2, IPPROTO_TCP, &cha, &x, "7"), 0);
	heldlease_forget(&h, &x);
	cr_assert_null(heldlease_find(&h, 2, IPPROTO_TCP, &cha));
	for (int i = 0; i < HELDLEASE_MAX; i++) {
		struct in6_addr a, c;

		snprintf(buf, sizeof(buf), "2001:db8:c4a::%x", 0x100 + i);
		a = A(buf);
		snprintf(buf, sizeof(buf), "2001:db8:ca::%x", 0x100 + i);
		c = A(buf);
		cr_assert_eq(heldlease_add(&h, 2, IPPROTO_TCP, &c, &a, "9"), 0);
	}
	cr_assert_eq(heldlease_add(&h, 2, IPPROTO_TCP, &cha, &x, "7"), -ENOSPC);
}
