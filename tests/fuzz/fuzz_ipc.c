/* SPDX-License-Identifier: MIT */
/* fuzz_ipc.c — libFuzzer harness: any bytes through the agent's request path
 * (ipc_parse, then ipc_validate_request, then ipc_dump of what passed, which
 * must parse back to an equal request that validates again).
 *
 * fuzz-flags: -max_len=16385
 * (one byte over ODM_IPC_MAX, so that the length limit is reached too) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *req = ipc_parse((const char *)data, size, err, sizeof(err));

	if (!req)
		return 0;
	if (ipc_validate_request(req, err, sizeof(err)) == 0) {
		size_t len;
		char *line = ipc_dump(req, &len);

		json_t *again;

		/* what the agent accepted must serialise back into one frame,
		 * which reads back as the same request, accepted again */
		if (!line || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
			abort();
		again = ipc_parse(line, len, err, sizeof(err));
		if (!again || !json_equal(req, again) ||
		    ipc_validate_request(again, err, sizeof(err)) != 0)
			abort();
		json_decref(again);
		free(line);
	}
	json_decref(req);
	return 0;
}
