/* SPDX-License-Identifier: MIT */
/* addrtype.c — names of the four address types, shared by all parts. */
#include <string.h>

#include "odm.h"

static const char *const type_names[] = {
	[ODM_TYPE_NONE] = "none",
	[ODM_TYPE_FIXED] = "fixed",
	[ODM_TYPE_SESSION_LASTING] = "session-lasting",
	[ODM_TYPE_NON_PERSISTENT] = "non-persistent",
	[ODM_TYPE_GRACEFUL_REPLACEMENT] = "graceful-replacement",
};

const char *odm_type_name(int type)
{
	if (type < 0 || type >= (int)(sizeof(type_names) / sizeof(type_names[0])))
		return "unknown";
	return type_names[type];
}

int odm_type_from_name(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(name, type_names[i]) == 0)
			return (int)i;
	return -1;
}
