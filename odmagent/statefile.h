/* SPDX-License-Identifier: MIT */
/*
 * statefile.h — one file of agent state on disk, replaced atomically: the
 * new text goes to a temporary file in the same directory, is fsync'ed,
 * renamed over the old one (rename(2) is atomic within a file system) and
 * the directory is fsync'ed, so a crash at any moment leaves either the old
 * or the new copy, never a mix (the pattern of rename(2) and fsync(2)).
 *
 * A statefile remembers what it last wrote, so saving unchanged text costs
 * a comparison and no I/O: callers may save after every event.
 */
#ifndef ODM_STATEFILE_H
#define ODM_STATEFILE_H

#include <stddef.h>

#define STATEFILE_MAX (16u * 1024 * 1024) /* larger files are refused */

struct statefile {
	char *path;      /* DIR/NAME */
	char *tmp;       /* DIR/.NAME.tmp */
	char *last;      /* text last written or read, NULL = none */
	size_t last_len;
	unsigned writes; /* files actually written, for status and tests */
	int volatile_;   /* 1: no fsync (statefile_set_volatile) */
	int keep_perms;  /* 1: a new copy keeps the old one's mode, owner, ACL, label */
	unsigned failures; /* statefile_commit: failed saves in a row */
	int last_err;      /* ... and the last one's -errno */
	char *dir;         /* DIR */
	char *reserve;     /* DIR/.NAME.reserve, NULL = none kept */
	int reserve_short; /* the reserve could not be kept whole (told once) */
	int reserve_off;   /* the file system allocates nothing ahead: none kept */
	unsigned reserve_used; /* times it was given up for a save */
	unsigned reserve_wait; /* saves to let pass before it is made again */
};

#define STATEFILE_RESERVE_MIN (64u * 1024)
#define STATEFILE_RESERVE_WAIT 16 /* saves after it was given up */

/* dir made (mode 0700) if missing, with its missing parents (0700 too):
 * 0, or -errno (-ENOTDIR: not a
 * directory; -EPERM: others may write it, or it is owned by a user other
 * than the effective one and root), and why in why (cap bytes; NULL: not
 * said) */
int statefile_dir(const char *dir, char *why, size_t cap);
/* dir judged as statefile_dir judges it, made or changed in nothing
 * (odmagent -n): 0 when it passes, is missing or cannot be looked at */
int statefile_dir_check(const char *dir, char *why, size_t cap);
/* Set up sf for dir/name, creating dir as statefile_dir does. 0 or -errno */
int statefile_open(struct statefile *sf, const char *dir, const char *name);
void statefile_close(struct statefile *sf);
/*
 * No fsync from now on: a crash of the process still leaves the old file or
 * the new one (rename is atomic), but a power loss may lose the last
 * writes. For state that only describes what the kernel holds until the
 * next boot anyway (the host's leases: addresses, rules, the tunnel),
 * where each save costs the event loop ~1-4 ms of fsync otherwise.
 */
void statefile_set_volatile(struct statefile *sf);

/*
 * A file the administrator owns (the policy file): each new copy takes the
 * permission bits, owner and group, ACL (acl(5)) and SELinux label of the
 * one it replaces, where it has one, instead of mode 0600 and the agent's
 * ids. An owner or group the agent may not give (no CAP_CHOWN), or an ACL
 * or label, is logged, and the copy keeps its own.
 */
void statefile_keep_perms(struct statefile *sf);

/*
 * Keep room for saving on a full file system: a file DIR/.NAME.reserve
 * with blocks allocated for it (posix_fallocate(3)), the larger of 64 KiB
 * and one and a half times the state (the text last saved or read, or the
 * file on disk if larger), rounded up to 64 KiB. A save that fails because
 * the file system is full (ENOSPC, EDQUOT) removes the reserve, with a
 * warning, and is tried once more: the blocks it frees hold the new copy,
 * so an agent killed while the disk stays full is taken over by the next
 * run as it was, not as it was when the disk filled. statefile_account
 * puts the reserve back after a save that works, STATEFILE_RESERVE_WAIT
 * saves after it was given up at the earliest, once the file system has
 * room for it and for another copy beside it (statvfs(3)); until then
 * saves go on in the room it left. Nothing is allocated when the reserve
 * is already there and large enough; a file system that allocates nothing
 * ahead (one that compresses) keeps none. 0, or -errno when none can be
 * kept now (said once; tried again after a save).
 */
int statefile_keep_reserve(struct statefile *sf);

/*
 * Read the file into a new NUL-terminated buffer (*text, *len, to free).
 * -ENOENT if there is none, -EFBIG above STATEFILE_MAX, -EINVAL if it is
 * not a regular file (a FIFO, a device, a directory: never waited on),
 * -ELOOP for a symbolic link, else -errno. What was read counts as "last
 * written".
 */
int statefile_read(struct statefile *sf, char **text, size_t *len);
/* What statefile_read's error rc means, in words for a log or an error */
const char *statefile_strerror(int rc);

/* Replace the file with text unless it holds exactly that already.
 * 1 written, 0 unchanged, -errno (the old copy is then intact). */
int statefile_save(struct statefile *sf, const char *text, size_t len);

/*
 * statefile_save of text (NUL-terminated, freed here; NULL = the caller ran
 * out of memory): what the agents call after each event. A failure is
 * logged at the first of a run of them (and when its error changes), the
 * first save that works after it says how many failed; the caller tries
 * again later (the old copy stays until then). Returns statefile_save's
 * answer (-ENOMEM for NULL).
 */
int statefile_commit(struct statefile *sf, char *text);

/*
 * The logging and counting of statefile_commit for a save done elsewhere
 * (bgsave.h): rc is its answer, what says which step failed.
 */
void statefile_account(struct statefile *sf, int rc, const char *what);
/* Forget what was last written: another process writes the file now, so
 * the next statefile_save here must not take it as unchanged. */
void statefile_forget(struct statefile *sf);

/* Remove the file, and the reserve if one is kept. 0 or -errno */
int statefile_remove(struct statefile *sf);

#endif
