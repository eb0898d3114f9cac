/* SPDX-License-Identifier: MIT */
/*
 * timens.h — the offset of this process's time namespace's boot-time clock
 * (time_namespaces(7)): what a time namespace adds to CLOCK_BOOTTIME as
 * clock_gettime(2) reads it there (monotime.h's clock), and what the
 * kernel's own readings of that clock lack. A BPF program's
 * bpf_ktime_get_boot_ns() is the initial namespace's clock, whatever the
 * namespace of the agent that loaded it (a container restored by CRIU, one
 * started with unshare --time --boottime): its stamps, added this offset,
 * are times of mono_ms().
 */
#ifndef ODM_TIMENS_H
#define ODM_TIMENS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The boot-time offset in ns from the text of /proc/PID/timens_offsets
 * (len bytes, not NUL-terminated): lines "<clock> <seconds> <nanoseconds>"
 * with the clock "monotonic" or "boottime" (or its number, 1 or 7), the
 * seconds a signed decimal, the nanoseconds 0 to 999999999, blanks
 * between. 0 and *off_ns on a well-formed text with a boottime line;
 * -EINVAL otherwise (*off_ns untouched). Pure.
 */
int timens_boot_offset_parse(const char *text, size_t len, int64_t *off_ns);

/* The same, read from /proc/self/timens_offsets: 0 where the kernel has no
 * time namespaces (no such file); an error to say (-errno, -EINVAL: a
 * text not understood), *off_ns then 0 */
int timens_boot_offset(int64_t *off_ns);

/* A kernel's boot-time stamp ns (the initial namespace's clock; 0: none)
 * as a time of mono_ms() in the namespace whose offset is off_ns; 0 stays
 * 0, and a stamp before this namespace's clock began is 1 ms */
uint64_t timens_stamp_ms(uint64_t ns, int64_t off_ns);

#endif
