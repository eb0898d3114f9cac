/* SPDX-License-Identifier: MIT */
/* tunnel_mtu.c — the tunnel device fitted to the link (see tunnel_mtu.h). */
#include "tunnel_mtu.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define OVERHEAD_IP6IP6 40 /* the outer IPv6 header */
#define OVERHEAD_UDP 48    /* and a UDP header */

int tunnel_mtu_for(int link_mtu, enum odm_tunnel_encap encap, int max)
{
	int want = link_mtu - (encap == ODM_ENCAP_UDP ? OVERHEAD_UDP : OVERHEAD_IP6IP6);

	if (want > max)
		want = max;
	return want < TUNNEL_MTU_MIN ? TUNNEL_MTU_MIN : want;
}

static int mtu_ioctl(unsigned long req, const char *ifname, int *mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = *mtu;
	if (ioctl(s, req, &ifr) < 0)
		rc = -errno;
	else
		*mtu = ifr.ifr_mtu;
	close(s);
	return rc;
}

int tunnel_link_mtu(int ifindex)
{
	char name[IF_NAMESIZE];
	int mtu = 0, rc;

	if (ifindex <= 0 || !if_indextoname((unsigned)ifindex, name))
		return -ENODEV;
	rc = mtu_ioctl(SIOCGIFMTU, name, &mtu);
	return rc < 0 ? rc : mtu;
}

int tunnel_fit_link(struct odm_tunnel *t, int link_mtu, const char *why)
{
	int want, old = t->mtu, rc;

	if (!t->mtu_max)
		t->mtu_max = t->mtu; /* what open set: a 1500-byte path */
	if (link_mtu <= 0)
		return -EINVAL;
	want = tunnel_mtu_for(link_mtu, t->encap, t->mtu_max);
	if (want == t->mtu)
		return 0;
	rc = mtu_ioctl(SIOCSIFMTU, t->ifname, &want);
	if (rc < 0) {
		log_warn(rc, "setting the MTU of %s to %d", t->ifname, want);
		return rc;
	}
	t->mtu = want;
	log_info("tunnel %s: MTU %d -> %d, to fit %s (MTU %d)", t->ifname, old, want,
		 why ? why : "the link", link_mtu);
	return 1;
}
