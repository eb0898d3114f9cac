/* SPDX-License-Identifier: MIT */
/* test_config.c — odmagent.conf parsing: every directive, every error kind. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "odm.h"
#include "tunnel.h"

#define KEY "00112233445566778899aabbccddeeff"
#define MN_ID "identity mn1@example.org spi 256 key " KEY "\n"
#define ANCHOR_BASE                                                       \
	"role anchor\naddress 2001:db8:c4a::1\npool 2001:db8:c4a:1::/64\n" \
	"identity mn1@example.org spi 256 key " KEY "\n"

static struct odm_config cfg;
static char err[512];

static int parse(const char *text)
{
	return config_parse(&cfg, text, strlen(text), "t.conf", err, sizeof(err));
}

static void fini(void)
{
	config_free(&cfg);
}

TestSuite(config, .fini = fini);

/* config_reload of cfg from text (which must parse); the reason in err */
static int reload_from(const char *text)
{
	struct odm_config next;
	int r;

	cr_assert_eq(config_parse(&next, text, strlen(text), "n.conf", err, sizeof(err)), 0, "%s",
		     err);
	r = config_reload(&cfg, &next, err, sizeof(err));
	config_free(&next);
	return r;
}

/* The parse fails and the message starts with want. */
static void fails(const char *text, const char *want)
{
	int r = parse(text);

	cr_assert_eq(r, -EINVAL, "accepted: %s", text);
	cr_assert(strncmp(err, want, strlen(want)) == 0, "for %s\n  got  \"%s\"\n  want \"%s...\"",
		  text, err, want);
	cr_assert_null(cfg.identities);
}

Test(config, defaults)
{
	config_defaults(&cfg);
	cr_assert_eq(cfg.role, ODM_ROLE_MN);
	cr_assert_eq(cfg.mode, ODM_MODE_CHA);
	cr_assert_str_eq(cfg.control_path, "/run/odm/odmagent.sock");
	cr_assert_eq(cfg.control_gid, (gid_t)-1);
	cr_assert_str_eq(cfg.tunnel_backend, "auto");
	cr_assert_str_eq(cfg.tunnel_ifname, "odm0");
	cr_assert_eq(cfg.log_level, ODM_LOG_INFO);
	cr_assert_eq(cfg.max_lifetime, 600);
	cr_assert_eq(cfg.max_bindings, 64);
	cr_assert_eq(cfg.default_type, ODM_TYPE_NON_PERSISTENT);
	cr_assert_eq(cfg.lifetime, 300);
	cr_assert_eq(cfg.udp_inactivity, 30);
	cr_assert_eq(cfg.table, 1000);
	cr_assert_eq(cfg.rule_priority, 1000);
	cr_assert_eq(cfg.pool_plen, 0);
	cr_assert_eq(cfg.n_identities, 0);
}

Test(config, minimal_mn)
{
	cr_assert_eq(parse(MN_ID), 0, "%s", err);
	cr_assert_eq(cfg.role, ODM_ROLE_MN);
	cr_assert_eq(cfg.n_identities, 1);
	cr_assert_str_eq(cfg.identities[0].nai, "mn1@example.org");
	cr_assert_eq(cfg.identities[0].spi, 256);
	cr_assert_eq(cfg.identities[0].key[0], 0x00);
	cr_assert_eq(cfg.identities[0].key[1], 0x11);
	cr_assert_eq(cfg.identities[0].key[15], 0xff);
	cr_assert_eq(cfg.table, 1000);
}

Test(config, every_mn_directive)
{
	const char *t = "# a comment\n"
			"\n"
			"   role   mn   # trailing comment\n"
			"control /tmp/odm-test/agent.sock\n"
			"control-group 0\n"
			"tunnel userspace\n"
			"tunnel-device odmx\n"
			"log-level debug\n"
			"default-type session-lasting\n"
			"lifetime 120\n"
			"udp-inactivity 45\n"
			"table 2000\n"
			"rule-priority 900\n"
			"\tidentity host@example.org\tspi 4096 key 0123456789ABCDEF0123456789abcdef";
	cr_assert_eq(parse(t), 0, "%s", err);
	cr_assert_str_eq(cfg.control_path, "/tmp/odm-test/agent.sock");
	cr_assert_eq(cfg.control_gid, 0);
	cr_assert_str_eq(cfg.tunnel_backend, "userspace");
	cr_assert_str_eq(cfg.tunnel_ifname, "odmx");
	cr_assert_eq(cfg.log_level, ODM_LOG_DEBUG);
	cr_assert_eq(cfg.default_type, ODM_TYPE_SESSION_LASTING);
	cr_assert_eq(cfg.lifetime, 120);
	cr_assert_eq(cfg.udp_inactivity, 45);
	cr_assert_eq(cfg.table, 2000);
	cr_assert_eq(cfg.rule_priority, 900);
	cr_assert_eq(cfg.identities[0].spi, 4096);
	cr_assert_eq(cfg.identities[0].key[0], 0x01);
	cr_assert_eq(cfg.identities[0].key[7], 0xef);
}

Test(config, tunnel_backends)
{
	static const char *const names[] = { "auto", "kernel", "user", "userspace" };
	char t[256];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(t, sizeof t, "%stunnel %s\n", MN_ID, names[i]);
		cr_assert_eq(parse(t), 0, "tunnel %s: %s", names[i], err);
		cr_assert_str_eq(cfg.tunnel_backend, names[i]);
		config_free(&cfg);
	}
}

Test(config, tunnel_encap)
{
	char t[256];

	config_defaults(&cfg);
	cr_assert_eq(cfg.tunnel_encap, ODM_ENCAP_IP6IP6, "ip6ip6 by default");
	snprintf(t, sizeof t, "%stunnel-encap udp\n", MN_ID);
	cr_assert_eq(parse(t), 0, "%s", err);
	cr_assert_eq(cfg.tunnel_encap, ODM_ENCAP_UDP);
	config_free(&cfg);
	snprintf(t, sizeof t, "%stunnel-encap ip6ip6\n", MN_ID);
	cr_assert_eq(parse(t), 0, "%s", err);
	cr_assert_eq(cfg.tunnel_encap, ODM_ENCAP_IP6IP6);
	config_free(&cfg);
	fails("tunnel-encap gre\n", "t.conf:1: gre: tunnel-encap must be ip6ip6 or udp");
	/* only the userspace backend carries udp: a file that could never
	 * start fails its check, naming both lines */
	snprintf(t, sizeof t, "%stunnel kernel\ntunnel-encap udp\n", MN_ID);
	fails(t, "t.conf:3: tunnel-encap: udp runs on the userspace backend only, not on "
		 "\"tunnel kernel\" (line 2)");
	snprintf(t, sizeof t, "%stunnel-encap udp\ntunnel bpf\n", MN_ID);
	fails(t, "t.conf:2: tunnel-encap: udp runs on the userspace backend only, not on "
		 "\"tunnel bpf\" (line 3)");
	for (int i = 0; i < 3; i++) {
		static const char *const ok[] = { "user", "userspace", "auto" };

		snprintf(t, sizeof t, "%stunnel %s\ntunnel-encap udp\n", MN_ID, ok[i]);
		cr_assert_eq(parse(t), 0, "tunnel %s: %s", ok[i], err);
		config_free(&cfg);
	}
}

Test(config, every_anchor_directive)
{
	struct in6_addr a, p;
	const char *t = "role anchor\n"
			"mode home\n"
			"control-group root\n"
			"address 2001:db8:40e::1\n"
			"pool 2001:db8:40e:8000::/65\n"
			"max-lifetime 1200\n"
			"max-bindings 8\n"
			"identity a@example.org spi 300 key " KEY "\n"
			"identity b@example.org spi 301 key " KEY "\n";
	cr_assert_eq(parse(t), 0, "%s", err);
	inet_pton(AF_INET6, "2001:db8:40e::1", &a);
	inet_pton(AF_INET6, "2001:db8:40e:8000::", &p);
	cr_assert_eq(cfg.role, ODM_ROLE_ANCHOR);
	cr_assert_eq(cfg.mode, ODM_MODE_HOME);
	cr_assert_eq(cfg.control_gid, 0);
	cr_assert_eq(memcmp(&cfg.address, &a, 16), 0);
	cr_assert_eq(memcmp(&cfg.pool, &p, 16), 0);
	cr_assert_eq(cfg.pool_plen, 65);
	cr_assert_eq(cfg.max_lifetime, 1200);
	cr_assert_eq(cfg.max_bindings, 8);
	cr_assert_eq(cfg.n_identities, 2);
	cr_assert_not_null(config_identity(&cfg, "b@example.org"));
	cr_assert_eq(config_identity(&cfg, "b@example.org")->spi, 301);
	cr_assert_null(config_identity(&cfg, "c@example.org"));
}

#define ACCESS_BASE                                                     \
	"role anchor\naddress 2001:db8:a1::1\n"                               \
	"identity mn1@example.org spi 256 key " KEY "\n"

Test(config, modes)
{
	cr_assert_eq(parse(ANCHOR_BASE "mode cha\n"), 0, "%s", err);
	cr_assert_eq(cfg.mode, ODM_MODE_CHA);
	cr_assert_eq(cfg.modes, ODM_MODE_BIT(ODM_MODE_CHA));
	config_free(&cfg);
	cr_assert_eq(parse(ACCESS_BASE "mode access\naccess-prefix 2001:db8:a1::/64\n"), 0, "%s",
		     err);
	cr_assert_eq(cfg.mode, ODM_MODE_ACCESS);
	cr_assert_eq(cfg.n_access_prefixes, 1);
	cr_assert_eq(cfg.access_prefixes[0].plen, 64);
	cr_assert_eq(cfg.grace_period, CONFIG_GRACE_DEFAULT_S);
}

Test(config, several_modes)
{
	cr_assert_eq(parse(ANCHOR_BASE "mode home access cha\n"
				       "access-prefix 2001:db8:a1::/64\n"
				       "access-prefix 2001:db8:a3::/64\n"
				       "grace-period 30\n"), 0, "%s", err);
	cr_assert_eq(cfg.mode, ODM_MODE_HOME, "the first mode named is the main one");
	cr_assert_eq(cfg.modes, ODM_MODE_BIT(ODM_MODE_CHA) | ODM_MODE_BIT(ODM_MODE_HOME) |
					ODM_MODE_BIT(ODM_MODE_ACCESS));
	cr_assert(config_serves(&cfg, ODM_MODE_ACCESS));
	cr_assert_eq(cfg.n_access_prefixes, 2);
	cr_assert_eq(cfg.grace_period, 30);
}

Test(config, mode_errors)
{
	fails(ANCHOR_BASE "mode cha cha\n", "t.conf:5: cha: mode named twice");
	fails(ANCHOR_BASE "mode cha home access cha\n", "t.conf:5: cha: extra argument to mode");
	fails(ANCHOR_BASE "mode cha hub\n", "t.conf:5: hub: mode must be cha, home or access");
	fails(ACCESS_BASE "mode access\n", "t.conf:4: access-prefix: mode access needs at least one");
	fails(ANCHOR_BASE "mode access\naccess-prefix 2001:db8:a1::/64\n",
	      "t.conf:3: pool: only mode cha and mode home hand out addresses");
	fails(ANCHOR_BASE "access-prefix 2001:db8:a1::/64\n",
	      "t.conf:5: access-prefix: only valid with mode access");
	fails(ANCHOR_BASE "grace-period 10\n", "t.conf:5: grace-period: only valid with mode access");
	fails(ACCESS_BASE "mode access\naccess-prefix 2001:db8:a1::/64\ngrace-period 3\n",
	      "t.conf:6: 3: number out of range 4..86400");
	fails(ACCESS_BASE "mode access\naccess-prefix 2001:db8:a1::/48\n",
	      "t.conf:5: 2001:db8:a1::/48: prefix length must be 64..128");
	fails(ACCESS_BASE "mode access\naccess-prefix 2001:db8:a1::/64\n"
			  "access-prefix 2001:db8:a1::8000/120\n",
	      "t.conf:6: 2001:db8:a1::8000/120: overlaps another access-prefix");
	fails(ANCHOR_BASE "mode cha access\naccess-prefix 2001:db8:c4a:1::/64\n",
	      "t.conf:3: pool: overlaps an access-prefix");
	fails("role anchor\naddress 2001:db8:c4a::1\npool 2001:db8:c4a:1::/112\n"
	      "identity mn1@example.org spi 256 key " KEY "\nmode home\n",
	      "t.conf:3: pool: mode home derives addresses over the pool");
}

Test(config, unknown_directive)
{
	fails(MN_ID "frobnicate 1\n", "t.conf:2: frobnicate: unknown directive");
}

Test(config, missing_argument)
{
	fails("role\n" MN_ID, "t.conf:1: role: missing argument");
	fails(MN_ID "identity x@y spi 256 key\n", "t.conf:2: identity: missing argument");
}

Test(config, extra_argument)
{
	fails("role mn anchor\n" MN_ID, "t.conf:1: anchor: extra argument");
	fails(MN_ID "table 5 6\n", "t.conf:2: 6: extra argument");
}

Test(config, bad_values)
{
	fails("role router\n", "t.conf:1: router: role must be");
	fails(ANCHOR_BASE "mode hub\n", "t.conf:5: hub: mode must be");
	fails("control relative.sock\n", "t.conf:1: relative.sock: control socket path must be");
	fails("control-group no-such-group-odm\n", "t.conf:1: no-such-group-odm: no such group");
	fails("tunnel gre\n", "t.conf:1: gre: tunnel must be");
	fails("tunnel-device abcdefghijklmnopq\n", "t.conf:1: abcdefghijklmnopq: interface name");
	fails("tunnel-device a/b\n", "t.conf:1: a/b: not a valid interface name");
	fails("log-level loud\n", "t.conf:1: loud: log-level must be");
	fails("default-type mobile\n", "t.conf:1: mobile: unknown address type");
	fails("default-type none\n", "t.conf:1: none: unknown address type");
}

Test(config, bad_address)
{
	fails("role anchor\naddress 2001:db8::g\n", "t.conf:2: 2001:db8::g: not an IPv6 address");
	fails("role anchor\naddress 192.0.2.1\n", "t.conf:2: 192.0.2.1: not an IPv6 address");
	fails("role anchor\naddress ::\n", "t.conf:2: ::: not a global unicast or unique local");
	fails("role anchor\naddress ff02::1\n", "t.conf:2: ff02::1: not a global unicast");
	fails("role anchor\naddress fe80::1\n", "t.conf:2: fe80::1: not a global unicast");
	fails("role anchor\naddress ::1\n", "t.conf:2: ::1: not a global unicast");

}

Test(config, bad_prefix)
{
	fails("role anchor\npool 2001:db8::\n", "t.conf:2: 2001:db8::: prefix needs a /LEN");
	fails("role anchor\npool 2001:db8::/48\n", "t.conf:2: 2001:db8::/48: prefix length must");
	fails("role anchor\npool 2001:db8::/128\n", "t.conf:2: 2001:db8::/128: prefix length must");
	fails("role anchor\npool 2001:db8::/6x\n", "t.conf:2: 2001:db8::/6x: prefix length must");
	fails("role anchor\npool 2001:db8::1/64\n", "t.conf:2: 2001:db8::1/64: host bits set");
	fails("role anchor\npool zz::/64\n", "t.conf:2: zz::/64: not an IPv6 prefix");
	/* addresses for hosts elsewhere: nothing a router keeps on its link */
	fails("role anchor\npool fe80::/64\n",
	      "t.conf:2: fe80::/64: not a global unicast or unique local prefix");
	fails("role anchor\npool ff02::/64\n", "t.conf:2: ff02::/64: not a global unicast");
	fails("role anchor\npool ::/64\n", "t.conf:2: ::/64: not a global unicast");
	fails("role anchor\npool 64:ff9b::/96\n", "t.conf:2: 64:ff9b::/96: not a global unicast");
	fails("role anchor\nmode access\naccess-prefix fe80::/64\n",
	      "t.conf:3: fe80::/64: not a global unicast or unique local prefix");
	cr_assert_eq(parse("role anchor\naddress fd00::1\npool fd00:1::/64\n"
			   "identity mn1@example.org spi 256 key " KEY "\n"), 0, "a ULA pool: %s", err);
	config_free(&cfg);
}

Test(config, bad_number)
{
	fails("table x\n", "t.conf:1: x: not a number");
	fails("table -1\n", "t.conf:1: -1: not a number");
	fails("table 010\n", "t.conf:1: 010: number with leading zero");
	fails("table 99999999999\n", "t.conf:1: 99999999999: number out of range");
	fails("table 254\n", "t.conf:1: 254: table 254 is reserved");
	fails("table 0\n", "t.conf:1: 0: number out of range");
	fails("rule-priority 32766\n", "t.conf:1: 32766: number out of range");
	fails("lifetime 0\n", "t.conf:1: 0: number out of range");
	fails("udp-inactivity 1.5\n", "t.conf:1: 1.5: not a number");
	fails("role anchor\nmax-lifetime 300000\n", "t.conf:2: 300000: number out of range");
	fails("role anchor\nmax-bindings 0\n", "t.conf:2: 0: number out of range");
	fails("identity a@b spi 4294967296 key " KEY "\n", "t.conf:1: 4294967296: number out");
	/* RFC 4285 section 5.1 reserves SPIs 0-255 */
	fails("identity a@b spi 255 key " KEY "\n", "t.conf:1: 255: number out of range 256..4294967295");
	fails("identity a@b spi 0 key " KEY "\n", "t.conf:1: 0: number out of range 256..4294967295");
	/* each says what the value is for, not only where it stands */
	fails("lifetime 0300\n", "t.conf:1: 0300: number with leading zero (lifetime)");
	fails("udp-inactivity x\n", "t.conf:1: x: not a number (udp-inactivity)");
	fails("dns-ttl 86401\n", "t.conf:1: 86401: number out of range 0..86400 (dns-ttl)");
	fails("identity a@b spi 255 key " KEY "\n",
	      "t.conf:1: 255: number out of range 256..4294967295 (spi of identity)");
	fails(MN_ID "home-anchor 2001:db8::zz\n",
	      "t.conf:2: 2001:db8::zz: not an IPv6 address (home-anchor)");
}

Test(config, bad_key)
{
	fails("identity a@b spi 300 key 0011\n", "t.conf:1: a@b: key must be 32 hex digits, not 4");
	fails("identity a@b spi 300 key " KEY "00\n", "t.conf:1: a@b: key must be 32");
	fails("identity a@b spi 300 key 0011223344556677889900aabbccddgg\n",
	      "t.conf:1: a@b: key is not hexadecimal");
	cr_assert_null(strstr(err, "0011223344"), "a key, even a bad one, is never shown: %s", err);
	fails("identity a@b spy 300 key " KEY "\n", "t.conf:1: spy: expected \"spi\"");
	fails("identity a@b spi 300 secret " KEY "\n", "t.conf:1: secret: expected \"key\"");
}

Test(config, role_validation)
{
	fails("", "t.conf: identity: role mn needs exactly one");
	fails(MN_ID "identity two@example.org spi 257 key " KEY "\n",
	      "t.conf:2: identity: role mn needs exactly one, 2 given");
	fails("role anchor\npool 2001:db8::/64\nidentity a@b spi 300 key " KEY "\n",
	      "t.conf:1: address: required for role anchor");
	fails("role anchor\naddress 2001:db8::1\nidentity a@b spi 300 key " KEY "\n",
	      "t.conf:1: pool: required for role anchor");
	fails("role anchor\naddress 2001:db8::1\npool 2001:db8:1::/64\n",
	      "t.conf:1: identity: role anchor needs at least one");
	/* directives of the other role */
	fails(MN_ID "pool 2001:db8::/64\n", "t.conf:2: pool: not valid for role mn");
	fails(ANCHOR_BASE "table 5\n", "t.conf:5: table: not valid for role anchor");
	fails(MN_ID "role anchor\naddress 2001:db8::1\npool 2001:db8::/64\nlifetime 60\n",
	      "t.conf:5: lifetime: not valid for role anchor");
}

Test(config, duplicates)
{
	fails("role mn\nrole mn\n", "t.conf:2: role: given twice (first on line 1)");
	fails(ANCHOR_BASE "identity mn1@example.org spi 9999 key " KEY "\n",
	      "t.conf:5: mn1@example.org: identity given twice");
}

Test(config, bounds)
{
	char *big;

	big = malloc(2048);
	memset(big, 'a', 2047);
	big[2047] = '\0';
	fails(big, "t.conf:1: line: longer than 1024");
	free(big);
	fails("role mn\x01\n", "t.conf:1: line: control character 0x01");
	fails("role mn\r\n", "t.conf:1: line: control character 0x0d at column 8 (a DOS line ending");
	cr_assert_eq(config_parse(&cfg, "role\0mn\n", 8, "t.conf", err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "t.conf:1: line: control character 0x00 at column 5");
	{
		size_t n = 1024 * 1024 + 1;
		char *t = malloc(n);

		memset(t, '\n', n);
		cr_assert_eq(config_parse(&cfg, t, n, "t.conf", err, sizeof(err)), -EINVAL);
		cr_assert_str_eq(err, "t.conf: file larger than 1048576 bytes");
		free(t);
	}
	fails("identity a b c d e f g h i\n", "t.conf:1: h: too many words");
	{
		char nai[300];

		memset(nai, 'n', 255);
		nai[255] = '\0';
		snprintf(err, sizeof(err), "identity %s spi 300 key %s\n", nai, KEY);
		char *t = strdup(err);
		fails(t, "t.conf:1: nnnn");
		cr_assert(strstr(err, "NAI must be 1..254"), "%s", err);
		free(t);
	}
}

Test(config, many_identities)
{
	size_t n = 3000, len = n * 80 + 200, off = 0;
	char *t = malloc(len);

	off += (size_t)snprintf(t + off, len - off,
				"role anchor\naddress 2001:db8::1\npool 2001:db8:1::/64\n");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(t + off, len - off, "identity h%zu@example.org spi %zu key %s\n",
					i, 1000 + i, KEY);
	cr_assert_eq(config_parse(&cfg, t, off, "t.conf", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.n_identities, n);
	cr_assert_eq(config_identity(&cfg, "h2999@example.org")->spi, 3999);
	free(t);
}

static char dir[64];

static void keydir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/odm-keytest-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void writefile(const char *name, const char *text, mode_t mode)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static void rmdir_all(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(config, key_file)
{
	char p[128], k[128], t[512];

	keydir();
	writefile("k", "  " KEY "\n\n", 0600);
	writefile("open", KEY "\n", 0644);
	writefile("short", "0011\n", 0600);
	writefile("odmagent.conf", "identity h@example.org spi 300 key-file k\n", 0600);

	/* absolute path */
	snprintf(t, sizeof(t), "identity h@example.org spi 300 key-file %s/k\n", dir);
	cr_assert_eq(parse(t), 0, "%s", err);
	cr_assert_eq(cfg.identities[0].key[15], 0xff);
	config_free(&cfg);

	/* relative to the config file's directory */
	snprintf(p, sizeof(p), "%s/odmagent.conf", dir);
	cr_assert_eq(config_load(&cfg, p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.identities[0].key[1], 0x11);
	config_free(&cfg);

	snprintf(t, sizeof(t), "identity h@example.org spi 300 key-file %s/open\n", dir);
	cr_assert_eq(parse(t), -EINVAL);
	cr_assert(strstr(err, "key file is accessible by others"), "%s", err);

	/* another user's key file, mode 0600: that user may put another key
	 * there (as root only: nobody else can give a file away) */
	snprintf(k, sizeof(k), "%s/k", dir);
	if (geteuid() == 0) {
		cr_assert_eq(chown(k, 65534, 65534), 0);
		snprintf(t, sizeof(t), "identity h@example.org spi 300 key-file %s\n", k);
		cr_assert_eq(parse(t), -EINVAL);
		cr_assert(strstr(err, "key file is owned by uid 65534, neither the agent's user "
				      "nor root; chown it"), "%s", err);
		cr_assert_eq(chown(k, 0, 0), 0);
	}

	snprintf(t, sizeof(t), "identity h@example.org spi 300 key-file %s/short\n", dir);
	cr_assert_eq(parse(t), -EINVAL);
	cr_assert(strstr(err, "key must be 32 hex digits"), "%s", err);

	snprintf(t, sizeof(t), "identity h@example.org spi 300 key-file %s/none\n", dir);
	cr_assert_eq(parse(t), -EINVAL);
	cr_assert(strstr(err, "cannot open key file"), "%s", err);

	snprintf(t, sizeof(t), "identity h@example.org spi 300 key-file %s\n", dir);
	cr_assert_eq(parse(t), -EINVAL);
	cr_assert(strstr(err, "not a regular file"), "%s", err);

	/* a relative one that is missing: where it was looked for is said */
	writefile("odmagent.conf", "identity h@example.org spi 300 key-file none\n", 0600);
	cr_assert_eq(config_load(&cfg, p, err, sizeof(err)), -EINVAL);
	snprintf(t, sizeof(t), "odmagent.conf:1: none: cannot open key file %s/none: No such file",
		 dir);
	cr_assert(strstr(err, t), "%s", err);
	rmdir_all();
}

/* A key written in the configuration is not refused, whatever the file's
 * mode; one that others may read or write is warned about, naming the line. */
Test(config, a_key_in_a_file_others_may_read)
{
	char p[128], w[400];
	const char *msg;

	keydir();
	snprintf(p, sizeof(p), "%s/odmagent.conf", dir);
	writefile("odmagent.conf", "role mn\nidentity h@example.org spi 300 key " KEY "\n", 0644);
	cr_assert_eq(config_load(&cfg, p, err, sizeof(err)), 0, "%s", err);
	msg = config_exposed_key(&cfg, p, w, sizeof(w));
	cr_assert_not_null(msg, "mode 0644");
	cr_assert(strstr(msg, "odmagent.conf:2: a key written in a file others may read (mode 0644)"),
		  "%s", msg);
	cr_assert_null(strstr(msg, KEY), "the key is not in the warning: %s", msg);
	config_free(&cfg);
	/* one others may write is refused, key or not: anyone could give the
	 * agent identities, anchors and a policy */
	chmod(p, 0602);
	cr_assert_eq(config_load(&cfg, p, err, sizeof(err)), -EPERM);
	cr_assert(strstr(err, "odmagent.conf: writable by others (mode 0602); chmod o-w it"), "%s",
		  err);
	config_free(&cfg);
	writefile("odmagent.conf", "role mn\nidentity h@example.org spi 300 key-file k\n", 0646);
	writefile("k", KEY "\n", 0600);
	cr_assert_eq(config_load(&cfg, p, err, sizeof(err)), -EPERM);
	config_free(&cfg);
	writefile("odmagent.conf", "role mn\nidentity h@example.org spi 300 key " KEY "\n", 0640);
	chmod(p, 0640);
	cr_assert_eq(config_load(&cfg, p, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(config_exposed_key(&cfg, p, w, sizeof(w)), "mode 0640");
	config_free(&cfg);
	/* a key-file in a file anyone may read is what the package ships */
	writefile("k", KEY "\n", 0600);
	writefile("odmagent.conf", "role mn\nidentity h@example.org spi 300 key-file k\n", 0644);
	cr_assert_eq(config_load(&cfg, p, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(config_exposed_key(&cfg, p, w, sizeof(w)), "key-file");
	config_free(&cfg);
	rmdir_all();
}

/* Two identities an anchor serves with one key: either host can register as
 * the other (odmagent(8) Keys: one key per host). Valid, but said, naming
 * both identities and never the key; the agent said nothing before. */
Test(config, identities_sharing_a_key_are_warned_of)
{
	char w[1024];
	const char *msg;

	cr_assert_eq(parse(ANCHOR_BASE "identity mn2@example.org spi 257 key "
				       "ffeeddccbbaa99887766554433221100\n"), 0, "%s", err);
	cr_assert_null(config_shared_key(&cfg, "t.conf", w, sizeof(w)), "keys of their own");
	config_free(&cfg);
	cr_assert_eq(parse(ANCHOR_BASE "identity mn3@example.org spi 258 key "
				       "ffeeddccbbaa99887766554433221100\n"
				       "identity mn2@example.org spi 257 key " KEY "\n"), 0, "%s", err);
	msg = config_shared_key(&cfg, "t.conf", w, sizeof(w));
	cr_assert_not_null(msg, "mn1 and mn2 share a key");
	cr_assert(strstr(msg, "t.conf: identities mn1@example.org and mn2@example.org have the "
			      "same key: a host holding it can register as either"), "%s", msg);
	cr_assert_null(strstr(msg, KEY), "the key is not in the warning: %s", msg);
	cr_assert_null(strstr(msg, "more"), "%s", msg);
	config_free(&cfg);
	cr_assert_eq(parse(ANCHOR_BASE "identity mn2@example.org spi 257 key " KEY "\n"
				       "identity mn3@example.org spi 258 key " KEY "\n"), 0, "%s", err);
	msg = config_shared_key(&cfg, "t.conf", w, sizeof(w));
	cr_assert(msg && strstr(msg, "(and more identities share keys)"), "%s", msg ? msg : "");
	config_free(&cfg);
	cr_assert_eq(parse("role mn\n" MN_ID), 0, "%s", err);
	cr_assert_null(config_shared_key(&cfg, "t.conf", w, sizeof(w)), "one identity");
	config_free(&cfg);
}

Test(config, load_errors)
{
	cr_assert_eq(config_load(&cfg, "/nonexistent/odmagent.conf", err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "/nonexistent/odmagent.conf: No such file"), "%s", err);
	keydir();
	writefile("bad.conf", MN_ID "bogus\n", 0600);
	{
		char p[128], want[160];

		snprintf(p, sizeof(p), "%s/bad.conf", dir);
		snprintf(want, sizeof(want), "%s:2: bogus: unknown directive", p);
		cr_assert_eq(config_load(&cfg, p, err, sizeof(err)), -EINVAL);
		cr_assert_str_eq(err, want);
	}
	rmdir_all();
}

#define TSIGFILE "key \"odm-test-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"3q2+796tvu/erb7v3q2+796tvu/erb7v3q2+796tvu8=\";\n};\n"

Test(config, dns_registration)
{
	char t[512];

	keydir();
	writefile("tsig.key", TSIGFILE, 0600);
	writefile("open.key", TSIGFILE, 0644);
	writefile("md5.key", "key k { algorithm hmac-md5; secret \"AAAA\"; };", 0600);

	snprintf(t, sizeof(t),
		 MN_ID "dns-publish current\ndns-server 2001:db8:53::53\n"
		       "dns-name mn.example.test\ndns-key %s/tsig.key\n", dir);
	cr_assert_eq(parse(t), 0, "%s", err);
	cr_assert_eq(cfg.dns_publish, DNS_PUBLISH_CURRENT);
	cr_assert_str_eq(cfg.dns.name, "mn.example.test.");
	cr_assert_str_eq(cfg.dns.zone, "example.test.", "zone is the name's parent");
	cr_assert_eq(cfg.dns.port, 53);
	cr_assert_eq(cfg.dns.ttl, 60);
	cr_assert_str_eq(cfg.dns.key.name, "odm-test-key.");
	config_free(&cfg);
	cr_assert_eq(cfg.dns.key.secret[0], '\0', "the TSIG secret outlived config_free");

	snprintf(t, sizeof(t),
		 MN_ID "dns-publish current\ndns-server 2001:db8:53::53\ndns-port 5353\n"
		       "dns-name mn.sub.example.test.\ndns-zone example.test\ndns-ttl 0\n"
		       "dns-key %s/tsig.key\n", dir);
	cr_assert_eq(parse(t), 0, "%s", err);
	cr_assert_eq(cfg.dns.port, 5353);
	cr_assert_str_eq(cfg.dns.zone, "example.test.");
	cr_assert_eq(cfg.dns.ttl, 0);
	config_free(&cfg);

	fails(MN_ID "dns-publish current\ndns-server 2001:db8:53::53\ndns-name mn.example.test\n",
	      "t.conf:2: dns-key: required by dns-publish");
	fails(MN_ID "dns-name mn.example.test\n",
	      "t.conf:2: dns-name: has no effect with dns-publish off");
	fails(MN_ID "dns-publish always\n",
	      "t.conf:2: always: dns-publish must be off, current or fixed");
	snprintf(t, sizeof(t),
		 MN_ID "dns-publish fixed\ndns-server 2001:db8:53::53\ndns-name mn.example.test\n"
		       "dns-key %s/tsig.key\n",
		 dir);
	cr_assert_eq(parse(t), 0, "%s", err);
	cr_assert_eq(cfg.dns_publish, DNS_PUBLISH_FIXED);
	config_free(&cfg);
	fails(MN_ID "dns-server fe80::1\n", "t.conf:2: fe80::1: not a usable unicast address");
	fails(MN_ID "dns-name mn\n", "t.conf:2: mn: give the fully qualified name");
	fails(MN_ID "dns-name mn..test\n", "t.conf:2: mn..test: empty label");
	fails(MN_ID "dns-name mn/x.test\n", "t.conf:2: mn/x.test: character '/' not allowed");
	fails(MN_ID "dns-ttl 86401\n", "t.conf:2: 86401:");
	fails(MN_ID "dns-port 0\n", "t.conf:2: 0:");
	fails(ANCHOR_BASE "dns-name mn.example.test\n", "t.conf:5: dns-name: not valid for role anchor");
	snprintf(t, sizeof(t), MN_ID "dns-key %s/open.key\n", dir);
	cr_assert_eq(parse(t), -EINVAL);
	cr_assert(strstr(err, "TSIG key file is accessible by others"), "%s", err);
	snprintf(t, sizeof(t), MN_ID "dns-key %s/md5.key\n", dir);
	cr_assert_eq(parse(t), -EINVAL);
	cr_assert(strstr(err, "md5.key: line 1: algorithm \"hmac-md5\" not supported"), "%s", err);
	rmdir_all();
}

/* policy-file (odm-policy(5)): an absolute file path, mn only, reloadable */
Test(config, policy_file)
{
	static const char other[] = MN_ID "policy-file /etc/odm/other\n";

	cr_assert_eq(parse(MN_ID), 0, "%s", err);
	cr_assert_str_eq(cfg.policy_file, "", "no policy file by default");
	config_free(&cfg);
	cr_assert_eq(parse(MN_ID "policy-file /etc/odm/policy\n"), 0, "%s", err);
	cr_assert_str_eq(cfg.policy_file, "/etc/odm/policy");
	cr_assert_eq(reload_from(other), 0, "%s", err);
	cr_assert_str_eq(cfg.policy_file, "/etc/odm/other", "a reload takes the new path");
	config_free(&cfg);
	fails(MN_ID "policy-file policy\n", "t.conf:2: policy: policy file must be absolute");
	fails(MN_ID "policy-file /etc/odm/\n", "t.conf:2: /etc/odm/: a policy file, not a directory");
	fails(ANCHOR_BASE "policy-file /etc/odm/policy\n",
	      "t.conf:5: policy-file: not valid for role anchor");
}

Test(config, access_anchors)
{
	char text[1024];
	size_t off;

	cr_assert_eq(parse(MN_ID "access-anchor 2001:db8:a1::1\naccess-anchor 2001:db8:a2::1\n"),
		     0, "%s", err);
	cr_assert_eq(cfg.n_access_anchors, 2);
	cr_assert_eq(cfg.access_anchors[1].s6_addr[5], 0xa2);
	config_free(&cfg);
	fails(MN_ID "access-anchor fe80::1\n", "t.conf:2: ");
	cr_assert(strstr(err, "not a global unicast or unique local address"), "%s", err);
	/* where a Binding Update can go, as for an anchor's own address */
	fails(MN_ID "access-anchor ::ffff:192.0.2.1\n",
	      "t.conf:2: ::ffff:192.0.2.1: not a global unicast or unique local address");
	fails(MN_ID "home-anchor fec0::1\n",
	      "t.conf:2: fec0::1: not a global unicast or unique local address");
	fails(MN_ID "home-anchor 64:ff9b::1\n", "t.conf:2: 64:ff9b::1: not a global unicast");
	cr_assert_eq(parse(MN_ID "home-anchor fd00::10\n"), 0, "a ULA anchor: %s", err);
	config_free(&cfg);
	off = (size_t)snprintf(text, sizeof(text), "%s", MN_ID);
	for (int i = 0; i <= CONFIG_ACCESS_ANCHORS_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"access-anchor 2001:db8:%x::1\n", i + 1);
	fails(text, "t.conf:");
	cr_assert(strstr(err, "too many access-anchor lines"), "%s", err);
}

Test(config, access_anchor_ra_and_off)
{
	cr_assert_eq(parse(MN_ID ""), 0, "%s", err);
	cr_assert_eq(cfg.access_from_ra, 0, "learning from RAs is on by default");
	config_free(&cfg);
	cr_assert_eq(parse(MN_ID "access-anchor ra\naccess-anchor 2001:db8:a1::1\n"), 0, "%s", err);
	cr_assert_eq(cfg.access_from_ra, 1);
	cr_assert_eq(cfg.n_access_anchors, 1, "configured ones with ra");
	config_free(&cfg);
	cr_assert_eq(parse(MN_ID "access-anchor off\n"), 0, "%s", err);
	cr_assert(cfg.access_off);
	cr_assert_eq(cfg.access_from_ra + (int)cfg.n_access_anchors, 0);
	config_free(&cfg);
	fails(MN_ID "access-anchor 2001:db8:a1::1\naccess-anchor off\n",
	      "t.conf:3: off: access-anchor off goes alone");
	fails(MN_ID "access-anchor off\naccess-anchor ra\n", "t.conf:3: ra: access-anchor off goes alone");
	fails(MN_ID "access-anchor RA\n", "t.conf:2: ");
	fails(MN_ID "access-anchor 2001:db8:a1::1\naccess-anchor 2001:db8:A1:0::1\n",
	      "t.conf:3: 2001:db8:A1:0::1: access-anchor given twice");
	/* ra and off, like an address, at most once each */
	fails(MN_ID "access-anchor ra\naccess-anchor 2001:db8:a1::1\naccess-anchor ra\n",
	      "t.conf:4: ra: access-anchor ra given twice");
	fails(MN_ID "access-anchor off\naccess-anchor off\n", "t.conf:3: off: access-anchor off given twice");
	/* off, or not, takes a restart like the rest of access-anchor */
	cr_assert_eq(parse(MN_ID ""), 0, "%s", err);
	cr_assert_eq(reload_from(MN_ID "access-anchor off\n"), -EINVAL);
	cr_assert_str_eq(err, "access-anchor changed: it takes a restart");
	config_free(&cfg);
}

/* answer-rate and answer-burst: a reload takes them (anchor_reload sets
 * the bucket) */
Test(config, answer_rate_reloads)
{
	cr_assert_eq(parse(ANCHOR_BASE), 0, "%s", err);
	cr_assert_eq(cfg.answer_rate, 10);
	cr_assert_eq(reload_from(ANCHOR_BASE "answer-rate 0\nanswer-burst 1\n"), 0, "%s", err);
	cr_assert_eq(cfg.answer_rate, 0);
	cr_assert_eq(cfg.answer_burst, 1);
	config_free(&cfg);
}

/* optimistic-dad and router-solicit (linkprep.h): mn only, on by default,
 * on|off strictly, and a change takes a restart */
Test(config, access_link_preparation)
{
	static const char off[] = MN_ID "optimistic-dad off\nrouter-solicit off\n";

	cr_assert_eq(parse(MN_ID), 0, "%s", err);
	cr_assert_eq(cfg.optimistic_dad, 1, "on by default");
	cr_assert_eq(cfg.router_solicit, 1, "on by default");
	config_free(&cfg);
	cr_assert_eq(parse(MN_ID "optimistic-dad on\nrouter-solicit off\n"), 0, "%s", err);
	cr_assert_eq(cfg.optimistic_dad, 1);
	cr_assert_eq(cfg.router_solicit, 0);
	cr_assert_eq(reload_from(off), -EINVAL);
	cr_assert_str_eq(err, "optimistic-dad changed: it takes a restart");
	config_free(&cfg);
	fails(MN_ID "optimistic-dad yes\n", "t.conf:2: yes: optimistic-dad must be on or off");
	fails(MN_ID "router-solicit 1\n", "t.conf:2: 1: router-solicit must be on or off");
	fails(ANCHOR_BASE "optimistic-dad on\n",
	      "t.conf:5: optimistic-dad: not valid for role anchor");
	cr_assert_eq(config_onoff("on"), 1);
	cr_assert_eq(config_onoff("off"), 0);
	cr_assert_eq(config_onoff("On"), -1);
}

/* ignore-linkdown (linkprep.h): mn only, on by default, a change takes a
 * restart */
Test(config, ignore_linkdown)
{
	cr_assert_eq(parse(MN_ID), 0, "%s", err);
	cr_assert_eq(cfg.ignore_linkdown, 1, "on by default");
	cr_assert_eq(reload_from(MN_ID "ignore-linkdown off\n"), -EINVAL);
	cr_assert_str_eq(err, "ignore-linkdown changed: it takes a restart");
	config_free(&cfg);
	cr_assert_eq(parse(MN_ID "ignore-linkdown off\n"), 0, "%s", err);
	cr_assert_eq(cfg.ignore_linkdown, 0);
	config_free(&cfg);
	fails(MN_ID "ignore-linkdown 0\n", "t.conf:2: 0: ignore-linkdown must be on or off");
	fails(ANCHOR_BASE "ignore-linkdown on\n",
	      "t.conf:5: ignore-linkdown: not valid for role anchor");
}
