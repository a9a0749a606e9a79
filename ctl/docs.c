/*
 * fupinctl list KIND [VILLAGE] [--format csv|html|xlsx] [--encoding E] [-o FILE]
 * fupinctl tables [VILLAGE] [--format html|xlsx|csv] [--encoding E] [-o DIR]
 *
 * Asks fupind for a document (LIST, TABLES) page by page on one
 * connection, then writes it: CSV (UTF-8 with a BOM, or --encoding
 * gb18030), self-contained HTML, or xlsx. A document that changed while
 * its pages were read (its row count differs) is read again.
 */
#include <sys/stat.h>

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "docs.h"
#include "fupinctl.h"
#include "util.h"

#define DOC_MAX_PAGES 100000
#define DOC_TRIES 3

enum doc_format { FMT_CSV, FMT_HTML, FMT_XLSX };

static void
docs_usage(FILE *out)
{
	fputs("usage: fupinctl list KIND [VILLAGE] [--format csv|html|xlsx] "
	      "[--encoding gb18030] [-o FILE]\n"
	      "       fupinctl tables [VILLAGE] [--format html|xlsx|csv] "
	      "[--encoding gb18030] [-o DIR]\n"
	      "KIND: village-notice (村级公示), township-notice (镇级公示), "
	      "exit-request (退出请示),\n"
	      "      inclusion (纳入), marginal (边缘户), monitoring (监测户), "
	      "problems (问题清单)\n",
	    out);
}

void
doc_cell_text(json_t *v, const char *type, char *buf, size_t size)
{
	if (v == NULL || json_is_null(v))
		buf[0] = '\0';
	else if (json_is_boolean(v))
		snprintf(buf, size, "%s", json_is_true(v) ? "是" : "否");
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d == (double)(long long)d)
			snprintf(buf, size, "%lld", (long long)d);
		else
			snprintf(buf, size, "%.2f", d);
	} else if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else
		buf[0] = '\0';
	(void)type;
}

int
doc_formula_like(const char *s)
{
	return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

const char *
doc_scope(const struct doc *d)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", d->township ? d->township : "",
	    d->village_name ? d->village_name : "");
	return buf;
}

/* Ask for the whole document into d; 0, 1 (the daemon refused: said
 * why), 2 (could not ask), or 3 (it changed while read: ask again). */
static int
fetch_once(int fd, FILE *in, const char *verb, const char *kind,
    const char *village, struct doc *d)
{
	json_int_t from = 0, count = -1, next;

	memset(d, 0, sizeof(*d));
	d->rows = json_array();
	for (int page = 0; page < DOC_MAX_PAGES; page++) {
		char *req = xasprintf("%s%s%s%s%s FROM %lld\n", verb,
		    kind ? " " : "", kind ? kind : "", village ? " " : "",
		    village ? village : "", (long long)from);
		json_t *a = ctl_ask_page(fd, in, req);

		free(req);
		if (a == NULL)
			return 2;
		if (!json_is_true(json_object_get(a, "ok"))) {
			fprintf(stderr, "fupinctl: %s: %s\n",
			    json_string_value(json_object_get(a, "error")) ?
				json_string_value(json_object_get(a, "error")) :
				"error",
			    json_string_value(json_object_get(a, "message")) ?
				json_string_value(json_object_get(a, "message")) :
				"");
			json_decref(a);
			return 1;
		}
		if (count >= 0 && json_integer_value(json_object_get(a,
				      "count")) != count) {
			json_decref(a);
			return 3;
		}
		count = json_integer_value(json_object_get(a, "count"));
		json_array_extend(d->rows, json_object_get(a, "rows"));
		/* Read before a (which owns it) is released. */
		next = json_is_integer(json_object_get(a, "next")) ?
		    json_integer_value(json_object_get(a, "next")) : -1;
		if (d->first == NULL)
			d->first = a;
		else
			json_decref(a);
		if (next < 0)
			break;
		if (next <= from) {
			fprintf(stderr, "fupinctl: the daemon's pages do not "
					"advance\n");
			return 2;
		}
		from = next;
	}
	if ((json_int_t)json_array_size(d->rows) != count)
		return 3;
	return 0;
}

static void
doc_clear(struct doc *d)
{
	json_decref(d->first);
	json_decref(d->rows);
	memset(d, 0, sizeof(*d));
}

static int
fetch(int fd, const char *verb, const char *kind, const char *village,
    struct doc *d)
{
	int dupfd = dup(fd), rc = 3;
	FILE *in = dupfd >= 0 ? fdopen(dupfd, "r") : NULL;

	if (in == NULL) {
		if (dupfd >= 0)
			close(dupfd);
		fprintf(stderr, "fupinctl: %s\n", strerror(errno));
		return 2;
	}
	for (int i = 0; i < DOC_TRIES && rc == 3; i++) {
		doc_clear(d);
		rc = fetch_once(fd, in, verb, kind, village, d);
	}
	fclose(in);
	if (rc == 3) {
		fprintf(stderr, "fupinctl: the list kept changing while it "
				"was read; try again\n");
		return 1;
	}
	if (rc != 0)
		return rc;
	d->tables = strcmp(verb, "TABLES") == 0;
	d->kind = json_string_value(json_object_get(d->first, "kind"));
	d->title = json_string_value(json_object_get(d->first, "title"));
	d->township = json_string_value(json_object_get(d->first, "township"));
	d->village_name = json_string_value(json_object_get(
	    json_object_get(d->first, "village"), "name"));
	d->generated = json_string_value(json_object_get(d->first,
	    "generated"));
	d->columns = json_object_get(d->first, "columns");
	d->subtotals = json_object_get(d->first, "subtotals");
	d->total = json_object_get(d->first, "total");
	return 0;
}

/* ---- CSV ---- */

static void
csv_field(FILE *f, const char *s, int first)
{
	if (!first)
		fputc(',', f);
	/* OWASP: a cell a spreadsheet would run is written as text. */
	if (doc_formula_like(s) || strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		if (doc_formula_like(s))
			fputc('\'', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else
		fputs(s, f);
}

static const char *
col_str(json_t *col, const char *key)
{
	const char *s = json_string_value(json_object_get(col, key));

	return s ? s : "";
}

/* The column of key in the list's columns, or -1. */
static int
col_index(const struct doc *d, const char *key)
{
	size_t i;
	json_t *col;

	json_array_foreach(d->columns, i, col)
		if (strcmp(col_str(col, "key"), key) == 0)
			return (int)i;
	return -1;
}

/* A subtotal (or the total, name NULL) as a row of cells. */
static void
csv_subtotal(FILE *f, const struct doc *d, json_t *s, const char *label)
{
	size_t n = json_array_size(d->columns);
	int size_col = col_index(d, "size");
	char buf[128];

	for (size_t i = 0; i < n; i++) {
		buf[0] = '\0';
		if (i == 0)
			snprintf(buf, sizeof(buf), "%s", label);
		else if (i == 1)
			snprintf(buf, sizeof(buf), d->kind &&
				strcmp(d->kind, "problems") == 0 ?
				"%lld户 %lld条" : "%lld户",
			    (long long)json_integer_value(json_object_get(s,
				"households")),
			    (long long)json_integer_value(json_object_get(s,
				"rows")));
		else if ((int)i == size_col)
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)json_integer_value(json_object_get(s,
				"persons")));
		csv_field(f, buf, i == 0);
	}
	fputs("\r\n", f);
}

static void
write_list_csv(FILE *f, const struct doc *d)
{
	size_t i, k = 0, nsub = json_array_size(d->subtotals);
	json_t *col, *row;
	char buf[4096], label[256];
	const char *prev = NULL;

	json_array_foreach(d->columns, i, col)
		csv_field(f, col_str(col, "title"), i == 0);
	fputs("\r\n", f);
	json_array_foreach(d->rows, i, row) {
		const char *v = json_string_value(json_array_get(row, 0));
		size_t j;
		json_t *cell;

		if (d->village_name == NULL && prev && v &&
		    strcmp(prev, v) != 0 && k < nsub) {
			snprintf(label, sizeof(label), "%s 小计", prev);
			csv_subtotal(f, d, json_array_get(d->subtotals, k++),
			    label);
		}
		prev = v;
		json_array_foreach(row, j, cell) {
			doc_cell_text(cell, col_str(json_array_get(d->columns,
			    j), "type"), buf, sizeof(buf));
			csv_field(f, buf, j == 0);
		}
		fputs("\r\n", f);
	}
	if (d->village_name == NULL && prev && k < nsub) {
		snprintf(label, sizeof(label), "%s 小计", prev);
		csv_subtotal(f, d, json_array_get(d->subtotals, k), label);
	}
	csv_subtotal(f, d, d->total, "合计");
}

/* The verification tables as CSV: a row per member, the household's
 * record on each, its open findings on its first. */
static void
write_tables_csv(FILE *f, const struct doc *d, int from, int to)
{
	static const char *const hdr[] = { "行政村", "户编号", "村民小组",
		"户主姓名", "家庭人口", "户类别", "人均纯收入（元）", "不愁吃",
		"不愁穿", "义务教育有保障", "基本医疗有保障", "住房安全有保障",
		"风险或返贫原因", "成员姓名", "身份证号", "与户主关系", "出生日期",
		"成员变动", "待核实问题", "现场核实情况" };
	static const char *const keys[] = { "village", "household_id", "group",
		"head", "size", "category", "income", "food", "clothing",
		"education", "medical", "housing" };
	char buf[4096];

	for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
		csv_field(f, hdr[i], i == 0);
	fputs("\r\n", f);
	for (int r = from; r < to; r++) {
		json_t *t = json_array_get(json_array_get(d->rows, (size_t)r), 0);
		json_t *members = json_object_get(t, "members");
		json_t *findings = json_object_get(t, "findings");
		size_t nm = json_array_size(members), m;
		char *issues = xstrdup("");

		for (size_t k = 0; k < json_array_size(findings); k++) {
			json_t *fd = json_array_get(findings, k);
			char *n = xasprintf("%s%s%s：%s", issues, k ? "；" : "",
			    json_string_value(json_array_get(fd, 0)) ?
				json_string_value(json_array_get(fd, 0)) : "",
			    json_string_value(json_array_get(fd, 1)) ?
				json_string_value(json_array_get(fd, 1)) : "");
			free(issues);
			issues = n;
		}
		for (m = 0; m < (nm ? nm : 1); m++) {
			json_t *mem = json_array_get(members, m);
			const char *risk = json_string_value(
			    json_object_get(t, "risk"));

			if (risk == NULL)
				risk = json_string_value(json_object_get(t,
				    "relapse_reason"));
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]);
			     k++) {
				doc_cell_text(json_object_get(t, keys[k]), "",
				    buf, sizeof(buf));
				csv_field(f, buf, k == 0);
			}
			csv_field(f, risk ? risk : "", 0);
			for (size_t k = 0; k < 5; k++) {
				doc_cell_text(json_array_get(mem, k), "", buf,
				    sizeof(buf));
				csv_field(f, buf, 0);
			}
			csv_field(f, m == 0 ? issues : "", 0);
			csv_field(f, "", 0);
			fputs("\r\n", f);
		}
		free(issues);
	}
}

/* Write text (UTF-8) to path ("-": standard output) as UTF-8 with a BOM,
 * or converted to encoding. */
static int
write_text(const char *path, const char *text, size_t len,
    const char *encoding, int bom)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
	char *conv = NULL;
	size_t convlen = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (encoding != NULL && strcasecmp(encoding, "utf-8") != 0 &&
	    strcasecmp(encoding, "utf8") != 0) {
		iconv_t cd = iconv_open(encoding, "UTF-8");
		char *in = (char *)text, *out;
		size_t inleft = len, outleft = len * 2 + 16;

		if (cd == (iconv_t)-1) {
			fprintf(stderr, "fupinctl: encoding %s: %s\n", encoding,
			    strerror(errno));
			rc = -1;
			goto done;
		}
		conv = out = xmalloc(outleft);
		if (iconv(cd, &in, &inleft, &out, &outleft) == (size_t)-1) {
			fprintf(stderr, "fupinctl: cannot write %s in %s: %s\n",
			    path, encoding, strerror(errno));
			iconv_close(cd);
			rc = -1;
			goto done;
		}
		iconv_close(cd);
		convlen = (size_t)(out - conv);
		text = conv;
		len = convlen;
	} else if (bom)
		fputs("\xEF\xBB\xBF", f);
	if (fwrite(text, 1, len, f) != len)
		rc = -1;
done:
	if (f != stdout) {
		if (fclose(f) != 0)
			rc = -1;
	} else if (fflush(f) != 0)
		rc = -1;
	if (rc < 0 && errno)
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
	free(conv);
	return rc;
}

/* Render d (rows from..to for tables) in fmt to path. */
static int
render(const struct doc *d, enum doc_format fmt, const char *path,
    const char *encoding, int from, int to)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int rc;

	if (fmt == FMT_XLSX) {
		if (strcmp(path, "-") == 0) {
			fprintf(stderr, "fupinctl: xlsx needs -o FILE\n");
			return -1;
		}
		return doc_write_xlsx(path, d);
	}
	if ((mem = open_memstream(&text, &len)) == NULL)
		return -1;
	if (fmt == FMT_HTML)
		rc = doc_write_html(mem, d, from, to);
	else if (d->tables)
		write_tables_csv(mem, d, from, to), rc = 0;
	else
		write_list_csv(mem, d), rc = 0;
	fclose(mem);
	if (rc == 0)
		rc = write_text(path, text, len, fmt == FMT_CSV ? encoding :
		    NULL, fmt == FMT_CSV);
	free(text);
	return rc;
}

static const char *
row_village_id(const struct doc *d, size_t r)
{
	return json_string_value(json_object_get(json_array_get(
	    json_array_get(d->rows, r), 0), "village_id"));
}

/* tables -o DIR: a file per village (html, csv) or one workbook with a
 * sheet per village (xlsx). */
static int
render_tables_dir(struct doc *d, enum doc_format fmt, const char *dir,
    const char *encoding)
{
	size_t n = json_array_size(d->rows), start = 0;
	const char *saved = d->village_name;
	int rc = 0;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "fupinctl: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (fmt == FMT_XLSX) {
		char *path = xasprintf("%s/tables.xlsx", dir);

		rc = render(d, fmt, path, encoding, 0, (int)n);
		if (rc == 0)
			printf("%s\n", path);
		free(path);
		return rc;
	}
	while (start < n && rc == 0) {
		const char *v = row_village_id(d, start);
		size_t end = start + 1;
		char *path;

		while (end < n && strcmp(row_village_id(d, end), v) == 0)
			end++;
		path = xasprintf("%s/tables-%s.%s", dir, v,
		    fmt == FMT_HTML ? "html" : "csv");
		d->village_name = json_string_value(json_object_get(
		    json_array_get(json_array_get(d->rows, start), 0),
		    "village"));
		rc = render(d, fmt, path, encoding, (int)start, (int)end);
		if (rc == 0)
			printf("%s\n", path);
		free(path);
		start = end;
	}
	d->village_name = saved;
	return rc;
}

static int
parse_format(const char *s, enum doc_format *fmt)
{
	if (strcasecmp(s, "csv") == 0)
		*fmt = FMT_CSV;
	else if (strcasecmp(s, "html") == 0)
		*fmt = FMT_HTML;
	else if (strcasecmp(s, "xlsx") == 0)
		*fmt = FMT_XLSX;
	else
		return -1;
	return 0;
}

int
docs_main(int fd, int argc, char **argv)
{
	const char *verb = strcasecmp(argv[0], "tables") == 0 ? "TABLES" :
								"LIST";
	const char *pos[3] = { NULL, NULL, NULL }, *out = NULL,
		   *encoding = NULL, *format = NULL;
	int npos = 0, rc;
	enum doc_format fmt = strcmp(verb, "TABLES") == 0 ? FMT_HTML : FMT_CSV;
	struct doc d = { 0 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((strcmp(a, "--format") == 0 || strcmp(a, "-o") == 0 ||
			strcmp(a, "--output") == 0 ||
			strcmp(a, "--encoding") == 0) && i + 1 < argc) {
			if (strcmp(a, "--format") == 0)
				format = argv[++i];
			else if (strcmp(a, "--encoding") == 0)
				encoding = argv[++i];
			else
				out = argv[++i];
		} else if (strncmp(a, "--format=", 9) == 0)
			format = a + 9;
		else if (strncmp(a, "--encoding=", 11) == 0)
			encoding = a + 11;
		else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			docs_usage(stdout);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "fupinctl: unknown option %s\n", a);
			docs_usage(stderr);
			return EXIT_CANNOT_ASK;
		} else if (npos < 2)
			pos[npos++] = a;
		else {
			docs_usage(stderr);
			return EXIT_CANNOT_ASK;
		}
	}
	if (format == NULL && out != NULL && strcmp(verb, "LIST") == 0) {
		const char *dot = strrchr(out, '.');

		if (dot != NULL && parse_format(dot + 1, &fmt) == 0)
			format = dot + 1;
	}
	if (format != NULL && parse_format(format, &fmt) < 0) {
		fprintf(stderr, "fupinctl: --format is csv, html or xlsx, not "
				"%s\n", format);
		return EXIT_CANNOT_ASK;
	}
	if (strcmp(verb, "LIST") == 0 ? npos < 1 : npos > 1) {
		docs_usage(stderr);
		return EXIT_CANNOT_ASK;
	}
	if (strcmp(verb, "LIST") == 0)
		rc = fetch(fd, verb, pos[0], pos[1], &d);
	else
		rc = fetch(fd, verb, NULL, pos[0], &d);
	if (rc != 0) {
		doc_clear(&d);
		return rc == 1 ? EXIT_ANSWER_ERROR : EXIT_CANNOT_ASK;
	}
	if (d.tables && out != NULL)
		rc = render_tables_dir(&d, fmt, out, encoding);
	else
		rc = render(&d, fmt, out ? out : "-", encoding, 0,
		    (int)json_array_size(d.rows));
	doc_clear(&d);
	return rc == 0 ? EXIT_OK : EXIT_ANSWER_ERROR;
}
