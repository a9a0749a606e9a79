/*
 * The status protocol's command table. Each verb is one struct cmd_entry,
 * defined next to its handler in the file of the subsystem it asks
 * (cmd.c for the daemon's own state, engine.c, deadline.c, member.c), and
 * listed once in cmd_table. The table checks words and roles before a
 * handler runs, answers HELP and prints `fupind --list-verbs`, from which
 * the manual page and the shell completion are checked.
 */
#ifndef FUPIN_CMD_H
#define FUPIN_CMD_H

#include <stdio.h>

#include "control.h"

#define CMD_MAX_ARGS 16

struct cmd_args {
	char *copy;	/* the untouched line; rest[] points into it */
	int argc;
	char *argv[CMD_MAX_ARGS]; /* argv[0] is the verb */
	const char *rest[CMD_MAX_ARGS]; /* the line from argv[i] on */
};

struct cmd_entry {
	const char *name;
	struct {
		int lower;
		int upper; /* -1: no limit */
	} args;	   /* words after the verb */
	enum role role; /* the least role that may use it */
#define CMD_BEFORE_AUTH 0x1 /* a TCP client may use it before AUTH */
#define CMD_REST_OF_LINE 0x2 /* the last word (args.upper) is the rest of
			      * the line, spaces and all */
	int flags;
	/* Answers through client_reply/client_error, now or later; copies
	 * what it keeps of args. */
	void (*exec)(struct client *, struct cmd_args *);
	const char *usage;
	const char *help;
	const char *example; /* one request a person could send as it is */
};

/* Every verb, in HELP's order; NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];

/* Split line into words: args->copy is a copy the caller frees, argv[]
 * points into line (which is cut up). 0, or -1 for too many words, -2 for
 * none. Pure, for the fuzz target. */
int cmd_split(char *line, struct cmd_args *args);
/* The same, but the max-th word is the rest of the line, whatever it
 * holds; never -1. */
int cmd_split_rest(char *line, struct cmd_args *args, int max);
const struct cmd_entry *cmd_find(const char *verb);

/* Parse and run one request line (already checked for length, NUL bytes
 * and UTF-8). */
void cmd_dispatch(struct client *, char *line);
/* The table as text, one verb a line: NAME<TAB>ROLE<TAB>USAGE. */
void cmd_list(FILE *);

/*
 * Refuse word, which is none of the n choices, with error code `code`:
 * the message names what was asked ("unknown WHAT \"word\""), the closest
 * choices ("did you mean ...?") and, if list_all, every choice; the answer
 * also holds them as `did_you_mean` and `choices`. hint, if not NULL, ends
 * the message.
 */
void cmd_reply_unknown(struct client *, const char *code, const char *what,
    const char *word, const char *const *choices, size_t n, int list_all,
    const char *hint);

#endif
