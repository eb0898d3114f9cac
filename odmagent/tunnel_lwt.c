/* SPDX-License-Identifier: MIT */
/* tunnel_lwt.c — seg6 encapsulation and decapsulation routes (see tunnel_lwt.h). */
#include "tunnel_lwt.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>
#include <linux/seg6.h>
#include <linux/seg6_iptunnel.h>
#include <linux/seg6_local.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/rule.h>

#include "netconf.h"

/* Outer source of an encap route: a newer attribute than this system's
 * linux/seg6_iptunnel.h knows (the number is the kernel's ABI). Kernels
 * without it ignore it and pick the source by address selection. */
#ifndef SEG6_IPTUNNEL_SRC
#define SEG6_IPTUNNEL_SRC 2
#endif

#define IPPROTO_IPV6_IN_IPV6 41

static int talk(struct nl_sock *sk, struct nl_msg *m)
{
	int r = nl_send_auto(sk, m);

	if (r >= 0)
		r = nl_wait_for_ack(sk);
	nlmsg_free(m);
	return netconf_nl2errno(r);
}

static struct nl_msg *route_msg(int cmd, int flags, const struct in6_addr *dst, int dlen,
				const struct in6_addr *src, int slen, uint32_t table,
				int ifindex)
{
	struct rtmsg rtm = {
		.rtm_family = AF_INET6,
		.rtm_dst_len = (unsigned char)dlen,
		.rtm_src_len = (unsigned char)slen,
		.rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC,
		.rtm_protocol = RTPROT_STATIC,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	struct nl_msg *m = nlmsg_alloc_simple(cmd, flags);

	if (!m)
		return NULL;
	if (nlmsg_append(m, &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0 ||
	    (dlen && nla_put(m, RTA_DST, sizeof *dst, dst) < 0) ||
	    (slen && nla_put(m, RTA_SRC, sizeof *src, src) < 0) ||
	    nla_put_u32(m, RTA_TABLE, table) < 0 || nla_put_u32(m, RTA_OIF, (uint32_t)ifindex) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

int lwt_encap_replace(struct nl_sock *sk, const struct in6_addr *dst, int dlen,
		      const struct in6_addr *src, int slen, uint32_t table, int ifindex,
		      const struct in6_addr *tunsrc, const struct in6_addr *remote)
{
	/* struct seg6_iptunnel_encap: the mode, then an SRH (RFC 8754 §2)
	 * with one segment; the kernel wants the list even when the reduced
	 * mode leaves the header off the wire. Laid out by hand: the struct
	 * ends in a flexible array. */
	uint8_t enc[sizeof(int) + sizeof(struct ipv6_sr_hdr) + sizeof(struct in6_addr)];
	struct ipv6_sr_hdr srh = {
		.hdrlen = sizeof(struct in6_addr) / 8,
		.type = 4, /* Segment Routing Header */
	};
	int mode = SEG6_IPTUN_MODE_ENCAP_RED;
	struct nl_msg *m = route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, dst, dlen, src,
				     slen, table, ifindex);
	struct nlattr *nest;

	if (!m)
		return -ENOMEM;
	memcpy(enc, &mode, sizeof mode);
	memcpy(enc + sizeof mode, &srh, sizeof srh);
	memcpy(enc + sizeof mode + sizeof srh, remote, sizeof *remote);
	if (nla_put_u16(m, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6) < 0 ||
	    !(nest = nla_nest_start(m, RTA_ENCAP)) ||
	    nla_put(m, SEG6_IPTUNNEL_SRH, sizeof enc, enc) < 0 ||
	    (!IN6_IS_ADDR_UNSPECIFIED(tunsrc) &&
	     nla_put(m, SEG6_IPTUNNEL_SRC, sizeof *tunsrc, tunsrc) < 0)) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	nla_nest_end(m, nest);
	return talk(sk, m);
}

struct encap_walk {
	uint32_t table;
	int ifindex;
	lwt_encap_fn fn;
	void *arg;
};

/* The encapsulation attribute as lwt_encap_replace lays it out: the mode,
 * an SRH, its first segment (the remote end). */
#define ENC_SEG_AT (sizeof(int) + sizeof(struct ipv6_sr_hdr))

static int on_route(struct nl_msg *msg, void *arg)
{
	struct encap_walk *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1], *etb[SEG6_IPTUNNEL_SRC + 1];
	struct in6_addr dst, tunsrc = IN6ADDR_ANY_INIT, remote;
	const struct rtmsg *rtm;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof *rtm, tb, RTA_MAX, NULL) < 0)
		return NL_OK;
	rtm = nlmsg_data(h);
	table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (rtm->rtm_family != AF_INET6 || rtm->rtm_dst_len != 128 || table != w->table ||
	    rtm->rtm_protocol != RTPROT_STATIC ||
	    !tb[RTA_DST] || nla_len(tb[RTA_DST]) != sizeof dst || !tb[RTA_OIF] ||
	    (int)nla_get_u32(tb[RTA_OIF]) != w->ifindex || !tb[RTA_ENCAP_TYPE] ||
	    nla_get_u16(tb[RTA_ENCAP_TYPE]) != LWTUNNEL_ENCAP_SEG6 || !tb[RTA_ENCAP] ||
	    nla_parse_nested(etb, SEG6_IPTUNNEL_SRC, tb[RTA_ENCAP], NULL) < 0 ||
	    !etb[SEG6_IPTUNNEL_SRH] ||
	    (size_t)nla_len(etb[SEG6_IPTUNNEL_SRH]) < ENC_SEG_AT + sizeof remote)
		return NL_OK;
	memcpy(&dst, nla_data(tb[RTA_DST]), sizeof dst);
	memcpy(&remote, (const uint8_t *)nla_data(etb[SEG6_IPTUNNEL_SRH]) + ENC_SEG_AT,
	       sizeof remote);
	if (etb[SEG6_IPTUNNEL_SRC] && nla_len(etb[SEG6_IPTUNNEL_SRC]) == sizeof tunsrc)
		memcpy(&tunsrc, nla_data(etb[SEG6_IPTUNNEL_SRC]), sizeof tunsrc);
	w->fn(w->arg, &dst, &tunsrc, &remote);
	return NL_OK;
}

int lwt_encap_list(struct nl_sock *sk, uint32_t table, int ifindex, lwt_encap_fn fn, void *arg)
{
	struct encap_walk w = { table, ifindex, fn, arg };
	struct rtmsg rtm = { .rtm_family = AF_INET6 };
	struct nl_cb *cb, *s_cb;
	int r;

	r = nl_send_simple(sk, RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof rtm);
	if (r < 0)
		return netconf_nl2errno(r);
	s_cb = nl_socket_get_cb(sk); /* a reference */
	cb = nl_cb_clone(s_cb);
	nl_cb_put(s_cb);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_route, &w);
	r = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	return netconf_nl2errno(r);
}

int lwt_route_del(struct nl_sock *sk, const struct in6_addr *dst, int dlen,
		  const struct in6_addr *src, int slen, uint32_t table, int ifindex)
{
	struct nl_msg *m = route_msg(RTM_DELROUTE, 0, dst, dlen, src, slen, table, ifindex);
	int rc;

	if (!m)
		return -ENOMEM;
	rc = talk(sk, m);
	return rc == -ENOENT || rc == -ESRCH || rc == -ENODEV ? 0 : rc;
}

int lwt_decap_replace(struct nl_sock *sk, const struct in6_addr *addr, uint32_t table,
		      int ifindex, uint32_t lookup_table)
{
	struct in6_addr any = IN6ADDR_ANY_INIT;
	struct nl_msg *m = route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, addr, 128, NULL,
				     0, table, ifindex);
	struct nlattr *nest;
	int bad;

	if (!m)
		return -ENOMEM;
	bad = nla_put_u16(m, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6_LOCAL) < 0 ||
	      !(nest = nla_nest_start(m, RTA_ENCAP));
	if (!bad && lookup_table)
		bad = nla_put_u32(m, SEG6_LOCAL_ACTION, SEG6_LOCAL_ACTION_END_DT6) < 0 ||
		      nla_put_u32(m, SEG6_LOCAL_TABLE, lookup_table) < 0;
	else if (!bad) /* next hop :: = route by the inner destination */
		bad = nla_put_u32(m, SEG6_LOCAL_ACTION, SEG6_LOCAL_ACTION_END_DX6) < 0 ||
		      nla_put(m, SEG6_LOCAL_NH6, sizeof any, &any) < 0;
	if (bad) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	nla_nest_end(m, nest);
	return talk(sk, m);
}

int lwt_probe(struct nl_sock *sk, uint32_t table, int ifindex, uint32_t lookup_table,
	      const char **what)
{
	struct in6_addr dst = {{{0x01, [15] = 1}}}, remote = {{{0x01, [15] = 2}}};
	/* a host's: ::/0 from the address (IPv6 subtrees); an anchor's: to it */
	const struct in6_addr *to = lookup_table ? &in6addr_any : &dst;
	const struct in6_addr *from = lookup_table ? &dst : NULL;
	int tolen = lookup_table ? 0 : 128, fromlen = lookup_table ? 128 : 0, rc;

	*what = lookup_table ? "encap seg6 mode encap.red from an address (a source route)"
			     : "encap seg6 mode encap.red";
	rc = lwt_encap_replace(sk, to, tolen, from, fromlen, table, ifindex, &in6addr_any, &remote);
	if (rc < 0)
		return rc;
	(void)lwt_route_del(sk, to, tolen, from, fromlen, table, ifindex);
	*what = lookup_table ? "encap seg6local action End.DT6" : "encap seg6local action End.DX6";
	rc = lwt_decap_replace(sk, &dst, table, ifindex, lookup_table);
	if (rc < 0)
		return rc;
	(void)lwt_route_del(sk, &dst, 128, NULL, 0, table, ifindex);
	*what = NULL;
	return 0;
}

static int rule_msg(struct nl_sock *sk, int cmd, const struct in6_addr *dst, uint32_t table,
		    uint32_t prio)
{
	struct fib_rule_hdr frh = {
		.family = AF_INET6,
		.dst_len = dst ? 128 : 0,
		.table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC,
		.action = FR_ACT_TO_TBL,
	};
	struct nl_msg *m = nlmsg_alloc_simple(cmd, cmd == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	int rc;

	if (!m)
		return -ENOMEM;
	if (nlmsg_append(m, &frh, sizeof frh, NLMSG_ALIGNTO) < 0 ||
	    (dst && nla_put(m, FRA_DST, sizeof *dst, dst) < 0) ||
	    (dst && nla_put_u8(m, FRA_IP_PROTO, IPPROTO_IPV6_IN_IPV6) < 0) ||
	    nla_put_u32(m, FRA_TABLE, table) < 0 || nla_put_u32(m, FRA_PRIORITY, prio) < 0) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	rc = talk(sk, m);
	if (cmd == RTM_NEWRULE && rc == -EEXIST)
		return 0;
	if (cmd == RTM_DELRULE && (rc == -ENOENT || rc == -ESRCH))
		return 0;
	return rc;
}

int lwt_decap_rule_add(struct nl_sock *sk, const struct in6_addr *addr, uint32_t table)
{
	return rule_msg(sk, RTM_NEWRULE, addr, table, LWT_DECAP_PRIO);
}

int lwt_decap_rule_del(struct nl_sock *sk, const struct in6_addr *addr, uint32_t table)
{
	return rule_msg(sk, RTM_DELRULE, addr, table, LWT_DECAP_PRIO);
}

/* The IPv6 rules to table at priority prio (the libnl cache may hold the
 * IPv4 ones too): how many, each deleted first if del; or -errno. */
static int rules_to(struct nl_sock *sk, uint32_t table, uint32_t prio, int del)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int n = 0, rc = netconf_nl2errno(rtnl_rule_alloc_cache(sk, AF_INET6, &cache));

	if (rc < 0)
		return rc;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *r = (struct rtnl_rule *)o;

		if (rtnl_rule_get_family(r) != AF_INET6 || rtnl_rule_get_table(r) != table ||
		    rtnl_rule_get_prio(r) != prio)
			continue;
		if (del && (rc = netconf_nl2errno(rtnl_rule_delete(sk, r, 0))) < 0 && rc != -ENOENT)
			break;
		rc = 0;
		n++;
	}
	nl_cache_free(cache);
	return rc < 0 ? rc : n;
}

int lwt_decap_rule_flush(struct nl_sock *sk, uint32_t table)
{
	return rules_to(sk, table, LWT_DECAP_PRIO, 1);
}

static int local_rules_at(struct nl_sock *sk, uint32_t prio)
{
	return rules_to(sk, RT_TABLE_LOCAL, prio, 0);
}

/*
 * Checked against the rules there, not assumed: adding a rule "like" the
 * kernel's own (which has protocol kernel) is no duplicate to the kernel,
 * so blind adds and deletes could leave two, or none.
 */
int lwt_move_local_rule(struct nl_sock *sk, int restore)
{
	uint32_t from = restore ? LWT_LOCAL_PRIO : 0, to = restore ? 0 : LWT_LOCAL_PRIO;
	int rc, n;

	if (restore && (n = local_rules_at(sk, from)) <= 0)
		return n; /* never moved (or -errno) */
	if ((n = local_rules_at(sk, to)) < 0)
		return n;
	if (n == 0 && (rc = rule_msg(sk, RTM_NEWRULE, NULL, RT_TABLE_LOCAL, to)) < 0)
		return rc;
	for (int i = 0; i < 4 && (n = local_rules_at(sk, from)) > 0; i++)
		if ((rc = rule_msg(sk, RTM_DELRULE, NULL, RT_TABLE_LOCAL, from)) < 0)
			return rc;
	return n < 0 ? n : 0;
}
