/* SPDX-License-Identifier: MIT */
/*
 * mn_state.h — the host role's state across restarts: which leases it holds
 * (address, anchor, BID, type, owner, when the anchor forgets them) and, per
 * anchor, the last sequence number and replay timestamp it sent, so a
 * restarted host never reuses a number or a timestamp the anchor has seen
 * (RFC 6275 §11.7.1, RFC 4285 §6).
 *
 * The snapshot and the adoption are pure (time passed in, no I/O); mn.c
 * reads and writes the file, and the host engine configures the adopted
 * leases on the host and re-registers them (he_adopted, hostengine.h).
 */
#ifndef ODM_MN_STATE_H
#define ODM_MN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "lease.h"
#include "registration.h"
#include "state.h"
#include "statefile.h"

#define MN_STATE_FILE "mn.json"
/* A binding that the anchor forgets within this much is not adopted. */
#define MN_STATE_ADOPT_MARGIN_MS 2000

/* The registered leases and every anchor's counters, as state (arrays to
 * free with state_mn_free). 0 or -ENOMEM. */
int mnstate_snapshot(const struct reg_ctx *reg, const struct lease_table *t,
		     int64_t now_wall_ms, uint64_t now_mono_ms, struct state_mn *out);

/*
 * Take s over into an empty lease table and Binding Update List: anchors
 * resume their counters past the stored ones, each lease whose binding
 * outlives now + MN_STATE_ADOPT_MARGIN_MS becomes a REGISTERED lease with a
 * registered binding (same BID, address, owner). State of another identity
 * (nai) is ignored whole. Returns how many leases were adopted (they are
 * the first ones in t), or -ENOMEM.
 */
int mnstate_adopt(const struct state_mn *s, const char *nai, struct lease_table *t,
		  struct reg_ctx *reg, int64_t now_wall_ms, uint64_t now_mono_ms);

/* Read and adopt the file (logged); the leases still need configuring. */
int mnstate_load(struct statefile *sf, const char *nai, struct lease_table *t,
		 struct reg_ctx *reg);
/* Snapshot, encode, save if it changed (logged on failure): 1 written,
 * 0 the file holds it already, -errno (statefile_commit). */
int mnstate_save(struct statefile *sf, const struct reg_ctx *reg,
		  const struct lease_table *t);

#endif
