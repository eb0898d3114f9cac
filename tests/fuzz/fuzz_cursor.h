/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cursor.h — reading a libFuzzer input as a script of fields: each
 * take returns the next bytes, or zeros once the input is used up, so any
 * input is a complete script.
 */
#ifndef ODM_FUZZ_CURSOR_H
#define ODM_FUZZ_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t take8(struct cursor *c)
{
	uint8_t v = 0;

	if (c->n) {
		v = *c->p++;
		c->n--;
	}
	return v;
}

static inline uint16_t take16(struct cursor *c)
{
	return (uint16_t)(take8(c) << 8 | take8(c));
}

#endif
