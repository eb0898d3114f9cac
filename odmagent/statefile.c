/* SPDX-License-Identifier: MIT */
/*
 * statefile.c — atomic replacement of a state file (see statefile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "log.h"
#include "statefile.h"

static char *join(const char *dir, const char *pre, const char *name, const char *post)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s%s%s", dir, pre, name, post) < 0)
		return NULL;
	return s;
}

/* mkdir -p of dir's missing parents, 0700 as dir itself (odmagent.conf(5)
 * state-dir: /var/lib/odm/anchor on a machine without /var/lib/odm) */
static int make_parents(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *c = path + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	return 0;
}

/* dir as it is: 0, or -errno and why (ENOTDIR, EPERM as statefile_dir) */
static int judge_dir(const char *dir, char *why, size_t cap)
{
	struct stat st;
	int r;

	if (stat(dir, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = -ENOTDIR;
		goto fail;
	}
	/* whoever may write it may put state there for the agent to take
	 * over: an anchor's bindings (its pool's traffic tunnelled where they
	 * say), a host's journal (the addresses whose TCP sockets it ends) */
	if (st.st_mode & S_IWOTH) {
		if (why)
			snprintf(why, cap, "writable by others (mode %04o): anyone could put files "
				 "there for the agent to take as its own; chmod o-w it",
				 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		if (why)
			snprintf(why, cap, "owned by uid %u, neither this agent's user nor root: "
				 "that user could put files there for the agent to take as its own",
				 (unsigned)st.st_uid);
		return -EPERM;
	}
	return 0;
fail:
	if (why)
		snprintf(why, cap, "%s", strerror(-r));
	return r;
}

int statefile_dir(const char *dir, char *why, size_t cap)
{
	int r;

	if (!dir || !*dir) {
		r = -EINVAL;
		goto fail;
	}
	if ((r = make_parents(dir)) < 0)
		goto fail;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		goto fail;
	}
	return judge_dir(dir, why, cap);
fail:
	if (why)
		snprintf(why, cap, "%s", strerror(-r));
	return r;
}

int statefile_dir_check(const char *dir, char *why, size_t cap)
{
	int r = judge_dir(dir, why, cap);

	/* missing: made at start; out of this user's sight: not judged here */
	return r == -ENOENT || r == -EACCES ? 0 : r;
}

int statefile_open(struct statefile *sf, const char *dir, const char *name)
{
	int r;

	memset(sf, 0, sizeof(*sf));
	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	if ((r = statefile_dir(dir, NULL, 0)) < 0)
		return r;
	sf->path = join(dir, "", name, "");
	sf->tmp = join(dir, ".", name, ".tmp");
	sf->dir = strdup(dir);
	if (!sf->path || !sf->tmp || !sf->dir) {
		statefile_close(sf);
		return -ENOMEM;
	}
	return 0;
}

void statefile_close(struct statefile *sf)
{
	free(sf->path);
	free(sf->tmp);
	free(sf->last);
	free(sf->dir);
	free(sf->reserve);
	memset(sf, 0, sizeof(*sf));
}

static int remember(struct statefile *sf, const char *text, size_t len)
{
	char *c = malloc(len + 1);

	if (!c)
		return -ENOMEM;
	memcpy(c, text, len);
	c[len] = '\0';
	free(sf->last);
	sf->last = c;
	sf->last_len = len;
	return 0;
}

int statefile_read(struct statefile *sf, char **text, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd, rc;

	*text = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO put there would block the open until a writer
	 * came; it is refused below like anything but a regular file */
	fd = open(sf->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (st.st_size > (off_t)STATEFILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			close(fd);
			free(buf);
			return rc;
		}
		if (k == 0)
			break; /* shrank meanwhile: the parser judges what is there */
		n += (size_t)k;
	}
	close(fd);
	buf[n] = '\0';
	if (remember(sf, buf, n) < 0) {
		free(buf);
		return -ENOMEM;
	}
	*text = buf;
	*len = n;
	return 0;
}

static int fsync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd, rc = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/*
 * The extended attributes of the file at path that say who may do what
 * with it, given to fd: its ACL (acl(5): a group the administrator let
 * edit the policy) and its SELinux label (a new file has its directory's
 * default). Before the owner (as the mode): once the copy is another's,
 * changing them takes CAP_FOWNER. One the copy cannot be given is logged,
 * and it goes without (the mode still holds, as the ACL's mask).
 */
static void take_xattrs(const struct statefile *sf, int fd)
{
	static const char *const names[] = { "system.posix_acl_access", "security.selinux" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ssize_t n = lgetxattr(sf->path, names[i], NULL, 0);
		char *v;

		if (n < 0) {
			if (errno != ENODATA && errno != ENOTSUP)
				log_warn(-errno, "%s: reading its %s", sf->path, names[i]);
			continue;
		}
		v = malloc(n ? (size_t)n : 1);
		if (!v) {
			log_warn(-ENOMEM, "%s: the new copy goes without its %s", sf->path,
				 names[i]);
			continue;
		}
		n = lgetxattr(sf->path, names[i], v, (size_t)n);
		if (n < 0 || fsetxattr(fd, names[i], v, (size_t)n, 0) < 0)
			log_warn(-errno, "%s: the new copy goes without its %s", sf->path,
				 names[i]);
		free(v);
	}
}

/*
 * fd, the new copy, given the mode, ACL and SELinux label (take_xattrs),
 * owner and group of the file at path. The mode first: once the owner is
 * another's, changing it would take CAP_FOWNER, which an agent given
 * CAP_CHOWN alone (odmagent(8) Privileges)
 * has not (the copy is still empty, and the agent's, while it has the old
 * mode; chown(2) may then clear set-user-ID and set-group-ID, of no use
 * to a policy file). An owner the agent may not give leaves it the group,
 * if it may give that; what it keeps of its own is logged.
 */
static int take_perms(const struct statefile *sf, int fd)
{
	struct stat st;
	int err;

	if (lstat(sf->path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0; /* nothing to take them from: 0600, the agent's */
	if (fchmod(fd, st.st_mode & 07777) < 0)
		return -errno;
	take_xattrs(sf, fd);
	if ((st.st_uid == geteuid() && st.st_gid == getegid()) ||
	    fchown(fd, st.st_uid, st.st_gid) == 0)
		return 0;
	err = -errno;
	if (st.st_gid == getegid() || fchown(fd, (uid_t)-1, st.st_gid) == 0)
		log_warn(err, "%s: the new copy keeps owner %u, not %u (CAP_CHOWN)", sf->path,
			 (unsigned)geteuid(), (unsigned)st.st_uid);
	else
		log_warn(err, "%s: the new copy keeps owner %u group %u, not %u:%u (CAP_CHOWN)",
			 sf->path, (unsigned)geteuid(), (unsigned)getegid(), (unsigned)st.st_uid,
			 (unsigned)st.st_gid);
	return 0;
}

/*
 * The new copy written beside the old one and renamed over it. The copy
 * is a new file (O_EXCL): whatever stood at its name (a crash's leftover,
 * or, in a directory a group may write (a policy file a group edits), a hard
 * link to another file or a FIFO someone put there) is unlinked first, not
 * opened: written through, the linked file took the text, mode and owner,
 * and a FIFO held the agent in open(2) for good.
 */
static int replace(struct statefile *sf, const char *text, size_t len)
{
	int fd, rc;

	if (unlink(sf->tmp) < 0 && errno != ENOENT)
		return -errno;
	fd = open(sf->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	rc = sf->keep_perms ? take_perms(sf, fd) : 0;
	if (rc == 0)
		rc = write_all(fd, text, len);
	if (rc == 0 && !sf->volatile_ && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(sf->tmp, sf->path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(sf->tmp);
	return rc;
}

/* The file system is full: the reserve, if it holds any room, removed for
 * a save. 1 if it did (the save is tried again), 0 if there was none. */
static int reserve_give_up(struct statefile *sf)
{
	struct stat st;

	if (!sf->reserve || lstat(sf->reserve, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_blocks == 0 || unlink(sf->reserve) < 0)
		return 0;
	/* said the first time, and then at the 64th, 128th... (a quota that
	 * statvfs does not show) */
	if (!(sf->reserve_used++ % 64))
		log_warnx("%s: the file system is full: the reserve kept for this (%s, %lld "
			  "bytes) was removed to save the state (%u time(s) so far); it is "
			  "made again once there is room", sf->path, sf->reserve,
			  (long long)st.st_blocks * 512, sf->reserve_used);
	sf->reserve_wait = STATEFILE_RESERVE_WAIT;
	return 1;
}

int statefile_save(struct statefile *sf, const char *text, size_t len)
{
	int rc;

	if (!sf->path)
		return -EINVAL;
	if (len > STATEFILE_MAX)
		return -EFBIG;
	if (sf->last && sf->last_len == len && memcmp(sf->last, text, len) == 0)
		return 0;
	rc = replace(sf, text, len);
	if ((rc == -ENOSPC || rc == -EDQUOT) && reserve_give_up(sf))
		rc = replace(sf, text, len);
	if (rc < 0)
		return rc;
	rc = sf->volatile_ ? 0 : fsync_dir(sf->path);
	sf->writes++;
	if (remember(sf, text, len) < 0) {
		free(sf->last); /* next save writes again: safe */
		sf->last = NULL;
	}
	return rc < 0 ? rc : 1;
}

/* How large the state is: what was last written or read, or the file on
 * disk if larger (the anchor forgets what it wrote when a child writes) */
static size_t state_len(const struct statefile *sf)
{
	struct stat st;

	if (lstat(sf->path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > sf->last_len)
		return (size_t)st.st_size;
	return sf->last_len;
}

static size_t reserve_size(size_t len)
{
	size_t want = len + len / 2;

	want = (want + STATEFILE_RESERVE_MIN - 1) / STATEFILE_RESERVE_MIN * STATEFILE_RESERVE_MIN;
	return want < STATEFILE_RESERVE_MIN ? STATEFILE_RESERVE_MIN : want;
}

/* the reserve short of want bytes: told once until it is whole again */
static int reserve_short(struct statefile *sf, int rc, size_t want, const char *why)
{
	if (!sf->reserve_short)
		log_warn(rc, "%s: no reserve of %zu bytes for saving the state on a full file "
			 "system (%s; tried again after a save, said once until it works)",
			 sf->reserve, want, why);
	sf->reserve_short = 1;
	return rc;
}

/* Allocate want bytes to the reserve, which has have allocated and is
 * size long (0, 0: none yet); undone on failure */
static int reserve_grow(struct statefile *sf, size_t want, unsigned long long have, off_t size)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(sf->reserve, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return reserve_short(sf, -errno, want, "open");
	/* ours alone: not something else's file under its name */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return reserve_short(sf, -EINVAL, want, "not a file of its own");
	}
	rc = -posix_fallocate(fd, 0, (off_t)want);
	/* a file system that compresses (or glibc's emulation, writing
	 * zeros where fallocate is not supported) may allocate nothing */
	if (rc == 0 && (fstat(fd, &st) < 0 || (unsigned long long)st.st_blocks * 512 < want)) {
		rc = -EOPNOTSUPP;
		sf->reserve_off = 1;
	}
	/* what a part of the allocation took is given back */
	if (rc < 0 && !(have == 0 && unlink(sf->reserve) == 0) && ftruncate(fd, size) < 0)
		log_warn(-errno, "%s: giving back what a failed allocation took", sf->reserve);
	close(fd);
	if (rc == -EOPNOTSUPP)
		return reserve_short(sf, rc, want, "the file system does not allocate blocks "
				     "ahead: no reserve is kept");
	return rc < 0 ? reserve_short(sf, rc, want, "posix_fallocate") : 0;
}

int statefile_keep_reserve(struct statefile *sf)
{
	struct stat st;
	struct statvfs vs;
	unsigned long long room, have = 0;
	off_t size = 0;
	size_t len, want;
	int rc;

	if (!sf->dir)
		return -EINVAL;
	if (sf->reserve_off)
		return -EOPNOTSUPP;
	if (!sf->reserve && !(sf->reserve = join(sf->dir, ".", strrchr(sf->path, '/') + 1,
						 ".reserve")))
		return -ENOMEM;
	len = state_len(sf);
	want = reserve_size(len);
	if (lstat(sf->reserve, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return reserve_short(sf, -EINVAL, want, "not a regular file");
		have = (unsigned long long)st.st_blocks * 512; /* allocated, not its size */
		size = st.st_size;
	} else if (errno != ENOENT) {
		return reserve_short(sf, -errno, want, "stat");
	}
	if (have >= want)
		goto whole;
	/* given up for a save a moment ago: not taken back at once (a quota
	 * that statvfs does not show would have it given up at each save) */
	if (sf->reserve_wait) {
		sf->reserve_wait--;
		return reserve_short(sf, -ENOSPC, want, "given up for a save lately");
	}
	/* room for the rest of it and for one more copy of the state beside
	 * it: taking the last free blocks would fail the next save for it */
	if (statvfs(sf->dir, &vs) < 0)
		return reserve_short(sf, -errno, want, "statvfs");
	room = (unsigned long long)vs.f_bavail * vs.f_frsize;
	if (room < want - have + len)
		return reserve_short(sf, -ENOSPC, want, "too little free space");
	rc = reserve_grow(sf, want, have, size);
	if (rc < 0)
		return rc;
whole:
	if (sf->reserve_short)
		log_info("%s: a reserve of %zu bytes is kept again", sf->reserve, want);
	sf->reserve_short = 0;
	return 0;
}

void statefile_set_volatile(struct statefile *sf)
{
	sf->volatile_ = 1;
}

void statefile_keep_perms(struct statefile *sf)
{
	sf->keep_perms = 1;
}

int statefile_remove(struct statefile *sf)
{
	if (!sf->path)
		return -EINVAL;
	statefile_forget(sf);
	if (unlink(sf->path) < 0 && errno != ENOENT)
		return -errno;
	if (sf->reserve && unlink(sf->reserve) < 0 && errno != ENOENT)
		return -errno;
	return fsync_dir(sf->path);
}

int statefile_commit(struct statefile *sf, char *text)
{
	int rc = -ENOMEM, encoded = text != NULL;

	if (text) {
		rc = statefile_save(sf, text, strlen(text));
		free(text);
	}
	statefile_account(sf, rc, encoded ? "writing it" : "encoding the state");
	return rc;
}

void statefile_account(struct statefile *sf, int rc, const char *what)
{
	if (rc >= 0) {
		if (sf->failures)
			log_info("%s saved again, after %u failed attempt(s)", sf->path,
				 sf->failures);
		sf->failures = 0;
		if (sf->reserve)
			statefile_keep_reserve(sf);
		return;
	}
	/* a full disk fails every save: one line, not one per event */
	if (!sf->failures || rc != sf->last_err)
		log_warn(rc, "saving %s (%s; the copy saved before stays, saving is tried "
			 "again; said once until it works or fails otherwise)",
			 sf->path, what);
	sf->failures++;
	sf->last_err = rc;
}

const char *statefile_strerror(int rc)
{
	switch (rc) {
	case -EINVAL:
		return "not a regular file";
	case -ELOOP:
		return "a symbolic link (not followed)";
	case -EFBIG:
		return "larger than 16 MiB";
	default:
		return strerror(-rc);
	}
}

void statefile_forget(struct statefile *sf)
{
	free(sf->last);
	sf->last = NULL;
	sf->last_len = 0;
}
