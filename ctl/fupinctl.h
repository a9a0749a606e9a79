/* fupinctl: the command-line client of fupind's status socket. */
#ifndef FUPINCTL_H
#define FUPINCTL_H

#include <stdio.h>

#include <jansson.h>

#include "settings.h"

#define DEFAULT_CONFIG FUPIN_SYSCONFDIR "/fupind.conf"

/* Exit codes of CONTRACT.md. */
#define EXIT_OK 0
#define EXIT_ANSWER_ERROR 1
#define EXIT_CANNOT_ASK 2

/* Print an answer for people: tables for arrays of objects, key: value
 * lines otherwise. colour: use ANSI colours (only on a terminal). */
void output_answer(FILE *, const char *verb, json_t *answer, int colour);
/* Display width of UTF-8 text in terminal columns (CJK counts 2). */
int output_width(const char *);
/* The width tables must fit when printed to fp: $COLUMNS, else the
 * terminal's width, else 80. */
int output_columns(FILE *fp);

/*
 * fupind.conf's settings with the daemon's defaults (common/settings.c).
 * -1 (after saying why on stderr, unless quiet) when the file cannot be
 * read or parsed; a missing DEFAULT_CONFIG just gives the defaults.
 * Mistakes inside a readable file are for `fupind -t` to report. The
 * caller frees set with settings_free after 0.
 */
int ctl_settings(const char *path, int quiet, struct settings *set);

/* -T: seconds a request may take (0 for none). */
extern int ctl_timeout;
/* A connection to the daemon as the options say (-a with AUTH, else the
 * socket); -1 after saying why on stderr. */
int ctl_connect(void);
/* One answer line from fd (caller frees), NULL on EOF or error. */
char *ctl_read_line(int fd);
/*
 * For the paged verbs (LIST, TABLES, REPORT): send req on fd and read its
 * one answer line from in (a stream on fd) as a JSON object, ok or not.
 * NULL, said on stderr, when the daemon closed the connection, sent more
 * than 64 MiB, or sent something that is not JSON.
 */
json_t *ctl_ask_page(int fd, FILE *in, const char *req);

/* fupinctl import KIND FILE: parsed and checked here, streamed to the
 * daemon (IMPORT on the status socket); config for columns.conf. */
int import_main(const char *config_path, int argc, char **argv, int json);

/* fupinctl report [VILLAGE] [--html FILE] [--csv FILE] [--summary] over
 * the connection fd (report.c). */
int report_main(int fd, int argc, char **argv);

/* fupinctl list / tables over the connection fd (docs.c). */
int docs_main(int fd, int argc, char **argv);

/* fupinctl new-token: a fresh token and its yescrypt hash for the
 * access list. */
int token_main(int argc, char **argv);

#endif
