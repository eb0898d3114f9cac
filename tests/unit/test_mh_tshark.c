/* SPDX-License-Identifier: MIT */
/*
 * test_mh_tshark.c — conformance against an independent dissector: the
 * codec's BU and BA (every option) go into a pcap file, and tshark must
 * decode the same field values, with nothing malformed and no expert
 * warnings or errors.
 *
 * The pcap is written by hand (classic format, LINKTYPE_RAW = 101: each
 * record is a bare IPv6 packet) so the test needs no libpcap. Addresses are
 * documentation ones (2001:db8::/32). A missing tshark is a failure, not a
 * skip: `make check` installs it, so its absence means a broken setup.
 *
 * Not asserted, because tshark 4.0 gets them wrong: the
 * authenticator bytes (shown 2 bytes short), the MESG-ID timestamp (read
 * as Unix time), the auth subtype name, and the checksum (not verified;
 * test_mh_helpers.c checks that by hand).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_mh_fixture.h"
#include "watchdog.h"

#define LINKTYPE_RAW 101
#define NFIELDS 24

/* ---- pcap writing ---- */

static void put_u32(FILE *f, uint32_t v)
{
	/* native order: readers detect it from the magic number */
	cr_assert_eq(fwrite(&v, 4, 1, f), 1);
}

static void put_u16(FILE *f, uint16_t v)
{
	cr_assert_eq(fwrite(&v, 2, 1, f), 1);
}

static void pcap_header(FILE *f)
{
	put_u32(f, 0xa1b2c3d4); /* microsecond timestamps */
	put_u16(f, 2);
	put_u16(f, 4);
	put_u32(f, 0);      /* thiszone */
	put_u32(f, 0);      /* sigfigs */
	put_u32(f, 65535);  /* snaplen */
	put_u32(f, LINKTYPE_RAW);
}

/* One IPv6 packet: fixed header with Next Header 135, then the MH */
static void pcap_packet(FILE *f, uint32_t sec, const struct in6_addr *src,
			const struct in6_addr *dst, const uint8_t *mh,
			size_t len)
{
	uint8_t ip6[40] = { 0x60, 0, 0, 0 };

	ip6[4] = (uint8_t)(len >> 8);
	ip6[5] = (uint8_t)len;
	ip6[6] = 135; /* Mobility Header */
	ip6[7] = 64;  /* hop limit */
	memcpy(ip6 + 8, src, 16);
	memcpy(ip6 + 24, dst, 16);
	put_u32(f, sec);
	put_u32(f, 0);
	put_u32(f, (uint32_t)(sizeof ip6 + len));
	put_u32(f, (uint32_t)(sizeof ip6 + len));
	cr_assert_eq(fwrite(ip6, sizeof ip6, 1, f), 1);
	cr_assert_eq(fwrite(mh, len, 1, f), 1);
}

static void add_msg(FILE *f, uint32_t sec, const struct mh_msg *m,
		    const char *src, const char *dst)
{
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr s = fx_addr(src), d = fx_addr(dst);
	struct in6_addr coa = fx_addr(FX_COA), hoa = fx_addr(FX_HOA);
	int len = mh_encode(m, buf, sizeof buf, fx_key(), &coa, &hoa, &s, &d);

	cr_assert_gt(len, 0, "encode: %s", mh_strerror(len));
	pcap_packet(f, sec, &s, &d, buf, (size_t)len);
}

/* ---- running tshark ---- */

static const char *const fields[NFIELDS] = {
	"frame.number", "mip6.mhtype", "mip6.hlen",
	"mip6.bu.seqnr", "mip6.bu.lifetime", "mip6.bu.a_flag",
	"mip6.bu.h_flag", "mip6.bu.p_flag",
	"mip6.ba.status", "mip6.ba.seqnr", "mip6.ba.lifetime", "mip6.ba.p_flag",
	"mip6.bra.interval", "mip6.acoa.acoa", "mip6.nemo.mnp.pfl",
	"mip6.nemo.mnp.mnp", "mip6.bi.bid", "mip6.bi.h_flag",
	"mip6.mnid.identifier", "mip6.auth.mobility_spi",
	"mip6.be.status", "mip6.be.haddr",
	"_ws.malformed", "_ws.expert.severity",
};

struct row {
	char buf[4096];
	const char *col[NFIELDS];
};

static int field_index(const char *name)
{
	int i;

	for (i = 0; i < NFIELDS; i++)
		if (!strcmp(fields[i], name))
			return i;
	cr_assert_fail("no column %s", name);
	return -1;
}

static void split_row(struct row *r)
{
	char *p = r->buf;
	int i;

	p[strcspn(p, "\n")] = '\0';
	for (i = 0; i < NFIELDS; i++) {
		r->col[i] = p;
		p = strchr(p, '\t');
		if (!p) {
			for (i++; i < NFIELDS; i++)
				r->col[i] = "";
			return;
		}
		*p++ = '\0';
	}
}

static int tshark_present(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

/* Runs tshark on pcap; returns the number of rows read into rows[] */
static int run_tshark(const char *dir, const char *pcap, struct row *rows,
		      int max)
{
	char cmd[8192];
	size_t off;
	int i, n = 0;
	FILE *p;

	/* a throw-away HOME keeps tshark away from any user profile */
	off = (size_t)snprintf(cmd, sizeof cmd,
			       "HOME='%s' tshark -r '%s' -Y mipv6 -T fields "
			       "-E separator=/t -E occurrence=a -E aggregator=,",
			       dir, pcap);
	for (i = 0; i < NFIELDS; i++)
		off += (size_t)snprintf(cmd + off, sizeof cmd - off, " -e %s",
					fields[i]);
	snprintf(cmd + off, sizeof cmd - off, " 2>'%s/stderr'", dir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (n < max && fgets(rows[n].buf, sizeof rows[n].buf, p))
		split_row(&rows[n++]);
	cr_assert_eq(pclose(p), 0, "tshark failed: %s", cmd);
	return n;
}

static void expect(const struct row *r, const char *field, const char *want)
{
	const char *got = r->col[field_index(field)];

	cr_expect_str_eq(got, want, "frame %s: %s is '%s', encoded '%s'",
			 r->col[0], field, got, want);
}

/* Booleans print as 1/0 in tshark 4.0 and as True/False in older ones */
static void expect_flag(const struct row *r, const char *field, int want)
{
	const char *got = r->col[field_index(field)];
	int on = !strcmp(got, "1") || !strcmp(got, "True");
	int off = !strcmp(got, "0") || !strcmp(got, "False");

	cr_expect(want ? on : off, "frame %s: %s is '%s', want %d", r->col[0],
		  field, got, want);
}

static void expect_clean(const struct row *r)
{
	expect(r, "_ws.malformed", "");
	/* "Chat" and "Note" are informational; warnings and errors are not */
	expect(r, "_ws.expert.severity", "");
}

Test(mh_tshark, bu_ba_be_brr_decode_as_encoded)
{
	char dir[] = "/tmp/odm-mh-tshark-XXXXXX", pcap[64], num[32];
	struct row rows[8];
	struct mh_msg bu, ba, be, brr;
	FILE *f;
	int n, i;

	unit_watchdog(60);

	cr_assert(tshark_present(),
		  "tshark not found on PATH: install it (make deps) — this "
		  "conformance test does not skip");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(pcap, sizeof pcap, "%s/mh.pcap", dir);
	f = fopen(pcap, "wb");
	cr_assert_not_null(f);
	pcap_header(f);

	fx_bu(&bu);
	bu.flags |= MH_BU_P;
	add_msg(f, 1, &bu, FX_COA, FX_HA);
	fx_ba(&ba);
	ba.status = MH_BA_NOT_HA_FOR_MN;
	ba.flags = MH_BA_P;
	add_msg(f, 2, &ba, FX_HA, FX_COA);
	memset(&be, 0, sizeof be);
	be.type = MH_TYPE_BE;
	be.status = MH_BE_UNKNOWN_MH;
	be.be_home = fx_addr(FX_HOA);
	add_msg(f, 3, &be, FX_HA, FX_COA);
	memset(&brr, 0, sizeof brr);
	brr.type = MH_TYPE_BRR;
	add_msg(f, 4, &brr, FX_HA, FX_HOA);
	cr_assert_eq(fclose(f), 0);

	n = run_tshark(dir, pcap, rows, 8);
	cr_assert_eq(n, 4, "tshark showed %d MH packets, expected 4", n);

	/* BU */
	expect(&rows[0], "mip6.mhtype", "5");
	expect(&rows[0], "mip6.hlen", "16");
	snprintf(num, sizeof num, "%u", bu.seq);
	expect(&rows[0], "mip6.bu.seqnr", num);
	snprintf(num, sizeof num, "%u", bu.lifetime);
	expect(&rows[0], "mip6.bu.lifetime", num);
	expect_flag(&rows[0], "mip6.bu.a_flag", 1);
	expect_flag(&rows[0], "mip6.bu.h_flag", 1);
	expect_flag(&rows[0], "mip6.bu.p_flag", 1);
	expect(&rows[0], "mip6.bra.interval", "75");
	expect(&rows[0], "mip6.acoa.acoa", FX_COA);
	expect(&rows[0], "mip6.nemo.mnp.pfl", "128");
	expect(&rows[0], "mip6.nemo.mnp.mnp", "::");
	expect(&rows[0], "mip6.bi.bid", "1");
	expect_flag(&rows[0], "mip6.bi.h_flag", 1);
	expect(&rows[0], "mip6.mnid.identifier", FX_NAI);
	snprintf(num, sizeof num, "%u", FX_SPI);
	expect(&rows[0], "mip6.auth.mobility_spi", num);

	/* BA */
	expect(&rows[1], "mip6.mhtype", "6");
	snprintf(num, sizeof num, "%u", ba.status);
	expect(&rows[1], "mip6.ba.status", num);
	snprintf(num, sizeof num, "%u", ba.seq);
	expect(&rows[1], "mip6.ba.seqnr", num);
	snprintf(num, sizeof num, "%u", ba.lifetime);
	expect(&rows[1], "mip6.ba.lifetime", num);
	expect_flag(&rows[1], "mip6.ba.p_flag", 1);
	expect(&rows[1], "mip6.bra.interval", "75");
	expect(&rows[1], "mip6.acoa.acoa", FX_COA);
	expect(&rows[1], "mip6.nemo.mnp.pfl", "64");
	expect(&rows[1], "mip6.nemo.mnp.mnp", "2001:db8:100::");
	expect(&rows[1], "mip6.mnid.identifier", FX_NAI);
	snprintf(num, sizeof num, "%u", FX_SPI);
	expect(&rows[1], "mip6.auth.mobility_spi", num);

	/* BE, BRR */
	expect(&rows[2], "mip6.mhtype", "7");
	expect(&rows[2], "mip6.be.status", "2");
	expect(&rows[2], "mip6.be.haddr", FX_HOA);
	expect(&rows[3], "mip6.mhtype", "0");

	for (i = 0; i < n; i++)
		expect_clean(&rows[i]);
	/* A failed assertion above ends the test before this point, which
	 * leaves the pcap behind in /tmp for a look with wireshark. */
	snprintf(pcap, sizeof pcap, "%s/stderr", dir);
	unlink(pcap);
	snprintf(pcap, sizeof pcap, "%s/mh.pcap", dir);
	unlink(pcap);
	rmdir(dir);
}
