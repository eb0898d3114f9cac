/* SPDX-License-Identifier: MIT */
/* dnsname.c — a DNS name as a key (see dnsname.h). */
#include <string.h>

#include "dnsname.h"

size_t dnsname_fold(const char *name, char *out, size_t max)
{
	size_t n = name ? strlen(name) : 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		out[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] - 'A' + 'a') : name[i];
	out[n] = '\0';
	return n;
}
