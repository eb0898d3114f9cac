/* SPDX-License-Identifier: MIT */
/*
 * linkprep_agent.c — sysctl writes and Router Solicitations for the access
 * links (see linkprep_agent.h; the decisions are linkprep.c's).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <net/if_arp.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "linkprep.h"
#include "linkprep_agent.h"
#include "log.h"
#include "monotime.h"
#include "netconf.h"

struct linkprep_agent {
	struct linkprep lp;
	struct movement *mv;
	uv_timer_t timer;  /* the next solicitation */
	int fd;            /* packet socket for solicitations, -1 without */
};

/* "/proc/sys/net/ipv6/conf/IF/KEY" into path; -EINVAL for a name that is
 * not a plain interface name */
static int knob_path(char *path, size_t cap, const char *ifname, const char *key)
{
	int n;

	if (!ifname[0] || strchr(ifname, '/') || strcmp(ifname, ".") == 0 ||
	    strcmp(ifname, "..") == 0)
		return -EINVAL;
	n = snprintf(path, cap, "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	return n > 0 && (size_t)n < cap ? 0 : -EINVAL;
}

/* The sysctl's integer value, or -errno */
static int knob_read(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), v;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return sscanf(buf, "%d", &v) == 1 && v >= 0 ? v : -EIO;
}

static int knob_write(const char *path, int v)
{
	char buf[16];
	int fd = open(path, O_WRONLY | O_CLOEXEC), n, rc = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", v);
	if (write(fd, buf, (size_t)n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

/* The knobs of group g on ifname, what for (logs): one line saying what
 * changed (old -> new). -EINVAL for a name that is no interface's. */
static int set_group(const struct linkprep *lp, const char *ifname, enum linkprep_group g,
		     const char *what)
{
	char path[128], said[160] = "";
	size_t used = 0;

	for (size_t i = 0; i < LINKPREP_KNOBS; i++) {
		const struct linkprep_knob *k = &linkprep_knobs[i];
		int cur, w, rc;

		if (k->group != g || !linkprep_knob_on(lp, k))
			continue;
		if ((rc = knob_path(path, sizeof(path), ifname, k->name)) < 0) {
			log_warnx("%s: not an interface name for net.ipv6.conf, left alone", ifname);
			return rc;
		}
		cur = knob_read(path);
		w = linkprep_knob_write(k, cur);
		if (w < 0)
			continue;
		if ((rc = knob_write(path, w)) < 0) {
			log_warn(rc, "%s: %s: cannot set %s to %d (carrying on without)", ifname,
				 what, path, w);
			continue;
		}
		if (cur < 0)
			used += (size_t)snprintf(said + used, sizeof(said) - used, "%s%s ? -> %d",
						 used ? ", " : "", k->name, w);
		else
			used += (size_t)snprintf(said + used, sizeof(said) - used, "%s%s %d -> %d",
						 used ? ", " : "", k->name, cur, w);
		if (used >= sizeof(said))
			used = sizeof(said) - 1;
	}
	if (used)
		log_info("%s: %s: %s", ifname, what, said);
	return 0;
}

/* The sysctls of ifname whose options are on (linkprep.h) */
static void set_sysctls(const struct linkprep *lp, const char *ifname)
{
	if (lp->optimistic &&
	    set_group(lp, ifname, LINKPREP_OPTIMISTIC,
		      "optimistic DAD (RFC 4429) for faster moves") < 0)
		return;
	if (lp->linkdown)
		(void)set_group(lp, ifname, LINKPREP_LINKDOWN,
				"no route through it while it has no carrier (ignore-linkdown)");
}

/* 1 for an address a Router Advertisement could have given: neither
 * link-local nor loopback */
static int ra_given(void *arg, const struct addrmsg *m)
{
	(void)arg;
	return !IN6_IS_ADDR_LINKLOCAL(&m->addr) && !IN6_IS_ADDR_LOOPBACK(&m->addr);
}

/* 1 if the interface has a global address (tentative or not): a Router
 * Advertisement was heard */
static int answered(int ifindex)
{
	return ifindex > 0 && netconf_addr_each(ifindex, ra_given, NULL) == 1;
}

/* frame (an IPv6 packet of len bytes) out of ifindex to MAC dst */
static int send_frame(struct linkprep_agent *la, int ifindex, const uint8_t dst[ETH_ALEN],
		      const uint8_t *frame, size_t len)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_IPV6),
				  .sll_ifindex = ifindex,
				  .sll_halen = ETH_ALEN };

	memcpy(to.sll_addr, dst, ETH_ALEN);
	if (sendto(la->fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* The solicitation as a link-layer frame to 33:33:00:00:00:02, the
 * all-routers group's MAC (RFC 2464 7): the kernel's IPv6 output would
 * refuse it while the link has no usable source address (a tentative
 * link-local one), which is when it is needed most */
static int send_rs(struct linkprep_agent *la, int ifindex)
{
	static const uint8_t all_routers[ETH_ALEN] = { 0x33, 0x33, 0, 0, 0, 2 };
	uint8_t pkt[LINKPREP_RS_LEN];
	size_t len = linkprep_rs_packet(pkt, sizeof(pkt));

	return send_frame(la, ifindex, all_routers, pkt, len);
}

/* The index and the MAC of Ethernet interface ifname, asked on the socket
 * at hand: 0 or -errno */
static int ether_if(struct linkprep_agent *la, const char *ifname, int *ifindex,
		    uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr = { 0 };

	if (!la || la->fd < 0)
		return -EBADF;
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -EINVAL;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(la->fd, SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(la->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return -EAFNOSUPPORT; /* no MAC to tell (a tun, a point-to-point link) */
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 0;
}

int linkprep_agent_announce(struct linkprep_agent *la, const char *ifname,
			    const struct in6_addr *addr)
{
	static const uint8_t all_nodes[ETH_ALEN] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t pkt[LINKPREP_NA_LEN], mac[ETH_ALEN];
	int ifindex, rc = ether_if(la, ifname, &ifindex, mac);

	if (rc < 0)
		return rc;
	return send_frame(la, ifindex, all_nodes, pkt, linkprep_na_packet(pkt, sizeof(pkt), addr, mac));
}

int linkprep_agent_solicit(struct linkprep_agent *la, const char *ifname,
			   const struct in6_addr *addr, const struct in6_addr *router)
{
	uint8_t pkt[LINKPREP_NS_LEN], mac[ETH_ALEN], group[ETH_ALEN];
	int ifindex, rc = ether_if(la, ifname, &ifindex, mac);

	if (rc < 0)
		return rc;
	linkprep_solicited_mac(group, router);
	return send_frame(la, ifindex, group, pkt,
			  linkprep_ns_packet(pkt, sizeof(pkt), addr, router, mac));
}

static void on_timer(uv_timer_t *t);

static void rearm(struct linkprep_agent *la)
{
	uint64_t next = linkprep_next_ms(&la->lp), now = mono_ms();

	if (!next)
		uv_timer_stop(&la->timer);
	else
		uv_timer_start(&la->timer, on_timer, next > now ? next - now : 0, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct linkprep_agent *la = t->data;
	uint64_t now = mono_ms();
	int ifx;

	while ((ifx = linkprep_rs_due(&la->lp, now)) != 0) {
		int rc;

		if (!linkprep_rs_take(&la->lp, ifx, answered(ifx), now))
			continue;
		rc = send_rs(la, ifx);
		/* a link that went down again before its solicitation (a flap)
		 * is no fault of anyone's: said at the debug level */
		if (rc == -ENETDOWN)
			log_debug("interface %d: Router Solicitation: the link went down again", ifx);
		else if (rc < 0)
			log_warn(rc, "interface %d: Router Solicitation", ifx);
		else
			log_debug("interface %d: Router Solicitation sent", ifx);
		linkprep_rs_result(&la->lp, ifx, rc, now);
	}
	rearm(la);
}

static void on_link(void *arg, int ifindex, unsigned flags, unsigned short type,
		    unsigned mtu, const char *name, int gone)
{
	struct linkprep_agent *la = arg;
	char buf[IF_NAMESIZE];
	unsigned act;

	if (gone) {
		linkprep_gone(&la->lp, ifindex);
		return;
	}
	act = linkprep_link(&la->lp, ifindex, flags, type, mono_ms());
	/* IPv6 taken off by an MTU below 1280 and given back: the kernel's
	 * net.ipv6.conf.IF is new, set again; none to set while it is off */
	act |= linkprep_mtu(&la->lp, ifindex, mtu);
	if (!linkprep_has_ipv6(&la->lp, ifindex))
		act &= ~(unsigned)LINKPREP_SET_SYSCTLS;
	/* the name the interface has now, not the one the event or dump
	 * said: udev renames a new interface (eth0 -> enp3s0) at once, and
	 * an event read after that would name a sysctl directory that is
	 * gone, or another interface's that took the name since */
	(void)name;
	if ((act & LINKPREP_SET_SYSCTLS) && !if_indextoname((unsigned)ifindex, buf))
		log_debug("interface %d gone before its sysctls were set", ifindex);
	else if (act & LINKPREP_SET_SYSCTLS)
		set_sysctls(&la->lp, buf);
	if (act & LINKPREP_SOLICIT)
		on_timer(&la->timer); /* due now: at once, not a loop turn later */
}

/* The interfaces there already: one link dump */
static void dump_links(struct linkprep_agent *la)
{
	struct nl_sock *s = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int rc;

	if (!s)
		return;
	if ((rc = nl_connect(s, NETLINK_ROUTE)) < 0 ||
	    (rc = rtnl_link_alloc_cache(s, AF_UNSPEC, &cache)) < 0) {
		log_warnx("link dump: %s (interfaces are prepared as they change)", nl_geterror(rc));
		nl_socket_free(s);
		return;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(l);

		on_link(la, rtnl_link_get_ifindex(l), rtnl_link_get_flags(l),
			(unsigned short)rtnl_link_get_arptype(l), rtnl_link_get_mtu(l),
			name ? name : "", 0);
	}
	nl_cache_free(cache);
	nl_socket_free(s);
}

int linkprep_agent_open(struct linkprep_agent **out, uv_loop_t *loop, struct movement *mv,
			int skip_ifindex, int optimistic, int solicit, int linkdown)
{
	struct linkprep_agent *la;

	*out = NULL;
	if (!optimistic && !solicit && !linkdown)
		return 0;
	la = calloc(1, sizeof(*la));
	if (!la)
		return -ENOMEM;
	linkprep_init(&la->lp, skip_ifindex, optimistic, solicit, linkdown);
	la->mv = mv;
	la->fd = -1;
	if (solicit) {
		/* protocol 0: sends only, receives nothing */
		la->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (la->fd < 0) {
			log_warn(-errno, "router-solicit: packet socket (carrying on without)");
			la->lp.solicit = 0;
		}
	}
	uv_timer_init(loop, &la->timer);
	la->timer.data = la;
	dump_links(la);
	movement_watch_links(mv, on_link, la);
	*out = la;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void linkprep_agent_close(struct linkprep_agent *la)
{
	if (!la)
		return;
	movement_watch_links(la->mv, NULL, NULL);
	uv_timer_stop(&la->timer);
	if (la->fd >= 0)
		close(la->fd);
	la->fd = -1;
	uv_close((uv_handle_t *)&la->timer, on_closed);
}
