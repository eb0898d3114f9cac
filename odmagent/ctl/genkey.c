/* SPDX-License-Identifier: MIT */
/*
 * genkey.c — "odmctl genkey": a new random MN-HA key (RFC 4285 section 5.1:
 * 16 octets, shared by a host and each anchor serving it) from getrandom(2),
 * written as the 32 hexadecimal digits odmagent.conf(5) reads, and the
 * identity line that uses it.
 *
 * With -o FILE the key goes to FILE, created with mode 0600 and O_EXCL, so
 * an existing key is never overwritten by accident (-f replaces it
 * atomically: a new file renamed over the old one); without -o, the line
 * printed carries the key itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

#define KEY_LEN 16    /* octets of an MN-HA key */
#define NAI_MAX 254   /* as odmagent.conf(5) allows */
#define SPI_MIN 256   /* RFC 4285 section 5.1: 0-255 reserved */

static int fill_random(void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = getrandom((char *)buf + got, n - got, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		got += (size_t)k;
	}
	return 0;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(fd, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Write text to a new file path, mode 0600; with force, replace path atomically. */
static int write_keyfile(const char *path, const char *text, int force)
{
	char tmp[PATH_MAX];
	const char *target = path;
	int fd, r;

	if (force) {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
			return -ENAMETOOLONG;
		fd = mkstemp(tmp); /* mode 0600, O_EXCL */
		target = tmp;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (fd < 0)
		return -errno;
	r = fchmod(fd, 0600) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && force && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(target);
	return r;
}

static int valid_nai(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAI_MAX)
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return 0;
	return 1;
}

int cmd_genkey(const struct ctl_opts *o, int argc, char **argv)
{
	const char *out = NULL, *nai = NULL;
	char host[256], hex[2 * KEY_LEN + 2], abs[PATH_MAX];
	uint8_t key[KEY_LEN];
	uint32_t spi = 0;
	int force = 0, have_spi = 0, r;
	long long n;

	(void)o;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-f") == 0 || strcmp(a, "--force") == 0) {
			force = 1;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--nai") == 0 ||
			   strcmp(a, "--spi") == 0) {
			if (i + 1 >= argc) {
				ctl_errx("genkey: option \"%s\" needs an argument", a);
				return ctl_usage_of("genkey");
			}
			if ((r = ctl_once("genkey", a,
					  a[1] == 'o' ? out != NULL : a[2] == 'n' ? nai != NULL : have_spi)))
				return r;
			if (a[1] == 'o' && !*argv[i + 1]) {
				/* not a file "": "genkey: : No such file" says nothing */
				ctl_errx("genkey: option \"-o\" needs a file name, not an empty word");
				return ctl_usage_of("genkey");
			} else if (a[1] == 'o')
				out = argv[++i];
			else if (a[2] == 'n')
				nai = argv[++i];
			else if ((n = ctl_number(argv[++i], UINT32_MAX)) < SPI_MIN) {
				ctl_errx("genkey: SPI \"%s\" is not a number %d..%u", argv[i],
					 SPI_MIN, UINT32_MAX);
				return CTL_EXIT_ERR;
			} else {
				spi = (uint32_t)n;
				have_spi = 1;
			}
		} else {
			ctl_errx("genkey: unexpected %s \"%s\"", a[0] == '-' ? "option" : "argument",
				 a);
			return ctl_usage_of("genkey");
		}
	}
	if (!nai) {
		if (gethostname(host, sizeof(host)) < 0 || !host[0]) {
			ctl_errx("genkey: no host name to make an NAI of: give --nai");
			return CTL_EXIT_ERR;
		}
		host[sizeof(host) - 1] = '\0';
		nai = host;
	}
	if (!valid_nai(nai)) {
		ctl_errx("genkey: NAI \"%s\" must be 1..%d printable characters, no blanks", nai,
			 NAI_MAX);
		return CTL_EXIT_ERR;
	}
	r = fill_random(key, sizeof(key));
	while (r == 0 && !have_spi) {
		r = fill_random(&spi, sizeof(spi));
		have_spi = spi >= SPI_MIN;
	}
	if (r < 0) {
		ctl_errx("genkey: getrandom: %s", strerror(-r));
		return CTL_EXIT_ERR;
	}
	for (size_t i = 0; i < KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	explicit_bzero(key, sizeof(key));
	if (out) {
		hex[2 * KEY_LEN] = '\n';
		hex[2 * KEY_LEN + 1] = '\0';
		r = write_keyfile(out, hex, force);
		explicit_bzero(hex, sizeof(hex));
		if (r == -EEXIST) {
			ctl_errx("genkey: %s exists; -f replaces it", out);
			return CTL_EXIT_ERR;
		}
		if (r < 0) {
			ctl_errx("genkey: %s: %s", out, strerror(-r));
			return CTL_EXIT_ERR;
		}
		if (!realpath(out, abs))
			snprintf(abs, sizeof(abs), "%s", out);
		printf("# key written to %s (mode 0600); copy it to each anchor too.\n"
		       "# In odmagent.conf(5) of the host and of each anchor serving it:\n"
		       "identity %s spi %u key-file %s\n",
		       abs, nai, spi, abs);
		return 0;
	}
	printf("# In odmagent.conf(5) of the host and of each anchor serving it\n"
	       "# (keep the file unreadable by others):\n"
	       "identity %s spi %u key %s\n",
	       nai, spi, hex);
	explicit_bzero(hex, sizeof(hex));
	return 0;
}
