/* SPDX-License-Identifier: MIT */
/*
 * odm.h — ODM public API: on-demand IP address types for sockets
 * (RFC 8653, "On Demand Mobility Management").
 *
 * Programs that link libodm ask for an address type per socket; programs run
 * under LD_PRELOAD=libodm.so get the type that the agent's policy gives them.
 */
#ifndef ODM_H
#define ODM_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Address types (RFC 8653 §6.1 numbering; 4 is ODM's Graceful-replacement) */
typedef uint8_t sc_type;
#define FIXED_IPV6_ADDRESS 1                 /* reachable, published, always bound */
#define SESSION_LASTING_IPV6_ADDRESS 2       /* survives moves while sockets use it */
#define NON_PERSISTENT_IPV6_ADDRESS 3        /* plain address of the current network */
#define GRACEFUL_REPLACEMENT_IPV6_ADDRESS 4  /* outlives a move for a grace period */

enum odm_addr_type {
	ODM_TYPE_NONE = 0,
	ODM_TYPE_FIXED = FIXED_IPV6_ADDRESS,
	ODM_TYPE_SESSION_LASTING = SESSION_LASTING_IPV6_ADDRESS,
	ODM_TYPE_NON_PERSISTENT = NON_PERSISTENT_IPV6_ADDRESS,
	ODM_TYPE_GRACEFUL_REPLACEMENT = GRACEFUL_REPLACEMENT_IPV6_ADDRESS /* no comma: C89, C++98 */
};

/*
 * RFC 8653 §6.2: a flag of IPV6_ADDR_PREFERENCES (IPPROTO_IPV6 level) asking
 * for a fresh address of the requested type from the network instead of one
 * the host already holds. The bit is unused by RFC 5014. Linux drops it;
 * libodm keeps it per socket and reports it in getsockopt (odm(7)).
 */
#ifndef IPV6_REQUIRE_SRC_ON_NET
#define IPV6_REQUIRE_SRC_ON_NET 0x8000
#endif

/* RFC 8653 §6.1 status codes (negative, like the other EAI_* values) */
#define EAI_REQUIREDIPNOTSUPPORTED (-400) /* the type is not offered here */
#define EAI_REQUIREDIPFAILED (-401)       /* the network could not provide it */

/*
 * RFC 8653 §6.1: an address of type addressType for the socket sockfd
 * (AF_INET6, TCP or UDP, neither bound nor connected yet) in *sourceAddress;
 * the caller binds it. 0, or EAI_REQUIREDIPNOTSUPPORTED,
 * EAI_REQUIREDIPFAILED, or EAI_SYSTEM with errno set (bad arguments; EINVAL
 * for a bound socket, EISCONN for a connected one). setsc(3) says which
 * types are offered.
 */
int setsc(int sockfd, struct in6_addr *sourceAddress, sc_type addressType);

/*
 * setsc() for a socket that will talk to dst (a sockaddr_in6), of the host
 * named host (may be NULL): Session-lasting comes from that host's
 * Corresponding Home Agent, cha.<host> (setsc(3)).
 */
int setsc_to(int sockfd, struct in6_addr *sourceAddress, sc_type addressType,
	     const struct sockaddr *dst, socklen_t dstlen, const char *host);

/* The type and address of sockfd (setsc(3)): 0, or EAI_SYSTEM with errno. */
int getsc(int sockfd, struct in6_addr *sourceAddress, sc_type *addressType);

/* Name of a type ("fixed", "session-lasting", ...) and back; -1 if unknown */
const char *odm_type_name(int type);
int odm_type_from_name(const char *name);
/*
 * A type as a user may spell it ($ODM_TYPE, odmctl --type): its name in any
 * case with '_' for '-', or its number 1-4; -1 if it names no type ("none"
 * included).
 */
int odm_type_parse(const char *s);

/*
 * Events for linked programs (odm_events(3)), for an event loop: the fd is
 * non-blocking and close-on-exec; poll it for POLLIN, then call
 * odm_event_read() until it returns 0. Close it with close(2).
 */
#define ODM_EVENT_GRACEFUL_REPLACEMENT 1 /* addr goes at deadline_ms: use replacement */

struct odm_event {
	int kind;                     /* ODM_EVENT_* */
	struct in6_addr addr;         /* the Graceful-replacement address that goes */
	struct in6_addr replacement;  /* the host's address on its new network */
	uint64_t deadline_ms;         /* CLOCK_MONOTONIC, in ms: addr stops working then */
};

/* A subscription to the agent's events: an fd, or -1 with errno set. */
int odm_events_fd(void);
/* The next event from fd into *ev: 1, 0 if none is complete yet, -1 with
 * errno set (EPIPE: the agent went away; subscribe again). */
int odm_event_read(int fd, struct odm_event *ev);

/* The ODM release this library belongs to, e.g. "0.3.0" */
const char *odm_version(void);

#ifdef __cplusplus
}
#endif
#endif
