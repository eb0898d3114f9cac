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
	config_free(&cfg);
	return 0;
}
