/* SPDX-License-Identifier: MIT */
/*
 * test_tunnel_udp.c — the UDP encapsulation's pure parts (tunnel_udp.h):
 * which queued packets make one UDP_SEGMENT send (equal sizes, a shorter
 * one only last, the segment and byte limits), a UDP_GRO buffer cut back
 * into its datagrams (exact pieces, a short tail, refused sizes), the
 * whole-packet check; and (root, private namespace) the choice of backend
 * for tunnel-encap udp.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "netns.h"
#include "tunnel.h"
#include "tunnel_udp.h"

Test(tunnel_udp, run_of_equal_segments)
{
	size_t lens[64];

	for (size_t i = 0; i < 64; i++)
		lens[i] = 1452;
	cr_assert_eq(tudp_run(lens, 10), 10, "ten equal packets: one send");
	cr_assert_eq(tudp_run(lens, 1), 1);
	cr_assert_eq(tudp_run(lens, 0), 0);
	/* 65000 / 1452 = 44.7: the 45th would pass TUDP_SEND_MAX */
	cr_assert_eq(tudp_run(lens, 64), 44, "bounded by the bytes of one send");
	for (size_t i = 0; i < 64; i++)
		lens[i] = 100;
	cr_assert_eq(tudp_run(lens, 64), TUDP_SEGS_MAX, "bounded by the segment count");
	lens[0] = 0;
	cr_assert_eq(tudp_run(lens, 64), 0, "an empty first packet makes no run");
}

Test(tunnel_udp, shorter_only_last)
{
	size_t a[] = { 1452, 1452, 1452, 600, 1452 };
	size_t b[] = { 1452, 1452, 1500, 1452 };
	size_t c[] = { 600, 1452, 1452 };
	size_t d[] = { 1452, 0, 1452 };

	cr_assert_eq(tudp_run(a, 5), 4, "the shorter one ends the run, included");
	cr_assert_eq(tudp_run(a + 4, 1), 1);
	cr_assert_eq(tudp_run(b, 4), 2, "a longer one starts a new run");
	cr_assert_eq(tudp_run(c, 3), 1, "a short first one goes alone");
	cr_assert_eq(tudp_run(d, 3), 1, "an empty packet never joins");
}

Test(tunnel_udp, split_gro_buffer)
{
	size_t off[8], len[8];

	cr_assert_eq(tudp_split(3 * 1452 + 600, 1452, off, len, 8), 4);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(off[i], (size_t)i * 1452);
		cr_assert_eq(len[i], 1452);
	}
	cr_assert_eq(off[3], 3 * 1452);
	cr_assert_eq(len[3], 600);
	cr_assert_eq(tudp_split(2 * 1000, 1000, off, len, 8), 2, "no empty tail");
	cr_assert_eq(len[1], 1000);
	cr_assert_eq(tudp_split(1200, 0, off, len, 8), 1, "no UDP_GRO size: one packet");
	cr_assert_eq(off[0], 0);
	cr_assert_eq(len[0], 1200);
	cr_assert_eq(tudp_split(1000 + 10, 1000, off, len, 8), 2, "a short tail is returned");
	cr_assert_eq(len[1], 10);
}

Test(tunnel_udp, split_refuses)
{
	size_t off[4], len[4];

	cr_assert_eq(tudp_split(0, 0, off, len, 4), -EINVAL, "empty datagram");
	cr_assert_eq(tudp_split(400, 39, off, len, 4), -EINVAL, "size below an IPv6 header");
	cr_assert_eq(tudp_split(400, 401, off, len, 4), -EINVAL, "size above the buffer");
	cr_assert_eq(tudp_split(5 * 100, 100, off, len, 4), -E2BIG, "more pieces than room");
	cr_assert_eq(tudp_split(4 * 100, 100, off, len, 4), 4, "exactly the room");
}

Test(tunnel_udp, inner_whole_packet)
{
	unsigned char p[100];

	memset(p, 0, sizeof p);
	p[0] = 0x60;
	p[5] = 60; /* payload length: 40 + 60 = 100 */
	cr_assert_eq(tudp_inner_ok(p, 100), 1);
	cr_assert_eq(tudp_inner_ok(p, 99), 0, "shorter than it says");
	p[5] = 59;
	cr_assert_eq(tudp_inner_ok(p, 100), 0, "longer than it says");
	p[5] = 60;
	p[0] = 0x40;
	cr_assert_eq(tudp_inner_ok(p, 100), 0, "not IPv6");
	cr_assert_eq(tudp_inner_ok(p, 39), 0, "no room for a header");
}

/* root only (skipped otherwise): the backend choice for encap udp */
Test(tunnel_udp, encap_udp_is_userspace_only)
{
	uv_loop_t loop;
	struct odm_tunnel *t = NULL;

	test_netns_enter();
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(tunnel_open_encap(&t, &loop, "kernel", ODM_ENCAP_UDP, ODM_TUNNEL_ANCHOR,
				       "odmtu0"), -EPROTONOSUPPORT, "the kernel backend refuses it");
	cr_assert_null(t);
	cr_assert_eq(tunnel_open_encap(&t, &loop, "auto", ODM_ENCAP_UDP, ODM_TUNNEL_ANCHOR,
				       "odmtu0"), 0);
	cr_assert_str_eq(tunnel_backend_name(t), "userspace");
	cr_assert_eq(t->mtu, 1500 - TUDP_OVERHEAD, "inner MTU leaves room for IPv6 + UDP");
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
}
