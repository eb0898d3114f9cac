/* SPDX-License-Identifier: MIT */
/* tunnel_dev.c — the TUN device of a tunnel backend (see tunnel_dev.h). */
#include "tunnel_dev.h"

#include <errno.h>
#include <net/if.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define TXQLEN 1000

static int write_sysctl(const char *ifname, const char *key, const char *val)
{
	char path[128];
	int fd, rc = 0;

	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * MTU, queue length and up via the classic interface ioctls; addrgenmode
 * none via sysctl before the link goes up, so the kernel never creates a
 * link-local address and sends no RS/MLD into the tunnel.
 */
int tunnel_dev_mtu(unsigned long req, const char *ifname, int *mtu)
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

int tunnel_dev_setup(struct odm_tunnel *t)
{
	struct ifreq ifr;
	int s, rc, mtu = t->mtu;

	/* the MTU first: a device left below 1280 has no IPv6 (devwatch.h),
	 * and so none of the settings below, until it is 1280 or more */
	rc = tunnel_dev_mtu(SIOCSIFMTU, t->ifname, &mtu);
	if (rc < 0) {
		log_warn(rc, "SIOCSIFMTU %d on %s", t->mtu, t->ifname);
		return rc;
	}
	/* IPv6 disabled on a device left by a run that was started again
	 * for it (devwatch.h) */
	(void)write_sysctl(t->ifname, "disable_ipv6", "0");
	rc = write_sysctl(t->ifname, "addr_gen_mode", "1");
	if (rc < 0)
		log_warn(rc, "addr_gen_mode of %s", t->ifname);
	(void)write_sysctl(t->ifname, "accept_ra", "0");
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", t->ifname);
	ifr.ifr_qlen = TXQLEN;
	if (ioctl(s, SIOCSIFTXQLEN, &ifr) < 0)
		log_warn(errno, "txqueuelen of %s", t->ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		rc = -errno;
		log_warn(rc, "bringing %s up", t->ifname);
	}
out:
	close(s);
	return rc;
}

static int dev_open(struct odm_tunnel *t, short extra)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | extra;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", t->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	snprintf(t->ifname, sizeof t->ifname, "%s", ifr.ifr_name);
	return fd;
}

int tunnel_dev_open(struct odm_tunnel *t)
{
	return dev_open(t, 0);
}

/*
 * The offloads are the device's features as the stack sees them: with
 * TSO6 the kernel hands over TCP super-packets instead of MTU-sized ones.
 * A kernel that refuses them still gives vnet headers, just never a
 * super-packet, so only a failed attach is an error.
 */
int tunnel_dev_open_offload(struct odm_tunnel *t, int *offloaded)
{
	int fd = dev_open(t, IFF_VNET_HDR), sz = (int)sizeof(struct virtio_net_hdr);

	*offloaded = 0;
	if (fd < 0)
		return fd;
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO6)) < 0)
		log_warn(errno, "TSO6 and checksum offload on %s", t->ifname);
	else
		*offloaded = 1;
	return fd;
}

int tunnel_dev_persist(int fd, int on)
{
	return ioctl(fd, TUNSETPERSIST, on ? 1L : 0L) < 0 ? -errno : 0;
}

void tunnel_dev_drop(struct odm_tunnel *t)
{
	int fd = tunnel_dev_open(t);

	if (fd < 0)
		return;
	(void)tunnel_dev_persist(fd, 0);
	close(fd); /* the last user gone, the device goes */
}

int tunnel_dev_persistent(struct odm_tunnel *t, int mtu)
{
	int fd = tunnel_dev_open(t), rc;

	if (fd < 0)
		return fd;
	rc = tunnel_dev_persist(fd, 1);
	close(fd);
	if (rc < 0)
		return rc;
	t->mtu = mtu;
	rc = tunnel_dev_setup(t);
	if (rc < 0)
		return rc;
	t->ifindex = (int)if_nametoindex(t->ifname);
	return t->ifindex > 0 ? 0 : -errno;
}
