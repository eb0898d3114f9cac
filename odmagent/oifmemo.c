/* SPDX-License-Identifier: MIT */
/* oifmemo.c — a walk's route answers, by (local, remote) (see oifmemo.h). */
#include <string.h>

#include "oifmemo.h"

void oifmemo_begin(struct oifmemo *m)
{
	m->n = 0;
	m->on = 1;
}

void oifmemo_end(struct oifmemo *m)
{
	m->n = 0;
	m->on = 0;
}

int oifmemo_get(const struct oifmemo *m, const struct in6_addr *local,
		const struct in6_addr *remote, int *oif)
{
	/* outside a walk nothing is kept (n is 0) */
	for (size_t i = 0; i < m->n; i++)
		if (IN6_ARE_ADDR_EQUAL(&m->v[i].local, local) &&
		    IN6_ARE_ADDR_EQUAL(&m->v[i].remote, remote)) {
			*oif = m->v[i].oif;
			return 1;
		}
	return 0;
}

void oifmemo_put(struct oifmemo *m, const struct in6_addr *local,
		 const struct in6_addr *remote, int oif)
{
	if (!m->on || m->n >= OIFMEMO_MAX)
		return;
	m->v[m->n].local = *local;
	m->v[m->n].remote = *remote;
	m->v[m->n].oif = oif;
	m->n++;
}
