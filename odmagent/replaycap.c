/* SPDX-License-Identifier: MIT */
/* replaycap.c — the anchor's replay on the kernel data path (see replaycap.h). */
#include "replaycap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capfilter.h"
#include "capframe.h"
#include "log.h"
#include "monotime.h"
#include "pollerr.h"
#include "replay.h"

/* The kernel's ring: 512 blocks of 16 KiB (8 MiB). A block is handed over
 * when full (10 packets of 1500 bytes) or REPLAYCAP_TOV_MS after its first
 * packet: a slow stream takes a block every 2 ms, so the agent may fall
 * about a second behind (a busy loop, a restart's work) before the kernel
 * must skip copies; a fast one fills them, 5 000 packets' worth. */
#define BLOCK_SIZE (1u << 14)
#define BLOCK_NR 512u
#define FRAME_SIZE 2048u
/* replays waiting for the kernel's last block; more replay at once */
#define PENDING_MAX 64

struct capstats {
	uint64_t kept;      /* packets put in the replay ring */
	uint64_t heads;     /* of them, the heads of longer ones (capframe.h) */
	uint64_t refused;   /* captured but not kept (capframe_check) */
	uint64_t replayed;  /* sent again */
};

struct pending {
	struct in6_addr inner, remote;
	uint64_t since_ms, asked_ms;
	int same;           /* remote is the care-of address the outage hit */
	const char *why;
};

struct replaycap {
	uv_loop_t *loop;
	/* when the backend's last bind began, and for what (replaycap_bind_began) */
	uint64_t bind_ms;
	struct in6_addr bind_inner;
	int fd, raw_fd;
	uint8_t *ring;
	size_t ring_len;
	unsigned cur;              /* the block handed over next */
	uv_poll_t poll;
	uv_timer_t timer;
	int handles;               /* freed when the last close callback ran */
	struct replay_ring *kept;
	struct pending pend[PENDING_MAX];
	size_t npend;
	replaycap_done_fn done;
	void *arg;
	struct capstats st;
	uint8_t buf[REPLAYCAP_PKT_MAX];
};

static int set_filter(struct replaycap *c, const struct in6_addr *src)
{
	struct sock_filter prog[CAPFILTER_LEN];
	struct sock_fprog fp = { .filter = prog };

	fp.len = (unsigned short)capfilter_build(prog, CAPFILTER_LEN, src, REPLAYCAP_PKT_MAX,
						  REPLAYCAP_HEAD_LEN);
	if (fp.len == 0)
		return -EINVAL;
	return setsockopt(c->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0 ? -errno : 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void keep(struct replaycap *c, const struct tpacket3_hdr *h, uint64_t real_ns,
		 uint64_t mono_ns)
{
	const uint8_t *data = (const uint8_t *)h + h->tp_net;
	struct capframe f;
	size_t n = h->tp_snaplen;

	if (n > sizeof c->buf)
		n = sizeof c->buf; /* refused below: captured length != its length */
	memcpy(c->buf, data, n);
	if (capframe_check(c->buf, n, h->tp_len, REPLAYCAP_PKT_MAX,
			   (h->tp_status & TP_STATUS_CSUMNOTREADY) != 0, &f) < 0) {
		c->st.refused++;
		return;
	}
	replay_record(c->kept, &f.inner_dst,
		      capframe_mono_ms(h->tp_sec, h->tp_nsec, real_ns, mono_ns), c->buf, n);
	c->st.kept++;
	c->st.heads += (uint64_t)f.head;
}

/* Take every block the kernel handed over into the replay ring. */
static void drain(struct replaycap *c)
{
	uint64_t real_ns = clock_ns(CLOCK_REALTIME), mono_ns = clock_ns(ODM_CLOCK);

	for (unsigned i = 0; i < BLOCK_NR; i++) {
		struct tpacket_block_desc *b =
			(struct tpacket_block_desc *)(c->ring + (size_t)c->cur * BLOCK_SIZE);
		size_t off;

		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		/* the kernel's offsets, still kept inside the block */
		off = b->hdr.bh1.offset_to_first_pkt;
		for (uint32_t k = 0; k < b->hdr.bh1.num_pkts; k++) {
			const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)((uint8_t *)b + off);

			if (off + sizeof *h > BLOCK_SIZE ||
			    off + h->tp_net + (size_t)h->tp_snaplen > BLOCK_SIZE) {
				c->st.refused += b->hdr.bh1.num_pkts - k;
				break;
			}
			keep(c, h, real_ns, mono_ns);
			off += h->tp_next_offset;
		}
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		c->cur = (c->cur + 1) % BLOCK_NR;
	}
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	(void)events;
	if (status < 0)
		(void)pollerr_resume(h, UV_READABLE, on_readable, "the replay capture's socket");
	drain(h->data);
}

struct send_ctx {
	struct replaycap *c;
	const struct in6_addr *remote;
	int same;
	size_t sent;
};

static int send_one(void *arg, const uint8_t *pkt, size_t len)
{
	struct send_ctx *s = arg;
	struct replaycap *c = s->c;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = *s->remote };

	/* already sent the new way: after the route's replacement (the
	 * same way, when the outage was the care-of address's own) */
	if (!s->same && memcmp(pkt + 24, s->remote, sizeof *s->remote) == 0)
		return 0;
	memcpy(c->buf, pkt, len);
	capframe_retarget(c->buf, s->remote);
	if (sendto(c->raw_fd, c->buf, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) !=
	    (ssize_t)len)
		return 0;
	s->sent++;
	return 1;
}

static void replay_now(struct replaycap *c, const struct pending *p)
{
	struct send_ctx s = { c, &p->remote, p->same, 0 };
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t n = replay_since(c->kept, &p->inner, p->since_ms, send_one, &s);

	c->st.replayed += s.sent;
	if (n)
		log_info("replayed %zu of %zu packets for %s to %s (kernel path, sent in the "
			 "last %llu ms; %s)",
			 s.sent, n, inet_ntop(AF_INET6, &p->inner, a, sizeof a),
			 inet_ntop(AF_INET6, &p->remote, b, sizeof b),
			 (unsigned long long)(p->asked_ms - p->since_ms), p->why);
	if (c->done)
		c->done(c->arg, &p->inner, s.sent);
}

static void replay_pending(struct replaycap *c)
{
	drain(c);
	for (size_t i = 0; i < c->npend; i++)
		replay_now(c, &c->pend[i]);
	c->npend = 0;
}

static void on_timer(uv_timer_t *h)
{
	replay_pending(h->data);
}

static void on_closed(uv_handle_t *h)
{
	struct replaycap *c = h->data;

	if (--c->handles == 0)
		free(c);
}

static void release(struct replaycap *c)
{
	if (c->ring)
		munmap(c->ring, c->ring_len);
	c->ring = NULL;
	if (c->fd >= 0)
		close(c->fd);
	if (c->raw_fd >= 0)
		close(c->raw_fd);
	c->fd = c->raw_fd = -1;
	replay_close(c->kept);
	c->kept = NULL;
}

static int setup(struct replaycap *c)
{
	struct tpacket_req3 req = {
		.tp_block_size = BLOCK_SIZE,
		.tp_block_nr = BLOCK_NR,
		.tp_frame_size = FRAME_SIZE,
		.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR,
		.tp_retire_blk_tov = REPLAYCAP_TOV_MS,
	};
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int v = TPACKET_V3, rc;

	/* protocol 0: nothing arrives before the filter is in place and bind */
	c->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if ((rc = set_filter(c, NULL)) < 0)
		return rc;
	if (setsockopt(c->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0 ||
	    setsockopt(c->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
		return -errno;
	c->ring_len = (size_t)BLOCK_SIZE * BLOCK_NR;
	c->ring = mmap(NULL, c->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->ring == MAP_FAILED) {
		c->ring = NULL;
		return -errno;
	}
	if (bind(c->fd, (struct sockaddr *)&ll, sizeof ll) < 0)
		return -errno;
	/* sends whole IPv6 packets (raw(7), ipv6(7)); receives nothing */
	c->raw_fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (c->raw_fd < 0)
		return -errno;
	return replay_open_sized(&c->kept, REPLAYCAP_SLOTS, REPLAYCAP_PKT_MAX);
}

int replaycap_open(struct replaycap **out, uv_loop_t *loop, replaycap_done_fn done, void *arg)
{
	struct replaycap *c = calloc(1, sizeof *c);
	int rc;

	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->fd = c->raw_fd = -1;
	c->done = done;
	c->arg = arg;
	rc = setup(c);
	if (rc < 0 || (rc = uv_poll_init_socket(loop, &c->poll, c->fd)) < 0) {
		release(c);
		free(c);
		return rc;
	}
	c->poll.data = c;
	c->handles++;
	if ((rc = uv_timer_init(loop, &c->timer)) < 0) {
		release(c);
		uv_close((uv_handle_t *)&c->poll, on_closed);
		return rc;
	}
	c->timer.data = c;
	c->handles++;
	if ((rc = uv_poll_start(&c->poll, UV_READABLE, on_readable)) < 0) {
		replaycap_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void replaycap_close(struct replaycap *c)
{
	struct tpacket_stats_v3 ks = { 0 };
	socklen_t len = sizeof ks;

	if (!c)
		return;
	if (getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) < 0)
		ks.tp_drops = 0;
	log_info("capture: %llu packets kept (%llu the heads of longer ones), %llu refused, "
		 "%u lost to a full ring, %llu sent again",
		 (unsigned long long)c->st.kept, (unsigned long long)c->st.heads,
		 (unsigned long long)c->st.refused, ks.tp_drops,
		 (unsigned long long)c->st.replayed);
	uv_close((uv_handle_t *)&c->poll, on_closed); /* frees c, later */
	uv_close((uv_handle_t *)&c->timer, on_closed);
	release(c);
}

int replaycap_source(struct replaycap *c, const struct in6_addr *src)
{
	return c ? set_filter(c, src) : -EINVAL;
}

void replaycap_bind_began(struct replaycap *c, const struct in6_addr *inner, uint64_t now_ms)
{
	if (!c)
		return;
	c->bind_ms = now_ms;
	c->bind_inner = *inner;
}

void replaycap_binding_moved(struct replaycap *c, const struct tunnel_entry *e, int has_lost,
			     uint32_t lost_ago_ms, int same)
{
	uint64_t at;

	if (!c)
		return;
	at = c->bind_ms && IN6_ARE_ADDR_EQUAL(&c->bind_inner, &e->inner) ? c->bind_ms : mono_ms();
	replaycap_moved(c, &e->inner, &e->remote,
			replay_from_ms(at, has_lost, lost_ago_ms, e->st.last_rx_ms), same,
			has_lost ? "the host's outage" : "no outage given: since last heard from");
}

void replaycap_moved(struct replaycap *c, const struct in6_addr *inner,
		     const struct in6_addr *remote, uint64_t since_ms, int same, const char *why)
{
	struct pending *p;

	if (!c)
		return;
	if (c->npend == PENDING_MAX)
		replay_pending(c); /* sooner than asked: at worst a packet short */
	p = &c->pend[c->npend++];
	p->inner = *inner;
	p->remote = *remote;
	p->since_ms = since_ms;
	p->same = same;
	p->asked_ms = mono_ms();
	p->why = why;
	/* the kernel's current block is handed over by then (at its timeout) */
	if (c->npend == 1)
		uv_timer_start(&c->timer, on_timer, REPLAYCAP_TOV_MS + 1, 0);
}

void replaycap_forget(struct replaycap *c, const struct in6_addr *inner)
{
	size_t j = 0;

	if (!c)
		return;
	replay_forget(c->kept, inner);
	for (size_t i = 0; i < c->npend; i++)
		if (memcmp(&c->pend[i].inner, inner, sizeof *inner) != 0)
			c->pend[j++] = c->pend[i];
	c->npend = j;
}
