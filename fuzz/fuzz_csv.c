/* The CSV reader behind fupinctl import. */
#include <stdint.h>
#include <stdlib.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv r;
	enum csv_result res;

	csv_init(&r, (const char *)data, size);
	while ((res = csv_read(&r)) == CSV_RECORD)
		for (size_t i = 0; i < r.nfields; i++)
			if (r.fields[i] == NULL)
				abort();
	if (res == CSV_ERROR && r.error == NULL)
		abort();
	csv_free(&r);
	(void)csv_line_at((const char *)data, size, size / 2);
	return 0;
}
