/* SPDX-License-Identifier: MIT */
/*
 * mh.h — Mobility Header codec (RFC 6275 §6, RFC 4283, RFC 4285, RFC 5213,
 * RFC 5648). Pure C, no I/O. Shared by odmagent (both roles), odmctl and the
 * tests; mh.c names the RFC section of each wire layout.
 *
 * Encoding: fill a struct mh_msg, set the MH_HAS_* bits of the options to
 * emit, call mh_encode(). Options are emitted in a fixed order, each at its
 * RFC alignment, with Pad1/PadN, and the message is padded to 8 octets.
 * The authentication option (when asked for) is always last.
 *
 * Decoding: mh_decode() is strict and bounded: it never reads past len and
 * returns one distinct negative MH_E_* code per kind of defect. Unknown
 * options are skipped (RFC 6275 §6.2.1). Authentication is checked in a
 * second step, mh_auth_verify(), because the receiver must first learn the
 * identity (MN-ID, SPI) from the decoded message to find the key.
 */
#ifndef ODM_MH_H
#define ODM_MH_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* MH types (RFC 6275 §6.1) */
enum {
	MH_TYPE_BRR = 0,
	MH_TYPE_BU = 5,
	MH_TYPE_BA = 6,
	MH_TYPE_BE = 7,
};

/* BU flags word (offset 8) */
#define MH_BU_A 0x8000
#define MH_BU_H 0x4000
#define MH_BU_L 0x2000
#define MH_BU_K 0x1000
#define MH_BU_M 0x0800
#define MH_BU_R 0x0400
#define MH_BU_P 0x0200
/* BA flags byte (offset 7) */
#define MH_BA_K 0x80
#define MH_BA_R 0x40
#define MH_BA_P 0x20

/* Option types (RFC 6275 §6.2, 4283, 4285, 5149, 5213, 5648) */
enum {
	MH_OPT_PAD1 = 0,
	MH_OPT_PADN = 1,
	MH_OPT_BRA = 2,
	MH_OPT_ALTCOA = 3,
	MH_OPT_MNID = 8,
	MH_OPT_AUTH = 9,
	MH_OPT_REPLAY = 10,
	MH_OPT_EXPERIMENTAL = 19, /* Experimental Mobility Option, RFC 5096 §3 */
	MH_OPT_SERVICE = 20,    /* Service Selection, RFC 5149 §3 */
	MH_OPT_HNP = 22,
	MH_OPT_TIMESTAMP = 27,
	MH_OPT_BID = 35,
};

/* Bits of mh_msg.present: which options were decoded / are to be encoded */
#define MH_HAS_BRA (1u << 0)
#define MH_HAS_ALTCOA (1u << 1)
#define MH_HAS_MNID (1u << 2)
#define MH_HAS_AUTH (1u << 3)
#define MH_HAS_REPLAY (1u << 4)
#define MH_HAS_HNP (1u << 5)
#define MH_HAS_TIMESTAMP (1u << 6)
#define MH_HAS_BID (1u << 7)
#define MH_HAS_SERVICE (1u << 8)
#define MH_HAS_COA_LOST (1u << 9)

/*
 * "Care-of address lost", ODM's use of the one Experimental Mobility Option
 * (type 19, RFC 5096 §3: for experiments, never to be assigned otherwise,
 * so no registered option is squatted on). Its data: a sub-type octet
 * (MH_EXP_COA_LOST), a reserved octet (0), and 32 bits: how many ms before
 * this BU arrives the anchor sent the last packet the host received at its
 * previous care-of address (the host's count since it lost that address,
 * plus its last round trip with the anchor: registration.c). A host that
 * knows that packet adds 32 bits more: its pkttag (pkttag.h), never 0.
 * Length is exactly 6, or 10 with the tag; any other length, sub-type, a
 * reserved octet that is not 0 or a tag of 0 is MH_E_OPT_LEN (ODM speaks
 * it only to ODM).
 */
#define MH_EXP_COA_LOST 1
#define MH_EXP_COA_LOST_LEN 6
#define MH_EXP_COA_LOST_TAG_LEN 10

#define MH_MNID_SUBTYPE_NAI 1
#define MH_AUTH_SUBTYPE_MNHA 1
#define MH_AUTH_KEY_LEN 16  /* RFC 4285: MN-HA key, octets */
#define MH_AUTH_LEN 12      /* First(96, HMAC-SHA1) */
#define MH_NAI_MAX 254      /* option length byte = 1 + NAI length */
#define MH_SERVICE_MAX 255  /* RFC 5149 §3: identifier of 1..255 octets */
#define MH_MAX_LEN 2048     /* nothing ODM sends or accepts is longer */
#define MH_LIFETIME_MAX_S 262140u

/* BA status codes used by ODM (IANA; < 128 = accepted) */
enum {
	MH_BA_ACCEPTED = 0,
	MH_BA_UNSPECIFIED = 128,
	MH_BA_PROHIBITED = 129,
	MH_BA_INSUFFICIENT_RESOURCES = 130,
	MH_BA_NOT_HOME_SUBNET = 132,
	MH_BA_NOT_HA_FOR_MN = 133,
	MH_BA_REG_TYPE_CHANGE = 139, /* registration type change disallowed */
	MH_BA_SEQ_OUT_OF_WINDOW = 135,
	MH_BA_ID_MISMATCH = 144,     /* MIPV6-ID-MISMATCH */
	MH_BA_MESG_ID_REQD = 145,    /* MIPV6-MESG-ID-REQD (replay) */
	MH_BA_AUTH_FAIL = 146,       /* MIPV6-AUTH-FAIL */
	MH_BA_SERVICE_AUTH_FAILED = 151, /* RFC 5149 §5 */
	MH_BA_NOT_AUTHORIZED_FOR_HNP = 155, /* RFC 5213 §8.9 */
	MH_BA_MISSING_HNP = 158,
	MH_BA_MISSING_MNID = 160,
};

/* BE status (RFC 6275 §6.1.9) */
enum { MH_BE_UNKNOWN_HAO = 1, MH_BE_UNKNOWN_MH = 2 };

/* Decoder / encoder errors: negative, distinct, see mh_strerror() */
enum {
	MH_E_TRUNCATED = -1,    /* shorter than the common header or the type's fixed part */
	MH_E_HDRLEN = -2,       /* Header Len disagrees with the buffer (overrun or leftover) */
	MH_E_PROTO = -3,        /* Payload Proto is not 59 */
	MH_E_TYPE = -4,         /* MH Type this codec does not know */
	MH_E_OPT_OVERRUN = -5,  /* an option's length runs past the message */
	MH_E_OPT_LEN = -6,      /* a known option with a length its type does not allow */
	MH_E_CHECKSUM = -7,     /* checksum over the pseudo-header does not verify */
	MH_E_AUTH = -8,         /* authenticator does not verify */
	MH_E_AUTH_MISSING = -9, /* mh_auth_verify() on a message without the option */
	MH_E_AUTH_NOT_LAST = -10, /* an option follows the authentication option */
	MH_E_NOSPACE = -11,     /* mh_encode(): output buffer too small */
	MH_E_INVAL = -12,       /* mh_encode(): bad argument (e.g. NAI too long) */
	MH_E_DUP_OPT = -13,     /* a known option appears twice */
	MH_E_CRYPTO = -14,      /* libcrypto failed */
};

struct mh_msg {
	uint8_t type;        /* MH_TYPE_* */
	uint16_t seq;        /* BU, BA */
	uint16_t flags;      /* BU: flags word; BA: flags byte in the low 8 bits */
	uint16_t lifetime;   /* BU, BA: units of 4 s */
	uint8_t status;      /* BA, BE */
	struct in6_addr be_home; /* BE: home address */

	uint32_t present;    /* MH_HAS_* */
	uint16_t bra_refresh;        /* BRA: units of 4 s */
	struct in6_addr altcoa;      /* Alternate CoA */
	uint8_t mnid_subtype;        /* MN-ID: MH_MNID_SUBTYPE_NAI */
	uint8_t mnid_len;
	char mnid[MH_NAI_MAX + 1];   /* NUL-terminated copy; wire has no NUL */
	uint8_t hnp_len;             /* HNP: prefix length */
	struct in6_addr hnp;         /* HNP: prefix (::/128 = allocate one) */
	uint64_t replay_ts;          /* Replay protection: NTP 32.32 */
	uint64_t timestamp;          /* PMIPv6 Timestamp: 48.16 since 1970 */
	uint16_t bid;                /* Binding Identifier */
	uint8_t bid_status;
	uint8_t bid_flags;
	uint8_t service_len;         /* Service Selection identifier, not NUL-ended */
	char service[MH_SERVICE_MAX];
	uint32_t coa_lost_ms;        /* MH_HAS_COA_LOST: ms before the BU arrives */
	uint32_t coa_lost_tag;       /* MH_HAS_COA_LOST: the last packet's pkttag, 0 = none */
	uint8_t auth_subtype;        /* MH_AUTH_SUBTYPE_MNHA */
	uint32_t auth_spi;
	uint8_t auth[MH_AUTH_LEN];   /* decoded authenticator */
	/* decoder output: offset of the auth option's Type byte in the buffer */
	size_t auth_off;
};

/*
 * Encode m into buf (cap bytes). If MH_HAS_AUTH is set, key (16 octets) must
 * be given and the MN-HA authenticator is computed over auth_coa ‖ auth_hoa ‖
 * MH data (RFC 4285 §5.1). If src and dst are given, the checksum is computed
 * over the IPv6 pseudo-header; otherwise it is left 0 (for a raw socket with
 * IPV6_CHECKSUM set, the kernel fills it). Returns the length or MH_E_*.
 */
int mh_encode(const struct mh_msg *m, uint8_t *buf, size_t cap,
	      const uint8_t key[MH_AUTH_KEY_LEN],
	      const struct in6_addr *auth_coa, const struct in6_addr *auth_hoa,
	      const struct in6_addr *src, const struct in6_addr *dst);

/*
 * Decode buf into m. If src and dst are given the checksum is verified
 * (MH_E_CHECKSUM); pass NULL when the kernel already verified it.
 * Returns 0 or MH_E_*. Never reads past len.
 */
int mh_decode(const uint8_t *buf, size_t len, struct mh_msg *m,
	      const struct in6_addr *src, const struct in6_addr *dst);

/* The least length in octets a message of type has (its fixed part, RFC
 * 6275 section 6.1), or -1 for a type this codec does not know */
int mh_min_len(uint8_t type);

/* Verify the MN-HA authenticator of a decoded message (buf as received). */
int mh_auth_verify(const uint8_t *buf, size_t len, const struct mh_msg *m,
		   const uint8_t key[MH_AUTH_KEY_LEN],
		   const struct in6_addr *auth_coa, const struct in6_addr *auth_hoa);

/* Internet checksum of the MH over the IPv6 pseudo-header (RFC 6275 §6.1.1) */
uint16_t mh_checksum(const uint8_t *buf, size_t len,
		     const struct in6_addr *src, const struct in6_addr *dst);

/* RFC 6275 §9.5.1: 1 if seq is newer than last (mod 2^16), else 0 */
int mh_seq_newer(uint16_t seq, uint16_t last);

/* Lifetime in 4-s units <-> seconds (rounded down, capped at 0xffff units) */
uint16_t mh_lifetime_units(uint32_t seconds);
uint32_t mh_lifetime_seconds(uint16_t units);

/* NTP 32.32 timestamp (RFC 4285 §6) from/to a CLOCK_REALTIME timespec */
uint64_t mh_ntp_from_timespec(const struct timespec *ts);
void mh_ntp_to_timespec(uint64_t ntp, struct timespec *ts);
/* Signed difference a - b in milliseconds between two NTP timestamps */
int64_t mh_ntp_diff_ms(uint64_t a, uint64_t b);
/* How far from its clock a receiver takes a replay timestamp (RFC 4285
 * section 6: the default, 7 s): what an anchor takes, and so what a host
 * reckons with */
#define MH_REPLAY_WINDOW_MS 7000

const char *mh_strerror(int err);          /* MH_E_* -> text */
const char *mh_status_name(uint8_t status); /* BA status -> name */
const char *mh_type_name(uint8_t type);

#endif
