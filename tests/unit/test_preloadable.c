/* SPDX-License-Identifier: MIT */
/*
 * test_preloadable.c — libodm/core/preloadable.c: an ELF executable with a
 * program interpreter is dynamic, one without is static, and everything
 * else (scripts, other ELF types, bad or cut headers) is unknown, in
 * either class and byte order, never read beyond the bytes given.
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
