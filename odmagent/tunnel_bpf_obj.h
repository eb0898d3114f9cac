/* SPDX-License-Identifier: MIT */
/* tunnel_bpf_obj.h — the "bpf" backend's compiled programs, as bytes of
 * an ELF object (tunnel_bpf_obj.c). */
#ifndef ODM_TUNNEL_BPF_OBJ_H
#define ODM_TUNNEL_BPF_OBJ_H

extern const unsigned char odm_tunnel_bpf_obj[];
extern const unsigned char odm_tunnel_bpf_obj_end[];

#endif
