/* fupinctl import: CSV files into the database (filled in by issue 3). */
#include <stdio.h>

#include "fupinctl.h"

int
import_main(const char *config_path, int argc, char **argv, int json)
{
	fprintf(stderr, "fupinctl: import is not available in this build\n");
	return EXIT_CANNOT_ASK;
}
