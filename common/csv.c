/*
 * The CSV reader: one pass over a buffer, a record at a time, into a
 * scratch buffer the reader owns. No allocation per field, so 100k rows
 * cost a few reallocations in all.
 */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "util.h"

void
csv_init(struct csv *c, const char *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->len = len;
	c->next_line = 1;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		c->pos = 3;
}

void
csv_free(struct csv *c)
{
	free(c->scratch);
	free(c->offsets);
	free(c->fields);
	c->scratch = NULL;
	c->offsets = NULL;
	c->fields = NULL;
}

static int
csv_fail(struct csv *c, int line, const char *why)
{
	c->error = why;
	c->error_line = line;
	return CSV_ERROR;
}

static int
csv_put(struct csv *c, char ch)
{
	if (c->scratch_len >= CSV_MAX_RECORD)
		return -1;
	if (c->scratch_len == c->scratch_cap) {
		c->scratch_cap = c->scratch_cap ? c->scratch_cap * 2 : 256;
		c->scratch = xrealloc(c->scratch, c->scratch_cap);
	}
	c->scratch[c->scratch_len++] = ch;
	return 0;
}

/* Consume one line end (CRLF counts once) at pos, if there is one. */
static int
csv_eol(struct csv *c)
{
	if (c->pos >= c->len)
		return 0;
	if (c->buf[c->pos] == '\r') {
		c->pos++;
		if (c->pos < c->len && c->buf[c->pos] == '\n')
			c->pos++;
	} else if (c->buf[c->pos] == '\n')
		c->pos++;
	else
		return 0;
	c->next_line++;
	return 1;
}

/* A quoted field; pos is on the opening quote. */
static int
csv_quoted(struct csv *c)
{
	int opened = c->next_line;

	c->pos++;
	for (;;) {
		char ch;

		if (c->pos >= c->len)
			return csv_fail(c, opened,
			    "quoted field is not closed");
		ch = c->buf[c->pos];
		if (ch == '"') {
			if (c->pos + 1 < c->len && c->buf[c->pos + 1] == '"') {
				c->pos += 2;
				if (csv_put(c, '"') != 0)
					return csv_fail(c, c->line,
					    "record longer than 1 MiB");
				continue;
			}
			c->pos++;
			break;
		}
		if (ch == '\0')
			return csv_fail(c, c->next_line, "NUL byte");
		/* A line break inside quotes is data, but still a line. */
		if (ch == '\n' || (ch == '\r' && (c->pos + 1 >= c->len ||
		    c->buf[c->pos + 1] != '\n')))
			c->next_line++;
		if (csv_put(c, ch) != 0)
			return csv_fail(c, c->line, "record longer than 1 MiB");
		c->pos++;
	}
	if (c->pos < c->len && c->buf[c->pos] != ',' &&
	    c->buf[c->pos] != '\r' && c->buf[c->pos] != '\n')
		return csv_fail(c, c->next_line,
		    "unexpected character after a closing quote");
	return 0;
}

/* An unquoted field: up to the next comma or line end. A stray quote in
 * the middle is kept as data, as spreadsheets write it. */
static int
csv_bare(struct csv *c)
{
	while (c->pos < c->len) {
		char ch = c->buf[c->pos];

		if (ch == ',' || ch == '\r' || ch == '\n')
			break;
		if (ch == '\0')
			return csv_fail(c, c->next_line, "NUL byte");
		if (csv_put(c, ch) != 0)
			return csv_fail(c, c->line, "record longer than 1 MiB");
		c->pos++;
	}
	return 0;
}

enum csv_result
csv_read(struct csv *c)
{
	if (c->error != NULL)
		return CSV_ERROR;
	while (csv_eol(c))
		;
	if (c->pos >= c->len)
		return CSV_EOF;

	c->line = c->next_line;
	c->scratch_len = 0;
	c->nfields = 0;
	for (;;) {
		if (c->nfields == CSV_MAX_FIELDS)
			return csv_fail(c, c->line, "more than 1024 fields");
		if (c->nfields == c->offsets_cap) {
			c->offsets_cap = c->offsets_cap ?
			    c->offsets_cap * 2 : 32;
			c->offsets = xrealloc(c->offsets,
			    c->offsets_cap * sizeof(*c->offsets));
		}
		c->offsets[c->nfields++] = c->scratch_len;
		if (c->pos < c->len && c->buf[c->pos] == '"') {
			if (csv_quoted(c) != 0)
				return CSV_ERROR;
		} else if (csv_bare(c) != 0)
			return CSV_ERROR;
		if (csv_put(c, '\0') != 0)
			return csv_fail(c, c->line, "record longer than 1 MiB");
		if (c->pos < c->len && c->buf[c->pos] == ',') {
			c->pos++;
			continue;
		}
		c->end_line = c->next_line;
		csv_eol(c);
		break;
	}

	/* Pointers only now: scratch may have moved while growing. */
	c->fields = xrealloc(c->fields, c->offsets_cap * sizeof(*c->fields));
	for (size_t i = 0; i < c->nfields; i++)
		c->fields[i] = c->scratch + c->offsets[i];
	return CSV_RECORD;
}

int
csv_line_at(const char *buf, size_t len, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n')
			line++;
		else if (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))
			line++;
	}
	return line;
}

int
csv_is_formula(const char *s)
{
	return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

void
csv_write_field(FILE *f, const char *s)
{
	int formula = csv_is_formula(s);

	if (strpbrk(s, ",\"\r\n") == NULL) {
		if (formula)
			fputc('\'', f);
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}
