/* SPDX-License-Identifier: MIT */
/*
 * mh.c — Mobility Header messages and options: encoding and decoding.
 *
 * Layouts: RFC 6275 §6.1 and §6.2, RFC 4283 §3, RFC 4285 §5-§6, RFC 5648
 * §6.1 and RFC 5213 §8.3 and §8.8. Every multi-byte field
 * is read and written byte by byte (big-endian), so neither the input nor
 * the output buffer needs any alignment.
 *
 * Encoder conventions beyond mh.h:
 *  - mnid_len == 0 means "use strlen(mnid)", so a caller may fill mnid with
 *    snprintf() and leave the length alone. The subtype is written as given
 *    (set MH_MNID_SUBTYPE_NAI).
 *  - auth_subtype 0 is taken as MH_AUTH_SUBTYPE_MNHA, the only kind this
 *    codec can compute; anything else is MH_E_INVAL.
 *  - For a BA only the low 8 bits of flags exist on the wire; higher bits
 *    are MH_E_INVAL rather than silently dropped.
 *
 * Decoder conventions:
 *  - On MH_E_TYPE, m->type holds the unknown type (for the Binding Error and
 *    the log); the rest of m is zero.
 *  - Padding after the authentication option is allowed (the option ends at
 *    4n+4, so the message may need up to 4 more bytes); any other option
 *    after it is MH_E_AUTH_NOT_LAST.
 *  - Option alignment is not enforced on input: alignment only helps the
 *    sender's peer read fields in place, and this decoder copies bytes.
 */
#include "mh_priv.h"

#include <string.h>

/* ---- byte order helpers (no unaligned access) ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* ---- a bounded writer: the first failure sticks, callers check once ---- */

struct wr {
	uint8_t *buf;
	size_t cap;
	size_t off;
	int err;
};

/* n bytes at the write position, or NULL (and the error set) */
static uint8_t *room(struct wr *w, size_t n)
{
	uint8_t *p;

	if (w->err)
		return NULL;
	if (n > w->cap - w->off) {
		w->err = MH_E_NOSPACE;
		return NULL;
	}
	p = w->buf + w->off;
	w->off += n;
	return p;
}

static void put(struct wr *w, const void *p, size_t n)
{
	uint8_t *d = room(w, n);

	if (d && p)
		memcpy(d, p, n);
	else if (d)
		memset(d, 0, n);
}

/* the fixed-size fields are stored byte by byte: one bound check each */
static void put8(struct wr *w, uint8_t v)
{
	uint8_t *d = room(w, 1);

	if (d)
		d[0] = v;
}

static void put16(struct wr *w, uint16_t v)
{
	uint8_t *d = room(w, 2);

	if (d) {
		d[0] = (uint8_t)(v >> 8);
		d[1] = (uint8_t)v;
	}
}

static void put32(struct wr *w, uint32_t v)
{
	uint8_t *d = room(w, 4);

	for (int i = 3; d && i >= 0; i--, v >>= 8)
		d[i] = (uint8_t)v;
}

static void put64(struct wr *w, uint64_t v)
{
	uint8_t *d = room(w, 8);

	for (int i = 7; d && i >= 0; i--, v >>= 8)
		d[i] = (uint8_t)v;
}

static void put_zero(struct wr *w, size_t n)
{
	put(w, NULL, n);
}

/*
 * Pad so that the next byte lands at an offset ≡ y (mod x). One byte of
 * padding must be Pad1; more is a single PadN, whose two header bytes count
 * towards the gap.
 */
static void pad_to(struct wr *w, size_t x, size_t y)
{
	size_t gap = (y + x - w->off % x) % x;

	if (gap == 1) {
		put8(w, MH_OPT_PAD1);
	} else if (gap >= 2) {
		put8(w, MH_OPT_PADN);
		put8(w, (uint8_t)(gap - 2));
		put_zero(w, gap - 2);
	}
}

/* ---- options: one table drives both directions ---- */

typedef void (*opt_put_fn)(struct wr *w, const struct mh_msg *m);
/* p points at the option body; p[-1] is its Length byte */
typedef void (*opt_get_fn)(const uint8_t *p, struct mh_msg *m);

static size_t mnid_wire_len(const struct mh_msg *m)
{
	if (m->mnid_len)
		return m->mnid_len;
	return strnlen(m->mnid, sizeof m->mnid);
}

static void put_bra(struct wr *w, const struct mh_msg *m)
{
	put16(w, m->bra_refresh);
}

static void put_altcoa(struct wr *w, const struct mh_msg *m)
{
	put(w, m->altcoa.s6_addr, 16);
}

static void put_hnp(struct wr *w, const struct mh_msg *m)
{
	put8(w, 0);
	put8(w, m->hnp_len);
	put(w, m->hnp.s6_addr, 16);
}

static void put_bid(struct wr *w, const struct mh_msg *m)
{
	put16(w, m->bid);
	put8(w, m->bid_status);
	put8(w, m->bid_flags);
}

static void put_mnid(struct wr *w, const struct mh_msg *m)
{
	put8(w, m->mnid_subtype);
	put(w, m->mnid, mnid_wire_len(m));
}

static void put_service(struct wr *w, const struct mh_msg *m)
{
	put(w, m->service, m->service_len);
}

static void put_timestamp(struct wr *w, const struct mh_msg *m)
{
	put64(w, m->timestamp);
}

static void put_replay(struct wr *w, const struct mh_msg *m)
{
	put64(w, m->replay_ts);
}

static void put_coa_lost(struct wr *w, const struct mh_msg *m)
{
	put8(w, MH_EXP_COA_LOST);
	put8(w, 0);
	put32(w, m->coa_lost_ms);
	if (m->coa_lost_tag)
		put32(w, m->coa_lost_tag);
}

/* The authenticator is filled in once the whole message exists. */
static void put_auth(struct wr *w, const struct mh_msg *m)
{
	put8(w, MH_AUTH_SUBTYPE_MNHA);
	put32(w, m->auth_spi);
	put_zero(w, MH_AUTH_LEN);
}

static void get_bra(const uint8_t *p, struct mh_msg *m)
{
	m->bra_refresh = get16(p);
}

static void get_altcoa(const uint8_t *p, struct mh_msg *m)
{
	memcpy(m->altcoa.s6_addr, p, 16);
}

static void get_hnp(const uint8_t *p, struct mh_msg *m)
{
	m->hnp_len = p[1];
	memcpy(m->hnp.s6_addr, p + 2, 16);
}

static void get_bid(const uint8_t *p, struct mh_msg *m)
{
	m->bid = get16(p);
	m->bid_status = p[2];
	m->bid_flags = p[3];
}

static void get_mnid(const uint8_t *p, struct mh_msg *m)
{
	m->mnid_subtype = p[0];
	m->mnid_len = (uint8_t)(p[-1] - 1);
	memcpy(m->mnid, p + 1, m->mnid_len);
	m->mnid[m->mnid_len] = '\0';
}

static void get_service(const uint8_t *p, struct mh_msg *m)
{
	m->service_len = p[-1];
	memcpy(m->service, p, m->service_len);
}

static void get_timestamp(const uint8_t *p, struct mh_msg *m)
{
	m->timestamp = get64(p);
}

static void get_replay(const uint8_t *p, struct mh_msg *m)
{
	m->replay_ts = get64(p);
}

/* sub-type, reserved octet, length and tag are checked by coa_lost_ok() */
static void get_coa_lost(const uint8_t *p, struct mh_msg *m)
{
	m->coa_lost_ms = get32(p + 2);
	m->coa_lost_tag = p[-1] == MH_EXP_COA_LOST_TAG_LEN ? get32(p + 6) : 0;
}

static void get_auth(const uint8_t *p, struct mh_msg *m)
{
	m->auth_subtype = p[0];
	m->auth_spi = get32(p + 1);
	memcpy(m->auth, p + 5, MH_AUTH_LEN);
}

struct opt_desc {
	uint32_t bit;   /* MH_HAS_* */
	uint8_t type;   /* MH_OPT_* */
	uint8_t x, y;   /* alignment xn+y from the start of the MH */
	uint8_t min_len, max_len; /* allowed Length byte values */
	opt_put_fn put;
	opt_get_fn get;
};

/*
 * Emission order (the auth option must stay last: its authenticator covers
 * everything before it). Alignments put each option's main field on its
 * natural boundary: the address of ALTCOA at 8n, the prefix of HNP at 8n,
 * the 64-bit stamps at 8n, the SPI of AUTH at 4n. MNID has no alignment
 * requirement.
 */
static const struct opt_desc opts[] = {
	{ MH_HAS_BRA, MH_OPT_BRA, 2, 0, 2, 2, put_bra, get_bra },
	{ MH_HAS_ALTCOA, MH_OPT_ALTCOA, 8, 6, 16, 16, put_altcoa, get_altcoa },
	{ MH_HAS_HNP, MH_OPT_HNP, 8, 4, 18, 18, put_hnp, get_hnp },
	/* RFC 5648 also allows 8 and 20 (with a CoA); ODM has no field for a
	 * CoA there, and dropping one silently would change the binding. */
	{ MH_HAS_BID, MH_OPT_BID, 2, 0, 4, 4, put_bid, get_bid },
	/* Length = 1 + identifier; an empty identifier names nobody */
	{ MH_HAS_MNID, MH_OPT_MNID, 1, 0, 2, 255, put_mnid, get_mnid },
	/* RFC 5149 §3: no alignment requirement, an identifier of 1..255 */
	{ MH_HAS_SERVICE, MH_OPT_SERVICE, 1, 0, 1, MH_SERVICE_MAX, put_service, get_service },
	{ MH_HAS_TIMESTAMP, MH_OPT_TIMESTAMP, 8, 2, 8, 8, put_timestamp,
	  get_timestamp },
	{ MH_HAS_REPLAY, MH_OPT_REPLAY, 8, 2, 8, 8, put_replay, get_replay },
	/* the 32-bit value at 4n: the option starts at 4n */
	{ MH_HAS_COA_LOST, MH_OPT_EXPERIMENTAL, 4, 0, MH_EXP_COA_LOST_LEN,
	  MH_EXP_COA_LOST_TAG_LEN, put_coa_lost, get_coa_lost },
	{ MH_HAS_AUTH, MH_OPT_AUTH, 4, 1, MH_AUTH_OPT_LEN, MH_AUTH_OPT_LEN,
	  put_auth, get_auth },
};

#define N_OPTS (sizeof opts / sizeof opts[0])
#define MH_HAS_ALL                                                        \
	(MH_HAS_BRA | MH_HAS_ALTCOA | MH_HAS_MNID | MH_HAS_AUTH |         \
	 MH_HAS_REPLAY | MH_HAS_HNP | MH_HAS_TIMESTAMP | MH_HAS_BID | MH_HAS_SERVICE | \
	 MH_HAS_COA_LOST)

static const struct opt_desc *opt_by_type(uint8_t type)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++)
		if (opts[i].type == type)
			return &opts[i];
	return NULL;
}

/* Body length of option d in message m (the Length byte) */
static size_t opt_body_len(const struct opt_desc *d, const struct mh_msg *m)
{
	if (d->type == MH_OPT_MNID)
		return 1 + mnid_wire_len(m);
	if (d->type == MH_OPT_SERVICE)
		return m->service_len;
	if (d->bit == MH_HAS_COA_LOST && m->coa_lost_tag)
		return MH_EXP_COA_LOST_TAG_LEN;
	return d->min_len;
}

/* ---- message fixed parts ---- */

/* Length of the fixed part (common header included), or -1 if unknown */
static int fixed_len(uint8_t type)
{
	switch (type) {
	case MH_TYPE_BRR:
		return 8;
	case MH_TYPE_BU:
	case MH_TYPE_BA:
		return 12;
	case MH_TYPE_BE:
		return 24;
	default:
		return -1;
	}
}

int mh_min_len(uint8_t type)
{
	return fixed_len(type);
}

/* Everything after the 6-byte common header, up to the first option */
static void put_body(struct wr *w, const struct mh_msg *m)
{
	switch (m->type) {
	case MH_TYPE_BRR:
		put16(w, 0);
		break;
	case MH_TYPE_BU:
		put16(w, m->seq);
		put16(w, m->flags);
		put16(w, m->lifetime);
		break;
	case MH_TYPE_BA:
		put8(w, m->status);
		put8(w, (uint8_t)m->flags);
		put16(w, m->seq);
		put16(w, m->lifetime);
		break;
	case MH_TYPE_BE:
		put8(w, m->status);
		put8(w, 0);
		put(w, m->be_home.s6_addr, 16);
		break;
	}
}

static void get_body(const uint8_t *buf, struct mh_msg *m)
{
	switch (m->type) {
	case MH_TYPE_BU:
		m->seq = get16(buf + 6);
		m->flags = get16(buf + 8);
		m->lifetime = get16(buf + 10);
		break;
	case MH_TYPE_BA:
		m->status = buf[6];
		m->flags = buf[7];
		m->seq = get16(buf + 8);
		m->lifetime = get16(buf + 10);
		break;
	case MH_TYPE_BE:
		m->status = buf[6];
		memcpy(m->be_home.s6_addr, buf + 8, 16);
		break;
	}
}

/* ---- encoding ---- */

static int check_encode_args(const struct mh_msg *m, const uint8_t *key,
			     const struct in6_addr *coa,
			     const struct in6_addr *hoa)
{
	if (!m || fixed_len(m->type) < 0 || (m->present & ~MH_HAS_ALL))
		return MH_E_INVAL;
	if (m->type == MH_TYPE_BA && m->flags > 0xff)
		return MH_E_INVAL;
	if (m->present & MH_HAS_MNID) {
		size_t n = mnid_wire_len(m);

		if (n == 0 || n > MH_NAI_MAX)
			return MH_E_INVAL;
	}
	if ((m->present & MH_HAS_HNP) && m->hnp_len > 128)
		return MH_E_INVAL;
	if ((m->present & MH_HAS_SERVICE) && m->service_len == 0)
		return MH_E_INVAL;
	if (m->present & MH_HAS_AUTH) {
		if (!key || !coa || !hoa)
			return MH_E_INVAL;
		if (m->auth_subtype != 0 &&
		    m->auth_subtype != MH_AUTH_SUBTYPE_MNHA)
			return MH_E_INVAL;
	}
	return 0;
}

/* Writes the options in table order; returns the auth option's offset */
static size_t put_options(struct wr *w, const struct mh_msg *m)
{
	size_t i, auth_off = 0;

	for (i = 0; i < N_OPTS; i++) {
		const struct opt_desc *d = &opts[i];

		if (!(m->present & d->bit))
			continue;
		pad_to(w, d->x, d->y);
		if (d->bit == MH_HAS_AUTH)
			auth_off = w->off;
		put8(w, d->type);
		put8(w, (uint8_t)opt_body_len(d, m));
		d->put(w, m);
	}
	return auth_off;
}

int mh_encode(const struct mh_msg *m, uint8_t *buf, size_t cap,
	      const uint8_t key[MH_AUTH_KEY_LEN],
	      const struct in6_addr *auth_coa, const struct in6_addr *auth_hoa,
	      const struct in6_addr *src, const struct in6_addr *dst)
{
	struct wr w = { buf, buf ? cap : 0, 0, 0 };
	size_t auth_off;
	int rc = check_encode_args(m, key, auth_coa, auth_hoa);

	if (rc)
		return rc;
	put8(&w, MH_PAYLOAD_PROTO);
	put8(&w, 0); /* Header Len, known at the end */
	put8(&w, m->type);
	put8(&w, 0);
	put16(&w, 0); /* checksum, computed last */
	put_body(&w, m);
	auth_off = put_options(&w, m);
	pad_to(&w, 8, 0);
	if (w.err)
		return w.err;
	if (w.off > MH_MAX_LEN)
		return MH_E_INVAL;
	buf[1] = (uint8_t)(w.off / 8 - 1);

	/* The authenticator covers the final Header Len, so it comes after
	 * it; the checksum covers the authenticator, so it comes after that. */
	if (m->present & MH_HAS_AUTH) {
		rc = mh_auth_compute(buf, auth_off, key, auth_coa, auth_hoa,
				     buf + auth_off + MH_AUTH_SPI_END);
		if (rc)
			return rc;
	}
	if (src && dst) {
		uint16_t c = mh_checksum(buf, w.off, src, dst);

		buf[MH_CKSUM_OFF] = (uint8_t)(c >> 8);
		buf[MH_CKSUM_OFF + 1] = (uint8_t)c;
	}
	return (int)w.off;
}

/* ---- decoding ---- */

/*
 * A stored checksum of 0xffff is the other one's-complement zero; accept it
 * where the computed value is 0 (both verify under the usual whole-packet
 * sum).
 */
static int checksum_ok(const uint8_t *buf, size_t len,
		       const struct in6_addr *src, const struct in6_addr *dst)
{
	uint16_t want = mh_checksum(buf, len, src, dst);
	uint16_t got = get16(buf + MH_CKSUM_OFF);

	return got == want || (want == 0 && got == 0xffff);
}

/* An NAI is text; a NUL inside would let "alice\0x" pass for "alice". */
static int mnid_ok(const struct mh_msg *m)
{
	if (m->mnid_subtype != MH_MNID_SUBTYPE_NAI)
		return 1;
	return memchr(m->mnid, '\0', m->mnid_len) == NULL;
}

/* The experimental option carries ODM's sub-type and a zero reserved octet,
 * and is 6 octets long, or 10 with a tag that is not 0 */
static int coa_lost_ok(const uint8_t *data, uint8_t len, const struct mh_msg *m)
{
	if (len != MH_EXP_COA_LOST_LEN && (len != MH_EXP_COA_LOST_TAG_LEN || !m->coa_lost_tag))
		return 0;
	return data[0] == MH_EXP_COA_LOST && data[1] == 0;
}

/* One option whose bytes [off, off+2+len) are known to be inside the MH */
static int get_option(const uint8_t *buf, size_t off, struct mh_msg *m)
{
	const struct opt_desc *d = opt_by_type(buf[off]);
	uint8_t len = buf[off + 1];

	if (!d)
		return 0; /* unknown: skipped, as RFC 6275 §6.2.1 asks */
	if (m->present & d->bit)
		return MH_E_DUP_OPT;
	if (len < d->min_len || len > d->max_len)
		return MH_E_OPT_LEN;
	d->get(buf + off + 2, m);
	if (d->bit == MH_HAS_MNID && !mnid_ok(m))
		return MH_E_OPT_LEN; /* Length disagrees with the NAI's length */
	if (d->bit == MH_HAS_COA_LOST && !coa_lost_ok(buf + off + 2, len, m))
		return MH_E_OPT_LEN; /* not ODM's experiment, or a later version of it */
	if (d->bit == MH_HAS_HNP && m->hnp_len > 128)
		return MH_E_OPT_LEN; /* a prefix length no IPv6 prefix has */
	if (d->bit == MH_HAS_AUTH)
		m->auth_off = off;
	m->present |= d->bit;
	return 0;
}

static int get_options(const uint8_t *buf, size_t off, size_t end,
		       struct mh_msg *m)
{
	while (off < end) {
		uint8_t type = buf[off];
		int rc;

		if (type == MH_OPT_PAD1) {
			off++;
			continue;
		}
		if (end - off < 2 || end - off - 2 < buf[off + 1])
			return MH_E_OPT_OVERRUN;
		if (type != MH_OPT_PADN && (m->present & MH_HAS_AUTH))
			return MH_E_AUTH_NOT_LAST;
		if (type != MH_OPT_PADN) {
			rc = get_option(buf, off, m);
			if (rc)
				return rc;
		}
		off += 2 + (size_t)buf[off + 1];
	}
	return 0;
}

/*
 * Check order follows RFC 6275 §9.2: length and checksum first (a damaged
 * packet is dropped silently), then Payload Proto, then the type, then the
 * type's minimum length, then the options.
 */
int mh_decode(const uint8_t *buf, size_t len, struct mh_msg *m,
	      const struct in6_addr *src, const struct in6_addr *dst)
{
	int fixed, rc;

	if (!m)
		return MH_E_INVAL;
	memset(m, 0, sizeof *m);
	if (!buf || len < 6)
		return MH_E_TRUNCATED;
	if (((size_t)buf[1] + 1) * 8 != len)
		return MH_E_HDRLEN;
	if (src && dst && !checksum_ok(buf, len, src, dst))
		return MH_E_CHECKSUM;
	if (buf[0] != MH_PAYLOAD_PROTO)
		return MH_E_PROTO;
	m->type = buf[2];
	fixed = fixed_len(m->type);
	if (fixed < 0)
		return MH_E_TYPE;
	if (len < (size_t)fixed)
		return MH_E_TRUNCATED;
	get_body(buf, m);
	rc = get_options(buf, (size_t)fixed, len, m);
	if (rc) {
		uint8_t type = m->type;

		memset(m, 0, sizeof *m);
		m->type = type;
	}
	return rc;
}

/* ---- helpers ---- */

int mh_seq_newer(uint16_t seq, uint16_t last)
{
	uint16_t d = (uint16_t)(seq - last);

	return d >= 1 && d <= 32767;
}

uint16_t mh_lifetime_units(uint32_t seconds)
{
	uint32_t u = seconds / 4;

	return u > 0xffff ? 0xffff : (uint16_t)u;
}

uint32_t mh_lifetime_seconds(uint16_t units)
{
	return (uint32_t)units * 4;
}

/*
 * NTP 32.32: seconds since 1900 in the high half. The 32-bit seconds field
 * wraps in 2036 (era 1); a uint64_t difference wraps at the same point, so
 * arithmetic on nearby stamps stays right across the boundary.
 */
#define NTP_UNIX_OFFSET 2208988800u /* 1900-01-01 to 1970-01-01, seconds */
#define NS_PER_S 1000000000ull

uint64_t mh_ntp_from_timespec(const struct timespec *ts)
{
	uint64_t sec = (uint64_t)ts->tv_sec + NTP_UNIX_OFFSET;
	/* rounded, so that to_timespec() gives the same nanoseconds back */
	uint64_t frac = (((uint64_t)ts->tv_nsec << 32) + NS_PER_S / 2) / NS_PER_S;

	return (sec & 0xffffffffu) << 32 | frac;
}

void mh_ntp_to_timespec(uint64_t ntp, struct timespec *ts)
{
	uint64_t sec = ntp >> 32;
	uint64_t frac = ntp & 0xffffffffu;

	/* Stamps with the top bit clear are taken as era 1 (2036-2104), the
	 * usual pivot: ODM never sees times before 1968. */
	if (!(sec & 0x80000000u))
		sec += 1ull << 32;
	ts->tv_sec = (time_t)(sec - NTP_UNIX_OFFSET);
	ts->tv_nsec = (long)((frac * NS_PER_S + (1ull << 31)) >> 32);
}

int64_t mh_ntp_diff_ms(uint64_t a, uint64_t b)
{
	uint64_t d = a - b;
	/* the whole-second part, sign-extended from the top 32 bits */
	int64_t sec = (int64_t)(int32_t)(uint32_t)(d >> 32);
	uint64_t frac = d & 0xffffffffu;

	return sec * 1000 + (int64_t)((frac * 1000) >> 32);
}
