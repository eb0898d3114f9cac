/* SPDX-License-Identifier: MIT */
/* timens.c — the time namespace's boot-time offset (see timens.h). */
#include "timens.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define TIMENS_FILE_MAX 256 /* two lines of at most 50 bytes or so */

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* a word of text[*i..end) after blanks: its start and length; 0 if none */
static size_t word(const char *text, size_t end, size_t *i, const char **w)
{
	size_t n = 0;

	while (*i < end && is_blank(text[*i]))
		(*i)++;
	*w = text + *i;
	while (*i < end && !is_blank(text[*i])) {
		(*i)++;
		n++;
	}
	return n;
}

/* a decimal of at most 18 digits, with a '-' if neg_ok; 0 when well formed */
static int decimal(const char *w, size_t n, int neg_ok, int64_t *v)
{
	int neg = 0;
	uint64_t x = 0;

	if (n && w[0] == '-' && neg_ok) {
		neg = 1;
		w++;
		n--;
	}
	if (n == 0 || n > 18)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(w[i] - '0');
	}
	*v = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

static int word_is(const char *w, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(w, s, n) == 0;
}

int timens_boot_offset_parse(const char *text, size_t len, int64_t *off_ns)
{
	int64_t boot = 0;
	int have = 0;
	size_t i = 0;

	while (i < len) {
		size_t end = i, n;
		const char *w;
		int64_t sec, nsec;
		int is_boot;

		while (end < len && text[end] != '\n')
			end++;
		n = word(text, end, &i, &w);
		if (word_is(w, n, "boottime") || word_is(w, n, "7"))
			is_boot = 1;
		else if (word_is(w, n, "monotonic") || word_is(w, n, "1"))
			is_boot = 0;
		else
			return -EINVAL;
		n = word(text, end, &i, &w);
		if (decimal(w, n, 1, &sec) < 0)
			return -EINVAL;
		n = word(text, end, &i, &w);
		if (decimal(w, n, 0, &nsec) < 0 || nsec > 999999999)
			return -EINVAL;
		if (word(text, end, &i, &w) != 0)
			return -EINVAL;
		/* |sec| < 10^18 / 10^9 ns: no overflow past int64 */
		if (sec > 9000000000 || sec < -9000000000)
			return -EINVAL;
		if (is_boot) {
			boot = sec * 1000000000 + nsec;
			have = 1;
		}
		i = end + 1; /* past the newline (or the end) */
	}
	if (!have)
		return -EINVAL;
	*off_ns = boot;
	return 0;
}

int timens_boot_offset(int64_t *off_ns)
{
	char buf[TIMENS_FILE_MAX];
	size_t len = 0;
	ssize_t r;
	int fd = open("/proc/self/timens_offsets", O_RDONLY | O_CLOEXEC);

	*off_ns = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	while (len < sizeof buf && (r = read(fd, buf + len, sizeof buf - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			close(fd);
			return (int)r;
		}
		len += (size_t)r;
	}
	close(fd);
	if (len == sizeof buf)
		return -EINVAL;
	return timens_boot_offset_parse(buf, len, off_ns);
}

uint64_t timens_stamp_ms(uint64_t ns, int64_t off_ns)
{
	int64_t t = (int64_t)ns + off_ns;

	return !ns ? 0 : t >= 1000000 ? (uint64_t)t / 1000000 : 1;
}
