/* SPDX-License-Identifier: MIT */
/*
 * test_mh_vectors.c — the codec's BU and BA against bytes computed
 * independently by tests/unit/vectors/mh_vectors.py (Python standard
 * library only: struct, hmac, hashlib). The script is found under
 * $ODM_SRCDIR, else under the current directory (make runs the tests from
 * the repository root).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_mh_fixture.h"

#define SCRIPT "tests/unit/vectors/mh_vectors.py"

static void script_path(char *out, size_t cap)
{
	const char *dir = getenv("ODM_SRCDIR");

	snprintf(out, cap, "%s/%s", dir && *dir ? dir : ".", SCRIPT);
}

static int unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (hex[0] && hex[0] != '\n' && hex[1]) {
		if (n == cap || sscanf(hex, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return (int)n;
}

/* Runs the script and returns the bytes it printed for `name` */
static int python_vector(const char *name, uint8_t *out, size_t cap)
{
	char path[4096], cmd[4200], line[8192];
	size_t nlen = strlen(name);
	int len = -1;
	FILE *p;

	script_path(path, sizeof path);
	cr_assert_eq(access(path, R_OK), 0,
		     "cannot read %s (set ODM_SRCDIR to the repository root)",
		     path);
	snprintf(cmd, sizeof cmd, "python3 '%s'", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen python3 failed");
	while (fgets(line, sizeof line, p))
		if (!strncmp(line, name, nlen) && line[nlen] == ' ')
			len = unhex(line + nlen + 1, out, cap);
	cr_assert_eq(pclose(p), 0, "%s failed (is python3 on PATH?)", cmd);
	cr_assert_gt(len, 0, "%s printed no '%s' line", path, name);
	return len;
}

static void compare(const char *name, const struct mh_msg *m)
{
	uint8_t want[MH_MAX_LEN], got[MH_MAX_LEN];
	int wlen = python_vector(name, want, sizeof want);
	int glen = fx_encode(m, got, sizeof got);
	int i;

	cr_assert_eq(glen, wlen, "%s: codec %d bytes, script %d", name, glen,
		     wlen);
	for (i = 0; i < glen; i++)
		cr_assert_eq(got[i], want[i],
			     "%s: byte %d: codec %02x, script %02x", name, i,
			     got[i], want[i]);
}

Test(mh_vectors, bu_matches_python)
{
	struct mh_msg m;

	fx_bu(&m);
	compare("bu", &m);
}

Test(mh_vectors, ba_matches_python)
{
	struct mh_msg m;

	fx_ba(&m);
	compare("ba", &m);
}

Test(mh_vectors, python_bytes_decode_and_verify)
{
	/* the other direction: the codec accepts what Python built */
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr coa = fx_addr(FX_COA), hoa = fx_addr(FX_HOA);
	struct in6_addr ha = fx_addr(FX_HA);
	struct mh_msg m, want;
	int len = python_vector("bu", buf, sizeof buf);

	cr_assert_eq(mh_decode(buf, (size_t)len, &m, &coa, &ha), 0);
	cr_assert_eq(mh_auth_verify(buf, (size_t)len, &m, fx_key(), &coa, &hoa), 0);
	fx_bu(&want);
	cr_assert_eq(m.present, want.present);
	cr_assert_eq(m.seq, want.seq);
	cr_assert_eq(m.replay_ts, want.replay_ts);
	cr_assert_str_eq(m.mnid, want.mnid);

	len = python_vector("ba", buf, sizeof buf);
	cr_assert_eq(mh_decode(buf, (size_t)len, &m, &ha, &coa), 0);
	cr_assert_eq(mh_auth_verify(buf, (size_t)len, &m, fx_key(), &coa, &hoa), 0);
	cr_assert_eq(m.hnp_len, 64);
}
