/*
 * fupinctl import villages|households|members FILE.csv|FILE.xlsx|FILE.xls
 *
 * Owns the way register data comes in from spreadsheets: reading the file
 * (CSV in UTF-8 with or without BOM, else GB18030 through iconv; or the
 * first worksheet of a workbook through sheet.c, each cell turned into the
 * text a CSV would hold by what its column means), mapping English or
 * Chinese headers (the spellings of the campaign's columns.conf) onto the
 * columns of CONTRACT.md, checking every row, and streaming the good rows
 * to fupind (IMPORT BEGIN, IMPORT ROWS chunk by chunk, IMPORT COMMIT on
 * the status socket; daemon/import.c), which stores them in a staging
 * table and, at COMMIT, runs the database's checks (unknown villages,
 * people already in another household, keys repeated in the file, code
 * lists) and upserts with an audit row per change, in one statement.
 *
 * All or nothing: every bad line is reported as FILE:LINE: column NAME:
 * reason (FILE:SHEET:ROW: column NAME at CELL: reason for a workbook),
 * and if there is any, nothing is written: a file with a bad line ends in
 * IMPORT CHECK instead of COMMIT, so that the database's checks still run
 * over every row C found good and one run lists every bad line.
 *
 * Memory is bounded for CSV: the file is mapped, parsed record by record
 * and the pages behind the parser are dropped; one chunk of rows (at most
 * the daemon's max_line) is built while the daemon stores the last one.
 * A GB18030 file is converted whole, a workbook is read whole.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cfgfile.h"
#include "csv.h"
#include "fupinctl.h"
#include "sheet.h"
#include "util.h"
#include "value.h"

#define IMPORT_MAX_FILE (1024L * 1024 * 1024)
#define IMPORT_MAX_COLUMNS 24
#define IMPORT_MAX_ALIASES 64
/* The daemon's limit on an IMPORT ROWS line, until it says its own. */
#define IMPORT_MAX_LINE (1024 * 1024)
/* How much of a mapped file is read before its pages are given back. */
#define IMPORT_CHECK_STEP (4 * 1024 * 1024)
/* Room for "IMPORT ROWS " and the newline around a chunk. */
#define IMPORT_LINE_SLACK 64

enum import_type {
	IT_ID,		/* key: no white space, at most 64 bytes */
	IT_TEXT,	/* required text */
	IT_OPTTEXT,	/* empty is NULL */
	IT_BLANKTEXT,	/* empty is '' (NOT NULL DEFAULT '') */
	IT_SIZE,	/* household size 1..50 */
	IT_YEAR,	/* empty or 1980..2100 */
	IT_MONEY,	/* empty or yuan >= 0, at most 2 decimals */
	IT_BOOL,	/* a guarantee: resolved or not */
	IT_CATEGORY,
	IT_DATE,	/* empty or YYYY-MM-DD */
	IT_PERSON_ID,	/* GB 11643-1999 */
	IT_CHANGE,	/* '', increase, decrease */
};

struct import_column {
	const char *name;	/* the header word of CONTRACT.md */
	const char *stage;	/* the staging (and table) column */
	enum import_type type;
	int required;		/* must be in the header */
};

struct import;
struct import_kind {
	const char *kind;
	const struct import_column *columns;
	size_t ncolumns;
	size_t key;		/* the column that must be unique in a file */
	void (*row_check)(struct import *, int line, char **val);
};

/* One reason a line is bad; column NULL for the whole line; field the
 * file's field (a workbook's column) or -1. */
struct import_error {
	int line;
	size_t seq;		/* order of finding, within a line */
	int field;
	const char *column;
	char *reason;
};

/* Keys seen so far in the file, with the line they were on. */
struct import_keyset {
	char **keys;
	int *lines;
	size_t count;
	size_t cap;
};

struct import_buf {
	char *p;
	size_t len;
	size_t cap;
};

struct import {
	const char *path;
	const char *sheet;	/* a workbook's sheet name, else NULL */
	const struct import_kind *kind;
	int json;
	int fatal;		/* the file could not be read as rows */
	/* The header spellings of each column (columns.conf). */
	char **aliases[IMPORT_MAX_COLUMNS];
	size_t naliases[IMPORT_MAX_COLUMNS];
	int field_column[CSV_MAX_FIELDS];	/* file field -> column, -1 */
	size_t nfields;
	int column_field[IMPORT_MAX_COLUMNS];	/* column -> file field, -1 */
	char *label[IMPORT_MAX_COLUMNS];	/* "size (家庭人口)" */
	/* The daemon: the connection (-1 before the header is good), the
	 * chunk of rows being built, an answer still to read. */
	/* Keys of lines C found bad after their values passed: a later line
	 * with the same key is named a repeat here, since the database never
	 * sees the first one. Repeats among good lines are the database's
	 * to find: this set stays as small as the bad lines. */
	struct import_keyset keys;
	int fd;
	struct import_buf chunk;
	size_t max_line;
	int pending;
	int refused;		/* the daemon refused: said why, stop */
	int exit_code;		/* of the refusal */
	long sent;
	/* The mapped file, and how much of it the parser is done with. */
	const char *map;
	size_t map_len;
	size_t dropped;
	struct import_error *errors;
	size_t nerrors;
	size_t errors_cap;
	long read;
};

/* ------------------------------------------------------------------ */
/* The columns of each kind (CONTRACT.md, "Data in")                   */
/* ------------------------------------------------------------------ */

enum { V_ID, V_NAME, V_TOWNSHIP };
static const struct import_column village_columns[] = {
	{ "village_id", "village_id", IT_ID, 1 },
	{ "name", "name", IT_TEXT, 1 },
	{ "township", "township", IT_TEXT, 1 },
};

enum { H_ID, H_VILLAGE, H_GROUP, H_HEAD, H_SIZE, H_CATEGORY, H_IDENTIFIED,
	H_LIFTED, H_INCOME, H_FOOD, H_CLOTHING, H_EDUCATION, H_MEDICAL,
	H_HOUSING, H_RISK, H_RELAPSE, H_RELAPSE_YEAR };
static const struct import_column household_columns[] = {
	{ "household_id", "household_id", IT_ID, 1 },
	{ "village_id", "village_id", IT_ID, 1 },
	{ "group", "group_name", IT_OPTTEXT, 0 },
	{ "head_name", "head_name", IT_TEXT, 1 },
	{ "size", "size", IT_SIZE, 1 },
	{ "category", "category", IT_CATEGORY, 1 },
	{ "identified_year", "identified_year", IT_YEAR, 0 },
	{ "lifted_year", "lifted_year", IT_YEAR, 0 },
	{ "income_per_capita", "income_per_capita", IT_MONEY, 0 },
	{ "food", "food", IT_BOOL, 1 },
	{ "clothing", "clothing", IT_BOOL, 1 },
	{ "education", "education", IT_BOOL, 1 },
	{ "medical", "medical", IT_BOOL, 1 },
	{ "housing", "housing", IT_BOOL, 1 },
	{ "risk", "risk", IT_OPTTEXT, 0 },
	{ "relapse_reason", "relapse_reason", IT_OPTTEXT, 0 },
	{ "relapse_year", "relapse_year", IT_YEAR, 0 },
};

enum { M_HOUSEHOLD, M_PERSON, M_NAME, M_RELATION, M_BIRTH, M_CHANGE,
	M_CHANGE_REASON, M_CHANGE_DATE };
static const struct import_column member_columns[] = {
	{ "household_id", "household_id", IT_ID, 1 },
	{ "person_id", "person_id", IT_PERSON_ID, 1 },
	{ "name", "name", IT_TEXT, 1 },
	{ "relation", "relation", IT_BLANKTEXT, 0 },
	{ "birth_date", "birth_date", IT_DATE, 0 },
	{ "change", "change", IT_CHANGE, 0 },
	{ "change_reason", "change_reason", IT_OPTTEXT, 0 },
	{ "change_date", "change_date", IT_DATE, 0 },
};

static void household_row_check(struct import *, int, char **);
static void import_add_row(struct import *, int line, const char *row,
    size_t len);
static int import_begin(struct import *, size_t file_bytes);
static void member_row_check(struct import *, int, char **);

static const struct import_kind import_kinds[] = {
	{ "villages", village_columns, nitems(village_columns), V_ID, NULL },
	{ "households", household_columns, nitems(household_columns), H_ID,
	    household_row_check },
	{ "members", member_columns, nitems(member_columns), M_PERSON,
	    member_row_check },
};

/* ------------------------------------------------------------------ */
/* Errors, keys, buffers                                               */
/* ------------------------------------------------------------------ */

static void import_bad(struct import *, int line, int column,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
import_bad(struct import *im, int line, int column, const char *fmt, ...)
{
	struct import_error *e;
	va_list ap;

	if (im->nerrors == im->errors_cap) {
		im->errors_cap = im->errors_cap ? im->errors_cap * 2 : 16;
		im->errors = xrealloc(im->errors,
		    im->errors_cap * sizeof(*im->errors));
	}
	e = &im->errors[im->nerrors++];
	e->line = line;
	e->seq = im->nerrors - 1;
	e->column = column >= 0 ? im->label[column] : NULL;
	e->field = column >= 0 ? im->column_field[column] : -1;
	va_start(ap, fmt);
	if (vasprintf(&e->reason, fmt, ap) < 0)
		e->reason = xstrdup("out of memory");
	va_end(ap);
}

static int
import_error_cmp(const void *a, const void *b)
{
	const struct import_error *x = a, *y = b;

	if (x->line != y->line)
		return (x->line > y->line) - (x->line < y->line);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static uint64_t
import_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Remember key at line (add) or only look it up; returns the earlier line
 * if it was there, else 0. Open addressing, kept at most half full. */
static int
import_key(struct import_keyset *ks, const char *key, int line, int add)
{
	size_t i;

	if (ks->count * 2 >= ks->cap) {
		size_t ncap = ks->cap ? ks->cap * 2 : 1024;
		char **nkeys = xcalloc(ncap, sizeof(*nkeys));
		int *nlines = xcalloc(ncap, sizeof(*nlines));

		for (size_t k = 0; k < ks->cap; k++) {
			if (ks->keys[k] == NULL)
				continue;
			i = import_hash(ks->keys[k]) & (ncap - 1);
			while (nkeys[i] != NULL)
				i = (i + 1) & (ncap - 1);
			nkeys[i] = ks->keys[k];
			nlines[i] = ks->lines[k];
		}
		free(ks->keys);
		free(ks->lines);
		ks->keys = nkeys;
		ks->lines = nlines;
		ks->cap = ncap;
	}
	i = import_hash(key) & (ks->cap - 1);
	while (ks->keys[i] != NULL) {
		if (strcmp(ks->keys[i], key) == 0)
			return ks->lines[i];
		i = (i + 1) & (ks->cap - 1);
	}
	if (!add)
		return 0;
	ks->keys[i] = xstrdup(key);
	ks->lines[i] = line;
	ks->count++;
	return 0;
}

static void
import_keys_free(struct import_keyset *ks)
{
	for (size_t i = 0; i < ks->cap; i++)
		free(ks->keys[i]);
	free(ks->keys);
	free(ks->lines);
}

static void
import_buf_add(struct import_buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 64 * 1024;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* s as a JSON string. */
static void
import_buf_json(struct import_buf *b, const char *s)
{
	const char *run;

	import_buf_add(b, "\"", 1);
	for (run = s; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];

		if (ch != '"' && ch != '\\' && ch >= 0x20)
			continue;
		import_buf_add(b, run, (size_t)(s - run));
		if (ch == '"' || ch == '\\')
			snprintf(esc, sizeof(esc), "\\%c", ch);
		else if (ch == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (ch == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (ch == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
		import_buf_add(b, esc, strlen(esc));
		run = s + 1;
	}
	import_buf_add(b, run, (size_t)(s - run));
	import_buf_add(b, "\"", 1);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

/* Trim ASCII white space and the ideographic space U+3000 in place:
 * spreadsheets typed in Chinese leave both. */
static char *
import_trim(char *s)
{
	size_t len;

	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		else if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else
			break;
	}
	len = strlen(s);
	for (;;) {
		if (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		    s[len - 1] == '\r' || s[len - 1] == '\n'))
			len--;
		else if (len >= 3 &&
		    memcmp(s + len - 3, "\xe3\x80\x80", 3) == 0)
			len -= 3;
		else
			break;
	}
	s[len] = '\0';
	return s;
}

static const struct value_range import_size_range = { 1, 50,
	VALUE_REQUIRED, NULL };
static const struct value_range import_year_range = { 1980, 2100,
	VALUE_EMPTY_NULL, "a year" };

/*
 * Check one value of column c and replace *val by its normal form (a code
 * word, "t"/"f", or NULL for empty). scratch holds VALUE_SCRATCH bytes for
 * forms that are not the input itself. Returns NULL or why it is bad.
 */
static const char *
import_value(const struct import_column *c, char **val,
    char scratch[VALUE_SCRATCH], char *why, size_t whylen)
{
	switch (c->type) {
	case IT_ID:
		return value_id(*val);
	case IT_TEXT:
		return value_text(val, VALUE_REQUIRED);
	case IT_OPTTEXT:
		return value_text(val, VALUE_EMPTY_NULL);
	case IT_BLANKTEXT:
		return value_text(val, VALUE_EMPTY_KEEP);
	case IT_SIZE:
		return value_integer(val, &import_size_range, scratch, why,
		    whylen);
	case IT_YEAR:
		return value_integer(val, &import_year_range, scratch, why,
		    whylen);
	case IT_MONEY:
		return value_money(val, why, whylen);
	case IT_BOOL:
		return value_code(val, &value_flags, why, whylen);
	case IT_CATEGORY:
		return value_code(val, &value_categories, why, whylen);
	case IT_DATE:
		return value_date(val, why, whylen);
	case IT_PERSON_ID:
		return value_person_id(val, why, whylen);
	case IT_CHANGE:
		return value_code(val, &value_changes, why, whylen);
	}
	return "unknown column type";
}

/* Checks across the columns of one household row. */
static void
household_row_check(struct import *im, int line, char **val)
{
	if (val[H_CATEGORY] != NULL &&
	    strcmp(val[H_CATEGORY], "relapsed") == 0 &&
	    im->column_field[H_RELAPSE] >= 0 && val[H_RELAPSE] == NULL)
		import_bad(im, line, H_RELAPSE,
		    "a relapsed household needs the reason it fell back");
}

/* Checks across the columns of one member row. */
static void
member_row_check(struct import *im, int line, char **val)
{
	const char *id = val[M_PERSON], *birth = val[M_BIRTH];

	if (id != NULL && birth != NULL && strlen(id) == 18 &&
	    (strncmp(birth, id + 6, 4) != 0 ||
	    strncmp(birth + 5, id + 10, 2) != 0 ||
	    strncmp(birth + 8, id + 12, 2) != 0))
		import_bad(im, line, M_BIRTH, "%s differs from the birth date "
		    "in the identity number (%.4s-%.2s-%.2s)", birth, id + 6,
		    id + 10, id + 12);
	if (val[M_CHANGE] != NULL && strcmp(val[M_CHANGE], "decrease") == 0) {
		if (im->column_field[M_CHANGE_REASON] >= 0 &&
		    val[M_CHANGE_REASON] == NULL)
			import_bad(im, line, M_CHANGE_REASON,
			    "a natural decrease needs its reason");
		if (im->column_field[M_CHANGE_DATE] >= 0 &&
		    val[M_CHANGE_DATE] == NULL)
			import_bad(im, line, M_CHANGE_DATE,
			    "a natural decrease needs its date");
	}
}

/* ------------------------------------------------------------------ */
/* Header and rows                                                     */
/* ------------------------------------------------------------------ */

/* The header word without decorations spreadsheets add: a unit in
 * brackets ("人均纯收入（元）"), a required-field star, case. */
static void
import_header_word(char *s)
{
	char *p;
	size_t len;

	if ((p = strstr(s, "（")) != NULL || (p = strchr(s, '(')) != NULL)
		*p = '\0';
	while (*s == '*') {
		memmove(s, s + 1, strlen(s));
	}
	len = strlen(s);
	while (len > 0 && s[len - 1] == '*')
		s[--len] = '\0';
	for (p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

static int
import_find_column(const struct import *im, const char *word)
{
	const struct import_kind *k = im->kind;

	for (size_t i = 0; i < k->ncolumns; i++) {
		if (strcmp(word, k->columns[i].name) == 0)
			return (int)i;
		for (size_t a = 0; a < im->naliases[i]; a++)
			if (strcmp(word, im->aliases[i][a]) == 0)
				return (int)i;
	}
	return -1;
}

/* Map the header onto the columns; 0 if every required one is there. */
static int
import_header(struct import *im, char **fields, size_t nfields, int hline)
{
	const struct import_kind *k = im->kind;
	size_t before = im->nerrors;

	for (size_t i = 0; i < k->ncolumns; i++) {
		im->column_field[i] = -1;
		im->label[i] = xstrdup(k->columns[i].name);
	}
	im->nfields = nfields;
	for (size_t f = 0; f < nfields; f++) {
		char *raw = import_trim(fields[f]);
		char *word = xstrdup(raw);
		int c;

		/* As written first: an alias may hold brackets itself. */
		if ((c = import_find_column(im, raw)) < 0) {
			import_header_word(word);
			c = import_find_column(im, import_trim(word));
		}
		im->field_column[f] = c;
		if (c < 0) {
			/* An unnamed trailing column is spreadsheet litter. */
			if (*raw != '\0')
				import_bad(im, hline, -1, "header: unknown "
				    "column '%s'", raw);
		} else if (im->column_field[c] >= 0)
			import_bad(im, hline, -1, "header: column %s "
			    "appears twice", k->columns[c].name);
		else {
			im->column_field[c] = (int)f;
			if (strcmp(raw, k->columns[c].name) != 0) {
				free(im->label[c]);
				im->label[c] = xasprintf("%s (%s)",
				    k->columns[c].name, raw);
			}
		}
		free(word);
	}
	for (size_t i = 0; i < k->ncolumns; i++)
		if (k->columns[i].required && im->column_field[i] < 0)
			import_bad(im, hline, -1, "header: missing column "
			    "%s", k->columns[i].name);
	return im->nerrors == before ? 0 : -1;
}

/* True when every field is empty: what spreadsheets leave below the
 * data. Trims the fields in place. */
static int
import_blank(char **fields, size_t nfields)
{
	for (size_t f = 0; f < nfields; f++)
		if (*import_trim(fields[f]) != '\0')
			return 0;
	return 1;
}

/*
 * One data row. A good one becomes a COPY line even after bad ones, so
 * that the database checks it in the same pass; the load is refused
 * anyway once any line is bad.
 */
static void
import_row(struct import *im, char **fields, size_t nfields, int line)
{
	const struct import_kind *k = im->kind;
	char *val[IMPORT_MAX_COLUMNS];
	char scratch[IMPORT_MAX_COLUMNS][VALUE_SCRATCH], why[256], linebuf[32];
	size_t before = im->nerrors;
	struct import_buf row = { NULL, 0, 0 };
	int earlier;

	if (import_blank(fields, nfields))
		return;
	im->read++;
	if (nfields != im->nfields) {
		import_bad(im, line, -1, "%zu fields, the header has %zu",
		    nfields, im->nfields);
		return;
	}

	for (size_t c = 0; c < k->ncolumns; c++) {
		const char *bad;

		val[c] = im->column_field[c] >= 0 ?
		    fields[im->column_field[c]] : (char *)"";
		if (im->column_field[c] < 0 && !k->columns[c].required) {
			/* Absent: filled from the stored row in SQL. */
			val[c] = k->columns[c].type == IT_BLANKTEXT ||
			    k->columns[c].type == IT_CHANGE ? (char *)"" : NULL;
			continue;
		}
		bad = import_value(&k->columns[c], &val[c], scratch[c], why,
		    sizeof(why));
		if (bad != NULL)
			import_bad(im, line, (int)c, "%s", bad);
	}
	if (im->nerrors != before)
		return;
	if (k->row_check != NULL)
		k->row_check(im, line, val);
	if ((earlier = import_key(&im->keys, val[k->key], line, 0)) != 0)
		import_bad(im, line, (int)k->key, "%s also on line %d",
		    val[k->key], earlier);
	else if (im->nerrors != before)
		import_key(&im->keys, val[k->key], line, 1);
	if (im->nerrors != before)
		return;

	/* Good so far: one JSON object, keyed by staging column, with the
	 * file's line; NULL is left out. A key repeated in the file is the
	 * database's to find (it holds every row; this process does not). */
	snprintf(linebuf, sizeof(linebuf), "{\"line\":%d", line);
	import_buf_add(&row, linebuf, strlen(linebuf));
	for (size_t c = 0; c < k->ncolumns; c++) {
		if (val[c] == NULL)
			continue;
		import_buf_add(&row, ",\"", 2);
		import_buf_add(&row, k->columns[c].stage,
		    strlen(k->columns[c].stage));
		import_buf_add(&row, "\":", 2);
		import_buf_json(&row, val[c]);
	}
	import_buf_add(&row, "}", 1);
	import_add_row(im, line, row.p, row.len);
	free(row.p);
}

/* ------------------------------------------------------------------ */
/* The file                                                            */
/* ------------------------------------------------------------------ */

/*
 * The file, mapped read-only (PROT_READ, MAP_PRIVATE): its pages are read
 * as the parser reaches them and dropped behind it (import_drop), so a
 * large file does not stay in memory. NULL after saying why.
 */
static const char *
import_map_file(const char *path, size_t *lenp)
{
	struct stat st;
	void *map;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > IMPORT_MAX_FILE) {
		fprintf(stderr, "fupinctl: %s: not a regular file under "
		    "1 GiB\n", path);
		close(fd);
		return NULL;
	}
	*lenp = (size_t)st.st_size;
	if (st.st_size == 0) {
		close(fd);
		return "";
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	return map;
}

/* The parser is done with the mapped file before offset upto: give its
 * pages back (they are read again from the file if ever needed). */
static void
import_drop(struct import *im, size_t upto)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (im->map_len == 0 || upto > im->map_len)
		return;
	upto -= upto % page;
	if (upto > im->dropped) {
		madvise((char *)im->map + im->dropped, upto - im->dropped,
		    MADV_DONTNEED);
		im->dropped = upto;
	}
}

/* GB18030 to UTF-8. Returns the new buffer, or NULL with *bad the offset
 * of the first byte that is not GB18030 either. */
static char *
import_from_gb18030(const char *in, size_t len, size_t *outlen, size_t *bad)
{
	iconv_t cd;
	char *out, *ip = (char *)in, *op;
	size_t cap = len * 2 + 16, ileft = len, oleft;

	if ((cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1) {
		*bad = 0;
		return NULL;
	}
	out = xmalloc(cap);
	op = out;
	oleft = cap - 1;
	while (ileft > 0) {
		if (iconv(cd, &ip, &ileft, &op, &oleft) != (size_t)-1)
			break;
		if (errno == E2BIG) {
			size_t used = (size_t)(op - out);

			cap *= 2;
			out = xrealloc(out, cap);
			op = out + used;
			oleft = cap - 1 - used;
			continue;
		}
		*bad = (size_t)(ip - in);
		free(out);
		iconv_close(cd);
		return NULL;
	}
	iconv_close(cd);
	*op = '\0';
	*outlen = (size_t)(op - out);
	/* A NUL byte converts to itself; the CSV reader refuses it. */
	return out;
}

/* utf8_valid_prefix over buf a few MiB at a time, giving the mapped
 * file's pages back as they are checked: checking a large file does not
 * hold it all in memory. */
static size_t
import_utf8_prefix(struct import *im, const char *buf, size_t len)
{
	size_t off = 0, n, v;

	while (off < len) {
		n = len - off;
		if (n > IMPORT_CHECK_STEP) {
			/* End the piece at the start of a character. */
			n = IMPORT_CHECK_STEP;
			while (n > 0 &&
			    ((unsigned char)buf[off + n] & 0xc0) == 0x80)
				n--;
			if (n == 0)
				n = IMPORT_CHECK_STEP;
		}
		if ((v = utf8_valid_prefix(buf + off, n)) < n)
			return off + v;
		off += n;
		if (buf == im->map)
			import_drop(im, off);
	}
	return len;
}

/* Make *buf UTF-8 (a converted copy in *owned, which the caller frees);
 * 0 ok, -1 when reported as a bad line. */
static int
import_encoding(struct import *im, const char **buf, size_t *len,
    char **owned)
{
	size_t bad = import_utf8_prefix(im, *buf, *len), gbad = 0, nlen;
	char *conv;
	int has_bom = *len >= 3 && memcmp(*buf, "\xef\xbb\xbf", 3) == 0;
	int line;

	if (bad == *len)
		return 0;
	line = csv_line_at(*buf, *len, bad);
	if ((*buf)[bad] == '\0') {
		import_bad(im, line, -1, "NUL byte: is this a spreadsheet "
		    "rather than a CSV file?");
		return -1;
	}
	/* A BOM says UTF-8: a bad byte after it is damage, not GB18030. */
	if (has_bom) {
		import_bad(im, line, -1, "not valid UTF-8");
		return -1;
	}
	if ((conv = import_from_gb18030(*buf, *len, &nlen, &gbad)) == NULL) {
		int gline = csv_line_at(*buf, *len, gbad);

		if (gline == line)
			import_bad(im, line, -1, "neither UTF-8 nor GB18030");
		else
			import_bad(im, line, -1, "not valid UTF-8 (and not "
			    "GB18030 at line %d)", gline);
		return -1;
	}
	fprintf(stderr, "fupinctl: %s: converted from GB18030\n", im->path);
	*owned = conv;
	*buf = conv;
	*len = nlen;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Header spellings (columns.conf)                                     */
/* ------------------------------------------------------------------ */

/*
 * The spellings of im->kind's columns from <workflows.dir>/<campaign>/
 * columns.conf. Every kind and column of the file is checked, not only
 * this import's, so a mistake shows at once. An absent file leaves the
 * canonical names only. 0, or -1 after saying why on stderr.
 */
static int
import_columns_load(struct import *im, const struct settings *set)
{
	static const char *const kinds[] = { "villages", "households",
		"members", NULL };
	struct errlist errs;
	struct cfgfile cf;
	const config_setting_t *top, *grp, *list;
	const char *names[IMPORT_MAX_COLUMNS + 1];
	char *path;
	int rc = -1;

	path = xasprintf("%s/%s/columns.conf", set->v[SET_WORKFLOWS_DIR].s,
	    set->v[SET_WORKFLOWS_CAMPAIGN].s);
	errlist_init(&errs);
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		errlist_free(&errs);
		return 0;
	}
	if (cfgfile_open(&cf, path, &errs) != 0)
		goto out;
	if ((top = cfgfile_get(&cf, cfgfile_root(&cf), "", "columns",
	    CFG_GROUP, 1)) == NULL)
		goto out;
	cfgfile_check_keys(&cf, top, "columns", kinds);
	for (size_t k = 0; k < nitems(import_kinds); k++) {
		const struct import_kind *kind = &import_kinds[k];
		char *gpath = xasprintf("columns.%s", kind->kind);

		if ((grp = cfgfile_get(&cf, top, "columns", kind->kind,
		    CFG_GROUP, 0)) == NULL) {
			free(gpath);
			continue;
		}
		for (size_t c = 0; c < kind->ncolumns; c++)
			names[c] = kind->columns[c].name;
		names[kind->ncolumns] = NULL;
		cfgfile_check_keys(&cf, grp, gpath, names);
		for (size_t c = 0; c < kind->ncolumns; c++) {
			if ((list = cfgfile_get(&cf, grp, gpath,
			    kind->columns[c].name, CFG_STRINGS, 0)) == NULL)
				continue;
			for (int i = 0; i < config_setting_length(list); i++) {
				const char *a = config_setting_get_string_elem(
				    list, i);
				int other;

				if (a == NULL || *a == '\0')
					continue;
				/* The same spelling in two columns would make
				 * a header mean either. */
				for (size_t o = 0; o < c; o++) {
					const config_setting_t *ol =
					    config_setting_get_member(grp,
					    kind->columns[o].name);

					for (other = 0; ol != NULL && other <
					    config_setting_length(ol); other++)
						if (strcmp(a,
						    config_setting_get_string_elem(
						    ol, other) ?: "") == 0)
							cfgfile_error(&cf, list,
							    gpath, kind->columns[c].name,
							    "'%s' is also a spelling of %s",
							    a, kind->columns[o].name);
				}
				if (kind != im->kind)
					continue;
				if (im->naliases[c] >= IMPORT_MAX_ALIASES) {
					cfgfile_error(&cf, list, gpath,
					    kind->columns[c].name, "more than "
					    "%d spellings", IMPORT_MAX_ALIASES);
					break;
				}
				if (im->aliases[c] == NULL)
					im->aliases[c] = xcalloc(
					    IMPORT_MAX_ALIASES,
					    sizeof(*im->aliases[c]));
				im->aliases[c][im->naliases[c]++] = xstrdup(a);
			}
		}
		free(gpath);
	}
	if (errs.count == 0)
		rc = 0;
out:
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "fupinctl: %s\n", errs.items[i]);
	cfgfile_close(&cf);
	errlist_free(&errs);
	free(path);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Workbooks                                                           */
/* ------------------------------------------------------------------ */

/* A number as a person would type it: at most 15 significant digits,
 * as Excel shows it, so 0.1 + 0.2 stays 0.3. */
static char *
import_sheet_number(double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		return xasprintf("%.0f", v);
	return xasprintf("%.15g", v);
}

/*
 * The text of cell for column c (-1: a column the import does not use),
 * as a CSV of the same data would hold it; NULL after reporting why the
 * cell cannot be taken.
 */
static char *
import_sheet_cell(struct import *im, const struct sheet *sh,
    const struct sheet_cell *cell, int c, int line)
{
	enum import_type type = c >= 0 ? im->kind->columns[c].type : IT_TEXT;
	int y, m, d;

	if (cell == NULL || cell->kind == SHEET_EMPTY)
		return xstrdup("");
	if (c < 0)
		return xstrdup(cell->text);
	/* A formula's cached value is what Excel showed when it saved,
	 * not necessarily what the formula gives now: refuse it. */
	if (cell->formula) {
		import_bad(im, line, c, "a formula: fupinctl takes values, "
		    "not formulas (copy the column and paste it as values)");
		return NULL;
	}
	switch (cell->kind) {
	case SHEET_EMPTY:
	case SHEET_TEXT:
		return xstrdup(cell->text);
	case SHEET_ERROR:
		import_bad(im, line, c, "the cell holds the error %s",
		    cell->text);
		return NULL;
	case SHEET_BOOL:
		if (type == IT_BOOL)
			return xstrdup(cell->text);
		return xstrdup(strcmp(cell->text, "1") == 0 ? "TRUE" :
		    "FALSE");
	case SHEET_DATE:
		/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" / "...T...": the
		 * day is what a date column keeps. */
		if (type == IT_DATE && strlen(cell->text) >= 10)
			return xasprintf("%.10s", cell->text);
		return xstrdup(cell->text);
	case SHEET_NUMBER:
		break;
	}
	switch (type) {
	case IT_PERSON_ID:
		import_bad(im, line, c, "%s is stored as a number: an "
		    "identity number has 18 digits and a number keeps 15, so "
		    "the last ones are lost; format the column as text and "
		    "enter the numbers again", cell->text);
		return NULL;
	case IT_ID:
		if (cell->number != floor(cell->number) ||
		    fabs(cell->number) >= 1e15) {
			import_bad(im, line, c, "%s is stored as a number that "
			    "is not a whole number of at most 15 digits: "
			    "format the column as text", cell->text);
			return NULL;
		}
		return xasprintf("%.0f", cell->number);
	case IT_DATE:
		if (sheet_serial_date(cell->number, sh->date1904, &y, &m,
		    &d) != 0) {
			import_bad(im, line, c, "%s is stored as a number and "
			    "is no day of the %s date system%s", cell->text,
			    sh->date1904 ? "1904" : "1900",
			    !sh->date1904 && floor(cell->number) == 60 ?
			    " (60 is 1900-02-29, which never was)" : "");
			return NULL;
		}
		return xasprintf("%04d-%02d-%02d", y, m, d);
	default:
		return import_sheet_number(cell->number);
	}
}

/* Merged ranges: the header's would hide a column, a data row's leave
 * every row but the first empty. Returns how many were reported. */
static int
import_sheet_merges(struct import *im, const struct sheet *sh,
    unsigned header_row)
{
	int bad = 0;

	for (size_t i = 0; i < sh->nmerges; i++) {
		const struct sheet_merge *mg = &sh->merges[i];
		char a[8], b[8];

		if (mg->r2 < header_row)
			continue;	/* a title above the header */
		sheet_column_name(mg->c1, a);
		sheet_column_name(mg->c2, b);
		if (mg->r1 <= header_row)
			import_bad(im, (int)header_row, -1, "merged header "
			    "cells %s%u:%s%u: each column needs its own "
			    "header cell (unmerge them)", a, mg->r1, b,
			    mg->r2);
		else
			import_bad(im, (int)mg->r1, -1, "merged cells "
			    "%s%u:%s%u: only the first holds the value "
			    "(unmerge them and fill in every row)", a, mg->r1,
			    b, mg->r2);
		bad++;
	}
	return bad;
}

/* The rows of a workbook's sheet through the same header and row checks
 * as a CSV file's. */
static void
import_sheet(struct import *im, const char *buf, size_t len,
    enum sheet_format fmt, const char *want, struct sheet *sh)
{
	size_t r = 0, width;
	char **fields = NULL;
	int rc;

	if (fmt == SHEET_OLE && sheet_ole_encrypted(buf, len)) {
		import_bad(im, 1, -1, "the workbook is password-protected "
		    "(an encrypted package, not a zip file): save it "
		    "without a password to open");
		im->fatal = 1;
		return;
	}
	rc = fmt == SHEET_XLSX ? sheet_read_xlsx(sh, buf, len, want) :
	    fmt == SHEET_OLE ? sheet_read_xls(sh, im->path, want) :
	    (snprintf(sh->error, sizeof(sh->error), "unreadable workbook: "
	    "neither a zip (.xlsx) nor a compound file (.xls)"), -1);
	im->sheet = sh->name;
	if (rc != 0) {
		import_bad(im, 1, -1, "%s", sh->error);
		im->fatal = 1;
		return;
	}

	/* The header is the first row with anything in it. */
	for (r = 0; r < sh->nrows; r++) {
		size_t c;

		for (c = 0; c < sh->rows[r].ncells; c++)
			if (sh->rows[r].cells[c].kind != SHEET_EMPTY &&
			    *sh->rows[r].cells[c].text != '\0')
				break;
		if (c < sh->rows[r].ncells)
			break;
	}
	if (r == sh->nrows) {
		import_bad(im, 1, -1, "the sheet is empty: a header row is "
		    "needed");
		im->fatal = 1;
		return;
	}
	if (import_sheet_merges(im, sh, sh->rows[r].row) > 0) {
		im->fatal = 1;
		return;
	}
	width = sh->rows[r].ncells;
	fields = xcalloc(width, sizeof(*fields));
	for (size_t c = 0; c < width; c++) {
		const struct sheet_cell *cell = &sh->rows[r].cells[c];

		if (cell->formula) {
			char name[8];

			sheet_column_name((unsigned)c, name);
			import_bad(im, (int)sh->rows[r].row, -1, "header cell "
			    "%s%u is a formula", name, sh->rows[r].row);
		}
		fields[c] = xstrdup(cell->kind == SHEET_EMPTY ? "" :
		    cell->text);
	}
	if (im->nerrors > 0 || import_header(im, fields, width,
	    (int)sh->rows[r].row) != 0) {
		im->fatal = 1;
		goto out;
	}
	if (import_begin(im, len) != 0)
		goto out;

	for (r++; r < sh->nrows && !im->refused; r++) {
		const struct sheet_row *row = &sh->rows[r];
		int line = (int)row->row, bad = 0;

		for (size_t c = 0; c < width; c++) {
			free(fields[c]);
			fields[c] = NULL;
		}
		for (size_t c = 0; c < row->ncells || c < width; c++) {
			const struct sheet_cell *cell = c < row->ncells ?
			    &row->cells[c] : NULL;
			int col = c < width ? im->field_column[c] : -1;
			char *text;
			char name[8];

			text = import_sheet_cell(im, sh, cell, col, line);
			if (text == NULL) {
				bad = 1;
				continue;
			}
			if (*import_trim(text) != '\0' && (c >= width ||
			    col < 0)) {
				/* Data the header does not name: often a
				 * merged header cell, always a mistake. */
				sheet_column_name((unsigned)c, name);
				import_bad(im, line, -1, "cell %s%d holds '%s' "
				    "but its column has no header", name,
				    line, text);
				bad = 1;
			}
			if (c < width)
				fields[c] = text;
			else
				free(text);
		}
		for (size_t c = 0; c < width; c++)
			if (fields[c] == NULL)
				fields[c] = xstrdup("");
		if (bad) {
			if (!import_blank(fields, width))
				im->read++;
			continue;
		}
		import_row(im, fields, width, line);
	}
out:
	for (size_t c = 0; c < width; c++)
		free(fields[c]);
	free(fields);
}

/* ------------------------------------------------------------------ */
/* The daemon                                                          */
/* ------------------------------------------------------------------ */

/* The header spellings of columns.conf into im; 0, or -1 after saying
 * why. */
static int
import_settings(struct import *im, const char *config_path)
{
	struct settings set;
	int rc;

	if (ctl_settings(config_path, 0, &set) < 0)
		return -1;
	rc = import_columns_load(im, &set);
	settings_free(&set);
	return rc;
}

/* The daemon said no (or could not be asked): say why, stop the import. */
static void
import_refused(struct import *im, const char *code, const char *message,
    int exit_code)
{
	if (!im->refused)
		fprintf(stderr, "fupinctl: %s: import refused: %s%s%s%s\n",
		    im->path, message, code ? " (" : "", code ? code : "",
		    code ? ")" : "");
	im->refused = 1;
	im->fatal = 1;
	im->exit_code = exit_code;
}

/* Send one request line (text holds its newline); 0, or -1 refused. */
static int
import_send(struct import *im, const char *text, size_t len)
{
	if (send_all(im->fd, text, len) < 0) {
		import_refused(im, NULL, "the daemon closed the connection",
		    EXIT_CANNOT_ASK);
		return -1;
	}
	return 0;
}

/* The answer to the request in flight, waiting at most seconds (0: as
 * long as it takes); NULL after import_refused. bad_data is left to the
 * caller when want_bad. */
static json_t *
import_answer(struct import *im, unsigned seconds, int want_bad)
{
	json_t *a;
	char *text;
	const char *code;

	alarm(seconds);
	text = ctl_read_line(im->fd);
	alarm(0);
	if (text == NULL) {
		import_refused(im, NULL, "the daemon closed the connection "
		    "without an answer", EXIT_CANNOT_ASK);
		return NULL;
	}
	a = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(a)) {
		json_decref(a);
		import_refused(im, NULL, "the daemon's answer is not JSON",
		    EXIT_CANNOT_ASK);
		return NULL;
	}
	if (json_is_true(json_object_get(a, "ok")))
		return a;
	code = json_string_value(json_object_get(a, "error"));
	if (want_bad && code != NULL && strcmp(code, "bad_data") == 0 &&
	    json_is_array(json_object_get(a, "errors")))
		return a;
	import_refused(im, code, json_string_value(json_object_get(a,
	    "message")) ?: "no reason given",
	    code != NULL && strcmp(code, "unavailable") == 0 ?
	    EXIT_CANNOT_ASK : EXIT_ANSWER_ERROR);
	json_decref(a);
	return NULL;
}

/* The header is good: connect and open the upload with the columns the
 * file has. 0, or -1 after import_refused. */
static int
import_begin(struct import *im, size_t file_bytes)
{
	const char *base = strrchr(im->path, '/');
	json_t *meta, *present = json_array(), *a;
	char *text, *line;
	int rc;

	for (size_t c = 0; c < im->kind->ncolumns; c++)
		if (im->column_field[c] >= 0)
			json_array_append_new(present,
			    json_string(im->kind->columns[c].stage));
	base = base ? base + 1 : im->path;
	meta = json_pack("{s:o, s:s%, s:I}", "present", present, "file",
	    base, strlen(base) > 200 ? (size_t)200 : strlen(base), "bytes",
	    (json_int_t)file_bytes);
	text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
	json_decref(meta);
	if (text == NULL) {
		import_refused(im, NULL, "cannot encode the file's name",
		    EXIT_CANNOT_ASK);
		return -1;
	}
	if ((im->fd = ctl_connect()) < 0) {
		free(text);
		im->refused = im->fatal = 1;
		im->exit_code = EXIT_CANNOT_ASK;
		return -1;
	}
	line = xasprintf("IMPORT BEGIN %s %s\n", im->kind->kind, text);
	free(text);
	rc = import_send(im, line, strlen(line));
	free(line);
	if (rc < 0 || (a = import_answer(im, (unsigned)ctl_timeout, 0)) ==
	    NULL)
		return -1;
	im->max_line = (size_t)json_integer_value(json_object_get(a,
	    "max_line"));
	if (im->max_line < 4096 || im->max_line > IMPORT_MAX_LINE * 16)
		im->max_line = IMPORT_MAX_LINE;
	json_decref(a);
	return 0;
}

/* Send the chunk built so far, once the last one is stored. */
static void
import_flush(struct import *im)
{
	json_t *a;

	if (im->refused || im->chunk.len == 0)
		return;
	if (im->pending) {
		im->pending = 0;
		if ((a = import_answer(im, (unsigned)ctl_timeout, 0)) == NULL)
			return;
		json_decref(a);
	}
	import_buf_add(&im->chunk, "]\n", 2);
	if (import_send(im, im->chunk.p, im->chunk.len) == 0)
		im->pending = 1;
	im->chunk.len = 0;
}

/* One good row (a JSON object) into the chunk; a full chunk goes. */
static void
import_add_row(struct import *im, int line, const char *row, size_t len)
{
	if (im->refused || im->fd < 0)
		return;
	if (len + IMPORT_LINE_SLACK > im->max_line) {
		import_bad(im, line, -1, "the row is %zu bytes, more than "
		    "the daemon takes at once (%zu)", len, im->max_line);
		return;
	}
	if (im->chunk.len > 0 &&
	    im->chunk.len + 1 + len + IMPORT_LINE_SLACK > im->max_line)
		import_flush(im);
	if (im->chunk.len == 0)
		import_buf_add(&im->chunk, "IMPORT ROWS [", 13);
	else
		import_buf_add(&im->chunk, ",", 1);
	import_buf_add(&im->chunk, row, len);
	im->sent++;
}

static int
import_label_of_stage(struct import *im, const char *stage)
{
	for (size_t c = 0; c < im->kind->ncolumns; c++)
		if (strcmp(im->kind->columns[c].stage, stage) == 0)
			return (int)c;
	return -1;
}

/*
 * The end of the file: the last chunk, then COMMIT, or CHECK when a line
 * was bad already (the database's checks still run, nothing is written).
 * counts[] gets inserted, updated, unchanged. Returns an exit code;
 * EXIT_ANSWER_ERROR with im->errors filled when lines were bad.
 */
static int
import_finish(struct import *im, long counts[3])
{
	int apply = im->nerrors == 0;
	json_t *a, *errs, *e;
	size_t i;
	char req[32];

	import_flush(im);
	if (im->pending && !im->refused) {
		im->pending = 0;
		if ((a = import_answer(im, (unsigned)ctl_timeout, 0)) != NULL)
			json_decref(a);
	}
	if (im->refused)
		return im->exit_code;
	snprintf(req, sizeof(req), "IMPORT %s\n", apply ? "COMMIT" : "CHECK");
	if (import_send(im, req, strlen(req)) < 0)
		return im->exit_code;
	/* The whole file in one statement: the daemon bounds it
	 * (control.import_timeout). */
	if ((a = import_answer(im, 0, 1)) == NULL)
		return im->exit_code;
	if (!json_is_true(json_object_get(a, "ok"))) {
		errs = json_object_get(a, "errors");
		json_array_foreach(errs, i, e) {
			const char *col = json_string_value(json_object_get(e,
			    "col"));

			import_bad(im, (int)json_integer_value(
			    json_object_get(e, "line")),
			    col ? import_label_of_stage(im, col) : -1, "%s",
			    json_string_value(json_object_get(e, "reason")) ?:
			    "?");
		}
		if (json_is_true(json_object_get(a, "truncated")))
			fprintf(stderr, "fupinctl: %s: the database found %lld "
			    "bad values; the first %zu follow\n", im->path,
			    (long long)json_integer_value(json_object_get(a,
			    "bad")), json_array_size(errs));
		json_decref(a);
		return EXIT_ANSWER_ERROR;
	}
	counts[0] = (long)json_integer_value(json_object_get(a, "inserted"));
	counts[1] = (long)json_integer_value(json_object_get(a, "updated"));
	counts[2] = (long)json_integer_value(json_object_get(a, "unchanged"));
	json_decref(a);
	return apply ? EXIT_OK : EXIT_ANSWER_ERROR;
}

/* ------------------------------------------------------------------ */
/* The command                                                         */
/* ------------------------------------------------------------------ */

static void
import_report_errors(struct import *im, int json)
{
	size_t lines = 0;
	int last = -1;
	json_t *arr = json ? json_array() : NULL;
	char *msg;

	qsort(im->errors, im->nerrors, sizeof(*im->errors), import_error_cmp);
	for (size_t i = 0; i < im->nerrors; i++) {
		struct import_error *e = &im->errors[i];
		char cell[16] = "";

		if (e->line != last)
			lines++;
		last = e->line;
		if (im->sheet != NULL && e->field >= 0) {
			sheet_column_name((unsigned)e->field, cell);
			snprintf(cell + strlen(cell), sizeof(cell) -
			    strlen(cell), "%d", e->line);
		}
		if (im->sheet != NULL)
			fprintf(stderr, "%s:%s:%d: ", im->path, im->sheet,
			    e->line);
		else
			fprintf(stderr, "%s:%d: ", im->path, e->line);
		if (e->column != NULL && *cell != '\0')
			fprintf(stderr, "column %s at %s: %s\n", e->column,
			    cell, e->reason);
		else if (e->column != NULL)
			fprintf(stderr, "column %s: %s\n", e->column,
			    e->reason);
		else
			fprintf(stderr, "%s\n", e->reason);
		if (arr != NULL) {
			json_t *o = json_pack("{s:i}", "line", e->line);

			if (im->sheet != NULL)
				json_object_set_new(o, "sheet",
				    json_string(im->sheet));
			if (*cell != '\0')
				json_object_set_new(o, "cell",
				    json_string(cell));
			if (e->column != NULL)
				json_object_set_new(o, "column",
				    json_string(e->column));
			json_object_set_new(o, "reason",
			    json_string(e->reason));
			json_array_append_new(arr, o);
		}
	}
	msg = xasprintf("%zu bad line%s; nothing imported", lines,
	    lines == 1 ? "" : "s");
	fprintf(stderr, "%s\n", msg);
	if (arr != NULL) {
		json_t *o = json_pack("{s:b,s:s,s:s,s:s,s:o}", "ok", 0,
		    "error", "bad_data", "message", msg, "kind",
		    im->kind->kind, "errors", arr);
		char *text = json_dumps(o, JSON_COMPACT);

		printf("%s\n", text);
		free(text);
		json_decref(o);
	}
	free(msg);
}

/* A name ending in .xlsx, .xlsm or .xls (any case). */
static int
import_is_workbook_name(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot != NULL && (strcasecmp(dot, ".xlsx") == 0 ||
	    strcasecmp(dot, ".xlsm") == 0 || strcasecmp(dot, ".xls") == 0);
}

static void
import_csv(struct import *im, const char *buf, size_t len, struct csv *csv,
    char **owned)
{
	size_t last_drop = 0;
	int r;

	if (import_encoding(im, &buf, &len, owned) != 0) {
		im->fatal = 1;
		return;
	}
	/* The check read every page: give them back before the parse. */
	import_drop(im, im->map_len);
	im->dropped = 0;
	csv_init(csv, buf, len);
	if ((r = csv_read(csv)) == CSV_EOF)
		import_bad(im, 1, -1, "empty file: a header row is needed");
	else if (r == CSV_ERROR)
		import_bad(im, csv->error_line, -1, "%s", csv->error);
	else if (import_header(im, csv->fields, csv->nfields,
	    csv->line) == 0) {
		if (import_begin(im, len) != 0)
			return;
		while (!im->refused && (r = csv_read(csv)) == CSV_RECORD) {
			import_row(im, csv->fields, csv->nfields, csv->line);
			if (*owned == NULL && csv->pos - last_drop >
			    IMPORT_CHECK_STEP) {
				import_drop(im, csv->pos);
				last_drop = csv->pos;
			}
		}
		if (r == CSV_ERROR) {
			import_bad(im, csv->error_line, -1, "%s", csv->error);
			im->fatal = 1;
		}
		return;
	}
	im->fatal = 1;
}

int
import_main(const char *config_path, int argc, char **argv, int json)
{
	struct import im;
	struct csv csv;
	struct sheet sh;
	const char *want_sheet = NULL, *pos[2], *buf = NULL;
	char *owned = NULL;
	size_t len = 0, npos = 0;
	long counts[3] = { 0, 0, 0 };
	enum sheet_format fmt;
	int rc = EXIT_CANNOT_ASK;

	memset(&im, 0, sizeof(im));
	memset(&sh, 0, sizeof(sh));
	im.fd = -1;
	csv_init(&csv, "", 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sheet") == 0 && i + 1 < argc)
			want_sheet = argv[++i];
		else if (strncmp(argv[i], "--sheet=", 8) == 0)
			want_sheet = argv[i] + 8;
		else if (npos < nitems(pos) && argv[i][0] != '-')
			pos[npos++] = argv[i];
		else {
			npos = 0;
			break;
		}
	}
	if (npos != 2) {
		fprintf(stderr, "usage: fupinctl [-s SOCKET | -c FILE] import "
		    "villages|households|members FILE.csv|FILE.xlsx|FILE.xls "
		    "[--sheet NAME]\n");
		return EXIT_CANNOT_ASK;
	}
	for (size_t i = 0; i < nitems(import_kinds); i++)
		if (strcasecmp(pos[0], import_kinds[i].kind) == 0)
			im.kind = &import_kinds[i];
	if (im.kind == NULL) {
		fprintf(stderr, "fupinctl: import: unknown kind '%s' "
		    "(villages, households or members)\n", pos[0]);
		return EXIT_CANNOT_ASK;
	}
	im.path = pos[1];
	im.json = json;

	if (import_settings(&im, config_path) != 0)
		goto out;
	if ((buf = import_map_file(im.path, &len)) == NULL)
		goto out;
	im.map = buf;
	im.map_len = len;
	fmt = sheet_sniff(buf, len);
	if (fmt != SHEET_NOT_A_WORKBOOK || import_is_workbook_name(im.path))
		import_sheet(&im, buf, len, fmt, want_sheet, &sh);
	else if (want_sheet != NULL) {
		fprintf(stderr, "fupinctl: %s: --sheet is for workbooks, and "
		    "this is not one\n", im.path);
		goto out;
	} else
		import_csv(&im, buf, len, &csv, &owned);

	/* Every row C found good went to the daemon, whose checks run over
	 * them too, so that one run lists every bad line. */
	if (im.refused)
		rc = im.exit_code;
	else if (!im.fatal)
		rc = import_finish(&im, counts);
	else
		rc = EXIT_ANSWER_ERROR;
	if (im.nerrors > 0 && !im.refused) {
		import_report_errors(&im, json);
		rc = EXIT_ANSWER_ERROR;
	} else if (im.nerrors > 0) {
		import_report_errors(&im, json);
		fprintf(stderr, "fupinctl: the database's checks did not "
		    "run\n");
	} else if (rc == EXIT_OK) {
		if (json)
			printf("{\"ok\":true,\"kind\":\"%s\",\"read\":%ld,"
			       "\"inserted\":%ld,\"updated\":%ld,"
			       "\"unchanged\":%ld}\n",
			    im.kind->kind, im.read, counts[0], counts[1],
			    counts[2]);
		else
			printf("%s: %ld read, %ld inserted, %ld updated, %ld "
			       "unchanged\n",
			    im.kind->kind, im.read, counts[0], counts[1],
			    counts[2]);
	}
out:
	/* Closing the connection discards an upload not committed. */
	if (im.fd >= 0)
		close(im.fd);
	for (size_t i = 0; i < im.nerrors; i++)
		free(im.errors[i].reason);
	free(im.errors);
	for (size_t i = 0; i < IMPORT_MAX_COLUMNS; i++) {
		free(im.label[i]);
		for (size_t a = 0; a < im.naliases[i]; a++)
			free(im.aliases[i][a]);
		free(im.aliases[i]);
	}
	free(im.chunk.p);
	import_keys_free(&im.keys);
	csv_free(&csv);
	sheet_free(&sh);
	if (im.map_len > 0)
		munmap((void *)im.map, im.map_len);
	free(owned);
	return rc;
}
