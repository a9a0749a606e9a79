/* The campaign calendar (calendar.conf). */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "calendar.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "/tmp/fupin-fuzz-calendar-XXXXXX";
	static int fd = -1;
	struct errlist errs;
	struct cal *cal;

	if (fd < 0 && (fd = mkstemp(path)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	errlist_init(&errs);
	cal = cal_load(path, &errs);
	if (cal == NULL && errs.count == 0)
		abort();
	cal_free(cal);
	errlist_free(&errs);
	return 0;
}
