/* SPDX-License-Identifier: MIT */
/*
 * version.c — odm_version(): the release libodm.so was built from, the
 * same number odmagent -V and odmctl --version print (Makefile VERSION).
 */
#include "odm.h"

#ifndef ODM_VERSION
#error "ODM_VERSION is not defined: build with the Makefile (-DODM_VERSION)"
#endif

const char *odm_version(void)
{
	return ODM_VERSION;
}
