/*
 * The status protocol's command table: verb, the least role that may use
 * it, handler, usage and help line. The same table answers HELP.
 */
#ifndef FUPIN_CMD_H
#define FUPIN_CMD_H

#include "control.h"

#define CMD_MAX_ARGS 16

struct cmd_args {
	char *copy;	/* the untouched line; rest[] points into it */
	int argc;
	char *argv[CMD_MAX_ARGS]; /* argv[0] is the verb */
	const char *rest[CMD_MAX_ARGS]; /* the line from argv[i] on */
};

struct cmd {
	const char *verb;
	enum role min_role;
	int min_args, max_args; /* not counting the verb; -1: no limit */
	/* Answers through client_reply/client_error, now or later. */
	void (*handler)(struct client *, struct cmd_args *);
	const char *usage;
	const char *help;
};

/* Split line into words: args->copy is a copy the caller frees, argv[]
 * points into line (which is cut up). 0, or -1 for too many words, -2 for
 * none. Pure, for the fuzz target. */
int cmd_split(char *line, struct cmd_args *args);
const struct cmd *cmd_find(const char *verb);

/* Parse and run one request line (already checked for length, NUL bytes
 * and UTF-8). */
void cmd_dispatch(struct client *, char *line);
const struct cmd *cmd_table(size_t *n);

#endif
