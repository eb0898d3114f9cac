/* SPDX-License-Identifier: MIT */
/*
 * test_replysrc_core.c — the pure parts of the shim's answers from the
 * address asked (libodm/replysrc.h): a socket's memory of where each
 * peer's datagrams came to (replymem.h: bounded, least recently used
 * makes room, what is learned of an address holds a second), the control
 * data a program gets with the shim's IPV6_PKTINFO taken out (cmsgstrip.h:
 * compared byte for byte with what the kernel gives a socket that did not
 * ask for it, on ::1, for every buffer size up to past the whole), and the
 * kernel's word on an address (addrflags.h: deprecated or not, strict).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addrflags.h"
#include "cmsgstrip.h"
#include "replymem.h"

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;

	cr_assert_eq(inet_pton(AF_INET6, s, &a), 1, "%s", s);
	return a;
}

/* peer i: 2001:db8:c0::<i> */
static struct in6_addr peer(unsigned i)
{
	struct in6_addr a = a6("2001:db8:c0::");

	a.s6_addr[14] = (uint8_t)(i >> 8);
	a.s6_addr[15] = (uint8_t)i;
	return a;
}

Test(replymem, note_find_forget)
{
	struct replymem m;
	struct in6_addr f = a6("2001:db8:40e::5"), g = a6("2001:db8:40e::6"), p = peer(1), got;

	replymem_init(&m);
	cr_assert_eq(replymem_find(&m, &p, htons(53), &got), 0, "nothing known yet");
	replymem_note(&m, &p, htons(53), &f);
	cr_assert_eq(replymem_find(&m, &p, htons(53), &got), 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&got, &f));
	cr_assert_eq(replymem_find(&m, &p, htons(54), &got), 0, "another port is another peer");
	replymem_note(&m, &p, htons(53), &g);
	cr_assert_eq(replymem_find(&m, &p, htons(53), &got), 1);
	cr_assert(IN6_ARE_ADDR_EQUAL(&got, &g), "the last address its datagrams came to");
	cr_assert_eq(m.n, 1u);
	replymem_forget(&m, &p, htons(53));
	cr_assert_eq(replymem_find(&m, &p, htons(53), &got), 0, "forgotten: as the kernel picks");
	cr_assert_eq(m.n, 0u);
	replymem_forget(&m, &p, htons(53)); /* twice: nothing */
	cr_assert_eq(m.n, 0u);
}

Test(replymem, bounded_least_recently_used_makes_room)
{
	struct replymem m;
	struct in6_addr f = a6("2001:db8:40e::5"), p, got;

	replymem_init(&m);
	for (unsigned i = 0; i < REPLYMEM_PEERS; i++) {
		p = peer(i);
		replymem_note(&m, &p, htons(1000), &f);
	}
	cr_assert_eq(m.n, REPLYMEM_PEERS);
	/* peer 0 is used again: peer 1 is now the least recently used */
	p = peer(0);
	cr_assert_eq(replymem_find(&m, &p, htons(1000), &got), 1);
	p = peer(REPLYMEM_PEERS);
	replymem_note(&m, &p, htons(1000), &f);
	cr_assert_eq(m.n, REPLYMEM_PEERS, "never more than REPLYMEM_PEERS");
	p = peer(1);
	cr_assert_eq(replymem_find(&m, &p, htons(1000), &got), 0, "the least recently used went");
	for (unsigned i = 0; i <= REPLYMEM_PEERS; i++) {
		p = peer(i);
		if (i != 1)
			cr_assert_eq(replymem_find(&m, &p, htons(1000), &got), 1, "peer %u stays", i);
	}
	/* many more: still bounded, the last noted always there */
	for (unsigned i = 100; i < 1100; i++) {
		p = peer(i);
		replymem_note(&m, &p, htons(1000), &f);
		cr_assert_eq(replymem_find(&m, &p, htons(1000), &got), 1);
	}
	cr_assert_eq(m.n, REPLYMEM_PEERS);
}

Test(replymem, what_is_learned_of_an_address_holds_a_second)
{
	struct replymem m;
	struct in6_addr a[REPLYMEM_ADDRS + 1];
	int af = -1;

	replymem_init(&m);
	for (unsigned i = 0; i <= REPLYMEM_ADDRS; i++) {
		a[i] = peer(200 + i);
	}
	cr_assert_eq(replymem_known(&m, &a[0], 5000, &af), 0);
	replymem_learned(&m, &a[0], 1, 5000);
	cr_assert_eq(replymem_known(&m, &a[0], 5000, &af), 1);
	cr_assert_eq(af, 1);
	cr_assert_eq(replymem_known(&m, &a[0], 5000 + REPLYMEM_VERDICT_MS - 1, &af), 1);
	cr_assert_eq(replymem_known(&m, &a[0], 5000 + REPLYMEM_VERDICT_MS, &af), 0,
		     "learned again after a second");
	cr_assert_eq(replymem_known(&m, &a[0], 4000, &af), 0, "a clock that went back: again");
	replymem_learned(&m, &a[0], 0, 6000);
	cr_assert_eq(replymem_known(&m, &a[0], 6001, &af), 1);
	cr_assert_eq(af, 0, "the new word replaces the old");
	/* the oldest learned makes room */
	for (unsigned i = 1; i <= REPLYMEM_ADDRS; i++)
		replymem_learned(&m, &a[i], 1, 6000 + i);
	cr_assert_eq(replymem_known(&m, &a[0], 6100, &af), 0, "the oldest went");
	for (unsigned i = 1; i <= REPLYMEM_ADDRS; i++)
		cr_assert_eq(replymem_known(&m, &a[i], 6100, &af), 1);
	/* a clock at 0 is no free slot */
	replymem_init(&m);
	replymem_learned(&m, &a[0], 1, 0);
	cr_assert_eq(replymem_known(&m, &a[0], 1, &af), 1);
}

/* ---------------------------------------------------------- cmsgstrip */

/* a UDP socket on ::1 with the options given (IPV6_RECV*), or -1 */
static int udp6(int pktinfo)
{
	struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int s = socket(AF_INET6, SOCK_DGRAM, 0), one = 1;

	if (s < 0 || bind(s, (struct sockaddr *)&lo, sizeof(lo)) != 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	cr_assert_eq(setsockopt(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)), 0);
	cr_assert_eq(setsockopt(s, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one)), 0);
	if (pktinfo)
		cr_assert_eq(setsockopt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)), 0);
	return s;
}

static void send_to(int from, int to)
{
	struct sockaddr_in6 a;
	socklen_t l = sizeof(a);

	cr_assert_eq(getsockname(to, (struct sockaddr *)&a, &l), 0);
	cr_assert_eq(sendto(from, "x", 1, 0, (struct sockaddr *)&a, l), 1);
}

/* receive one datagram on s with cap bytes of control room (into ctl) */
static void recv_ctl(int s, void *ctl, size_t cap, size_t *len, int *flags)
{
	char b[8];
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cap ? ctl : NULL,
			    .msg_controllen = cap };

	cr_assert_eq(recvmsg(s, &m, 0), 1);
	*len = m.msg_controllen;
	*flags = m.msg_flags;
}

Test(cmsgstrip, as_the_kernel_gives_a_socket_that_did_not_ask)
{
	int prog = udp6(0), shim = udp6(1), tx = socket(AF_INET6, SOCK_DGRAM, 0);

	if (prog < 0 || shim < 0)
		cr_skip_test("no ::1 here");
	for (size_t cap = 0; cap <= 80; cap++) {
		union {
			struct cmsghdr h;
			unsigned char b[256];
		} want, got, k;
		size_t wlen, klen, glen;
		int wflags, kflags, ctrunc, have_pi;
		struct in6_pktinfo pi;

		memset(&want, 0xaa, sizeof(want));
		memset(&got, 0xaa, sizeof(got));
		send_to(tx, prog);
		send_to(tx, shim);
		recv_ctl(prog, want.b, cap, &wlen, &wflags);
		recv_ctl(shim, k.b, sizeof(k.b), &klen, &kflags);
		cr_assert_eq(kflags & MSG_CTRUNC, 0);
		glen = cmsgstrip(k.b, klen, cap ? got.b : NULL, cap, &ctrunc, &pi, &have_pi);
		cr_assert_eq(have_pi, 1, "the shim's IPV6_PKTINFO is found");
		cr_assert(IN6_IS_ADDR_LOOPBACK(&pi.ipi6_addr));
		cr_assert_eq(glen, wlen, "room %zu: %zu bytes, the kernel %zu", cap, glen, wlen);
		cr_assert_eq(ctrunc, (wflags & MSG_CTRUNC) != 0, "room %zu: MSG_CTRUNC", cap);
		cr_assert_eq(memcmp(got.b, want.b, sizeof(got.b)), 0, "room %zu: the same bytes", cap);
	}
	close(prog);
	close(shim);
	close(tx);
}

Test(cmsgstrip, only_the_pktinfo_and_nothing_past_the_data)
{
	union {
		struct cmsghdr h;
		unsigned char b[64];
	} in;
	struct cmsghdr h = { .cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo)),
			     .cmsg_level = IPPROTO_IPV6, .cmsg_type = IPV6_PKTINFO };
	struct in6_pktinfo pi, want = { .ipi6_addr = a6("2001:db8:40e::5"), .ipi6_ifindex = 7 };
	int ctrunc, have;

	memset(&in, 0, sizeof(in));
	memcpy(in.b, &h, sizeof(h));
	memcpy(CMSG_DATA(&in.h), &want, sizeof(want));
	cr_assert_eq(cmsgstrip(in.b, CMSG_SPACE(sizeof(want)), NULL, 0, &ctrunc, &pi, &have), 0u);
	cr_assert_eq(have, 1);
	cr_assert_eq(ctrunc, 0, "no control data of its own: nothing cut");
	cr_assert_eq(memcmp(&pi, &want, sizeof(pi)), 0);
	/* a length past the data: stopped there, nothing read beyond */
	h.cmsg_len = 60;
	memcpy(in.b, &h, sizeof(h));
	cr_assert_eq(cmsgstrip(in.b, 40, NULL, 0, &ctrunc, &pi, &have), 0u);
	cr_assert_eq(have, 0);
	/* no data at all */
	cr_assert_eq(cmsgstrip(in.b, 0, NULL, 0, &ctrunc, &pi, &have), 0u);
	cr_assert_eq(have, 0);
	cr_assert_eq(ctrunc, 0);
}

Test(cmsgstrip, input_at_any_address)
{
	union {
		struct cmsghdr h;
		unsigned char b[128];
	} in, out1, out2;
	unsigned char odd[129];
	struct cmsghdr h = { .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = IPPROTO_IPV6,
			     .cmsg_type = IPV6_HOPLIMIT };
	struct in6_pktinfo pi;
	size_t len = CMSG_SPACE(sizeof(int)) * 2, n1, n2;
	int v = 64, ctrunc, have;

	memset(&in, 0, sizeof(in));
	memcpy(in.b, &h, sizeof(h));
	memcpy(in.b + CMSG_LEN(0), &v, sizeof(v));
	h.cmsg_type = IPV6_TCLASS;
	memcpy(in.b + CMSG_SPACE(sizeof(int)), &h, sizeof(h));
	memcpy(in.b + CMSG_SPACE(sizeof(int)) + CMSG_LEN(0), &v, sizeof(v));
	/* the same bytes one past an aligned address: read as bytes, the same
	 * result (the sanitized build aborts on a misaligned struct access) */
	memcpy(odd + 1, in.b, len);
	memset(&out1, 0, sizeof(out1));
	memset(&out2, 0, sizeof(out2));
	n1 = cmsgstrip(in.b, len, out1.b, sizeof(out1.b), &ctrunc, &pi, &have);
	n2 = cmsgstrip(odd + 1, len, out2.b, sizeof(out2.b), &ctrunc, &pi, &have);
	cr_assert_eq(n1, len);
	cr_assert_eq(n2, n1);
	cr_assert_eq(memcmp(out1.b, out2.b, sizeof(out1.b)), 0);
	cr_assert_eq(memcmp(out1.b, in.b, len), 0);
}

Test(cmsgstrip, a_program_that_chose_its_source)
{
	union {
		struct cmsghdr h;
		unsigned char b[128];
	} c;
	struct cmsghdr *m;
	struct msghdr msg = { .msg_control = c.b, .msg_controllen = sizeof(c.b) };

	memset(&c, 0, sizeof(c));
	m = CMSG_FIRSTHDR(&msg);
	m->cmsg_level = IPPROTO_IPV6;
	m->cmsg_type = IPV6_HOPLIMIT;
	m->cmsg_len = CMSG_LEN(sizeof(int));
	cr_assert_eq(cmsg_has_pktinfo(c.b, CMSG_SPACE(sizeof(int))), 0);
	m = CMSG_NXTHDR(&msg, m);
	m->cmsg_level = IPPROTO_IPV6;
	m->cmsg_type = IPV6_PKTINFO;
	m->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
	cr_assert_eq(cmsg_has_pktinfo(c.b, CMSG_SPACE(sizeof(int)) +
					       CMSG_SPACE(sizeof(struct in6_pktinfo))), 1);
	m->cmsg_type = IPV6_2292PKTINFO;
	cr_assert_eq(cmsg_has_pktinfo(c.b, CMSG_SPACE(sizeof(int)) +
					       CMSG_SPACE(sizeof(struct in6_pktinfo))), 1);
	m->cmsg_level = SOL_SOCKET;
	cr_assert_eq(cmsg_has_pktinfo(c.b, sizeof(c.b)), 0, "another level's type 50 is not it");
	cr_assert_eq(cmsg_has_pktinfo(NULL, 0), 0);
	cr_assert_eq(cmsg_has_pktinfo(c.b, 4), 0, "less than a header");
}

/* ---------------------------------------------------------- addrflags */

struct ans {
	struct nlmsghdr h;
	struct ifaddrmsg ifa;
	unsigned char attrs[64];
};

/* an RTM_NEWADDR with ifa_flags f, then IFA_FLAGS fl (if fl) and
 * IFA_CACHEINFO with preferred pref (if pref >= 0); its length */
static size_t answer(struct ans *a, uint8_t f, uint32_t fl, long pref)
{
	size_t off = 0;
	struct rtattr ra;

	memset(a, 0, sizeof(*a));
	a->h.nlmsg_type = RTM_NEWADDR;
	a->ifa.ifa_family = AF_INET6;
	a->ifa.ifa_prefixlen = 128;
	a->ifa.ifa_flags = f;
	a->ifa.ifa_index = 1;
	{ /* the address asked about, as every answer of the kernel has it */
		struct in6_addr ad = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };

		ra.rta_type = IFA_ADDRESS;
		ra.rta_len = RTA_LENGTH(sizeof(ad));
		memcpy(a->attrs + off, &ra, sizeof(ra));
		memcpy(a->attrs + off + RTA_LENGTH(0), &ad, sizeof(ad));
		off += RTA_SPACE(sizeof(ad));
	}
	if (fl) {
		ra.rta_type = IFA_FLAGS;
		ra.rta_len = RTA_LENGTH(sizeof(fl));
		memcpy(a->attrs + off, &ra, sizeof(ra));
		memcpy(a->attrs + off + RTA_LENGTH(0), &fl, sizeof(fl));
		off += RTA_SPACE(sizeof(fl));
	}
	if (pref >= 0) {
		struct ifa_cacheinfo ci = { .ifa_prefered = (uint32_t)pref, .ifa_valid = 0xffffffffu };

		ra.rta_type = IFA_CACHEINFO;
		ra.rta_len = RTA_LENGTH(sizeof(ci));
		memcpy(a->attrs + off, &ra, sizeof(ra));
		memcpy(a->attrs + off + RTA_LENGTH(0), &ci, sizeof(ci));
		off += RTA_SPACE(sizeof(ci));
	}
	a->h.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(a->ifa)) + off);
	return a->h.nlmsg_len;
}

Test(addrflags, deprecated_or_not)
{
	struct ans a;
	size_t n;

	n = answer(&a, 0, 0, 3600);
	cr_assert_eq(addrflags_deprecated(&a, n), 0, "preferred for an hour");
	n = answer(&a, IFA_F_DEPRECATED, 0, -1);
	cr_assert_eq(addrflags_deprecated(&a, n), 1, "ifa_flags");
	n = answer(&a, 0, IFA_F_DEPRECATED | IFA_F_NODAD, 3600);
	cr_assert_eq(addrflags_deprecated(&a, n), 1, "IFA_FLAGS");
	n = answer(&a, 0, IFA_F_NODAD, 0);
	cr_assert_eq(addrflags_deprecated(&a, n), 1, "preferred lifetime 0 (as the agent adds them)");
	n = answer(&a, 0, IFA_F_NODAD, 0xffffffffL);
	cr_assert_eq(addrflags_deprecated(&a, n), 0);
}

Test(addrflags, strict)
{
	struct ans a;
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} err = { .h = { .nlmsg_len = sizeof(err), .nlmsg_type = NLMSG_ERROR },
		  .e = { .error = -EADDRNOTAVAIL } };
	struct rtattr ra = { .rta_len = 200, .rta_type = IFA_FLAGS };
	size_t n;

	cr_assert_eq(addrflags_deprecated(&err, sizeof(err)), -EADDRNOTAVAIL, "not the host's");
	err.e.error = 0;
	cr_assert_eq(addrflags_deprecated(&err, sizeof(err)), -EBADMSG, "an ack is no answer");
	err.e.error = -EADDRNOTAVAIL;
	cr_assert_eq(addrflags_deprecated(&err, sizeof(err) - 1), -EBADMSG, "cut short");
	n = answer(&a, IFA_F_DEPRECATED, 0, -1);
	cr_assert_eq(addrflags_deprecated(&a, n - 1), -EBADMSG, "longer than what came");
	cr_assert_eq(addrflags_deprecated(&a, 3), -EBADMSG);
	cr_assert_eq(addrflags_deprecated(NULL, 0), -EBADMSG);
	a.h.nlmsg_type = RTM_NEWROUTE;
	cr_assert_eq(addrflags_deprecated(&a, n), -EBADMSG, "not an address");
	/* an attribute longer than its message */
	n = answer(&a, 0, 0, -1);
	memcpy(a.attrs, &ra, sizeof(ra));
	a.h.nlmsg_len += RTA_SPACE(4);
	cr_assert_eq(addrflags_deprecated(&a, a.h.nlmsg_len), -EBADMSG);
	ra.rta_len = 2;
	memcpy(a.attrs, &ra, sizeof(ra));
	cr_assert_eq(addrflags_deprecated(&a, a.h.nlmsg_len), -EBADMSG, "shorter than its header");
}
