/* fupind.conf: libconfig, the settings table, the access list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "/tmp/fupin-fuzz-config-XXXXXX";
	static int fd = -1;
	struct errlist errs;
	struct config *cfg;

	if (fd < 0 && (fd = mkstemp(path)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	errlist_init(&errs);
	cfg = config_load(path, &errs);
	if (cfg == NULL && errs.count == 0)
		abort(); /* a refusal always says why */
	config_free(cfg);
	errlist_free(&errs);
	return 0;
}
