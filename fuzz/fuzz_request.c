/* The status protocol's request parser: framing checks, word splitting
 * into words, as control.c and cmd.c run them on every line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmd_args args;
	char *line;

	if (size > CTL_MAX_LINE)
		return 0;
	/* What control.c lets through: no NUL, valid UTF-8. */
	if (memchr(data, '\0', size) != NULL ||
	    !utf8_valid((const char *)data, size))
		return 0;
	line = malloc(size + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (cmd_split(line, &args) == 0) {
		/* rest[] must agree with argv, words must be non-empty and
		 * hold no separator. */
		for (int i = 0; i < args.argc; i++)
			if (args.argv[i][0] == '\0' ||
			    strpbrk(args.argv[i], " \t") != NULL ||
			    strncmp(args.rest[i], args.argv[i],
				strlen(args.argv[i])) != 0)
				abort();
	}
	free(args.copy);
	/* IMPORT's split: the fourth word is the rest of the line, as is. */
	memcpy(line, data, size);
	line[size] = '\0';
	if (cmd_split_rest(line, &args, 4) == 0 && args.argc == 4 &&
	    strcmp(args.argv[3], args.rest[3]) != 0)
		abort();
	free(args.copy);
	free(line);
	return 0;
}
