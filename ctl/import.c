/*
 * fupinctl import villages|households|members FILE.csv
 *
 * Owns the way register data comes in from spreadsheets: reading the file
 * (UTF-8 with or without BOM, else GB18030 through iconv), mapping English
 * or Chinese headers onto the columns of CONTRACT.md, checking every row,
 * and loading the file in one transaction: COPY into a TEMP staging table,
 * then the set-based functions of sql/003_import.sql check what only the
 * database knows (unknown villages, people already in another household)
 * and upsert with an audit row per change.
 *
 * All or nothing: every bad line is reported as FILE:LINE: column NAME:
 * reason, and if there is any, nothing is written. Blocking libpq is fine
 * here: this is a command, not the daemon's loop.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "csv.h"
#include "fupinctl.h"
#include "util.h"
#include "value.h"

#define IMPORT_MAX_FILE (1024L * 1024 * 1024)
#define IMPORT_MAX_COLUMNS 24
#define IMPORT_COPY_CHUNK (256 * 1024)

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
	const char *aliases[8];
};

struct import;
struct import_kind {
	const char *kind;
	const char *stage_table;
	const struct import_column *columns;
	size_t ncolumns;
	size_t key;		/* the column that must be unique in a file */
	const char *check_sql;
	const char *apply_sql;
	void (*row_check)(struct import *, int line, char **val);
};

/* One reason a line is bad; column NULL for the whole line. */
struct import_error {
	int line;
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
	const struct import_kind *kind;
	int json;
	int field_column[CSV_MAX_FIELDS];	/* file field -> column, -1 */
	size_t nfields;
	int column_field[IMPORT_MAX_COLUMNS];	/* column -> file field, -1 */
	char *label[IMPORT_MAX_COLUMNS];	/* "size (家庭人口)" */
	struct import_keyset keys;
	struct import_buf copy;
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
	{ "village_id", "village_id", IT_ID, 1,
	    { "村编号", "行政村编号", "村代码", "编号" } },
	{ "name", "name", IT_TEXT, 1,
	    { "村名称", "村名", "行政村", "行政村名称", "名称" } },
	{ "township", "township", IT_TEXT, 1,
	    { "乡镇", "乡镇名称", "乡（镇）", "镇" } },
};

enum { H_ID, H_VILLAGE, H_GROUP, H_HEAD, H_SIZE, H_CATEGORY, H_IDENTIFIED,
	H_LIFTED, H_INCOME, H_FOOD, H_CLOTHING, H_EDUCATION, H_MEDICAL,
	H_HOUSING, H_RISK, H_RELAPSE, H_RELAPSE_YEAR };
static const struct import_column household_columns[] = {
	{ "household_id", "household_id", IT_ID, 1,
	    { "户编号", "户号", "户编码", "家庭编号" } },
	{ "village_id", "village_id", IT_ID, 1,
	    { "行政村", "行政村编号", "村编号", "村代码" } },
	{ "group", "group_name", IT_OPTTEXT, 0,
	    { "村民小组", "自然村", "村民小组/自然村", "组", "group_name" } },
	{ "head_name", "head_name", IT_TEXT, 1,
	    { "户主姓名", "户主", "户主名" } },
	{ "size", "size", IT_SIZE, 1,
	    { "家庭人口", "人口数", "家庭人口数", "人口" } },
	{ "category", "category", IT_CATEGORY, 1,
	    { "类别", "户类别", "户属性", "贫困户属性" } },
	{ "identified_year", "identified_year", IT_YEAR, 0,
	    { "识别年度", "识别年份", "识别时间" } },
	{ "lifted_year", "lifted_year", IT_YEAR, 0,
	    { "脱贫年度", "脱贫年份", "脱贫时间" } },
	{ "income_per_capita", "income_per_capita", IT_MONEY, 0,
	    { "人均纯收入", "人均收入", "家庭人均纯收入", "income" } },
	{ "food", "food", IT_BOOL, 1, { "不愁吃" } },
	{ "clothing", "clothing", IT_BOOL, 1, { "不愁穿" } },
	{ "education", "education", IT_BOOL, 1,
	    { "义务教育保障", "义务教育", "义务教育有保障" } },
	{ "medical", "medical", IT_BOOL, 1,
	    { "基本医疗保障", "基本医疗", "基本医疗有保障" } },
	{ "housing", "housing", IT_BOOL, 1,
	    { "住房安全保障", "住房安全", "住房安全有保障" } },
	{ "risk", "risk", IT_OPTTEXT, 0,
	    { "致贫风险", "风险", "返贫致贫风险", "主要风险" } },
	{ "relapse_reason", "relapse_reason", IT_OPTTEXT, 0,
	    { "返贫原因", "致贫原因", "主要致贫原因", "致贫返贫原因" } },
	{ "relapse_year", "relapse_year", IT_YEAR, 0,
	    { "返贫年度", "返贫年份", "返贫时间" } },
};

enum { M_HOUSEHOLD, M_PERSON, M_NAME, M_RELATION, M_BIRTH, M_CHANGE,
	M_CHANGE_REASON, M_CHANGE_DATE };
static const struct import_column member_columns[] = {
	{ "household_id", "household_id", IT_ID, 1,
	    { "户编号", "户号", "户编码", "家庭编号" } },
	{ "person_id", "person_id", IT_PERSON_ID, 1,
	    { "身份证号", "证件号码", "身份证号码", "公民身份号码",
		"身份证件号码" } },
	{ "name", "name", IT_TEXT, 1, { "姓名", "成员姓名" } },
	{ "relation", "relation", IT_BLANKTEXT, 0,
	    { "与户主关系", "关系" } },
	{ "birth_date", "birth_date", IT_DATE, 0,
	    { "出生日期", "出生年月日" } },
	{ "change", "change", IT_CHANGE, 0,
	    { "变更类型", "变动类型", "变动情况" } },
	{ "change_reason", "change_reason", IT_OPTTEXT, 0,
	    { "变更原因", "变动原因" } },
	{ "change_date", "change_date", IT_DATE, 0,
	    { "变更日期", "变动日期", "变动时间" } },
};

static void household_row_check(struct import *, int, char **);
static void member_row_check(struct import *, int, char **);

static const struct import_kind import_kinds[] = {
	{ "villages", "import_village", village_columns,
	    nitems(village_columns), V_ID,
	    "SELECT line, col, reason "
	    "FROM fupin.import_villages_check($1, $2::jsonb)",
	    "SELECT inserted, updated, unchanged "
	    "FROM fupin.import_villages($1)",
	    NULL },
	{ "households", "import_household", household_columns,
	    nitems(household_columns), H_ID,
	    "SELECT line, col, reason "
	    "FROM fupin.import_households_check($1, $2::jsonb)",
	    "SELECT inserted, updated, unchanged "
	    "FROM fupin.import_households($1)",
	    household_row_check },
	{ "members", "import_member", member_columns, nitems(member_columns),
	    M_PERSON,
	    "SELECT line, col, reason "
	    "FROM fupin.import_members_check($1, $2::jsonb)",
	    "SELECT inserted, updated, unchanged FROM fupin.import_members($1)",
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
	e->column = column >= 0 ? im->label[column] : NULL;
	va_start(ap, fmt);
	if (vasprintf(&e->reason, fmt, ap) < 0)
		e->reason = xstrdup("out of memory");
	va_end(ap);
}

static int
import_error_cmp(const void *a, const void *b)
{
	const struct import_error *x = a, *y = b;

	return (x->line > y->line) - (x->line < y->line);
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

/* Remember key at line; returns the earlier line if it was there, else 0.
 * Open addressing, kept at most half full. */
static int
import_key_add(struct import_keyset *ks, const char *key, int line)
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

/* A value for COPY ... FROM STDIN in text format; NULL is \N. */
static void
import_buf_copy_value(struct import_buf *b, const char *s)
{
	const char *run;

	if (s == NULL) {
		import_buf_add(b, "\\N", 2);
		return;
	}
	for (run = s; *s != '\0'; s++) {
		const char *esc;

		switch (*s) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			continue;
		}
		import_buf_add(b, run, (size_t)(s - run));
		import_buf_add(b, esc, 2);
		run = s + 1;
	}
	import_buf_add(b, run, (size_t)(s - run));
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
import_find_column(const struct import_kind *k, const char *word)
{
	for (size_t i = 0; i < k->ncolumns; i++) {
		const struct import_column *c = &k->columns[i];

		if (strcmp(word, c->name) == 0)
			return (int)i;
		for (size_t a = 0; a < nitems(c->aliases) &&
		    c->aliases[a] != NULL; a++)
			if (strcmp(word, c->aliases[a]) == 0)
				return (int)i;
	}
	return -1;
}

/* Map the header onto the columns; 0 if every required one is there. */
static int
import_header(struct import *im, struct csv *csv)
{
	const struct import_kind *k = im->kind;
	size_t before = im->nerrors;

	for (size_t i = 0; i < k->ncolumns; i++) {
		im->column_field[i] = -1;
		im->label[i] = xstrdup(k->columns[i].name);
	}
	im->nfields = csv->nfields;
	for (size_t f = 0; f < csv->nfields; f++) {
		char *raw = import_trim(csv->fields[f]);
		char *word = xstrdup(raw);
		int c;

		/* As written first: an alias may hold brackets itself. */
		if ((c = import_find_column(k, raw)) < 0) {
			import_header_word(word);
			c = import_find_column(k, import_trim(word));
		}
		im->field_column[f] = c;
		if (c < 0) {
			/* An unnamed trailing column is spreadsheet litter. */
			if (*raw != '\0')
				import_bad(im, csv->line, -1, "header: unknown "
				    "column '%s'", raw);
		} else if (im->column_field[c] >= 0)
			import_bad(im, csv->line, -1, "header: column %s "
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
			import_bad(im, csv->line, -1, "header: missing column "
			    "%s", k->columns[i].name);
	return im->nerrors == before ? 0 : -1;
}

static void
import_row(struct import *im, struct csv *csv)
{
	const struct import_kind *k = im->kind;
	char *val[IMPORT_MAX_COLUMNS];
	char scratch[IMPORT_MAX_COLUMNS][VALUE_SCRATCH], why[256], linebuf[16];
	size_t before = im->nerrors, f;
	int line = csv->line, earlier;

	/* Rows of empty cells are what spreadsheets leave below the data. */
	for (f = 0; f < csv->nfields; f++)
		if (*import_trim(csv->fields[f]) != '\0')
			break;
	if (f == csv->nfields)
		return;
	im->read++;
	if (csv->nfields != im->nfields) {
		import_bad(im, line, -1, "%zu fields, the header has %zu",
		    csv->nfields, im->nfields);
		return;
	}

	for (size_t c = 0; c < k->ncolumns; c++) {
		const char *bad;

		val[c] = im->column_field[c] >= 0 ?
		    csv->fields[im->column_field[c]] : (char *)"";
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
	if ((earlier = import_key_add(&im->keys, val[k->key], line)) != 0)
		import_bad(im, line, (int)k->key, "%s also on line %d",
		    val[k->key], earlier);
	if (im->nerrors != before || im->nerrors > 0)
		return;

	/* Good so far: one COPY line, starting with the file's line. */
	snprintf(linebuf, sizeof(linebuf), "%d", line);
	import_buf_add(&im->copy, linebuf, strlen(linebuf));
	for (size_t c = 0; c < k->ncolumns; c++) {
		import_buf_add(&im->copy, "\t", 1);
		import_buf_copy_value(&im->copy, val[c]);
	}
	import_buf_add(&im->copy, "\n", 1);
}

/* ------------------------------------------------------------------ */
/* The file                                                            */
/* ------------------------------------------------------------------ */

static char *
import_read_file(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	size_t len = 0;
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
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "fupinctl: %s: %s\n", path,
			    n < 0 ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return NULL;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
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

/* Make *buf UTF-8; 0 ok, -1 when reported as a bad line. */
static int
import_encoding(struct import *im, char **buf, size_t *len)
{
	size_t bad = utf8_valid_prefix(*buf, *len), gbad = 0, nlen;
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
	free(*buf);
	*buf = conv;
	*len = nlen;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The database                                                        */
/* ------------------------------------------------------------------ */

/* The conninfo, the campaign's code lists as JSON text in *codes, and
 * the campaign's clock and village tasks in *context. */
static char *
import_conninfo(const char *config_path, char **codes, char **context)
{
	struct settings set;
	json_t *c;
	char *out;

	if (ctl_settings(config_path, 0, &set) < 0)
		return NULL;
	if ((c = codes_load(&set)) == NULL) {
		settings_free(&set);
		return NULL;
	}
	*codes = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	c = campaign_context(&set);
	*context = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	out = xstrdup(set.v[SET_DATABASE_CONNINFO].s);
	settings_free(&set);
	return out;
}

/* Report a failed statement; returns the exit code it deserves. Bad data
 * the checks did not foresee (a constraint) is the file's fault. */
static int
import_db_error(const char *path, const char *what, PGresult *res,
    PGconn *conn)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
				  NULL;
	const char *detail = res ? PQresultErrorField(res,
	    PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *msg = res ? PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL)
		msg = PQerrorMessage(conn);
	fprintf(stderr, "fupinctl: %s: %s: %s%s%s\n", path, what, msg,
	    detail ? " — " : "", detail ? detail : "");
	if (state != NULL && strcmp(state, "42883") == 0)
		fprintf(stderr, "fupinctl: is the schema migrated? "
		    "(fupind --migrate)\n");
	if (state != NULL && (strncmp(state, "22", 2) == 0 ||
	    strncmp(state, "23", 2) == 0))
		return EXIT_ANSWER_ERROR;
	return EXIT_CANNOT_ASK;
}

static int
import_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;

	PQclear(res);
	return ok ? 0 : -1;
}

static char *
import_actor(void)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0')
		return xstrdup(pw->pw_name);
	return xasprintf("uid %lu", (unsigned long)geteuid());
}

/* The staging columns the file has, as a text[] literal. */
static char *
import_present(struct import *im)
{
	struct import_buf b = { NULL, 0, 0 };

	import_buf_add(&b, "{", 1);
	for (size_t c = 0; c < im->kind->ncolumns; c++) {
		if (im->column_field[c] < 0)
			continue;
		if (b.len > 1)
			import_buf_add(&b, ",", 1);
		import_buf_add(&b, im->kind->columns[c].stage,
		    strlen(im->kind->columns[c].stage));
	}
	import_buf_add(&b, "}", 2);
	return b.p;
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
 * The load: one transaction, COPY into staging, the database's checks,
 * the upsert. counts[] gets inserted, updated, unchanged. Returns an exit
 * code; EXIT_ANSWER_ERROR with im->errors filled when lines were bad.
 */
static int
import_load(struct import *im, const char *config_path, long counts[3])
{
	const struct import_kind *k = im->kind;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	char *conninfo, *sql = NULL, *present = NULL, *actor = NULL;
	char *codes = NULL, *context = NULL;
	const char *params[2];
	struct import_buf cols = { NULL, 0, 0 };
	int rc = EXIT_CANNOT_ASK;

	if ((conninfo = import_conninfo(config_path, &codes, &context)) == NULL)
		return EXIT_CANNOT_ASK;
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "fupinctl: cannot connect to the database: %s",
		    PQerrorMessage(conn));
		goto out;
	}
	if (import_exec(conn, "SET client_min_messages = warning") != 0 ||
	    import_exec(conn, "BEGIN") != 0) {
		rc = import_db_error(im->path, "BEGIN", NULL, conn);
		goto out;
	}
	/* History rows carry the campaign clock's moment. */
	params[0] = context;
	res = PQexecParams(conn, "SELECT fupin.import_begin($1::jsonb)", 1,
	    NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = import_db_error(im->path, "BEGIN", res, conn);
		goto out;
	}
	PQclear(res);

	params[0] = k->kind;
	res = PQexecParams(conn, "SELECT fupin.import_stage($1)", 1, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = import_db_error(im->path, "staging", res, conn);
		goto out;
	}
	PQclear(res);

	import_buf_add(&cols, "line", 4);
	for (size_t c = 0; c < k->ncolumns; c++) {
		import_buf_add(&cols, ", ", 2);
		import_buf_add(&cols, k->columns[c].stage,
		    strlen(k->columns[c].stage));
	}
	import_buf_add(&cols, "", 1);
	sql = xasprintf("COPY pg_temp.%s (%s) FROM STDIN", k->stage_table,
	    cols.p);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = import_db_error(im->path, "COPY", res, conn);
		goto out;
	}
	PQclear(res);
	for (size_t off = 0; off < im->copy.len; off += IMPORT_COPY_CHUNK) {
		size_t n = im->copy.len - off;

		if (n > IMPORT_COPY_CHUNK)
			n = IMPORT_COPY_CHUNK;
		if (PQputCopyData(conn, im->copy.p + off, (int)n) != 1)
			break;
	}
	PQputCopyEnd(conn, NULL);
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = import_db_error(im->path, "COPY", res, conn);
		goto out;
	}
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);

	present = import_present(im);
	params[0] = present;
	params[1] = codes;
	res = PQexecParams(conn, k->check_sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = import_db_error(im->path, "checking", res, conn);
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++)
		import_bad(im, atoi(PQgetvalue(res, i, 0)),
		    import_label_of_stage(im, PQgetvalue(res, i, 1)), "%s",
		    PQgetvalue(res, i, 2));
	PQclear(res);
	res = NULL;
	if (im->nerrors > 0) {
		rc = EXIT_ANSWER_ERROR;
		goto out;
	}

	actor = import_actor();
	params[0] = actor;
	res = PQexecParams(conn, k->apply_sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = import_db_error(im->path, "loading", res, conn);
		goto out;
	}
	for (int i = 0; i < 3; i++)
		counts[i] = atol(PQgetvalue(res, 0, i));
	PQclear(res);
	/* A village comes with its tasks open (work team, summary). */
	if (strcmp(k->kind, "villages") == 0) {
		params[0] = context;
		res = PQexecParams(conn,
		    "SELECT fupin.open_village_tasks($1::jsonb)", 1, NULL,
		    params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = import_db_error(im->path, "opening tasks", res,
			    conn);
			goto out;
		}
		PQclear(res);
	}
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = import_db_error(im->path, "COMMIT", res, conn);
		goto out;
	}
	rc = EXIT_OK;
out:
	/* Closing the connection rolls back whatever is still open. */
	PQclear(res);
	PQfinish(conn);
	free(actor);
	free(present);
	free(codes);
	free(context);
	free(sql);
	free(cols.p);
	free(conninfo);
	return rc;
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

		if (e->line != last)
			lines++;
		last = e->line;
		if (e->column != NULL)
			fprintf(stderr, "%s:%d: column %s: %s\n", im->path,
			    e->line, e->column, e->reason);
		else
			fprintf(stderr, "%s:%d: %s\n", im->path, e->line,
			    e->reason);
		if (arr != NULL)
			json_array_append_new(arr, json_pack("{s:i,s:s?,s:s}",
			    "line", e->line, "column", e->column, "reason",
			    e->reason));
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

int
import_main(const char *config_path, int argc, char **argv, int json)
{
	struct import im;
	struct csv csv;
	char *buf = NULL;
	size_t len = 0;
	long counts[3] = { 0, 0, 0 };
	int rc = EXIT_CANNOT_ASK, r;

	memset(&im, 0, sizeof(im));
	if (argc != 3) {
		fprintf(stderr, "usage: fupinctl -c FILE import "
		    "villages|households|members FILE.csv\n");
		return EXIT_CANNOT_ASK;
	}
	for (size_t i = 0; i < nitems(import_kinds); i++)
		if (strcasecmp(argv[1], import_kinds[i].kind) == 0)
			im.kind = &import_kinds[i];
	if (im.kind == NULL) {
		fprintf(stderr, "fupinctl: import: unknown kind '%s' "
		    "(villages, households or members)\n", argv[1]);
		return EXIT_CANNOT_ASK;
	}
	im.path = argv[2];
	im.json = json;

	if ((buf = import_read_file(im.path, &len)) == NULL)
		return EXIT_CANNOT_ASK;
	csv_init(&csv, "", 0);
	if (import_encoding(&im, &buf, &len) == 0) {
		csv_init(&csv, buf, len);
		if ((r = csv_read(&csv)) == CSV_EOF)
			import_bad(&im, 1, -1, "empty file: a header row is "
			    "needed");
		else if (r == CSV_ERROR)
			import_bad(&im, csv.error_line, -1, "%s", csv.error);
		else if (import_header(&im, &csv) == 0) {
			while ((r = csv_read(&csv)) == CSV_RECORD)
				import_row(&im, &csv);
			if (r == CSV_ERROR)
				import_bad(&im, csv.error_line, -1, "%s",
				    csv.error);
		}
	}
	if (im.nerrors == 0)
		rc = import_load(&im, config_path, counts);
	else
		rc = EXIT_ANSWER_ERROR;
	if (rc == EXIT_ANSWER_ERROR && im.nerrors > 0)
		import_report_errors(&im, json);
	else if (rc == EXIT_OK) {
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
	for (size_t i = 0; i < im.nerrors; i++)
		free(im.errors[i].reason);
	free(im.errors);
	for (size_t i = 0; i < IMPORT_MAX_COLUMNS; i++)
		free(im.label[i]);
	import_keys_free(&im.keys);
	free(im.copy.p);
	csv_free(&csv);
	free(buf);
	return rc;
}
