/* SPDX-License-Identifier: MIT */
/*
 * tunnel_bpf_obj.c — the compiled tc programs of the "bpf" tunnel backend
 * (bpf/tunnel.bpf.c, built by clang into ODM_BPF_OBJ), carried inside the
 * agent so nothing is looked for on disk at run time.
 */
#include "tunnel_bpf_obj.h"

#ifndef ODM_BPF_OBJ
#error "ODM_BPF_OBJ: the path of the compiled BPF object (the Makefile gives it)"
#endif

__asm__(".section .rodata\n"
	".balign 8\n"
	".global odm_tunnel_bpf_obj\n"
	"odm_tunnel_bpf_obj:\n"
	".incbin \"" ODM_BPF_OBJ "\"\n"
	".global odm_tunnel_bpf_obj_end\n"
	"odm_tunnel_bpf_obj_end:\n"
	".previous\n");
