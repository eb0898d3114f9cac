/* SPDX-License-Identifier: MIT */
/*
 * test_preloadable.c — libodm/core/preloadable.c: an ELF executable with a
 * program interpreter is dynamic, one without is static, and everything
 * else (scripts, other ELF types, bad or cut headers) is unknown, in
 * either class and byte order, never read beyond the bytes given; one with
 * Go's build ID note is a Go program, with an interpreter or without.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preloadable.h"

struct img {
	unsigned char b[PRELOADABLE_PROBE_LEN];
	int is64, big;
};

static void put(struct img *m, size_t off, uint64_t x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m->b[off + i] = (unsigned char)(x >> (8 * (m->big ? n - 1 - i : i)));
}

/* An ELF image of class is64 and order big: type, and nph program headers
 * at phoff, the last one PT_INTERP when interp (the others PT_LOAD). */
static size_t make(struct img *m, int is64, int big, unsigned type, unsigned nph, int interp,
		   uint64_t phoff)
{
	size_t ent = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

	memset(m, 0, sizeof(*m));
	m->is64 = is64;
	m->big = big;
	memcpy(m->b, ELFMAG, SELFMAG);
	m->b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	m->b[EI_DATA] = big ? ELFDATA2MSB : ELFDATA2LSB;
	m->b[EI_VERSION] = EV_CURRENT;
	put(m, offsetof(Elf64_Ehdr, e_type), type, 2);
	if (is64) {
		put(m, offsetof(Elf64_Ehdr, e_phoff), phoff, 8);
		put(m, offsetof(Elf64_Ehdr, e_phentsize), ent, 2);
		put(m, offsetof(Elf64_Ehdr, e_phnum), nph, 2);
	} else {
		put(m, offsetof(Elf32_Ehdr, e_phoff), phoff, 4);
		put(m, offsetof(Elf32_Ehdr, e_phentsize), ent, 2);
		put(m, offsetof(Elf32_Ehdr, e_phnum), nph, 2);
	}
	for (unsigned i = 0; i < nph && phoff + (i + 1) * ent <= sizeof(m->b); i++)
		put(m, phoff + i * ent, interp && i == nph - 1 ? PT_INTERP : PT_LOAD, 4);
	return phoff + nph * ent;
}

Test(preloadable, this_test_program_is_dynamic)
{
	unsigned char b[PRELOADABLE_PROBE_LEN];
	int fd = open("/proc/self/exe", O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, b, sizeof(b));
	close(fd);
	cr_assert_gt(n, 0);
	cr_assert_eq(preloadable_elf(b, (size_t)n), PRELOADABLE_DYNAMIC);
}

Test(preloadable, both_classes_and_byte_orders)
{
	struct img m;

	for (int is64 = 0; is64 <= 1; is64++)
		for (int big = 0; big <= 1; big++) {
			size_t hdr = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
			size_t len = make(&m, is64, big, ET_EXEC, 4, 0, hdr);

			cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_STATIC,
				     "ET_EXEC without PT_INTERP, is64 %d big %d", is64, big);
			len = make(&m, is64, big, ET_EXEC, 4, 1, hdr);
			cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_DYNAMIC,
				     "ET_EXEC with PT_INTERP, is64 %d big %d", is64, big);
			len = make(&m, is64, big, ET_DYN, 4, 1, hdr);
			cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_DYNAMIC,
				     "ET_DYN (PIE) with PT_INTERP, is64 %d big %d", is64, big);
		}
}

Test(preloadable, pie_without_interpreter_is_not_called_static)
{
	struct img m;
	size_t len = make(&m, 1, 0, ET_DYN, 4, 0, sizeof(Elf64_Ehdr));

	/* static-pie, or ld.so itself run as a program (which reads LD_PRELOAD) */
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN);
}

Test(preloadable, other_files_are_unknown)
{
	static const unsigned char script[] = "#!/bin/sh\necho hi\n";
	struct img m;
	size_t len;

	cr_assert_eq(preloadable_elf(script, sizeof(script) - 1), PRELOADABLE_UNKNOWN);
	cr_assert_eq(preloadable_elf(NULL, 100), PRELOADABLE_UNKNOWN);
	cr_assert_eq(preloadable_elf(script, 0), PRELOADABLE_UNKNOWN);
	len = make(&m, 1, 0, ET_REL, 4, 0, sizeof(Elf64_Ehdr));
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN, "ET_REL");
	len = make(&m, 1, 0, ET_CORE, 4, 0, sizeof(Elf64_Ehdr));
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN, "ET_CORE");
}

Test(preloadable, bad_identification_is_unknown)
{
	struct img m;
	size_t len = make(&m, 1, 0, ET_EXEC, 4, 0, sizeof(Elf64_Ehdr));

	m.b[EI_CLASS] = 3;
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN, "class");
	make(&m, 1, 0, ET_EXEC, 4, 0, sizeof(Elf64_Ehdr));
	m.b[EI_DATA] = 0;
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN, "data");
	make(&m, 1, 0, ET_EXEC, 4, 0, sizeof(Elf64_Ehdr));
	m.b[EI_VERSION] = 2;
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN, "version");
	make(&m, 1, 0, ET_EXEC, 4, 0, sizeof(Elf64_Ehdr));
	m.b[EI_MAG3] = 'G';
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN, "magic");
}

Test(preloadable, a_table_the_kernel_refuses_is_unknown)
{
	struct img m;
	size_t len = make(&m, 1, 0, ET_EXEC, 4, 0, sizeof(Elf64_Ehdr));

	put(&m, offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf32_Phdr), 2);
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN, "entry size of the other class");
	make(&m, 1, 0, ET_EXEC, 0, 0, sizeof(Elf64_Ehdr));
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_UNKNOWN, "no entries");
	make(&m, 1, 0, ET_EXEC, 4, 0, sizeof(Elf64_Ehdr));
	put(&m, offsetof(Elf64_Ehdr, e_phnum), PN_XNUM, 2);
	cr_assert_eq(preloadable_elf(m.b, sizeof(m.b)), PRELOADABLE_UNKNOWN, "PN_XNUM");
	make(&m, 1, 0, ET_EXEC, 4, 0, sizeof(Elf64_Ehdr));
	put(&m, offsetof(Elf64_Ehdr, e_phnum), 1200, 2); /* 67200 bytes */
	cr_assert_eq(preloadable_elf(m.b, sizeof(m.b)), PRELOADABLE_UNKNOWN, "over 64 KiB");
}

/* Make the first program header of m a PT_NOTE over the notes at off:
 * one of owner name (namesz bytes of it, NUL included) and type, with a
 * descriptor of 8 bytes. The end of the notes. */
static size_t note(struct img *m, size_t off, const char *name, unsigned namesz, unsigned type)
{
	size_t ph = m->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t end = off + 12 + ((namesz + 3) & ~3u) + 8;

	put(m, ph, PT_NOTE, 4);
	if (m->is64) {
		put(m, ph + offsetof(Elf64_Phdr, p_offset), off, 8);
		put(m, ph + offsetof(Elf64_Phdr, p_filesz), end - off, 8);
	} else {
		put(m, ph + offsetof(Elf32_Phdr, p_offset), off, 4);
		put(m, ph + offsetof(Elf32_Phdr, p_filesz), end - off, 4);
	}
	put(m, off, namesz, 4);
	put(m, off + 4, 8, 4);
	put(m, off + 8, type, 4);
	memcpy(m->b + off + 12, name, namesz);
	return end;
}

Test(preloadable, go_build_id_note_is_a_go_program)
{
	struct img m;

	for (int is64 = 0; is64 <= 1; is64++)
		for (int big = 0; big <= 1; big++)
			for (int interp = 0; interp <= 1; interp++) {
				size_t hdr = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
				size_t len = make(&m, is64, big, ET_EXEC, 4, interp, hdr);

				/* Go writes namesz 4 ("Go" and two NULs) */
				len = note(&m, 0x400, "Go\0", 4, 4);
				cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_GO,
					     "is64 %d big %d interp %d", is64, big, interp);
				len = note(&m, 0x400, "Go", 3, 4);
				cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_GO);
			}
}

Test(preloadable, other_notes_are_not_go)
{
	struct img m;
	size_t hdr = sizeof(Elf64_Ehdr), len;

	make(&m, 1, 0, ET_EXEC, 4, 1, hdr);
	len = note(&m, 0x400, "GNU", 4, NT_GNU_BUILD_ID);
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_DYNAMIC, "GNU's build ID");
	len = note(&m, 0x400, "Go", 3, 1);
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_DYNAMIC, "owner Go, another type");
	len = note(&m, 0x400, "Gox", 4, 4);
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_DYNAMIC, "owner Gox");
	len = note(&m, 0x400, "Go\0", 4, 4);
	cr_assert_eq(preloadable_elf(m.b, len - 1), PRELOADABLE_DYNAMIC, "the note cut short");
	/* a note whose name runs past its segment is not read */
	len = note(&m, 0x400, "Go\0", 4, 4);
	put(&m, 0x400, 0xfffffff0u, 4);
	cr_assert_eq(preloadable_elf(m.b, len), PRELOADABLE_DYNAMIC, "namesz past the segment");
}

Test(preloadable, nothing_is_read_beyond_len)
{
	struct img m;
	size_t len = make(&m, 1, 0, ET_EXEC, 4, 1, sizeof(Elf64_Ehdr));
	unsigned char *exact = malloc(len);

	/* the interpreter entry is the table's last: any cut loses it */
	cr_assert_not_null(exact);
	memcpy(exact, m.b, len);
	cr_assert_eq(preloadable_elf(exact, len), PRELOADABLE_DYNAMIC);
	for (size_t cut = 0; cut < len; cut++)
		cr_assert_eq(preloadable_elf(exact, cut), PRELOADABLE_UNKNOWN, "cut at %zu", cut);
	free(exact);
	/* a table offset near 2^64 does not wrap around into the buffer */
	make(&m, 1, 0, ET_EXEC, 4, 1, sizeof(Elf64_Ehdr));
	put(&m, offsetof(Elf64_Ehdr, e_phoff), UINT64_MAX - 8, 8);
	cr_assert_eq(preloadable_elf(m.b, sizeof(m.b)), PRELOADABLE_UNKNOWN, "phoff near 2^64");
	make(&m, 1, 0, ET_EXEC, 4, 1, sizeof(Elf64_Ehdr));
	put(&m, offsetof(Elf64_Ehdr, e_phoff), sizeof(m.b) - 100, 8);
	cr_assert_eq(preloadable_elf(m.b, sizeof(m.b)), PRELOADABLE_UNKNOWN, "table past the end");
}
