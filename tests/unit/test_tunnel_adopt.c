/* SPDX-License-Identifier: MIT */
/*
 * test_tunnel_adopt.c — the plan of a restarted anchor over the kernel
 * state an earlier run left (tunnel_adopt.h): kept, moved, stale and new
 * bindings, stale local endpoints, and a plan longer than its buffer.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "testaddr.h"
#include "tunnel_adopt.h"

#define ANCHOR "2001:db8:a::1"

static struct tunnel_table tt;

static void setup(void)
{
	cr_assert_eq(tunnel_table_init(&tt), 0);
}

static void teardown(void)
{
	tunnel_table_free(&tt);
}

/* a restored binding of inner to (ANCHOR, coa) */
static void restored(const char *inner, const char *coa)
{
	struct in6_addr i = A(inner);
	struct tunnel_entry *e = tunnel_table_add(&tt, &i);

	cr_assert_not_null(e);
	e->local = A(ANCHOR);
	e->remote = A(coa);
}

static struct adopt_found found(enum adopt_kind kind, const char *inner, const char *local,
				const char *remote)
{
	struct adopt_found f = { .kind = kind, .inner = A(inner), .local = A(local),
				 .remote = A(remote) };
	return f;
}

static void assert_action(const struct adopt_action *a, enum adopt_op op, enum adopt_kind kind,
			  const char *inner, const char *remote)
{
	cr_assert_eq(a->op, op, "op %d, want %d", a->op, op);
	cr_assert_eq(a->kind, kind, "kind %d, want %d", a->kind, kind);
	assert_addr(&a->inner, inner);
	assert_addr(&a->remote, remote);
}

TestSuite(tunnel_adopt, .init = setup, .fini = teardown);

Test(tunnel_adopt, unchanged_bindings_need_nothing)
{
	struct adopt_found f[] = {
		found(ADOPT_ROUTE, "2001:db8:f::1", ANCHOR, "2001:db8:1::10"),
		found(ADOPT_ELEM, "2001:db8:f::1", ANCHOR, "2001:db8:1::10"),
		found(ADOPT_LOCAL, "::", ANCHOR, "::"),
	};
	struct adopt_action out[4];

	restored("2001:db8:f::1", "2001:db8:1::10");
	cr_assert_eq(tunnel_adopt_plan(f, 3, &tt, out, 4), 0);
}

Test(tunnel_adopt, moved_stale_and_new)
{
	struct adopt_found f[] = {
		/* moved while the anchor was down: restored with another CoA */
		found(ADOPT_ROUTE, "2001:db8:f::1", ANCHOR, "2001:db8:1::10"),
		found(ADOPT_ELEM, "2001:db8:f::1", ANCHOR, "2001:db8:1::10"),
		/* not restored (removed from the state, or expired) */
		found(ADOPT_ROUTE, "2001:db8:f::2", ANCHOR, "2001:db8:1::20"),
		found(ADOPT_ELEM, "2001:db8:f::2", ANCHOR, "2001:db8:1::20"),
		/* kept */
		found(ADOPT_ELEM, "2001:db8:f::3", ANCHOR, "2001:db8:1::30"),
		found(ADOPT_ROUTE, "2001:db8:f::3", ANCHOR, "2001:db8:1::30"),
	};
	struct adopt_action out[8];

	restored("2001:db8:f::1", "2001:db8:2::10");
	restored("2001:db8:f::3", "2001:db8:1::30");
	restored("2001:db8:f::4", "2001:db8:1::40"); /* no kernel state yet */
	cr_assert_eq(tunnel_adopt_plan(f, 6, &tt, out, 8), 5);
	assert_action(&out[0], ADOPT_REPLACE, ADOPT_ROUTE, "2001:db8:f::1", "2001:db8:1::10");
	assert_action(&out[1], ADOPT_REPLACE, ADOPT_ELEM, "2001:db8:f::1", "2001:db8:1::10");
	assert_action(&out[2], ADOPT_DEL, ADOPT_ROUTE, "2001:db8:f::2", "2001:db8:1::20");
	assert_action(&out[3], ADOPT_DEL, ADOPT_ELEM, "2001:db8:f::2", "2001:db8:1::20");
	assert_action(&out[4], ADOPT_ADD, ADOPT_ROUTE, "2001:db8:f::4", "2001:db8:1::40");
	assert_addr(&out[4].local, ANCHOR);
}

Test(tunnel_adopt, a_local_endpoint_no_binding_uses_goes)
{
	struct adopt_found f[] = {
		found(ADOPT_LOCAL, "::", "2001:db8:a::99", "::"), /* the anchor's old address */
		found(ADOPT_LOCAL, "::", ANCHOR, "::"),
		found(ADOPT_ROUTE, "2001:db8:f::1", ANCHOR, "2001:db8:1::10"),
	};
	struct adopt_action out[3];

	restored("2001:db8:f::1", "2001:db8:1::10");
	cr_assert_eq(tunnel_adopt_plan(f, 3, &tt, out, 3), 1);
	cr_assert_eq(out[0].op, ADOPT_DEL);
	cr_assert_eq(out[0].kind, ADOPT_LOCAL);
	assert_addr(&out[0].local, "2001:db8:a::99");
}

Test(tunnel_adopt, nothing_restored_everything_goes)
{
	struct adopt_found f[] = {
		found(ADOPT_ROUTE, "2001:db8:f::1", ANCHOR, "2001:db8:1::10"),
		found(ADOPT_ELEM, "2001:db8:f::1", ANCHOR, "2001:db8:1::10"),
		found(ADOPT_LOCAL, "::", ANCHOR, "::"),
	};
	struct adopt_action out[3];

	cr_assert_eq(tunnel_adopt_plan(f, 3, &tt, out, 3), 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(out[i].op, ADOPT_DEL, "action %d", i);
}

Test(tunnel_adopt, counts_past_its_buffer_and_writes_no_further)
{
	struct adopt_found f[] = {
		found(ADOPT_ROUTE, "2001:db8:f::1", ANCHOR, "2001:db8:1::10"),
		found(ADOPT_ROUTE, "2001:db8:f::2", ANCHOR, "2001:db8:1::20"),
		found(ADOPT_ROUTE, "2001:db8:f::3", ANCHOR, "2001:db8:1::30"),
	};
	struct adopt_action out[3];

	memset(out, 0xa5, sizeof out);
	cr_assert_eq(tunnel_adopt_plan(f, 3, &tt, out, 1), 3);
	cr_assert_eq(tunnel_adopt_plan(f, 3, &tt, NULL, 0), 3);
	assert_action(&out[0], ADOPT_DEL, ADOPT_ROUTE, "2001:db8:f::1", "2001:db8:1::10");
	for (size_t i = sizeof out[0]; i < sizeof out; i++)
		cr_assert_eq(((const unsigned char *)out)[i], 0xa5, "byte %zu written", i);
}

Test(tunnel_adopt, a_route_without_its_source_is_judged_by_its_remote)
{
	struct adopt_found f[] = {
		/* a kernel that does not report the outer source: :: */
		found(ADOPT_ROUTE, "2001:db8:f::1", "::", "2001:db8:1::10"),
		found(ADOPT_ROUTE, "2001:db8:f::2", "::", "2001:db8:1::20"),
	};
	struct adopt_action out[2];

	restored("2001:db8:f::1", "2001:db8:1::10");
	restored("2001:db8:f::2", "2001:db8:2::20");
	cr_assert_eq(tunnel_adopt_plan(f, 2, &tt, out, 2), 1);
	assert_action(&out[0], ADOPT_REPLACE, ADOPT_ROUTE, "2001:db8:f::2", "2001:db8:1::20");
}
