/* SPDX-License-Identifier: MIT */
/*
 * preloadable.c — does a program file name a program interpreter, and is
 * it a Go program? The ELF header, program headers and notes (elf(5)) of
 * either class and byte order, read field by field from the bytes given:
 * nothing is assumed about the host's own layout, and every offset is
 * checked against len before use.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "preloadable.h"

struct elf_view {
	const unsigned char *b;
	size_t len;
	int big; /* ELFDATA2MSB */
};

static uint64_t get(const struct elf_view *v, size_t off, size_t n)
{
	uint64_t x = 0;

	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)v->b[off + i] << (8 * (v->big ? n - 1 - i : i));
	return x;
}

/* Go's linker marks its programs with a note of owner "Go" and type 4 (its
 * build ID, section .note.go.buildid) in a PT_NOTE segment. 1 if the notes
 * at off..off+n (all within len) hold one. Notes are 4-byte aligned in
 * both classes in practice (Go writes them so). */
#define GO_NOTE_BUILDID 4
static int go_note(const struct elf_view *v, uint64_t off, uint64_t n)
{
	while (n >= 12) {
		uint64_t namesz = get(v, (size_t)off, 4), descsz = get(v, (size_t)off + 4, 4);
		uint64_t type = get(v, (size_t)off + 8, 4);
		uint64_t name_pad = (namesz + 3) & ~3ull, desc_pad = (descsz + 3) & ~3ull;

		if (name_pad > n - 12 || desc_pad > n - 12 - name_pad)
			return 0;
		/* the name is "Go" and its NUL, maybe one NUL more (Go writes
		 * namesz 4); namesz first: only then are its bytes within n */
		if (type == GO_NOTE_BUILDID && (namesz == 3 || (namesz == 4 && !v->b[off + 15])) &&
		    !memcmp(v->b + off + 12, "Go", 3))
			return 1;
		off += 12 + name_pad + desc_pad;
		n -= 12 + name_pad + desc_pad;
	}
	return 0;
}

enum preloadable preloadable_elf(const unsigned char *buf, size_t len)
{
	struct elf_view v = { buf, len, 0 };
	uint64_t phoff, type, phentsize, phnum;
	size_t ehsize, want_ent;
	int is64, interp = 0;

	if (!buf || len < EI_NIDENT || buf[EI_MAG0] != ELFMAG0 || buf[EI_MAG1] != ELFMAG1 ||
	    buf[EI_MAG2] != ELFMAG2 || buf[EI_MAG3] != ELFMAG3)
		return PRELOADABLE_UNKNOWN;
	if (buf[EI_CLASS] == ELFCLASS64)
		is64 = 1;
	else if (buf[EI_CLASS] == ELFCLASS32)
		is64 = 0;
	else
		return PRELOADABLE_UNKNOWN;
	if (buf[EI_DATA] == ELFDATA2MSB)
		v.big = 1;
	else if (buf[EI_DATA] != ELFDATA2LSB)
		return PRELOADABLE_UNKNOWN;
	if (buf[EI_VERSION] != EV_CURRENT)
		return PRELOADABLE_UNKNOWN;
	ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	want_ent = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (len < ehsize)
		return PRELOADABLE_UNKNOWN;
	type = get(&v, offsetof(Elf64_Ehdr, e_type), 2); /* same place in both classes */
	if (type != ET_EXEC && type != ET_DYN)
		return PRELOADABLE_UNKNOWN;
	if (is64) {
		phoff = get(&v, offsetof(Elf64_Ehdr, e_phoff), 8);
		phentsize = get(&v, offsetof(Elf64_Ehdr, e_phentsize), 2);
		phnum = get(&v, offsetof(Elf64_Ehdr, e_phnum), 2);
	} else {
		phoff = get(&v, offsetof(Elf32_Ehdr, e_phoff), 4);
		phentsize = get(&v, offsetof(Elf32_Ehdr, e_phentsize), 2);
		phnum = get(&v, offsetof(Elf32_Ehdr, e_phnum), 2);
	}
	/* The kernel runs only a table of entries of its class's size, neither
	 * empty nor larger than 64 KiB (PN_XNUM, 0xffff, is not for programs). */
	if (phentsize != want_ent || phnum == 0 || phnum >= PN_XNUM ||
	    phnum * phentsize > 65536)
		return PRELOADABLE_UNKNOWN;
	if (phoff > len || phnum * phentsize > len - phoff)
		return PRELOADABLE_UNKNOWN;
	/* one pass: a Go note anywhere decides, else the interpreter does */
	for (uint64_t i = 0; i < phnum; i++) {
		size_t ph = (size_t)(phoff + i * phentsize);
		uint64_t off, n, pt = get(&v, ph, 4);

		interp |= pt == PT_INTERP;
		if (pt != PT_NOTE)
			continue;
		if (is64) {
			off = get(&v, ph + offsetof(Elf64_Phdr, p_offset), 8);
			n = get(&v, ph + offsetof(Elf64_Phdr, p_filesz), 8);
		} else {
			off = get(&v, ph + offsetof(Elf32_Phdr, p_offset), 4);
			n = get(&v, ph + offsetof(Elf32_Phdr, p_filesz), 4);
		}
		if (off <= len && n <= len - off && go_note(&v, off, n))
			return PRELOADABLE_GO;
	}
	if (interp)
		return PRELOADABLE_DYNAMIC;
	return type == ET_EXEC ? PRELOADABLE_STATIC : PRELOADABLE_UNKNOWN;
}
