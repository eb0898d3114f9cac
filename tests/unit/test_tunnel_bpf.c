/* SPDX-License-Identifier: MIT */
/*
 * test_tunnel_bpf.c — the bpf tunnel backend on a real TUN device, beside a
 * TAP device (an Ethernet-framed interface, for its decapsulating program),
 * in a private network namespace (root and a kernel that takes the
 * programs; skipped otherwise): a filter of its programs that someone else
 * deletes, with the clsact qdisc that holds it, is put back by its next
 * look, an interface that goes is forgotten, and one that comes later (a
 * host's new access link, an anchor's uplink made anew) gets the
 * decapsulating program, on either side; a close deletes the clsact
 * qdisc it made on an interface, and leaves one that was there before or
 * that another filter is on, also after a kill -9 and a restart (the
 * earlier run's note of what it made); an anchor's decapsulating
 * program reports no (inner, outer source) pair of a packet sent to a
 * multicast group.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "tunnel.h"
#include "tunnel_tc.h"

#define DEV "odmtb0"

static uv_loop_t loop;
static struct odm_tunnel *t;

/* a TAP device (Ethernet-framed) named name while the fd lives */
static int tap(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	cr_assert_geq(fd, 0, "/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, name);
	cr_assert_eq(ioctl(fd, TUNSETIFF, &ifr), 0, "TUNSETIFF: %s", strerror(errno));
	return fd;
}

static void open_bpf(enum odm_tunnel_side side)
{
	cr_assert_eq(uv_loop_init(&loop), 0);
	if (tunnel_open(&t, &loop, "bpf", side, DEV) < 0)
		cr_skip_test("the kernel does not take the bpf backend's programs");
}

static int prog_at(int ifindex, enum tunnel_tc_hook hook)
{
	/* quiet: the kernel's words for a missing qdisc would be logged */
	libbpf_print_fn_t was = libbpf_set_print(NULL);
	int id = tunnel_tc_prog_id(ifindex, hook, tunnel_bpf_prio(DEV));

	libbpf_set_print(was);
	return id;
}

/* both clsact hooks of ifindex gone, with every filter on them, as another
 * tc program's loader does when it leaves (bpf_tc_hook_destroy) */
static void destroy_clsact(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	cr_assert_eq(bpf_tc_hook_destroy(&h), 0);
}

/* the agent's loop run until the filters hold enc and dec again, 3 s at most */
static int run_until_back(int tapidx, int enc, int dec)
{
	struct timespec ms20 = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 150; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		if (prog_at(t->ifindex, TUNNEL_TC_EGRESS) == enc &&
		    prog_at(tapidx, TUNNEL_TC_INGRESS) == dec)
			return 1;
		nanosleep(&ms20, NULL);
	}
	return 0;
}

Test(tunnel_bpf, deleted_filters_are_put_back)
{
	int fd, tapidx, enc, dec;

	test_netns_enter();
	fd = tap("odmtap0");
	tapidx = (int)if_nametoindex("odmtap0");
	open_bpf(ODM_TUNNEL_HOST);
	enc = prog_at(t->ifindex, TUNNEL_TC_EGRESS);
	dec = prog_at(tapidx, TUNNEL_TC_INGRESS);
	cr_assert_gt(enc, 0, "no encapsulating filter on " DEV " (%d)", enc);
	cr_assert_gt(dec, 0, "no decapsulating filter on the TAP device (%d)", dec);
	cr_assert_neq(enc, dec);

	destroy_clsact(t->ifindex);
	destroy_clsact(tapidx);
	cr_assert_eq(prog_at(t->ifindex, TUNNEL_TC_EGRESS), 0);
	cr_assert_eq(prog_at(tapidx, TUNNEL_TC_INGRESS), 0);
	cr_assert(run_until_back(tapidx, enc, dec),
		  "the filters were not put back: egress %d (want %d), ingress %d (want %d)",
		  prog_at(t->ifindex, TUNNEL_TC_EGRESS), enc, prog_at(tapidx, TUNNEL_TC_INGRESS),
		  dec);
	/* and once more: a second deletion is no different */
	destroy_clsact(tapidx);
	cr_assert(run_until_back(tapidx, enc, dec), "the second time, not put back");

	/* an interface that goes is no error: what is left is still kept */
	close(fd);
	cr_assert_eq(prog_at(tapidx, TUNNEL_TC_INGRESS), -ENODEV);
	destroy_clsact(t->ifindex);
	for (int i = 0; i < 150 && prog_at(t->ifindex, TUNNEL_TC_EGRESS) != enc; i++) {
		struct timespec ms20 = { 0, 20 * 1000 * 1000 };

		uv_run(&loop, UV_RUN_NOWAIT);
		nanosleep(&ms20, NULL);
	}
	cr_assert_eq(prog_at(t->ifindex, TUNNEL_TC_EGRESS), enc);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
}

/* 1 if ifindex has a clsact qdisc (a probe that makes one deletes it again) */
static int has_clsact(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	libbpf_print_fn_t was = libbpf_set_print(NULL);
	int rc = bpf_tc_hook_create(&h);

	libbpf_set_print(was);
	if (rc == 0) {
		h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		cr_assert_eq(bpf_tc_hook_destroy(&h), 0);
		return 0;
	}
	cr_assert_eq(rc, -EEXIST, "probing the clsact qdisc: %s", strerror(-rc));
	return 1;
}

/* a tc program that passes every packet (another program's) */
static int pass_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 (TC_ACT_OK) */
		{ .code = 0x95 },                          /* exit */
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "other", "GPL", insns, 2, NULL);

	cr_assert_geq(fd, 0, "loading a tc program: %s", strerror(-fd));
	return fd;
}

Test(tunnel_bpf, close_deletes_only_the_qdisc_it_made)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = 1, .priority = 7);
	int fd0, fd1, fd2, i0, i1, i2, other;

	test_netns_enter();
	fd0 = tap("odmtap0"); /* none before: the agent's, gone at close */
	fd1 = tap("odmtap1"); /* one before, empty: stays */
	fd2 = tap("odmtap2"); /* the agent's, another filter put on it: stays */
	i0 = (int)if_nametoindex("odmtap0");
	i1 = (int)if_nametoindex("odmtap1");
	i2 = (int)if_nametoindex("odmtap2");
	h.ifindex = i1;
	cr_assert_eq(bpf_tc_hook_create(&h), 0);
	open_bpf(ODM_TUNNEL_HOST);
	cr_assert_gt(prog_at(i0, TUNNEL_TC_INGRESS), 0);
	cr_assert_gt(prog_at(i1, TUNNEL_TC_INGRESS), 0);
	other = pass_prog();
	h.ifindex = i2;
	o.prog_fd = other;
	cr_assert_eq(bpf_tc_attach(&h, &o), 0);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert_eq(prog_at(i0, TUNNEL_TC_INGRESS), 0);
	cr_assert_not(has_clsact(i0), "the clsact qdisc the agent made is left after its close");
	cr_assert(has_clsact(i1), "the clsact qdisc that was there before is gone");
	cr_assert(has_clsact(i2), "the qdisc another filter is on is gone");
	o.prog_fd = 0;
	o.prog_id = 0;
	o.flags = 0;
	cr_assert_eq(bpf_tc_query(&h, &o), 0, "the other program's filter is gone");
	close(other);
	close(fd0);
	close(fd1);
	close(fd2);
}

/* After a kill -9 and a restart: the restarted run's close deletes the
 * qdisc the killed run made, and not one that was there before either. */
Test(tunnel_bpf, restart_deletes_only_the_qdisc_the_earlier_run_made)
{
	LIBBPF_OPTS(bpf_tc_hook, h, .attach_point = BPF_TC_INGRESS);
	int fd0, fd1, i0, i1, st;
	pid_t pid;

	test_netns_enter();
	fd0 = tap("odmtap0"); /* none before: the killed run's, gone at close */
	fd1 = tap("odmtap1"); /* one before the first run, empty: stays */
	i0 = (int)if_nametoindex("odmtap0");
	i1 = (int)if_nametoindex("odmtap1");
	h.ifindex = i1;
	cr_assert_eq(bpf_tc_hook_create(&h), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) { /* the first run, which ends as a kill -9 would */
		struct odm_tunnel *t1;
		uv_loop_t l1;

		_exit(uv_loop_init(&l1) == 0 &&
		      tunnel_open(&t1, &l1, "bpf", ODM_TUNNEL_HOST, DEV) == 0 ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		cr_skip_test("the kernel does not take the bpf backend's programs");
	cr_assert_gt(prog_at(i0, TUNNEL_TC_INGRESS), 0, "the first run's filter");
	cr_assert_gt(prog_at(i1, TUNNEL_TC_INGRESS), 0, "the first run's filter");
	open_bpf(ODM_TUNNEL_HOST); /* the device is there: a restart */
	t->ops->settle(t);
	cr_assert_gt(prog_at(i1, TUNNEL_TC_INGRESS), 0, "the restarted run's filter");
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert_not(has_clsact(i0), "the qdisc the killed run made is left");
	cr_assert(has_clsact(i1), "the qdisc there before the first run is gone");
	close(fd0);
	close(fd1);
}

/* the loop run until ifindex's ingress holds a program, 3 s at most: its id */
static int run_until_decap(int ifindex)
{
	struct timespec ms20 = { 0, 20 * 1000 * 1000 };
	int id = 0;

	for (int i = 0; i < 150 && (id = prog_at(ifindex, TUNNEL_TC_INGRESS)) <= 0; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		nanosleep(&ms20, NULL);
	}
	return id;
}

static void later_interface(enum odm_tunnel_side side)
{
	int fd, fd2, idx, dec;

	test_netns_enter();
	fd = tap("odmtap0");
	open_bpf(side);
	dec = prog_at((int)if_nametoindex("odmtap0"), TUNNEL_TC_INGRESS);
	cr_assert_gt(dec, 0, "no decapsulating filter on the TAP device at start");
	/* the interface goes, and one comes in its place (a new ifindex) */
	close(fd);
	fd2 = tap("odmtap1");
	idx = (int)if_nametoindex("odmtap1");
	cr_assert_eq(run_until_decap(idx), dec, "the interface that came later has no decapsulation");
	close(fd2);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
}

Test(tunnel_bpf, host_decapsulates_on_an_interface_that_comes_later)
{
	later_interface(ODM_TUNNEL_HOST);
}

Test(tunnel_bpf, anchor_decapsulates_on_an_interface_that_comes_later)
{
	later_interface(ODM_TUNNEL_ANCHOR);
}

/* ---- what an anchor reports of a packet sent to a group ---- */

#define HEARD_MAX 8
static struct in6_addr heard[HEARD_MAX]; /* the outer sources t->unbound heard of */
static int n_heard;

static void on_unbound(void *arg, const struct in6_addr *inner, const struct in6_addr *osrc)
{
	(void)arg, (void)inner;
	if (n_heard < HEARD_MAX)
		heard[n_heard] = *osrc;
	n_heard++;
}

static void link_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, name);
	cr_assert_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0, "SIOCGIFFLAGS: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0, "SIOCSIFFLAGS: %s", strerror(errno));
	close(s);
}

static void put_ip6(uint8_t *h, unsigned plen, uint8_t nh, const char *src, const char *dst)
{
	h[0] = 0x60;
	h[4] = (uint8_t)(plen >> 8);
	h[5] = (uint8_t)plen;
	h[6] = nh;
	h[7] = 64;
	cr_assert_eq(inet_pton(AF_INET6, src, h + 8), 1);
	cr_assert_eq(inet_pton(AF_INET6, dst, h + 24), 1);
}

/* One IPv6-in-IPv6 frame written to the TAP device: the kernel receives it
 * there, through the decapsulating program. Its inner packet is an empty
 * UDP datagram from isrc to a correspondent. */
static void inject(int fd, const char *osrc, const char *odst, const char *isrc)
{
	static const uint8_t group_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t unicast_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	uint8_t f[14 + 40 + 40 + 8];

	memset(f, 0, sizeof f);
	memcpy(f, odst[0] == 'f' ? group_mac : unicast_mac, 6);
	f[6] = 0x02;
	f[11] = 0x02;
	f[12] = 0x86;
	f[13] = 0xdd;
	put_ip6(f + 14, 40 + 8, 41, osrc, odst);
	put_ip6(f + 54, 8, 17, isrc, "2001:db8:c0::2");
	f[94 + 5] = 8; /* the UDP length */
	cr_assert_eq(write(fd, f, sizeof f), (ssize_t)sizeof f, "write to the TAP: %s",
		     strerror(errno));
}

/* The loop run until t->unbound has heard of want pairs, 3 s at most; then
 * a few more of the backend's looks (READ_EVERY_MS), for any that should
 * not come */
static void run_until_heard(int want)
{
	struct timespec ms20 = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 150 && n_heard < want; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		nanosleep(&ms20, NULL);
	}
	for (int i = 0; i < 25; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		nanosleep(&ms20, NULL);
	}
}

Test(tunnel_bpf, anchor_reports_nothing_sent_to_a_group)
{
	struct in6_addr pool, told;
	char s[INET6_ADDRSTRLEN];
	int fd;

	test_netns_enter();
	fd = tap("odmtap0");
	link_up("odmtap0");
	open_bpf(ODM_TUNNEL_ANCHOR);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8:c4a::", &pool), 1);
	tunnel_set_guard(t, &pool, 64);
	n_heard = 0;
	t->unbound = on_unbound;
	t->unbound_arg = NULL;
	/* a pool address no binding holds, from two forged outer sources: the
	 * first sent to the link's all-nodes group, the second to an address
	 * (the anchor would answer it, RFC 6275 section 9.3.3: anchor.h) */
	inject(fd, "2001:db8:bad::1", "ff02::1", "2001:db8:c4a::7");
	inject(fd, "2001:db8:bad::2", "2001:db8:ca::1", "2001:db8:c4a::7");
	run_until_heard(1);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8:bad::2", &told), 1);
	cr_assert_eq(n_heard, 1, "%d pairs reported, not 1: the packet to ff02::1 was one", n_heard);
	cr_assert(!memcmp(&heard[0], &told, sizeof told), "reported %s, not 2001:db8:bad::2",
		  inet_ntop(AF_INET6, &heard[0], s, sizeof s));
	close(fd);
	tunnel_close(t);
	uv_run(&loop, UV_RUN_NOWAIT);
}
