/* SPDX-License-Identifier: MIT */
/*
 * own_cares.c — linked (with -rdynamic) into a second build of target_sock
 * to stand for a program that carries a c-ares of its own and exports it,
 * as node does. c-ares calls some of its exported functions through its
 * PLT (ares_search -> ares_query -> ares_send); if those calls left the
 * c-ares the shim loaded for the program's, the program's copy would get
 * a channel of another layout. These stand-ins say so and end the process,
 * so test_shim.sh sees it instead of memory being corrupted quietly.
 */
#include <stdio.h>
#include <unistd.h>

static void interposed(const char *fn)
{
	fprintf(stderr, "own_cares: the program's %s was called with the shim's channel\n", fn);
	fflush(stderr);
	_exit(3);
}

void ares_query(void *channel, const char *name, int dnsclass, int type, void *cb, void *arg);
void ares_send(void *channel, const unsigned char *qbuf, int qlen, void *cb, void *arg);

void ares_query(void *channel, const char *name, int dnsclass, int type, void *cb, void *arg)
{
	(void)channel, (void)name, (void)dnsclass, (void)type, (void)cb, (void)arg;
	interposed("ares_query");
}

void ares_send(void *channel, const unsigned char *qbuf, int qlen, void *cb, void *arg)
{
	(void)channel, (void)qbuf, (void)qlen, (void)cb, (void)arg;
	interposed("ares_send");
}
