/* SPDX-License-Identifier: MIT */
/* capfilter.c — the capture's classic BPF program (see capfilter.h). */
#include "capfilter.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>

#define IP6_NEXT_HEADER 6
#define IP6_SRC 8
#define NH_IPV6 41

/* append one instruction; the jumps are filled in by label below */
static void put(struct sock_filter *p, size_t *n, uint16_t code, uint8_t jt, uint8_t jf,
		uint32_t k)
{
	p[*n] = (struct sock_filter){ code, jt, jf, k };
	(*n)++;
}

size_t capfilter_build(struct sock_filter *prog, size_t cap, const struct in6_addr *src,
		       uint32_t max_len, uint32_t head_len)
{
	size_t n = 0;

	if (!prog || cap < CAPFILTER_LEN || max_len == 0 || head_len == 0 || head_len > max_len)
		return 0;
	if (!src) {
		put(prog, &n, BPF_RET | BPF_K, 0, 0, 0);
		return n;
	}
	/*
	 * The "drop" instruction is the last (index CAPFILTER_LEN - 1), the
	 * two "accept" ones before it; jf = how many to skip to reach drop
	 * from the instruction after the jump.
	 */
#define TO_DROP(at) ((uint8_t)(CAPFILTER_LEN - 1 - ((at) + 1)))
	put(prog, &n, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE));
	put(prog, &n, BPF_JMP | BPF_JEQ | BPF_K, 0, TO_DROP(1), PACKET_OUTGOING);
	put(prog, &n, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL));
	put(prog, &n, BPF_JMP | BPF_JEQ | BPF_K, 0, TO_DROP(3), ETH_P_IPV6);
	put(prog, &n, BPF_LD | BPF_B | BPF_ABS, 0, 0, 0);
	put(prog, &n, BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xf0);
	put(prog, &n, BPF_JMP | BPF_JEQ | BPF_K, 0, TO_DROP(6), 0x60);
	put(prog, &n, BPF_LD | BPF_B | BPF_ABS, 0, 0, IP6_NEXT_HEADER);
	put(prog, &n, BPF_JMP | BPF_JEQ | BPF_K, 0, TO_DROP(8), NH_IPV6);
	for (int w = 0; w < 4; w++) {
		uint32_t word;

		memcpy(&word, src->s6_addr + 4 * w, 4);
		put(prog, &n, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(IP6_SRC + 4 * w));
		/* loads are in network order, read as a host-order number */
		put(prog, &n, BPF_JMP | BPF_JEQ | BPF_K, 0, TO_DROP(n), ntohl(word));
	}
	/* a longer packet: its head only */
	put(prog, &n, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	put(prog, &n, BPF_JMP | BPF_JGT | BPF_K, 1, 0, max_len);
	put(prog, &n, BPF_RET | BPF_K, 0, 0, max_len);
	put(prog, &n, BPF_RET | BPF_K, 0, 0, head_len);
	put(prog, &n, BPF_RET | BPF_K, 0, 0, 0);
#undef TO_DROP
	return n;
}
