/*
 * Splitting a request line into words (see cmd.h): pure, apart from the
 * rest of the command table, so that the fuzz target links it alone.
 */
#include <string.h>

#include "cmd.h"
#include "util.h"

int
cmd_split(char *line, struct cmd_args *args)
{
	return cmd_split_rest(line, args, 0);
}

int
cmd_split_rest(char *line, struct cmd_args *args, int max)
{
	char *p = line;

	memset(args, 0, sizeof(*args));
	args->copy = xstrdup(line);
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (args->argc == CMD_MAX_ARGS)
			return -1;
		args->rest[args->argc] = args->copy + (p - line);
		args->argv[args->argc++] = p;
		if (max > 0 && args->argc == max)
			break;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	return args->argc == 0 ? -2 : 0;
}
