/* SPDX-License-Identifier: MIT */
/*
 * homefind.h — the host's search for its home anchor, on the agent's loop:
 * Router Advertisements from a raw ICMPv6 socket (and a Router
 * Solicitation at start and after each move), SRV queries with c-ares for
 * the search domains and the RAs' DNSSL domains. hadisc.c decides; this
 * file only listens and asks. A change of the choice is logged and told as
 * a "home-anchor" event. The choice is made again when asked for
 * (homefind_anchor: the agent asks every tick) and after each answer and
 * RA.
 */
#ifndef ODM_HOMEFIND_H
#define ODM_HOMEFIND_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <uv.h>

struct events;
struct homefind;
struct ra_info;

/* Told of every valid RA heard (raopt.h), on the interface ifname */
typedef void (*homefind_ra_fn)(void *arg, const struct ra_info *ra, const char *ifname);

/* config: the configured home anchor or NULL; discover: use DNS and RAs
 * too; skip_ifindex: the tunnel device, where no RS goes and whose RAs are
 * refused (what comes out of it was decapsulated: anyone can forge the outer
 * source, and the inner packet keeps hop limit 255 and its link-local source) */
int homefind_open(struct homefind **out, uv_loop_t *loop, const struct in6_addr *config,
		  int discover, int skip_ifindex, struct events *ev);
void homefind_close(struct homefind *hf);
/* Also hand every valid RA to fn (access anchors, accessra.h): listens for
 * RAs and solicits them at once and after each move, with or without
 * discovery. 0 or -errno (no raw ICMPv6 socket). */
int homefind_watch_ra(struct homefind *hf, homefind_ra_fn fn, void *arg);
/* How long the anchor at addr stays on hold after now_ms (the host engine's
 * he_anchor_hold_left), 0 when it is not */
typedef uint64_t (*homefind_held_fn)(void *arg, const struct in6_addr *addr, uint64_t now_ms);
/* The choice passes over candidates fn says are on hold, for the next best
 * one not on hold (hadisc_choose); without it none is passed over */
void homefind_watch_hold(struct homefind *hf, homefind_held_fn fn, void *arg);
/* After a netlink burst, with the host's access addresses now (the
 * engine's list): when they changed, ask the routers and the DNS again. */
void homefind_moved(struct homefind *hf, const struct in6_addr *addrs, size_t n);
/* The home anchor now, or NULL. */
const struct in6_addr *homefind_anchor(struct homefind *hf);
json_t *homefind_status_json(struct homefind *hf);

#endif
