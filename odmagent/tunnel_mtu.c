/* SPDX-License-Identifier: MIT */
/* tunnel_mtu.c — the tunnel device fitted to the link (see tunnel_mtu.h). */
#include "tunnel_mtu.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "tunnel_dev.h"
#include "tunnel_udp.h"

static int overhead(enum odm_tunnel_encap encap)
{
	return encap == ODM_ENCAP_UDP ? TUDP_OVERHEAD : TUNNEL_IP6IP6_OVERHEAD;
}

int tunnel_mtu_for(int link_mtu, enum odm_tunnel_encap encap, int max)
{
	int want = link_mtu - overhead(encap);

	if (want > max)
		want = max;
	return want < TUNNEL_MTU_MIN ? TUNNEL_MTU_MIN : want;
}

/* the IPv6 MTU of the link (an RA's MTU option sets it below the
 * device's: a PPPoE router tells its Ethernet LAN 1492 that way), 0 if
 * unknown */
static int ipv6_mtu(const char *name)
{
	char path[96], buf[16];
	FILE *f;
	int mtu = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/mtu", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%d", &mtu) != 1)
		mtu = 0;
	fclose(f);
	return mtu;
}

int tunnel_link_mtu(int ifindex)
{
	char name[IF_NAMESIZE];
	int mtu = 0, v6, rc;

	if (ifindex <= 0 || !if_indextoname((unsigned)ifindex, name))
		return -ENODEV;
	rc = tunnel_dev_mtu(SIOCGIFMTU, name, &mtu);
	if (rc < 0)
		return rc;
	v6 = ipv6_mtu(name);
	return v6 > 0 && v6 < mtu ? v6 : mtu;
}

int tunnel_pmtu_take(int cap, uint32_t mtu, int dev_mtu)
{
	if (mtu < TUNNEL_MTU_MIN || dev_mtu <= 0 ||
	    mtu >= (uint32_t)dev_mtu + TUNNEL_IP6IP6_OVERHEAD)
		return 0;
	if (cap > 0 && (uint32_t)cap <= mtu)
		return 0;
	return (int)mtu; /* below the device's + 40: a link's size */
}

int tunnel_pmtu_aged(uint64_t learnt_ms, uint64_t now_ms)
{
	return learnt_ms != 0 && now_ms >= learnt_ms && now_ms - learnt_ms >= TUNNEL_PMTU_AGE_MS;
}

/*
 * A path that cannot carry IPv6's 1280 bytes and the encapsulation (RFC
 * 2473 section 7): the device stays at 1280, and an inner packet that does
 * not fit goes in fragments, or is lost where the backend cannot fragment.
 * Said once per such MTU.
 */
static void small_path(struct odm_tunnel *t, int link_mtu, const char *why)
{
	int fits = link_mtu - overhead(t->encap);

	t->small_told = link_mtu;
	if (t->ops && t->ops->outer_frag)
		log_info("tunnel %s: %s carries %d bytes, less than IPv6's 1280 and the "
			 "encapsulation: outer packets of inner packets over %d bytes go in "
			 "fragments (RFC 2473 section 7)", t->ifname, why ? why : "the link",
			 link_mtu, fits);
	else if (t->ops && t->ops->path)
		log_warnx("tunnel %s: %s carries %d bytes, less than IPv6's 1280 and the "
			  "encapsulation: the %s backend cannot fragment outer packets (RFC 2473 "
			  "section 7; see odmagent(8), Tunnel MTU): TCP connections made from now on "
			  "agree on segments that fit (MSS %d), other inner packets over %d bytes are "
			  "LOST: the userspace backend fragments them", t->ifname,
			  why ? why : "the link", link_mtu, t->ops->name, fits - 60, fits);
	else
		log_warnx("tunnel %s: %s carries %d bytes, less than IPv6's 1280 and the "
			  "encapsulation: inner packets over %d bytes are LOST, as the %s backend "
			  "cannot fragment outer packets (RFC 2473 section 7; see odmagent(8), "
			  "Tunnel MTU): the userspace backend can", t->ifname,
			  why ? why : "the link", link_mtu, fits, t->ops ? t->ops->name : "?");
}

int tunnel_fit_link(struct odm_tunnel *t, int link_mtu, const char *why)
{
	int want, old = t->mtu, rc, fits;

	if (!t->mtu_max)
		t->mtu_max = t->mtu; /* what open set: a 1500-byte path */
	if (link_mtu <= 0)
		return -EINVAL;
	want = tunnel_mtu_for(link_mtu, t->encap, t->mtu_max);
	fits = link_mtu - overhead(t->encap);
	fits = fits < TUNNEL_MTU_MIN && t->ops && !t->ops->outer_frag ? fits : 0;
	if (fits != t->inner_max) {
		t->inner_max = fits;
		if (t->ops && t->ops->path)
			t->ops->path(t);
	}
	if (link_mtu - overhead(t->encap) >= TUNNEL_MTU_MIN)
		t->small_told = 0;
	else if (t->small_told != link_mtu)
		small_path(t, link_mtu, why);
	if (want == t->mtu)
		return 0;
	rc = tunnel_dev_mtu(SIOCSIFMTU, t->ifname, &want);
	if (rc < 0) {
		log_warn(rc, "setting the MTU of %s to %d", t->ifname, want);
		return rc;
	}
	t->mtu = want;
	log_info("tunnel %s: MTU %d -> %d, to fit %s (MTU %d)", t->ifname, old, want,
		 why ? why : "the link", link_mtu);
	return 1;
}

int tunnel_mtu_keep(struct odm_tunnel *t)
{
	int now, rc;

	if (!t->mtu || tunnel_dev_mtu(SIOCGIFMTU, t->ifname, &now) < 0)
		return 0; /* no answer (the device gone: devwatch.h): nothing known */
	/* below IPv6's minimum the kernel took the device's IPv6, addresses and
	 * routes with it: devwatch.h starts the agent again, which sets it up
	 * anew; set back here, the device would get IPv6 again without them */
	if (now < TUNNEL_MTU_MIN)
		return 0;
	if (now == t->mtu) {
		t->mtu_keep_told = 0;
		return 0;
	}
	rc = tunnel_dev_mtu(SIOCSIFMTU, t->ifname, &t->mtu);
	if (rc < 0) {
		if (!t->mtu_keep_told)
			log_warn(rc, "tunnel %s: its MTU was set to %d by someone else, and cannot be "
				 "set back to %d: packets the link cannot carry may be lost",
				 t->ifname, now, t->mtu);
		t->mtu_keep_told = 1;
		return rc;
	}
	t->mtu_keep_told = 0;
	log_warnx("tunnel %s: its MTU was set to %d by someone else: set back to %d (fitted to "
		  "the link)", t->ifname, now, t->mtu);
	return 1;
}
