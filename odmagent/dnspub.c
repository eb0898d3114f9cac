/* SPDX-License-Identifier: MIT */
/*
 * dnspub.c — the host's DNS registration over UDP (see dnspub.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "addrtext.h"
#include "dnspub.h"
#include "dnsupdate.h"
#include "events.h"
#include "log.h"
#include "monotime.h"

struct dnspub {
	uv_loop_t *loop;
	uv_udp_t udp;
	uv_timer_t timer;
	struct events *ev;
	struct dnsupd_cfg cfg;
	struct sockaddr_in6 server;
	bool have_want, is_published, in_flight;
	struct in6_addr want, published;
	struct dnsupd_msg msg;
	unsigned attempt;          /* failures in a row */
	uint64_t sent_ms, retry_at_ms;
	uint64_t n_ok, n_failed, n_ignored;
	uint32_t last_rtt_ms;
	int64_t last_ok_wall_ms;
	char last_error[80];
	char unverified[48];       /* what an unverified answer said, this attempt */
	uint8_t rbuf[4096];
	int handles_open;
};

uint32_t dnspub_retry_ms(unsigned attempt, uint32_t rnd)
{
	uint64_t base = DNSPUB_RETRY_MIN_MS;

	for (unsigned i = 1; i < attempt && base < DNSPUB_RETRY_MAX_MS; i++)
		base *= 2;
	if (base > DNSPUB_RETRY_MAX_MS)
		base = DNSPUB_RETRY_MAX_MS;
	return (uint32_t)(base + rnd % (base / 4 + 1));
}

static uint32_t rnd32(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)mono_us();
	return r;
}

static void send_now(struct dnspub *d);
static void on_timer(uv_timer_t *t);

static void fail(struct dnspub *d, const char *why)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN];
	uint32_t wait;

	d->in_flight = false;
	d->attempt++;
	d->n_failed++;
	snprintf(d->last_error, sizeof(d->last_error), "%s", why);
	wait = dnspub_retry_ms(d->attempt, rnd32());
	d->retry_at_ms = mono_ms() + wait;
	log_warnx("DNS update of %s to %s failed: %s; retry in %u ms (server %s, attempt %u)",
		  d->cfg.name, ntop6(&d->want, a1), why, wait, ntop6(&d->cfg.server, a2),
		  d->attempt);
	events_emit(d->ev, "dns-failed",
		    json_pack("{s:s, s:s, s:s, s:i}", "name", d->cfg.name, "addr",
			      ntop6(&d->want, a1), "error", why, "retry_ms", (json_int_t)wait),
		    public_ms());
	uv_timer_start(&d->timer, on_timer, wait, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct dnspub *d = t->data;

	if (d->in_flight) {
		char why[80];

		/* a server that rejects our key answers unsigned (RFC 8945 §5.3.2):
		 * that is the likely reason, though it could not be verified */
		if (d->unverified[0])
			snprintf(why, sizeof(why), "unverified answer %s", d->unverified);
		else
			snprintf(why, sizeof(why), "no answer in %d ms", DNSPUB_TIMEOUT_MS);
		fail(d, why);
		return;
	}
	send_now(d);
}

static void send_now(struct dnspub *d)
{
	uv_buf_t b;
	int rc;
	uint16_t id;

	if (!d->have_want)
		return;
	dnsupd_msg_free(&d->msg);
	id = (uint16_t)rnd32();
	rc = dnsupd_build(&d->msg, d->cfg.zone, d->cfg.name, d->cfg.ttl, &d->want, id,
			  &d->cfg.key);
	if (rc < 0) {
		fail(d, rc == -ENOMEM ? "out of memory" : "cannot build the update");
		return;
	}
	b = uv_buf_init((char *)d->msg.wire, (unsigned)d->msg.len);
	rc = uv_udp_try_send(&d->udp, &b, 1, (const struct sockaddr *)&d->server);
	if (rc < 0) {
		char why[64];

		snprintf(why, sizeof(why), "send: %s", uv_strerror(rc));
		fail(d, why);
		return;
	}
	d->in_flight = true;
	d->unverified[0] = '\0';
	d->sent_ms = mono_ms();
	d->retry_at_ms = 0;
	uv_timer_start(&d->timer, on_timer, DNSPUB_TIMEOUT_MS, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct dnspub *d = h->data;

	(void)suggested;
	*b = uv_buf_init((char *)d->rbuf, sizeof(d->rbuf));
}

static void on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
		    unsigned flags)
{
	struct dnspub *d = u->data;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)from;
	char a1[INET6_ADDRSTRLEN], why[48];
	unsigned failed;
	int rcode, terr;

	if (n <= 0 || !from)
		return;
	/* only the server's answers to the attempt in flight count */
	if (!d->in_flight || (flags & UV_UDP_PARTIAL) || from->sa_family != AF_INET6 ||
	    s6->sin6_port != d->server.sin6_port ||
	    memcmp(&s6->sin6_addr, &d->server.sin6_addr, 16) != 0) {
		d->n_ignored++;
		return;
	}
	switch (dnsupd_check(&d->msg, (const uint8_t *)b->base, (size_t)n, &d->cfg.key, &rcode,
			     &terr)) {
	case DNSUPD_NOT_OURS:
		d->n_ignored++;
		return;
	case DNSUPD_UNSIGNED:
		d->n_ignored++;
		dnsupd_reason(rcode, terr, why, sizeof(why));
		/* a forged answer could say anything: keep waiting for the real
		 * one until the attempt times out, but say what came */
		log_debug("DNS update of %s: unverified answer (%s) ignored", d->cfg.name, why);
		snprintf(d->unverified, sizeof(d->unverified), "%s", why);
		return;
	case DNSUPD_REFUSED:
		uv_timer_stop(&d->timer);
		fail(d, dnsupd_reason(rcode, terr, why, sizeof(why)));
		return;
	case DNSUPD_DONE:
		break;
	}
	uv_timer_stop(&d->timer);
	d->in_flight = false;
	failed = d->attempt;
	d->attempt = 0;
	d->n_ok++;
	d->last_rtt_ms = (uint32_t)(mono_ms() - d->sent_ms);
	d->last_ok_wall_ms = wall_ms();
	d->last_error[0] = '\0';
	d->published = d->want;
	d->is_published = true;
	/* after failures, which were each a warning: say the trouble is over */
	if (failed)
		log_info("DNS: %s AAAA %s published (%u ms), after %u failed attempt(s)",
			 d->cfg.name, ntop6(&d->want, a1), d->last_rtt_ms, failed);
	else
		log_info("DNS: %s AAAA %s published (%u ms)", d->cfg.name, ntop6(&d->want, a1),
			 d->last_rtt_ms);
	events_emit(d->ev, "dns-updated",
		    json_pack("{s:s, s:s, s:i}", "name", d->cfg.name, "addr", ntop6(&d->want, a1),
			      "rtt_ms", (json_int_t)d->last_rtt_ms),
		    public_ms());
}

int dnspub_open(struct dnspub **out, uv_loop_t *loop, const struct dnsupd_cfg *cfg,
		struct events *ev)
{
	struct dnspub *d = calloc(1, sizeof(*d));
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	int rc;

	if (!d)
		return -ENOMEM;
	d->loop = loop;
	d->ev = ev;
	d->cfg = *cfg;
	d->server.sin6_family = AF_INET6;
	d->server.sin6_addr = cfg->server;
	d->server.sin6_port = htons(cfg->port);
	if ((rc = uv_udp_init(loop, &d->udp)) < 0) {
		free(d);
		return rc;
	}
	d->udp.data = d;
	d->handles_open = 1;
	if ((rc = uv_timer_init(loop, &d->timer)) < 0)
		goto fail;
	d->timer.data = d;
	d->handles_open = 2;
	if ((rc = uv_udp_bind(&d->udp, (const struct sockaddr *)&any, 0)) < 0 ||
	    (rc = uv_udp_recv_start(&d->udp, on_alloc, on_recv)) < 0)
		goto fail;
	*out = d;
	return 0;
fail:
	dnspub_close(d);
	return rc;
}

static void on_closed(uv_handle_t *h)
{
	struct dnspub *d = h->data;

	if (--d->handles_open == 0) {
		dnsupd_msg_free(&d->msg);
		explicit_bzero(&d->cfg.key, sizeof(d->cfg.key));
		free(d);
	}
}

void dnspub_close(struct dnspub *d)
{
	int open;

	if (!d)
		return;
	open = d->handles_open;
	if (open >= 1)
		uv_close((uv_handle_t *)&d->udp, on_closed);
	if (open >= 2)
		uv_close((uv_handle_t *)&d->timer, on_closed);
}

void dnspub_reconfigure(struct dnspub *d, const struct dnsupd_cfg *cfg)
{
	bool same = strcmp(d->cfg.name, cfg->name) == 0 && strcmp(d->cfg.zone, cfg->zone) == 0 &&
		    d->cfg.ttl == cfg->ttl && memcmp(&d->cfg.key, &cfg->key, sizeof(cfg->key)) == 0 &&
		    memcmp(&d->cfg.server, &cfg->server, 16) == 0 && d->cfg.port == cfg->port;

	d->cfg = *cfg;
	d->server.sin6_addr = cfg->server;
	d->server.sin6_port = htons(cfg->port);
	if (same)
		return;
	d->is_published = false;
	d->attempt = 0;
	uv_timer_stop(&d->timer);
	send_now(d);
}

void dnspub_publish(struct dnspub *d, const struct in6_addr *addr)
{
	if (d->have_want && memcmp(&d->want, addr, 16) == 0 &&
	    (d->is_published || d->in_flight || d->retry_at_ms))
		return;
	d->want = *addr;
	d->have_want = true;
	d->is_published = d->is_published && memcmp(&d->published, addr, 16) == 0;
	if (d->is_published)
		return;
	d->attempt = 0;
	uv_timer_stop(&d->timer);
	send_now(d);
}

const struct in6_addr *dnspub_wanted(const struct dnspub *d)
{
	return d->have_want ? &d->want : NULL;
}

const struct in6_addr *dnspub_server(const struct dnspub *d)
{
	return &d->cfg.server;
}

json_t *dnspub_status_json(const struct dnspub *d)
{
	char a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	uint64_t now = mono_ms();

	return json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:I, s:I, s:I, s:s?, s:I, s:I}",
			 "name", d->cfg.name, "server", ntop6(&d->cfg.server, a1),
			 "published", d->is_published ? ntop6(&d->published, a2) : NULL,
			 "wanted", d->have_want ? ntop6(&d->want, a3) : NULL,
			 "in_flight", d->in_flight,
			 "updates", (json_int_t)d->n_ok, "failures", (json_int_t)d->n_failed,
			 "ignored", (json_int_t)d->n_ignored,
			 "last_error", d->last_error[0] ? d->last_error : NULL,
			 "retry_in_ms",
			 (json_int_t)(d->retry_at_ms > now ? d->retry_at_ms - now : 0),
			 "last_rtt_ms", (json_int_t)d->last_rtt_ms);
}
