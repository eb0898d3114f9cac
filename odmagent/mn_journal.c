/* SPDX-License-Identifier: MIT */
/*
 * mn_journal.c — the host role's journal of the allocations it holds
 * (see mn_journal.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mn_journal.h"
#include "odm.h"

int mnj_format(const struct mnj_entry *e, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (!inet_ntop(AF_INET6, &e->anchor, a, sizeof(a)))
		return -EINVAL;
	char h[INET6_ADDRSTRLEN] = "";
	int has = !IN6_IS_ADDR_UNSPECIFIED(&e->addr);

	if (has && !inet_ntop(AF_INET6, &e->addr, h, sizeof(h)))
		return -EINVAL;
	n = snprintf(buf, cap, "%s %u %s%s%s\n", a, (unsigned)e->bid,
		     e->type[0] ? e->type : "-", has ? " " : "", h);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* One line (no newline, NUL-terminated) into *e: 0, or why not */
static const char *parse_line(char *line, struct mnj_entry *e)
{
	char *sv = NULL, *anchor, *bid, *type, *addr, *end;
	unsigned long v;

	memset(e, 0, sizeof(*e));
	anchor = strtok_r(line, " ", &sv);
	bid = strtok_r(NULL, " ", &sv);
	type = strtok_r(NULL, " ", &sv);
	addr = strtok_r(NULL, " ", &sv);
	if (!anchor || !bid || !type || strtok_r(NULL, " ", &sv))
		return "not three or four words";
	if (addr && (inet_pton(AF_INET6, addr, &e->addr) != 1 ||
		     IN6_IS_ADDR_UNSPECIFIED(&e->addr)))
		return "not an address";
	if (inet_pton(AF_INET6, anchor, &e->anchor) != 1)
		return "not an IPv6 address";
	if (bid[0] < '1' || bid[0] > '9')
		return "not a BID";
	errno = 0;
	v = strtoul(bid, &end, 10);
	if (errno || *end || v > 65535)
		return "not a BID";
	e->bid = (uint16_t)v;
	if (strcmp(type, "-") != 0) {
		if (strlen(type) >= sizeof(e->type) || odm_type_from_name(type) <= 0)
			return "not an address type";
		memcpy(e->type, type, strlen(type) + 1);
	}
	return NULL;
}

int mnj_parse(const char *text, size_t len, struct mnj_entry **out, size_t *n, char *err,
	      size_t errlen)
{
	struct mnj_entry *v;
	size_t cnt = 0, lineno = 0, pos = 0, lines = 0;

	*out = NULL;
	*n = 0;
	for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p - text))) != NULL; p++)
		if (++lines > MNJ_MAX) {
			snprintf(err, errlen, "more than %u lines", (unsigned)MNJ_MAX);
			return -EINVAL;
		}
	if (!lines)
		return 0;
	v = calloc(lines, sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		char line[MNJ_LINE_MAX + 1];
		size_t ll;
		const char *why;

		lineno++;
		if (!nl)
			break; /* a write cut short: left out */
		ll = (size_t)(nl - (text + pos));
		if (ll > MNJ_LINE_MAX || memchr(text + pos, '\0', ll)) {
			snprintf(err, errlen, "line %zu: too long or not text", lineno);
			goto bad;
		}
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		if ((why = parse_line(line, &v[cnt])) != NULL) {
			snprintf(err, errlen, "line %zu: %s", lineno, why);
			goto bad;
		}
		cnt++;
		pos += ll + 1;
	}
	*out = v;
	*n = cnt;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

uint16_t mnj_resume_id(uint16_t last_id, const struct mnj_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((int16_t)(uint16_t)(v[i].bid - last_id) > 0)
			last_id = v[i].bid;
	return last_id;
}

static void told(struct mnjournal *j, int rc, const char *what)
{
	if (rc < 0 && rc != j->last_err)
		log_warn(rc, "%s %s (a binding the next run would not deregister if killed "
			 "before the next save; said again only if the error changes)",
			 what, j->sf.path);
	j->last_err = rc;
}

static int reopen(struct mnjournal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = open(j->sf.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	return j->fd < 0 ? -errno : 0;
}

int mnj_open(struct mnjournal *j, const char *dir)
{
	char err[128], *text = NULL;
	size_t len = 0, whole = 0;
	int rc;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	rc = statefile_open(&j->sf, dir, MN_JOURNAL_FILE);
	if (rc < 0)
		return rc;
	statefile_set_volatile(&j->sf);
	rc = statefile_read(&j->sf, &text, &len);
	if (rc == 0) {
		rc = mnj_parse(text, len, &j->v, &j->n, err, sizeof(err));
		if (rc == -EINVAL)
			log_warnx("%s: %s: ignored", j->sf.path, err);
		else if (rc < 0)
			log_warn(rc, "reading %s", j->sf.path);
		j->cap = j->n;
		j->dirty = len > 0; /* rewritten at the first save */
		for (whole = len; whole > 0 && text[whole - 1] != '\n'; whole--)
			;
	} else if (rc != -ENOENT) {
		log_warnx("reading %s: %s: ignored", j->sf.path, statefile_strerror(rc));
		j->dirty = 1;
	}
	free(text);
	/* what was read is not what the file is to hold: the first rewrite
	 * must not be taken for "unchanged" */
	statefile_forget(&j->sf);
	rc = reopen(j);
	/* a part of a line a kill cut short (left out above) goes: the
	 * appends before the first save start on a line of their own, not
	 * glued to it into one that does not parse */
	if (rc == 0 && whole < len && ftruncate(j->fd, (off_t)whole) < 0)
		rc = -errno;
	if (rc < 0)
		told(j, rc, "opening");
	return 0;
}

void mnj_close(struct mnjournal *j)
{
	/* never opened (a zeroed struct): fd 0 is not ours */
	if (j->sf.path && j->fd >= 0)
		close(j->fd);
	free(j->v);
	statefile_close(&j->sf);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
}

void mnj_append(struct mnjournal *j, const struct mnj_entry *e)
{
	char line[MNJ_LINE_MAX + 1];
	int len, rc = 0;

	if (!j->sf.path)
		return;
	if (j->n == j->cap) {
		struct mnj_entry *nv;
		size_t cap = j->cap ? j->cap * 2 : 64;

		if (cap > MNJ_MAX)
			cap = MNJ_MAX;
		nv = j->n < cap ? realloc(j->v, cap * sizeof(*nv)) : NULL;
		if (!nv) {
			if (!j->dropped++)
				log_warnx("%s: no room for more than %zu entries: an allocation "
					  "is not journaled (said once)", j->sf.path, j->n);
			return;
		}
		j->v = nv;
		j->cap = cap;
	}
	j->v[j->n++] = *e;
	len = mnj_format(e, line, sizeof(line));
	if (len < 0) {
		j->dirty = 1;
		return;
	}
	if (j->fd < 0)
		rc = reopen(j);
	if (rc == 0) {
		/* a short write (a full disk) would leave a part of a line for
		 * the next one to be glued to, and a journal that does not
		 * parse is ignored whole: the file goes back to its size */
		off_t size = lseek(j->fd, 0, SEEK_END);
		ssize_t w;

		errno = 0;
		w = write(j->fd, line, (size_t)len);
		if (w != len) {
			rc = w < 0 && errno ? -errno : -ENOSPC;
			if (w > 0 && size >= 0 && ftruncate(j->fd, size) < 0)
				log_warn(-errno, "cutting %s back after a short write", j->sf.path);
		}
	}
	/* a line in the file needs no rewrite; one that is not, the next
	 * save's (the journal holds every live allocation: rewritten only
	 * when one ends, or after such a failure) */
	if (rc < 0)
		j->dirty = 1;
	told(j, rc, "appending to");
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct mnj_entry *a = pa, *b = pb;
	int c = memcmp(&a->anchor, &b->anchor, sizeof(a->anchor));

	if (c)
		return c;
	if (a->bid != b->bid)
		return a->bid < b->bid ? -1 : 1;
	if ((c = memcmp(&a->addr, &b->addr, sizeof(a->addr))) != 0)
		return c;
	return strncmp(a->type, b->type, sizeof(a->type));
}

void mnj_cover(struct mnjournal *j, const struct mnj_entry *v, size_t n)
{
	struct mnj_entry *have;
	size_t k;

	if (!j->sf.path || !n)
		return;
	/* sorted once: a run that took over many leases costs n log n */
	k = j->n;
	have = malloc((k ? k : 1) * sizeof(*have));
	if (!have) {
		log_warn(-ENOMEM, "journaling the leases taken over in %s", j->sf.path);
		return;
	}
	if (k)
		memcpy(have, j->v, k * sizeof(*have));
	qsort(have, k, sizeof(*have), entry_cmp);
	for (size_t i = 0; i < n; i++)
		if (!bsearch(&v[i], have, k, sizeof(*have), entry_cmp))
			mnj_append(j, &v[i]);
	free(have);
}

void mnj_settle(struct mnjournal *j, int (*keep)(void *arg, const struct mnj_entry *e), void *arg)
{
	size_t k = 0, len = 0;
	char *text;
	int rc;

	if (!j->sf.path)
		return;
	for (size_t i = 0; i < j->n; i++)
		if (keep(arg, &j->v[i]))
			j->v[k++] = j->v[i];
	if (k != j->n)
		j->dirty = 1;
	j->n = k;
	/* the appends went to a file removed meanwhile: made again */
	if (!j->dirty && j->fd >= 0) {
		struct stat st;

		if (fstat(j->fd, &st) < 0 || st.st_nlink == 0)
			j->dirty = 1;
	}
	if (!j->dirty)
		return;
	text = malloc(k * (MNJ_LINE_MAX + 1) + 1);
	if (!text)
		return; /* tried again at the next save */
	text[0] = '\0';
	for (size_t i = 0; i < k; i++) {
		int n = mnj_format(&j->v[i], text + len, MNJ_LINE_MAX + 1);

		if (n > 0)
			len += (size_t)n;
	}
	/* the appends since the last rewrite are not in what statefile
	 * remembers of the file */
	statefile_forget(&j->sf);
	rc = statefile_save(&j->sf, text, len);
	free(text);
	if (rc >= 0) {
		j->dirty = 0;
		rc = reopen(j); /* the appends go to the new file */
	}
	told(j, rc, "replacing");
}
