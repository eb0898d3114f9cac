/* SPDX-License-Identifier: MIT */
/* guard.c — storage of the per-thread recursion guard (see guard.h). */
#include "guard.h"

__thread int odm_guard_depth __attribute__((tls_model("initial-exec")));
