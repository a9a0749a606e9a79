/* The .xlsx reader of fupinctl import (ctl/sheet.c): a workbook from
 * memory, whatever its zip, XML, shared strings, references or merged
 * ranges hold, is read or refused with a reason, never crashes. */
#include <stdint.h>
#include <stdlib.h>

#include "sheet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sheet sh;

	if (sheet_read_xlsx(&sh, data, size, NULL) == 0 &&
	    sh.error[0] != '\0')
		abort();	/* read, yet a reason to refuse */
	for (size_t r = 0; r < sh.nrows; r++)
		for (size_t c = 0; c < sh.rows[r].ncells; c++)
			if (sh.rows[r].cells[c].kind != SHEET_EMPTY &&
			    sh.rows[r].cells[c].text == NULL)
				abort();
	sheet_free(&sh);
	return 0;
}
