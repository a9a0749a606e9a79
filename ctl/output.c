/*
 * Answers for people. The verbs people read most (STATUS, OVERDUE,
 * HOUSEHOLD, ALERTS, CALENDAR, HELP, METRICS, ADVANCE) get their own
 * layout with columns chosen here, in an order that reads well: the
 * daemon's JSON comes from jsonb, whose key order means nothing. Anything
 * else is printed generically: arrays of objects as tables, the rest as
 * "key: value". Columns are aligned by display width (wcwidth), so that
 * Chinese names, two columns wide each, line up.
 *
 * Tables fit the width of the output (output_columns: $COLUMNS, else the
 * terminal's, else 80): first the columns a layout marks as droppable go,
 * highest rank first (fupinctl(1) lists them), then the columns marked
 * wrappable are wrapped, the widest first, at spaces where they can be.
 * --json always has everything.
 */
#include <sys/ioctl.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
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
	int *drop;	      /* > 0: may be dropped to fit, highest first */
	int *wrap;	      /* may be wrapped onto more lines to fit */
	char **cells;	      /* nrows * ncols */
	const char **colour;  /* per cell, or NULL */
};

int
output_columns(FILE *fp)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env != NULL && atoi(env) >= 20)
		return atoi(env);
	if (isatty(fileno(fp)) && ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static struct table *
table_new(size_t ncols, const char *const *titles)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->titles = xcalloc(ncols, sizeof(*t->titles));
	t->right = xcalloc(ncols, sizeof(*t->right));
	t->drop = xcalloc(ncols, sizeof(*t->drop));
	t->wrap = xcalloc(ncols, sizeof(*t->wrap));
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

/*
 * Cut s into lines of at most w display columns, at a space where there
 * is one (the space is dropped), else between characters. Returns the
 * count; *lines (caller frees each and the array) holds them.
 */
static size_t
wrap_text(const char *s, int w, char ***lines)
{
	size_t n = 0;

	*lines = NULL;
	do {
		size_t len = strlen(s), cut = len, brk = 0, pos = 0;
		int col = 0;
		mbstate_t st;

		memset(&st, 0, sizeof(st));
		while (pos < len) {
			wchar_t wc;
			size_t k = mbrtowc(&wc, s + pos, len - pos, &st);
			int cw;

			if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
				memset(&st, 0, sizeof(st));
				k = 1;
				cw = 1;
			} else
				cw = wcwidth(wc) < 0 ? 1 : wcwidth(wc);
			if (col + cw > w && pos > 0) {
				cut = brk > 0 ? brk : pos;
				break;
			}
			if (s[pos] == ' ')
				brk = pos;
			col += cw;
			pos += k;
		}
		*lines = xrealloc(*lines, (n + 1) * sizeof(**lines));
		(*lines)[n] = xmalloc(cut + 1);
		memcpy((*lines)[n], s, cut);
		(*lines)[n][cut] = '\0';
		while (cut > 0 && (*lines)[n][cut - 1] == ' ')
			(*lines)[n][--cut] = '\0';
		n++;
		s += cut;
		while (*s == ' ')
			s++;
	} while (*s != '\0');
	return n;
}

/* text as a paragraph: wrapped to the width, continuation lines indented
 * by `hang` columns. */
static void
print_para(FILE *fp, int hang, const char *text)
{
	char **lines;
	int w = output_columns(fp) - hang;
	size_t n = wrap_text(text, w < 20 ? 20 : w, &lines);

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			pad(fp, hang);
		fprintf(fp, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
}

static int
table_total(const struct table *t, const int *width, const int *shown,
    int indent)
{
	int total = indent, n = 0;

	for (size_t c = 0; c < t->ncols; c++)
		if (shown[c]) {
			total += width[c];
			n++;
		}
	return total + (n > 1 ? 2 * (n - 1) : 0);
}

/* The narrowest a wrapped column gets: comfortably (soft), at worst. */
#define WRAP_SOFT_MIN 20
#define WRAP_HARD_MIN 8

static int
min_width(const struct table *t, size_t c, int floor)
{
	int w = output_width(t->titles[c]);

	return w > floor ? w : floor;
}

/*
 * Fit t into maxw columns: width[] and shown[] (ncols each, filled here).
 * Columns marked droppable go, highest rank first, while the table would
 * not fit even with its wrappable columns at WRAP_SOFT_MIN; then the
 * widest wrappable column loses a column at a time, down to
 * WRAP_HARD_MIN. Returns the resulting width (may exceed maxw).
 */
static int
table_fit(const struct table *t, int indent, int maxw, int *width, int *shown)
{
	int *soft = xcalloc(t->ncols, sizeof(*soft));

	for (size_t c = 0; c < t->ncols; c++) {
		shown[c] = 1;
		width[c] = output_width(t->titles[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + c];
			int w = s ? output_width(s) : 0;

			if (w > width[c])
				width[c] = w;
		}
	}
	for (;;) {
		size_t best = t->ncols;

		for (size_t c = 0; c < t->ncols; c++) {
			int m = min_width(t, c, WRAP_SOFT_MIN);

			soft[c] = t->wrap[c] && width[c] > m ? m : width[c];
		}
		if (table_total(t, soft, shown, indent) <= maxw)
			break;
		for (size_t c = 0; c < t->ncols; c++)
			if (shown[c] && t->drop[c] > 0 && (best == t->ncols ||
			    t->drop[c] > t->drop[best]))
				best = c;
		if (best == t->ncols)
			break;
		shown[best] = 0;
	}
	free(soft);
	while (table_total(t, width, shown, indent) > maxw) {
		size_t best = t->ncols;

		for (size_t c = 0; c < t->ncols; c++)
			if (shown[c] && t->wrap[c] &&
			    width[c] > min_width(t, c, WRAP_HARD_MIN) &&
			    (best == t->ncols || width[c] > width[best]))
				best = c;
		if (best == t->ncols)
			break;
		width[best]--;
	}
	return table_total(t, width, shown, indent);
}

/* The width t takes once fitted into maxw. */
static int
table_fitted_width(const struct table *t, int indent, int maxw)
{
	int *width = xcalloc(t->ncols, sizeof(*width));
	int *shown = xcalloc(t->ncols, sizeof(*shown));
	int total = table_fit(t, indent, maxw, width, shown);

	free(width);
	free(shown);
	return total;
}

static void
table_print(FILE *fp, struct table *t, int colour, int indent)
{
	int *width = xcalloc(t->ncols, sizeof(*width));
	int *shown = xcalloc(t->ncols, sizeof(*shown));
	size_t last = 0;

	table_fit(t, indent, output_columns(fp), width, shown);
	for (size_t c = 0; c < t->ncols; c++)
		if (shown[c])
			last = c;

	pad(fp, indent);
	for (size_t c = 0; c < t->ncols; c++) {
		int gap = width[c] - output_width(t->titles[c]);

		if (!shown[c])
			continue;
		if (t->right[c])
			pad(fp, gap);
		fprintf(fp, "%s%s%s", colour ? C_BOLD : "", t->titles[c],
		    colour ? C_RESET : "");
		if (c < last)
			pad(fp, (t->right[c] ? 0 : gap) + 2);
	}
	fputc('\n', fp);
	for (size_t r = 0; r < t->nrows; r++) {
		char ***lines = xcalloc(t->ncols, sizeof(*lines));
		size_t *nlines = xcalloc(t->ncols, sizeof(*nlines)), height = 1;

		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			if (!shown[c])
				continue;
			nlines[c] = wrap_text(s ? s : "", width[c], &lines[c]);
			if (nlines[c] > height)
				height = nlines[c];
		}
		for (size_t l = 0; l < height; l++) {
			size_t end = last;

			/* No trailing blanks: stop after the last non-empty. */
			while (end > 0 && (!shown[end] || l >= nlines[end] ||
			    lines[end][l][0] == '\0'))
				end--;
			pad(fp, indent);
			for (size_t c = 0; c <= end; c++) {
				const char *s = l < nlines[c] ? lines[c][l] : "";
				const char *col = t->colour[r * t->ncols + c];
				int gap;

				if (!shown[c])
					continue;
				gap = width[c] - output_width(s);
				if (t->right[c])
					pad(fp, gap);
				fprintf(fp, "%s%s%s", colour && col && *s ? col :
				    "", s, colour && col && *s ? C_RESET : "");
				if (c < end)
					pad(fp, (t->right[c] ? 0 : gap) + 2);
			}
			fputc('\n', fp);
		}
		for (size_t c = 0; c < t->ncols; c++) {
			for (size_t l = 0; l < nlines[c]; l++)
				free(lines[c][l]);
			free(lines[c]);
		}
		free(lines);
		free(nlines);
	}
	free(width);
	free(shown);
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
	free(t->drop);
	free(t->wrap);
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
	for (size_t c = 0; c < ncols; c++)
		t->wrap[c] = 1;
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

/* STATUS too wide for one table: a block per village, a line per
 * workflow, wrapped to the width. */
static void
print_status_long(FILE *fp, struct table *t, size_t nwf, int colour)
{
	static const char *const titles[] = { "WORKFLOW", "HOUSEHOLDS BY STATE" };

	for (size_t r = 0; r < t->nrows; r++) {
		char **cell = &t->cells[r * t->ncols];
		struct table *w = table_new(2, titles);

		char *head = xasprintf("%s %s  overdue %s  next: %s", cell[0],
		    cell[1], cell[2 + nwf], cell[3 + nwf]);

		if (r > 0)
			fputc('\n', fp);
		print_para(fp, 2, head);
		free(head);
		w->wrap[1] = 1;
		for (size_t k = 0; k < nwf; k++) {
			if (strcmp(cell[2 + k], "-") == 0)
				continue;
			table_row(w);
			table_set(w, 0, xstrdup(t->titles[2 + k]), NULL);
			table_set(w, 1, xstrdup(cell[2 + k]), NULL);
		}
		if (w->nrows > 0)
			table_print(fp, w, colour, 2);
		table_free(w);
	}
}

/* "V01 problems: found 5, verified 3, corrected 2, rechecked 1,
 * dismissed 0, left 4", once anything was found. */
static void
print_problem_figures(FILE *fp, json_t *f, const char *who)
{
	static const char *const keys[] = { "found", "verified", "corrected",
		"rechecked", "dismissed", "left" };

	if (!json_is_object(f) ||
	    json_integer_value(json_object_get(f, "found")) == 0)
		return;
	fprintf(fp, "%s problems:", who);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		fprintf(fp, "%s %s %lld", k > 0 ? "," : "", keys[k],
		    (long long)json_integer_value(json_object_get(f, keys[k])));
	fputc('\n', fp);
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
	for (size_t k = 0; k < nwf; k++)
		t->wrap[2 + k] = 1;
	t->wrap[3 + nwf] = 1;
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
	else if (table_fitted_width(t, 0, output_columns(fp)) <=
	    output_columns(fp))
		table_print(fp, t, colour, 0);
	else
		print_status_long(fp, t, nwf, colour);
	/* STATUS VILLAGE: what probably should have a procedure and has none. */
	json_array_foreach(villages, i, v) {
		json_t *k = json_object_get(v, "candidates");
		json_int_t n = json_integer_value(json_object_get(k, "count"));

		if (n > 0)
			fprintf(fp, "%s%s: %lld households probably need a "
				    "procedure (exit %lld, relapse %lld, "
				    "marginal %lld): fupinctl candidates %s%s\n",
			    colour ? C_YELLOW : "",
			    json_string_value(json_object_get(v, "village")),
			    (long long)n,
			    (long long)json_integer_value(
				json_object_get(k, "exit")),
			    (long long)json_integer_value(
				json_object_get(k, "relapse")),
			    (long long)json_integer_value(
				json_object_get(k, "marginal")),
			    json_string_value(json_object_get(v, "village")),
			    colour ? C_RESET : "");
	}
	/* The problem list's figures: the village's when one was asked, else
	 * the township's. */
	print_problem_figures(fp, json_array_size(villages) == 1 ?
	    json_object_get(json_array_get(villages, 0), "problems") :
	    json_object_get(answer, "problems"),
	    json_array_size(villages) == 1 ? json_string_value(json_object_get(
		json_array_get(villages, 0), "village")) : "township");
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
	t->drop[1] = 2; /* VILLAGE first, then DEADLINE */
	t->drop[4] = 1;
	for (size_t c = 6; c < t->ncols; c++)
		t->wrap[c] = 1;
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

/* ---- CANDIDATES ---- */

static void
print_candidates(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "HOUSEHOLD", "VILLAGE", "HEAD",
		"CATEGORY", "SHOULD HAVE", "WHY" };
	json_t *items = json_object_get(answer, "items"), *r;
	json_t *counts = json_object_get(answer, "counts");
	json_int_t count = json_integer_value(json_object_get(answer,
	    "count"));
	struct table *t;
	size_t i;

	if (json_array_size(items) == 0) {
		fprintf(fp, "%sno candidates: every household that should "
			    "have a procedure has one%s\n",
		    colour ? C_GREEN : "", colour ? C_RESET : "");
		return;
	}
	t = table_new(nitems(titles), titles);
	json_array_foreach(items, i, r) {
		table_row(t);
		table_set(t, 0, field(r, "household"), NULL);
		table_set(t, 1, field(r, "village"), NULL);
		table_set(t, 2, field(r, "head_name"), NULL);
		table_set(t, 3, field(r, "category"), NULL);
		table_set(t, 4, field(r, "workflow"), C_YELLOW);
		table_set(t, 5, field(r, "reason"), NULL);
	}
	table_print(fp, t, colour, 0);
	table_free(t);
	fprintf(fp, "%lld candidates (exit %lld, relapse %lld, marginal %lld)%s\n",
	    (long long)count,
	    (long long)json_integer_value(json_object_get(counts, "exit")),
	    (long long)json_integer_value(json_object_get(counts, "relapse")),
	    (long long)json_integer_value(json_object_get(counts, "marginal")),
	    count > (json_int_t)json_array_size(items) ? "; the first shown" :
							 "");
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
		t->wrap[0] = t->wrap[off] = 1;
		t->drop[3 + off] = 1; /* DEADLINE: DUE says when */
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
		t->drop[3] = 3; /* FROM (the row before says it), ROLE, BY */
		t->drop[6] = 2;
		t->drop[5] = 1;
		t->wrap[7] = 1;
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
	t->drop[7] = 4; /* DELIVERED, LEVEL, COUNT, then ID */
	t->drop[3] = 3;
	t->drop[6] = 2;
	t->drop[0] = 1;
	t->wrap[8] = t->wrap[4] = 1;
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

	t->drop[1] = 1;
	t->wrap[5] = 1;
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

/* "draft, village_notice" or "(new)" for a creating entry. */
static char *
from_text(json_t *from)
{
	char *t = json_array_size(from) ? scalar_text(from) : xstrdup("(new)");

	for (char *p = t; *p != '\0'; p++)
		if (*p == ',')
			*p = ' ';
	return t;
}

/* HELP ADVANCE: each workflow with its events. */
static void
print_workflows(FILE *fp, json_t *wfs, int colour)
{
	static const char *const titles[] = { "EVENT", "FROM", "TO", "WHO",
		"TITLE" };
	json_t *w, *e;
	size_t i, k;

	json_array_foreach(wfs, i, w) {
		struct table *t = table_new(nitems(titles), titles);
		char *name = field(w, "workflow"), *title = field(w, "title");

		{
			char *line = xasprintf("%s  %s%s", name, title,
			    strcmp(json_string_value(json_object_get(w,
				       "scope")) ?: "", "village") == 0 ?
				" (ID is the village)" : "");

			fputc('\n', fp);
			print_para(fp, 2, line);
			free(line);
		}
		free(name);
		free(title);
		t->wrap[1] = t->wrap[4] = t->wrap[3] = 1;
		t->drop[3] = 1;
		json_array_foreach(json_object_get(w, "events"), k, e) {
			table_row(t);
			table_set(t, 0, field(e, "event"), NULL);
			table_set(t, 1, from_text(json_object_get(e, "from")),
			    C_DIM);
			table_set(t, 2, field(e, "to"), NULL);
			table_set(t, 3, field(e, "roles"), NULL);
			table_set(t, 4, json_is_true(json_object_get(e, "note")) ?
			    xasprintf("%s (note required)",
				json_string_value(json_object_get(e, "title"))) :
			    field(e, "title"), NULL);
		}
		table_print(fp, t, colour, 2);
		table_free(t);
	}
}

/* HELP ADVANCE HOUSEHOLD: what it may do now. */
static void
print_allowed(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "WORKFLOW", "STATE", "EVENT",
		"TO", "TITLE" };
	json_t *allowed = json_object_get(answer, "allowed"), *e;
	char *h = field(answer, "household"), *cat = field(answer, "category"),
	     *role = field(answer, "role");
	struct table *t;
	size_t i;

	fprintf(fp, "%s (%s): the steps your role (%s) may record now\n", h, cat,
	    role);
	if (json_array_size(allowed) == 0)
		fputs("  none\n", fp);
	else {
		t = table_new(nitems(titles), titles);
		t->wrap[4] = 1;
		json_array_foreach(allowed, i, e) {
			json_t *subj = json_object_get(e, "subject");

			table_row(t);
			table_set(t, 0, json_is_string(subj) ?
			    xasprintf("%s/%s", json_string_value(json_object_get(
				e, "workflow")), json_string_value(subj)) :
			    field(e, "workflow"), NULL);
			table_set(t, 1, json_is_string(json_object_get(e,
					    "state")) ?
			    field(e, "state") : xstrdup("(new)"), C_DIM);
			table_set(t, 2, field(e, "event"), NULL);
			table_set(t, 3, field(e, "to"), NULL);
			table_set(t, 4, json_is_true(json_object_get(e, "note")) ?
			    xasprintf("%s (note required)",
				json_string_value(json_object_get(e, "title"))) :
			    field(e, "title"), NULL);
		}
		table_print(fp, t, colour, 2);
		table_free(t);
		e = json_array_get(allowed, 0);
		fprintf(fp, "e.g. fupinctl advance %s%s%s %s %s%s\n", h,
		    json_is_string(json_object_get(e, "subject")) ? "/" : "",
		    json_string_value(json_object_get(e, "subject")) ?: "",
		    json_string_value(json_object_get(e, "workflow")),
		    json_string_value(json_object_get(e, "event")),
		    json_is_true(json_object_get(e, "note")) ? " NOTE" : "");
	}
	free(h);
	free(cat);
	free(role);
}

/* A request as fupinctl(1) writes it: words of capitals only (verbs,
 * ADD, SET) in lower case; ids and text as they are. */
static char *
ctl_example(const char *example)
{
	char *t = xstrdup(example);

	for (char *w = t; *w != '\0';) {
		size_t n = strcspn(w, " ");
		int caps = n > 0;

		for (size_t i = 0; i < n; i++)
			caps &= w[i] >= 'A' && w[i] <= 'Z';
		for (size_t i = 0; caps && i < n; i++)
			w[i] += 'a' - 'A';
		w += n;
		while (*w == ' ')
			w++;
	}
	return t;
}

static void
print_help(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "USAGE", "WHAT IT DOES" };
	json_t *verbs = json_object_get(answer, "verbs"), *r;
	struct table *t;
	size_t i;

	if (json_is_array(json_object_get(answer, "allowed"))) {
		print_allowed(fp, answer, colour);
		return;
	}
	if (verbs == NULL) { /* HELP VERB */
		char *u = field(answer, "usage"), *h = field(answer, "help"),
		     *role = field(answer, "role");
		const char *ex = json_string_value(json_object_get(answer,
		    "example"));

		{
			char *line = xasprintf("usage: %s", u);

			print_para(fp, 7, line);
			free(line);
			print_para(fp, 0, h);
			fprintf(fp, "least role: %s\n", role);
		}
		if (ex != NULL) {
			char *c = ctl_example(ex);

			fprintf(fp, "example: fupinctl %s\n", c);
			free(c);
		}
		if (json_is_array(json_object_get(answer, "workflows"))) {
			fputc('\n', fp);
			print_para(fp, 0, "workflows and their events (FROM "
			    "(new) starts the procedure; fupinctl help advance "
			    "HOUSEHOLD: what it may do now):");
			print_workflows(fp, json_object_get(answer,
			    "workflows"), colour);
		}
		free(u);
		free(h);
		free(role);
		return;
	}
	{
		char *role = field(answer, "role");

		char *line = xasprintf("your role: %s; the verbs you may use "
				       "(any case; fupinctl help VERB: usage "
				       "and an example):",
		    role);

		print_para(fp, 0, line);
		free(line);
		free(role);
	}
	t = table_new(nitems(titles), titles);
	t->wrap[0] = t->wrap[1] = 1;
	json_array_foreach(verbs, i, r) {
		const char *ex = json_string_value(json_object_get(r, "example"));
		const char *help = json_string_value(json_object_get(r, "help"));
		char *c = ex ? ctl_example(ex) : NULL;

		table_row(t);
		table_set(t, 0, field(r, "usage"), NULL);
		table_set(t, 1, c ? xasprintf("%s; e.g. fupinctl %s", help ?: "",
					c) :
				    field(r, "help"), NULL);
		free(c);
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

/* ---- ANALYZE, PROBLEMS, MEMBER ---- */

static void
print_analyze(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "RULE", "FOUND", "NEW",
		"CLEARED" };
	json_t *rules = json_object_get(answer, "rules");
	static const char *const none[] = { NULL };
	struct table *t = table_new(nitems(titles), titles);
	const char **names;
	size_t n;
	char *nw = field(answer, "new"), *open = field(answer, "open");

	t->right[1] = t->right[2] = t->right[3] = 1;
	names = sorted_keys(rules, none, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_object_get(rules, names[i]);

		table_row(t);
		table_set(t, 0, xstrdup(names[i]), NULL);
		table_set(t, 1, field(r, "found"), NULL);
		table_set(t, 2, field(r, "new"), NULL);
		table_set(t, 3, field(r, "cleared"), NULL);
	}
	if (n > 0)
		table_print(fp, t, colour, 0);
	fprintf(fp, "%s new problem%s, %s open; each new one starts a rectify "
		    "procedure (fupinctl problems)\n",
	    nw, strcmp(nw, "1") == 0 ? "" : "s", open);
	free(nw);
	free(open);
	free(names);
	table_free(t);
}

static void
print_problems(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "ID", "HOUSEHOLD", "PERSON",
		"VILLAGE", "RULE", "RECTIFY", "PROBLEM" };
	json_t *items = json_object_get(answer, "items"), *r;
	json_int_t count = json_integer_value(json_object_get(answer,
	    "count"));
	int person = any_set(items, "person");
	struct table *t;
	size_t i;

	if (json_array_size(items) == 0) {
		fprintf(fp, "%sno problems%s\n", colour ? C_GREEN : "",
		    colour ? C_RESET : "");
		return;
	}
	t = table_new(nitems(titles) - (person ? 0 : 1), titles);
	if (!person)
		for (size_t c = 2; c + 1 < nitems(titles); c++)
			t->titles[c] = titles[c + 1];
	t->right[0] = 1;
	/* VILLAGE, then RULE (PROBLEM says it in words) */
	t->drop[2 + person] = 2;
	t->drop[3 + person] = 1;
	t->wrap[5 + person] = 1;
	json_array_foreach(items, i, r) {
		size_t c = 2;
		json_t *detail = json_object_get(r, "detail");
		const char *st = json_string_value(json_object_get(r,
		    "rectify"));
		char *title = field(r, "title"), *d = detail &&
			!json_is_null(detail) ? scalar_text(detail) : NULL;

		table_row(t);
		table_set(t, 0, field(r, "id"), NULL);
		table_set(t, 1, field(r, "household"), NULL);
		if (person)
			table_set(t, c++, field(r, "person"), NULL);
		table_set(t, c++, field(r, "village"), NULL);
		table_set(t, c++, field(r, "rule"), NULL);
		table_set(t, c++, json_is_true(json_object_get(r, "cleared")) ?
		    xstrdup("cleared") : xstrdup(st ? st : "-"),
		    st && strcmp(st, "found") == 0 ? C_YELLOW : NULL);
		table_set(t, c, d && *d ? xasprintf("%s: %s", title, d) :
		    xstrdup(title), NULL);
		free(title);
		free(d);
	}
	table_print(fp, t, colour, 0);
	table_free(t);
	if (count > (json_int_t)json_array_size(items))
		fprintf(fp, "(%lld problems; the first %zu shown)\n",
		    (long long)count, json_array_size(items));
	else
		fprintf(fp, "%lld problem%s\n", (long long)count,
		    count == 1 ? "" : "s");
}

static void print_advance(FILE *fp, json_t *answer, int colour);

static void
print_member(FILE *fp, json_t *answer, int colour)
{
	static const char *const titles[] = { "PERSON ID", "NAME", "RELATION",
		"BORN", "CHANGE", "DATE", "REASON" };
	json_t *m = json_object_get(answer, "member");
	struct table *t = table_new(nitems(titles), titles);
	char *target = field(answer, "target"), *pid = field(m, "person_id"),
	     *size = field(answer, "size");

	print_advance(fp, answer, colour);
	t->wrap[6] = 1;
	t->drop[3] = 1;
	table_row(t);
	table_set(t, 0, xstrdup(pid), NULL);
	table_set(t, 1, field(m, "name"), NULL);
	table_set(t, 2, field(m, "relation"), NULL);
	table_set(t, 3, field(m, "birth_date"), NULL);
	table_set(t, 4, field(m, "change"), NULL);
	table_set(t, 5, field(m, "date"), NULL);
	table_set(t, 6, field(m, "reason"), NULL);
	table_print(fp, t, colour, 2);
	fprintf(fp, "household size now %s; next: fupinctl advance %s/%s member "
		    "enter\n",
	    size, target, pid);
	table_free(t);
	free(target);
	free(pid);
	free(size);
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

		{
			char *line = xasprintf("error (%s): %s", code ? code :
			    "?", msg ? msg : "");

			/* The colour is for the "error (code):" only. */
			if (colour)
				fprintf(fp, C_RED "error (%s):" C_RESET " ",
				    code ? code : "?");
			print_para(fp, 2, colour ? line + strlen(code ? code :
			    "?") + 10 : line);
			free(line);
		}
		/* The figures behind a guard and the like; the message
		 * already names the choices and suggestions. */
		json_object_del(rest, "error");
		json_object_del(rest, "message");
		json_object_del(rest, "did_you_mean");
		json_object_del(rest, "choices");
		json_object_del(rest, "allowed");
		json_object_del(rest, "reason");
		json_object_del(rest, "example");
		json_object_del(rest, "workflow");
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
	else if (verb_is(verb, "candidates") &&
	    json_is_array(json_object_get(answer, "items")))
		print_candidates(fp, answer, colour);
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
	else if (verb_is(verb, "analyze") &&
	    json_is_object(json_object_get(answer, "rules")))
		print_analyze(fp, answer, colour);
	else if (verb_is(verb, "problems") &&
	    json_is_array(json_object_get(answer, "items")))
		print_problems(fp, answer, colour);
	else if (verb_is(verb, "member") &&
	    json_is_object(json_object_get(answer, "member")))
		print_member(fp, answer, colour);
	else if (json_object_size(answer) == 1)
		fputs("ok\n", fp);
	else
		print_object(fp, answer, colour, 0);
}
