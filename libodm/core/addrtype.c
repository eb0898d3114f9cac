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

int odm_type_parse(const char *s)
{
	char name[32];
	size_t n;
	int t;

	if (!s || !*s)
		return -1;
	if (s[0] >= '1' && s[0] <= '4' && s[1] == '\0')
		return s[0] - '0';
	/* ASCII lower case, '_' as '-', with no libc call: the shim's first
	 * getaddrinfo of a process runs this, where each new function costs */
	for (n = 0; s[n]; n++) {
		char c = s[n];
		if (n + 1 >= sizeof(name))
			return -1;
		name[n] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	name[n] = '\0';
	t = odm_type_from_name(name);
	/* "none" is a name in the table but not a type to ask for */
	return t > ODM_TYPE_NONE ? t : -1;
}
