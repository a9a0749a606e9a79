/* The cell parsers of fupinctl import (ctl/value.c). The first byte picks
 * the parser, the rest is the cell; a good value's normal form must be
 * one the database accepts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct value_range size_range = { 1, 50, VALUE_REQUIRED,
	NULL };
static const struct value_range year_range = { 1980, 2100,
	VALUE_EMPTY_NULL, "a year" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cell[512], scratch[VALUE_SCRATCH], why[256];
	char *val = cell;
	const char *bad;
	long n;

	if (size == 0 || size > sizeof(cell) ||
	    memchr(data + 1, '\0', size - 1) != NULL)
		return 0;
	memcpy(cell, data + 1, size - 1);
	cell[size - 1] = '\0';
	switch (data[0] % 10) {
	case 0:
		bad = value_id(val);
		if (bad == NULL && (strlen(val) > 64 || strpbrk(val, " \t")))
			abort();
		break;
	case 1:
		bad = value_text(&val, (enum value_empty)(data[0] / 10 % 3));
		break;
	case 2:
	case 3:
		bad = value_integer(&val, data[0] % 10 == 2 ? &size_range :
		    &year_range, scratch, why, sizeof(why));
		if (bad == NULL && val != NULL) {
			n = strtol(val, NULL, 10);
			if (val != scratch || n < 1 || n > 2100)
				abort();
		}
		break;
	case 4:
		bad = value_money(&val, why, sizeof(why));
		if (bad == NULL && val != NULL &&
		    strspn(val, "0123456789.") != strlen(val))
			abort();
		break;
	case 5:
		bad = value_date(&val, why, sizeof(why));
		if (bad == NULL && val != NULL && strlen(val) != 10)
			abort();
		break;
	case 6:
		bad = value_code(&val, &value_flags, why, sizeof(why));
		if (bad == NULL && strcmp(val, "t") != 0 &&
		    strcmp(val, "f") != 0)
			abort();
		break;
	case 7:
		bad = value_code(&val, &value_categories, why, sizeof(why));
		break;
	case 8:
		bad = value_code(&val, &value_changes, why, sizeof(why));
		break;
	default:
		bad = value_person_id(&val, why, sizeof(why));
		if (bad == NULL && (strlen(val) != 18 || val[17] == 'x'))
			abort();
		break;
	}
	if (bad != NULL && bad[0] == '\0')
		abort();
	return 0;
}
