/* SPDX-License-Identifier: MIT */
/*
 * config.h — odmagent.conf: one directive per line, '#' comments, words
 * separated by blanks. Strict: an unknown directive, a missing or extra
 * argument, a bad address or number is an error naming the file, the line
 * and the word. See man/odmagent.conf.5.
 *
 *   role mn|anchor
 *   mode MODE [MODE [MODE]]             (anchor: cha, home, access; one or more)
 *   control PATH                        (default /run/odm/odmagent.sock)
 *   control-group NAME|GID              (group of the control socket, mode 0660)
 *   state-dir PATH                      (default /var/lib/odm: state kept across restarts)
 *   tunnel auto|userspace               (backend; auto probes)
 *   tunnel-device NAME                  (default odm0)
 *   tunnel-encap ip6ip6|udp             (default ip6ip6; udp: userspace only)
 *   log-level error|warn|info|debug
 *   log stderr|syslog                   (default stderr)
 *   address ADDR                        (anchor: the address BUs go to)
 *   pool PREFIX/LEN                     (anchor, cha/home: addresses it hands out)
 *   access-prefix PREFIX/LEN            (anchor, access: an on-link prefix; repeatable)
 *   grace-period SECONDS                (anchor, access: graceful-replacement cap)
 *   max-lifetime SECONDS                (anchor: cap on granted lifetime)
 *   max-bindings N                      (anchor: per identity)
 *   answer-rate N                       (anchor: answers/s to unverified BUs)
 *   answer-burst N                      (anchor: and how many at once)
 *   identity NAI spi N key HEX32        (anchor: any number; mn: exactly one)
 *   identity NAI spi N key-file PATH    (file holds 32 hex digits)
 *   default-type TYPE                   (mn: type for sockets with none)
 *   lifetime SECONDS                    (mn: lifetime asked for in BUs)
 *   udp-inactivity SECONDS              (mn: UDP lease idle timeout)
 *   table N                             (mn: routing table for from-rules)
 *   rule-priority N                     (mn: priority of from-rules)
 *   home-anchor ADDR                    (mn: the home anchor; else discovered)
 *   home-discovery on|off               (mn: DNS SRV, then RAs; default on)
 *   optimistic-dad on|off               (mn: RFC 4429 on access interfaces; default on)
 *   ignore-linkdown on|off              (mn: no route through an access link without carrier; default on)
 *   router-solicit on|off               (mn: an RS at once when a link comes up, an NA for each new address; default on)
 *   access-anchor ADDR|ra|off           (mn: access routers' anchors; repeatable; default off)
 *   dns-publish off|current|fixed       (mn: the host's AAAA: current address or Fixed)
 *   dns-server ADDR / dns-port N        (mn: where DNS UPDATEs go; port 53)
 *   dns-name FQDN / dns-zone ZONE       (mn: the name; zone: the name's parent)
 *   dns-ttl SECONDS                     (mn: TTL of the record, default 60)
 *   dns-key PATH                        (mn: TSIG key, tsig-keygen(8) format)
 *   policy-file PATH                    (mn: which types programs get, odm-policy(5))
 */
#ifndef ODM_CONFIG_H
#define ODM_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "dnsupdate.h"
#include "mh.h"

enum odm_role { ODM_ROLE_MN = 0, ODM_ROLE_ANCHOR = 1 };
enum odm_anchor_mode { ODM_MODE_CHA = 0, ODM_MODE_HOME = 1, ODM_MODE_ACCESS = 2 };
enum odm_dns_publish { DNS_PUBLISH_OFF = 0, DNS_PUBLISH_CURRENT = 1, DNS_PUBLISH_FIXED = 2 };
#define ODM_MODE_COUNT 3
#define ODM_MODE_BIT(m) (1u << (m))

#define CONFIG_ACCESS_PREFIXES_MAX 16
#define CONFIG_ACCESS_ANCHORS_MAX 8  /* = ACCESS_ANCHORS_MAX (accessclaim.h) */
/* Graceful-replacement: how long an access anchor keeps an address after
 * the host left its link (man/odmagent.conf.5 gives the reason) */
#define CONFIG_GRACE_DEFAULT_S 60

struct odm_prefix {
	struct in6_addr addr;        /* host bits clear */
	uint8_t plen;
};

struct odm_identity {
	char nai[MH_NAI_MAX + 1];
	uint32_t spi;
	uint8_t key[MH_AUTH_KEY_LEN];
};

struct odm_config {
	enum odm_role role;
	enum odm_anchor_mode mode;   /* the first mode given */
	unsigned modes;              /* ODM_MODE_BIT() of every mode served */
	char control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t control_gid;           /* (gid_t)-1 = leave as is */
	char state_dir[256];         /* where the role keeps its state (statefile.h) */
	char tunnel_backend[16];     /* "auto" or a backend name */
	char tunnel_ifname[IFNAMSIZ];
	int tunnel_encap;            /* enum odm_tunnel_encap (tunnel.h) */
	int log_level;
	int log_syslog;              /* log: 0 stderr, 1 syslog */
	/* anchor role */
	struct in6_addr address;
	struct in6_addr pool;
	uint8_t pool_plen;
	uint32_t max_lifetime;       /* seconds */
	uint32_t max_bindings;       /* per identity */
	uint32_t answer_rate;        /* per second, to BUs not shown authentic */
	uint32_t answer_burst;
	struct odm_prefix access_prefixes[CONFIG_ACCESS_PREFIXES_MAX];
	size_t n_access_prefixes;
	uint32_t grace_period;       /* seconds */
	/* identities: anchor = the hosts it serves; mn = identities[0] is itself */
	struct odm_identity *identities;
	size_t n_identities;
	/* mn role */
	int default_type;            /* enum odm_addr_type */
	uint32_t lifetime;           /* seconds asked for in BUs */
	uint32_t udp_inactivity;     /* seconds */
	uint32_t table;
	uint32_t rule_priority;
	/* mn role: DNS registration of the host's name (dnspub.c) */
	int has_home_anchor;         /* home-anchor given: no discovery needed */
	struct in6_addr home_anchor;
	int home_discovery;          /* look for one by DNS SRV and RAs */
	/* access links (linkprep.h) */
	int optimistic_dad;          /* set optimistic_dad/use_optimistic on them */
	int router_solicit;          /* solicit as soon as one comes up */
	int ignore_linkdown;         /* set ignore_routes_with_linkdown on them */
	/* access routers' anchors: the one whose /64 holds one of the host's
	 * addresses is the current link's (accessclaim.h) */
	struct in6_addr access_anchors[CONFIG_ACCESS_ANCHORS_MAX];
	size_t n_access_anchors;
	int access_from_ra;          /* access-anchor ra: also learned from RAs */
	int access_off;              /* access-anchor off: said explicitly */
	enum odm_dns_publish dns_publish;
	struct dnsupd_cfg dns;
	char policy_file[256];       /* "" = no policy file (policy_agent.h) */
	unsigned policy_file_line;   /* its line in the file named source */
	unsigned control_line;       /* control's line, 0: the default */
	unsigned state_dir_line;     /* state-dir's line, 0: the default */
	char source[256];            /* the file's name as errors give it */
	unsigned inline_key_line;    /* the first identity with "key" in the text, 0: none */
	unsigned file_mode;          /* the file's permission bits (config_load), 0: text */
};

/* Fill defaults. */
void config_defaults(struct odm_config *cfg);
/* Parse text (for tests and the fuzzer) / a file. 0 or -EINVAL with err set. */
int config_parse(struct odm_config *cfg, const char *text, size_t len,
		 const char *name, char *err, size_t errlen);
int config_load(struct odm_config *cfg, const char *path, char *err, size_t errlen);
void config_free(struct odm_config *cfg);
/* A key written in a file that others may read or write: the warning to
 * log (into buf, naming path and the line), else NULL. Not refused, as a
 * key-file of that mode is: configurations written with umask 022 would
 * stop starting (odmagent.conf(5)). */
const char *config_exposed_key(const struct odm_config *cfg, const char *path, char *buf,
			       size_t n);
/* Two identities (an anchor's) with the same key: the warning to log (into
 * buf, naming path and both identities, never the key), else NULL. Not
 * refused: the file is valid, the deployment unwise (odmagent(8) Keys). */
const char *config_shared_key(const struct odm_config *cfg, const char *path, char *buf,
			      size_t n);
/* 1 if a file owned by uid is another user's than the agent's (effective)
 * and root's: that user may write it whatever its mode, so a key or a
 * policy there is theirs to choose (odmagent.conf(5)) */
int config_foreign_owner(uid_t uid);
/* "on" 1, "off" 0, else -1 */
int config_onoff(const char *word);
/* Names of roles and anchor modes, as the config writes them ("?" if out of range) */
const char *config_role_name(enum odm_role role);
const char *config_mode_name(enum odm_anchor_mode mode);
/*
 * SIGHUP: take over from next what a running agent can change (identities
 * and keys, log level and target, lifetimes, quotas, UDP inactivity, default type,
 * policy file, DNS registration settings) and
 * leave next holding the old identities, for the caller to free once the
 * role has re-keyed. -EINVAL (nothing changed, the reason in err) if next
 * differs in what needs a restart (role, mode, sockets, tunnel, addresses,
 * pool, table, rule priority, state directory).
 */
int config_reload(struct odm_config *cur, struct odm_config *next, char *err, size_t errlen);
/* 1 if the anchor serves mode */
static inline int config_serves(const struct odm_config *cfg, enum odm_anchor_mode mode)
{
	return (cfg->modes & ODM_MODE_BIT(mode)) != 0;
}
/* Identity by NAI (anchor), NULL if none */
const struct odm_identity *config_identity(const struct odm_config *cfg, const char *nai);

#endif
