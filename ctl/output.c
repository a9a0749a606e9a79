/*
 * Answers for people. The verbs people read most (STATUS, OVERDUE,
 * HOUSEHOLD, ALERTS, CALENDAR, HELP, METRICS, ADVANCE) get their own
 * layout with columns chosen here, in an order that reads well: the
 * daemon's JSON comes from jsonb, whose key order means nothing. Anything
 * else is printed generically: arrays of objects as tables, the rest as
 * "key: value". Columns are aligned by display width (wcwidth), so that
 * Chinese names, two columns wide each, line up.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "fupinctl.h"
#include "util.h"

#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_GREEN "\033[32m"
#define C_DIM "\033[2m"
#define C_RESET "\033[0m"

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

static void
pad(FILE *fp, int n)
{
	while (n-- > 0)
		fputc(' ', fp);
}

/* ---- a table: cells are copied; colour is added when printing ---- */

struct table {
	size_t ncols, nrows;
	const char **titles;
	int *right;	      /* right-align (numbers) */
	char **cells;	      /* nrows * ncols */
	const char **colour;  /* per cell, or NULL */
};

static struct table *
table_new(size_t ncols, const char *const *titles)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->titles = xcalloc(ncols, sizeof(*t->titles));
	t->right = xcalloc(ncols, sizeof(*t->right));
	for (size_t i = 0; i < ncols; i++)
		t->titles[i] = titles[i];
	return t;
}

/* A new empty row; returns its index. */
static size_t
table_row(struct table *t)
{
	size_t n = t->nrows++;

	t->cells = xrealloc(t->cells, t->nrows * t->ncols * sizeof(*t->cells));
	t->colour = xrealloc(t->colour,
	    t->nrows * t->ncols * sizeof(*t->colour));
	for (size_t c = 0; c < t->ncols; c++) {
		t->cells[n * t->ncols + c] = NULL;
		t->colour[n * t->ncols + c] = NULL;
	}
	return n;
}

/* Set a cell of the last row; takes ownership of text. */
static void
table_set(struct table *t, size_t col, char *text, const char *colour)
{
	size_t i = (t->nrows - 1) * t->ncols + col;

	free(t->cells[i]);
	t->cells[i] = text;
	t->colour[i] = colour;
}

static void
table_print(FILE *fp, struct table *t, int colour, int indent)
{
	int *width = xcalloc(t->ncols, sizeof(*width));

	for (size_t c = 0; c < t->ncols; c++)
		width[c] = output_width(t->titles[c]);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			int w = s ? output_width(s) : 0;

			if (w > width[c])
				width[c] = w;
		}
	pad(fp, indent);
	for (size_t c = 0; c < t->ncols; c++) {
		int gap = width[c] - output_width(t->titles[c]);

		if (t->right[c])
			pad(fp, gap);
		fprintf(fp, "%s%s%s", colour ? C_BOLD : "", t->titles[c],
		    colour ? C_RESET : "");
		if (c + 1 < t->ncols)
			pad(fp, (t->right[c] ? 0 : gap) + 2);
	}
	fputc('\n', fp);
	for (size_t r = 0; r < t->nrows; r++) {
		pad(fp, indent);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			const char *col = t->colour[r * t->ncols + c];
			int gap;

			if (s == NULL)
				s = "";
			gap = width[c] - output_width(s);
			if (t->right[c])
				pad(fp, gap);
			fprintf(fp, "%s%s%s", colour && col ? col : "", s,
			    colour && col ? C_RESET : "");
			if (c + 1 < t->ncols)
				pad(fp, (t->right[c] ? 0 : gap) + 2);
		}
		fputc('\n', fp);
	}
	free(width);
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colour);
	free(t->titles);
	free(t->right);
	free(t);
}

/* ---- values as text ---- */

/* A scalar as text; caller frees. */
static char *
scalar_text(json_t *v)
{
	if (v == NULL)
		return xstrdup("-");
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
		size_t i;
		json_t *e;
		char *out = xstrdup("");

		json_array_foreach(v, i, e) {
			char *t = json_is_object(e) || json_is_array(e) ?
			    json_dumps(e, JSON_COMPACT) : scalar_text(e);
			char *n = xasprintf("%s%s%s", out, i ? "," : "", t);
			free(out);
			free(t);
			out = n;
		}
		return out;
	}
	default: {
		char *t = json_dumps(v, JSON_COMPACT);
		return t ? t : xstrdup("?");
	}
	}
}

static char *
field(json_t *obj, const char *key)
{
	return scalar_text(json_object_get(obj, key));
}

/* "2019-10-21T00:00:00+08:00" reads as "2019-10-21 00:00" in the
 * township's own offset; other moments are left whole. */
static char *
moment_text(json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL)
		return xstrdup("-");
	if (strlen(s) >= 22 && s[10] == 'T' &&
	    strcmp(s + strlen(s) - 6, "+08:00") == 0 &&
	    strlen(s) >= 25)
		return xasprintf("%.10s %.5s", s, s + 11);
	return xstrdup(s);
}

/* A due moment as people say it ("10月20日24时", the daemon's due_text),
 * else the moment itself. */
static char *
due_shown(json_t *r, const char *text_key, const char *moment_key)
{
	const char *s = json_string_value(json_object_get(r, text_key));

	return s != NULL ? xstrdup(s) :
	    moment_text(json_object_get(r, moment_key));
}

static int
verb_is(const char *verb, const char *name)
{
	return strcasecmp(verb, name) == 0;
}

/* ---- the generic layout ---- */

static int
is_table(json_t *v)
{
	return json_is_array(v) && json_array_size(v) > 0 &&
	    json_is_object(json_array_get(v, 0));
}

static void
print_generic_table(FILE *fp, json_t *rows, int colour, int indent)
{
	const char **cols = NULL;
	size_t ncols = 0, i;
	json_t *row;
	struct table *t;

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
				cols[ncols++] = k;
			}
		}
	}
	t = table_new(ncols, cols);
	json_array_foreach(rows, i, row) {
		table_row(t);
		for (size_t c = 0; c < ncols; c++) {
			json_t *v = json_object_get(row, cols[c]);

			table_set(t, c, v ? scalar_text(v) : xstrdup(""),
			    NULL);
		}
	}
	table_print(fp, t, colour, indent);
	table_free(t);
	free(cols);
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
		char *t;

		if (strcmp(k, "ok") == 0 || is_table(v) || json_is_object(v))
			continue;
		t = scalar_text(v);
		pad(fp, indent);
		fprintf(fp, "%s%s:%s", colour ? C_BOLD : "", k,
		    colour ? C_RESET : "");
		pad(fp, kw - output_width(k) + 1);
		fprintf(fp, "%s\n", t);
		free(t);
	}
	json_object_foreach(obj, k, v) {
		if (json_is_object(v)) {
			pad(fp, indent);
			fprintf(fp, "%s%s:%s\n", colour ? C_BOLD : "", k,
			    colour ? C_RESET : "");
			print_object(fp, v, colour, indent + 2);
		} else if (is_table(v)) {
			pad(fp, indent);
			fprintf(fp, "%s%s:%s\n", colour ? C_BOLD : "", k,
			    colour ? C_RESET : "");
			print_generic_table(fp, v, colour, indent + 2);
		}
	}
}

/* ---- STATUS ---- */

/* States in the order a household meets them; others follow by name. */
static const char *const state_order[] = { "draft", "village_notice",
	"township_review", "township_notice", "city_request", "exited",
	"included", "surveyed", "listed", "collected", "reviewed", "analysed",
	"assessed", "marked", "reported", "entered", "found", "verified",
	"corrected", "rechecked", "open", "done", "withdrawn", NULL };
static const char *const workflow_order[] = { "exit", "inclusion",
	"marginal", "monitoring", "member", "rectify", NULL };

static int
rank(const char *const *order, const char *name)
{
	for (int i = 0; order[i] != NULL; i++)
		if (strcmp(order[i], name) == 0)
			return i;
	return 1000;
}

static int
cmp_rank(const char *const *order, const char *a, const char *b)
{
	int ra = rank(order, a), rb = rank(order, b);

	return ra != rb ? ra - rb : strcmp(a, b);
}

static const char *const *sort_order;

static int
cmp_names(const void *a, const void *b)
{
	return cmp_rank(sort_order, *(const char *const *)a,
	    *(const char *const *)b);
}

/* The keys of obj, sorted by order; caller frees the array. */
static const char **
sorted_keys(json_t *obj, const char *const *order, size_t *n)
{
	const char **keys = xcalloc(json_object_size(obj) + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	*n = 0;
	json_object_foreach(obj, k, v)
		keys[(*n)++] = k;
	sort_order = order;
	qsort(keys, *n, sizeof(*keys), cmp_names);
	return keys;
}

/* "draft 1, village_notice 2" */
static char *
states_text(json_t *states)
{
	size_t n;
	const char **keys = sorted_keys(states, state_order, &n);
	char *out = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *v = field(states, keys[i]);
		char *next = xasprintf("%s%s%s %s", out, i ? ", " : "", keys[i],
		    v);

		free(v);
		free(out);
		out = next;
	}
	free(keys);
	return out[0] ? out : (free(out), xstrdup("-"));
}

static void
print_status(FILE *fp, json_t *answer, int colour)
{
	json_t *villages = json_object_get(answer, "villages"), *v;
	json_t *all = json_object();
	const char **wfs, **titles;
	size_t nwf, i, ncols;
	struct table *t;

	/* Every workflow any village has, as one column each. */
	json_array_foreach(villages, i, v)
		json_object_update(all, json_object_get(v, "workflows"));
	wfs = sorted_keys(all, workflow_order, &nwf);
	ncols = 2 + nwf + 2;
	titles = xcalloc(ncols, sizeof(*titles));
	titles[0] = "VILLAGE";
	titles[1] = "NAME";
	for (size_t k = 0; k < nwf; k++)
		titles[2 + k] = wfs[k];
	titles[2 + nwf] = "OVERDUE";
	titles[3 + nwf] = "NEXT DEADLINE";
	t = table_new(ncols, titles);
	t->right[2 + nwf] = 1;
	json_array_foreach(villages, i, v) {
		json_t *w = json_object_get(v, "workflows");
		json_t *next = json_object_get(v, "next_deadline");
		json_int_t overdue = json_integer_value(json_object_get(v,
		    "overdue"));

		table_row(t);
		table_set(t, 0, field(v, "village"), NULL);
		table_set(t, 1, field(v, "name"), NULL);
		for (size_t k = 0; k < nwf; k++) {
			json_t *states = json_object_get(w, wfs[k]);

			table_set(t, 2 + k, states ? states_text(states) :
						     xstrdup("-"),
			    NULL);
		}
		table_set(t, 2 + nwf, field(v, "overdue"),
		    overdue > 0 ? C_RED : NULL);
		if (json_is_object(next)) {
			char *due = due_shown(next, "due_text", "due");
			char *id = field(next, "id");
			char *n = field(next, "households");

			table_set(t, 3 + nwf, xasprintf("%s by %s (%s left)",
						  id, due, n),
			    NULL);
			free(due);
			free(id);
			free(n);
		} else
			table_set(t, 3 + nwf, xstrdup("-"), NULL);
	}
	if (t->nrows == 0)
		fputs("no villages\n", fp);
	else
		table_print(fp, t, colour, 0);
	table_free(t);
	free(titles);
	free(wfs);
	json_decref(all);
}

/* ---- OVERDUE ---- */

static int
any_set(json_t *rows, const char *key)
{
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r) {
		json_t *v = json_object_get(r, key);
		if (v != NULL && !json_is_null(v) &&
		    !(json_is_string(v) && json_string_value(v)[0] == '\0'))
			return 1;
	}
	return 0;
}

static void
print_overdue(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "HOUSEHOLD", "VILLAGE",
		"WORKFLOW", "STATE", "DEADLINE", "DUE", "SUBJECT",
		"EXTENDED UNTIL" };
	json_t *items = json_object_get(answer, "items"), *r;
	json_int_t count = json_integer_value(json_object_get(answer,
	    "count"));
	int subj = any_set(items, "subject"),
	    ext = any_set(items, "extended_until");
	struct table *t;
	size_t i;

	if (json_array_size(items) == 0) {
		fprintf(fp, "%snothing is overdue%s\n", colour ? C_GREEN : "",
		    colour ? C_RESET : "");
		return;
	}
	t = table_new(6 + (size_t)subj + (size_t)ext, titles);
	if (!subj && ext)
		t->titles[6] = titles[7];
	json_array_foreach(items, i, r) {
		size_t c = 6;

		table_row(t);
		table_set(t, 0, field(r, "household"), NULL);
		table_set(t, 1, field(r, "village"), NULL);
		table_set(t, 2, field(r, "workflow"), NULL);
		table_set(t, 3, field(r, "state"), NULL);
		table_set(t, 4, field(r, "deadline"), NULL);
		table_set(t, 5, due_shown(r, "due_text", "due"), C_RED);
		if (subj)
			table_set(t, c++, field(r, "subject"), NULL);
		if (ext)
			table_set(t, c, moment_text(json_object_get(r,
					    "extended_until")),
			    NULL);
	}
	table_print(fp, t, colour, 0);
	table_free(t);
	if (count > (json_int_t)json_array_size(items))
		fprintf(fp, "(%lld overdue; the first %zu shown)\n",
		    (long long)count, json_array_size(items));
	else
		fprintf(fp, "%lld overdue\n", (long long)count);
}

/* ---- HOUSEHOLD ---- */

static void
header_line(FILE *fp, int colour, const char *key, char *value)
{
	fprintf(fp, "%s%-11s%s %s\n", colour ? C_BOLD : "", key,
	    colour ? C_RESET : "", value);
	free(value);
}

static void
print_household(FILE *fp, json_t *answer, int colour)
{
	static const char *const guarantees[] = { "food", "clothing",
		"education", "medical", "housing" };
	static const char *const wf_titles[] = { "WORKFLOW", "SUBJECT",
		"STATE", "SINCE", "DEADLINE", "DUE", "OVERDUE" };
	static const char *const h_titles[] = { "AT", "WORKFLOW", "EVENT",
		"FROM", "TO", "BY", "ROLE", "NOTE" };
	json_t *h = json_object_get(answer, "household");
	json_t *wfs = json_object_get(answer, "workflows");
	json_t *hist = json_object_get(answer, "history");
	json_t *members = json_object_get(answer, "members"), *r;
	char *missing = xstrdup("");
	struct table *t;
	size_t i;

	header_line(fp, colour, "household:", xasprintf("%s %s",
	    json_string_value(json_object_get(h, "household_id")) ?: "?",
	    json_string_value(json_object_get(h, "head_name")) ?: ""));
	header_line(fp, colour, "village:", xasprintf("%s %s",
	    json_string_value(json_object_get(h, "village_id")) ?: "?",
	    json_string_value(json_object_get(answer, "village_name")) ?: ""));
	if (json_string_value(json_object_get(h, "group_name")))
		header_line(fp, colour, "group:", field(h, "group_name"));
	header_line(fp, colour, "category:", field(h, "category"));
	header_line(fp, colour, "size:", field(h, "size"));
	{
		char *inc = field(h, "income_per_capita");

		header_line(fp, colour, "income:",
		    xasprintf("%s yuan per person", inc));
		free(inc);
	}
	for (size_t k = 0; k < nitems(guarantees); k++)
		if (json_is_false(json_object_get(h, guarantees[k]))) {
			char *n = xasprintf("%s%s%s", missing,
			    missing[0] ? ", " : "", guarantees[k]);
			free(missing);
			missing = n;
		}
	header_line(fp, colour, "guarantees:", missing[0] ?
	    xasprintf("not resolved: %s", missing) :
	    xstrdup("all five resolved"));
	free(missing);
	if (!json_is_null(json_object_get(h, "identified_year")) &&
	    json_object_get(h, "identified_year"))
		header_line(fp, colour, "identified:",
		    field(h, "identified_year"));
	if (!json_is_null(json_object_get(h, "lifted_year")) &&
	    json_object_get(h, "lifted_year"))
		header_line(fp, colour, "lifted:", field(h, "lifted_year"));
	if (json_string_value(json_object_get(h, "risk")))
		header_line(fp, colour, "risk:", field(h, "risk"));
	if (json_string_value(json_object_get(h, "relapse_reason")))
		header_line(fp, colour, "relapse:",
		    field(h, "relapse_reason"));

	fputc('\n', fp);
	if (json_array_size(wfs) == 0)
		fputs("procedures: none\n", fp);
	else {
		int subj = any_set(wfs, "subject");
		size_t off = subj ? 1 : 0;

		fprintf(fp, "%sprocedures:%s\n", colour ? C_BOLD : "",
		    colour ? C_RESET : "");
		t = table_new(6 + off, wf_titles);
		if (!subj)
			for (size_t k = 1; k < 6; k++)
				t->titles[k] = wf_titles[k + 1];
		json_array_foreach(wfs, i, r) {
			int late = json_is_true(json_object_get(r, "overdue"));

			table_row(t);
			table_set(t, 0, field(r, "workflow"), NULL);
			if (subj)
				table_set(t, 1, field(r, "subject"), NULL);
			table_set(t, 1 + off, field(r, "state"), NULL);
			table_set(t, 2 + off,
			    moment_text(json_object_get(r, "since")), NULL);
			table_set(t, 3 + off, field(r, "deadline"), NULL);
			table_set(t, 4 + off,
			    moment_text(json_object_get(r, "due")),
			    late ? C_RED : NULL);
			table_set(t, 5 + off, xstrdup(late ? "OVERDUE" : "-"),
			    late ? C_RED : NULL);
		}
		table_print(fp, t, colour, 2);
		table_free(t);
	}

	fputc('\n', fp);
	if (json_array_size(hist) == 0)
		fputs("history: none\n", fp);
	else {
		fprintf(fp, "%shistory:%s\n", colour ? C_BOLD : "",
		    colour ? C_RESET : "");
		t = table_new(nitems(h_titles), h_titles);
		json_array_foreach(hist, i, r) {
			table_row(t);
			table_set(t, 0, moment_text(json_object_get(r, "at")),
			    NULL);
			table_set(t, 1, field(r, "workflow"), NULL);
			table_set(t, 2, field(r, "event"), NULL);
			table_set(t, 3, field(r, "from"), C_DIM);
			table_set(t, 4, field(r, "to"), NULL);
			table_set(t, 5, field(r, "actor"), NULL);
			table_set(t, 6, field(r, "role"), NULL);
			table_set(t, 7, field(r, "note"), NULL);
		}
		table_print(fp, t, colour, 2);
		table_free(t);
	}
	if (is_table(members)) {
		fprintf(fp, "\n%smembers:%s\n", colour ? C_BOLD : "",
		    colour ? C_RESET : "");
		print_generic_table(fp, members, colour, 2);
	}
}

/* ---- ALERTS, CALENDAR, HELP, METRICS, ADVANCE ---- */

static void
print_alerts(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "ID", "FIRED", "KIND", "LEVEL",
		"VILLAGE", "DEADLINE", "COUNT", "DELIVERED", "TEXT" };
	json_t *items = json_object_get(answer, "items"), *r;
	struct table *t;
	size_t i;

	if (json_array_size(items) == 0) {
		fputs("no alerts\n", fp);
		return;
	}
	t = table_new(nitems(titles), titles);
	t->right[0] = t->right[3] = t->right[6] = 1;
	json_array_foreach(items, i, r) {
		const char *kind = json_string_value(json_object_get(r,
		    "kind"));
		json_t *d = json_object_get(r, "delivered_at");
		char *village = json_string_value(json_object_get(r,
				    "village_name")) ?
		    xasprintf("%s %s",
			json_string_value(json_object_get(r, "village")),
			json_string_value(json_object_get(r,
			    "village_name"))) :
		    field(r, "village");

		table_row(t);
		table_set(t, 0, field(r, "id"), NULL);
		table_set(t, 1, moment_text(json_object_get(r, "fire_at")),
		    NULL);
		table_set(t, 2, xstrdup(kind ? kind : "?"),
		    kind && strcmp(kind, "escalation") == 0 ? C_RED :
		    kind && strcmp(kind, "overdue") == 0    ? C_YELLOW :
							       NULL);
		table_set(t, 3, field(r, "level"), NULL);
		table_set(t, 4, village, NULL);
		table_set(t, 5, field(r, "deadline"), NULL);
		table_set(t, 6, field(r, "count"), NULL);
		if (json_is_string(d))
			table_set(t, 7, xstrdup("yes"), NULL);
		else
			table_set(t, 7, xasprintf("no (%lld tries)",
					    (long long)json_integer_value(
						json_object_get(r,
						    "attempts"))),
			    C_YELLOW);
		table_set(t, 8, field(r, "text"), NULL);
	}
	table_print(fp, t, colour, 0);
	table_free(t);
}

static void
print_calendar(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "ID", "KIND", "STATUS", "OPENS",
		"DUE", "TITLE" };
	json_t *items = json_object_get(answer, "items"), *r;
	struct table *t = table_new(nitems(titles), titles);
	char *now = moment_text(json_object_get(answer, "now"));
	size_t i;

	fprintf(fp, "%snow:%s %s\n", colour ? C_BOLD : "",
	    colour ? C_RESET : "", now);
	free(now);
	json_array_foreach(items, i, r) {
		const char *st = json_string_value(json_object_get(r,
		    "status"));

		table_row(t);
		table_set(t, 0, field(r, "id"), NULL);
		table_set(t, 1, field(r, "kind"), NULL);
		table_set(t, 2, xstrdup(st ? st : "?"),
		    st == NULL				? NULL :
		    strcmp(st, "overdue") == 0		? C_RED :
		    strcmp(st, "due_soon") == 0		? C_YELLOW :
		    strcmp(st, "open") == 0		? C_GREEN :
		    strcmp(st, "closed") == 0		? C_DIM :
							  NULL);
		table_set(t, 3, moment_text(json_object_get(r, "opens")),
		    NULL);
		table_set(t, 4, due_shown(r, "due_text", "due"), NULL);
		table_set(t, 5, field(r, "title"), NULL);
	}
	table_print(fp, t, colour, 0);
	table_free(t);
}

static void
print_help(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "USAGE", "WHAT IT DOES" };
	json_t *verbs = json_object_get(answer, "verbs"), *r;
	struct table *t;
	size_t i;

	if (verbs == NULL) { /* HELP VERB */
		char *u = field(answer, "usage"), *h = field(answer, "help"),
		     *role = field(answer, "role");

		fprintf(fp, "usage: %s\n%s\nleast role: %s\n", u, h, role);
		free(u);
		free(h);
		free(role);
		return;
	}
	{
		char *role = field(answer, "role");

		fprintf(fp, "your role: %s; the verbs you may use (any case):\n",
		    role);
		free(role);
	}
	t = table_new(nitems(titles), titles);
	json_array_foreach(verbs, i, r) {
		table_row(t);
		table_set(t, 0, field(r, "usage"), NULL);
		table_set(t, 1, field(r, "help"), NULL);
	}
	table_print(fp, t, colour, 2);
	table_free(t);
}

static void
print_metrics_group(FILE *fp, json_t *group, const char *kind)
{
	size_t n;
	const char **names;
	static const char *const none[] = { NULL };

	names = sorted_keys(group, none, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(group, names[i]);

		if (json_is_object(v)) {
			size_t nl;
			const char **labels = sorted_keys(v, none, &nl);

			for (size_t k = 0; k < nl; k++) {
				char *t = field(v, labels[k]);
				fprintf(fp, "%-8s %s{%s} %s\n", kind, names[i],
				    labels[k], t);
				free(t);
			}
			free(labels);
		} else {
			char *t = scalar_text(v);
			fprintf(fp, "%-8s %s %s\n", kind, names[i], t);
			free(t);
		}
	}
	free(names);
}

static void
print_advance(FILE *fp, json_t *answer, int colour)
{
	char *target = field(answer, "target"), *wf = field(answer, "workflow"),
	     *ev = field(answer, "event"), *from = field(answer, "from"),
	     *to = field(answer, "to"),
	     *at = moment_text(json_object_get(answer, "at"));

	fprintf(fp, "%s %s %s: %s -> %s%s%s (at %s)\n", target, wf, ev,
	    json_is_null(json_object_get(answer, "from")) ? "(new)" : from,
	    colour ? C_GREEN : "", to, colour ? C_RESET : "", at);
	free(target);
	free(wf);
	free(ev);
	free(from);
	free(to);
	free(at);
}

void
output_answer(FILE *fp, const char *verb, json_t *answer, int colour)
{
	if (!json_is_true(json_object_get(answer, "ok"))) {
		const char *code = json_string_value(
		    json_object_get(answer, "error"));
		const char *msg = json_string_value(
		    json_object_get(answer, "message"));
		json_t *rest = json_deep_copy(answer);

		fprintf(fp, "%serror (%s):%s %s\n", colour ? C_RED : "",
		    code ? code : "?", colour ? C_RESET : "", msg ? msg : "");
		/* The figures behind a guard and the like. */
		json_object_del(rest, "error");
		json_object_del(rest, "message");
		if (json_object_size(rest) > 1)
			print_object(fp, rest, colour, 2);
		json_decref(rest);
		return;
	}
	if (verb_is(verb, "status") && json_is_array(json_object_get(answer,
					   "villages")))
		print_status(fp, answer, colour);
	else if (verb_is(verb, "overdue") &&
	    json_is_array(json_object_get(answer, "items")))
		print_overdue(fp, answer, colour);
	else if (verb_is(verb, "household") &&
	    json_is_object(json_object_get(answer, "household")))
		print_household(fp, answer, colour);
	else if (verb_is(verb, "alerts") &&
	    json_is_array(json_object_get(answer, "items")))
		print_alerts(fp, answer, colour);
	else if (verb_is(verb, "calendar") &&
	    json_is_array(json_object_get(answer, "items")))
		print_calendar(fp, answer, colour);
	else if (verb_is(verb, "help"))
		print_help(fp, answer, colour);
	else if (verb_is(verb, "metrics")) {
		print_metrics_group(fp, json_object_get(answer, "counters"),
		    "counter");
		print_metrics_group(fp, json_object_get(answer, "gauges"),
		    "gauge");
	} else if (verb_is(verb, "advance") &&
	    json_object_get(answer, "to") != NULL)
		print_advance(fp, answer, colour);
	else if (json_object_size(answer) == 1)
		fputs("ok\n", fp);
	else
		print_object(fp, answer, colour, 0);
}
