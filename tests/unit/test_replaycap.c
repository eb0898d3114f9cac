/* SPDX-License-Identifier: MIT */
/*
 * test_replaycap.c — the anchor's capture of its tunnelled packets and the
 * replay from it (odmagent/replaycap.c) on a real packet socket, in a
 * private network namespace (root only; skipped otherwise): packets sent
 * from the tunnel endpoint are kept, per anchored address; a replay sends
 * those of its window that did not already go to the new care-of address;
 * a forgotten binding's packets are gone.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monotime.h"
#include "netconf.h"
#include "netns.h"
#include "replaycap.h"
#include "testaddr.h"

#define LOCAL "2001:db8:ca::10"
#define COA1 "2001:db8:a1::1"
#define COA2 "2001:db8:a2::2"
#define HOA_X "2001:db8:c4a::1"
#define HOA_Y "2001:db8:c4a::2"

static uv_loop_t loop;
static struct replaycap *cap;
static int raw = -1;
static long replayed = -1;

static void done(void *arg, const struct in6_addr *inner, size_t sent)
{
	(void)inner;
	*(long *)arg = (long)sent;
}

static void setup_net(void)
{
	const char *addrs[] = { LOCAL, COA1, COA2 };
	struct in6_addr local = A(LOCAL);
	struct netconf *nc;

	test_netns_enter();
	cr_assert_eq(netconf_open(&nc), 0);
	for (size_t i = 0; i < 3; i++) {
		struct in6_addr a = A(addrs[i]);

		cr_assert_eq(netconf_addr_add(nc, netconf_ifindex(nc, "lo"), &a, 128, 0), 0);
	}
	netconf_close(nc);
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(replaycap_open(&cap, &loop, done, &replayed), 0);
	cr_assert_eq(replaycap_source(cap, &local), 0);
	raw = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	cr_assert_geq(raw, 0);
}

/* one IPv6-in-IPv6 packet from osrc to odst for inner, tagged */
static void tunnelled(const char *osrc, const char *odst, const char *inner, uint8_t tag)
{
	struct in6_addr s = A(osrc), d = A(odst), i = A(inner), cn = A("2001:db8:c0::10");
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = d };
	uint8_t p[100] = { 0 };

	p[0] = 0x60;
	p[5] = 60; /* the inner packet */
	p[6] = 41;
	p[7] = 64;
	memcpy(p + 8, &s, 16);
	memcpy(p + 24, &d, 16);
	p[40] = 0x60;
	p[45] = 20;
	p[46] = 59; /* no next header: 20 bytes of payload */
	p[47] = 63;
	memcpy(p + 48, &cn, 16);
	memcpy(p + 64, &i, 16);
	p[80] = tag;
	cr_assert_eq(sendto(raw, p, sizeof p, 0, (struct sockaddr *)&to, sizeof to),
		     (ssize_t)sizeof p);
}

/* run the loop for ms, or until a replay is done */
static void run_for(int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	while (mono_ms() < end && replayed < 0) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

static void teardown_net(void)
{
	replaycap_close(cap);
	uv_run(&loop, UV_RUN_NOWAIT);
	close(raw);
}

static long replay(const char *inner, const char *remote, uint64_t since)
{
	struct in6_addr i = A(inner), r = A(remote);

	replayed = -1;
	replaycap_moved(cap, &i, &r, since, 0, "test");
	run_for(2000);
	return replayed;
}

Test(replaycap, replays_the_window_of_one_address_not_what_went_the_new_way)
{
	uint64_t start;

	setup_net();
	start = mono_ms();
	tunnelled(LOCAL, COA1, HOA_X, 1);
	tunnelled(LOCAL, COA1, HOA_X, 2);
	tunnelled(LOCAL, COA1, HOA_X, 3);
	tunnelled(LOCAL, COA2, HOA_X, 4); /* after the move: already the new way */
	tunnelled(LOCAL, COA1, HOA_Y, 5); /* another binding */
	tunnelled(COA1, COA2, HOA_X, 6);  /* not from the tunnel endpoint */
	run_for(50);
	cr_assert_eq(replay(HOA_X, COA2, start), 3);
	cr_assert_eq(replay(HOA_Y, COA2, start), 1);
	cr_assert_eq(replay(HOA_X, COA2, mono_ms() + 1000), 0, "a window in the future");
	teardown_net();
}

Test(replaycap, a_forgotten_binding_replays_nothing)
{
	struct in6_addr x = A(HOA_X);
	uint64_t start;

	setup_net();
	start = mono_ms();
	tunnelled(LOCAL, COA1, HOA_X, 1);
	run_for(50);
	replaycap_forget(cap, &x);
	cr_assert_eq(replay(HOA_X, COA2, start), 0);
	teardown_net();
}

Test(replaycap, no_source_copies_nothing)
{
	uint64_t start;

	setup_net();
	cr_assert_eq(replaycap_source(cap, NULL), 0);
	start = mono_ms();
	tunnelled(LOCAL, COA1, HOA_X, 1);
	run_for(50);
	cr_assert_eq(replay(HOA_X, COA2, start), 0);
	teardown_net();
}
