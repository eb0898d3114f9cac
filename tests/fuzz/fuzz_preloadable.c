/* SPDX-License-Identifier: MIT */
/* fuzz_preloadable.c — libFuzzer harness: any bytes as the head of a
 * program file (preloadable_elf). Nothing may crash or read past the bytes
 * given (libFuzzer hands over a buffer of exactly that size), the verdict
 * is one of the four, and only a file that starts as an ELF header of
 * either class is ever called static, dynamic or Go.
 *
 * fuzz-flags: -max_len=8192
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preloadable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum preloadable p = preloadable_elf(data, size);

	if (p != PRELOADABLE_DYNAMIC && p != PRELOADABLE_STATIC && p != PRELOADABLE_GO &&
	    p != PRELOADABLE_UNKNOWN)
		abort();
	if (p == PRELOADABLE_UNKNOWN)
		return 0;
	if (size < sizeof(Elf32_Ehdr) || memcmp(data, ELFMAG, SELFMAG) != 0)
		abort();
	if (data[EI_CLASS] != ELFCLASS32 && data[EI_CLASS] != ELFCLASS64)
		abort();
	if (data[EI_CLASS] == ELFCLASS64 && size < sizeof(Elf64_Ehdr))
		abort();
	return 0;
}
