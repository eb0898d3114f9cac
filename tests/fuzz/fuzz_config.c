/* SPDX-License-Identifier: MIT */
/* fuzz_config.c — libFuzzer harness: any text through config_parse. Whatever
 * the outcome, config_free must leave nothing behind (LeakSanitizer checks).
 *
 * fuzz-flags: -max_len=4096
 * (a few lines, some over the 1024-byte line limit) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct odm_config cfg;
	char err[512];
	int r;

	if (!quiet) {
		odm_log_init("fuzz", ODM_LOG_ERR, 0);
		quiet = 1;
	}
	r = config_parse(&cfg, (const char *)data, size, "fuzz.conf", err, sizeof(err));
	/* a failure always explains itself, and starts with the file name */
	if (r < 0 && strncmp(err, "fuzz.conf", 9) != 0)
		abort();
	if (r == 0 && cfg.role == ODM_ROLE_MN && cfg.n_identities != 1)
		abort();
	/* an anchor serves some mode, access exactly when it has prefixes, and
	 * a home pool leaves room for derived addresses (config.c) */
	if (r == 0 && cfg.role == ODM_ROLE_ANCHOR &&
	    (cfg.modes == 0 || cfg.modes >= ODM_MODE_BIT(ODM_MODE_COUNT) ||
	     !config_serves(&cfg, cfg.mode) ||
	     config_serves(&cfg, ODM_MODE_ACCESS) != (cfg.n_access_prefixes > 0) ||
	     cfg.n_access_prefixes > CONFIG_ACCESS_PREFIXES_MAX ||
	     cfg.grace_period < 4 || cfg.grace_period > 86400 ||
	     (config_serves(&cfg, ODM_MODE_HOME) && cfg.pool_plen > 96)))
		abort();
	config_free(&cfg);
	return 0;
}
