/*
 * Workbooks for fupinctl import (see sheet.h): .xlsx is a zip of XML
 * parts, read with libzip from memory and parsed with expat as a stream,
 * part by part: xl/workbook.xml names the sheets and the date system,
 * xl/_rels/workbook.xml.rels says which part is which sheet,
 * xl/sharedStrings.xml holds the strings cells point to, and the sheet's
 * part holds <sheetData> and <mergeCells>. .xls goes to libfreexl.
 *
 * Element names are matched by their local name (expat splits off the
 * namespace), so the transitional and the strict OOXML namespaces read
 * alike.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>
#include <freexl.h>
#include <zip.h>

#include "sheet.h"
#include "util.h"

static void sheet_fail(struct sheet *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sheet_fail(struct sheet *sh, const char *fmt, ...)
{
	va_list ap;

	if (sh->error[0] != '\0')
		return;	/* the first reason is the one to tell */
	va_start(ap, fmt);
	vsnprintf(sh->error, sizeof(sh->error), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Formats, dates, names                                               */
/* ------------------------------------------------------------------ */

static const unsigned char ole_magic[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1,
	0xb1, 0x1a, 0xe1 };

enum sheet_format
sheet_sniff(const void *buf, size_t len)
{
	if (len >= 4 && memcmp(buf, "PK\x03\x04", 4) == 0)
		return SHEET_XLSX;
	if (len >= 8 && memcmp(buf, ole_magic, 8) == 0)
		return SHEET_OLE;
	return SHEET_NOT_A_WORKBOOK;
}

/* Excel saves a workbook with a password to open as a compound file with
 * the streams EncryptionInfo and EncryptedPackage; their names are in
 * the directory as UTF-16LE. */
int
sheet_ole_encrypted(const void *buf, size_t len)
{
	static const char name[] = "EncryptedPackage";
	unsigned char u16[2 * (sizeof(name) - 1)];

	for (size_t i = 0; i < sizeof(name) - 1; i++) {
		u16[2 * i] = (unsigned char)name[i];
		u16[2 * i + 1] = 0;
	}
	return sheet_sniff(buf, len) == SHEET_OLE &&
	    memmem(buf, len, u16, sizeof(u16)) != NULL;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian) and back. */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((long)yoe + era * 400 + (*m <= 2));
}

int
sheet_serial_date(double serial, int date1904, int *y, int *m, int *d)
{
	long day, base;

	if (!(serial >= 0) || serial > 2958465.0)	/* 9999-12-31 */
		return -1;
	day = (long)floor(serial);
	if (date1904)
		base = days_from_civil(1904, 1, 1);
	else if (day == 60)
		return -1;	/* 1900-02-29, which never was */
	else if (day < 60)
		base = days_from_civil(1899, 12, 31);
	else
		base = days_from_civil(1899, 12, 30);
	if (!date1904 && day == 0)
		return -1;	/* "1900-01-00" */
	civil_from_days(base + day, y, m, d);
	return 0;
}

void
sheet_column_name(unsigned col, char out[8])
{
	char tmp[8];
	size_t n = 0;

	col++;
	while (col > 0 && n < sizeof(tmp) - 1) {
		tmp[n++] = (char)('A' + (col - 1) % 26);
		col = (col - 1) / 26;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

/* "AB12" -> column 27, row 12; a part may be absent (0 for the row). 0 ok. */
static int
cell_ref(const char *s, unsigned *col, unsigned *row)
{
	unsigned long c = 0, r = 0;
	int letters = 0, digits = 0;

	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++) {
		c = c * 26 + (unsigned long)((*s | 0x20) - 'a' + 1);
		if (++letters > 3)
			return -1;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		r = r * 10 + (unsigned long)(*s - '0');
		if (++digits > 7)
			return -1;
	}
	if (*s != '\0' || letters == 0 || c > 16384 || r > SHEET_MAX_ROWS)
		return -1;
	*col = (unsigned)(c - 1);
	*row = (unsigned)r;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rows and cells                                                      */
/* ------------------------------------------------------------------ */

static void
cell_clear(struct sheet_cell *c)
{
	free(c->text);
	memset(c, 0, sizeof(*c));
}

void
sheet_free(struct sheet *sh)
{
	for (size_t r = 0; r < sh->nrows; r++) {
		for (size_t c = 0; c < sh->rows[r].ncells; c++)
			free(sh->rows[r].cells[c].text);
		free(sh->rows[r].cells);
	}
	free(sh->rows);
	free(sh->merges);
	free(sh->name);
	sh->rows = NULL;
	sh->merges = NULL;
	sh->name = NULL;
	sh->nrows = sh->rows_cap = sh->nmerges = sh->merges_cap = 0;
}

static struct sheet_row *
sheet_new_row(struct sheet *sh, unsigned row)
{
	struct sheet_row *r;

	if (sh->nrows > 0 && row <= sh->rows[sh->nrows - 1].row) {
		sheet_fail(sh, "row %u comes after row %u", row,
		    sh->rows[sh->nrows - 1].row);
		return NULL;
	}
	if (sh->nrows == sh->rows_cap) {
		sh->rows_cap = sh->rows_cap ? sh->rows_cap * 2 : 64;
		sh->rows = xrealloc(sh->rows, sh->rows_cap * sizeof(*sh->rows));
	}
	r = &sh->rows[sh->nrows++];
	r->row = row;
	r->ncells = 0;
	r->cells = NULL;
	return r;
}

/* Put cell (its text owned by the sheet from now on) in column col. */
static int
sheet_put(struct sheet *sh, struct sheet_row *r, unsigned col,
    struct sheet_cell *cell)
{
	char name[8];

	if (col >= SHEET_MAX_COLUMNS) {
		if (cell->kind == SHEET_EMPTY)
			return 0;
		sheet_column_name(col, name);
		sheet_fail(sh, "cell %s%u: more than %d columns", name, r->row,
		    SHEET_MAX_COLUMNS);
		cell_clear(cell);
		return -1;
	}
	if (col >= r->ncells) {
		r->cells = xrealloc(r->cells, (col + 1) * sizeof(*r->cells));
		memset(r->cells + r->ncells, 0,
		    (col + 1 - r->ncells) * sizeof(*r->cells));
		r->ncells = col + 1;
	}
	cell_clear(&r->cells[col]);
	r->cells[col] = *cell;
	memset(cell, 0, sizeof(*cell));
	return 0;
}

/* ------------------------------------------------------------------ */
/* XML parts of the zip                                                */
/* ------------------------------------------------------------------ */

struct text {
	char *p;
	size_t len, cap;
};

static int
text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n > SHEET_MAX_TEXT)
		return -1;
	if (t->len + n + 1 > t->cap) {
		while (t->len + n + 1 > t->cap)
			t->cap = t->cap ? t->cap * 2 : 256;
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
	return 0;
}

static void
text_reset(struct text *t)
{
	t->len = 0;
	if (t->p != NULL)
		t->p[0] = '\0';
}

/* The text so far, owned by the caller; t starts again empty. */
static char *
text_take(struct text *t)
{
	char *s = t->p;

	if (s == NULL)
		s = xstrdup("");
	t->p = NULL;
	t->len = t->cap = 0;
	return s;
}

/* The local name of an expat name "namespace|local". */
static const char *
local(const char *name)
{
	const char *bar = strrchr(name, '|');

	return bar != NULL ? bar + 1 : name;
}

/* An attribute by local name; nsonly: only one in some namespace (r:id). */
static const char *
attr(const char **atts, const char *want, int nsonly)
{
	for (size_t i = 0; atts[i] != NULL; i += 2) {
		const char *bar = strrchr(atts[i], '|');

		if (nsonly && bar == NULL)
			continue;
		if (strcmp(bar != NULL ? bar + 1 : atts[i], want) == 0)
			return atts[i + 1];
	}
	return NULL;
}

struct xml {
	XML_Parser parser;
	struct sheet *sh;
	int failed;
};

static void
xml_stop(struct xml *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
xml_stop(struct xml *x, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sheet_fail(x->sh, "%s", msg);
	x->failed = 1;
	XML_StopParser(x->parser, XML_FALSE);
}

/* Workbooks carry no DTD: refusing one keeps entity tricks out. */
static void XMLCALL
xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal;
	xml_stop(ud, "a document type declaration in a workbook part");
}

/*
 * Parse the part called name of za with the handlers set on x->parser
 * (its user data is x). 1 parsed, 0 absent, -1 failed (sh->error set).
 */
static int
xml_part(struct xml *x, zip_t *za, const char *name)
{
	zip_int64_t idx = zip_name_locate(za, name, ZIP_FL_NOCASE);
	zip_stat_t st;
	zip_file_t *zf;
	char buf[64 * 1024];
	zip_int64_t n;
	zip_uint64_t total = 0;

	if (idx < 0)
		return 0;
	zip_stat_init(&st);
	if (zip_stat_index(za, (zip_uint64_t)idx, 0, &st) != 0 ||
	    ((st.valid & ZIP_STAT_SIZE) && st.size > SHEET_MAX_PART)) {
		sheet_fail(x->sh, "%s: too large or unreadable", name);
		return -1;
	}
	if ((zf = zip_fopen_index(za, (zip_uint64_t)idx, 0)) == NULL) {
		sheet_fail(x->sh, "%s: %s", name, zip_strerror(za));
		return -1;
	}
	XML_SetUserData(x->parser, x);
	XML_SetStartDoctypeDeclHandler(x->parser, xml_doctype);
	for (;;) {
		n = zip_fread(zf, buf, sizeof(buf));
		if (n < 0) {
			sheet_fail(x->sh, "%s: %s", name,
			    zip_file_strerror(zf));
			break;
		}
		total += (zip_uint64_t)n;
		if (total > SHEET_MAX_PART) {
			sheet_fail(x->sh, "%s: larger than 1 GiB unpacked",
			    name);
			n = -1;
			break;
		}
		if (XML_Parse(x->parser, buf, (int)n, n == 0) ==
		    XML_STATUS_ERROR) {
			if (!x->failed)
				sheet_fail(x->sh, "%s: line %lu: %s", name,
				    (unsigned long)XML_GetCurrentLineNumber(
				    x->parser), XML_ErrorString(
				    XML_GetErrorCode(x->parser)));
			n = -1;
			break;
		}
		if (n == 0)
			break;
	}
	zip_fclose(zf);
	return n < 0 || x->failed ? -1 : 1;
}

static XML_Parser
xml_parser(void)
{
	XML_Parser p = XML_ParserCreateNS(NULL, '|');

	if (p == NULL) {
		fprintf(stderr, "fupinctl: out of memory\n");
		abort();
	}
	return p;
}

/* --- xl/workbook.xml ---------------------------------------------- */

struct workbook {
	struct xml x;
	char **names, **rids;
	size_t count;
	int date1904;
};

static void XMLCALL
workbook_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	struct workbook *wb = ud;
	const char *name = local(el), *v;

	if (strcmp(name, "workbookPr") == 0 &&
	    (v = attr(atts, "date1904", 0)) != NULL)
		wb->date1904 = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
	else if (strcmp(name, "sheet") == 0) {
		const char *n = attr(atts, "name", 0), *rid = attr(atts, "id",
		    1);

		if (n == NULL || rid == NULL)
			return;
		if (wb->count >= 4096) {
			xml_stop(&wb->x, "xl/workbook.xml: too many sheets");
			return;
		}
		wb->names = xrealloc(wb->names, (wb->count + 1) *
		    sizeof(*wb->names));
		wb->rids = xrealloc(wb->rids, (wb->count + 1) *
		    sizeof(*wb->rids));
		wb->names[wb->count] = xstrdup(n);
		wb->rids[wb->count] = xstrdup(rid);
		wb->count++;
	}
}

/* --- xl/_rels/workbook.xml.rels ------------------------------------ */

struct rels {
	struct xml x;
	const char *want;	/* the relationship id */
	char *target;
};

static void XMLCALL
rels_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	struct rels *r = ud;
	const char *id, *target;

	if (strcmp(local(el), "Relationship") != 0 ||
	    (id = attr(atts, "Id", 0)) == NULL ||
	    (target = attr(atts, "Target", 0)) == NULL ||
	    strcmp(id, r->want) != 0 || r->target != NULL)
		return;
	/* Targets are relative to xl/, or absolute in the package. */
	if (target[0] == '/')
		r->target = xstrdup(target + 1);
	else {
		while (strncmp(target, "./", 2) == 0)
			target += 2;
		r->target = xasprintf("xl/%s", target);
	}
}

/* --- xl/sharedStrings.xml ------------------------------------------ */

struct strings {
	struct xml x;
	char **s;
	size_t count, cap;
	int in_si, in_t, in_phonetic;
	struct text cur;
};

static void XMLCALL
strings_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	struct strings *ss = ud;
	const char *name = local(el);

	(void)atts;
	if (strcmp(name, "si") == 0) {
		ss->in_si = 1;
		text_reset(&ss->cur);
	} else if (strcmp(name, "rPh") == 0)
		ss->in_phonetic = 1;	/* a reading aid, not the text */
	else if (strcmp(name, "t") == 0 && ss->in_si)
		ss->in_t = 1;
}

static void XMLCALL
strings_end(void *ud, const XML_Char *el)
{
	struct strings *ss = ud;
	const char *name = local(el);

	if (strcmp(name, "t") == 0)
		ss->in_t = 0;
	else if (strcmp(name, "rPh") == 0)
		ss->in_phonetic = 0;
	else if (strcmp(name, "si") == 0 && ss->in_si) {
		ss->in_si = 0;
		if (ss->count == ss->cap) {
			ss->cap = ss->cap ? ss->cap * 2 : 256;
			ss->s = xrealloc(ss->s, ss->cap * sizeof(*ss->s));
		}
		ss->s[ss->count++] = text_take(&ss->cur);
	}
}

static void XMLCALL
strings_text(void *ud, const XML_Char *s, int len)
{
	struct strings *ss = ud;

	if (ss->in_t && !ss->in_phonetic &&
	    text_add(&ss->cur, s, (size_t)len) != 0)
		xml_stop(&ss->x, "xl/sharedStrings.xml: a string longer "
		    "than 1 MiB");
}

/* --- the worksheet ------------------------------------------------- */

struct worksheet {
	struct xml x;
	const struct strings *ss;
	struct sheet_row *row;
	unsigned next_row, next_col;
	unsigned col;
	int in_data, in_cell, in_v, in_is, in_t, in_phonetic;
	char type[16];
	int formula, has_v;
	struct text v, is;
};

static void XMLCALL
worksheet_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	struct worksheet *ws = ud;
	struct sheet *sh = ws->x.sh;
	const char *name = local(el), *v;
	unsigned col, row;

	if (strcmp(name, "sheetData") == 0)
		ws->in_data = 1;
	else if (strcmp(name, "row") == 0 && ws->in_data) {
		row = ws->next_row;
		if ((v = attr(atts, "r", 0)) != NULL) {
			char *end;
			unsigned long r = strtoul(v, &end, 10);

			if (*end != '\0' || r < 1 || r > SHEET_MAX_ROWS) {
				xml_stop(&ws->x, "row number '%.20s'", v);
				return;
			}
			row = (unsigned)r;
		}
		if ((ws->row = sheet_new_row(sh, row)) == NULL) {
			xml_stop(&ws->x, "%s", sh->error);
			return;
		}
		ws->next_row = row + 1;
		ws->next_col = 0;
	} else if (strcmp(name, "c") == 0 && ws->row != NULL) {
		col = ws->next_col;
		if ((v = attr(atts, "r", 0)) != NULL) {
			if (cell_ref(v, &col, &row) != 0 ||
			    (row != 0 && row != ws->row->row)) {
				xml_stop(&ws->x, "cell reference '%.20s' in "
				    "row %u", v, ws->row->row);
				return;
			}
		}
		ws->col = col;
		ws->next_col = col + 1;
		ws->in_cell = 1;
		ws->formula = ws->has_v = 0;
		text_reset(&ws->v);
		text_reset(&ws->is);
		snprintf(ws->type, sizeof(ws->type), "%s",
		    (v = attr(atts, "t", 0)) != NULL ? v : "n");
	} else if (!ws->in_cell) {
		/* outside a cell: only mergeCell below */
	} else if (strcmp(name, "f") == 0)
		ws->formula = 1;
	else if (strcmp(name, "v") == 0) {
		ws->in_v = 1;
		ws->has_v = 1;
	} else if (strcmp(name, "is") == 0)
		ws->in_is = 1;
	else if (strcmp(name, "rPh") == 0)
		ws->in_phonetic = 1;
	else if (strcmp(name, "t") == 0 && ws->in_is)
		ws->in_t = 1;

	if (strcmp(name, "mergeCell") == 0 &&
	    (v = attr(atts, "ref", 0)) != NULL) {
		char a[16], b[16];
		const char *colon = strchr(v, ':');
		struct sheet_merge m;

		if (colon == NULL || (size_t)(colon - v) >= sizeof(a) ||
		    strlen(colon + 1) >= sizeof(b)) {
			xml_stop(&ws->x, "merged range '%.20s'", v);
			return;
		}
		memcpy(a, v, (size_t)(colon - v));
		a[colon - v] = '\0';
		strcpy(b, colon + 1);
		if (cell_ref(a, &m.c1, &m.r1) != 0 ||
		    cell_ref(b, &m.c2, &m.r2) != 0) {
			xml_stop(&ws->x, "merged range '%.20s'", v);
			return;
		}
		if (sh->nmerges == sh->merges_cap) {
			if (sh->merges_cap >= 65536) {
				xml_stop(&ws->x, "too many merged ranges");
				return;
			}
			sh->merges_cap = sh->merges_cap ? sh->merges_cap * 2 :
							  16;
			sh->merges = xrealloc(sh->merges, sh->merges_cap *
			    sizeof(*sh->merges));
		}
		sh->merges[sh->nmerges++] = m;
	}
}

static void
worksheet_cell(struct worksheet *ws)
{
	struct sheet *sh = ws->x.sh;
	struct sheet_cell cell;
	const char *t = ws->type;

	memset(&cell, 0, sizeof(cell));
	cell.formula = ws->formula;
	if (strcmp(t, "inlineStr") == 0) {
		cell.kind = SHEET_TEXT;
		cell.text = text_take(&ws->is);
	} else if (!ws->has_v) {
		/* A styled cell with nothing in it. */
		if (!ws->formula)
			return;
		cell.kind = SHEET_TEXT;
		cell.text = xstrdup("");
	} else if (strcmp(t, "s") == 0) {
		char *end;
		unsigned long i = strtoul(ws->v.p ? ws->v.p : "", &end, 10);

		if (ws->v.len == 0 || *end != '\0' || ws->ss == NULL ||
		    i >= ws->ss->count) {
			xml_stop(&ws->x, "cell in row %u points to shared "
			    "string '%.20s', which is not there",
			    ws->row->row, ws->v.p ? ws->v.p : "");
			return;
		}
		cell.kind = SHEET_TEXT;
		cell.text = xstrdup(ws->ss->s[i]);
	} else if (strcmp(t, "str") == 0) {
		cell.kind = SHEET_TEXT;
		cell.text = text_take(&ws->v);
	} else if (strcmp(t, "b") == 0) {
		cell.kind = SHEET_BOOL;
		cell.text = xstrdup(ws->v.p != NULL &&
		    strcmp(ws->v.p, "1") == 0 ? "1" : "0");
	} else if (strcmp(t, "e") == 0) {
		cell.kind = SHEET_ERROR;
		cell.text = text_take(&ws->v);
	} else if (strcmp(t, "d") == 0) {
		cell.kind = SHEET_DATE;
		cell.text = text_take(&ws->v);
	} else if (strcmp(t, "n") == 0) {
		char *end;

		cell.kind = SHEET_NUMBER;
		cell.text = text_take(&ws->v);
		errno = 0;
		cell.number = strtod(cell.text, &end);
		if (*cell.text == '\0' || *end != '\0' || errno != 0 ||
		    !isfinite(cell.number)) {
			xml_stop(&ws->x, "cell in row %u: '%.20s' is not a "
			    "number", ws->row->row, cell.text);
			free(cell.text);
			return;
		}
	} else {
		xml_stop(&ws->x, "cell in row %u has unknown type '%s'",
		    ws->row->row, t);
		return;
	}
	if (sheet_put(sh, ws->row, ws->col, &cell) != 0)
		xml_stop(&ws->x, "%s", sh->error);
}

static void XMLCALL
worksheet_end(void *ud, const XML_Char *el)
{
	struct worksheet *ws = ud;
	const char *name = local(el);

	if (strcmp(name, "sheetData") == 0)
		ws->in_data = 0;
	else if (strcmp(name, "row") == 0)
		ws->row = NULL;
	else if (!ws->in_cell)
		return;
	else if (strcmp(name, "c") == 0) {
		ws->in_cell = ws->in_v = ws->in_is = ws->in_t = 0;
		worksheet_cell(ws);
	} else if (strcmp(name, "v") == 0)
		ws->in_v = 0;
	else if (strcmp(name, "is") == 0)
		ws->in_is = 0;
	else if (strcmp(name, "rPh") == 0)
		ws->in_phonetic = 0;
	else if (strcmp(name, "t") == 0)
		ws->in_t = 0;
}

static void XMLCALL
worksheet_text(void *ud, const XML_Char *s, int len)
{
	struct worksheet *ws = ud;
	struct text *t = ws->in_v ? &ws->v :
	    ws->in_t && !ws->in_phonetic ? &ws->is : NULL;

	if (t != NULL && text_add(t, s, (size_t)len) != 0)
		xml_stop(&ws->x, "a cell longer than 1 MiB");
}

/* ------------------------------------------------------------------ */
/* .xlsx                                                               */
/* ------------------------------------------------------------------ */

int
sheet_read_xlsx(struct sheet *sh, const void *buf, size_t len,
    const char *want)
{
	zip_error_t zerr;
	zip_source_t *src;
	zip_t *za = NULL;
	struct workbook wb;
	struct rels rels;
	struct strings ss;
	struct worksheet ws;
	size_t pick = 0;
	int rc = -1, r;

	memset(sh, 0, sizeof(*sh));
	memset(&wb, 0, sizeof(wb));
	memset(&rels, 0, sizeof(rels));
	memset(&ss, 0, sizeof(ss));
	memset(&ws, 0, sizeof(ws));
	sh->merges_known = 1;

	zip_error_init(&zerr);
	if ((src = zip_source_buffer_create(buf, len, 0, &zerr)) == NULL ||
	    (za = zip_open_from_source(src, ZIP_RDONLY, &zerr)) == NULL) {
		sheet_fail(sh, "unreadable workbook: not a zip file (%s)",
		    zip_error_strerror(&zerr));
		if (src != NULL)
			zip_source_free(src);
		zip_error_fini(&zerr);
		return -1;
	}
	zip_error_fini(&zerr);

	wb.x.sh = sh;
	wb.x.parser = xml_parser();
	XML_SetStartElementHandler(wb.x.parser, workbook_start);
	if ((r = xml_part(&wb.x, za, "xl/workbook.xml")) <= 0) {
		if (r == 0)
			sheet_fail(sh, "unreadable workbook: a zip file "
			    "without xl/workbook.xml");
		goto out;
	}
	sh->date1904 = wb.date1904;
	if (wb.count == 0) {
		sheet_fail(sh, "the workbook has no worksheet");
		goto out;
	}
	if (want != NULL) {
		for (pick = 0; pick < wb.count; pick++)
			if (strcmp(wb.names[pick], want) == 0)
				break;
		if (pick == wb.count) {
			struct text names = { NULL, 0, 0 };

			for (size_t i = 0; i < wb.count && i < 20; i++) {
				if (i > 0)
					text_add(&names, ", ", 2);
				text_add(&names, wb.names[i],
				    strlen(wb.names[i]));
			}
			sheet_fail(sh, "no sheet named '%s' (the workbook "
			    "has: %s)", want, names.p);
			free(names.p);
			goto out;
		}
	}
	sh->name = xstrdup(wb.names[pick]);

	rels.x.sh = sh;
	rels.x.parser = xml_parser();
	rels.want = wb.rids[pick];
	XML_SetStartElementHandler(rels.x.parser, rels_start);
	if (xml_part(&rels.x, za, "xl/_rels/workbook.xml.rels") < 0)
		goto out;
	if (rels.target == NULL) {
		sheet_fail(sh, "unreadable workbook: sheet '%s' has no part "
		    "(xl/_rels/workbook.xml.rels)", sh->name);
		goto out;
	}

	ss.x.sh = sh;
	ss.x.parser = xml_parser();
	XML_SetElementHandler(ss.x.parser, strings_start, strings_end);
	XML_SetCharacterDataHandler(ss.x.parser, strings_text);
	if ((r = xml_part(&ss.x, za, "xl/sharedStrings.xml")) < 0)
		goto out;

	ws.x.sh = sh;
	ws.x.parser = xml_parser();
	ws.ss = r > 0 ? &ss : NULL;
	ws.next_row = 1;
	XML_SetElementHandler(ws.x.parser, worksheet_start, worksheet_end);
	XML_SetCharacterDataHandler(ws.x.parser, worksheet_text);
	if ((r = xml_part(&ws.x, za, rels.target)) <= 0) {
		if (r == 0)
			sheet_fail(sh, "unreadable workbook: %s is missing",
			    rels.target);
		goto out;
	}
	rc = 0;
out:
	if (ws.x.parser != NULL)
		XML_ParserFree(ws.x.parser);
	free(ws.v.p);
	free(ws.is.p);
	if (ss.x.parser != NULL)
		XML_ParserFree(ss.x.parser);
	for (size_t i = 0; i < ss.count; i++)
		free(ss.s[i]);
	free(ss.s);
	free(ss.cur.p);
	if (rels.x.parser != NULL)
		XML_ParserFree(rels.x.parser);
	free(rels.target);
	if (wb.x.parser != NULL)
		XML_ParserFree(wb.x.parser);
	for (size_t i = 0; i < wb.count; i++) {
		free(wb.names[i]);
		free(wb.rids[i]);
	}
	free(wb.names);
	free(wb.rids);
	zip_discard(za);	/* frees src too */
	return rc;
}

/* ------------------------------------------------------------------ */
/* .xls                                                                */
/* ------------------------------------------------------------------ */

static const char *
xls_error(int rc)
{
	switch (rc) {
	case FREEXL_FILE_NOT_FOUND:
		return "cannot open the file";
	case FREEXL_INSUFFICIENT_MEMORY:
		return "out of memory";
	case FREEXL_BIFF_WORKBOOK_NOT_FOUND:
		return "a compound file without an Excel workbook in it";
	case FREEXL_CRAFTED_FILE:
		return "severely damaged";
	default:
		return "damaged or not an .xls file";
	}
}

int
sheet_read_xls(struct sheet *sh, const char *path, const char *want)
{
	const void *h = NULL;
	unsigned int info, sheets, nrows;
	unsigned short ncols;
	const char *name;
	unsigned int pick = 0;
	int rc;

	memset(sh, 0, sizeof(*sh));
	if ((rc = freexl_open(path, &h)) != FREEXL_OK) {
		sheet_fail(sh, "unreadable workbook: %s (libfreexl %d)",
		    xls_error(rc), rc);
		goto fail;
	}
	if (freexl_get_info(h, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK &&
	    info == FREEXL_BIFF_OBFUSCATED) {
		sheet_fail(sh, "the workbook is password-protected: save it "
		    "without a password to open first");
		goto fail;
	}
	if (freexl_get_info(h, FREEXL_BIFF_DATEMODE, &info) == FREEXL_OK)
		sh->date1904 = info == FREEXL_BIFF_DATEMODE_1904;
	if (freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &sheets) != FREEXL_OK ||
	    sheets == 0) {
		sheet_fail(sh, "the workbook has no worksheet");
		goto fail;
	}
	if (want != NULL) {
		for (pick = 0; pick < sheets; pick++)
			if (freexl_get_worksheet_name(h, (unsigned short)pick,
			    &name) == FREEXL_OK && strcmp(name, want) == 0)
				break;
		if (pick == sheets) {
			sheet_fail(sh, "no sheet named '%s'", want);
			goto fail;
		}
	}
	if (freexl_get_worksheet_name(h, (unsigned short)pick, &name) !=
	    FREEXL_OK || freexl_select_active_worksheet(h,
	    (unsigned short)pick) != FREEXL_OK ||
	    freexl_worksheet_dimensions(h, &nrows, &ncols) != FREEXL_OK) {
		sheet_fail(sh, "unreadable workbook: cannot select sheet %u",
		    pick + 1);
		goto fail;
	}
	sh->name = xstrdup(name);
	if (nrows > SHEET_MAX_ROWS)
		nrows = SHEET_MAX_ROWS;
	for (unsigned int r = 0; r < nrows; r++) {
		struct sheet_row *row = NULL;

		for (unsigned short c = 0; c < ncols; c++) {
			FreeXL_CellValue v;
			struct sheet_cell cell;

			if (freexl_get_cell_value(h, r, c, &v) != FREEXL_OK) {
				sheet_fail(sh, "unreadable cell in row %u", r +
				    1);
				goto fail;
			}
			memset(&cell, 0, sizeof(cell));
			switch (v.type) {
			case FREEXL_CELL_INT:
				cell.kind = SHEET_NUMBER;
				cell.number = v.value.int_value;
				cell.text = xasprintf("%d", v.value.int_value);
				break;
			case FREEXL_CELL_DOUBLE:
				cell.kind = SHEET_NUMBER;
				cell.number = v.value.double_value;
				cell.text = xasprintf("%.17g",
				    v.value.double_value);
				break;
			case FREEXL_CELL_TEXT:
			case FREEXL_CELL_SST_TEXT:
				cell.kind = SHEET_TEXT;
				cell.text = xstrdup(v.value.text_value ?
				    v.value.text_value : "");
				break;
			case FREEXL_CELL_DATE:
			case FREEXL_CELL_DATETIME:
			case FREEXL_CELL_TIME:
				cell.kind = SHEET_DATE;
				cell.text = xstrdup(v.value.text_value ?
				    v.value.text_value : "");
				break;
			default:
				continue;
			}
			if (row == NULL)
				row = sheet_new_row(sh, r + 1);
			if (row == NULL || sheet_put(sh, row, c, &cell) != 0) {
				free(cell.text);
				goto fail;
			}
		}
	}
	freexl_close(h);
	return 0;
fail:
	if (h != NULL)
		freexl_close(h);
	return -1;
}
