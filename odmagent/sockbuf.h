/* SPDX-License-Identifier: MIT */
/*
 * sockbuf.h — socket buffers past the kernel's default for the agent's own
 * raw and UDP sockets. The default (net.core.rmem_default, about 208 KiB)
 * holds about 250 small packets or 150 full-size ones: a burst that comes
 * while the agent is off the CPU overflows it, and the kernel drops the
 * rest unseen. The *FORCE options pass net.core.[rw]mem_max and need
 * CAP_NET_ADMIN, which the agent has; without it the plain options take
 * what the limits allow.
 */
#ifndef ODM_SOCKBUF_H
#define ODM_SOCKBUF_H

/* Ask for bytes of receive and send buffer on fd; a refusal is logged,
 * naming what (the socket), and the kernel's default stays. */
void sockbuf_grow(int fd, int bytes, const char *what);

#endif
