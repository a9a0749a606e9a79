/*
 * Answers for people: arrays of objects become aligned tables (aligned by
 * display width, so Chinese names line up), other values "key: value".
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "fupinctl.h"
#include "util.h"

#define BOLD(c) ((c) ? "\033[1m" : "")
#define RED(c) ((c) ? "\033[31m" : "")
#define RESET(c) ((c) ? "\033[0m" : "")

int
output_width(const char *s)
{
	mbstate_t st;
	int w = 0;

	memset(&st, 0, sizeof(st));
	while (*s != '\0') {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		int cw;

		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			s++;
			w++;
			continue;
		}
		if (n == 0)
			break;
		cw = wcwidth(wc);
		w += cw < 0 ? 1 : cw;
		s += n;
	}
	return w;
}

/* A scalar as text; caller frees. */
static char *
scalar_text(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL: {
		double d = json_real_value(v);
		if (d == (double)(long long)d)
			return xasprintf("%lld", (long long)d);
		return xasprintf("%.2f", d);
	}
	case JSON_TRUE:
		return xstrdup("yes");
	case JSON_FALSE:
		return xstrdup("no");
	case JSON_NULL:
		return xstrdup("-");
	case JSON_ARRAY: {
		/* A short list of scalars reads well inline. */
		size_t i, len = 0;
		json_t *e;
		char *out = xstrdup("");

		json_array_foreach(v, i, e) {
			char *t = json_is_object(e) || json_is_array(e) ?
			    json_dumps(e, JSON_COMPACT) : scalar_text(e);
			char *n = xasprintf("%s%s%s", out, i ? "," : "", t);
			free(out);
			free(t);
			out = n;
			len++;
		}
		return out;
	}
	default: {
		char *t = json_dumps(v, JSON_COMPACT);
		return t ? t : xstrdup("?");
	}
	}
}

static void
pad(FILE *fp, int n)
{
	while (n-- > 0)
		fputc(' ', fp);
}

static int
is_table(json_t *v)
{
	return json_is_array(v) && json_array_size(v) > 0 &&
	    json_is_object(json_array_get(v, 0));
}

static void
print_table(FILE *fp, json_t *rows, int colour, int indent)
{
	const char **cols = NULL;
	int *width = NULL;
	size_t ncols = 0, i;
	json_t *row;

	/* Columns: union of keys in order of first appearance. */
	json_array_foreach(rows, i, row) {
		const char *k;
		json_t *v;

		json_object_foreach(row, k, v) {
			size_t c;

			for (c = 0; c < ncols; c++)
				if (strcmp(cols[c], k) == 0)
					break;
			if (c == ncols) {
				cols = xrealloc(cols, (ncols + 1) *
				    sizeof(*cols));
				width = xrealloc(width, (ncols + 1) *
				    sizeof(*width));
				cols[ncols] = k;
				width[ncols] = output_width(k);
				ncols++;
			}
		}
	}
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncols; c++) {
			json_t *v = json_object_get(row, cols[c]);
			char *t = v ? scalar_text(v) : xstrdup("");
			int w = output_width(t);

			if (w > width[c])
				width[c] = w;
			free(t);
		}
	}
	pad(fp, indent);
	for (size_t c = 0; c < ncols; c++) {
		fprintf(fp, "%s%s%s", BOLD(colour), cols[c], RESET(colour));
		if (c + 1 < ncols)
			pad(fp, width[c] - output_width(cols[c]) + 2);
	}
	fputc('\n', fp);
	json_array_foreach(rows, i, row) {
		pad(fp, indent);
		for (size_t c = 0; c < ncols; c++) {
			json_t *v = json_object_get(row, cols[c]);
			char *t = v ? scalar_text(v) : xstrdup("");

			fputs(t, fp);
			if (c + 1 < ncols)
				pad(fp, width[c] - output_width(t) + 2);
			free(t);
		}
		fputc('\n', fp);
	}
	free(cols);
	free(width);
}

static void
print_object(FILE *fp, json_t *obj, int colour, int indent)
{
	const char *k;
	json_t *v;
	int kw = 0;

	json_object_foreach(obj, k, v) {
		if (strcmp(k, "ok") != 0 && !is_table(v) && !json_is_object(v) &&
		    output_width(k) > kw)
			kw = output_width(k);
	}
	json_object_foreach(obj, k, v) {
		if (strcmp(k, "ok") == 0 || is_table(v) || json_is_object(v))
			continue;
		char *t = scalar_text(v);
		pad(fp, indent);
		fprintf(fp, "%s%s:%s", BOLD(colour), k, RESET(colour));
		pad(fp, kw - output_width(k) + 1);
		fprintf(fp, "%s\n", t);
		free(t);
	}
	json_object_foreach(obj, k, v) {
		if (json_is_object(v)) {
			pad(fp, indent);
			fprintf(fp, "%s%s:%s\n", BOLD(colour), k, RESET(colour));
			print_object(fp, v, colour, indent + 2);
		} else if (is_table(v)) {
			pad(fp, indent);
			fprintf(fp, "%s%s:%s\n", BOLD(colour), k, RESET(colour));
			print_table(fp, v, colour, indent + 2);
		}
	}
}

void
output_answer(FILE *fp, const char *verb, json_t *answer, int colour)
{
	if (!json_is_true(json_object_get(answer, "ok"))) {
		const char *code = json_string_value(
		    json_object_get(answer, "error"));
		const char *msg = json_string_value(
		    json_object_get(answer, "message"));

		fprintf(fp, "%serror (%s):%s %s\n", RED(colour),
		    code ? code : "?", RESET(colour), msg ? msg : "");
		return;
	}
	if (json_object_size(answer) == 1) {
		fputs("ok\n", fp);
		return;
	}
	print_object(fp, answer, colour, 0);
}
