/* SPDX-License-Identifier: MIT */
/*
 * preloadable.h — whether the dynamic loader will run for a program, and so
 * load a preloaded library into it, judged from the program file's first
 * bytes. "odmctl run" warns when it will not: such a program gets plain
 * addresses whatever type it was started with.
 */
#ifndef ODM_PRELOADABLE_H
#define ODM_PRELOADABLE_H

#include <stddef.h>

/* Bytes of a program file that are enough for any ELF file the kernel
 * runs: its header and its program header table (at most a page, execve's
 * limit on x86-64, wherever in the first page it starts). */
#define PRELOADABLE_PROBE_LEN 8192

enum preloadable {
	/* an ELF executable naming a program interpreter (PT_INTERP): the
	 * dynamic loader runs and loads LD_PRELOAD */
	PRELOADABLE_DYNAMIC,
	/* an ELF executable (ET_EXEC) without one: statically linked, no loader
	 * runs, nothing is preloaded */
	PRELOADABLE_STATIC,
	/* a Go program (its build ID note: owner "Go", type 4, as Go's linker
	 * writes it near the file's start), with cgo or without: the Go
	 * runtime makes its socket calls itself, so whether or not a loader
	 * preloads a library, its hooks never run for them */
	PRELOADABLE_GO,
	/* anything else, nothing to say: not ELF (a script, whose interpreter
	 * decides), an ELF file the kernel would refuse, an ET_DYN file without
	 * an interpreter (a static-pie program, or the loader itself run as a
	 * program, which does read LD_PRELOAD), a table beyond len */
	PRELOADABLE_UNKNOWN,
};

/* Judge the first len bytes of a program file. Reads nothing else. */
enum preloadable preloadable_elf(const unsigned char *buf, size_t len);

#endif
