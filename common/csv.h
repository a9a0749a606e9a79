/*
 * An RFC 4180 CSV reader over a buffer in memory, shared by fupinctl import
 * and the fuzz targets. It knows quoting ("" inside quotes), CRLF, LF and
 * lone CR line ends, and a UTF-8 byte order mark; it does not know
 * encodings or what the fields mean.
 *
 * Line numbers are the ones an editor shows: the first line is 1, and a
 * quoted field holding line breaks makes its record span several lines,
 * so the record after it starts further down.
 */
#ifndef FUPIN_CSV_H
#define FUPIN_CSV_H

#include <stddef.h>
#include <stdio.h>

/* Bounds on hostile input. */
#define CSV_MAX_FIELDS 1024
#define CSV_MAX_RECORD (1024 * 1024)

enum csv_result {
	CSV_ERROR = -1,
	CSV_EOF = 0,
	CSV_RECORD = 1,
};

struct csv {
	/* The input, borrowed: it must outlive the reader. */
	const char *buf;
	size_t len;
	size_t pos;
	int next_line;	/* line of the byte at pos */

	/* The last record read; fields point into scratch, which the reader
	 * owns and reuses, so they are valid until the next csv_read. */
	char **fields;
	size_t nfields;
	int line;	/* first line of the record */
	int end_line;	/* last line of the record */

	/* After CSV_ERROR: what and where. */
	const char *error;
	int error_line;

	char *scratch;
	size_t scratch_len;
	size_t scratch_cap;
	size_t *offsets;
	size_t offsets_cap;
};

/* Read from buf[0..len); a leading UTF-8 byte order mark is skipped. */
void csv_init(struct csv *, const char *buf, size_t len);
/* The next record. Empty lines are skipped (they still count as lines).
 * After CSV_ERROR the reader stays in error. */
enum csv_result csv_read(struct csv *);
void csv_free(struct csv *);

/* The editor line of byte offset off in buf, counting line ends the way
 * the reader does (used to place encoding errors). */
int csv_line_at(const char *buf, size_t len, size_t off);

/*
 * Writing. A text field that a spreadsheet would take for a formula
 * (starting with =, +, -, @, a tab or a carriage return: "=HYPERLINK(...)"
 * in a village name) is written as text, with a single quote in front, as
 * OWASP advises for CSV injection; then it is quoted per RFC 4180 when it
 * holds a comma, a quote or a line break. Numbers the program formats
 * itself are written directly, not through these.
 */
/* 1 when s would be read as a formula. */
int csv_is_formula(const char *s);
void csv_write_field(FILE *, const char *s);

#endif
